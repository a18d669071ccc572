"""The widget in headless Chromium, embedded in the demo site on another origin.

Each scenario drives the real stack (web app, RQ worker, Twilio sandbox) through the
widget only, saves a screenshot of every state under test-artifacts/browser/, and ends
with the visitor's number nowhere: not in the database, Redis or the logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from callback.models import CallbackRequest, RequestStatus, Widget
from callback.texts.form import form_texts
from callback.texts.messages import message
from tests.browser.widget_page import (
    axe_violations,
    focused,
    open_widget,
    part,
    record_statuses,
    statuses,
)
from tests.e2e.stack import Stack
from tests.factories import example_number
from tests.residue import find_number

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VISITOR = "+442079460123"
TYPED_DIGITS = "02079460123"
SHOWN = "020 7946 0123"
EN = form_texts("en")["statuses"]
LONDON = "Europe/London"
Embed = Callable[..., tuple[str, Widget]]


@pytest.fixture(autouse=True)
def no_residue(
    live: Stack, engine: Engine, redis: Redis, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    yield
    live.wait_calls_ended()
    assert find_number(VISITOR, engine, redis, caplog.text + live.worker_logs()) == []


def _fill_and_send(page: Page, consent: bool = True) -> None:
    phone = part(page, "#cb-phone")
    phone.fill("")
    phone.press_sequentially(TYPED_DIGITS)
    if consent:
        part(page, "#cb-consent").check()
    part(page, "button.submit").click()


def test_visitor_watches_the_call_ring_connect_and_finish(
    page: Page, live: Stack, embed: Embed, shoot: Callable[[Page, str], None], axe_source: str
) -> None:
    site, _widget = embed()
    # Ringing lasts 1.5 s and the talk 2 s of real time: each state is on screen.
    live.sandbox.set_phone("+442079460001", answer_after=6)
    live.sandbox.set_phone(VISITOR, answer_after=6, hangup_after=8)
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(_origin(request.url)))
    page.goto(site)
    shoot(page, "closed")
    assert part(page, "button.launch").evaluate("b => getComputedStyle(b).color") == (
        "rgb(255, 255, 255)"  # the theme's text colour, not the host page's red buttons
    )
    part(page, "button.launch").click()
    part(page, "#cb-phone").press_sequentially(TYPED_DIGITS)
    expect(part(page, "#cb-phone")).to_have_value(SHOWN)
    part(page, "#cb-consent").check()
    shoot(page, "form")
    assert axe_violations(page, axe_source) == []
    record_statuses(page)
    part(page, "button.submit").click()
    status = part(page, "#cb-status")
    for state in ("calling_agent", "calling_visitor", "connected", "completed"):
        expect(status).to_have_text(EN[state])
        shoot(page, state)
    seen = [text for text in statuses(page) if text in EN.values()]
    assert seen == [EN[s] for s in ("calling_agent", "calling_visitor", "connected", "completed")]
    assert axe_violations(page, axe_source) == []
    assert origins == {_origin(site), _origin(live.web)}  # nobody else is asked for anything


def test_visitor_cancels_a_live_call_from_the_widget(
    page: Page, live: Stack, embed: Embed, shoot: Callable[[Page, str], None]
) -> None:
    site, _widget = embed()
    live.sandbox.set_phone(VISITOR, hangup_after=None)
    open_widget(page, site)
    _fill_and_send(page)
    status = part(page, "#cb-status")
    expect(status).to_have_text(EN["connected"])
    part(page, "#cb-cancel").click()
    expect(status).to_have_text(EN["canceled"])
    shoot(page, "canceled")
    expect(part(page, "#cb-cancel")).to_be_hidden()
    (request_id,) = [str(r.id) for r in _requests(live)]
    assert live.stored_request(request_id).status == RequestStatus.CANCELED


def test_closed_widget_asks_when_to_call_and_says_when_it_will(
    page: Page, live: Stack, embed: Embed, shoot: Callable[[Page, str], None], axe_source: str
) -> None:
    # Closed all day today; open 09:00-17:00 from tomorrow on.
    today = datetime.now(ZoneInfo(LONDON)).date()
    week = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    site, _widget = embed(business_hours=week, closed_dates=[today.isoformat()], timezone=LONDON)
    open_widget(page, site)
    time_field = part(page, "#cb-time")
    expect(time_field).to_be_visible()
    expect(time_field.locator("option").first).to_contain_text("As soon as we open")
    expect(time_field.locator("option").first).to_contain_text("09:00")
    slot = (today + timedelta(days=1)).strftime("%-d %b, 14:30")
    time_field.select_option(label=time_field.locator("option", has_text=slot).inner_text())
    shoot(page, "closed_form")
    _fill_and_send(page)
    status = part(page, "#cb-status")
    expect(status).to_contain_text("We'll call you at")
    expect(status).to_contain_text("14:30")
    shoot(page, "scheduled")
    assert axe_violations(page, axe_source) == []
    part(page, "#cb-cancel").click()
    expect(status).to_have_text(EN["canceled"])


def test_each_error_appears_under_its_field_in_the_servers_words(
    page: Page, live: Stack, embed: Embed, shoot: Callable[[Page, str], None], axe_source: str
) -> None:
    site, _widget = embed()
    open_widget(page, site)
    phone, consent = part(page, "#cb-phone"), part(page, "#cb-consent")
    cases = [
        ("invalid_number", "12345", True, "#cb-phone-err"),
        ("country_not_allowed", example_number("PL"), True, "#cb-phone-err"),
        # Only the server knows number types: this one is its 422, shown as it words it.
        ("number_type_not_allowed", "0901 234 5678", True, "#cb-phone-err"),
        ("consent_required", SHOWN, False, "#cb-consent-err"),
    ]
    for code, typed, agree, where in cases:
        phone.fill(typed)
        consent.set_checked(agree)
        part(page, "button.submit").click()
        expect(part(page, where)).to_have_text(message(code, "en"))
        field = consent if code == "consent_required" else phone
        expect(field).to_have_attribute("aria-invalid", "true")
        assert focused(page) == field.get_attribute("id")
        shoot(page, code)
    assert axe_violations(page, axe_source) == []
    assert _requests(live) == []


def test_keyboard_alone_opens_sends_cancels_and_closes(
    page: Page, live: Stack, embed: Embed
) -> None:
    site, _widget = embed()
    page.goto(site)
    launch = part(page, "button.launch")
    launch.focus()
    page.keyboard.press("Enter")
    assert focused(page) == "cb-phone"
    page.keyboard.type(TYPED_DIGITS)
    page.keyboard.press("Tab")
    assert focused(page) == "cb-consent"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(part(page, "#cb-cancel")).to_be_visible()
    assert focused(page) == "cb-status"  # the new status is where the visitor now is
    page.keyboard.press("Tab")
    assert focused(page) == "cb-cancel"
    page.keyboard.press("Enter")
    expect(part(page, "#cb-status")).to_have_text(EN["canceled"])
    page.keyboard.press("Escape")
    expect(part(page, "#cb-panel")).to_be_hidden()
    assert focused(page) == "launch"
    expect(launch).to_have_attribute("aria-expanded", "false")


def test_polish_page_gets_the_widget_in_polish_in_its_themed_corner(
    page: Page, live: Stack, embed: Embed, shoot: Callable[[Page, str], None], axe_source: str
) -> None:
    site, _widget = embed(
        language="en",
        theme_color="#ffd400",
        theme_position="bottom-left",
        allowed_countries=["GB", "PL"],
    )
    page.goto(f"{site}/pl")
    launch = part(page, "button.launch")
    expect(launch).to_have_text("Zadzwońcie do mnie")
    box, viewport = launch.bounding_box(), page.viewport_size
    assert box is not None
    assert viewport is not None
    assert box["x"] + box["width"] < viewport["width"] / 2  # bottom-left, as themed
    launch.click()
    expect(part(page, "#cb-country option").nth(1)).to_have_text("Polska (+48)")
    part(page, "#cb-country").select_option("PL")
    part(page, "#cb-phone").press_sequentially("512345678")
    expect(part(page, "#cb-phone")).to_have_value("512 345 678")
    part(page, "button.submit").click()
    expect(part(page, "#cb-consent-err")).to_have_text(message("consent_required", "pl"))
    shoot(page, "polish")
    assert axe_violations(page, axe_source) == []


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _requests(live: Stack) -> list[CallbackRequest]:
    with Session(live.engine) as session:
        return list(session.scalars(select(CallbackRequest)))


def test_the_widget_keeps_its_own_request_across_a_page_load(
    page: Page, live: Stack, embed: Embed, shoot: Callable[[Page, str], None]
) -> None:
    site, _widget = embed()
    live.sandbox.set_phone(VISITOR, hangup_after=None)  # the call stays up until canceled
    open_widget(page, site)
    _fill_and_send(page)
    status = part(page, "#cb-status")
    expect(status).to_have_text(EN["connected"])
    page.reload()
    part(page, "button.launch").click()
    expect(status).to_have_text(EN["connected"])  # this tab's request, after the reload
    expect(part(page, "#cb-phone")).to_be_hidden()
    shoot(page, "recalled")
    part(page, "#cb-cancel").click()
    expect(status).to_have_text(EN["canceled"])
    page.reload()  # an ended request is forgotten: the form is back
    open_widget(page, site)
    expect(part(page, "#cb-phone")).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage)") == []


def test_another_visitor_typing_a_pending_number_learns_nothing_of_it(
    page: Page, live: Stack, embed: Embed, browser: Browser
) -> None:
    site, _widget = embed()
    live.sandbox.set_phone(VISITOR, hangup_after=None)
    open_widget(page, site)
    _fill_and_send(page)
    expect(part(page, "#cb-status")).to_have_text(EN["connected"])
    stranger = browser.new_context(locale="en-GB").new_page()
    open_widget(stranger, site)
    _fill_and_send(stranger)
    expect(part(stranger, "#cb-status")).to_have_text(message("already_requested", "en"))
    expect(part(stranger, "#cb-cancel")).to_be_hidden()
    assert stranger.evaluate("Object.keys(sessionStorage)") == []
    stranger.context.close()
    part(page, "#cb-cancel").click()
    expect(part(page, "#cb-status")).to_have_text(EN["canceled"])
