"""The sandbox's phones page: calling in to one of the account's numbers from a form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

# The sandbox tests' own fixtures (tests/sandbox/conftest.py), which pytest finds here
# by name: a fresh sandbox, and the customer's app its numbers call.
from tests.sandbox.conftest import FROM, VISITOR, Customer, Sandbox, customer, sandbox

__all__ = ["customer", "sandbox"]


def test_the_call_in_form_rings_our_number_and_shows_the_inbound_call(
    page: Page, sandbox: Sandbox, customer: Customer
) -> None:
    errors: list[str] = []  # script errors (the page has no favicon: that 404 is fine)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sandbox.control.set_number(FROM, voice_url=customer.url("incoming"))
    customer.twiml["incoming"] = "<Response><Say>Hello caller</Say></Response>"
    page.goto(f"{sandbox.url}/phones")

    page.get_by_label("Call in from").fill(VISITOR)
    page.get_by_label("to", exact=True).select_option(FROM)
    page.get_by_role("button", name="Call", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Calling: CA")
    expect(page.locator("#calls")).to_contain_text("inbound")
    expect(page.locator("#calls")).to_contain_text("Hello caller")
    assert errors == []


def test_the_call_in_form_says_why_a_call_was_not_placed(page: Page, sandbox: Sandbox) -> None:
    page.goto(f"{sandbox.url}/phones")

    page.get_by_label("Call in from").fill(VISITOR)
    page.get_by_role("button", name="Call", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("has no voice_url")
