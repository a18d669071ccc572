"""Lifecycle fixtures: the sandbox in a thread, and rows aged past the reconciler's cut-off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from callback.sandbox import create_sandbox_app
from callback.sandbox.server import serve_in_thread
from callback.settings import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN

# Well past every cut-off the reconciler uses (stale work, silent calls, creates in flight).
LONG_AGO = timedelta(minutes=10)


@pytest.fixture
def sandbox_url(settings: dict[str, Any]) -> Iterator[str]:
    """A sandbox serving Twilio's REST subset, which the app under test talks to."""
    sandbox = create_sandbox_app(
        {
            "SANDBOX_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
            "SANDBOX_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
            "SANDBOX_TIME_SCALE": 0,
        }
    )
    server, url = serve_in_thread(sandbox)
    settings["TWILIO_API_BASE_URL"] = url
    yield url
    server.close()
