"""The console in Chromium: a served app with committed accounts, signing in, axe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_security.utils import hash_password
from playwright.sync_api import Page
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from callback.accounts import invitations
from callback.models import Account, Agent, Widget
from tests.browser.widget_page import SERIOUS
from tests.console_helpers import PASSWORD


@dataclass
class Console:
    app: Flask
    url: str
    engine: Engine

    def invite(
        self,
        role: str,
        email: str | None = None,
        widgets: tuple[Widget, ...] = (),
        agent: Agent | None = None,
    ) -> tuple[Account, str]:
        """Store an invited account; return it and its join link."""
        with self.app.app_context(), Session(self.engine, expire_on_commit=False) as session:
            widgets = tuple(session.merge(widget) for widget in widgets)
            account, token = invitations.invite(
                session,
                email=email or f"{role}@example.com",
                name=f"{role.title()} Example",
                role=role,
                widgets=widgets,
                agent=session.merge(agent) if agent is not None else None,
                actor="test",
            )
            session.commit()
            return account, f"{self.url}/console/join?token={token}"

    def account(self, role: str, email: str | None = None, **kwargs: Any) -> Account:
        """Store an account that has joined, with the tests' password."""
        account, link = self.invite(role, email, **kwargs)
        token = link.rsplit("=", 1)[1]
        with self.app.app_context(), Session(self.engine, expire_on_commit=False) as session:
            invitation = invitations.open_invitation(session, token)
            assert invitation is not None
            invitations.accept(session, invitation, hash_password(PASSWORD))
            session.commit()
        return account


def sign_in(page: Page, console: Console, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{console.url}/console/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def axe_findings(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """Serious and critical axe findings on the page.

    axe is evaluated through the DevTools protocol: the console's CSP (script-src 'self')
    rightly refuses an injected inline script.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in SERIOUS
    ]
