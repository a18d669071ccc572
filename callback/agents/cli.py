"""`callback agents`: see who takes calls, pause an agent or bring them back."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from callback import db
from callback.agents import roster
from callback.models import Agent, utcnow
from callback.schedule.hours import agent_schedule


@click.group("agents")
def agents_group() -> None:
    """Agents: availability and missed calls."""


@agents_group.command("list")
@with_appcontext
def list_agents() -> None:
    """Show every agent with their team, availability and missed calls in a row."""
    now = utcnow()
    click.echo(f"{'id':>4}  {'name':<24} {'team':<12} {'available':<9} {'in hours':<8} missed")
    for agent in db.session().scalars(select(Agent).order_by(Agent.team, Agent.priority)):
        in_hours = agent_schedule(agent).is_open(now)
        click.echo(
            f"{agent.id:>4}  {agent.name[:24]:<24} {agent.team[:12]:<12} "
            f"{'yes' if agent.available and agent.active else 'no':<9} "
            f"{'yes' if in_hours else 'no':<8} {agent.missed_in_row}"
        )


def _agent(agent_id: int) -> Agent:
    agent = db.session().get(Agent, agent_id)
    if agent is None:
        raise click.ClickException(f"no agent has id {agent_id}")
    return agent


@agents_group.command("available")
@click.argument("agent_id", type=int)
@with_appcontext
def make_available(agent_id: int) -> None:
    """Put an agent back in rotation and clear their missed-call count."""
    agent = _agent(agent_id)
    roster.make_available(db.session(), agent, "cli")
    db.session().commit()
    click.echo(f"agent {agent.id} is available")


@agents_group.command("pause")
@click.argument("agent_id", type=int)
@with_appcontext
def pause_agent(agent_id: int) -> None:
    """Take an agent out of rotation until made available again."""
    agent = _agent(agent_id)
    roster.pause(db.session(), agent, "paused from the command line")
    db.session().commit()
    click.echo(f"agent {agent.id} is paused")
