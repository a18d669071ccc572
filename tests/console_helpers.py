"""Console accounts for tests: make one, sign it in, read a page's CSRF token."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Sequence
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_security.utils import hash_password

from callback import db
from callback.accounts import invitations
from callback.models import Account, Agent, Widget

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


class ConsoleClient(FlaskClient):
    """A browser: each request gets its own app context, as in production.

    The `app` fixture keeps an app context open for the whole test, and Flask would run
    every request inside it, so one request's `g` (the signed-in user Flask-Login
    remembers there, Flask-WTF's token, the page language) would leak into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


def console_client(app: Flask) -> ConsoleClient:
    return ConsoleClient(app, app.response_class, use_cookies=True)


def make_account(
    role: str,
    email: str | None = None,
    widgets: Sequence[Widget] = (),
    agent: Agent | None = None,
    password: str | None = PASSWORD,
) -> Account:
    """Store and commit an account that has taken up its invitation (None: still invited)."""
    session = db.session()
    account, token = invitations.invite(
        session,
        email=email or f"{role}@example.com",
        name=f"{role.title()} Example",
        role=role,
        widgets=widgets,
        agent=agent,
        actor="test",
    )
    session.flush()
    if password is not None:
        invitation = invitations.open_invitation(session, token)
        assert invitation is not None
        invitations.accept(session, invitation, hash_password(password))
    session.commit()
    return account


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form in `html`."""
    found = CSRF_FIELD.search(html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1) or found.group(2)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Sign `email` in on `client`, as the sign-in form does."""
    page = client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )
    assert answer.status_code == 302, answer.text


def signed_in(app: Flask, account: Account) -> ConsoleClient:
    """Return a new client signed in as `account` (made by make_account)."""
    client = console_client(app)
    sign_in(client, account.email)
    return client
