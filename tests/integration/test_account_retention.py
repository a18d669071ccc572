"""The retention pass deletes old audit entries and spent invitations (PRIVACY.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from callback import db
from callback.accounts import audit, invitations
from callback.models import AuditEntry, Invitation
from tests.console_helpers import make_account
from workers.retention import run_retention, sweep_staff_records

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def actions() -> list[str]:
    return sorted(db.session().scalars(select(AuditEntry.action)))


def test_audit_entries_are_kept_for_the_retention_days_then_deleted(
    app: Flask, clock: time_machine.Traveller
) -> None:
    app.config["AUDIT_RETENTION_DAYS"] = 30
    audit.record(db.session(), "system", "old_entry")
    db.session().commit()
    clock.shift(timedelta(days=20))
    audit.record(db.session(), "system", "newer_entry")
    db.session().commit()
    clock.shift(timedelta(days=10, minutes=1))
    assert sweep_staff_records()[0] == 1
    assert actions() == ["newer_entry"]
    clock.shift(timedelta(days=20))
    run_retention()
    assert actions() == []


def test_invitations_are_deleted_once_expired_used_or_not(
    app: Flask, clock: time_machine.Traveller
) -> None:
    joined = make_account("manager", email="joined@example.com")
    waiting = make_account("manager", email="waiting@example.com", password=None)
    clock.shift(timedelta(hours=invitations.INVITATION_HOURS - 1))
    assert sweep_staff_records()[1] == 0
    clock.shift(timedelta(hours=2))
    assert sweep_staff_records()[1] == 2
    assert db.session().scalars(select(Invitation)).all() == []
    # The accounts stay: the one still invited can be sent a new link.
    db.session().refresh(waiting)
    db.session().refresh(joined)
    assert waiting.password is None
    assert joined.password is not None
