"""The demo widget, agent and owner account the development command creates on first run."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from callback.accounts import invitations
from callback.accounts.roles import OWNER
from callback.models import Account, Agent, Widget

DEMO_OWNER_EMAIL = "owner@example.com"
DEMO_OWNER_NAME = "Demo owner"
DEV_ACTOR = "dev"
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
            line_enabled=True,  # the sandbox's number rings it: see `callback dev`
        )
        session.add(widget)
    # The demo site's origin came later than some demo widgets: add what is missing.
    missing = [origin for origin in origins if origin not in widget.allowed_origins]
    widget.allowed_origins = [*widget.allowed_origins, *missing]
    if session.scalars(select(Agent)).first() is None:
        session.add(Agent(name="Demo agent", phone=DEMO_AGENT_PHONE, team="default"))
    session.commit()
    return widget


def console_sign_in(session: Session, base_url: str) -> str:
    """Return where the demo owner signs in to the console, creating them on first run.

    Until they have joined, each run prints a fresh one-time invitation link (the
    earlier one stops working); once they have a password, the sign-in page.
    """
    owner = session.scalars(select(Account).filter_by(email=DEMO_OWNER_EMAIL)).one_or_none()
    if owner is not None and owner.password is not None:
        return f"{base_url}/console/sign-in"
    if owner is not None and owner.role != OWNER:  # someone changed it: leave it alone
        return f"{base_url}/console/sign-in"
    _account, token = invitations.invite(
        session, email=DEMO_OWNER_EMAIL, name=DEMO_OWNER_NAME, role=OWNER, actor=DEV_ACTOR
    )
    session.commit()
    return invitations.invitation_link(token, base_url)
