"""How the HTTP edges answer a refusal: its status code and a JSON error, never a traceback.

Domain code raises `callback.errors` kinds; this is the one place that maps each kind
to a status, for the API (JSON) and for the pages (`status_of`).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
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
    status: int, code: str, message: str, field: str | None = None
) -> tuple[Response, int]:
    """Return the JSON error body with `status`."""
    body: dict[str, str] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/twilio/")) or request.is_json


def init_app(app: Flask) -> None:
    """Register the handlers that turn refusals and HTTP errors into JSON bodies."""

    @app.errorhandler(Refused)
    def _refused(err: Refused) -> tuple[Response, int, dict[str, str]]:
        response, status = error_response(status_of(err), err.code, err.message, err.field)
        retry = {"Retry-After": str(err.retry_after)} if isinstance(err, RetryLater) else {}
        return response, status, retry

    @app.errorhandler(RateLimitExceeded)
    def _limit_exceeded(err: RateLimitExceeded) -> tuple[Response, int] | RateLimitExceeded:
        # Flask-Limiter's after-request hook adds Retry-After (headers_enabled).
        if not request.path.startswith("/api/"):
            return err
        return error_response(429, "rate_limited", message("rate_limited", request_language()))

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> tuple[Response, int] | HTTPException:
        if not _wants_json():
            return err
        status = err.code or 500
        code = (err.name or "error").lower().replace(" ", "_")
        text = http_error_message(code, status) or err.description or err.name
        return error_response(status, code, text)
