"""Applying one call status to its attempt and its request (webhooks and reconciler)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from callback.agents import note_agent_leg_end
from callback.flow import FollowUp, agent_leg_ended, visitor_leg_ended
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus, utcnow
from callback.ops import metrics
from callback.privacy import advance
from webhooks.events import apply_call_status, is_final

RANG = frozenset({"ringing", "in-progress", "completed"})


def apply_status(
    session: Session, attempt: CallAttempt, status: str, form: Mapping[str, str]
) -> FollowUp | None:
    """Move the attempt forward to `status` and let the request follow; return work to do."""
    request_row = session.get_one(CallbackRequest, attempt.request_id)
    if attempt.leg == Leg.AGENT and status in RANG and request_row.agent_ringing_at is None:
        # Callbacks may come out of order: an answered phone has rung, whenever we hear it.
        request_row.agent_ringing_at = utcnow()
        metrics.agent_ringing(request_row)
    if not apply_call_status(attempt, status, form):
        return None
    if attempt.leg == Leg.AGENT and is_final(status):
        note_agent_leg_end(session, attempt, status)
    if attempt.round != request_row.round or request_row.status.is_terminal:
        return None  # a late report about an earlier round or an ended request
    if attempt.leg == Leg.AGENT:
        return agent_leg_ended(session, request_row, attempt) if is_final(status) else None
    if status == "in-progress" and advance(request_row, RequestStatus.CONNECTED):
        request_row.connected_at = utcnow()
        metrics.bridged(request_row)
    if is_final(status):
        return visitor_leg_ended(session, request_row, attempt, status, attempt.duration_seconds)
    return None
