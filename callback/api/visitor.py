"""The visitor API: ask for a callback, watch it, withdraw it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, url_for
from flask import request as http_request
from werkzeug.exceptions import BadRequest

from callback.api.cors import visitor_cors
from callback.errors import Malformed, NotFound, refusal
from callback.lifecycle.intake import AlreadyRequested, submit
from callback.lifecycle.visitor import cancel_request, public_status, visitor_request
from callback.models import CallbackRequest, iso
from callback.security.origins import check_origin, cors_headers, refused_before_reading
from callback.security.ratelimit import exempt_when
from callback.security.tokens import status_token
from callback.texts.messages import ALREADY_REQUESTED, message
from callback.widgets.cache import find_widget, load_widget

bp = Blueprint("visitor_api", __name__, url_prefix="/api/v1")
bp.after_request(visitor_cors)  # the widget on the host page must read every answer
# A wrong origin is answered 403 before it could count against the per-address limit.
bp.record_once(lambda state: exempt_when(state.app, refused_before_reading(bp.name, find_widget)))


def _submission() -> dict[str, Any]:
    if http_request.is_json:
        try:
            body = http_request.get_json()
        except BadRequest:
            raise refusal(Malformed, "malformed_json") from None
        if not isinstance(body, dict):
            raise refusal(Malformed, "malformed_json")
        return body
    return http_request.form.to_dict()


# No automatic OPTIONS: it would answer preflights itself, without the CORS headers.
@bp.post("/widgets/<key>/callbacks", provide_automatic_options=False)
def create_callback(key: str) -> tuple[Response, int, dict[str, str]]:
    widget = load_widget(key)
    check_origin(widget)
    accepted = submit(widget, _submission(), http_request.remote_addr)
    headers = cors_headers(widget)
    if isinstance(accepted, AlreadyRequested):
        said = {"status": ALREADY_REQUESTED, "message": message(ALREADY_REQUESTED, accepted.locale)}
        return jsonify(said), 202, headers
    status_url = url_for(
        "visitor_api.get_callback",
        request_id=accepted.request_id,
        token=status_token(accepted.request_id),
        _external=True,
    )
    body = {
        "id": str(accepted.request_id),
        "status": accepted.status.value,
        "status_url": status_url,
        "scheduled_for": iso(accepted.scheduled_for),
    }
    return jsonify(body), 202, {"Location": status_url, **headers}


@bp.route("/widgets/<key>/callbacks", methods=["OPTIONS"])
def preflight(key: str) -> tuple[str, int, dict[str, str]]:
    widget = load_widget(key)
    check_origin(widget)
    return "", 204, cors_headers(widget, preflight=True)


def _owned_request(request_id: str) -> CallbackRequest:
    found = visitor_request(request_id, http_request.args.get("token"))
    if found is None:
        raise refusal(NotFound, "not_found")
    return found


@bp.get("/callbacks/<request_id>")
def get_callback(request_id: str) -> Response:
    return jsonify(public_status(_owned_request(request_id)))


@bp.delete("/callbacks/<request_id>")
def delete_callback(request_id: str) -> Response:
    request = _owned_request(request_id)
    cancel_request(request, actor="visitor")
    return jsonify(public_status(request))
