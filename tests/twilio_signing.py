"""Posting to Twilio-facing routes the way Twilio does: form-encoded and signed."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from callback.settings import SANDBOX_AUTH_TOKEN
from tests.conftest import PUBLIC_BASE_URL


def signature(path: str, params: dict[str, str], token: str = SANDBOX_AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params))


def signed_post(client: FlaskClient, path: str, params: dict[str, str]) -> Any:
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature(path, params)})
