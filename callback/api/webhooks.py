"""The admin API's webhook endpoints of a widget: add, list, change, remove, rotate the
secret, see the latest attempts and replay one.

Scoped like the widget itself (callback/api/admin.py): its owner or manager; another
widget's endpoint answers 404. A secret is in the answer to its creation or rotation
only. Attempts show what the receiver answered, never the body sent nor any number.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from callback import db
from callback.accounts.access import caller, only_for, require_caller
from callback.accounts.roles import OWNER
from callback.api.admin import checked_body, managed_widget
from callback.errors import NotFound
from callback.integrations import endpoints
from callback.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
    iso,
)
from callback.schemas.webhooks import WebhookCreate, WebhookUpdate

bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1/admin/widgets/<key>/webhooks")
bp.before_request(require_caller(lambda: None))


def _endpoint(key: str, endpoint_id: int) -> WebhookEndpoint:
    """The widget's endpoint, if the caller may manage the widget; else 404."""
    found = endpoints.endpoint_of(db.session(), managed_widget(key), endpoint_id)
    if found is None:
        raise NotFound("unknown_webhook", "The widget has no webhook with that id.")
    return found


def _owner_if_sharing(widget: Widget) -> None:
    """Where webhooks carry visitors' numbers, only an owner decides where they go."""
    if widget.webhook_number_consent_version is not None:
        only_for(OWNER)


@bp.post("")
def add_webhook(key: str) -> tuple[Response, int]:
    widget = managed_widget(key)
    fields = checked_body(WebhookCreate)
    _owner_if_sharing(widget)
    endpoint = endpoints.add_endpoint(db.session(), widget, actor=caller().actor, **fields)
    secret = endpoint.secret
    db.session().commit()
    return jsonify({**endpoints.shown(endpoint), "secret": secret}), 201


@bp.get("")
def list_webhooks(key: str) -> Response:
    found = endpoints.endpoints_of(db.session(), managed_widget(key))
    return jsonify(webhooks=[endpoints.shown(endpoint) for endpoint in found])


@bp.get("/<int:endpoint_id>")
def get_webhook(key: str, endpoint_id: int) -> Response:
    return jsonify(endpoints.shown(_endpoint(key, endpoint_id)))


@bp.patch("/<int:endpoint_id>")
def change_webhook(key: str, endpoint_id: int) -> Response:
    endpoint = _endpoint(key, endpoint_id)
    fields = checked_body(WebhookUpdate)
    if set(fields) - {"description"}:
        _owner_if_sharing(managed_widget(key))
    endpoints.change_endpoint(db.session(), endpoint, fields, caller().actor)
    db.session().commit()
    return jsonify(endpoints.shown(endpoint))


@bp.delete("/<int:endpoint_id>")
def remove_webhook(key: str, endpoint_id: int) -> tuple[str, int]:
    endpoints.remove_endpoint(db.session(), _endpoint(key, endpoint_id), caller().actor)
    db.session().commit()
    return "", 204


@bp.post("/<int:endpoint_id>/rotate-secret")
def rotate_webhook_secret(key: str, endpoint_id: int) -> Response:
    endpoint = _endpoint(key, endpoint_id)
    secret = endpoints.rotate_secret(db.session(), endpoint, caller().actor)
    db.session().commit()
    return jsonify(secret=secret)


@bp.get("/<int:endpoint_id>/deliveries")
def webhook_attempts(key: str, endpoint_id: int) -> Response:
    endpoint = _endpoint(key, endpoint_id)
    rows = endpoints.attempts_of(db.session(), endpoint)
    return jsonify(attempts=[_attempt_json(*row) for row in rows])


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
def replay_delivery(key: str, endpoint_id: int, delivery_id: int) -> tuple[Response, int]:
    endpoint = _endpoint(key, endpoint_id)
    delivery = db.session().get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("unknown_delivery", "The webhook has no delivery with that id.")
    endpoints.replay(db.session(), delivery, caller().actor)
    db.session().commit()
    return jsonify(delivery_id=delivery.id, state=delivery.state), 202


def _attempt_json(
    attempt: WebhookAttempt, delivery: WebhookDelivery, event: WebhookEvent
) -> dict[str, Any]:
    return {
        "at": iso(attempt.at),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "manual": attempt.manual,
        "delivery_id": delivery.id,
        "delivery_state": delivery.state,
        "event_type": event.type,
        "message_id": event.message_id,
    }
