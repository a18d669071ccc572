"""Races on PostgreSQL: two processes acting on one request at once, made to interleave.

Each test runs two threads against committed data and forces the interleaving that lost
work before: one thread is held (by SQLAlchemy's event hooks, with barriers, never a
sleep) just before its write, while the other finishes; then it goes on. Under READ
COMMITTED PostgreSQL re-checks a conditional UPDATE against the row just committed, so
the late thread must find its move refused, never overwrite. SQLite serialises writers
(BEGIN IMMEDIATE), so these interleavings cannot happen there; the tests need PostgreSQL.
They drive the public edges (signed webhooks, the visitor API, the dial job, the
reconciler), so they run unchanged against the code before the lifecycle package, where
each fails.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from callback import create_app
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus, utcnow
from callback.sandbox.control import SandboxControl
from callback.security.tokens import status_token
from tests.conftest import sandbox_serving
from tests.e2e.conftest import empty_tables
from tests.factories import CALLER_ID, make_agent, make_request, make_widget
from tests.twilio_signing import signed_post
from workers.cps import CallPacer

pytestmark = pytest.mark.slow

AGENT = "+442079460001"
VISITOR = "+442079460123"
WAIT = 30  # seconds a barrier waits before the test fails instead of hanging


@pytest.fixture
def pg_app(settings: dict[str, Any], engine: Engine, clean_tables: None) -> Iterator[Flask]:
    if engine.dialect.name != "postgresql":
        pytest.skip("races are proved on PostgreSQL (SQLite serialises writers)")
    app = create_app({**settings, "RECONCILE_STALE_SECONDS": 0})
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def clean_tables(engine: Engine) -> Iterator[None]:
    empty_tables(engine)
    yield
    empty_tables(engine)


def _rows(app: Flask, request_status: str, *legs: dict[str, Any], **widget: Any) -> uuid.UUID:
    """Commit a widget, an agent, a request in `request_status` and its legs; return its id."""
    with Session(app.extensions["db"].engine) as session:
        row_widget = make_widget(session, allowed_origins=[], caller_id=CALLER_ID, **widget)
        agent = make_agent(session, phone=AGENT)
        request = make_request(row_widget, session=session, phone=VISITOR, status=request_status)
        for number, leg in enumerate(legs, 1):
            session.add(
                CallAttempt(request_id=request.id, attempt_number=number, agent_id=agent.id, **leg)
            )
        session.commit()
        return request.id


def _request(app: Flask, request_id: uuid.UUID) -> CallbackRequest:
    with Session(app.extensions["db"].engine) as session:
        found = session.get_one(CallbackRequest, request_id)
        session.expunge(found)
        return found


def _legs(app: Flask, request_id: uuid.UUID) -> list[CallAttempt]:
    with Session(app.extensions["db"].engine) as session:
        query = select(CallAttempt).where(CallAttempt.request_id == request_id)
        legs = list(session.scalars(query.order_by(CallAttempt.id)))
        session.expunge_all()
        return legs


class Hold:
    """Holds one thread at a point until the other side has done its part."""

    def __init__(self) -> None:
        self.arrived = threading.Barrier(2, timeout=WAIT)
        self.resume = threading.Barrier(2, timeout=WAIT)

    def here(self) -> None:
        """Called by the held thread: wait for the other side, then go on when it is done."""
        self.arrived.wait()
        self.resume.wait()

    @contextmanager
    def meanwhile(self) -> Iterator[None]:
        """Used by the other side: run the block while the held thread waits."""
        self.arrived.wait()
        try:
            yield
        finally:
            self.resume.wait()

    def alongside(self, engine: Engine, name: str, target: Callable[[], Any]) -> threading.Thread:
        """Run `target` in a thread while the held thread waits, and let the held thread go
        on once `target` has finished or waits for a lock the held thread has taken."""
        self.arrived.wait()
        other = _run(name, target)
        deadline = time.monotonic() + WAIT
        # A wait for a state, not for time: done, or blocked by the held thread.
        while other.is_alive() and not _waiting_for_a_lock(engine):
            assert time.monotonic() < deadline, f"{name} neither ended nor waited for a lock"
            time.sleep(0.01)
        self.resume.wait()
        return other


def _waiting_for_a_lock(engine: Engine) -> bool:
    """Whether a session of the test database waits for a lock another one holds."""
    with engine.connect() as connection:
        query = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return bool(connection.scalar(query))


def _hold_before_sql(engine: Engine, thread: str, prefix: str, hold: Hold) -> Callable[..., None]:
    """Hold `thread` once, just before it sends its first statement starting with `prefix`."""
    held = threading.Event()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        mine = threading.current_thread().name == thread and not held.is_set()
        if mine and statement.lstrip().upper().startswith(prefix):
            held.set()
            hold.here()

    event.listen(engine, "before_cursor_execute", before)
    return before


def _run(name: str, target: Callable[[], Any]) -> threading.Thread:
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - surfaced by the test below
            errors.append(exc)

    thread = threading.Thread(target=body, name=name)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def _join(thread: threading.Thread) -> None:
    thread.join(WAIT)
    assert not thread.is_alive(), f"{thread.name} is stuck"
    assert thread.errors == []  # type: ignore[attr-defined]


def _status_callback(app: Flask, attempt_id: int, sid: str, status: str, seq: int) -> Any:
    params = {"CallSid": sid, "CallStatus": status, "SequenceNumber": str(seq), "To": VISITOR}
    return signed_post(app.test_client(), f"/twilio/attempts/{attempt_id}/status", params)


def test_a_withdrawal_during_a_busy_retry_stays_withdrawn(pg_app: Flask) -> None:
    sid = "CA" + "b" * 32
    request_id = _rows(
        pg_app,
        "calling_visitor",
        {"leg": Leg.AGENT, "status": "in-progress", "digits": "1", "call_sid": "CA" + "a" * 32},
        {"leg": Leg.VISITOR, "status": "ringing", "call_sid": sid},
        retry_intervals=[60],
    )
    visitor_leg = _legs(pg_app, request_id)[1]
    engine = pg_app.extensions["db"].engine
    hold = Hold()
    listener = _hold_before_sql(engine, "webhook", "UPDATE CALLBACK_REQUESTS", hold)
    webhook = _run("webhook", lambda: _status_callback(pg_app, visitor_leg.id, sid, "busy", 3))
    with pg_app.app_context():
        token = status_token(request_id)

    def withdraw() -> None:  # while the busy callback is processed
        withdrawn = pg_app.test_client().delete(f"/api/v1/callbacks/{request_id}?token={token}")
        assert withdrawn.get_json()["status"] == "canceled"

    withdrawal = hold.alongside(engine, "withdrawal", withdraw)
    _join(webhook)
    _join(withdrawal)
    event.remove(engine, "before_cursor_execute", listener)
    ended = _request(pg_app, request_id)
    assert (ended.status, ended.phone) == (RequestStatus.CANCELED, None)


def test_in_progress_and_completed_at_once_leave_the_request_completed(pg_app: Flask) -> None:
    sid = "CA" + "c" * 32
    request_id = _rows(
        pg_app,
        "calling_visitor",
        {"leg": Leg.AGENT, "status": "in-progress", "digits": "1", "call_sid": "CA" + "a" * 32},
        {"leg": Leg.VISITOR, "status": "ringing", "call_sid": sid},
    )
    visitor_leg = _legs(pg_app, request_id)[1]
    engine = pg_app.extensions["db"].engine
    hold = Hold()
    listener = _hold_before_sql(engine, "answered", "UPDATE", hold)
    answered = _run(
        "answered", lambda: _status_callback(pg_app, visitor_leg.id, sid, "in-progress", 2)
    )

    def end() -> None:  # the call ends while its "answered" report is processed
        assert _status_callback(pg_app, visitor_leg.id, sid, "completed", 3).status_code == 204

    ended_call = hold.alongside(engine, "completed", end)
    _join(answered)
    _join(ended_call)
    event.remove(engine, "before_cursor_execute", listener)
    ended = _request(pg_app, request_id)
    assert (ended.status, ended.phone) == (RequestStatus.COMPLETED, None)
    assert _legs(pg_app, request_id)[1].status == "completed"


def test_two_agents_pressing_1_at_once_bridge_one_visitor(pg_app: Flask) -> None:
    request_id = _rows(
        pg_app,
        "calling_agent",
        {"leg": Leg.AGENT, "status": "in-progress", "call_sid": "CA" + "1" * 32},
        {"leg": Leg.AGENT, "status": "in-progress", "call_sid": "CA" + "2" * 32},
        ring_strategy="simultaneous",
    )
    first, second = _legs(pg_app, request_id)
    engine = pg_app.extensions["db"].engine
    hold = Hold()
    listener = _hold_before_sql(engine, "agent-1", "UPDATE CALLBACK_REQUESTS", hold)

    def press(leg: CallAttempt) -> Any:
        params = {"CallSid": leg.call_sid or "", "Digits": "1"}
        return signed_post(pg_app.test_client(), f"/twilio/attempts/{leg.id}/key", params)

    agent_1 = _run("agent-1", lambda: press(first))
    # Agent 2 presses 1 while agent 1's key is being settled.
    agent_2 = hold.alongside(engine, "agent-2", lambda: press(second))
    _join(agent_1)
    _join(agent_2)
    event.remove(engine, "before_cursor_execute", listener)
    visitor_legs = [leg for leg in _legs(pg_app, request_id) if leg.leg == Leg.VISITOR]
    assert len(visitor_legs) == 1
    assert _request(pg_app, request_id).status == RequestStatus.CALLING_VISITOR


def test_a_key_press_and_a_late_status_callback_of_its_leg_do_not_deadlock(
    pg_app: Flask,
) -> None:
    sid = "CA" + "3" * 32
    request_id = _rows(
        pg_app, "calling_agent", {"leg": Leg.AGENT, "status": "queued", "call_sid": sid}
    )
    [agent_leg] = _legs(pg_app, request_id)
    engine = pg_app.extensions["db"].engine
    hold = Hold()
    # Before the fix the key press had locked the leg (its digits) by then and wanted the
    # request, while the late status callback locked the request (agent_ringing_at) and
    # then wanted the leg: PostgreSQL found the deadlock and failed one of them.
    listener = _hold_before_sql(engine, "key-press", "UPDATE CALLBACK_REQUESTS", hold)
    answers: dict[str, Any] = {}

    def press() -> None:
        params = {"CallSid": sid, "Digits": "1"}
        url = f"/twilio/attempts/{agent_leg.id}/key"
        answers["key"] = signed_post(pg_app.test_client(), url, params)

    def late_status() -> None:  # "in-progress", sent as the agent answered
        answers["status"] = _status_callback(pg_app, agent_leg.id, sid, "in-progress", 1)

    key_press = _run("key-press", press)
    _join(hold.alongside(engine, "status", late_status))
    _join(key_press)
    event.remove(engine, "before_cursor_execute", listener)
    assert (answers["key"].status_code, answers["status"].status_code) == (200, 204)
    assert b"<Dial" in answers["key"].data
    request = _request(pg_app, request_id)
    assert request.status == RequestStatus.CALLING_VISITOR
    assert request.agent_ringing_at is not None
    agent_leg, visitor_leg = _legs(pg_app, request_id)
    assert (agent_leg.status, agent_leg.digits) == ("in-progress", "1")
    assert visitor_leg.leg == Leg.VISITOR


@pytest.fixture
def sandbox(settings: dict[str, Any]) -> Iterator[SandboxControl]:
    phones_ring_until_told = {"default": {"manual": True}}
    with sandbox_serving(settings, phones_ring_until_told) as url:
        control = SandboxControl(url)
        yield control
        control.close()


@pytest.mark.parametrize("token_free", [True, False], ids=["token-free", "no-token-free"])
def test_the_reconciler_and_a_dial_job_waiting_to_send_ring_the_agent_once(
    sandbox: SandboxControl, pg_app: Flask, redis: Redis, token_free: bool
) -> None:
    from tests.ops_machinery import run_queued_jobs  # noqa: PLC0415
    from workers.dial import dial  # noqa: PLC0415
    from workers.reconcile import reconcile  # noqa: PLC0415

    request_id = _rows(pg_app, "queued")
    if not token_free:  # the job then writes its leg pending and waits for a token
        CallPacer(redis, pg_app.config["TWILIO_CPS"]).try_take()
    hold = Hold()
    committed = threading.Event()

    def after_commit(session: Session) -> None:
        # The job has written its leg (pending, or sent when a call token was free at
        # once) and has not sent the create yet.
        if threading.current_thread().name == "dial-job" and not committed.is_set():
            committed.set()
            hold.here()

    event.listen(Session, "after_commit", after_commit)

    def run_job() -> None:
        with pg_app.app_context():
            dial(str(request_id))

    job = _run("dial-job", run_job)
    # Meanwhile the reconciler runs: it rules out a pending leg and dials again, and
    # leaves a leg written as sent to its job (its create may be on the way).
    with hold.meanwhile(), pg_app.app_context():
        reconcile()
        run_queued_jobs(redis)
    _join(job)
    event.remove(Session, "after_commit", after_commit)
    assert [call["to"] for call in sandbox.calls()] == [AGENT]


def test_a_leg_written_as_sent_is_stamped_after_its_job_waited_for_the_request(
    sandbox: SandboxControl, pg_app: Flask, redis: Redis
) -> None:
    from workers.dial import dial  # noqa: PLC0415

    request_id = _rows(pg_app, "queued")
    engine: Engine = pg_app.extensions["db"].engine
    creates_sent: list[int] = []  # at each commit of the job: how many creates were sent

    def after_commit(session: Session) -> None:
        if threading.current_thread().name == "dial-job":
            creates_sent.append(len(sandbox.calls()))

    def run_job() -> None:
        with pg_app.app_context():
            dial(str(request_id))

    event.listen(Session, "after_commit", after_commit)

    # Another process holds the request's row (a webhook, say) while the job claims it.
    with engine.connect() as holder:
        lock = text("SELECT 1 FROM callback_requests WHERE id = :id FOR UPDATE")
        holder.execute(lock, {"id": request_id})
        job = _run("dial-job", run_job)
        deadline = time.monotonic() + WAIT
        # A wait for a state, not for time: the job blocked on the row.
        while not _waiting_for_a_lock(engine):
            assert time.monotonic() < deadline, "the dial job never waited for the row"
            time.sleep(0.01)
        released_at = utcnow()
        holder.commit()
    _join(job)
    event.remove(Session, "after_commit", after_commit)
    assert creates_sent.count(0) == 1  # the leg was written as sent (a call token was free)
    [leg] = _legs(pg_app, request_id)
    # The reconciler's wait before it looks a leg up at Twilio runs from `sent_at`: had
    # it started before the lock wait, a long wait could let the reconciler rule out a
    # leg whose create is still to be sent, and ring the agent twice.
    assert leg.sent_at is not None
    assert leg.sent_at >= released_at


@pytest.mark.parametrize(("token_free", "commits"), [(True, 1), (False, 2)])
def test_a_dial_job_with_a_call_token_free_commits_once_before_its_create(
    sandbox: SandboxControl, pg_app: Flask, redis: Redis, token_free: bool, commits: int
) -> None:
    from workers.dial import dial  # noqa: PLC0415

    request_id = _rows(pg_app, "queued")
    if not token_free:
        CallPacer(redis, pg_app.config["TWILIO_CPS"]).try_take()
    creates_sent: list[int] = []  # at each commit of the job: how many creates were sent

    def after_commit(session: Session) -> None:
        creates_sent.append(len(sandbox.calls()))

    event.listen(Session, "after_commit", after_commit)
    try:
        with pg_app.app_context():
            assert dial(str(request_id)) == "dialled"
    finally:
        event.remove(Session, "after_commit", after_commit)
    assert creates_sent.count(0) == commits
    assert [call["to"] for call in sandbox.calls()] == [AGENT]
    assert [leg.status for leg in _legs(pg_app, request_id)] == ["queued"]


def _line_caller(app: Flask) -> tuple[uuid.UUID, CallAttempt]:
    """Commit a phone-line caller in line whose agent's phone is ringing them."""
    with Session(app.extensions["db"].engine) as session:
        widget = make_widget(session, allowed_origins=[], caller_id=CALLER_ID, line_enabled=True)
        agent = make_agent(session, phone=AGENT)
        request = make_request(
            widget, session=session, phone=None, channel="phone", on_line=True,
            line_call_sid="CA" + "9" * 32, status="calling_agent",
        )  # fmt: skip
        leg = CallAttempt(
            request_id=request.id, attempt_number=1, agent_id=agent.id, leg=Leg.AGENT,
            status="in-progress", call_sid="CA" + "1" * 32,
        )  # fmt: skip
        session.add(leg)
        session.commit()
        request_id, _ = request.id, session.refresh(leg)
        session.expunge_all()
        return request_id, leg


