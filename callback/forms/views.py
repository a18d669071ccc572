"""The server-rendered form: works with JavaScript off (POST, redirect, status page)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask import request as http_request
from flask_limiter import RateLimitExceeded
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from callback.errors import Refused, RetryLater
from callback.http_errors import status_of
from callback.lifecycle.intake import AlreadyRequested, submit
from callback.lifecycle.visitor import cancel_request, visitor_request
from callback.models import CallbackRequest, Widget
from callback.security.origins import check_origin, refused_before_reading
from callback.security.ratelimit import exempt_when
from callback.security.tokens import status_token
from callback.texts import offered
from callback.texts.form import form_texts
from callback.texts.messages import (
    ALREADY_REQUESTED,
    SERVER_ERROR,
    http_error_message,
    message,
    request_language,
)
from callback.widgets.cache import find_widget

bp = Blueprint("form", __name__, url_prefix="/w")
# A wrong origin is answered 403 before it could count against the per-address limit.
bp.record_once(lambda state: exempt_when(state.app, refused_before_reading(bp.name, find_widget)))
bp.app_context_processor(lambda: {"form_texts": form_texts})
CSRF_MAX_AGE_SECONDS = 2 * 3600
FORM_ENDPOINTS = {"form.show_form", "form.post_form"}


def _csrf() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="callback-form")


def _widget(key: str) -> Widget:
    widget = find_widget(key)
    if widget is None:
        abort(404)
    return widget


def page_language(widget: Widget, asked: str | None) -> str:
    """Return the language a page asked for (`?lang=`, the visitor's locale), or the widget's."""
    return offered(asked) or widget.language


def _render_form(
    widget: Widget,
    error: Refused | None = None,
    status: int = 200,
    values: Mapping[str, str] | None = None,
) -> tuple[str, int]:
    return render_template(
        "form.html",
        widget=widget,
        language=page_language(widget, http_request.args.get("lang")),
        error=error,
        values=http_request.form if values is None else values,
        csrf_token=_csrf().dumps(widget.key),
    ), status


def _refused(
    widget: Widget, code: str, status: int, values: Mapping[str, str] | None = None
) -> tuple[str, int]:
    """Show the form again with the refusal `code` in the page's language."""
    language = page_language(widget, http_request.args.get("lang"))
    return _render_form(widget, Refused(code, message(code, language)), status, values)


def _refused_unread(code: str, status: int) -> tuple[str, int]:
    """Refuse a post whose body was never read (too large, too many tries): nothing shown back."""
    widget = find_widget((http_request.view_args or {}).get("key", ""))
    if widget is None:
        return _error_page("unknown_widget", status)
    return _refused(widget, code, status, {})


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(_error: RateLimitExceeded) -> tuple[str, int]:
    # Flask-Limiter's after-request hook adds Retry-After (headers_enabled).
    return _refused_unread("rate_limited", 429)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    return _refused_unread("request_entity_too_large", 413)


@bp.errorhandler(HTTPException)
def _other_error(error: HTTPException) -> tuple[str, int]:
    """Answer any other error (unknown widget, a server fault) in the visitor's words."""
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_")
    if status == 404:
        code = "unknown_widget" if http_request.endpoint in FORM_ENDPOINTS else "not_found"
    return _error_page(code, status)


def _error_page(code: str, status: int) -> tuple[str, int]:
    text = http_error_message(code, status) or message(SERVER_ERROR, request_language())
    page = render_template("message.html", language=request_language(), text=text, status=status)
    return page, status


@bp.get("/<key>")
def show_form(key: str) -> tuple[str, int]:
    return _render_form(_widget(key))


@bp.post("/<key>")
def post_form(key: str) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    widget = _widget(key)
    try:
        check_origin(widget)  # a cross-site form post is refused here as in the API
    except Refused as refused:
        return _refused(widget, refused.code, status_of(refused), {})
    try:
        if (
            _csrf().loads(http_request.form.get("csrf_token", ""), max_age=CSRF_MAX_AGE_SECONDS)
            != key
        ):
            raise BadSignature("other widget")
    except BadSignature:
        return _refused(widget, "form_expired", 400)
    try:
        accepted = submit(widget, http_request.form.to_dict(), http_request.remote_addr)
    except Refused as error:
        page, status = _render_form(widget, error, status_of(error))
        # As the API says: when the limit that refused resets (callback/http_errors.py).
        wait = {"Retry-After": str(error.retry_after)} if isinstance(error, RetryLater) else {}
        return page, status, wait
    if isinstance(accepted, AlreadyRequested):
        language = page_language(widget, accepted.locale)
        text = message(ALREADY_REQUESTED, language)
        return render_template("message.html", language=language, text=text, status=200), 200
    target = url_for(
        "form.status_page",
        request_id=accepted.request_id,
        token=status_token(accepted.request_id),
    )
    return redirect(target, code=303)


def _owned(request_id: str) -> CallbackRequest:
    found = visitor_request(request_id, http_request.values.get("token"))
    if found is None:
        abort(404)
    return found


@bp.get("/status/<request_id>")
def status_page(request_id: str) -> str:
    request = _owned(request_id)
    return render_template(
        "status.html",
        request=request,
        token=http_request.args["token"],
        language=page_language(request.widget, request.locale),
    )


@bp.post("/status/<request_id>/cancel")
def cancel(request_id: str) -> Response:
    request = _owned(request_id)
    cancel_request(request, actor="visitor")
    return redirect(
        url_for("form.status_page", request_id=request_id, token=http_request.form["token"]),
        code=303,
    )
