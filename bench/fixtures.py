"""The rows every benchmark needs: one widget that accepts everything, and agents."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bench.numbers import agent_number
from callback.models import Agent, CallbackRequest, RequestStatus, Widget

ORIGIN = "https://www.example.com"


def make_widget(engine: Engine, team: str = "default") -> str:
    """Create an open, uncapped GB widget; return its public key."""
    with Session(engine) as session:
        widget = Widget(
            name="Bench Ltd",
            allowed_origins=[ORIGIN],
            default_region="GB",
            allowed_countries=["GB"],
            team=team,
            daily_call_cap=10**9,  # caps out of reach: the benchmark measures the work
            retry_attempts=1,
        )
        session.add(widget)
        session.commit()
        return widget.key


def make_agents(engine: Engine, count: int, team: str = "default") -> list[int]:
    """Create `count` available agents with fictional phones; return their ids."""
    with Session(engine) as session:
        agents = [
            Agent(name=f"Agent {i}", phone=agent_number(i), team=team, priority=i)
            for i in range(count)
        ]
        session.add_all(agents)
        session.commit()
        return [agent.id for agent in agents]


def visitor_requests(
    widget: Widget, count: int, numbers: Iterator[str], status: RequestStatus
) -> list[CallbackRequest]:
    """Return `count` unsaved requests to `widget` from the next fictional numbers."""
    return [
        CallbackRequest(
            id=uuid.uuid4(), widget_id=widget.id, phone=next(numbers), country="GB",
            number_type="FIXED_LINE", locale="en", consent_version=widget.consent_version,
            status=status,
        )
        for _ in range(count)
    ]  # fmt: skip
