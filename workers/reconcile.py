"""The reconciler: the database is the truth, so put back whatever Redis or Twilio lost.

Runs periodically (see workers/cron.py). Every action is idempotent: a dial job that
finds its work done returns, and a call status applied twice changes nothing. Each row
is settled in a transaction of its own: one row that fails (a Twilio error, a bad row)
is logged by id and retried next run, and stops nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from callback import db, metrics
from callback.agents.routing import free_agents_by_team
from callback.lifecycle.legs import apply_status, never_dialled
from callback.lifecycle.states import (
    AT_TWILIO_STATUSES,
    FINAL_CALL_STATUSES,
    PENDING_STATUSES,
    AttemptStatus,
    RequestStatus,
)
from callback.lines.calls import still_there
from callback.models import (
    CallAttempt,
    CallbackRequest,
    Leg,
    MessageStatus,
    VisitorMessage,
    Widget,
    utcnow,
)
from callback.redis_client import redis_connection
from callback.telephony import small_int, twilio_client
from workers import waiting
from workers.calls import resolve_unsent
from workers.context import JobLog, job_context
from workers.dial import in_flight_since, rule_out_unsent
from workers.queues import enqueue_message, enqueue_reconcile_dial

log = logging.getLogger(__name__)
Row = TypeVar("Row")


class ReconcileIncomplete(Exception):
    """Some rows could not be settled this run (named by id); the next run tries again."""


def reconcile() -> dict[str, int]:
    """Re-enqueue lost or overdue dials and messages; finish calls whose end never came."""
    with job_context(__name__, "-") as job_log:
        failed: list[str] = []
        # Lost creates first, then silent calls: a call found ended may decide the next dial.
        result = {
            "lost_creates": _each(_lost_creates(), _settle_lost_create, job_log, failed),
            "calls_checked": _each(_silent_calls(), _fetch_call, job_log, failed),
            "unbridged_visitor_legs": _each(_unbridged_legs(), _settle_unbridged, job_log, failed),
            "callers_checked": _each(_unheard_callers(), _check_caller, job_log, failed),
        }
        result["requeued"] = _requeue_lost_dials()
        result["requeued_messages"] = _requeue_lost_messages()
        if failed:
            raise ReconcileIncomplete(f"{len(failed)} rows not settled: {', '.join(failed[:20])}")
        return result


def _each(
    rows: Sequence[Row],
    settle: Callable[[Session, Row, JobLog], None],
    job_log: JobLog,
    failed: list[str],
) -> int:
    """Settle each row in its own transaction (what it leaves to do follows its commit)."""
    session = db.session()
    for row in rows:
        name = f"{type(row).__name__}:{getattr(row, 'id', '?')}"
        try:
            settle(session, row, job_log)
            session.commit()
        except Exception as exc:  # noqa: BLE001 - isolated per row, reported at the end
            session.rollback()
            failed.append(name)
            # The type only: a Twilio error's text may quote a dialled number.
            job_log.warning("could not settle %s: %s", name, type(exc).__name__)
            metrics.reconciler_action("row_failed")
    return len(rows)


def _lost_creates() -> Sequence[CallAttempt]:
    """Legs written but never sent, or sent with no answer, older than any create in flight."""
    stale = utcnow() - timedelta(seconds=current_app.config["RECONCILE_STALE_SECONDS"])
    sent_before = min(stale, in_flight_since())
    return (
        db.session()
        .scalars(
            select(CallAttempt).where(
                or_(
                    and_(
                        CallAttempt.status == AttemptStatus.PENDING, CallAttempt.created_at < stale
                    ),
                    and_(
                        CallAttempt.status == AttemptStatus.UNKNOWN,
                        func.coalesce(CallAttempt.sent_at, CallAttempt.created_at) < sent_before,
                    ),
                )
            )
        )
        .all()
    )


def _settle_lost_create(session: Session, attempt: CallAttempt, job_log: JobLog) -> None:
    # A pending leg's job died before sending, or is still waiting for a call token:
    # ruled out here, that job's own send then finds it moved and stops.
    if attempt.status == AttemptStatus.PENDING:
        rule_out_unsent(session, attempt)
    else:
        resolve_unsent(session, attempt, job_log)
    metrics.reconciler_action("resolved_lost_create")


def _silent_calls() -> Sequence[CallAttempt]:
    silent_for = current_app.config["RECONCILE_SILENT_CALL_SECONDS"]
    return (
        db.session()
        .scalars(
            select(CallAttempt).where(
                CallAttempt.call_sid.is_not(None),
                CallAttempt.status.in_(AT_TWILIO_STATUSES),
                CallAttempt.created_at < utcnow() - timedelta(seconds=silent_for),
            )
        )
        .all()
    )


def _fetch_call(session: Session, attempt: CallAttempt, job_log: JobLog) -> None:
    call = twilio_client().calls(attempt.call_sid).fetch()
    if not call.status or call.status in AT_TWILIO_STATUSES:
        return
    apply_status(session, attempt, call.status, small_int(str(call.duration or "")))
    job_log.info("finished silent call: attempt=%s status=%s", attempt.id, call.status)
    metrics.reconciler_action("finished_silent_call")


def _unheard_callers() -> Sequence[CallbackRequest]:
    """Callers in line whose wait music Twilio has not fetched for a while."""
    unheard_since = utcnow() - timedelta(
        seconds=current_app.config["RECONCILE_SILENT_CALL_SECONDS"]
    )
    return (
        db.session()
        .scalars(
            select(CallbackRequest).where(
                CallbackRequest.on_line.is_(True),
                CallbackRequest.status.in_(PENDING_STATUSES),
                func.coalesce(CallbackRequest.line_seen_at, CallbackRequest.created_at)
                < unheard_since,
            )
        )
        .all()
    )


def _check_caller(session: Session, request: CallbackRequest, job_log: JobLog) -> None:
    call = twilio_client().calls(request.line_call_sid).fetch()
    if not still_there(session, request, str(call.status or "")):
        job_log.info("caller left the line unheard: request=%s", request.id)
        metrics.reconciler_action("caller_left_unheard")


def _unbridged_legs() -> Sequence[CallAttempt]:
    """Visitor legs with no call of their own whose accepting agent's call has ended.

    The agent pressed 1 and hung up before <Dial> ran, or every report of the visitor's
    call was lost: either way, nothing else will ever move the request on.
    """
    agent_leg = aliased(CallAttempt)
    ended_before = utcnow() - timedelta(seconds=current_app.config["RECONCILE_STALE_SECONDS"])
    accepted_and_gone = (
        select(agent_leg.id)
        .where(
            agent_leg.request_id == CallAttempt.request_id,
            agent_leg.round == CallAttempt.round,
            agent_leg.leg == Leg.AGENT,
            agent_leg.digits == "1",
            agent_leg.status.in_(FINAL_CALL_STATUSES),
            agent_leg.ended_at < ended_before,
        )
        .exists()
    )
    return (
        db.session()
        .scalars(
            select(CallAttempt).where(
                CallAttempt.leg == Leg.VISITOR,
                CallAttempt.status == AttemptStatus.QUEUED,
                CallAttempt.call_sid.is_(None),
                accepted_and_gone,
            )
        )
        .all()
    )


def _settle_unbridged(session: Session, leg: CallAttempt, job_log: JobLog) -> None:
    """Adopt the visitor's call if Twilio placed one; else close the leg and retry later."""
    request = session.get_one(CallbackRequest, leg.request_id)
    parent = session.scalar(
        select(CallAttempt.call_sid).where(
            CallAttempt.request_id == leg.request_id,
            CallAttempt.round == leg.round,
            CallAttempt.leg == Leg.AGENT,
            CallAttempt.digits == "1",
        )
    )
    children = twilio_client().calls.list(parent_call_sid=parent, limit=5) if parent else []
    if children:
        leg.call_sid = children[0].sid  # its status is fetched as a silent call's
        job_log.info("found the visitor's call of attempt=%s", leg.id)
        return
    job_log.info("visitor leg never dialled: attempt=%s", leg.id)
    metrics.reconciler_action("closed_unbridged_leg")
    never_dialled(session, request, leg)


