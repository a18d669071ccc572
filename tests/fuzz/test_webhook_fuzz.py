"""Signed Twilio callbacks with arbitrary values: every handler answers, none crashes."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from callback.models import CallAttempt
from tests.factories import make_agent_leg
from tests.twilio_signing import signed_post

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
TWILIO_NAMES = [
    "CallSid",
    "CallStatus",
    "SequenceNumber",
    "Timestamp",
    "CallDuration",
    "Duration",
    "Digits",
    "AnsweredBy",
    "DialCallStatus",
    "DialCallSid",
    "DialCallDuration",
    "ErrorCode",
    "SipResponseCode",
    "ParentCallSid",
]
SID_NAMES = {"CallSid", "DialCallSid", "ParentCallSid"}
STATUSES = ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer"]
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from([*STATUSES, "1", "-1", "0", "99999999999999999999999", "\u00b2", "\u0661"]),
    st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    st.sampled_from(["Fri, 27 Nov 2026 10:00:00 -0000", "Mon, 99 Feb 10000 99:99:99 +9999"]),
)
FORMS = st.builds(
    lambda known, other: {**other, **known},
    st.dictionaries(st.sampled_from(TWILIO_NAMES), VALUES, max_size=8),
    st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=20), max_size=3),
)
ROUTES = st.sampled_from(["status", "whisper", "key", "dial-result"])


def calling_agent() -> CallAttempt:
    return make_agent_leg()


@pytest.mark.slow
@FUZZ
@given(route=ROUTES, form=FORMS, existing=st.booleans())
@example(route="status", form={"SequenceNumber": "\u00b2", "CallStatus": "ringing"}, existing=True)
@example(route="status", form={"SequenceNumber": "9" * 30}, existing=True)
@example(route="status", form={"CallStatus": "ringing", "AnsweredBy": "human\x00"}, existing=True)
@example(route="key", form={"Digits": "1\x00"}, existing=True)
@example(route="status", form={"CallStatus": "completed", "CallDuration": "9" * 30}, existing=True)
@example(route="status", form={"Timestamp": "Fri, 27 Nov 2026 10:00:00 -0000"}, existing=True)
@example(
    route="dial-result",
    form={"DialCallStatus": "completed", "DialCallDuration": "\u0661"},
    existing=True,
)
def test_signed_callbacks_with_any_values_never_fail(
    app: Flask, client: FlaskClient, route: str, form: dict[str, str], existing: bool
) -> None:
    attempt_id = calling_agent().id if existing else 2**31 - 1
    # Twilio never reuses a call SID; examples share one database, so keep theirs apart.
    form = {k: f"{attempt_id}-{v}" if k in SID_NAMES and v else v for k, v in form.items()}
    response = signed_post(client, f"/twilio/attempts/{attempt_id}/{route}", form)
    assert response.status_code < 500
    if any("\x00" in value for value in form.values()):
        assert response.status_code == 400  # Twilio never sends a NUL; nothing can store it
    else:
        assert response.status_code in {200, 204} if existing else response.status_code == 404
