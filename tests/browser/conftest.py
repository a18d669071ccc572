"""Browser fixtures: headless Chromium (Playwright), the live stack, and the demo host site.

The widget runs on the demo site's origin and talks to the web app on another origin,
exactly as on a customer's site. Chromium is Debian's /usr/bin/chromium, never one
Playwright downloads; axe-core comes from npm into .cache/npm (.ci/run installs both).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callback.dev.demo_site import create_demo_site
from callback.models import Widget
from callback.sandbox.server import ServedApp, serve_in_thread
from tests.e2e.conftest import LIVE_WIDGET, empty_tables
from tests.e2e.stack import Stack, running_stack
from tests.factories import make_agent, make_widget
from tests.npm_tools import npm_tool

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
AGENT = "+442079460001"
# Simulated seconds last a quarter of a real one: "Connected" is on screen long enough to see.
TIME_SCALE = 0.25
POLL_MS = 200
# Waits, not delays: a loaded CI machine may need seconds for the worker to dial.
WAIT_MS = 20_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium: apt-get install -y chromium")
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (its own --user-data-dir).
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return npm_tool("axe-core/axe.min.js").read_text()


@pytest.fixture
def live(
    settings: dict[str, Any],
    engine: Engine,
    redis: Redis,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Stack]:
    caplog.set_level(logging.DEBUG)
    empty_tables(engine)
    # One test submits several numbers from one address; the limits have their own tests.
    quiet = {**settings, "RATELIMIT_ENABLED": False}
    with running_stack(quiet, engine, tmp_path, time_scale=TIME_SCALE) as stack:
        yield stack
    empty_tables(engine)


@pytest.fixture
def embed(live: Stack, engine: Engine) -> Iterator[Callable[..., tuple[str, Widget]]]:
    """Return a function that makes a widget and serves the demo site embedding it."""
    servers: list[ServedApp] = []

    def make(**widget_fields: Any) -> tuple[str, Widget]:
        with Session(engine, expire_on_commit=False) as session:
            widget = make_widget(session, **{**LIVE_WIDGET, **widget_fields})
            make_agent(session, phone=AGENT)
            server, site_url = serve_in_thread(create_demo_site(live.web, widget.key, POLL_MS))
            servers.append(server)
            widget.allowed_origins = [site_url]
            session.commit()
        return site_url, widget

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """Return a function saving a screenshot of the page as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, state: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}--{state}.png"))

    return save
