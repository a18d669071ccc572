"""Every refusal the widget can meet, shown in the page's language, in headless Chromium.

The 422 comes from the real server. The others are answers the widget must survive from
whatever stands between it and us (a proxy's HTML 413 or 502, an older server's English
429, a dropped connection), so they are played at the network edge with Playwright's
routing; the widget must word each one from its own catalog, never from the body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from callback.models import Widget
from callback.texts import translate
from callback.texts.messages import message
from tests.browser.widget_page import axe_violations, open_widget, part
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Embed = Callable[..., tuple[str, Widget]]
SUBMISSIONS = re.compile(r".*/api/v1/widgets/[^/]+/callbacks\?lang=.*")
PREMIUM_RATE = "0901 234 5678"  # only the server knows number types: its 422
LONDON = "020 7946 0123"


def _json(code: str, english: str) -> str:
    return json.dumps({"error": {"code": code, "message": english}})


# (what answered, HTTP status, body, content type, the code whose words must show)
ANSWERS = [
    ("origin refused", 403, _json("origin_not_allowed", "Origin not allowed."),
     "application/json", "origin_not_allowed"),
    ("proxy's 413 page", 413, "<html><h1>413 Request Entity Too Large</h1></html>",
     "text/html", "request_entity_too_large"),
    ("an English 429", 429, _json("rate_limited", "Too many requests. Please try again later."),
     "application/json", "rate_limited"),
    ("daily cap", 429, _json("daily_cap_reached", "No more today."),
     "application/json", "daily_cap_reached"),
    ("server fault", 500, _json("internal_server_error", "Internal Server Error"),
     "application/json", "internal_server_error"),
    ("proxy's 502 page", 502, "<html><h1>502 Bad Gateway</h1></html>", "text/html", None),
]  # fmt: skip


def _play(status: int, body: str, content_type: str) -> Callable[[Route], None]:
    def answer(route: Route) -> None:
        origin = route.request.headers.get("origin", "*")
        route.fulfill(
            status=status,
            body=body,
            content_type=content_type,
            headers={"Access-Control-Allow-Origin": origin},
        )

    return answer


def _send(page: Page, typed: str) -> None:
    part(page, "#cb-phone").fill(typed)
    part(page, "#cb-consent").set_checked(True)
    part(page, "button.submit").click()


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_each_refusal_is_shown_in_the_pages_language(
    page: Page, live: Stack, embed: Embed, axe_source: str, lang: str
) -> None:
    site, _widget = embed(language="en")
    open_widget(page, site + ("/pl" if lang == "pl" else "/"))
    form_error, phone_error = part(page, "#cb-form-err"), part(page, "#cb-phone-err")

    _send(page, PREMIUM_RATE)  # the real server's 422
    expect(phone_error).to_have_text(message("number_type_not_allowed", lang))

    for what, status, body, content_type, code in ANSWERS:
        page.route(SUBMISSIONS, _play(status, body, content_type))
        _send(page, LONDON)
        expected = message(code, lang) if code else translate("widget.server_error", lang)
        expect(form_error, what).to_have_text(expected)
        page.unroute(SUBMISSIONS)

    page.route(SUBMISSIONS, lambda route: route.abort("connectionreset"))
    _send(page, LONDON)
    expect(form_error).to_have_text(translate("widget.network_error", lang))
    page.unroute(SUBMISSIONS)
    assert axe_violations(page, axe_source) == []
