"""Reading and driving the widget inside its shadow root, and running axe on the page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page

HOST = "[data-callback-widget]"
SERIOUS = ("serious", "critical")


def part(page: Page, selector: str) -> Locator:
    """Return an element of the widget (Playwright's CSS reaches into open shadow roots)."""
    return page.locator(f"{HOST} {selector}")


def focused(page: Page) -> str:
    """Return the id (or class) of the widget element that has the keyboard focus."""
    return str(
        page.evaluate(
            """(host) => {
                const el = document.querySelector(host).shadowRoot.activeElement;
                return el ? el.id || el.className : '';
            }""",
            HOST,
        )
    )


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    part(page, "button.launch").click()
    part(page, "#cb-phone").wait_for()


def record_statuses(page: Page) -> None:
    """Keep every text the status line shows, for asserting on the sequence later."""
    page.evaluate(
        """(host) => {
            const status = document.querySelector(host).shadowRoot.getElementById('cb-status');
            window.__statuses = [];
            new MutationObserver(() => window.__statuses.push(status.textContent))
                .observe(status, {childList: true, characterData: true, subtree: true});
        }""",
        HOST,
    )


def statuses(page: Page) -> list[str]:
    return list(page.evaluate("window.__statuses"))


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """Run axe-core on the whole page, widget included; return serious and critical findings."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result
        if v["impact"] in SERIOUS
    ]
