"""A widget's webhook endpoints: added, changed, removed, their secret rotated, a send
replayed. Every change is audited; a secret is returned once and never shown again.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from callback import after_commit
from callback.accounts import audit
from callback.errors import Conflict, Invalid
from callback.integrations.addresses import check_url
from callback.integrations.events import EVENT_TYPES, forget_number_if_sent
from callback.integrations.work import DeliverWebhooks
from callback.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
    utcnow,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
# More endpoints than this for one widget is a mistake, not an integration.
MAX_ENDPOINTS_PER_WIDGET = 20


def new_secret() -> str:
    """Return a fresh Standard Webhooks signing secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def loopback_allowed() -> bool:
    """Development and tests may send to this machine; production never does."""
    return bool(current_app.config["ENV"] != "production")


def checked_events(events: Iterable[str]) -> list[str]:
    """Return the event types, known and without repeats, or refuse them."""
    wanted = list(dict.fromkeys(events))
    unknown = [name for name in wanted if name not in EVENT_TYPES]
    if unknown or not wanted:
        known = ", ".join(EVENT_TYPES)
        raise Invalid("invalid_field", f"events: choose one or more of {known}.", "events")
    return wanted


def check_number_sharing(settings: Mapping[str, Any]) -> None:
    """Refuse to share the number under any notice but the widget's own, current one.

    `settings` are the widget's as they would be saved. The owner confirms, by naming
    its version, that the notice the visitor sees says the number goes to their
    systems; the standard notice does not say so.
    """
    field = "webhook_number_consent_version"
    version = settings.get(field)
    if version is None:
        return
    if not settings.get("privacy_notice"):
        raise Invalid("invalid_field", f"{field}: needs a privacy_notice of the widget's "
                      "own that says the number is shared.", field)  # fmt: skip
    if version != settings.get("consent_version"):
        raise Invalid("invalid_field", f"{field}: must be the widget's consent_version "
                      f"({settings.get('consent_version')}).", field)  # fmt: skip


def stop_sharing_if_notice_changed(widget: Widget, before: Mapping[str, Any]) -> bool:
    """Stop sharing the number once the notice it was confirmed for is no longer shown.

    `before` holds the widget's privacy_notice and consent_version before the change.
    A new or removed notice, or another version, may no longer say the number is
    shared: the owner confirms again. Returns whether sharing stopped.
    """
    if widget.webhook_number_consent_version is None:
        return False
    notice_kept = widget.privacy_notice == before.get("privacy_notice")
    if notice_kept and widget.consent_version == before.get("consent_version"):
        return False
    widget.webhook_number_consent_version = None
    return True


def add_endpoint(
    session: Session,
    widget: Widget,
    url: str,
    events: Sequence[str],
    actor: str,
    description: str | None = None,
) -> WebhookEndpoint:
    """Add an endpoint to `widget`; its `secret` is readable on the returned object once."""
    check_url(url, loopback_allowed())
    count = len(endpoints_of(session, widget))
    if count >= MAX_ENDPOINTS_PER_WIDGET:
        limit = MAX_ENDPOINTS_PER_WIDGET
        raise Invalid("too_many_endpoints", f"A widget may have at most {limit} endpoints.")
    endpoint = WebhookEndpoint(
        widget_id=widget.id,
        url=url.strip(),
        events=checked_events(events),
        secret=new_secret(),
        description=description,
        enabled=True,
    )
    session.add(endpoint)
    session.flush()
    refresh_listening(session, widget.id)
    audit.record(
        session, actor, "webhook_added", widget=widget.key, endpoint=endpoint.id,
        events=endpoint.events,
    )  # fmt: skip
    return endpoint


def endpoints_of(session: Session, widget: Widget) -> Sequence[WebhookEndpoint]:
    """Return the widget's endpoints, oldest first."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.widget_id == widget.id)
    return session.scalars(query.order_by(WebhookEndpoint.id)).all()


def endpoint_of(session: Session, widget: Widget, endpoint_id: int) -> WebhookEndpoint | None:
    """Return the widget's endpoint `endpoint_id`, or None (another widget's is None too)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    return endpoint if endpoint is not None and endpoint.widget_id == widget.id else None


