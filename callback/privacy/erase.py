"""Data-subject erasure: remove one number from the database, Redis and Twilio now."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session

from callback import after_commit
from callback.blocklist.entries import forget_number
from callback.integrations import events
from callback.lifecycle import sms
from callback.lifecycle.requests import forget
from callback.lifecycle.work import DropDialJobs, EndCalls, EraseProviderRecords
from callback.models import AuditEntry, RequestStatus
from callback.phones.hashing import delete_phone_keys
from callback.privacy.export import abuse_limit_keys, requests_of

ERASED_ON_REQUEST = "erased_on_request"


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed; counts only, never the number."""

    requests: int
    pending_canceled: int
    jobs_deleted: int
    redis_keys_deleted: int
    provider_erasures_queued: int
    block_entries_deleted: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def erase_number(session: Session, redis: Redis, e164: str, actor: str) -> Erasure:
    """Erase `e164` everywhere: cancel pending requests, null every copy, drop Redis keys.

    Its jobs are dropped, live calls ended and Twilio's records deleted (when
    ERASE_PROVIDER_RECORDS is on) right after the commit; the counts say what was done.
    """
    rows = requests_of(session, e164)
    pending = [row.id for row in rows if not row.status.is_terminal]
    for row in rows:
        forget(session, row, RequestStatus.CANCELED, ERASED_ON_REQUEST, actor)
    # Events shared with the widget's endpoints, the cancellation's own among them.
    events.forget_number(session, e164)
    # A "we tried to call you" text not sent yet: it is not sent at all.
    sms.forget_number(session, e164)
    blocks = forget_number(session, e164)
    # With the abuse limits' keys: a blocked visitor's decoy marker (callback/blocklist).
    keys = abuse_limit_keys(redis, e164)
    ids = [row.id for row in rows]
    session.add(
        AuditEntry(
            request_id=None,
            action="subject_erasure",
            actor=actor,
            details={
                "requests": [str(i) for i in ids],
                "redis_keys": len(keys),
                "block_entries": blocks,
            },
        )
    )
    dropped = [after_commit.add(session, DropDialJobs(request_id)) for request_id in ids]
    for request_id in pending:
        after_commit.add(session, EndCalls(request_id))  # a call may be ringing or bridged
    erased = [after_commit.add(session, EraseProviderRecords(request_id)) for request_id in ids]
    session.commit()
    # Everything the number's index names, which includes any key a submission named
    # since `keys` was read (the audit counts those found before, the answer those
    # deleted).
    deleted = delete_phone_keys(redis, e164)
    jobs = sum(receipt.result for receipt in dropped if isinstance(receipt.result, int))
    queued = sum(receipt.result is not None for receipt in erased)
    return Erasure(len(ids), len(pending), jobs, deleted, queued, blocks)
