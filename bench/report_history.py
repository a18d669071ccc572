"""A year of ended requests for one widget, loaded in PostgreSQL by a few INSERT ... SELECT.

Every row is made by the server from `generate_series` and `random()` (seeded: the
same history for the same last day): the requests, their agent and visitor legs, the status
events of each leg, and the report rows the lifecycle would have written when each
request ended. Those last are computed from the loaded requests and legs by SQL that
follows callback/reports/facts.py; `check_facts` compares them, for one whole day, with
what facts.py itself returns.

Shape (per request): completed 75 %, failed 10 %, expired 9 %, canceled 6 %; about 1.44
agent legs (3 % of those before the last never placed) and 0.86 visitor legs; per leg
placed, the status events the app subscribes to (4 answered, 3 unanswered, 2 busy: 3.7);
10 % scheduled for a later slot; 85 % asked between 08:00 and 19:00 local time (peak
early afternoon), 70 % of weekend requests moved to a weekday of the same week; about
200 pages (a few busy ones), 30 campaigns, 45 % without one.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from callback.models import (
    AgentLegFact,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestFact,
    Widget,
)
from callback.reports import facts

WIDGET_NAME = "Bench reports"
WIDGET_ZONE = "Europe/Warsaw"
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
SEED = 0.42

# One row per request, with every choice drawn once, so that the request, its legs and
# its events agree (when the accepted leg was answered is when the visitor is dialled).
DRAW = """
CREATE TEMP TABLE bench_history ON COMMIT DROP AS
WITH drawn AS (
    SELECT n,
           CAST(:first_day AS date) + floor(random() * :days)::int AS day0,
           random() AS r_weekend, random() AS r_weekday,
           random() AS r_daytime, random() + random() + random() AS r_peak,
           random() AS r_any_hour, floor(random() * 3600)::int AS second_of_hour,
           random() AS r_status, random() AS r_legs, random() AS r_fail,
           random() AS r_scheduled, random() AS r_slot, random() AS r_late, random() AS r_delay,
           random() AS r_page, random() AS r_campaign, random() AS r_no_url,
           random() AS r_visitor, random() AS r_short, random() AS r_talk,
           4 + floor(random() * 16)::int AS answer_after,
           5 + floor(random() * 20)::int AS visitor_after,
           floor(random() * 600)::int AS cancel_after
    FROM generate_series(1, :requests) AS n
), placed_day AS (
    SELECT drawn.*,
           CASE WHEN extract(isodow FROM day0) >= 6 AND r_weekend < 0.7
                THEN day0 - extract(isodow FROM day0)::int + 1 + floor(r_weekday * 5)::int
                ELSE day0 END AS day1
    FROM drawn
), timed AS (
    SELECT placed_day.*,
           CASE WHEN day1 < CAST(:first_day AS date) THEN day0 ELSE day1 END AS day,
           CASE WHEN r_daytime < 0.85 THEN 8 + floor(r_peak / 3 * 11)::int
                ELSE floor(r_any_hour * 24)::int END AS hour,
           CASE WHEN r_status < 0.75 THEN 'completed' WHEN r_status < 0.85 THEN 'failed'
                WHEN r_status < 0.94 THEN 'expired' ELSE 'canceled' END AS status,
           r_scheduled < 0.10 AS scheduled,
           floor(200 * power(r_page, 3))::int AS page_rank,
           CASE WHEN r_campaign < 0.45 THEN NULL
                ELSE floor(30 * power((r_campaign - 0.45) / 0.55, 2))::int END AS campaign_rank
    FROM placed_day
), asked AS (
    SELECT timed.*,
           (day + make_interval(hours => hour, secs => second_of_hour)) AT TIME ZONE :zone
               AS created_at
    FROM timed
), shaped AS (
    SELECT asked.*,
           CASE WHEN scheduled
                THEN date_trunc('hour', created_at) + (5 + floor(r_slot * 44)) * interval '15 min'
                ELSE created_at END AS wanted_at,
           -- Seconds from the wanted time to the first agent leg: a few for "now", and
           -- for a slot mostly within the minute, sometimes late.
           CASE WHEN NOT scheduled THEN 1 + floor(r_delay * 10)::int
                WHEN r_late < 0.88 THEN floor(r_delay * 50)::int
                ELSE 61 + floor(r_delay * 900)::int END AS first_ring,
           CASE status
               WHEN 'completed' THEN CASE WHEN r_legs < 0.55 THEN 1 WHEN r_legs < 0.85 THEN 2
                                          ELSE 3 END
               WHEN 'failed' THEN 1 + floor(r_legs * 3)::int
               WHEN 'expired' THEN CASE WHEN r_legs < 0.3 THEN 1 ELSE 0 END
               ELSE CASE WHEN r_legs < 0.2 THEN 1 ELSE 0 END END AS agent_legs,
           -- An agent pressed 1 on the last leg: every completed request, and the failed
           -- ones that failed at the visitor's phone.
           status = 'completed' OR (status = 'failed' AND r_fail < 0.4) AS accepted,
           CASE WHEN status = 'completed' THEN CASE WHEN r_visitor < 0.06 THEN 2 ELSE 1 END
                WHEN status = 'failed' AND r_fail < 0.4
                THEN CASE WHEN r_visitor < 0.5 THEN 2 ELSE 1 END
                ELSE 0 END AS visitor_legs,
           CASE WHEN status <> 'completed' THEN NULL
                WHEN r_short < 0.1 THEN 3 + floor(r_talk * 27)::int
                ELSE 30 + floor(-ln(1 - r_talk) * 150)::int END AS talk_seconds,
           CASE WHEN page_rank = 0 THEN '/' WHEN page_rank = 1 THEN '/pricing'
                WHEN page_rank = 2 THEN '/contact' WHEN page_rank = 3 THEN '/about'
                WHEN page_rank < 100 THEN '/products/item-' || page_rank
                ELSE '/blog/post-' || page_rank END AS path,
           'campaign-' || lpad(campaign_rank::text, 2, '0') AS campaign
    FROM asked
), bridged AS (
    SELECT shaped.*,
           wanted_at + make_interval(secs => first_ring + (agent_legs - 1) * 30 + answer_after)
               AS accepted_at,
           wanted_at + make_interval(secs => first_ring) AS first_ring_at
    FROM shaped
)
SELECT n, md5('bench-request-' || n)::uuid AS id, created_at, wanted_at, scheduled, status,
       agent_legs, accepted, visitor_legs, first_ring, answer_after, talk_seconds,
       campaign, accepted_at,
       CASE WHEN r_no_url < 0.02 THEN NULL
            ELSE 'https://www.example.com' || path
                 || CASE WHEN campaign IS NOT NULL
                         THEN '?utm_source=google&utm_medium=cpc&utm_campaign=' || campaign
                         WHEN r_no_url > 0.9 THEN '?ref=newsletter' ELSE '' END END AS page_url,
       CASE WHEN agent_legs > 0 THEN first_ring_at END AS agent_ringing_at,
       CASE WHEN status = 'completed'
            THEN accepted_at + make_interval(secs => 8 + (visitor_legs - 1) * 40 + visitor_after)
            END AS connected_at,
       CASE WHEN status = 'completed'
            THEN accepted_at + make_interval(secs => 8 + (visitor_legs - 1) * 40 + visitor_after
                                                     + talk_seconds)
            WHEN accepted THEN accepted_at + make_interval(secs => 8 + visitor_legs * 40)
            WHEN status = 'failed'
            THEN wanted_at + make_interval(secs => first_ring + (agent_legs - 1) * 30 + 25)
            WHEN status = 'expired' THEN wanted_at + interval '240 minutes'
            ELSE greatest(created_at + make_interval(secs => 60 + cancel_after),
                          first_ring_at + interval '25 seconds') END AS ended_at
