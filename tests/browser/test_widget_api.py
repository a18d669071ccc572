"""The page's API on the one script tag (window.Callback), in headless Chromium.

Events come from a real request through the stack (web app, RQ worker, Twilio sandbox);
their payloads never carry the visitor's number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from redis import Redis
from sqlalchemy import Engine

from callback.models import Widget
from callback.texts.form import form_texts
from tests.browser.widget_page import HOST, focused, part
from tests.e2e.stack import Stack
from tests.residue import find_number

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VISITOR = "+442079460123"
TYPED_DIGITS = "02079460123"
EN = form_texts("en")["statuses"]
Embed = Callable[..., tuple[str, Widget]]
# Every event, in order, as [name, payload]; one handler throws and must harm nothing.
RECORD = """() => {
    window.__events = [];
    for (const name of ['opened', 'submitted', 'scheduled', 'connected', 'completed', 'failed']) {
        Callback.on(name, () => { throw new Error('a broken handler of ' + name); });
        Callback.on(name, (payload) => window.__events.push([name, payload]));
    }
}"""
CALL_US = """() => document.querySelector('main').insertAdjacentHTML(
    'beforeend', '<p><button type="button" data-callback-open id="call-us">Call us</button></p>')"""


@pytest.fixture(autouse=True)
def no_residue(
    live: Stack, engine: Engine, redis: Redis, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    yield
    live.wait_calls_ended()
    assert find_number(VISITOR, engine, redis, caplog.text + live.worker_logs()) == []


def _ready(page: Page, url: str) -> None:
    page.goto(url)
    part(page, "button.launch").wait_for()


def _send(page: Page) -> None:
    part(page, "#cb-phone").press_sequentially(TYPED_DIGITS)
    part(page, "#cb-consent").check()
    part(page, "button.submit").click()


def _events(page: Page) -> list[list[Any]]:
    return list(page.evaluate("window.__events"))


def test_a_page_button_opens_it_and_the_page_hears_the_call_through_to_the_end(
    page: Page, live: Stack, embed: Embed
) -> None:
    site, _widget = embed()
    live.sandbox.set_phone("+442079460001", answer_after=6)
    live.sandbox.set_phone(VISITOR, answer_after=6, hangup_after=8)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _ready(page, site)
    page.evaluate(RECORD)
    page.evaluate(CALL_US)  # added after the script ran: found by delegation
    page.locator("#call-us").click()
    expect(part(page, "#cb-panel")).to_be_visible()
    assert focused(page) == "cb-phone"
    _send(page)
    expect(part(page, "#cb-status")).to_have_text(EN["completed"])
    events = _events(page)
    request_id = events[1][1]["requestId"]
    assert [name for name, _ in events] == ["opened", "submitted", "connected", "completed"]
    assert events == [
        ["opened", {"source": "element"}],
        ["submitted", {"requestId": request_id, "status": "queued"}],
        ["connected", {"requestId": request_id, "status": "connected"}],
        ["completed", {"requestId": request_id, "status": "completed"}],
    ]
    assert live.stored_request(request_id).widget_id == _widget.id
    assert TYPED_DIGITS[1:] not in json.dumps(events)
    assert sum("a broken handler of" in text for text in errors) == 4  # reported, not thrown
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "call-us"  # back where it began


def test_the_page_opens_and_closes_it_and_hears_a_scheduled_request_withdrawn(
    page: Page, live: Stack, embed: Embed
) -> None:
    today = datetime.now(ZoneInfo("Europe/London")).date()
    week = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    site, _widget = embed(
        business_hours=week, closed_dates=[today.isoformat()], timezone="Europe/London"
    )
    _ready(page, site)
    page.evaluate(RECORD)
    page.evaluate("Callback.open()")
    expect(part(page, "#cb-panel")).to_be_visible()
    assert focused(page) == "cb-phone"
    _send(page)
    expect(part(page, "#cb-cancel")).to_be_visible()
    part(page, "#cb-cancel").click()
    expect(part(page, "#cb-status")).to_have_text(EN["canceled"])
    page.evaluate("Callback.close()")
    expect(part(page, "#cb-panel")).to_be_hidden()
    expect(part(page, "button.launch")).to_have_attribute("aria-expanded", "false")
    events = _events(page)
    request_id = events[1][1]["requestId"]
    assert [name for name, _ in events] == ["opened", "submitted", "scheduled", "failed"]
    assert events[0] == ["opened", {"source": "api"}]
    assert events[1] == ["submitted", {"requestId": request_id, "status": "scheduled"}]
    scheduled_for = live.stored_request(request_id).scheduled_for
    assert scheduled_for is not None
    assert datetime.fromisoformat(events[2][1]["scheduledFor"]) == scheduled_for
    assert events[3] == [
        "failed",
        {"requestId": request_id, "status": "canceled", "outcome": events[3][1]["outcome"]},
    ]


def test_calls_queued_by_a_stub_before_the_script_loads_are_played(
    page: Page, live: Stack, embed: Embed
) -> None:
    site, _widget = embed()
    page.add_init_script(
        """window.Callback = window.Callback || {q: []};
        ['open', 'close', 'on', 'off'].forEach(function (m) {
            Callback[m] = Callback[m] || function () { Callback.q.push([m, arguments]); };
        });
        Callback.on('opened', function (e) { window.__opened = e; });
        Callback.open();"""
    )
    page.goto(site)
    expect(part(page, "#cb-panel")).to_be_visible()
    assert page.evaluate("window.__opened") == {"source": "api"}
    assert page.evaluate("typeof Callback.on('opened', () => {})") == "function"


def test_unsubscribing_stops_a_handler_and_unknown_events_are_refused(
    page: Page, live: Stack, embed: Embed
) -> None:
    site, _widget = embed()
    _ready(page, site)
    heard = page.evaluate(
        """() => {
            const heard = [];
            const stop = Callback.on('opened', () => heard.push('first'));
            const second = () => heard.push('second');
            Callback.on('opened', second);
            stop();
            Callback.off('opened', second);
            Callback.on('opened', () => heard.push('third'));
            Callback.open();
            let refused = '';
            try { Callback.on('closed', () => {}); } catch (e) { refused = e.message; }
            return [heard, refused];
        }"""
    )
    assert heard[0] == ["third"]
    assert "no event closed" in heard[1]


def test_the_script_loaded_twice_is_one_widget_with_one_api(
    page: Page, live: Stack, embed: Embed
) -> None:
    site, _widget = embed()
    _ready(page, site)
    page.evaluate(
        """() => new Promise((loaded) => {
            window.__first = window.Callback;
            const first = document.querySelector('script[data-widget]');
            const again = document.createElement('script');
            again.src = first.src;
            again.dataset.widget = first.dataset.widget;
            again.onload = loaded;
            document.body.appendChild(again);
        })"""
    )
    assert page.locator(HOST).count() == 1
    assert page.evaluate("window.Callback === window.__first")


def test_a_window_callback_of_the_page_is_left_alone(page: Page, live: Stack, embed: Embed) -> None:
    site, _widget = embed()
    warnings: list[ConsoleMessage] = []
    page.on("console", lambda m: warnings.append(m) if m.type == "warning" else None)
    page.add_init_script("window.Callback = {theirs: true};")
    _ready(page, site)
    assert page.evaluate("window.Callback") == {"theirs": True}
    assert any("window.Callback is taken" in m.text for m in warnings)
    page.evaluate(CALL_US)
    page.locator("#call-us").click()  # the page's elements still open it
    expect(part(page, "#cb-panel")).to_be_visible()
