"""The reconciler: the database is the truth, so put back whatever Redis or Twilio lost.

Runs periodically (see workers/cron.py). Every action is idempotent: a dial job that
finds its work done returns, and a call status applied twice changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select
from twilio.base.exceptions import TwilioRestException

from callback import db
from callback.flow import FollowUp
from callback.models import CallAttempt, CallbackRequest, RequestStatus, utcnow
from callback.telephony import twilio_client
from webhooks.progress import apply_status
from workers.context import job_context
from workers.queues import enqueue_follow_up, enqueue_reconcile_dial

log = logging.getLogger(__name__)

# Work untouched for this long is presumed lost rather than merely queued.
STALE_AFTER = timedelta(seconds=30)
# A call that has not reported an end for this long is asked about at Twilio.
SILENT_CALL_AFTER = timedelta(minutes=2)
LIVE_AT_TWILIO = ("queued", "initiated", "ringing", "in-progress")


def reconcile() -> dict[str, int]:
    """Re-enqueue lost or overdue dials and finish calls whose end was never reported."""
    with job_context(__name__, "-"):
        return {
            "requeued": _requeue_lost_dials(),
            "calls_checked": _finish_silent_calls(),
        }


def _requeue_lost_dials() -> int:
    session = db.session()
    cutoff = utcnow() - STALE_AFTER
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
    if requeued:
        log.info("reconciler re-enqueued %d dial jobs", requeued)
    return requeued


def _finish_silent_calls() -> int:
    session = db.session()
    silent = session.scalars(
        select(CallAttempt).where(
            CallAttempt.call_sid.is_not(None),
            CallAttempt.status.in_(LIVE_AT_TWILIO),
            CallAttempt.created_at < utcnow() - SILENT_CALL_AFTER,
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
    session.commit()
    for follow_up in follow_ups:
        enqueue_follow_up(follow_up)
    return len(silent)
