"""An agent's own page ("My calls"): the available/away switch, callbacks to come, recent calls.

Visitor numbers are masked here before the template sees them: the page never has one.
The switch posts to agents.py's pause and available routes, which reach only the
agent's own row for an agent account.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import render_template
from flask_babel import gettext
from sqlalchemy import select

from callback import db
from callback.accounts import roles
from callback.console.formatting import when
from callback.lifecycle.states import RequestStatus
from callback.models import Account, Agent, CallAttempt, CallbackRequest, Leg, Widget, utcnow
from callback.phones.masking import mask
from callback.texts import N_

UPCOMING_MAX = 50
RECENT_DAYS, RECENT_MAX = 7, 50
LEG_STATUS_NAMES = {
    "pending": N_("console.my_calls.leg.pending"),
    "unknown": N_("console.my_calls.leg.unknown"),
    "not_created": N_("console.my_calls.leg.not_created"),
    "queued": N_("console.my_calls.leg.queued"),
    "initiated": N_("console.my_calls.leg.initiated"),
    "ringing": N_("console.my_calls.leg.ringing"),
    "in-progress": N_("console.my_calls.leg.in_progress"),
    "completed": N_("console.my_calls.leg.completed"),
    "busy": N_("console.my_calls.leg.busy"),
    "no-answer": N_("console.my_calls.leg.no_answer"),
    "failed": N_("console.my_calls.leg.failed"),
    "canceled": N_("console.my_calls.leg.canceled"),
}


def page(mine: Account, status: int = 200, **extra: Any) -> tuple[str, int]:
    """Render the agent's own page (or why there is none for an account without an agent)."""
    session = db.session()
    agent = session.get(Agent, mine.agent_id) if mine.agent_id is not None else None
    if agent is None:
        return render_template("console/agents/mine.html", agent=None, **extra), status
    return render_template(
        "console/agents/mine.html",
        agent=agent,
        upcoming=upcoming(mine),
        recent=recent(agent),
        recent_days=RECENT_DAYS,
        **extra,
    ), status


def upcoming(mine: Account) -> list[dict[str, str]]:
    """The scheduled callbacks of the widgets `mine` answers for, soonest first, masked."""
    rows = db.session().scalars(
        select(CallbackRequest)
        .where(roles.request_filter(mine), CallbackRequest.status == RequestStatus.SCHEDULED)
        .order_by(CallbackRequest.scheduled_for)
        .limit(UPCOMING_MAX)
    )
    return [
        {
            "when": when(row.scheduled_for, row.widget.timezone),
            "widget": row.widget.name,
            "number": mask(row.phone) or "",
        }
        for row in rows
    ]


def recent(agent: Agent) -> list[dict[str, Any]]:
    """The agent's calls (their legs) of the last days, newest first."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    rows = db.session().execute(
        select(CallAttempt, Widget)
        .join(CallbackRequest, CallbackRequest.id == CallAttempt.request_id)
        .join(Widget, Widget.id == CallbackRequest.widget_id)
        .where(
            CallAttempt.agent_id == agent.id,
            CallAttempt.leg == Leg.AGENT,
            CallAttempt.created_at >= since,
        )
        .order_by(CallAttempt.created_at.desc(), CallAttempt.id.desc())
        .limit(RECENT_MAX)
    )
    return [
        {
            "when": when(leg.created_at, widget.timezone),
            "widget": widget.name,
            "status": _leg_status(str(leg.status)),
            "accepted": bool(leg.digits),
            "duration": _duration(leg.duration_seconds),
        }
        for leg, widget in rows
    ]


def _leg_status(status: str) -> str:
    return gettext(LEG_STATUS_NAMES[status]) if status in LEG_STATUS_NAMES else status


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}"
