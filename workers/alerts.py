"""Alert jobs: a failed or expired callback, the daily digest, the weekly report, a webhook
endpoint turned off.

E-mail goes through SMTP_URL; without it the e-mail part is logged and skipped (a chat
webhook, if set, still gets its line). A send that fails raises, so RQ retries the job;
a retry after a partial send may repeat the channel that had worked: an alert twice
is better than none.
"""

from __future__ import annotations

from datetime import date

from callback import db
from callback.integrations.alerts import (
    Alert,
    endpoint_disabled_alert,
    failure_alert,
    recipients,
    widget_staff_emails,
)
from callback.integrations.chat import ChatNotSent, post_chat
from callback.integrations.digest import (
    claim_digest,
    day_figures,
    digest_message,
    due_widgets,
    release_digest,
)
from callback.integrations.events import ALERT_TYPES
from callback.integrations.mail import MailNotConfigured, mail_configured, send_mail
from callback.models import WebhookEndpoint, WebhookEvent, Widget, utcnow
from callback.reports import weekly
from workers.context import JobLog, job_context

DIGEST_EVERY_SECONDS = 300
DIGEST_TIMEOUT_SECONDS = 600
WEEKLY_EVERY_SECONDS = 300
WEEKLY_TIMEOUT_SECONDS = 600
# What a send can meet from the other side (smtplib's errors are OSErrors).
SEND_ERRORS = (OSError, ChatNotSent, MailNotConfigured)


class DigestsNotSent(Exception):
    """Some digests failed to send; they are tried again on the next run."""


class WeeklyReportsNotSent(Exception):
    """Some weekly reports failed to send; they are tried again on the next run."""


def send_alert(event_id: int) -> int:
    """Tell the widget's alert recipients about a failed or expired callback; count channels."""
    with job_context(__name__, "-") as job_log:
        session = db.session()
        event = session.get(WebhookEvent, event_id)
        if event is None or event.type not in ALERT_TYPES:
            job_log.info("alert: no such failure event=%s", event_id)
            return 0
        job_log.extra = {**(job_log.extra or {}), "request_id": event.request_id}
        widget = session.get_one(Widget, event.widget_id)
        alert = failure_alert(event, widget)
        sent = deliver(alert, widget.alert_emails, widget.alert_chat_url, job_log)
        job_log.info("alert sent: event=%s channels=%s", event_id, sent)
        return sent


def send_digests() -> int:
    """Send each widget's digest of yesterday once its hour has come; count those sent."""
    with job_context(__name__, "-") as job_log:
        session = db.session()
        sent, failed = 0, 0
        for widget_id, day in due_widgets(session, utcnow()):
            widget = session.get_one(Widget, widget_id)
            before = widget.digest_sent_for
            if not claim_digest(session, widget_id, day):
                continue  # another run has it
            try:
                send_digest(widget, day, job_log)
            except SEND_ERRORS as exc:
                # One widget's dead mailbox or chat must not hold up the others' digests.
                error = type(exc).__name__
                job_log.warning("digest not sent: widget=%s error=%s", widget.key, error)
                release_digest(session, widget_id, day, before)
                failed += 1
                continue
            except BaseException:
                release_digest(session, widget_id, day, before)
                raise
            sent += 1
        job_log.info("digests: sent=%s failed=%s", sent, failed)
        if failed:
            raise DigestsNotSent(f"{failed} digest(s) not sent; the next run tries again")
        return sent


def send_digest(widget: Widget, day: date, job_log: JobLog) -> int:
    """Send `widget`'s digest of `day` to its recipients; count channels."""
    message = digest_message(widget, day, day_figures(db.session(), widget, day))
    return deliver(message, widget.alert_emails, widget.alert_chat_url, job_log)


def send_weekly_reports() -> int:
    """Send each widget's report of the week just ended on Monday from its hour; count them."""
    with job_context(__name__, "-") as job_log:
        session = db.session()
        sent, failed = 0, 0
        for widget_id, monday in weekly.due_widgets(session, utcnow()):
            widget = session.get_one(Widget, widget_id)
            before = widget.weekly_report_sent_for
            if not weekly.claim_week(session, widget_id, monday):
                continue  # another run has it
            channels = send_claimed_week(widget, monday, before, job_log)
            if channels is None:
                failed += 1
            else:
                sent += bool(channels)  # nobody to tell, or no SMTP_URL: done, though unsent
        job_log.info("weekly reports: sent=%s failed=%s", sent, failed)
        if failed:
            raise WeeklyReportsNotSent(
                f"{failed} weekly report(s) not sent; the next run tries again"
            )
        return sent


def send_claimed_week(
    widget: Widget, monday: date, before: str | None, job_log: JobLog
) -> int | None:
    """Send the claimed week's report; count channels. None: not sent, the claim given back."""
    widget_id, widget_key = widget.id, widget.key
    try:
        return send_weekly_report(widget, monday, job_log)
    except SEND_ERRORS as exc:
        # One widget's dead mailbox must not hold up the others' reports.
        error = type(exc).__name__
        job_log.warning("weekly report not sent: widget=%s error=%s", widget_key, error)
        weekly.release_week(db.session(), widget_id, monday, before)
        return None
    except BaseException:
        weekly.release_week(db.session(), widget_id, monday, before)
        raise


def send_weekly_report(widget: Widget, monday: date, job_log: JobLog) -> int:
    """E-mail `widget`'s report of the week from `monday` to those who manage it; count channels."""
    session = db.session()
    to = weekly.report_recipients(session, widget)
    if not to:
        job_log.info("weekly report: nobody manages widget=%s", widget.key)
        return 0
    message = weekly.report_message(widget, monday, weekly.week_figures(session, widget, monday))
    return deliver(message, to, None, job_log)  # e-mail only: the figures are for managers


def notify_endpoint_disabled(endpoint_id: int) -> int:
    """E-mail the widget's owners, managers and alert list that an endpoint was turned off."""
    with job_context(__name__, "-") as job_log:
        session = db.session()
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            return 0
        widget = session.get_one(Widget, endpoint.widget_id)
        to = recipients(widget_staff_emails(session, widget), widget.alert_emails)
        sent = deliver(endpoint_disabled_alert(endpoint, widget), to, None, job_log)
        job_log.info("endpoint disabled notice: endpoint=%s channels=%s", endpoint_id, sent)
        return sent


def deliver(message: Alert, emails: list[str], chat_url: str | None, job_log: JobLog) -> int:
    """Send `message` by e-mail and chat, where each is set up; count the channels that took it.

    A channel that fails is logged; the first failure is raised (so the job is tried
    again) only when no channel took the message: a retry must not repeat an e-mail
    because the chat webhook was down, or the other way round.
    """
    sent, failures = 0, []
    if emails and not mail_configured():
        job_log.warning("SMTP_URL is not set: e-mail to %s recipient(s) skipped", len(emails))
    elif emails:
        try:
            send_mail(emails, message.subject, message.body)
            sent += 1
        except SEND_ERRORS as exc:
            failures.append(exc)
    if chat_url:
        try:
            post_chat(chat_url, message.chat)
            sent += 1
        except SEND_ERRORS as exc:
            failures.append(exc)
    if failures and not sent:
        raise failures[0]
    for failure in failures:
        job_log.warning("alert channel failed, the other took it: error=%s", type(failure).__name__)
    return sent
