"""Every refusal a visitor can meet, from the API and the no-JavaScript form, in their language.

Each case is one error the server can answer (400, 403, 404, 413, 422, 429 from both
limits, 500); each runs in English and in Polish, and the text must be that language's
catalog entry for the error's code, never another language's.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from callback.models import Widget
from callback.texts.messages import message
from tests.factories import VISITOR_TYPED, make_widget
from tests.visitors import callbacks_url, submit, submit_form

LANGUAGES = ("en", "pl")
STRANGER = "https://evil.example.net"
TOO_LARGE = "x" * 17_000  # over MAX_CONTENT_LENGTH (16 KiB)


def _boom() -> str:
    raise RuntimeError("an unexpected fault")


@pytest.fixture
def faulty_app(app: Flask) -> Flask:
    """The app, answering unexpected faults as production does (no propagation)."""
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False, RATE_LIMIT_PER_IP="1/hour")
    return app


API_CASES: dict[str, tuple[int, Callable[[FlaskClient, Widget, str], TestResponse]]] = {
    "malformed_json": (
        400,
        lambda c, w, lang: c.post(
            callbacks_url(w.key, lang), data="{not json", content_type="application/json"
        ),
    ),
    "origin_not_allowed": (
        403,
        lambda c, w, lang: submit(
            c, w.key, VISITOR_TYPED, lang=lang, locale=lang, headers={"Origin": STRANGER}
        ),
    ),
    "unknown_widget": (
        404,
        lambda c, w, lang: c.post(callbacks_url("wk_gone", lang), json={}),
    ),
    "request_entity_too_large": (
        413,
        lambda c, w, lang: c.post(
            callbacks_url(w.key, lang), data={"phone": VISITOR_TYPED, "page_url": TOO_LARGE}
        ),
    ),
    "invalid_number": (
        422,
        lambda c, w, lang: submit(c, w.key, "12345", lang=lang, locale=lang),
    ),
    "consent_required": (
        422,
        lambda c, w, lang: submit(c, w.key, VISITOR_TYPED, consent=False, lang=lang, locale=lang),
    ),
    # The address limit (Flask-Limiter, before the body is read): 1/hour, the second refused.
    "rate_limited": (
        429,
        lambda c, w, lang: [
            submit(c, w.key, VISITOR_TYPED, lang=lang, locale=lang) for _ in range(2)
        ][-1],
    ),
    "daily_cap_reached": (
        429,
        lambda c, w, lang: submit(
            c, make_widget(daily_call_cap=0).key, VISITOR_TYPED, lang=lang, locale=lang
        ),
    ),
    "internal_server_error": (500, lambda c, w, lang: c.get(f"/api/v1/boom?lang={lang}")),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", API_CASES)
def test_every_api_refusal_is_worded_in_the_visitors_language(
    faulty_app: Flask, lang: str, code: str
) -> None:
    faulty_app.add_url_rule("/api/v1/boom", "boom", _boom)
    status, send = API_CASES[code]
    response = send(faulty_app.test_client(), make_widget(), lang)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"] == message(code, lang)
    assert error["message"] != message(code, _other(lang))


def test_an_api_refusal_follows_the_browsers_language_when_the_page_names_none(
    client: FlaskClient,
) -> None:
    widget = make_widget(language="en")
    response = submit(
        client, widget.key, "12345", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}
    )
    assert response.get_json()["error"]["message"] == message("invalid_number", "pl")


FORM_CASES: dict[str, tuple[int, Callable[[FlaskClient, Widget, str], TestResponse]]] = {
    "form_expired": (
        400,
        lambda c, w, lang: submit_form(c, w.key, VISITOR_TYPED, lang=lang, csrf_token="stale"),
    ),
    "origin_not_allowed": (
        403,
        lambda c, w, lang: submit_form(
            c, w.key, VISITOR_TYPED, lang=lang, headers={"Origin": STRANGER}
        ),
    ),
    "unknown_widget": (404, lambda c, w, lang: c.get(f"/w/wk_gone?lang={lang}")),
    "not_found": (404, lambda c, w, lang: c.get(f"/w/status/{'0' * 32}?lang={lang}&token=x")),
    "request_entity_too_large": (
        413,
        lambda c, w, lang: submit_form(c, w.key, VISITOR_TYPED, lang=lang, page_url=TOO_LARGE),
    ),
    "invalid_number": (422, lambda c, w, lang: submit_form(c, w.key, "12345", lang=lang)),
    "rate_limited": (
        429,
        lambda c, w, lang: [submit_form(c, w.key, VISITOR_TYPED, lang=lang) for _ in range(2)][-1],
    ),
    "internal_server_error": (500, lambda c, w, lang: c.get(f"/w/boom/now?lang={lang}")),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", FORM_CASES)
def test_every_form_refusal_is_a_page_in_the_visitors_language(
    faulty_app: Flask, lang: str, code: str
) -> None:
    faulty_app.add_url_rule("/w/boom/now", "form.boom", _boom)
    status, send = FORM_CASES[code]
    response = send(faulty_app.test_client(), make_widget(language="en"), lang)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert f'<html lang="{lang}">' in page
    assert _escaped(message(code, lang)) in page
    assert _escaped(message(code, _other(lang))) not in page
    assert "Traceback" not in page
    assert "an unexpected fault" not in page


def test_a_refused_form_post_says_when_to_come_back(faulty_app: Flask) -> None:
    client, widget = faulty_app.test_client(), make_widget()
    submit_form(client, widget.key, VISITOR_TYPED, lang="pl")
    refused = submit_form(client, widget.key, VISITOR_TYPED, lang="pl")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0


def _other(lang: str) -> str:
    return "pl" if lang == "en" else "en"


def _escaped(text: str) -> str:
    return text.replace("'", "&#39;").replace('"', "&#34;")
