"""What a visitor sends: a callback request through the widget's API or its plain form."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def _in_language(path: str, lang: str | None) -> str:
    return path if lang is None else f"{path}?lang={lang}"


def callbacks_url(widget_key: str, lang: str | None = None) -> str:
    """Return the API path a widget's visitors post their requests to, in `lang` if given."""
    return _in_language(f"/api/v1/widgets/{widget_key}/callbacks", lang)


def form_url(widget_key: str, lang: str | None = None) -> str:
    """Return the path of a widget's plain (no-JavaScript) form, in `lang` if given."""
    return _in_language(f"/w/{widget_key}", lang)


def submit(
    client: FlaskClient,
    widget_key: str,
    phone: str,
    *,
    consent: bool = True,
    lang: str | None = None,
    headers: dict[str, str] | None = None,
    remote_addr: str | None = None,
    **fields: Any,
) -> TestResponse:
    """POST a visitor's request as JSON: `phone`, `consent` and any other `fields`.

    `lang` goes in the query string, `headers` (Origin, Accept-Language, X-Forwarded-For)
    with the request, and `remote_addr` is the address it comes from.
    """
    return client.post(
        callbacks_url(widget_key, lang),
        json={"phone": phone, "consent": consent, **fields},
        headers=headers or {},
        environ_base={} if remote_addr is None else {"REMOTE_ADDR": remote_addr},
    )


def submitted(client: FlaskClient, widget_key: str, phone: str, **options: Any) -> uuid.UUID:
    """Submit as `submit` does, assert the request was accepted, and return its id."""
    response = submit(client, widget_key, phone, **options)
    assert response.status_code == 202, response.get_data(as_text=True)
    return uuid.UUID(response.get_json()["id"])


def csrf_token(page: str) -> str:
    """Return the CSRF token of the plain form on `page`."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def submit_form(
    client: FlaskClient,
    widget_key: str,
    phone: str,
    *,
    lang: str | None = None,
    headers: dict[str, str] | None = None,
    **fields: str,
) -> TestResponse:
    """Open the plain form and post it back with consent, its CSRF token and any `fields`.

    `fields` may replace the consent or the token (`csrf_token="stale"`).
    """
    path = form_url(widget_key, lang)
    token = csrf_token(client.get(path).get_data(as_text=True))
    data = {"phone": phone, "consent": "true", "csrf_token": token, **fields}
    return client.post(path, data=data, headers=headers or {})