FROM bridged
"""

REQUESTS = """
INSERT INTO callback_requests (
    id, widget_id, phone, country, number_type, page_url, locale, utm_source, utm_medium,
    utm_campaign, consent_version, status, outcome, round, scheduled_for, wanted_at,
    created_at, updated_at, agent_ringing_at, connected_at, ended_at, talk_seconds, erased_at)
SELECT id, :widget_id, NULL, 'PL', 'MOBILE', page_url, 'pl',
       CASE WHEN campaign IS NOT NULL THEN 'google' END,
       CASE WHEN campaign IS NOT NULL THEN 'cpc' END,
       campaign, '2026-11', status,
       CASE status WHEN 'completed' THEN 'talked'
                   WHEN 'failed' THEN CASE WHEN accepted THEN 'visitor_no_answer'
                                           ELSE 'no_agent_answered' END
                   WHEN 'expired' THEN 'max_wait_exceeded' ELSE 'withdrawn' END,
       1, CASE WHEN scheduled THEN wanted_at END, wanted_at,
       created_at, ended_at, agent_ringing_at, connected_at, ended_at, talk_seconds, ended_at
FROM bench_history
ORDER BY created_at
"""

# Agent legs before the last are missed, declined (answered, no 1), busy, or never
# placed; the last is accepted when the request got that far.
AGENT_LEGS = """
INSERT INTO call_attempts (
    request_id, leg, attempt_number, round, agent_id, call_sid, status, answered_by, digits,
    created_at, sent_at, answered_at, ended_at, duration_seconds)
