"""JSON errors for the API: a clear code and message, never a traceback."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from callback.texts.messages import http_error_message, message, request_language


class ApiError(Exception):
    """An error the API reports as `{"error": {"code", "message", "field"}}`."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code)
        self.http_status = status
        self.code = code
        self.message = message
        self.field = field


def refusal(status: int, code: str, language: str | None = None) -> ApiError:
    """Return the error `code` in `language`, else in the language of this request."""
    return ApiError(status, code, message(code, language or request_language()))


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
    """Register the handlers that turn errors into JSON bodies."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> tuple[Response, int]:
        return error_response(err.http_status, err.code, err.message, err.field)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> tuple[Response, int] | HTTPException:
        if not _wants_json():
            return err
        status = err.code or 500
        code = (err.name or "error").lower().replace(" ", "_")
        text = http_error_message(code, status) or err.description or err.name
        return error_response(status, code, text)
