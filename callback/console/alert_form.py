"""A widget's alert settings on its integrations page: who hears of failures, the daily
digest and the weekly report, and whether webhooks carry the visitor's number.

The form keeps what the person typed (to show it again beside a refusal); `check` turns
it into the widget's columns or refusals in the page's language. Sharing the number is
the owner's decision, and only under a privacy notice of the widget's own that says so:
it is stored as the consent version the owner confirmed, so a changed notice stops the
sharing until it is confirmed again (integrations.events.shares_number).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from callback.accounts.invitations import normal_email
from callback.errors import Invalid
from callback.integrations.addresses import check_url
from callback.integrations.alerts import chat_url_for_audit
from callback.integrations.endpoints import loopback_allowed
from callback.models import Widget
from callback.texts import N_

MAX_RECIPIENTS = 20
HOURS = range(24)
URL_REFUSED = N_("console.integrations.error.url")
EMAIL_REFUSED = N_("console.integrations.error.email")
TOO_MANY_RECIPIENTS = N_("console.integrations.error.too_many_recipients")
HOUR_REFUSED = N_("console.integrations.error.hour")
NO_NOTICE = N_("console.integrations.error.no_notice")
NOT_CONFIRMED = N_("console.integrations.error.not_confirmed")


def values_of(widget: Widget) -> dict[str, Any]:
    """Return the form's values showing the widget's settings."""
    return {
        "alert_emails": "\n".join(widget.alert_emails),
        "alert_chat_url": widget.alert_chat_url or "",
        "digest_enabled": widget.digest_enabled,
        "digest_hour": str(widget.digest_hour),
        "weekly_report_enabled": widget.weekly_report_enabled,
        "share_number": widget.webhook_number_consent_version is not None,
        "share_confirmed": shares_current_notice(widget),
    }


def values_from(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the form's values as the person sent them."""
    return {
        "alert_emails": form.get("alert_emails", ""),
        "alert_chat_url": form.get("alert_chat_url", ""),
        "digest_enabled": bool(form.get("digest_enabled")),
        "digest_hour": form.get("digest_hour", ""),
        "weekly_report_enabled": bool(form.get("weekly_report_enabled")),
        "share_number": bool(form.get("share_number")),
        "share_confirmed": bool(form.get("share_confirmed")),
    }


def shares_current_notice(widget: Widget) -> bool:
    """Return whether the number is shared under the notice visitors see now."""
    return widget.webhook_number_consent_version == widget.consent_version


def check(
    widget: Widget, values: dict[str, Any], may_share: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the widget's new settings, or no settings and {field: why} for each refusal.

    Without `may_share` (a manager) the number's sharing stays as it is.
    """
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "alert_emails": _emails(values["alert_emails"], errors),
        "alert_chat_url": _chat_url(values["alert_chat_url"], errors),
        "digest_enabled": values["digest_enabled"],
        "digest_hour": _hour(values["digest_hour"], errors),
        "weekly_report_enabled": values["weekly_report_enabled"],
    }
    if may_share:
        fields["webhook_number_consent_version"] = _shared_version(widget, values, errors)
    return ({}, errors) if errors else (fields, {})


def audited(fields: dict[str, Any]) -> dict[str, Any]:
    """Return `fields` as the audit log keeps them: a chat URL's path is its credential."""
    if not fields.get("alert_chat_url"):
        return fields
    return {**fields, "alert_chat_url": chat_url_for_audit(fields["alert_chat_url"])}


def _emails(text: str, errors: dict[str, str]) -> list[str]:
    emails: list[str] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        try:
            email = normal_email(line)
        except Invalid:
            errors.setdefault("alert_emails", gettext(EMAIL_REFUSED).format(email=line))
            continue
        if email not in emails:
            emails.append(email)
    if len(emails) > MAX_RECIPIENTS and "alert_emails" not in errors:
        errors["alert_emails"] = gettext(TOO_MANY_RECIPIENTS).format(limit=MAX_RECIPIENTS)
    return emails


def _chat_url(text: str, errors: dict[str, str]) -> str | None:
    url = text.strip()
    if not url:
        return None
    try:
        check_url(url, loopback_allowed())
    except Invalid:
        errors["alert_chat_url"] = gettext(URL_REFUSED)
    return url


def _hour(text: str, errors: dict[str, str]) -> int:
    text = text.strip()
    if text.isdecimal() and int(text) in HOURS:
        return int(text)
    errors["digest_hour"] = gettext(HOUR_REFUSED)
    return 0


def _shared_version(widget: Widget, values: dict[str, Any], errors: dict[str, str]) -> str | None:
    if not values["share_number"]:
        return None
    if not widget.privacy_notice:
        errors["share_number"] = gettext(NO_NOTICE)
    elif not values["share_confirmed"]:
        errors["share_confirmed"] = gettext(NOT_CONFIRMED)
    return widget.consent_version
