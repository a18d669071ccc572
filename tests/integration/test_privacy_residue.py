"""The no-residue helper finds a number in every kind of store, and nothing when clean."""

from __future__ import annotations

import pickle
import zlib

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job

from callback import db
from callback.models import CallAttempt, CallbackRequest, CallEvent, Leg, RequestStatus
from tests.factories import VISITOR_LANDLINE, make_widget, session_connection
from tests.residue import find_number, number_forms
from workers.failures import scrub_failure

OTHER_NUMBER = "+442079460999"


def fail_quoting(number: str) -> None:
    """A job that fails the way Twilio does when it refuses a `To` number."""
    raise RuntimeError(f"Unable to create record: The 'To' number {number} is not valid")


def fail_quoting_reversed(backwards: str) -> None:
    """The same failure, from arguments that do not themselves hold the number."""
    fail_quoting(backwards[::-1])


def stored_request(**overrides: object) -> CallbackRequest:
    fields: dict[str, object] = {
        "widget": make_widget(),
        "phone": None,
        "country": "GB",
        "number_type": "FIXED_LINE",
        "consent_version": "t",
        "status": RequestStatus.COMPLETED,
    }
    fields.update(overrides)
    row = CallbackRequest(**fields)
    db.session().add(row)
    db.session().commit()
    return row


def test_forms_cover_e164_international_national_and_digits() -> None:
    forms, significant = number_forms(VISITOR_LANDLINE)
    assert set(forms) == {
        "+442079460123",
        "+44 20 7946 0123",
        "020 7946 0123",
        "442079460123",
        "02079460123",
    }
    assert significant == "2079460123"


def test_clean_stores_report_nothing(app: Flask, redis: Redis) -> None:
    stored_request()
    redis.set("callback:unrelated", "+442079460999")
    assert find_number(VISITOR_LANDLINE, session_connection(), redis, "no numbers here") == []


def test_number_in_a_text_column_is_found(app: Flask, redis: Redis) -> None:
    stored_request(phone=VISITOR_LANDLINE, status=RequestStatus.QUEUED)
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == ["callback_requests.phone"]


def test_number_inside_a_json_column_is_found_in_any_format(app: Flask, redis: Redis) -> None:
    row = stored_request()
    attempt = CallAttempt(request_id=row.id, leg=Leg.AGENT, attempt_number=1, status="queued")
    db.session().add(attempt)
    db.session().flush()
    event = CallEvent(
        call_sid="CA" + "e" * 32,
        attempt_id=attempt.id,
        sequence_number=0,
        status="ringing",
        params={"Called": "(020) 7946-0123"},
    )
    db.session().add(event)
    db.session().commit()
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == ["call_events.params"]


def test_number_in_every_kind_of_redis_value_is_found(app: Flask, redis: Redis) -> None:
    redis.set("k:string", "to=+44 20 7946 0123")
    redis.hset("k:hash", "to", "02079460123")
    redis.rpush("k:list", "x", "442079460123")
    redis.sadd("k:set", "020 7946 0123")
    redis.zadd("k:zset", {"+442079460123": 1})
    redis.xadd("k:stream", {"to": "+442079460123"})
    redis.set("k:name:+442079460123", "1")
    redis.set("k:zlib", zlib.compress(b"+442079460123"))
    redis.set("k:pickled-int", pickle.dumps((442079460123,)))
    redis.set("k:clean", "nothing")
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == [
        "redis:k:hash",
        "redis:k:list",
        "redis:k:name:+442079460123",
        "redis:k:pickled-int",
        "redis:k:set",
        "redis:k:stream",
        "redis:k:string",
        "redis:k:zlib",
        "redis:k:zset",
    ]


def test_number_in_rq_job_arguments_is_found_through_compression(app: Flask, redis: Redis) -> None:
    job = Queue("calls", connection=redis).enqueue(fail_quoting, VISITOR_LANDLINE)
    assert f"redis:rq:job:{job.id}" in find_number(VISITOR_LANDLINE, session_connection(), redis)


def test_number_in_log_text_is_found(app: Flask, redis: Redis) -> None:
    log_text = "INFO dialling 020 7946 0123 now"
    assert find_number(VISITOR_LANDLINE, session_connection(), redis, log_text) == ["logs"]
    assert find_number(OTHER_NUMBER, session_connection(), redis, log_text) == []


def test_failure_text_quoting_a_number_is_found_unless_scrubbed(app: Flask, redis: Redis) -> None:
    queue = Queue("calls", connection=redis)
    backwards = "+44 20 7946 0123"[::-1]
    queue.enqueue(fail_quoting_reversed, backwards, job_id="plain")
    SimpleWorker([queue], connection=redis).work(burst=True)
    # RQ 3 keeps the traceback in the job's results stream, base64 of zlib.
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == ["redis:rq:results:plain"]
    redis.flushdb()

    queue.enqueue(fail_quoting_reversed, backwards, job_id="scrubbed")
    SimpleWorker([queue], connection=redis, exception_handlers=[scrub_failure]).work(burst=True)
    stored = Job.fetch("scrubbed", connection=redis).latest_result()
    assert stored is not None
    assert stored.exc_string is not None
    assert "The 'To' number [phone] is not valid" in stored.exc_string
    assert find_number(VISITOR_LANDLINE, session_connection(), redis) == []
