"""Simulated time, the phones page, the control API's shape, serving and the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import requests
from click.testing import CliRunner

from callback.sandbox import create_sandbox_app
from callback.sandbox.cli import sandbox_command
from tests.sandbox.conftest import (
    ACCOUNT_SID,
    AGENT,
    AUTH_TOKEN,
    VISITOR,
    ended,
    place,
    start_sandbox,
    twilio_client,
)

CALLBACK_FLOW = (
    '<Response><Gather numDigits="1" action="/accepted"><Say>A visitor waits</Say></Gather>'
    "</Response>"
)


def test_at_time_scale_zero_a_whole_callback_flow_takes_well_under_a_second(
    sandbox, customer, client
):
    customer.twiml["voice"] = CALLBACK_FLOW
    customer.twiml["accepted"] = f"<Response><Dial>{VISITOR}</Dial></Response>"
    began = time.monotonic()

    call = place(client, customer)
    played = ended(sandbox, call.sid)

    assert time.monotonic() - began < 1.0
    assert played["status"] == "completed"
    assert int(played["duration"]) >= 5  # simulated: prompt, keypad, ringing, five of talk


def test_time_scale_stretches_simulated_seconds_into_real_ones(customer):
    server, box = start_sandbox({"SANDBOX_TIME_SCALE": 0.01})
    try:
        box.control.set_phone(AGENT, answer_after=30)
        began = time.monotonic()
        call = place(twilio_client(box.url), customer)
        played = ended(box, call.sid)

        assert time.monotonic() - began >= 0.3
        assert next(e["at"] for e in played["log"] if e["kind"] == "answered") == 30
    finally:
        box.control.close()
        server.close()


def test_the_app_factory_starts_no_threads():
    before = threading.active_count()

    create_sandbox_app({"SANDBOX_TIME_SCALE": 0})

    assert threading.active_count() == before


def test_the_phones_page_is_self_contained_and_polls_the_state(sandbox):
    page = requests.get(sandbox.url + "/", timeout=5)

    assert page.status_code == 200
    assert "Sandbox phones" in page.text
    assert "/_sandbox/state" in page.text
    assert "<script src" not in page.text
    assert "https://" not in page.text


def test_the_state_shows_phones_calls_and_what_was_said(sandbox, customer, client):
    customer.twiml["voice"] = "<Response><Say>Hello agent</Say></Response>"
    call = place(client, customer)
    ended(sandbox, call.sid)

    state = sandbox.control.state()

    assert AGENT in state["phones"]
    assert state["phones"][AGENT]["answer_after"] == 1.0
    (shown,) = state["calls"]
    assert shown["sid"] == call.sid
    assert any(e.get("text") == "Hello agent" for e in shown["log"])


def test_control_actions_on_unknown_or_finished_calls_are_refused(sandbox, customer, client):
    call = place(client, customer)
    ended(sandbox, call.sid)
    post = sandbox.control.session.post

    assert post(f"{sandbox.url}/_sandbox/calls/CA{'0' * 32}/answer", timeout=5).status_code == 404
    assert post(f"{sandbox.url}/_sandbox/calls/{call.sid}/answer", timeout=5).status_code == 409


def test_the_cli_help_names_its_options():
    result = CliRunner().invoke(sandbox_command, ["--help"])

    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--account-sid",
        "--auth-token",
        "--scenario",
        "--time-scale",
    ):
        assert option in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_cli_serves_the_sandbox_with_credentials_from_the_environment(customer):
    port = _free_port()
    env = {
        **os.environ,
        "SANDBOX_ACCOUNT_SID": ACCOUNT_SID,
        "SANDBOX_AUTH_TOKEN": AUTH_TOKEN,
        "SANDBOX_TIME_SCALE": "0",
    }
    code = "from callback.sandbox.cli import sandbox_command; sandbox_command()"
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", code, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(base_url + "/_sandbox/state", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the sandbox CLI did not start"
                time.sleep(0.05)
        call = place(twilio_client(base_url), customer)
        assert call.status == "queued"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=5)
    assert AGENT.encode() not in stderr  # phone numbers never reach the log
