"""`python3 run.py dev` as a newcomer runs it: the printed URLs open in Chromium, calls complete.

The command runs exactly as the README says, on its embedded defaults (SQLite, embedded
Redis, sandbox) in a fresh instance folder, on its default ports. Chromium gets no flag
that unblocks ports, so a URL on a port the Fetch standard bars would fail to load.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser, expect

from callback.dev.demo import DEMO_AGENT_PHONE
from callback.texts.form import status_texts
from tests.bad_ports import BAD_PORTS
from tests.browser.conftest import CHROMIUM_ARGS, ROOT
from tests.browser.widget_page import open_widget, part

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

STARTUP_SECONDS = 120.0  # a first start migrates a new SQLite file and starts Redis
CALL_MS = 90_000  # the demo plays calls in real time: about 17 s of ringing and talk
PHONES = r"Phones \(sandbox\)"
# "Console" is the demo owner's one-time invitation link on a first run (opening it
# shows the join page and uses nothing up).
SUMMARY = ("Demo site", "Demo form", PHONES, "Console")
URL = re.compile(r"https?://[^\s/'\")]+(?:/[^\s'\")]*)?")
# What the environment may carry from another setup; the README's command starts without it.
FOREIGN_SETTINGS = ("DATABASE_URL", "REDIS_URL", "ADMIN_TOKENS", "TELEPHONY", "PUBLIC_BASE_URL",
                    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL",
                    "SANDBOX_SCENARIO", "CALLBACK_ENV")  # fmt: skip


@dataclass
class DevRun:
    """The running command and everything it printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def printed(self) -> str:
        return "\n".join(self.lines)

    def summary_url(self, label: str) -> str:
        match = re.search(rf"{label}:\s+(\S+)", self.printed())
        assert match, f"`run.py dev` printed no {label!r} line:\n{self.printed()}"
        return match.group(1)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code < 500
    except requests.RequestException:
        return False


def _wait(condition: Callable[[], bool], what: str, run: DevRun) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not condition():
        if run.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"`run.py dev` never got to {what}:\n{run.printed()[-4000:]}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevRun]:
    env = {name: value for name, value in os.environ.items() if name not in FOREIGN_SETTINGS}
    env["CALLBACK_INSTANCE_DIR"] = str(tmp_path_factory.mktemp("dev-instance"))
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(  # noqa: S603 - the README's own command
        [sys.executable, str(ROOT / "run.py"), "dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: Ctrl-C reaches every child
    )
    run = DevRun(process)
    reader = threading.Thread(target=run.read, daemon=True)
    reader.start()
    try:
        _wait(lambda: "Press Ctrl-C" in run.printed(), "its summary", run)
        for label in SUMMARY:
            url = run.summary_url(label)
            _wait(lambda url=url: _answers(url), f"serve {url}", run)
        yield run
    finally:
        _stop(process)
        reader.join(timeout=10)  # the pipe ends with the last child
        assert process.stdout is not None
        process.stdout.close()


def _stop(process: subprocess.Popen[str]) -> None:
    for sig, grace in ((signal.SIGINT, 30), (signal.SIGKILL, 10)):  # Ctrl-C, then for sure
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def test_every_url_it_prints_is_on_a_port_browsers_open(dev: DevRun) -> None:
    urls = set(URL.findall(dev.printed()))
    summary = {dev.summary_url(label) for label in SUMMARY}
    assert summary <= urls
    ports = {url: urlsplit(url).port or 80 for url in urls}
    assert {url: port for url, port in ports.items() if port in BAD_PORTS} == {}


def test_phones_page_lists_the_demo_agent_before_any_call(dev: DevRun, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(dev.summary_url(PHONES))
    expect(page.locator("#phones")).to_contain_text(DEMO_AGENT_PHONE)
    context.close()


@pytest.mark.parametrize(("path", "lang", "typed"), [("", "en", "020 7946 0123"),
                                                    ("pl", "pl", "020 7946 0124")])  # fmt: skip
def test_demo_site_call_completes_in_the_pages_language(
    dev: DevRun, browser: Browser, path: str, lang: str, typed: str
) -> None:
    assert not [arg for arg in CHROMIUM_ARGS if "port" in arg]  # nothing unblocks a bad port
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    open_widget(page, dev.summary_url("Demo site") + path)
    part(page, "#cb-phone").fill(typed)
    part(page, "#cb-consent").check()
    part(page, "button.submit").click()
    expect(part(page, "#cb-status")).to_have_text(status_texts(lang)["completed"], timeout=CALL_MS)
    context.close()
