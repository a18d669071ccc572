"""A widget's integrations page: its webhook endpoints, adding one, and its alert settings.

For an owner, or a manager of the widget; an agent never. Endpoints change only through
callback.integrations.endpoints, which audits each change. A new endpoint's signing
secret is shown on the answer to the form that made it, once: it is not kept anywhere a
later page could read it (not in the session cookie, not in the browser's cache).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from callback import db
from callback.accounts import audit, roles
from callback.console import alert_form
from callback.console.access import account, for_roles
from callback.console.blueprint import bp
from callback.errors import Refused
from callback.integrations import endpoints
from callback.integrations.events import EVENT_TYPES
from callback.models import WebhookEndpoint, Widget
from callback.texts import N_

Page = tuple[str, int, dict[str, str]]
MAX_DESCRIPTION = 200
NO_STORE = {"Cache-Control": "no-store"}
ALERTS_SAVED = N_("console.integrations.alerts_saved")
DESCRIPTION_TOO_LONG = N_("console.integrations.error.description")
SHARING_OWNER_ONLY = N_("console.integrations.error.sharing_owner_only")
EVENT_NAMES = {name: f"console.integrations.event.{name.rsplit('.', 1)[1]}" for name in EVENT_TYPES}
REFUSALS = {
    "invalid_url": N_("console.integrations.error.url"),
    "invalid_field": N_("console.integrations.error.events"),
    "too_many_endpoints": N_("console.integrations.error.too_many_endpoints"),
}
# The texts EVENT_NAMES stands for, for extraction.
N_("console.integrations.event.requested")
N_("console.integrations.event.scheduled")
N_("console.integrations.event.connected")
N_("console.integrations.event.completed")
N_("console.integrations.event.failed")
N_("console.integrations.event.expired")
N_("console.integrations.event.canceled")


@bp.get("/widgets/<key>/integrations")
@for_roles(roles.OWNER, roles.MANAGER)
def integrations(key: str) -> Page:
    widget = managed_widget(key)
    return _page(widget, _new_endpoint(), alert_form.values_of(widget))


@bp.post("/widgets/<key>/integrations/endpoints")
@for_roles(roles.OWNER, roles.MANAGER)
def add_endpoint(key: str) -> Page:
    widget = managed_widget(key)
    values = endpoint_values(request.form)
    session = db.session()
    errors = sharing_refusal(widget, values) or description_refusal(values)
    if not errors:
        try:
            endpoint = endpoints.add_endpoint(
                session, widget, values["url"], values["events"], audit.actor_of(account()),
                description=values["description"].strip() or None,
            )  # fmt: skip
        except Refused as refused:
            errors = refusal(refused)
    if errors:
        return _page(widget, values, alert_form.values_of(widget), endpoint_errors=errors)
    secret = endpoint.secret  # read before the commit expires the row
    session.commit()
    return secret_page(widget, endpoint, secret, rotated=False)


@bp.post("/widgets/<key>/integrations/alerts")
@for_roles(roles.OWNER, roles.MANAGER)
def save_alerts(key: str) -> Response | Page:
    widget = managed_widget(key)
    values = alert_form.values_from(request.form)
    fields, errors = alert_form.check(widget, values, may_share=roles.is_owner(account()))
    if errors:
        return _page(widget, _new_endpoint(), values, alert_errors=errors)
    before = {name: getattr(widget, name) for name in fields}
    changed = audit.changes(alert_form.audited(before), alert_form.audited(fields))
    for name, value in fields.items():
        setattr(widget, name, value)
    if changed:
        audit.record(db.session(), audit.actor_of(account()), "widget_updated",
                     widget=widget.key, changes=changed)  # fmt: skip
    db.session().commit()
    flash(gettext(ALERTS_SAVED), "success")
    return redirect(url_for("console.integrations", key=widget.key))


def managed_widget(key: str) -> Widget:
    """The widget with `key` if the account may manage it; 404 alike for unknown and others'."""
    widget = db.session().scalars(select(Widget).filter_by(key=key)).one_or_none()
    if widget is None or not roles.may_manage(account(), widget):
        abort(404)
    return widget


def endpoint_values(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return an endpoint form's values as the person sent them."""
    return {
        "url": form.get("url", "").strip(),
        "events": form.getlist("events"),
        "description": form.get("description", ""),
        "enabled": bool(form.get("enabled")),
    }


def sharing_refusal(
    widget: Widget, values: dict[str, Any], endpoint: WebhookEndpoint | None = None
) -> dict[str, str]:
    """Where webhooks carry visitors' numbers, only an owner decides where they go."""
    if widget.webhook_number_consent_version is None or roles.is_owner(account()):
        return {}
    if endpoint is not None and (values["url"], values["events"], values["enabled"]) == (
        endpoint.url,
        list(endpoint.events),
        endpoint.enabled,
    ):
        return {}  # a new description only
    return {"url": gettext(SHARING_OWNER_ONLY)}


def description_refusal(values: dict[str, Any]) -> dict[str, str]:
    if len(values["description"].strip()) > MAX_DESCRIPTION:
        return {"description": gettext(DESCRIPTION_TOO_LONG).format(limit=MAX_DESCRIPTION)}
    return {}


def refusal(refused: Refused) -> dict[str, str]:
    """{field: text} for an endpoint form, in the page's language."""
    text = refused.message
    if refused.code in REFUSALS:
        text = gettext(REFUSALS[refused.code]).format(limit=endpoints.MAX_ENDPOINTS_PER_WIDGET)
    return {refused.field or "form": text}


def secret_page(widget: Widget, endpoint: WebhookEndpoint, secret: str, rotated: bool) -> Page:
    """Show an endpoint's signing secret, this once; neither history nor a proxy keeps it."""
    page = render_template(
        "console/integrations/secret.html",
        widget=widget,
        endpoint=endpoint,
        secret=secret,
        rotated=rotated,
    )
    return page, 200, NO_STORE


def _new_endpoint() -> dict[str, Any]:
    return {"url": "", "events": list(EVENT_TYPES), "description": "", "enabled": True}


def _page(
    widget: Widget,
    endpoint: dict[str, Any],
    alerts: dict[str, Any],
    endpoint_errors: dict[str, str] | None = None,
    alert_errors: dict[str, str] | None = None,
) -> Page:
    page = render_template(
        "console/integrations/page.html",
        widget=widget,
        endpoints=endpoints.endpoints_of(db.session(), widget),
        event_names=EVENT_NAMES,
        endpoint=endpoint,
        endpoint_errors=endpoint_errors or {},
        alerts=alerts,
        alert_errors=alert_errors or {},
        may_share=roles.is_owner(account()),
        shares_current=alert_form.shares_current_notice(widget),
        hours=list(alert_form.HOURS),
        max_recipients=alert_form.MAX_RECIPIENTS,
    )
    status = 400 if endpoint_errors or alert_errors else 200
    return page, status, {}
