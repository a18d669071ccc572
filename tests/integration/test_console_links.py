"""Links the console shows to be sent on: under PUBLIC_BASE_URL, else the console's address."""

from __future__ import annotations

import pytest
from flask import Flask

from callback.console.links import invitation_link


def test_an_invitation_link_is_under_the_public_address(app: Flask) -> None:
    with app.test_request_context("/console/accounts/invite", base_url="http://10.0.0.5:8000"):
        assert invitation_link("tok") == "http://callback.test/console/join?token=tok"


def test_without_a_public_address_it_is_under_the_address_the_console_was_reached_at(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "")
    with app.test_request_context("/console/agents/1/invite", base_url="https://cb.example.com"):
        assert invitation_link("tok") == "https://cb.example.com/console/join?token=tok"
