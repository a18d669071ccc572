"""Ending a request: the terminal status and the erasure of its number, in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from callback.models import AuditEntry, CallbackRequest, RequestStatus, utcnow
from callback.ops import metrics

# Ids of requests finished in a session, read after its commit (provider-record erasure).
FINISHED_IN_SESSION = "callback.finished_requests"


def finish(
    session: Session,
    request: CallbackRequest,
    status: RequestStatus,
    outcome: str,
    actor: str = "system",
) -> bool:
    """Move `request` to terminal `status`, erase its number and audit it.

    Returns False (and changes nothing) when the request had already ended; status
    never moves backwards and an ended request is never reopened.
    """
    if not status.is_terminal:
        raise ValueError(f"{status} is not a terminal status")
    if request.status.is_terminal:
        return False
    now = utcnow()
    request.status = status
    request.outcome = outcome
    request.ended_at = now
    request.phone = None
    request.erased_at = now
    session.add(
        AuditEntry(
            request_id=request.id,
            action=f"request_{status.value}",
            actor=actor,
            details={"outcome": outcome, "number_erased": True},
        )
    )
    session.info.setdefault(FINISHED_IN_SESSION, set()).add(request.id)
    metrics.request_finished(request)
    return True


def forget(
    session: Session,
    request: CallbackRequest,
    status: RequestStatus,
    outcome: str,
    actor: str = "system",
) -> bool:
    """End `request` as `status` if it is pending, and erase its number whatever its status.

    Returns whether anything changed. A terminal request never keeps a number, but rows
    written before that rule (or by hand) are erased here too.
    """
    if finish(session, request, status, outcome, actor):
        return True
    if request.phone is None:
        return False
    request.phone = None
    request.erased_at = utcnow()
    session.add(
        AuditEntry(
            request_id=request.id,
            action="number_erased",
            actor=actor,
            details={"outcome": outcome, "status": request.status.value},
        )
    )
    return True


def advance(request: CallbackRequest, status: RequestStatus) -> bool:
    """Move `request` forward to a non-terminal `status`; never backwards."""
    if status.is_terminal:
        raise ValueError("use finish() for terminal statuses")
    if request.status.is_terminal or status.rank <= request.status.rank:
        return False
    request.status = status
    return True
