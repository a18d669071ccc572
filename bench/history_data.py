"""The rows of bench/history.py: the measured widget and team, the history, the work.

The history is server-side SQL (bench/report_history.py for the finished requests, one
INSERT ... SELECT here for the pending ones); the pending requests' dial jobs go to
Redis through the product's own enqueue, as a live system would hold them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from bench import report_history
from bench.env import BenchEnv
from bench.fixtures import make_agents, make_widget
from bench.numbers import agent_number, visitor_numbers
from callback.models import (
    Agent,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestStatus,
    Widget,
    utcnow,
)
from workers.queues import enqueue_dial

TEAM = 10  # agents of the measured widget's team; the rest are in teams of their own
DAYS = 365
# Every table the history fills, analyzed after loading.
TABLES = (*report_history.TABLES, "agents", "audit_entries")

PENDING = """
INSERT INTO callback_requests (
    id, widget_id, phone, country, number_type, page_url, locale, consent_version, status,
    round, scheduled_for, wanted_at, created_at, updated_at, channel, on_line)
SELECT md5('bench-pending-' || n)::uuid, :widget_id, phone, 'GB', 'FIXED_LINE',
       'https://www.example.com/pricing', 'en', :consent, 'scheduled', 1, due, due,
       asked, asked, 'web', false
FROM (
    SELECT n, phone,
           CAST(:now AS timestamptz) - random() * interval '20 hours' AS asked,
           date_trunc('minute', CAST(:now AS timestamptz) + interval '1 hour'
                                + random() * interval '6 days') AS due
    FROM unnest(CAST(:phones AS text[])) WITH ORDINALITY AS p(phone, n)
) AS drawn
RETURNING id, scheduled_for
"""


def measured_numbers(pending: int) -> list[str]:
    """Return the fictional numbers left after the pending requests' (for the measured work)."""
    numbers = list(visitor_numbers())
    return numbers[pending:]


def make_base(engine: Engine) -> tuple[str, int]:
    """Create the measured widget (open at all hours) and its team; return key and id."""
    key = make_widget(engine)
    make_agents(engine, TEAM)
    with Session(engine) as session:
        widget_id = session.scalars(select(Widget.id).where(Widget.key == key)).one()
    return key, widget_id


def add_other_agents(engine: Engine, total: int) -> int:
    """Add agents up to `total`, ten to a team other than the measured one; return how many."""
    with Session(engine) as session:
        agents = [
            Agent(name=f"Agent {i}", phone=agent_number(i), team=f"team-{i // 10:02d}", priority=i)
            for i in range(TEAM, total)
        ]
        session.add_all(agents)
        session.commit()
        return len(agents)


def load_finished(engine: Engine, widget_id: int, finished: int, now: datetime) -> list[str]:
    """Load `finished` ended requests over the last year, up to `now`; return timing lines."""
    with engine.begin() as connection:
        return report_history.load(
            connection, widget_id, finished, DAYS, now.date(), until=now - timedelta(minutes=1)
        )


def load_pending(engine: Engine, widget_id: int, pending: int, now: datetime) -> list[str]:
    """Store `pending` requests scheduled for the next six days, and schedule their dials.

    Run inside the app context (the dial jobs go to Redis through workers.queues).
    """
    started = time.perf_counter()
    phones = list(visitor_numbers())[:pending]
    with engine.begin() as connection:
        consent = connection.execute(
            text("SELECT consent_version FROM widgets WHERE id = :id"), {"id": widget_id}
        ).scalar_one()
        rows = connection.execute(
            text(PENDING),
            {"widget_id": widget_id, "consent": consent, "now": now, "phones": phones},
        ).all()
    stored = time.perf_counter() - started
    started = time.perf_counter()
    for request_id, due in rows:
        enqueue_dial(request_id, 1, at=due)
    return [
        f"pending (scheduled) requests: {len(rows):,} rows in {stored:.1f} s",
        f"their dial jobs scheduled in Redis in {time.perf_counter() - started:.1f} s",
    ]


def analyze(engine: Engine) -> float:
    """ANALYZE every table the history fills; return the seconds it took."""
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text(f"ANALYZE {', '.join(TABLES)}"))
    return time.perf_counter() - started


def queued_requests(
    engine: Engine, widget_id: int, numbers: Iterator[str], count: int, status: RequestStatus
) -> list[uuid.UUID]:
    """Store `count` requests in `status` from the next numbers; return their ids."""
    with Session(engine) as session:
        widget = session.get_one(Widget, widget_id)
        rows = [
            CallbackRequest(
                id=uuid.uuid4(), widget_id=widget_id, phone=next(numbers), country="GB",
                number_type="FIXED_LINE", locale="en", consent_version=widget.consent_version,
                status=status,
            )
            for _ in range(count)
        ]  # fmt: skip
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def legs_at_twilio(
    engine: Engine, widget_id: int, numbers: Iterator[str], count: int
) -> list[tuple[int, str]]:
    """Store `count` requests whose agent leg Twilio has queued; return (attempt id, SID)."""
    ids = queued_requests(engine, widget_id, numbers, count, RequestStatus.CALLING_AGENT)
    with Session(engine) as session:
        legs = [
            CallAttempt(
                request_id=request_id, leg=Leg.AGENT, attempt_number=1, round=1,
                status="queued", call_sid="CA" + uuid.uuid4().hex, sent_at=utcnow(),
            )
            for request_id in ids
        ]  # fmt: skip
        session.add_all(legs)
        session.commit()
        return [(leg.id, str(leg.call_sid)) for leg in legs]


def end_requests(engine: Engine, ids: list[uuid.UUID]) -> None:
    """End measured requests as the product would leave them (canceled, number erased).

    So that they leave no work behind: no live leg for the reconciler to fetch, no
    queued request to put back, no agent left on a call for the next dial.
    """
    now = utcnow()
    with Session(engine) as session:
        session.execute(
            update(CallAttempt)
            .where(CallAttempt.request_id.in_(ids), CallAttempt.ended_at.is_(None))
            .values(status="canceled", ended_at=now)
        )
        session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id.in_(ids))
            .values(
                status=RequestStatus.CANCELED, outcome="withdrawn", phone=None, ended_at=now,
                erased_at=now, updated_at=now,
            )
        )  # fmt: skip
        session.commit()


def ids_of_legs(engine: Engine, attempt_ids: list[int]) -> list[uuid.UUID]:
    """Return the requests of the given attempts."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(CallAttempt.request_id).where(CallAttempt.id.in_(attempt_ids))
            ).all()
        )


def empty_again(env: BenchEnv) -> None:
    """Empty the history and Redis, and drop the agents added: back to the base rows."""
    env.clear_requests()
    with env.engine.begin() as connection:
        connection.execute(text("DELETE FROM agents WHERE team <> 'default'"))
        connection.execute(text(f"ANALYZE {', '.join(TABLES)}"))
