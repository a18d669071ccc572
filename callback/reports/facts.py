"""Writing what the reports count, when a request ends, and catching up on older requests.

A request's figures are all known when it ends: when the visitor wanted the call, which
agents were rung and who answered or pressed 1, when the visitor was bridged and for how
long they talked. They are written then, in the ending's own transaction, so a report
never reads call events and never sees a half-counted request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from callback.models import (
    AgentLegFact,
    AttemptStatus,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestFact,
    RequestStatus,
)

# A later time the visitor asked for, rather than "now": more than this after asking.
SCHEDULED_AFTER = timedelta(minutes=1)
# A scheduled callback is kept when its first agent is rung within this of the slot.
ON_TIME_WITHIN = timedelta(minutes=1)
PAGE_LENGTH = 512
# Legs that never reached a phone are not offered to anyone.
NEVER_PLACED = frozenset({AttemptStatus.PENDING, AttemptStatus.NOT_CREATED})
BACKFILL_BATCH = 500
# The outcome of a phone-line caller who hung up while waiting (callback.lines.calls).
LINE_ABANDONED = "caller_hung_up"
ENDED = [status for status in RequestStatus if status.is_terminal]


def record_ended(session: Session, request: CallbackRequest) -> None:
    """Count the ended `request` (once) and each agent leg placed for it."""
    legs = session.scalars(
        select(CallAttempt)
        .where(CallAttempt.request_id == request.id, CallAttempt.leg == Leg.AGENT)
        .order_by(CallAttempt.attempt_number)
    ).all()
    session.add(request_fact(request, legs))
    session.add_all(agent_leg_facts(request, legs))


def request_fact(request: CallbackRequest, legs: Iterable[CallAttempt]) -> RequestFact:
    """Return the figures of one ended request, from its row and its agent legs."""
    placed = [leg for leg in legs if leg.status not in NEVER_PLACED]
    wanted = request.wanted_at or request.created_at
    local = request.created_at.astimezone(ZoneInfo(request.widget.timezone))
    scheduled = wanted - request.created_at > SCHEDULED_AFTER
    first_rung = min((leg.sent_at or leg.created_at for leg in placed), default=None)
    first_answer = min((leg.answered_at for leg in placed if leg.answered_at), default=None)
    return RequestFact(
        request_id=request.id,
        widget_id=request.widget_id,
        channel=request.channel,
        requested_at=request.created_at,
        local_day=local.date(),
        local_weekday=local.weekday(),
        local_hour=local.hour,
        page=page_path(request.page_url),
        campaign=request.utm_campaign,
        status=request.status.value,
        scheduled=scheduled,
        on_time=(first_rung - wanted <= ON_TIME_WITHIN) if scheduled and first_rung else None,
        agent_seconds=_seconds_after(wanted, first_answer),
        visitor_seconds=_seconds_after(wanted, request.connected_at),
        talk_seconds=request.talk_seconds,
        line_offered=request.line_offered_at is not None,
        line_callback=request.line_callback_at is not None,
        line_abandoned=request.outcome == LINE_ABANDONED,
    )


def agent_leg_facts(request: CallbackRequest, legs: Iterable[CallAttempt]) -> list[AgentLegFact]:
    """Return one row per agent leg placed: answered, pressed 1, and the talk it led to."""
    placed = [leg for leg in legs if leg.status not in NEVER_PLACED]
    accepted = [leg for leg in placed if leg.digits == "1"]
    talked_on = accepted[-1] if accepted and request.connected_at else None
    local_day = request.created_at.astimezone(ZoneInfo(request.widget.timezone)).date()
    return [
        AgentLegFact(
            widget_id=request.widget_id,
            agent_id=leg.agent_id,
            local_day=local_day,
            answered=leg.answered_at is not None,
            accepted=leg.digits == "1",
            talk_seconds=request.talk_seconds if leg is talked_on else None,
        )
        for leg in placed
    ]


def page_path(url: str | None) -> str | None:
    """Return the page's path alone: no scheme, host, query or fragment."""
    if not url:
        return None
    return (urlsplit(url).path or "/")[:PAGE_LENGTH]


def backfill(session: Session) -> int:
    """Count every ended request that has no figures yet (requests older than reports)."""
    counted = 0
    while ids := _uncounted(session):
        for request in session.scalars(select(CallbackRequest).where(CallbackRequest.id.in_(ids))):
            record_ended(session, request)
        session.commit()
        counted += len(ids)
    return counted


def _uncounted(session: Session) -> list[uuid.UUID]:
    counted = exists().where(RequestFact.request_id == CallbackRequest.id)
    return list(
        session.scalars(
            select(CallbackRequest.id)
            .where(CallbackRequest.status.in_(ENDED), ~counted)
            .limit(BACKFILL_BATCH)
        )
    )


def _seconds_after(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(round((end - start).total_seconds()), 0)
