"""Races on PostgreSQL in the console: one invitation link submitted twice at once.

As in tests/lifecycle/test_races.py, one thread is held (barriers, never a sleep) just
before its write while the other finishes; then it goes on and must be refused, never
overwrite. SQLite serialises writers, so these need PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_security.utils import verify_password
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from callback import create_app
from callback.accounts import invitations
from callback.models import Account, AuditEntry
from tests.console_helpers import console_client, csrf_token
from tests.lifecycle.test_races import Hold, _hold_before_sql, _join, _run, clean_tables

__all__ = ["clean_tables"]  # the fixture, used by name

pytestmark = pytest.mark.slow

FIRST, SECOND = "the first tab's passphrase", "the second tab's passphrase"


@pytest.fixture
def pg_app(settings: dict[str, Any], engine: Engine, clean_tables: None) -> Iterator[Flask]:
    if engine.dialect.name != "postgresql":
        pytest.skip("races are proved on PostgreSQL (SQLite serialises writers)")
    app = create_app(settings)
    yield app
    app.extensions["db"].engine.dispose()


def _submit(app: Flask, token: str, password: str) -> Any:
    client = console_client(app)
    page = client.get(f"/console/join?token={token}")
    form = {"csrf_token": csrf_token(page.text), "password": password, "password_again": password}
    return lambda: client.post(f"/console/join?token={token}", data=form)


def test_one_invitation_submitted_twice_at_once_sets_one_password(pg_app: Flask) -> None:
    engine = pg_app.extensions["db"].engine
    with pg_app.app_context(), Session(engine) as session:
        _account, token = invitations.invite(
            session, email="twice@example.com", name="Two Tabs", role="owner", actor="test"
        )
        session.commit()
    first, second = _submit(pg_app, token, FIRST), _submit(pg_app, token, SECOND)
    answers: dict[str, Any] = {}
    hold = Hold()
    listener = _hold_before_sql(engine, "first", "UPDATE INVITATIONS", hold)
    held = _run("first", lambda: answers.update(first=first()))
    with hold.meanwhile():  # the other tab joins while the first is about to
        answers["second"] = second()
    _join(held)
    event.remove(engine, "before_cursor_execute", listener)
    assert answers["second"].status_code == 302
    assert answers["first"].status_code == 404  # the link was used meanwhile
    with pg_app.app_context(), Session(engine) as session:
        account = session.scalars(select(Account)).one()
        assert verify_password(SECOND, account.password)
        joined = session.scalars(select(AuditEntry).filter_by(action="account_joined")).all()
        assert len(joined) == 1
