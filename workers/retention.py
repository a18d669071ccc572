"""The retention cap: no visitor number outlives RETENTION_MAX_HOURS, whatever happens.

How it runs: RQ 3.0's cron (rq.cron.CronScheduler) enqueues `run_retention` every few
minutes from the `callback cron` process (workers/cron.py). RQ's CronScheduler is a
blocking loop that installs signal handlers, so it cannot share the `callback worker`
process, which already blocks in Worker.work(); it runs as one process of its own and the
workers run the jobs it enqueues. The job is idempotent: a run enqueued twice erases
nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq.cron import CronScheduler
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from callback import after_commit, db
from callback.integrations import events
from callback.lifecycle import sms
from callback.lifecycle.requests import forget
from callback.lifecycle.work import EndCalls
from callback.models import AuditEntry, CallbackRequest, Invitation, RequestStatus, utcnow
from workers.context import job_context
from workers.provider_records import unerased_requests
from workers.queues import enqueue_provider_erasure, register_periodic

RETENTION_EVERY_SECONDS = 300
RETENTION_OUTCOME = "retention_cap"
BATCH_SIZE = 500
# Ended webhook events, their deliveries and attempts are kept this long: long enough
# for an owner to look into a failure and replay it, no longer.
WEBHOOK_DAYS = 30


def expired_requests(session: Session, cap_hours: float) -> list[CallbackRequest]:
    """Return requests holding a number past the cap, counted from when the visitor asked.

    A scheduled callback counts from its chosen time; retry rounds never extend the cap.
    """
    cutoff = utcnow() - timedelta(hours=cap_hours)
    asked_at = func.coalesce(CallbackRequest.wanted_at, CallbackRequest.created_at)
    query = select(CallbackRequest).where(
        CallbackRequest.phone.is_not(None),
        CallbackRequest.created_at < cutoff,
        asked_at < cutoff,
    )
    return list(session.scalars(query.order_by(CallbackRequest.created_at).limit(BATCH_SIZE)))


def erase_expired() -> int:
    """End every request past the retention cap as expired, erasing its number; count them."""
    with job_context(__name__, "-") as job_log:
        session = db.session()
        cap = current_app.config["RETENTION_MAX_HOURS"]
        erased = 0
        while batch := expired_requests(session, cap):
            for request in batch:
                if not request.status.is_terminal:
                    # A call still up past the cap is ended too.
                    after_commit.add(session, EndCalls(request.id))
                erased += forget(session, request, RequestStatus.EXPIRED, RETENTION_OUTCOME)
            session.commit()
        job_log.info("retention cap: erased=%s", erased)
        return erased


def sweep_staff_records() -> tuple[int, int]:
    """Delete audit entries past AUDIT_RETENTION_DAYS and invitations past their expiry.

    An invitation is only a way in for 72 hours; after that, used or not, it is history
    nobody needs (an owner makes a new link for someone who missed it). Returns how
    many audit entries and invitations were deleted.
    """
    with job_context(__name__, "-") as job_log:
        session = db.session()
        now = utcnow()
        cutoff = now - timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"])
        entries = session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
        invitations = session.execute(delete(Invitation).where(Invitation.expires_at < now))
        session.commit()
        counts = (entries.rowcount or 0, invitations.rowcount or 0)  # type: ignore[attr-defined]
        job_log.info("retention: audit_entries=%s invitations=%s", *counts)
        return counts


def sweep_webhook_records() -> tuple[int, int]:
    """Null event numbers no longer needed or past the cap; delete events past WEBHOOK_DAYS.

    A number goes once no delivery of its event is pending (whatever a race between two
    jobs left behind), or once its request is past the retention cap, counted as for the
    request itself; a delivery still retrying past the cap goes on without the number.
    Events go after WEBHOOK_DAYS whatever their state: pending ones then wait only for
    an endpoint left turned off. Returns how many numbers were nulled and how many
    events (with deliveries and attempts) deleted.
    """
    with job_context(__name__, "-") as job_log:
        session = db.session()
        now = utcnow()
        cap = timedelta(hours=current_app.config["RETENTION_MAX_HOURS"])
        nulled = events.forget_numbers_sent(session)
        nulled += events.forget_numbers_before(session, now - cap)
        deleted = events.delete_made_before(session, now - timedelta(days=WEBHOOK_DAYS))
        session.commit()
        job_log.info("retention: webhook_numbers=%s webhook_events=%s", nulled, deleted)
        return nulled, deleted


def sweep_message_numbers() -> int:
    """Null the number of visitor messages past the cap; return how many.

    A "missed" text keeps its copy only until its first send ends (workers.sms); one
    whose jobs were all lost, or that waits on an outage, loses it here at the latest.
    """
    with job_context(__name__, "-") as job_log:
        session = db.session()
        cap = timedelta(hours=current_app.config["RETENTION_MAX_HOURS"])
        nulled = sms.forget_numbers_before(session, utcnow() - cap)
        session.commit()
        job_log.info("retention: message_numbers=%s", nulled)
        return nulled


def run_retention() -> int:
    """The periodic job: erase numbers past the cap, then retry pending provider erasures.

    It also deletes old audit entries and spent invitations (sweep_staff_records),
    old webhook events with their deliveries (sweep_webhook_records), and nulls the
    number of visitor texts past the cap (sweep_message_numbers).
    """
    erased = erase_expired()
    sweep_staff_records()
    sweep_webhook_records()
    sweep_message_numbers()
    with job_context(__name__, "-"):
        if current_app.config.get("ERASE_PROVIDER_RECORDS"):
            for request_id in unerased_requests(db.session()):
                enqueue_provider_erasure(request_id)
    return erased


def register_retention(scheduler: CronScheduler) -> None:
    """Have RQ's cron scheduler enqueue the retention run every few minutes."""
    register_periodic(scheduler, run_retention, RETENTION_EVERY_SECONDS, timeout=300)
