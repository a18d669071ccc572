"""The line: who is ahead of whom, the position a caller hears and the wait estimated."""

from __future__ import annotations

import math

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from callback.lifecycle.requests import SCHEDULER_SLACK
from callback.lifecycle.states import LIVE_ATTEMPT_STATUSES, RequestStatus
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, RequestFact, utcnow

PHONE = "phone"
# Being bridged, or talking: out of the line already.
OUT_OF_LINE = (RequestStatus.CALLING_VISITOR, RequestStatus.CONNECTED)
# With no history yet, a conversation is taken to last this long.
DEFAULT_TALK_SECONDS = 180
TALK_SAMPLE = 50


def queue_name(request: CallbackRequest) -> str:
    """Return the Twilio queue the caller waits in: their own, so an agent gets them only."""
    return f"callback-{request.id.hex}"


def _in_line_before(request: CallbackRequest) -> ColumnElement[bool]:
    return and_(
        CallbackRequest.widget_id == request.widget_id,
        CallbackRequest.channel == PHONE,
        CallbackRequest.id != request.id,
        CallbackRequest.created_at < request.created_at,
    )


def someone_ahead(session: Session, request: CallbackRequest) -> bool:
    """Return whether an earlier request of the line waits for an agent (not ringing one).

    Agents take whoever is first, on the phone or waiting for a callback: a later one
    leaves a free agent to the earlier, whose own dial job takes them. A web request has
    no place in the line: nobody is ahead of it.
    """
    if request.channel != PHONE:
        return False
    ringing = aliased(CallAttempt)
    ringing_an_agent = exists().where(
        ringing.request_id == CallbackRequest.id,
        ringing.leg == Leg.AGENT,
        ringing.round == CallbackRequest.round,
        ringing.status.in_(LIVE_ATTEMPT_STATUSES),
    )
    due = utcnow() + SCHEDULER_SLACK
    waiting = or_(
        CallbackRequest.status.in_((RequestStatus.QUEUED, RequestStatus.CALLING_AGENT)),
        and_(
            CallbackRequest.status == RequestStatus.SCHEDULED,
            CallbackRequest.scheduled_for <= due,
        ),
    )
    found = session.scalar(
        select(CallbackRequest.id)
        .where(_in_line_before(request), waiting, ~ringing_an_agent)
        .limit(1)
    )
    return found is not None


def position(session: Session, request: CallbackRequest) -> int:
    """Return the caller's place in line (1: next), counting callbacks still waiting."""
    ahead = session.scalar(
        select(func.count())
        .select_from(CallbackRequest)
        .where(
            _in_line_before(request),
            CallbackRequest.status.not_in([*OUT_OF_LINE, *_ended()]),
        )
    )
    return int(ahead or 0) + 1


def wait_minutes(session: Session, request: CallbackRequest, place: int) -> int:
    """Estimate the minutes until the caller's turn: the conversations ahead, shared out."""
    talks = (
        select(RequestFact.talk_seconds)
        .where(RequestFact.widget_id == request.widget_id, RequestFact.talk_seconds.is_not(None))
        .order_by(RequestFact.requested_at.desc())
        .limit(TALK_SAMPLE)
        .subquery()
    )
    average = session.scalar(select(func.avg(talks.c.talk_seconds))) or DEFAULT_TALK_SECONDS
    agents = session.scalar(
        select(func.count())
        .select_from(Agent)
        .where(
            Agent.team == request.widget.team,
            Agent.active.is_(True),
            Agent.available.is_(True),
            Agent.paused_reason.is_(None),
        )
    )
    return max(1, math.ceil(place * float(average) / max(int(agents or 0), 1) / 60))


def _ended() -> list[RequestStatus]:
    return [status for status in RequestStatus if status.is_terminal]
