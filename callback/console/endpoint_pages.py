"""One webhook endpoint of a widget: changing it, a new secret, removing it, and what was
sent to it lately, each delivery with a button to send it again.

Who may: as the integrations page (integrations.managed_widget). Another widget's
endpoint or delivery answers 404, as an unknown one does.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import audit, roles
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.console.integrations import (
    EVENT_NAMES,
    Page,
    description_refusal,
    endpoint_values,
    managed_widget,
    refusal,
    secret_page,
    sharing_refusal,
)
from callback.errors import Conflict, Refused
from callback.integrations import endpoints
from callback.models import WebhookDelivery, WebhookEndpoint, Widget
from callback.texts import N_

LATEST_ATTEMPTS = 50
SAVED = N_("console.integrations.endpoint_saved")
REMOVED = N_("console.integrations.endpoint_removed")
REPLAYED = N_("console.integrations.replayed")
IN_FLIGHT = N_("console.integrations.replay_in_flight")
CONFIRM_ROTATE = N_("console.integrations.error.confirm_rotate")
CONFIRM_DELETE = N_("console.integrations.error.confirm_delete")
DELIVERY_STATES = {
    "pending": N_("console.integrations.delivery.pending"),
    "delivered": N_("console.integrations.delivery.delivered"),
    "failed": N_("console.integrations.delivery.failed"),
}
PATH = "/widgets/<key>/integrations/endpoints/<int:endpoint_id>"


@bp.get(PATH)
@for_roles(roles.OWNER, roles.MANAGER)
def endpoint(key: str, endpoint_id: int) -> Page:
    widget, found = _endpoint(key, endpoint_id)
    return _page(widget, found, _values_of(found))


@bp.post(PATH)
@for_roles(roles.OWNER, roles.MANAGER)
def change_endpoint(key: str, endpoint_id: int) -> Response | Page:
    widget, found = _endpoint(key, endpoint_id)
    values = endpoint_values(request.form)
    session = db.session()
    errors = sharing_refusal(widget, values, found) or description_refusal(values)
    if not errors:
        fields = {**values, "description": values["description"].strip() or None}
        try:
            endpoints.change_endpoint(session, found, fields, audit.actor_of(account()))
        except Refused as refused:
            session.rollback()  # a URL may have changed before the events were refused
            errors = refusal(refused)
    if errors:
        return _page(widget, found, values, errors)
    session.commit()
    flash(gettext(SAVED), "success")
    return redirect(url_for("console.endpoint", key=widget.key, endpoint_id=found.id))


@bp.post(f"{PATH}/rotate")
@for_roles(roles.OWNER, roles.MANAGER)
def rotate_secret(key: str, endpoint_id: int) -> Page:
    widget, found = _endpoint(key, endpoint_id)
    if not request.form.get("confirm"):
        return _page(widget, found, _values_of(found), {"confirm_rotate": gettext(CONFIRM_ROTATE)})
    secret = endpoints.rotate_secret(db.session(), found, audit.actor_of(account()))
    db.session().commit()
    return secret_page(widget, found, secret, rotated=True)


@bp.post(f"{PATH}/delete")
@for_roles(roles.OWNER, roles.MANAGER)
def delete_endpoint(key: str, endpoint_id: int) -> Response | Page:
    widget, found = _endpoint(key, endpoint_id)
    if not request.form.get("confirm"):
        return _page(widget, found, _values_of(found), {"confirm_delete": gettext(CONFIRM_DELETE)})
    endpoints.remove_endpoint(db.session(), found, audit.actor_of(account()))
    db.session().commit()
    flash(gettext(REMOVED), "success")
    return redirect(url_for("console.integrations", key=widget.key))


@bp.post(f"{PATH}/deliveries/<int:delivery_id>/replay")
@for_roles(roles.OWNER, roles.MANAGER)
def replay_delivery(key: str, endpoint_id: int, delivery_id: int) -> Response:
    widget, found = _endpoint(key, endpoint_id)
    delivery = db.session().get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != found.id:
        abort(404)
    try:
        endpoints.replay(db.session(), delivery, audit.actor_of(account()))
    except Conflict:
        db.session().rollback()
        flash(gettext(IN_FLIGHT), "error")
        return redirect(url_for("console.endpoint", key=widget.key, endpoint_id=found.id))
    db.session().commit()
    flash(gettext(REPLAYED), "success")
    return redirect(url_for("console.endpoint", key=widget.key, endpoint_id=found.id))


def _endpoint(key: str, endpoint_id: int) -> tuple[Widget, WebhookEndpoint]:
    widget = managed_widget(key)
    found = endpoints.endpoint_of(db.session(), widget, endpoint_id)
    if found is None:
        abort(404)
    return widget, found


def _values_of(found: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": found.url,
        "events": list(found.events),
        "description": found.description or "",
        "enabled": found.enabled,
    }


def _page(
    widget: Widget,
    found: WebhookEndpoint,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Page:
    page = render_template(
        "console/integrations/endpoint.html",
        widget=widget,
        found=found,
        endpoint=values,
        endpoint_errors=errors or {},
        event_names=EVENT_NAMES,
        attempts=endpoints.attempts_of(db.session(), found, LATEST_ATTEMPTS),
        delivery_states=DELIVERY_STATES,
    )
    return page, 400 if errors else 200, {}