WITH team AS (
    SELECT array_agg(id ORDER BY id) AS ids, count(*) AS size FROM agents
), legs AS (
    SELECT h.id AS request_id, h.wanted_at, h.first_ring, h.accepted, h.accepted_at,
           h.agent_legs, h.ended_at AS request_ended_at, k,
           random() AS r_kind, random() AS r_agent, 4 + floor(random() * 16)::int AS answer_after
    FROM bench_history AS h CROSS JOIN LATERAL generate_series(1, h.agent_legs) AS k
), kinds AS (
    SELECT legs.*,
           CASE WHEN k = agent_legs AND accepted THEN 'accepted'
                WHEN r_kind < 0.03 THEN 'never_placed'
                WHEN r_kind < 0.20 THEN 'declined'
                WHEN r_kind < 0.28 THEN 'busy'
                ELSE 'missed' END AS kind,
           wanted_at + make_interval(secs => first_ring + (k - 1) * 30) AS sent
    FROM legs
), timed AS (
    SELECT kinds.*,
           CASE kind WHEN 'accepted' THEN accepted_at
                     WHEN 'declined' THEN sent + make_interval(secs => answer_after) END
               AS answered,
           CASE kind WHEN 'accepted' THEN request_ended_at
                     WHEN 'declined' THEN sent + make_interval(secs => answer_after + 6)
                     WHEN 'busy' THEN sent + interval '3 seconds'
                     WHEN 'missed' THEN sent + interval '25 seconds' END AS ended
    FROM kinds
)
SELECT request_id, 'agent', k, 1, team.ids[1 + floor(power(r_agent, 1.3) * team.size)::int],
       CASE WHEN kind <> 'never_placed' THEN 'CA' || md5(request_id::text || ':agent:' || k) END,
       CASE kind WHEN 'never_placed' THEN 'not_created' WHEN 'busy' THEN 'busy'
                 WHEN 'missed' THEN 'no-answer' ELSE 'completed' END,
       CASE WHEN answered IS NOT NULL THEN 'human' END,
       CASE WHEN kind = 'accepted' THEN '1' END,
       sent - interval '1 second',
       CASE WHEN kind <> 'never_placed' THEN sent END,
       answered, ended,
       CASE WHEN answered IS NOT NULL THEN extract(epoch FROM ended - answered)::int END
FROM timed CROSS JOIN team
ORDER BY sent
"""

# The visitor is dialled 8 s after the agent pressed 1; a retry 40 s after that. The
# last leg of a completed request is the one that connected.
VISITOR_LEGS = """
INSERT INTO call_attempts (
    request_id, leg, attempt_number, round, agent_id, call_sid, status, answered_by, digits,
    created_at, sent_at, answered_at, ended_at, duration_seconds)
WITH legs AS (
    SELECT h.id AS request_id, h.status = 'completed' AND j = h.visitor_legs AS connected,
           h.connected_at, h.ended_at AS request_ended_at, j,
           h.accepted_at + make_interval(secs => 8 + (j - 1) * 40) AS sent
    FROM bench_history AS h CROSS JOIN LATERAL generate_series(1, h.visitor_legs) AS j
)
SELECT request_id, 'visitor', j, 1, NULL, 'CA' || md5(request_id::text || ':visitor:' || j),
       CASE WHEN connected THEN 'completed' ELSE 'no-answer' END,
       CASE WHEN connected THEN 'human' END, NULL,
       sent - interval '1 second', sent,
       CASE WHEN connected THEN connected_at END,
       CASE WHEN connected THEN request_ended_at ELSE sent + interval '30 seconds' END,
       CASE WHEN connected THEN extract(epoch FROM request_ended_at - connected_at)::int END
FROM legs
ORDER BY sent
"""

EVENTS = """
INSERT INTO call_events (call_sid, attempt_id, sequence_number, status, "timestamp",
                         received_at, params)
SELECT a.call_sid, a.id, e.seq - 1, e.status, e.happened, e.happened + interval '150 milliseconds',
       json_build_object('CallStatus', e.status, 'SequenceNumber', (e.seq - 1)::text,
                         'Direction', 'outbound-api', 'CallDuration',
                         CASE WHEN e.status = 'completed' THEN a.duration_seconds::text END)