def _press_1(app: Flask, leg: CallAttempt) -> Any:
    params = {"CallSid": leg.call_sid or "", "Digits": "1"}
    return signed_post(app.test_client(), f"/twilio/attempts/{leg.id}/key", params)


def _take_callback(app: Flask, request_id: uuid.UUID) -> Any:
    params = {"CallSid": "CA" + "9" * 32, "Digits": "1", "From": VISITOR}
    return signed_post(app.test_client(), f"/twilio/lines/{request_id}/choice", params)


def test_a_caller_taking_a_callback_as_the_agent_presses_1_is_called_on_that_number(
    pg_app: Flask,
) -> None:
    request_id, agent_leg = _line_caller(pg_app)
    engine = pg_app.extensions["db"].engine
    hold = Hold()
    # The key press locks the request as it reads it, so the caller's choice comes either
    # before that read (here: the press has begun, the caller commits first) or after the
    # press commits (the next test). Nothing can change the request between the two.
    listener = _hold_before_sql(engine, "agent", "SELECT", hold)
    answers: list[Any] = []
    agent = _run("agent", lambda: answers.append(_press_1(pg_app, agent_leg)))
    with hold.meanwhile():  # the caller takes a callback (and leaves the queue) meanwhile
        assert b"<Leave" in _take_callback(pg_app, request_id).data
    _join(agent)
    event.remove(engine, "before_cursor_execute", listener)
    bridge = answers[0].data.decode()
    # The caller has left their queue: the agent must dial their number, not the queue.
    assert "<Number" in bridge
    assert VISITOR in bridge
    assert "<Queue" not in bridge
    assert _request(pg_app, request_id).status == RequestStatus.CALLING_VISITOR


