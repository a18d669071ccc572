"""Where a waiting visitor stands in their team's queue, and when their phone may ring.

The estimate comes from the team's recent history: the median time from submission to
an agent's phone ringing, plus, for each request ahead, the median length of a handled
call shared among the team's active agents.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callback.models import Agent, CallbackRequest, RequestStatus, Widget, utcnow

HISTORY = timedelta(hours=24)
HISTORY_ROWS = 200
# Until a team has history, a first guess: ringing in 15 s, 3 minutes a call.
DEFAULT_RING_SECONDS = 15.0
DEFAULT_HANDLE_SECONDS = 180.0
WAITING = (RequestStatus.QUEUED, RequestStatus.SCHEDULED)


@dataclass(frozen=True)
class Estimate:
    position: int | None
    seconds: int | None


def _ahead(session: Session, request: CallbackRequest, now: datetime) -> int:
    mine = request.wanted_at or request.created_at
    due = or_(
        CallbackRequest.status != RequestStatus.SCHEDULED, CallbackRequest.scheduled_for <= now
    )
    count = session.scalar(
        select(func.count())
        .select_from(CallbackRequest)
        .join(Widget, CallbackRequest.widget_id == Widget.id)
        .where(
            Widget.team == request.widget.team,
            CallbackRequest.status.in_(WAITING),
            due,
            func.coalesce(CallbackRequest.wanted_at, CallbackRequest.created_at) < mine,
            CallbackRequest.id != request.id,
        )
    )
    return int(count or 0)


def _medians(session: Session, team: str, now: datetime) -> tuple[float, float]:
    rows = session.execute(
        select(
            func.coalesce(CallbackRequest.wanted_at, CallbackRequest.created_at),
            CallbackRequest.agent_ringing_at,
            CallbackRequest.ended_at,
        )
        .join(Widget, CallbackRequest.widget_id == Widget.id)
        .where(
            Widget.team == team,
            CallbackRequest.agent_ringing_at.is_not(None),
            CallbackRequest.created_at > now - HISTORY,
        )
        .order_by(CallbackRequest.created_at.desc())
        .limit(HISTORY_ROWS)
    ).all()
    rings = [(rang - wanted).total_seconds() for wanted, rang, _ in rows if rang and wanted]
    handles = [(ended - rang).total_seconds() for _, rang, ended in rows if rang and ended]
    ring = statistics.median(rings) if rings else DEFAULT_RING_SECONDS
    handle = statistics.median(handles) if handles else DEFAULT_HANDLE_SECONDS
    return max(ring, 0.0), max(handle, 0.0)


def estimate(session: Session, request: CallbackRequest) -> Estimate:
    """Return the request's place among its team's waiting requests and seconds to ring."""
    if request.status not in WAITING:
        return Estimate(None, None)
    now = utcnow()
    scheduled = request.scheduled_for
    if request.status == RequestStatus.SCHEDULED and scheduled and scheduled > now:
        return Estimate(None, int((scheduled - now).total_seconds()))
    team = request.widget.team
    ahead = _ahead(session, request, now)
    agents = session.scalar(
        select(func.count()).select_from(Agent).where(Agent.team == team, Agent.active)
    )
    ring, handle = _medians(session, team, now)
    seconds = ring + ahead * handle / max(int(agents or 0), 1)
    return Estimate(ahead + 1, int(seconds))
