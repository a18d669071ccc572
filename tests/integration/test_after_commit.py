"""Work a transaction decides is enqueued once it commits, and never if it rolls back."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from redis import Redis
from rq.job import Job

from callback import after_commit, db
from callback.lifecycle.work import EndCalls, EraseProviderRecords
from workers.queues import enqueue_work, hangup_job_id, provider_job_id


def _hangup_job(request_id: uuid.UUID, redis: Redis) -> bool:
    return Job.exists(hangup_job_id(request_id), connection=redis)


def test_work_is_enqueued_after_the_commit_not_before(app: Flask, redis: Redis) -> None:
    session = db.session()
    request_id = uuid.uuid4()
    receipt = after_commit.add(session, EndCalls(request_id))
    assert not _hangup_job(request_id, redis)
    session.commit()
    assert _hangup_job(request_id, redis)
    assert isinstance(receipt.result, Job)


def test_a_rollback_drops_the_work_it_decided(app: Flask, redis: Redis) -> None:
    session = db.session()
    request_id = uuid.uuid4()
    after_commit.add(session, EndCalls(request_id))
    session.rollback()
    session.commit()
    assert not _hangup_job(request_id, redis)


def test_the_same_work_added_twice_is_done_once(app: Flask, redis: Redis) -> None:
    session = db.session()
    request_id = uuid.uuid4()
    first = after_commit.add(session, EndCalls(request_id))
    assert after_commit.add(session, EndCalls(request_id)) is first
    session.commit()
    assert isinstance(first.result, Job)


def test_provider_erasure_follows_only_when_turned_on(app: Flask, redis: Redis) -> None:
    session = db.session()
    off, on = uuid.uuid4(), uuid.uuid4()
    after_commit.add(session, EraseProviderRecords(off))
    session.commit()
    app.config["ERASE_PROVIDER_RECORDS"] = True
    after_commit.add(session, EraseProviderRecords(on))
    session.commit()
    assert not Job.exists(provider_job_id(off), connection=redis)
    assert Job.exists(provider_job_id(on), connection=redis)


def test_one_failing_piece_stops_neither_the_others_nor_the_session(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    done: list[str] = []

    def handler(work: object) -> object:
        if work == "boom":
            raise ConnectionError("the queue is gone")
        done.append(str(work))
        return "enqueued"

    after_commit.install(handler)
    try:
        session = db.session()
        after_commit.add(session, "first")
        after_commit.add(session, "boom")
        last = after_commit.add(session, "last")
        session.commit()
        session.rollback()  # the session is still usable
    finally:
        after_commit.install(enqueue_work)
    assert done == ["first", "last"]
    assert last.result == "enqueued"
    assert "after-commit work failed: str error=ConnectionError" in caplog.text
