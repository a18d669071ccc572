"""A small fixed history for the reports' tests, with every figure worked out by hand.

The history (Warsaw time, business hours Monday to Friday 09:00-17:00), for the week of
2026-11-23 to 2026-11-29, and one request in the week before:

R1 Mon 10:00 /pricing autumn: Ada answers at +10 s, presses 1; visitor at +25 s, talks 120 s.
R2 Mon 10:30 /pricing autumn: Ada does not answer; Ben answers at +40 s, presses 1; visitor
   at +70 s, talks 20 s.
R3 Tue 18:00 /, scheduled for Wed 09:00: Ben rung at 09:00:30, answers at +45 s, presses 1;
   visitor at +60 s, talks 45 s.
R4 Wed 11:00 /contact: Ada does not answer; failed.
R5 Thu 12:00 /contact, scheduled for Fri 14:00: Ada rung at 14:03, answers at +200 s and
   does not press 1; expired.
R6 Sat 15:00 /contact: canceled before anyone was rung.
P1 (week before) Mon 16th 10:00 /pricing autumn: Ada answers at +20 s, presses 1; visitor
   at +30 s, talks 60 s.

The phone line (`add_line_history`): callers to the widget's number, none a web request:
L1 Mon 11:00 answered on the line, talks 300 s.
L2 Mon 11:05 offered a callback, keeps waiting and hangs up in line.
L3 Tue 12:00 offered a callback, takes it; the callback is completed (talks 90 s).
L4 Tue 12:30 offered a callback, takes it; the callback fails.
L5 Wed 09:00 hangs up in line before any offer.
Q1 (week before) Mon 16th 11:00 answered on the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from callback import db
from callback.models import (
    Agent,
    AttemptStatus,
    CallAttempt,
    CallbackRequest,
    Leg,
    RequestStatus,
    Widget,
)
from callback.reports import facts
from callback.reports.periods import Period
from tests.factories import make_agent, make_widget

WARSAW = ZoneInfo("Europe/Warsaw")
SITE = "https://www.example.com"
WEEK = Period(date(2026, 11, 23), date(2026, 11, 29))
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def warsaw(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=WARSAW)


@dataclass
class Ring:
    agent: Agent
    sent: datetime
    answered_after: int | None = None  # seconds after `sent`
    pressed_1: bool = False


@dataclass
class Past:
    """One ended request of the history."""

    asked: datetime
    status: RequestStatus
    page: str | None = None
    campaign: str | None = None
    wanted: datetime | None = None
    rings: list[Ring] = field(default_factory=list)
    connected: datetime | None = None
    talk: int | None = None
    channel: str = "web"
    offered: bool = False  # phone line: a callback was offered ...
    took_callback: bool = False  # ... and taken
    outcome: str | None = None


def store(
    widget: Widget, past: Past, phone: str | None = None, query: str = "utm_campaign=x&email=a"
) -> CallbackRequest:
    """Store `past` as an ended request with its agent legs, and count it as the lifecycle does.

    `phone` stays on the row (a number never erased, for residue checks); `query` follows
    the page's path in its URL.
    """
    session = db.session()
    request = CallbackRequest(
        widget=widget,
        phone=phone,
        country="GB",
        number_type="FIXED_LINE",
        consent_version="t",
        status=past.status,
        created_at=past.asked,
        wanted_at=past.wanted or past.asked,
        page_url=f"{SITE}{past.page}?{query}" if past.page else None,
        utm_campaign=past.campaign,
        connected_at=past.connected,
        talk_seconds=past.talk,
        ended_at=past.asked + timedelta(hours=1),
        channel=past.channel,
        line_offered_at=past.asked + timedelta(minutes=1) if past.offered else None,
        line_callback_at=past.asked + timedelta(minutes=2) if past.took_callback else None,
        outcome=past.outcome,
    )
    session.add(request)
    session.flush()
    for number, ring in enumerate(past.rings, start=1):
        session.add(leg(request, number, ring))
    session.flush()
    facts.record_ended(session, request)
    session.commit()
    return request


def leg(request: CallbackRequest, number: int, ring: Ring) -> CallAttempt:
    """Return the agent leg `ring` of `request`, its `number`th."""
    answered = ring.answered_after is not None
    return CallAttempt(
        request_id=request.id,
        leg=Leg.AGENT,
        attempt_number=number,
        agent_id=ring.agent.id,
        status=AttemptStatus.COMPLETED if answered else AttemptStatus.NO_ANSWER,
        created_at=ring.sent,
        sent_at=ring.sent,
        answered_at=ring.sent + timedelta(seconds=ring.answered_after or 0) if answered else None,
        digits="1" if ring.pressed_1 else None,
    )


def make_history() -> Widget:
    """Store the history of this module's docstring; return its widget."""
    widget = make_widget(timezone="Europe/Warsaw", business_hours=WEEKDAYS_9_TO_5)
    ada, ben = make_agent(name="Ada"), make_agent(name="Ben", phone="+442079460002")
    at = warsaw
    for past in (
        Past(
            at(23, 10),
            RequestStatus.COMPLETED,
            "/pricing",
            "autumn",
            rings=[Ring(ada, at(23, 10, 0, 0), 10, pressed_1=True)],
            connected=at(23, 10, 0, 25),
            talk=120,
        ),
        Past(
            at(23, 10, 30),
            RequestStatus.COMPLETED,
            "/pricing",
            "autumn",
            rings=[Ring(ada, at(23, 10, 30, 1)), Ring(ben, at(23, 10, 30, 30), 10, True)],
            connected=at(23, 10, 31, 10),
            talk=20,
        ),
        Past(
            at(24, 18),
            RequestStatus.COMPLETED,
            "/",
            wanted=at(25, 9),
            rings=[Ring(ben, at(25, 9, 0, 30), 15, pressed_1=True)],
            connected=at(25, 9, 1, 0),
            talk=45,
        ),
        Past(at(25, 11), RequestStatus.FAILED, "/contact", rings=[Ring(ada, at(25, 11, 0, 5))]),
        Past(
            at(26, 12),
            RequestStatus.EXPIRED,
            "/contact",
            wanted=at(27, 14),
            rings=[Ring(ada, at(27, 14, 3), 20)],
        ),
        Past(at(28, 15), RequestStatus.CANCELED, "/contact"),
        Past(
            at(16, 10),
            RequestStatus.COMPLETED,
            "/pricing",
            "autumn",
            rings=[Ring(ada, at(16, 10), 20, pressed_1=True)],
            connected=at(16, 10, 0, 30),
            talk=60,
        ),
    ):
        store(widget, past)
    return widget


def add_line_history(widget: Widget) -> None:
    """Store the phone line's callers of this module's docstring for `widget`."""
    at = warsaw
    hung_up = facts.LINE_ABANDONED
    for past in (
        Past(at(23, 11), RequestStatus.COMPLETED, connected=at(23, 11, 0, 40), talk=300),
        Past(at(23, 11, 5), RequestStatus.CANCELED, offered=True, outcome=hung_up),
        Past(
            at(24, 12),
            RequestStatus.COMPLETED,
            offered=True,
            took_callback=True,
            connected=at(24, 12, 10),
            talk=90,
        ),
        Past(at(24, 12, 30), RequestStatus.FAILED, offered=True, took_callback=True),
        Past(at(25, 9), RequestStatus.CANCELED, outcome=hung_up),
        Past(at(16, 11), RequestStatus.COMPLETED, connected=at(16, 11, 0, 20), talk=30),
    ):
        past.channel = "phone"
        store(widget, past)
