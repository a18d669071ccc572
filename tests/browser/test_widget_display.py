"""Display rules in headless Chromium: a nudge or the dialog, on a timer, on exit intent,
after a scroll depth, on matching paths; once a visit, no cookies, sessionStorage only.

Timers run on Playwright's clock (page.clock): no test waits seconds of wall time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from callback.models import Widget
from callback.texts import translate
from tests.browser.widget_page import HOST, axe_violations, part
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

Embed = Callable[..., tuple[str, Widget]]
NUDGE = translate("widget.nudge", "en")
IN_WIDGET = f"() => document.querySelector('{HOST}').shadowRoot.activeElement !== null"


def _ready(page: Page, url: str) -> None:
    page.goto(url)
    part(page, "button.launch").wait_for()


def _storage(page: Page) -> list[str]:
    return sorted(page.evaluate("Object.keys(sessionStorage)"))


def _at_path(page: Page, path: str) -> None:
    """Make the next pages say they are at `path` (the demo site has one page).

    Before any of the page's scripts run, as a single-page app's router would; a page
    played by page.route would be a public page, refused the loopback server's script.
    """
    page.add_init_script(f"history.replaceState(null, '', {path!r})")


def test_nudge_after_some_seconds_once_a_visit_accessible_and_cookieless(
    page: Page, live: Stack, embed: Embed, axe_source: str, shoot: Callable[[Page, str], None]
) -> None:
    site, widget = embed(display_action="nudge", display_after_seconds=30)
    page.clock.install()
    _ready(page, site)
    nudge = part(page, "#cb-nudge")
    page.clock.fast_forward("00:25")
    expect(nudge).to_be_empty()
    page.clock.fast_forward("00:06")
    expect(nudge).to_have_text(NUDGE)
    expect(nudge).to_have_attribute("aria-live", "polite")
    expect(part(page, "#cb-panel")).to_be_hidden()  # a nudge, not the dialog
    assert not page.evaluate(IN_WIDGET)  # the focus stayed where the visitor had it
    shoot(page, "nudge")
    assert axe_violations(page, axe_source) == []
    assert page.context.cookies() == []
    assert _storage(page) == [f"callback:{widget.key}:shown"]
    part(page, "button.nudge-x").click()
    expect(nudge).to_be_empty()
    expect(part(page, "button.nudge-x")).to_be_hidden()
    page.reload()  # the same visit: not again
    part(page, "button.launch").wait_for()
    page.clock.fast_forward("01:00")
    expect(nudge).to_be_empty()


def test_a_nudge_is_not_animated_when_motion_is_reduced(
    page: Page, live: Stack, embed: Embed
) -> None:
    site, _widget = embed(display_action="nudge", display_after_seconds=0)
    page.emulate_media(reduced_motion="reduce")
    _ready(page, site)
    expect(part(page, "#cb-nudge")).to_have_text(NUDGE)
    assert part(page, ".nudge").evaluate("n => getComputedStyle(n).animationName") == "none"


def test_exit_intent_opens_the_dialog_without_taking_the_focus(
    page: Page, live: Stack, embed: Embed, axe_source: str
) -> None:
    site, _widget = embed(display_action="open", display_on_exit_intent=True)
    _ready(page, site)
    page.evaluate("window.__opened = []; Callback.on('opened', e => window.__opened.push(e)); null")
    page.mouse.move(400, 300)
    page.mouse.move(400, 200)
    expect(part(page, "#cb-panel")).to_be_hidden()  # moving about the page is not leaving
    page.mouse.move(400, -20)  # out through the top, to the tabs
    expect(part(page, "#cb-panel")).to_be_visible()
    expect(part(page, "button.launch")).to_have_attribute("aria-expanded", "true")
    assert not page.evaluate(IN_WIDGET)
    assert page.evaluate("window.__opened") == [{"source": "rule"}]
    assert axe_violations(page, axe_source) == []
    page.keyboard.press("Escape")  # from anywhere on the page
    expect(part(page, "#cb-panel")).to_be_hidden()
    page.mouse.move(400, 300)
    page.mouse.move(400, -20)
    expect(part(page, "#cb-panel")).to_be_hidden()  # once a visit


def test_exit_intent_is_not_watched_on_touch_screens(
    browser: Browser, live: Stack, embed: Embed
) -> None:
    site, _widget = embed(display_action="open", display_on_exit_intent=True)
    context = browser.new_context(has_touch=True, is_mobile=True)
    page = context.new_page()
    _ready(page, site)
    assert page.evaluate("matchMedia('(pointer: fine)').matches") is False
    page.evaluate(
        "document.dispatchEvent(new MouseEvent('mouseout', {clientY: -5, bubbles: true}))"
    )
    page.wait_for_timeout(300)
    expect(part(page, "#cb-panel")).to_be_hidden()
    context.close()


def test_scroll_depth_nudges_past_the_share_of_the_page_set(
    page: Page, live: Stack, embed: Embed
) -> None:
    site, _widget = embed(display_action="nudge", display_scroll_percent=50)
    _ready(page, site)
    page.evaluate("document.body.style.minHeight = '4000px'")
    nudge = part(page, "#cb-nudge")
    room = page.evaluate("document.documentElement.scrollHeight - innerHeight")
    page.evaluate(f"window.scrollTo(0, {int(room * 0.3)})")
    page.wait_for_timeout(300)
    expect(nudge).to_be_empty()
    page.evaluate(f"window.scrollTo(0, {int(room * 0.6)})")
    expect(nudge).to_have_text(NUDGE)


def test_rules_apply_only_on_matching_paths(page: Page, live: Stack, embed: Embed) -> None:
    site, widget = embed(
        display_action="nudge", display_after_seconds=5, display_paths=["/pricing*"]
    )
    page.clock.install()
    _ready(page, site)
    page.clock.fast_forward("00:10")
    expect(part(page, "#cb-nudge")).to_be_empty()
    assert _storage(page) == []  # nothing written where no rule applies
    _at_path(page, "/pricing/teams")
    _ready(page, site)
    assert page.evaluate("location.pathname") == "/pricing/teams"
    page.clock.fast_forward("00:10")
    expect(part(page, "#cb-nudge")).to_have_text(NUDGE)
    assert _storage(page) == [f"callback:{widget.key}:shown"]


def test_a_visitor_who_opened_it_is_not_nudged_later(page: Page, live: Stack, embed: Embed) -> None:
    site, _widget = embed(display_action="nudge", display_after_seconds=20)
    page.clock.install()
    _ready(page, site)
    part(page, "button.launch").click()
    part(page, "button.x").click()
    page.clock.fast_forward("00:30")
    expect(part(page, "#cb-nudge")).to_be_empty()
