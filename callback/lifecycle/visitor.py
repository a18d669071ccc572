"""What a visitor may see of their request, and withdrawing it."""

from __future__ import annotations

from typing import Any

from callback import db
from callback.lifecycle.requests import withdraw
from callback.models import CallbackRequest, iso
from callback.schedule.queue_estimate import estimate


def public_status(request: CallbackRequest) -> dict[str, Any]:
    """Return the request's status as the visitor sees it: never the number."""
    wait = estimate(db.session(), request)
    return {
        "id": str(request.id),
        "status": request.status.value,
        "outcome": request.outcome,
        "scheduled_for": iso(request.scheduled_for),
        "created_at": iso(request.created_at),
        "updated_at": iso(request.updated_at),
        "ended_at": iso(request.ended_at),
        "queue_position": wait.position,
        "estimated_wait_seconds": wait.seconds,
    }


def cancel_request(request: CallbackRequest, actor: str) -> bool:
    """Withdraw a pending request: cancel it, erase the number now, end any live call."""
    session = db.session()
    if not withdraw(session, request, actor, "withdrawn"):
        return False
    session.commit()
    return True
