"""The reconciler: the database is the truth, so put back whatever Redis or Twilio lost.

Runs periodically (see workers/cron.py). Every action is idempotent: a dial job that
finds its work done returns, and a call status applied twice changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select
from twilio.base.exceptions import TwilioRestException

from callback import db
from callback.flow import FollowUp
from callback.models import CallAttempt, CallbackRequest, RequestStatus, utcnow
from callback.ops import metrics
from callback.telephony import twilio_client
from webhooks.progress import apply_status
from workers.calls import resolve_unsent
from workers.context import JobLog, job_context
from workers.queues import enqueue_follow_up, enqueue_reconcile_dial

log = logging.getLogger(__name__)

LIVE_AT_TWILIO = ("queued", "initiated", "ringing", "in-progress")


def reconcile() -> dict[str, int]:
    """Re-enqueue lost or overdue dials and finish calls whose end was never reported."""
    with job_context(__name__, "-") as job_log:
        # Lost creates first, then silent calls: a call found ended may decide the next dial.
        unknown = _resolve_lost_creates(job_log)
        calls_checked = _finish_silent_calls()
        return {
            "lost_creates": unknown,
            "calls_checked": calls_checked,
            "requeued": _requeue_lost_dials(),
        }


def _resolve_lost_creates(job_log: JobLog) -> int:
    """Find the call behind every attempt whose create got no answer, or rule it out.

    Only attempts older than any create could still be in flight are looked at; the
    request may have ended meanwhile, but its call still has to be accounted for.
    """
    config = current_app.config
    in_flight = config["TWILIO_CONNECT_TIMEOUT"] + config["TWILIO_READ_TIMEOUT"] + 5
    cutoff = utcnow() - timedelta(seconds=max(config["RECONCILE_STALE_SECONDS"], in_flight))
    session = db.session()
    lost = session.scalars(
        select(CallAttempt).where(
            CallAttempt.status.in_(("pending", "unknown")), CallAttempt.created_at < cutoff
        )
    ).all()
    for attempt in lost:
        resolve_unsent(session, attempt, job_log)
        metrics.reconciler_action("resolved_lost_create")
    session.commit()
    return len(lost)


def _requeue_lost_dials() -> int:
    session = db.session()
    cutoff = utcnow() - timedelta(seconds=current_app.config["RECONCILE_STALE_SECONDS"])
    waiting = session.scalars(
        select(CallbackRequest).where(
            or_(
                (CallbackRequest.status == RequestStatus.QUEUED)
                & (CallbackRequest.updated_at < cutoff),
                (CallbackRequest.status == RequestStatus.SCHEDULED)
                & (CallbackRequest.scheduled_for < cutoff),
                (CallbackRequest.status == RequestStatus.CALLING_AGENT)
                & (CallbackRequest.updated_at < cutoff),
            )
        )
    ).all()
    requeued = 0
    for request_row in waiting:
        if enqueue_reconcile_dial(request_row.id, request_row.round) is not None:
            requeued += 1
            metrics.reconciler_action("requeued_dial")
    if requeued:
        log.info("reconciler re-enqueued %d dial jobs", requeued)
    return requeued


def _finish_silent_calls() -> int:
    session = db.session()
    silent = session.scalars(
        select(CallAttempt).where(
            CallAttempt.call_sid.is_not(None),
            CallAttempt.status.in_(LIVE_AT_TWILIO),
            CallAttempt.created_at
            < utcnow() - timedelta(seconds=current_app.config["RECONCILE_SILENT_CALL_SECONDS"]),
        )
    ).all()
    client = twilio_client()
    follow_ups: list[FollowUp] = []
    for attempt in silent:
        try:
            call = client.calls(attempt.call_sid).fetch()
        except TwilioRestException as exc:
            log.warning("cannot fetch call of attempt=%s: code=%s", attempt.id, exc.code)
            continue
        if call.status and call.status not in LIVE_AT_TWILIO:
            duration = str(call.duration or "")
            follow_up = apply_status(session, attempt, call.status, {"CallDuration": duration})
            if follow_up is not None:
                follow_ups.append(follow_up)
            log.info("finished silent call: attempt=%s status=%s", attempt.id, call.status)
            metrics.reconciler_action("finished_silent_call")
    session.commit()
    for follow_up in follow_ups:
        enqueue_follow_up(follow_up)
    return len(silent)
