"""What a widget's alert recipients are told: a callback that failed or expired, and a
webhook endpoint turned off. In the widget's language and time zone, with a console link.

Composed from the event's payload and the widget only: never the visitor's number, in
any form, so nothing here can leak it into an inbox or a chat channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.accounts.roles import MANAGER, OWNER
from callback.errors import Invalid
from callback.integrations.addresses import check_url
from callback.integrations.endpoints import loopback_allowed
from callback.integrations.events import EXPIRED, FAILED
from callback.models import Account, Role, WebhookEndpoint, WebhookEvent, Widget
from callback.texts import N_, language_of, translate

SUBJECTS = {
    FAILED: N_("alerts.failed.subject"),
    EXPIRED: N_("alerts.expired.subject"),
}
# The console's words for a status and an outcome (callback/console/formatting.py):
# staff read the same reason in an e-mail as on the request's page.
STATUS_KEY = "console.status.{}"
OUTCOME_KEY = "console.outcome.{}"
TWILIO_ERROR = "twilio_error_"


@dataclass(frozen=True)
class Alert:
    """One message, as an e-mail (subject and body) and as a chat line."""

    subject: str
    body: str
    chat: str


def console_link(path: str) -> str:
    """Return the console address of `path` under PUBLIC_BASE_URL."""
    return f"{current_app.config['PUBLIC_BASE_URL'] or ''}/console{path}"


def local_time(moment: datetime, widget: Widget) -> str:
    """Return `moment` as the widget's language writes it, in its time zone (named)."""
    zone = ZoneInfo(widget.timezone)
    written = format_datetime(moment, "medium", tzinfo=zone, locale=language_of(widget.language))
    return f"{written} ({widget.timezone})"


def outcome_words(outcome: str | None, status: str, language: str) -> str:
    """Return why a request ended, in words; the status's name when no reason is known."""
    if outcome and outcome.startswith(TWILIO_ERROR) and outcome[len(TWILIO_ERROR) :].isdecimal():
        code = outcome[len(TWILIO_ERROR) :]
        return translate(N_("console.outcome.twilio_error"), language).format(code=code)
    for key in (OUTCOME_KEY.format(outcome), STATUS_KEY.format(status)):
        try:
            return translate(key, language)
        except KeyError:
            continue
    return outcome or status


def failure_alert(event: WebhookEvent, widget: Widget) -> Alert:
    """Compose the alert about a failed or expired callback (`event`)."""
    language = language_of(widget.language)
    payload = event.payload
    status = str(payload.get("status", ""))
    reason = outcome_words(payload.get("outcome"), status, language)
    subject = translate(SUBJECTS[event.type], language).format(widget=widget.name)
    when = local_time(event.created_at, widget)
    link = console_link(f"/requests/{event.request_id}")
    body = translate(N_("alerts.body"), language).format(
        widget=widget.name,
        status=outcome_words(None, status, language),
        time=when,
        reason=reason,
        link=link,
    )
    chat = translate(N_("alerts.chat"), language).format(
        subject=subject, reason=reason, time=when, link=link
    )
    return Alert(subject, body, chat)


def endpoint_disabled_alert(endpoint: WebhookEndpoint, widget: Widget) -> Alert:
    """Compose the notice that `endpoint` was turned off; its host only, never its path."""
    language = language_of(widget.language)
    host = urlsplit(endpoint.url).hostname or ""
    subject = translate(N_("alerts.endpoint_disabled.subject"), language).format(widget=widget.name)
    body = translate(N_("alerts.endpoint_disabled.body"), language).format(
        host=host, widget=widget.name, link=console_link(f"/widgets/{widget.key}")
    )
    return Alert(subject, body, chat=subject)


def widget_staff_emails(session: Session, widget: Widget) -> list[str]:
    """Return the addresses of the owners and the widget's managers who have joined.

    An invitation not taken up yet may have gone to a wrong address: it gets nothing.
    """
    owners = Account.roles.any(Role.name == OWNER)
    managers = Account.roles.any(Role.name == MANAGER) & Account.widgets.any(Widget.id == widget.id)
    found = session.scalars(
        select(Account.email).where(
            Account.active.is_(True), Account.password.is_not(None), owners | managers
        )
    )
    return list(found)


def recipients(*lists: list[str]) -> list[str]:
    """Return the addresses of `lists` once each (case-insensitively), in order."""
    seen: dict[str, str] = {}
    for address in (address for found in lists for address in found):
        seen.setdefault(address.lower(), address)
    return list(seen.values())


def chat_url_for_audit(url: str | None) -> str | None:
    """Return the chat URL's scheme and host only: the rest of it is the credential."""
    if not url:
        return url
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def checked_chat_url(url: str) -> str:
    """Return the chat webhook URL stripped, or refuse it as a webhook endpoint's is."""
    try:
        check_url(url, loopback_allowed())
    except Invalid as exc:
        reason = exc.message.removeprefix("url: ")
        raise Invalid(exc.code, f"alert_chat_url: {reason}", "alert_chat_url") from None
    return url.strip()
