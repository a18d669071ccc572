"""The console's first page: what needs attention, for the widgets the account runs."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import func, select

from callback import db
from callback.accounts import roles
from callback.console import my_calls
from callback.console.access import account
from callback.console.blueprint import bp
from callback.lifecycle.states import RequestStatus
from callback.models import Agent, CallbackRequest, Widget, utcnow


@bp.get("/")
def home() -> str | tuple[str, int]:
    mine = account()
    if mine.role == roles.AGENT:
        return my_calls.page(mine)  # an agent's first page is their own ("My calls")
    session = db.session()
    since = utcnow() - timedelta(hours=24)

    def count(status: RequestStatus) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(CallbackRequest)
                .where(roles.request_filter(mine), CallbackRequest.status == status)
                .where(CallbackRequest.created_at >= since)
            )
            or 0
        )

    widgets = session.scalars(
        select(Widget).where(roles.widget_filter(mine)).order_by(Widget.name)
    ).all()
    agents = session.scalars(
        select(Agent).where(roles.agent_filter(mine), Agent.active).order_by(Agent.name)
    ).all()
    figures = {status: count(status) for status in RequestStatus}
    return render_template("console/home.html", widgets=widgets, agents=agents, figures=figures)