FROM call_attempts AS a
CROSS JOIN LATERAL (
    SELECT s.status, s.seq,
           CASE s.status WHEN 'initiated' THEN a.sent_at
                         WHEN 'ringing' THEN a.sent_at + interval '1 second'
                         WHEN 'in-progress' THEN a.answered_at
                         ELSE a.ended_at END AS happened
    FROM unnest(CASE a.status
                    WHEN 'completed' THEN ARRAY['initiated', 'ringing', 'in-progress', 'completed']
                    WHEN 'busy' THEN ARRAY['initiated', 'busy']
                    ELSE ARRAY['initiated', 'ringing', 'no-answer'] END)
         WITH ORDINALITY AS s(status, seq)
) AS e
WHERE a.call_sid IS NOT NULL
ORDER BY a.id, e.seq
"""

# callback/reports/facts.py, in SQL: request_fact() and agent_leg_facts() for every
# ended request, in the order they ended (as the lifecycle writes them).
REQUEST_FACTS = """
INSERT INTO report_requests (
    request_id, widget_id, channel, requested_at, local_day, local_weekday, local_hour,
    page, campaign, status, scheduled, on_time, agent_seconds, visitor_seconds, talk_seconds)
WITH legs AS (
    SELECT request_id, min(coalesce(sent_at, created_at)) AS first_rung,
           min(answered_at) AS first_answer
    FROM call_attempts
    WHERE leg = 'agent' AND status NOT IN ('pending', 'not_created')
    GROUP BY request_id
), requests AS (
    SELECT r.*, coalesce(r.wanted_at, r.created_at) AS wanted,
           r.created_at AT TIME ZONE w.timezone AS local_time
    FROM callback_requests AS r JOIN widgets AS w ON w.id = r.widget_id
    WHERE r.status IN ('completed', 'failed', 'expired', 'canceled')
), judged AS (
    SELECT requests.*, wanted - created_at > interval '1 minute' AS is_scheduled
    FROM requests
)
SELECT r.id, r.widget_id, 'web', r.created_at, r.local_time::date,
       extract(isodow FROM r.local_time)::int - 1, extract(hour FROM r.local_time)::int,
       CASE WHEN coalesce(r.page_url, '') <> ''
            THEN left(coalesce(nullif(substring(r.page_url FROM '^[^:/?#]+://[^/?#]*([^?#]*)'),
                                      ''), '/'), 512) END,
       r.utm_campaign, r.status, r.is_scheduled,
       CASE WHEN r.is_scheduled AND legs.first_rung IS NOT NULL
            THEN legs.first_rung - r.wanted <= interval '1 minute' END,
       -- greatest() skips NULLs: without CASE, "never answered" would count as 0 s.
       CASE WHEN legs.first_answer IS NOT NULL
            THEN greatest(round(extract(epoch FROM legs.first_answer - r.wanted)), 0)::int END,
       CASE WHEN r.connected_at IS NOT NULL
            THEN greatest(round(extract(epoch FROM r.connected_at - r.wanted)), 0)::int END,
       r.talk_seconds
FROM judged AS r LEFT JOIN legs ON legs.request_id = r.id
ORDER BY r.ended_at
"""

AGENT_LEG_FACTS = """
INSERT INTO report_agent_legs (widget_id, agent_id, local_day, answered, accepted, talk_seconds)
WITH placed AS (
    SELECT a.request_id, a.agent_id, a.attempt_number, a.answered_at, a.digits,
           max(a.attempt_number) FILTER (WHERE a.digits = '1')
               OVER (PARTITION BY a.request_id) AS last_accepted
    FROM call_attempts AS a
    WHERE a.leg = 'agent' AND a.status NOT IN ('pending', 'not_created')
)
SELECT r.widget_id, p.agent_id, (r.created_at AT TIME ZONE w.timezone)::date,
       p.answered_at IS NOT NULL, coalesce(p.digits = '1', false),
       CASE WHEN p.attempt_number = p.last_accepted AND r.connected_at IS NOT NULL
            THEN r.talk_seconds END
FROM placed AS p
JOIN callback_requests AS r ON r.id = p.request_id
JOIN widgets AS w ON w.id = r.widget_id
WHERE r.status IN ('completed', 'failed', 'expired', 'canceled')
ORDER BY r.ended_at, p.attempt_number
"""

STEPS = (
    ("callback_requests", REQUESTS),
    ("call_attempts (agent legs)", AGENT_LEGS),
    ("call_attempts (visitor legs)", VISITOR_LEGS),
    ("call_events", EVENTS),
    ("report_requests", REQUEST_FACTS),
    ("report_agent_legs", AGENT_LEG_FACTS),
)
TABLES = (
    "callback_requests",
    "call_attempts",
    "call_events",
    "report_requests",
    "report_agent_legs",
)


def print_sizes(connection: Connection, tables: tuple[str, ...]) -> None:
    """Print each table's rows and its size on disk with its indexes (PostgreSQL)."""
    for table in tables:
        rows, size = connection.execute(
            text(
                f"SELECT (SELECT count(*) FROM {table}), "  # noqa: S608 - fixed names
                f"pg_size_pretty(pg_total_relation_size('{table}'))"
            )
        ).one()
        print(f"  {table}: {rows:,} rows, {size} with indexes")


