"""Console accounts for tests: make one, sign it in, read a page's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def signed_in(app: Flask, account: Account) -> FlaskClient:
    """Return a new client signed in as `account` (made by make_account)."""
    client = app.test_client()
    sign_in(client, account.email)
    return client
