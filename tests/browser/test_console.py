"""The console in headless Chromium: joining, roles, axe in both languages, CSRF,
throttling and idle expiry.

The app is served on a thread of this process (committed data, emptied around each
test), so time_machine can move its clock to show a session expiring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callback import create_app
from callback.integrations.events import FAILED
from callback.models import (
    BlockEntry,
    BlockKind,
    CallbackRequest,
    RequestStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
    utcnow,
)
from callback.reports.sections import SECTIONS
from callback.sandbox.server import serve_in_thread
from tests.browser.console_page import Console, axe_findings, sign_in
from tests.browser.widget_page import part
from tests.console_helpers import PASSWORD
from tests.e2e.conftest import empty_tables
from tests.e2e.stack import Stack
from tests.factories import AGENT_PHONE, make_agent, make_request, make_widget
from tests.report_history import add_line_history, make_history

pytestmark = [pytest.mark.browser]

NEW_PASSWORD = "a passphrase of several words"
Embed = Callable[..., tuple[str, Widget]]
NARROW = {"width": 375, "height": 740}


@pytest.fixture
def console(settings: dict[str, Any], engine: Engine, redis: Redis) -> Iterator[Console]:
    empty_tables(engine)
    app = create_app(settings)
    server, url = serve_in_thread(app)
    app.config["PUBLIC_BASE_URL"] = url
    yield Console(app, url, engine)
    server.close()
    app.extensions["db"].engine.dispose()  # its pooled connections, closed, not collected
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
    page.wait_for_load_state("load")  # nothing of the signed-in page is still on its way
    idle = timedelta(minutes=console.app.config["CONSOLE_IDLE_MINUTES"])
    with time_machine.travel(utcnow() + idle + timedelta(minutes=1)):
        page.goto(f"{console.url}/console/me")
        expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_signed_out_pages_pass_axe(
    narrow_page: Page, console: Console, axe_source: str, language: str
) -> None:
    _account, link = console.invite("manager")
    for path in ("/console/sign-in", link.removeprefix(console.url), "/console/join?token=unknown"):
        narrow_page.goto(f"{console.url}{path}{'&' if '?' in path else '?'}lang={language}")
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


def _data(console: Console) -> dict[str, Any]:
    """A widget with an agent, requests in several states, and one account per role."""
    with Session(console.engine, expire_on_commit=False) as session:
        widget = make_widget(session, name="Example Ltd", allowed_origins=[console.url])
        agent = make_agent(session, phone=AGENT_PHONE, name="Ann Agent")
        scheduled = make_request(
            widget,
            session=session,
            status=RequestStatus.SCHEDULED,
            scheduled_for=utcnow() + timedelta(hours=2),
        )
        failed = make_request(widget, session=session, status=RequestStatus.FAILED, phone=None)
        endpoint = _endpoint_with_a_failed_attempt(session, widget, failed)
        session.add_all(
            [
                BlockEntry(widget_id=widget.id, kind=BlockKind.NUMBER, value="0" * 64,
                           note="Abuse", created_by="test"),
                BlockEntry(widget_id=None, kind=BlockKind.PREFIX, value="+4490", created_by="test"),
            ]
        )  # fmt: skip
        session.commit()
    owner = console.account("owner")
    manager = console.account("manager", widgets=(widget,))
    agent_account = console.account("agent", widgets=(widget,), agent=agent)
    return {
        "widget": widget,
        "agent": agent,
        "request": scheduled,
        "owner": owner,
        "manager": manager,
        "agent_account": agent_account,
        "endpoint": endpoint,
    }


def _endpoint_with_a_failed_attempt(
    session: Session, widget: Widget, request: CallbackRequest
) -> WebhookEndpoint:
    """A webhook endpoint of `widget` that answered 500 to the failure of `request`."""
    endpoint = WebhookEndpoint(widget_id=widget.id, url="https://hooks.example.com/callback",
                               events=[FAILED], secret="whsec_test", enabled=True)  # fmt: skip
    event = WebhookEvent(widget_id=widget.id, request_id=request.id, type=FAILED, payload={})
    session.add_all([endpoint, event])
    session.flush()
    delivery = WebhookDelivery(event_id=event.id, endpoint_id=endpoint.id,
                               request_id=request.id, state="failed")  # fmt: skip
    session.add(delivery)
    session.flush()
    session.add(WebhookAttempt(delivery_id=delivery.id, status_code=500, error="HTTP 500"))
    session.commit()
    return endpoint


# What each role's menu holds, and a page each role may not open.
MENUS = {
    "owner": [
        "Overview",
        "Widgets",
        "Agents",
        "Requests",
        "Reports",
        "People",
        "Audit log",
        "Your account",
    ],
    "manager": [
        "Overview",
        "Widgets",
        "Agents",
        "Requests",
        "Reports",
        "Audit log",
        "Your account",
    ],
    "agent": ["My calls", "Your account"],
}
FORBIDDEN = {"manager": ["/console/accounts", "/console/widgets/new"],
             "agent": ["/console/widgets", "/console/agents", "/console/requests",
                       "/console/reports", "/console/accounts", "/console/audit"]}  # fmt: skip


@pytest.mark.parametrize("role", ["owner", "manager", "agent"])
def test_each_role_sees_only_what_it_may(page: Page, console: Console, role: str) -> None:
    data = _data(console)
    sign_in(page, console, data["agent_account" if role == "agent" else role].email)
    expect(page).to_have_url(f"{console.url}/console/")
    menu = page.get_by_role("navigation", name="Console").get_by_role("link")
    expect(menu).to_have_text(MENUS[role])
    for path in FORBIDDEN.get(role, []):
        page.goto(f"{console.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not for your role")


def _pages(data: dict[str, Any], role: str) -> list[str]:
    if role == "agent":
        return ["/console/", "/console/me", "/console/password", "/console/tf-setup",
                "/console/wan-register"]  # fmt: skip
    pages = [
        "/console/",
        "/console/widgets",
        f"/console/widgets/{data['widget'].key}",
        f"/console/widgets/{data['widget'].key}/integrations",
        f"/console/widgets/{data['widget'].key}/integrations/endpoints/{data['endpoint'].id}",
        f"/console/widgets/{data['widget'].key}/blocklist",
        "/console/agents",
        "/console/agents/new",
        f"/console/agents/{data['agent'].id}",
        "/console/requests",
        f"/console/requests/{data['request'].id}",
        "/console/audit",
        "/console/me",
        f"/console/reports?widget={data['widget'].id}",
    ]
    if role == "owner":
        pages += [
            "/console/widgets/new",
            "/console/accounts",
            "/console/accounts/invite",
            f"/console/accounts/{data['manager'].id}",
            "/console/password",
            "/console/tf-setup",
            "/console/wan-register",
        ]
    return pages


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("role", ["owner", "manager", "agent"])
def test_every_page_passes_axe_and_fits_375_px(
    narrow_page: Page, console: Console, axe_source: str, language: str, role: str
) -> None:
    data = _data(console)
    sign_in(narrow_page, console, data["agent_account" if role == "agent" else role].email)
    expect(narrow_page).to_have_url(f"{console.url}/console/")
    problems = {}
    for path in _pages(data, role):
        narrow_page.goto(f"{console.url}{path}{'&' if '?' in path else '?'}lang={language}")
        expect(narrow_page.locator("html")).to_have_attribute("lang", language)
        found = axe_findings(narrow_page, axe_source)
        if found or not _fits(narrow_page):
            problems[path] = found or "wider than 375 px"
    assert problems == {}


def test_an_added_endpoints_secret_is_shown_once(
    narrow_page: Page, console: Console, axe_source: str
) -> None:
    data = _data(console)
    sign_in(narrow_page, console, data["owner"].email)
    narrow_page.goto(f"{console.url}/console/widgets/{data['widget'].key}")
    narrow_page.get_by_role("link", name="Integrations: webhooks and alerts").click()
    narrow_page.get_by_label("URL", exact=True).fill("https://crm.example.com/callbacks")
    narrow_page.get_by_label("Description (optional)").fill("Our CRM")
    narrow_page.get_by_role("button", name="Add endpoint").click()
    expect(narrow_page.get_by_role("heading", level=1)).to_have_text("Endpoint added")
    secret = narrow_page.get_by_label("Signing secret")
    expect(secret).to_have_value(re.compile(r"^whsec_[A-Za-z0-9+/=]{44}$"))
    expect(secret).to_have_attribute("readonly", "")
    expect(narrow_page.get_by_text("it will not be shown again")).to_be_visible()
    assert axe_findings(narrow_page, axe_source) == []
    assert _fits(narrow_page)
    shown = secret.input_value()
    narrow_page.get_by_role("link", name="Done: it is copied").click()
    expect(narrow_page.get_by_role("heading", level=1)).to_have_text("Webhook endpoint")
    expect(narrow_page.get_by_label("URL", exact=True)).to_have_value(
        "https://crm.example.com/callbacks"
    )
    assert shown not in narrow_page.content()
    narrow_page.get_by_role("link", name=re.compile("Back to the integrations")).click()
    assert shown not in narrow_page.content()
    expect(narrow_page.get_by_text("Our CRM")).to_be_visible()


NEW_COLOUR = ("#b3261e", "rgb(179, 38, 30)")


@pytest.mark.e2e
def test_a_managers_change_reaches_the_widget_within_its_cache_time(
    browser: Browser, live: Stack, console: Console, embed: Embed
) -> None:
    site_url, widget = embed()
    manager = console.account("manager", widgets=(widget,))
    launcher_colour = "el => getComputedStyle(el).backgroundColor"
    before = _visit(browser, site_url, launcher_colour)
    assert before != NEW_COLOUR[1]
    staff = browser.new_page()
    refused_by_csp: list[str] = []
    staff.on("console", lambda message: refused_by_csp.append(message.text)
             if "Content Security Policy" in message.text else None)  # fmt: skip
    sign_in(staff, console, manager.email)
    staff.goto(f"{console.url}/console/widgets/{widget.key}")
    staff.locator("#f-theme_color").fill(NEW_COLOUR[0])
    # The preview follows the form before anything is saved (its script is allowed to run).
    expect(staff.locator("#widget-preview .wp-launch")).to_have_css(
        "background-color", NEW_COLOUR[1]
    )
    assert refused_by_csp == []
    staff.locator("#widget-form button[type=submit]").click()
    expect(staff.locator(".flash")).to_be_visible()
    staff.close()
    # The web process answers from its copy of the widget for up to WIDGET_CACHE_SECONDS;
    # each try is a new visitor (a returning browser also keeps the configuration for
    # CONFIG_MAX_AGE). The bound is generous for a loaded machine, and nothing is timed.
    seen = [_visit(browser, site_url, launcher_colour)]
    for _ in range(VISITS):
        if seen[-1] == NEW_COLOUR[1]:
            break
        seen.append(_visit(browser, site_url, launcher_colour))
    assert seen[-1] == NEW_COLOUR[1], seen


VISITS = 60


def _visit(browser: Browser, url: str, script: str) -> str:
    """A new visitor opens the page; return what `script` reads off the widget's launcher."""
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(url)
        return str(part(page, "button.launch").evaluate(script))
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "pl"])
def test_each_report_with_its_charts_passes_axe_and_fits_375_px(
    narrow_page: Page, console: Console, axe_source: str, language: str
) -> None:
    with console.app.app_context():
        widget = make_history()
        add_line_history(widget)  # the phone line's report has a table too
        widget_id = widget.id
    owner = console.account("owner")
    sign_in(narrow_page, console, owner.email)
    problems = {}
    for section in SECTIONS:
        narrow_page.goto(
            f"{console.url}/console/reports?widget={widget_id}&section={section}"
            f"&from=2026-11-23&to=2026-11-29&lang={language}"
        )
        expect(narrow_page.locator("svg[role=img]").first).to_be_visible()
        found = axe_findings(narrow_page, axe_source)
        if found or not _fits(narrow_page):
            problems[section] = found or "wider than 375 px"
    assert problems == {}
    # The report's links keep the widget and period; the CSV is the same numbers.
    english = language == "en"
    sections = narrow_page.get_by_role("navigation", name="Reports" if english else "Raporty")
    sections.get_by_role("link", name="Agents" if english else "Konsultanci").click()
    expect(narrow_page.get_by_role("rowheader", name="Ada", exact=True)).to_be_visible()
    with narrow_page.expect_download() as download:
        narrow_page.get_by_role("link", name=re.compile("CSV")).click()
    assert download.value.suggested_filename == "callback-agents-2026-11-23-2026-11-29.csv"
