"""How the HTTP edges answer a refusal: its status code and a JSON error, never a traceback.

Domain code raises `callback.errors` kinds; this is the one place that maps each kind
to a status, for the API (JSON) and for the pages (`status_of`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, Response, current_app, jsonify, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from callback.errors import (
    Conflict,
    Invalid,
    Malformed,
    NotAllowed,
    NotFound,
    Refused,
    RetryLater,
    Unauthorized,
)
from callback.security.ratelimit import PER_ADDRESS
from callback.texts.messages import http_error_message, message, request_language

STATUS_OF_KIND: dict[type[Refused], int] = {
    Malformed: 400,
    Unauthorized: 401,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    RetryLater: 429,
}


def status_of(error: Refused) -> int:
    """Return the HTTP status that answers `error`."""
    for kind in type(error).__mro__:
        if kind in STATUS_OF_KIND:
            return STATUS_OF_KIND[kind]
    return 400


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    extra: dict[str, object] | None = None,
) -> tuple[Response, int]:
    """Return the JSON error body with `status`."""
    body: dict[str, object] = {"code": code, "message": message}
    if field:
        body["field"] = field
    body.update(extra or {})
    return jsonify(error=body), status


def limit_details(limit: str, retry_after: int) -> dict[str, object]:
    """Say which limit a 429 hit and when it resets (also in Retry-After)."""
    resets_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=retry_after)
    return {"limit": limit, "retry_after": retry_after, "resets_at": resets_at.isoformat()}


def address_limit_details() -> dict[str, object]:
    """The details of a 429 from the per-address limit (Flask-Limiter's, on this request)."""
    current = current_app.extensions["callback.limiter"].current_limit
    reset_at = current.reset_at if current is not None else datetime.now(UTC).timestamp() + 1
    retry_after = max(int(reset_at - datetime.now(UTC).timestamp()), 1)
    return limit_details(PER_ADDRESS, retry_after)


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/twilio/")) or request.is_json


def init_app(app: Flask) -> None:
    """Register the handlers that turn refusals and HTTP errors into JSON bodies."""

    @app.errorhandler(Refused)
    def _refused(err: Refused) -> tuple[Response, int, dict[str, str]]:
        if not isinstance(err, RetryLater):
            return (*error_response(status_of(err), err.code, err.message, err.field), {})
        details = limit_details(err.limit, err.retry_after)
        response, status = error_response(429, err.code, err.message, err.field, details)
        return response, status, {"Retry-After": str(err.retry_after)}

    @app.errorhandler(RateLimitExceeded)
    def _limit_exceeded(err: RateLimitExceeded) -> tuple[Response, int] | RateLimitExceeded:
        # Flask-Limiter's after-request hook adds Retry-After (headers_enabled).
        if not request.path.startswith("/api/"):
            return err
        words = message("rate_limited", request_language())
        return error_response(429, "rate_limited", words, extra=address_limit_details())

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> tuple[Response, int] | HTTPException:
        if not _wants_json():
            return err
        status = err.code or 500
        code = (err.name or "error").lower().replace(" ", "_")
        text = http_error_message(code, status) or err.description or err.name
        return error_response(status, code, text)
