"""The server-rendered form: works with JavaScript off (POST, redirect, status page)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from callback.api.validation import LANGUAGES
from callback.errors import ApiError
from callback.form_texts import form_texts
from callback.intake import submit
from callback.messages import message
from callback.models import CallbackRequest, Widget
from callback.requests_view import cancel_request
from callback.tokens import owned_request, status_token
from callback.widgets import find_widget

bp = Blueprint("form", __name__, url_prefix="/w")
bp.app_context_processor(lambda: {"form_texts": form_texts})
CSRF_MAX_AGE_SECONDS = 2 * 3600


def _csrf() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="callback-form")


def _widget(key: str) -> Widget:
    widget = find_widget(key)
    if widget is None:
        abort(404)
    return widget


def page_language(widget: Widget, asked: str | None) -> str:
    """Return the language a page asked for (`?lang=`, the visitor's locale), or the widget's."""
    language = (asked or "").split("-")[0].split("_")[0].lower()
    return language if language in LANGUAGES else widget.language


def _render_form(
    widget: Widget, error: ApiError | None = None, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "form.html",
        widget=widget,
        language=page_language(widget, request.args.get("lang")),
        error=error,
        values=request.form,
        csrf_token=_csrf().dumps(widget.key),
    ), status


@bp.get("/<key>")
def show_form(key: str) -> tuple[str, int]:
    return _render_form(_widget(key))


@bp.post("/<key>")
def post_form(key: str) -> Response | tuple[str, int]:
    widget = _widget(key)
    try:
        if _csrf().loads(request.form.get("csrf_token", ""), max_age=CSRF_MAX_AGE_SECONDS) != key:
            raise BadSignature("other widget")
    except BadSignature:
        language = page_language(widget, request.args.get("lang"))
        error = ApiError(400, "form_expired", message("form_expired", language))
        return _render_form(widget, error, 400)
    try:
        accepted = submit(widget, request.form.to_dict())
    except ApiError as error:
        return _render_form(widget, error, error.status)
    target = url_for(
        "form.status_page",
        request_id=accepted.request_id,
        token=status_token(accepted.request_id),
    )
    return redirect(target, code=303)


def _owned(request_id: str) -> CallbackRequest:
    found = owned_request(request_id, request.values.get("token"))
    if found is None:
        abort(404)
    return found


@bp.get("/status/<request_id>")
def status_page(request_id: str) -> str:
    callback_request = _owned(request_id)
    return render_template(
        "status.html",
        request_row=callback_request,
        token=request.args["token"],
        language=page_language(callback_request.widget, callback_request.locale),
    )


@bp.post("/status/<request_id>/cancel")
def cancel(request_id: str) -> Response:
    callback_request = _owned(request_id)
    cancel_request(callback_request, actor="visitor")
    return redirect(
        url_for("form.status_page", request_id=request_id, token=request.form["token"]), code=303
    )