def change_endpoint(
    session: Session, endpoint: WebhookEndpoint, fields: dict[str, Any], actor: str
) -> dict[str, list[Any]]:
    """Change url, events, description or enabled; return (and audit) what changed.

    Turning an endpoint back on clears its failure streak and sends what waited, each
    delivery with a fresh retry window (`_restart_waiting`).
    """
    before = shown(endpoint)
    if "url" in fields:
        check_url(fields["url"], loopback_allowed())
        endpoint.url = fields["url"].strip()
    if "events" in fields:
        endpoint.events = checked_events(fields["events"])
    if "description" in fields:
        endpoint.description = fields["description"]
    if "enabled" in fields and fields["enabled"] != endpoint.enabled:
        endpoint.enabled = bool(fields["enabled"])
        endpoint.failing_since = None
        endpoint.disabled_reason = None if endpoint.enabled else f"turned off by {actor}"
        if endpoint.enabled:
            _restart_waiting(session, endpoint)
            for request_id in _waiting_lines(session, endpoint):
                after_commit.add(session, DeliverWebhooks(endpoint.id, request_id))
    session.flush()
    refresh_listening(session, endpoint.widget_id)
    changed = audit.changes(before, shown(endpoint))
    if changed:
        audit.record(session, actor, "webhook_changed", endpoint=endpoint.id, changes=changed)
    return changed


def remove_endpoint(session: Session, endpoint: WebhookEndpoint, actor: str) -> None:
    """Delete the endpoint with its deliveries (nothing more is sent to it).

    An event that was waiting only for this endpoint no longer needs its number.
    """
    waiting = session.scalars(
        select(WebhookEvent)
        .join(WebhookDelivery, WebhookDelivery.event_id == WebhookEvent.id)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == "pending")
    ).all()
    audit.record(session, actor, "webhook_removed", endpoint=endpoint.id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    for event in waiting:
        forget_number_if_sent(session, event)
    session.flush()
    refresh_listening(session, endpoint.widget_id)


def refresh_listening(session: Session, widget_id: int) -> None:
    """Set the widget's `webhook_events` to what its enabled endpoints want now.

    Called after every change to an endpoint (the delivery job's disabling included).
    """
    widget = session.get_one(Widget, widget_id)
    wanted = session.scalars(
        select(WebhookEndpoint.events).where(
            WebhookEndpoint.widget_id == widget_id, WebhookEndpoint.enabled.is_(True)
        )
    ).all()
    listening = sorted({name for events in wanted for name in events})
    if widget.webhook_events != listening:
        widget.webhook_events = listening


def rotate_secret(session: Session, endpoint: WebhookEndpoint, actor: str) -> str:
    """Give the endpoint a new secret and return it; the old one stops signing now."""
    endpoint.secret = new_secret()
    audit.record(session, actor, "webhook_secret_rotated", endpoint=endpoint.id)
    return endpoint.secret


def attempts_of(
    session: Session, endpoint: WebhookEndpoint, limit: int = 100
) -> Sequence[tuple[WebhookAttempt, WebhookDelivery, WebhookEvent]]:
    """Return the endpoint's latest attempts, newest first, with their delivery and event."""
    query = (
        select(WebhookAttempt, WebhookDelivery, WebhookEvent)
        .join(WebhookDelivery, WebhookAttempt.delivery_id == WebhookDelivery.id)
        .join(WebhookEvent, WebhookDelivery.event_id == WebhookEvent.id)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookAttempt.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(query).all()]


def replay(session: Session, delivery: WebhookDelivery, actor: str) -> WebhookDelivery:
    """Send a delivery again now, whatever became of it: it joins its request's line.

    Its retry schedule starts again (a replay of a day-old failure gets a day too), and
    the attempt is marked manual (`deliveries.is_manual`). A delivery a job is sending
    right now (claimed) is refused with Conflict: the two sends would race.
    """
    now = utcnow()
    # One conditional UPDATE, so a job claiming the delivery meanwhile cannot be missed:
    # clearing a live claim would let a second job send it alongside the first.
    free = or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now)
    restarted = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, free)
        .values(state="pending", next_attempt_at=now, claimed_until=None, first_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    if not restarted.rowcount:  # type: ignore[attr-defined]
        raise Conflict(
            "delivery_in_flight", "This delivery is being sent right now; try again in a minute."
        )
    session.refresh(delivery)
    audit.record(
        session, actor, "webhook_replayed", endpoint=delivery.endpoint_id, delivery=delivery.id
    )
    after_commit.add(session, DeliverWebhooks(delivery.endpoint_id, delivery.request_id))
    return delivery


def shown(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """Return what the API and the console show of an endpoint: never its secret."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
        "created_at": endpoint.created_at.isoformat() if endpoint.created_at else None,
    }


def _restart_waiting(session: Session, endpoint: WebhookEndpoint) -> None:
    """Give the endpoint's pending deliveries a fresh retry window, due now.

    Their first attempts may be days old: without this each would fail for good at its
    first error. Like a replay, it is a person's doing: a tried delivery's next attempt
    is marked manual (`deliveries.is_manual`).
    """
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == "pending")
        .values(first_attempt_at=None, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _waiting_lines(session: Session, endpoint: WebhookEndpoint) -> list[Any]:
    query = (
        select(WebhookDelivery.request_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == "pending")
        .distinct()
    )
    return list(session.scalars(query).all())
