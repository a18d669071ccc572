"""SQL statements and Redis commands per submission and per webhook (machine-independent).

Runs the app in-process (Flask's test client) on the bench database and Redis; limits
are counted twice: off (as the throughput benchmarks run) and on (as production runs).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bench.counting import Counts, counting
from bench.env import BenchEnv, add_env_option
from bench.fixtures import ORIGIN, make_agents, make_widget
from bench.numbers import visitor_numbers
from callback import create_app
from callback.models import CallAttempt, CallbackRequest, Leg, RequestStatus
from callback.settings import SANDBOX_AUTH_TOKEN

PUBLIC_BASE_URL = "http://bench.test"


def build_app(env: BenchEnv, limits: bool) -> Flask:
    config = env.app_config(PUBLIC_BASE_URL=PUBLIC_BASE_URL, RATELIMIT_ENABLED=limits)
    return create_app(config)


def count_submissions(app: Flask, env: BenchEnv, key: str, numbers: Iterator[str]) -> Counts:
    """Count the second of two fresh submissions (the first warms caches and pools)."""
    client = app.test_client()
    redis = env.redis()
    headers = {"Origin": ORIGIN}
    path = f"/api/v1/widgets/{key}/callbacks"
    client.post(path, json={"phone": next(numbers), "consent": True}, headers=headers)
    with counting(env.engine_for(app), redis) as counts:
        answer = client.post(path, json={"phone": next(numbers), "consent": True}, headers=headers)
    assert answer.status_code == 202, answer.get_data(as_text=True)
    return counts


def signed_status(attempt_id: int, sid: str, status: str, sequence: int) -> dict[str, Any]:
    """Return the path, form and signature headers of one status callback."""
    path = f"/twilio/attempts/{attempt_id}/status"
    form = {"CallSid": sid, "CallStatus": status, "SequenceNumber": str(sequence)}
    signature = RequestValidator(SANDBOX_AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, form)
    return {"path": path, "data": form, "headers": {"X-Twilio-Signature": signature}}


def make_attempt(env: BenchEnv, app: Flask, key: str, phone: str) -> tuple[int, str]:
    """Store a request whose agent leg is queued at Twilio; return its attempt id and SID."""
    from callback.models import Widget  # noqa: PLC0415

    sid = "CA" + uuid.uuid4().hex
    with Session(env.engine_for(app)) as session:
        widget = session.query(Widget).filter_by(key=key).one()
        request = CallbackRequest(
            widget=widget,
            phone=phone,
            country="GB",
            number_type="FIXED_LINE",
            locale="en",
            consent_version=widget.consent_version,
            status=RequestStatus.CALLING_AGENT,
        )
        session.add(request)
        session.flush()
        attempt = CallAttempt(
            request_id=request.id,
            leg=Leg.AGENT,
            attempt_number=1,
            round=1,
            status="queued",
            call_sid=sid,
        )
        session.add(attempt)
        session.commit()
        return attempt.id, sid


def count_webhook(app: Flask, env: BenchEnv, key: str, numbers: Iterator[str]) -> Counts:
    """Count a status callback that records an event and moves the leg to ringing."""
    client = app.test_client()
    warm_id, warm_sid = make_attempt(env, app, key, next(numbers))
    client.post(**signed_status(warm_id, warm_sid, "initiated", 0))
    attempt_id, sid = make_attempt(env, app, key, next(numbers))
    with counting(env.engine_for(app), env.redis()) as counts:
        answer = client.post(**signed_status(attempt_id, sid, "ringing", 1))
    assert answer.status_code == 204, answer.get_data(as_text=True)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_env_option(parser)
    args = parser.parse_args()
    env = BenchEnv(embedded=args.embedded)
    env.reset()
    key = make_widget(env.engine)
    make_agents(env.engine, 1)
    numbers = visitor_numbers()
    print("counts per request (SQL statements sent; Redis commands received, Lua inner excluded)")
    for limits in (False, True):
        app = build_app(env, limits)
        with app.app_context():
            sub = count_submissions(app, env, key, numbers)
            hook = count_webhook(app, env, key, numbers)
        label = "limits on " if limits else "limits off"
        print(f"  submission ({label}): {sub.summary()}")
        print(f"  webhook    ({label}): {hook.summary()}")
        app.extensions["db"].engine.dispose()
    env.close()


if __name__ == "__main__":
    main()