def make_widget(engine: Engine) -> Widget:
    """Create the measured widget (Warsaw, Monday to Friday 09:00-17:00)."""
    with Session(engine, expire_on_commit=False) as session:
        widget = Widget(
            name=WIDGET_NAME,
            default_region="PL",
            allowed_countries=["PL"],
            timezone=WIDGET_ZONE,
            business_hours=WEEKDAYS_9_TO_5,
            consent_version="2026-11",
        )
        session.add(widget)
        session.commit()
        return widget


def load(
    connection: Connection,
    widget_id: int,
    requests: int,
    days: int,
    last: date,
    until: datetime | None = None,
) -> list[str]:
    """Load the history ending on `last` (local); return one line per step with its time.

    With `until`, requests that would not have ended by then are left out: a history
    that runs up to now holds no request asked or ended in the future.
    """
    lines = []
    connection.execute(text("SELECT setseed(:seed)"), {"seed": SEED})
    started = perf_counter()
    connection.execute(
        text(DRAW),
        {
            "first_day": last - timedelta(days=days - 1),
            "days": days,
            "requests": requests,
            "zone": WIDGET_ZONE,
        },
    )
    lines.append(f"drawn {requests:,} requests in {perf_counter() - started:.1f} s")
    if until is not None:
        unended = connection.execute(
            text("DELETE FROM bench_history WHERE ended_at >= :until"), {"until": until}
        ).rowcount
        lines.append(f"left out {unended:,} requests not ended by {until:%Y-%m-%d %H:%M} UTC")
    for name, statement in STEPS:
        started = perf_counter()
        rows = connection.execute(text(statement), {"widget_id": widget_id}).rowcount
        lines.append(f"{name}: {rows:,} rows in {perf_counter() - started:.1f} s")
    return lines


def check_facts(engine: Engine, widget_id: int, day: date) -> tuple[int, list[str]]:
    """Return how many requests of local `day` were checked against facts.py, and how not."""
    with Session(engine) as session:
        day_ids = select(RequestFact.request_id).where(
            RequestFact.widget_id == widget_id, RequestFact.local_day == day
        )
        requests = session.scalars(
            select(CallbackRequest).where(CallbackRequest.id.in_(day_ids))
        ).all()
        legs: dict[Any, list[CallAttempt]] = {request.id: [] for request in requests}
        for leg in session.scalars(
            select(CallAttempt)
            .where(CallAttempt.request_id.in_(day_ids), CallAttempt.leg == Leg.AGENT)
            .order_by(CallAttempt.attempt_number)
        ):
            legs[leg.request_id].append(leg)
        loaded = {
            row.request_id: row
            for row in session.scalars(
                select(RequestFact).where(
                    RequestFact.widget_id == widget_id, RequestFact.local_day == day
                )
            )
        }
        differences = []
        expected_legs: Counter[tuple[Any, ...]] = Counter()
        for request in requests:
            fact = facts.request_fact(request, legs[request.id])
            if _fields(fact) != _fields(loaded[request.id]):
                differences.append(
                    f"{request.id}: {_fields(fact)} != {_fields(loaded[request.id])}"
                )
            expected_legs.update(
                _leg(row) for row in facts.agent_leg_facts(request, legs[request.id])
            )
        loaded_legs = Counter(
            _leg(row)
            for row in session.scalars(
                select(AgentLegFact).where(
                    AgentLegFact.widget_id == widget_id, AgentLegFact.local_day == day
                )
            )
        )
        if expected_legs != loaded_legs:
            missing, extra = expected_legs - loaded_legs, loaded_legs - expected_legs
            differences.append(f"agent legs of {day}: {missing} missing, {extra} extra")
        if not requests:
            differences.append(f"no request on {day}")
        return len(requests), differences


def _fields(fact: RequestFact) -> tuple[Any, ...]:
    # The channel is left out: facts.py leaves it to the column's default ("web").
    names = [column.key for column in RequestFact.__table__.columns if column.key != "channel"]
    return tuple(getattr(fact, name) for name in names)


def _leg(row: Any) -> tuple[Any, ...]:
    return (
        row.widget_id,
        row.agent_id,
        row.local_day,
        row.answered,
        row.accepted,
        row.talk_seconds,
    )
