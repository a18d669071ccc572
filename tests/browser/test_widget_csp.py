"""The widget on a host page with a strict Content-Security-Policy (docs/embedding.md).

The policy allows our script and our API and nothing inline: no 'unsafe-inline' in
style-src. The widget must still be styled (its launcher fixed in the corner) and work.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Response
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callback.dev.demo_site import create_demo_site
from callback.sandbox.server import serve_in_thread
from tests.browser.conftest import POLL_MS
from tests.browser.widget_page import part
from tests.e2e.conftest import LIVE_WIDGET
from tests.e2e.stack import Stack
from tests.factories import make_widget

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def strict_site(live: Stack, engine: Engine) -> Iterator[str]:
    """Serve the demo site with a policy that names our origin and allows no inline style."""
    with Session(engine, expire_on_commit=False) as session:
        widget = make_widget(session, **LIVE_WIDGET)
        site = create_demo_site(live.web, widget.key, POLL_MS)
        policy = (
            f"default-src 'self'; script-src {live.web}; connect-src {live.web}; style-src 'self'"
        )

        @site.after_request
        def _policy(response: Response) -> Response:
            response.headers["Content-Security-Policy"] = policy
            return response

        server, site_url = serve_in_thread(site)
        widget.allowed_origins = [site_url]
        session.commit()
    yield site_url
    server.close()


def test_a_strict_host_policy_still_gets_a_styled_working_widget(
    strict_site: str, page: Page
) -> None:
    page.goto(strict_site)
    launch = part(page, "button.launch")
    expect(launch).to_be_visible()
    assert launch.evaluate("(el) => getComputedStyle(el).position") == "fixed"
    launch.click()
    expect(part(page, "#cb-phone")).to_be_visible()
    assert part(page, ".panel").evaluate("(el) => getComputedStyle(el).position") == "fixed"
