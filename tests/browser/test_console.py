"""The console in headless Chromium: joining, roles, axe in both languages, CSRF,
throttling and idle expiry.

The app is served on a thread of this process (committed data, emptied around each
test), so time_machine can move its clock to show a session expiring.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect
from redis import Redis
from sqlalchemy import Engine

from callback import create_app
from callback.models import utcnow
from callback.sandbox.server import serve_in_thread
from tests.browser.console_page import Console, axe_findings, sign_in
from tests.console_helpers import PASSWORD
from tests.e2e.conftest import empty_tables

pytestmark = [pytest.mark.browser]

NEW_PASSWORD = "a passphrase of several words"
NARROW = {"width": 375, "height": 740}


@pytest.fixture
def console(settings: dict[str, Any], engine: Engine, redis: Redis) -> Iterator[Console]:
    empty_tables(engine)
    app = create_app(settings)
    server, url = serve_in_thread(app)
    app.config["PUBLIC_BASE_URL"] = url
    yield Console(app, url, engine)
    server.close()
    empty_tables(engine)


@pytest.fixture
def narrow_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport=NARROW)
    opened = context.new_page()
    yield opened
    context.close()


def test_an_invitation_leads_to_the_first_sign_in(page: Page, console: Console) -> None:
    _account, link = console.invite("manager", email="mia@example.com")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Callback")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page).to_have_url(f"{console.url}/console/")
    expect(page.get_by_text("Signed in as Manager Example.")).to_be_visible()
    # Signed out, the new password signs back in; the link has been used up.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    sign_in(page, console, "mia@example.com", NEW_PASSWORD)
    expect(page).to_have_url(f"{console.url}/console/")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")


def test_failed_sign_ins_are_throttled(page: Page, console: Console) -> None:
    console.account("owner")
    for attempt in range(5):
        sign_in(page, console, "owner@example.com", f"wrong guess {attempt}")
        expect(page.get_by_text("Authentication failed")).to_be_visible()
    sign_in(page, console, "owner@example.com", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")


def test_a_form_without_its_csrf_token_is_refused(page: Page, console: Console) -> None:
    console.account("owner")
    sign_in(page, console, "owner@example.com")
    page.goto(f"{console.url}/console/me")
    page.evaluate(
        "document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'forged')"
    )
    page.get_by_label("Name", exact=True).fill("Someone Else")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("That did not work")
    page.goto(f"{console.url}/console/me")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Owner Example")


def test_an_idle_session_expires(page: Page, console: Console) -> None:
    console.account("owner")
    sign_in(page, console, "owner@example.com")
    expect(page).to_have_url(f"{console.url}/console/")
    idle = timedelta(minutes=console.app.config["CONSOLE_IDLE_MINUTES"])
    with time_machine.travel(utcnow() + idle + timedelta(minutes=1)):
        page.goto(f"{console.url}/console/me")
        expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_signed_out_pages_pass_axe(
    narrow_page: Page, console: Console, axe_source: str, language: str
) -> None:
    _account, link = console.invite("manager")
    for path in ("/console/sign-in", link.removeprefix(console.url), "/console/join/unknown"):
        narrow_page.goto(f"{console.url}{path}?lang={language}")
        expect(narrow_page.locator("html")).to_have_attribute("lang", language)
        assert axe_findings(narrow_page, axe_source) == [], path
        assert _fits(narrow_page), path


def _fits(page: Page) -> bool:
    """Nothing wider than the window: usable at 375 px without sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_passkey_signs_in_without_a_password(browser: Browser, console: Console) -> None:
    console.account("owner")
    # WebAuthn needs a secure context and a domain, not an IP: http://localhost is both.
    base = console.url.replace("127.0.0.1", "localhost")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                # Flask-Security asks for a cross-platform authenticator (a security key).
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/console/wan-register")
    page.locator("#wan-register-form").get_by_label("Nickname").fill("Laptop")
    page.locator("#wan-register-form").get_by_label(re.compile("first", re.IGNORECASE)).check()
    page.locator("#wan-register-form [type=submit]").click()
    expect(page.get_by_text('Nickname: "Laptop"')).to_be_visible()
    page.goto(f"{base}/console/")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.get_by_role("link", name="Sign in with a passkey instead").click()
    page.locator("#wan-signin-form [type=submit]").click()
    expect(page).to_have_url(f"{base}/console/")
    expect(page.get_by_text("Signed in as Owner Example.")).to_be_visible()
    context.close()
