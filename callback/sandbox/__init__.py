"""A Twilio-compatible sandbox: a local fake Twilio that plays calls to scripted phones.

Config keys: SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN (the credentials it accepts),
SANDBOX_SCENARIO (a TOML path or a mapping), SANDBOX_TIME_SCALE (real seconds per
simulated second; 0 plays a whole call at once), SANDBOX_NUMBERS (the numbers the
account owns; by default the development caller ID) and SANDBOX_CALLER_IDS (its verified
caller IDs; none by default).

A scenario gives every number's person (see `people.Behaviour` for the fields)::

    [default]                      # numbers nobody configured
    answer_after = 1.0
    digits = "1"                   # or a list, one entry per <Gather>
    hangup_after = 5.0             # seconds of talk as a dialled callee

    [phones."+442079460001"]
    manual = true                  # rings until someone answers on the phones page

The control API lives under /_sandbox/ (state, requests, phones/<number>, chaos, numbers,
numbers/<number> (PUT: voice_url...), reset, calls/inbound (POST: from, to),
calls/<sid>/answer|digits|hangup); `control.SandboxControl` is its client.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from callback.sandbox import account, control_api, messages_rest, queues_rest, rest
from callback.sandbox.network import Network
from callback.sandbox.numbers import AccountNumbers
from callback.settings import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_FROM_NUMBER

DEFAULTS: dict[str, Any] = {
    "SANDBOX_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
    "SANDBOX_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
    "SANDBOX_SCENARIO": None,
    "SANDBOX_TIME_SCALE": 1.0,
    # The development caller ID is the account's own, so `callback dev` dials from it.
    "SANDBOX_NUMBERS": (SANDBOX_FROM_NUMBER,),
    "SANDBOX_CALLER_IDS": (),
    # Owned number -> the Voice URL its incoming calls fetch (a Twilio number's setting).
    "SANDBOX_VOICE_URLS": {},
}


def load_scenario(scenario: str | os.PathLike[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the scenario as data: a TOML file's tables, a mapping as is, or nothing."""
    if scenario is None or scenario == "":
        return {}
    if isinstance(scenario, Mapping):
        return dict(scenario)
    with Path(scenario).open("rb") as file:
        return tomllib.load(file)


def create_sandbox_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the sandbox app: Twilio's REST subset, the control API and the phones page."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.extensions["sandbox"] = Network(
        account_sid=app.config["SANDBOX_ACCOUNT_SID"],
        auth_token=app.config["SANDBOX_AUTH_TOKEN"],
        scale=float(app.config["SANDBOX_TIME_SCALE"]),
        scenario=load_scenario(app.config["SANDBOX_SCENARIO"]),
        numbers=AccountNumbers(app.config["SANDBOX_NUMBERS"], app.config["SANDBOX_CALLER_IDS"]),
    )
    network: Network = app.extensions["sandbox"]
    for number, url in dict(app.config["SANDBOX_VOICE_URLS"]).items():
        network.numbers.configure_voice(number, {"voice_url": url})
    app.register_blueprint(rest.bp)
    app.register_blueprint(messages_rest.bp)
    app.register_blueprint(queues_rest.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(control_api.bp)
    return app


__all__ = ["create_sandbox_app", "load_scenario"]
