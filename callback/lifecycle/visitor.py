"""What a visitor may see of their request, and withdrawing it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import inspect

from callback import db
from callback.blocklist.decoys import find_decoy, withdraw_decoy
from callback.lifecycle.requests import withdraw
from callback.lifecycle.states import PENDING_STATUSES
from callback.models import CallbackRequest, RequestStatus, iso, utcnow
from callback.schedule.queue_estimate import estimate
from callback.security.tokens import owned_request, token_matches


def visitor_request(request_id: str, token: str | None) -> CallbackRequest | None:
    """Return the request (or a blocked visitor's decoy) whose status token is `token`.

    A decoy must answer as a request does, or its status URL would tell it is one.
    """
    found = owned_request(request_id, token)
    if found is not None:
        return found
    try:
        parsed = uuid.UUID(request_id)
    except ValueError:
        return None
    return find_decoy(db.session(), parsed) if token_matches(parsed, token) else None


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
    if inspect(request).transient:  # a decoy: never stored, nothing to end
        if request.status not in PENDING_STATUSES:
            return False  # as withdrawing an ended request answers: a decoy looks the same
        # A plain assignment, not a conditional UPDATE: the decoy is no row, only this
        # object and its Redis record, which withdraw_decoy then overwrites.
        request.status = RequestStatus.CANCELED
        request.outcome = "withdrawn"
        request.updated_at = request.ended_at = utcnow()
        withdraw_decoy(request)
        return True
    session = db.session()
    if not withdraw(session, request, actor, "withdrawn"):
        return False
    session.commit()
    return True
