"""End-to-end fixtures: committed data, a live stack, and a residue check after each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from callback.models import (
    Account,
    Agent,
    AgentLegFact,
    ApiKey,
    AuditEntry,
    BlockEntry,
    CallAttempt,
    CallbackRequest,
    CallEvent,
    Invitation,
    RequestFact,
    VisitorMessage,
    WebAuthnCredential,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
)
from tests.e2e.stack import Stack, running_stack
from tests.factories import CALLER_ID, make_agent, make_widget

# Ten fictional agents (Ofcom's London drama range), by priority.
AGENTS = [f"+4420794600{n:02d}" for n in range(1, 11)]
# What a widget on the live stack has beyond make_widget's fields: a number to call
# from, and retries a second apart. A test that wants other retries passes both itself.
LIVE_WIDGET: dict[str, Any] = {"caller_id": CALLER_ID, "retry_intervals": [1, 1]}

# Children first, so foreign keys hold while the tables are emptied.
# Accounts go with their keys, passkeys and invitations; their roles and widgets by cascade.
TABLES_IN_DELETE_ORDER = (
    AgentLegFact,
    RequestFact,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookEndpoint,
    CallEvent,
    CallAttempt,
    VisitorMessage,
    AuditEntry,
    CallbackRequest,
    ApiKey,
    Invitation,
    WebAuthnCredential,
    Account,
    Agent,
    BlockEntry,  # global entries belong to no widget, so no cascade reaches them
    Widget,
)


def empty_tables(engine: Engine) -> None:
    """Delete every row the service writes (children first), committed."""
    with Session(engine) as session:
        for model in TABLES_IN_DELETE_ORDER:
            session.execute(delete(model))
        session.commit()


@pytest.fixture
def clean_db(engine: Engine, redis: Redis) -> Iterator[Engine]:
    """Committed data for this test only: empty tables (and Redis) before and after."""
    empty_tables(engine)
    yield engine
    empty_tables(engine)


@pytest.fixture
def stack(settings: dict[str, Any], clean_db: Engine, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(settings, clean_db, tmp_path) as live:
        yield live


@pytest.fixture
def db_session(clean_db: Engine) -> Iterator[Session]:
    with Session(clean_db, expire_on_commit=False) as session:
        yield session


@pytest.fixture(autouse=True)
def _debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def visitor(n: int) -> str:
    """Return the n-th fictional visitor number (Ofcom's London drama range)."""
    return f"+4420794601{n:02d}"


@pytest.fixture
def widget(db_session: Session) -> Widget:
    """A widget whose team has the ten AGENTS; retries a second apart."""
    widget = make_widget(db_session, **LIVE_WIDGET)
    for priority, phone in enumerate(AGENTS):
        make_agent(db_session, phone=phone, priority=priority)
    return widget
