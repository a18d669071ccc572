"""The demo widget and agent the development command creates on first run."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.models import Agent, Widget

# Ofcom's drama range: a London number that can never belong to anyone.
DEMO_AGENT_PHONE = "+442079460001"


def ensure_demo(session: Session, origins: list[str]) -> Widget:
    """Return the demo widget, creating it and one agent when the database is empty."""
    widget = session.scalars(select(Widget).order_by(Widget.id)).first()
    if widget is None:
        widget = Widget(
            name="Example Ltd",
            allowed_origins=origins,
            default_region="GB",
            allowed_countries=["GB", "PL"],
            language="en",
            timezone="Europe/London",
        )
        session.add(widget)
    # The demo site's origin came later than some demo widgets: add what is missing.
    missing = [origin for origin in origins if origin not in widget.allowed_origins]
    widget.allowed_origins = [*widget.allowed_origins, *missing]
    if session.scalars(select(Agent)).first() is None:
        session.add(Agent(name="Demo agent", phone=DEMO_AGENT_PHONE, team="default"))
    session.commit()
    return widget
