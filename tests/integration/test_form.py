"""The server-rendered form works without JavaScript: POST, redirect, status page."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from callback.texts.messages import message
from tests.factories import VISITOR_TYPED, make_widget
from tests.visitors import csrf_token, submit_form


def test_form_post_redirects_to_a_status_page_that_can_cancel(client: FlaskClient) -> None:
    widget = make_widget()
    response = submit_form(client, widget.key, VISITOR_TYPED)
    assert response.status_code == 303
    status_page = client.get(response.headers["Location"])
    assert 'data-status="queued"' in status_page.get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', status_page.get_data(as_text=True))
    assert token
    cancel_url = response.headers["Location"].split("?")[0] + "/cancel"
    canceled = client.post(cancel_url, data={"token": token.group(1)}, follow_redirects=True)
    assert 'data-status="canceled"' in canceled.get_data(as_text=True)


def test_form_shows_the_error_and_keeps_the_input(client: FlaskClient) -> None:
    widget = make_widget()
    page = client.get(f"/w/{widget.key}").get_data(as_text=True)
    response = client.post(
        f"/w/{widget.key}", data={"phone": VISITOR_TYPED, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-code="consent_required"' in html
    assert f'value="{VISITOR_TYPED}"' in html


def test_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    widget = make_widget()
    response = client.post(f"/w/{widget.key}", data={"phone": VISITOR_TYPED, "consent": "true"})
    assert response.status_code == 400
    assert 'data-code="form_expired"' in response.get_data(as_text=True)


def test_form_for_unknown_widget_is_404(client: FlaskClient) -> None:
    assert client.get("/w/wk_nope").status_code == 404


def test_form_and_status_page_follow_the_language_the_page_asks_for(client: FlaskClient) -> None:
    widget = make_widget(language="en")
    page = client.get(f"/w/{widget.key}?lang=pl").get_data(as_text=True)
    assert '<html lang="pl">' in page
    response = client.post(
        f"/w/{widget.key}?lang=pl",
        data={
            "phone": VISITOR_TYPED,
            "consent": "true",
            "csrf_token": csrf_token(page),
            "locale": "pl",
        },
    )
    status_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="pl">' in status_page
    english = client.get(f"/w/{widget.key}").get_data(as_text=True)
    assert '<html lang="en">' in english


def test_a_pending_number_posted_again_gets_a_page_that_reveals_nothing(
    client: FlaskClient,
) -> None:
    widget = make_widget()
    first = submit_form(client, widget.key, VISITOR_TYPED)
    again = submit_form(client, widget.key, VISITOR_TYPED)
    assert first.status_code == 303
    page = again.get_data(as_text=True)
    assert again.status_code == 200
    assert message("already_requested", "en").replace("'", "&#39;") in page
    assert "/w/status/" not in page
    assert first.headers["Location"].split("?")[0].rsplit("/", 1)[1] not in page