def test_an_agent_pressing_1_as_the_caller_takes_a_callback_takes_them_from_the_queue(
    pg_app: Flask,
) -> None:
    request_id, agent_leg = _line_caller(pg_app)
    engine = pg_app.extensions["db"].engine
    hold = Hold()
    listener = _hold_before_sql(engine, "caller", "UPDATE CALLBACK_REQUESTS", hold)
    answers: list[Any] = []
    caller = _run("caller", lambda: answers.append(_take_callback(pg_app, request_id)))
    with hold.meanwhile():  # the agent presses 1 while the caller's key is being settled
        assert b"<Queue" in _press_1(pg_app, agent_leg).data
    _join(caller)
    event.remove(engine, "before_cursor_execute", listener)
    assert b"<Leave" not in answers[0].data  # told to hold: they are being connected
    ended = _request(pg_app, request_id)
    assert (ended.status, ended.phone, ended.on_line) == (RequestStatus.CALLING_VISITOR, None, True)


def test_a_dial_job_that_loses_its_agent_to_another_job_rings_the_next_free_one(
    sandbox: SandboxControl, pg_app: Flask, redis: Redis
) -> None:
    from workers.dial import dial  # noqa: PLC0415

    second_agent = "+442079460002"
    with Session(pg_app.extensions["db"].engine) as session:
        widget = make_widget(session, allowed_origins=[], caller_id=CALLER_ID)
        make_agent(session, phone=AGENT, priority=0)
        make_agent(session, name="Bo", phone=second_agent, priority=1)
        first, second = (
            make_request(widget, session=session, phone=phone, status="queued").id
            for phone in (VISITOR, "+442079460124")
        )
    hold = Hold()
    held = threading.Event()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The second job has chosen the first agent (free then) and is about to claim them.
        mine = threading.current_thread().name == "second-job" and not held.is_set()
        if mine and "FOR UPDATE" in statement:
            held.set()
            hold.here()

    engine = pg_app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", before)
    answers: list[str] = []

    def run_second() -> None:
        with pg_app.app_context():
            answers.append(dial(str(second)))

    job = _run("second-job", run_second)
    with hold.meanwhile(), pg_app.app_context():
        assert dial(str(first)) == "dialled"  # the first job claims and rings that agent
    _join(job)
    event.remove(engine, "before_cursor_execute", before)
    assert answers == ["dialled"]  # not left waiting while another agent was free
    assert sorted(call["to"] for call in sandbox.calls()) == [AGENT, second_agent]
