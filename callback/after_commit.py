"""Work decided inside a transaction and done once it commits: the one after-commit mechanism.

Domain code says *what* should follow a change (`add(session, work)`: ring the next
agent, end a request's calls); the jobs layer says *how*, by installing the handler
that enqueues each piece of work (`workers.queues.init_app`). So no job is ever
enqueued for state that was rolled back, and the domain never imports the jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

PENDING_KEY = "callback.after_commit"

log = logging.getLogger(__name__)

Handler = Callable[[Any], object]


@dataclass
class Receipt:
    """One piece of work waiting for the commit; `result` is the handler's answer after it."""

    work: Hashable
    result: object = None


_handler: Handler | None = None


def add(session: Session, work: Hashable) -> Receipt:
    """Do `work` after `session` commits; the same work added twice is done once."""
    if not session.in_transaction():
        session.begin()  # the work belongs to a transaction, so a rollback drops it
    pending: dict[Hashable, Receipt] = session.info.setdefault(PENDING_KEY, {})
    if work not in pending:
        pending[work] = Receipt(work)
    return pending[work]


def install(handler: Handler) -> None:
    """Have `handler(work)` called for each piece of work of every committed session."""
    global _handler
    _handler = handler
    for name, listener in (("after_commit", _committed), ("after_soft_rollback", _rolled_back)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _committed(session: Session) -> None:
    pending: dict[Hashable, Receipt] = session.info.pop(PENDING_KEY, {})
    handler = _handler
    if handler is None:
        if pending:
            log.warning("no after-commit handler installed: %d pieces dropped", len(pending))
        return
    for receipt in pending.values():
        try:
            receipt.result = handler(receipt.work)
        except Exception as exc:  # noqa: BLE001 - committed already: the rest must still run
            # Raising would fail a caller whose change did commit and leave its session
            # unusable; docs/lifecycle.md says what catches up with each lost piece.
            log.error(
                "after-commit work failed: %s error=%s",
                type(receipt.work).__name__,
                type(exc).__name__,
            )


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    # A savepoint rolled back leaves the outer transaction's work standing (work added
    # inside the savepoint too: nothing adds work inside one, and every job reloads its
    # row and stops when the state has moved on).
    if not previous.nested:
        session.info.pop(PENDING_KEY, None)