def _requeue_lost_dials() -> int:
    """Put back the dial job of every request left waiting too long with no job alive.

    A request waiting in its team's line for a busy agent is not lost: the agent's next
    free moment dials it, so re-dialling every waiter each pass, only to find the agents
    still busy, cost one dial job per waiter per pass. Waiters are dialled again only
    past their maximum wait (so that they end as expired on time), and, oldest first, as
    many as the team has agents free now: a wake spent on a request that had already
    ended (a caller who hung up in line) leaves an agent idle that nothing else would
    give to the next waiter. Only waiters stale for RECONCILE_STALE_SECONDS count, so a
    wake still on its way (the oldest is dialled first in the queue) rarely meets a
    second dial; if it does, the older rejoins the line and keeps its place.
    """
    session = db.session()
    now = utcnow()
    cutoff = now - timedelta(seconds=current_app.config["RECONCILE_STALE_SECONDS"])
    rows = session.execute(
        select(
            CallbackRequest.id,
            CallbackRequest.round,
            CallbackRequest.created_at,
            Widget.team,
            func.coalesce(CallbackRequest.wanted_at, CallbackRequest.created_at).label("asked"),
            Widget.max_wait_minutes,
        )
        .join(Widget, Widget.id == CallbackRequest.widget_id)
        .where(
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
    # The line's order, sorted here: an ORDER BY created_at could lead PostgreSQL to walk
    # the whole created_at index (every request ever) instead of the few pending ones.
    overdue = sorted(rows, key=lambda row: row.created_at)
    still_waiting = [
        row for row in overdue if now <= row.asked + timedelta(minutes=row.max_wait_minutes)
    ]
    in_line = _in_line([(row.team, str(row.id), row.round) for row in still_waiting])
    free = free_agents_by_team(session, {row.team for row in overdue}) if in_line else {}
    requeued = 0
    for row in overdue:
        if (str(row.id), row.round) in in_line:
            if free.get(row.team, 0) <= 0:
                continue
            free[row.team] -= 1
        if enqueue_reconcile_dial(row.id, row.round) is not None:
            requeued += 1
            metrics.reconciler_action("requeued_dial")
    if requeued:
        log.info("reconciler re-enqueued %d dial jobs", requeued)
    return requeued


def _in_line(places: list[tuple[str, str, int]]) -> set[tuple[str, int]]:
    """The places still kept in a team's line; with Redis unreadable, none (dial them all)."""
    if not places:
        return set()
    try:
        return waiting.in_line(redis_connection(), places)
    except RedisError:
        return set()


def _requeue_lost_messages() -> int:
    """Put back the send job of every visitor message overdue and untouched for a while.

    A message's job is lost with Redis like a dial's; a reminder scheduled for later
    included. Its job reloads the message and sends it only if it is still pending and
    wanted, so a job that was merely slow changes nothing.
    """
    cutoff = utcnow() - timedelta(seconds=current_app.config["RECONCILE_STALE_SECONDS"])
    overdue = db.session().scalars(
        select(VisitorMessage.id).where(
            VisitorMessage.status == MessageStatus.PENDING,
            VisitorMessage.send_at < cutoff,
            VisitorMessage.updated_at < cutoff,
        )
    )
    requeued = sum(
        enqueue_message(message_id, tag="reconcile") is not None for message_id in overdue
    )
    if requeued:
        metrics.reconciler_action("requeued_message")
        log.info("reconciler re-enqueued %d message jobs", requeued)
    return requeued
