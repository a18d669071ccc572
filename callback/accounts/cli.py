"""`callback users`: invite people to the console, list and remove accounts."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from callback import db
from callback.accounts import invitations, management, personal
from callback.accounts.roles import ROLES
from callback.errors import Refused
from callback.models import Account, Agent, Widget

CLI_ACTOR = "cli"


@click.group("users")
def users_group() -> None:
    """Console accounts: invite, list, remove."""


@users_group.command("invite")
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as the console shows it.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--widget", "widget_keys", multiple=True, help="A widget key (repeatable).")
@click.option("--agent", "agent_id", type=int, help="For an agent: the agent row's id.")
@with_appcontext
def invite(
    email: str, name: str, role: str, widget_keys: tuple[str, ...], agent_id: int | None
) -> None:
    """Create an account and print its one-time sign-up link (valid 72 hours)."""
    session = db.session()
    widgets = []
    for key in widget_keys:
        widget = session.scalars(select(Widget).filter_by(key=key)).one_or_none()
        if widget is None:
            raise click.BadParameter(f"no widget has key {key!r}", param_hint="--widget")
        widgets.append(widget)
    agent = None
    if agent_id is not None:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise click.BadParameter(f"no agent has id {agent_id}", param_hint="--agent")
    try:
        account, token = invitations.invite(
            session, email=email, name=name, role=role, widgets=widgets, agent=agent,
            actor=CLI_ACTOR,
        )  # fmt: skip
    except Refused as exc:
        raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(f"invited {account.email} as {role}; this link works once, for 72 hours:")
    click.echo(invitations.invitation_link(token, current_app.config["PUBLIC_BASE_URL"]))


@users_group.command("list")
@with_appcontext
def list_accounts() -> None:
    """Show every account with its role, widgets and whether it has signed up."""
    for account in db.session().scalars(select(Account).order_by(Account.id)):
        state = management.state_of(account)
        widgets = ",".join(widget.key for widget in account.widgets) or "-"
        click.echo(f"{account.id:>4}  {account.email:<32} {account.role:<8} {state:<8} {widgets}")


@users_group.command("remove")
@click.argument("email")
@with_appcontext
def remove(email: str) -> None:
    """Delete an account, its API keys and passkeys (its audit entries stay, by id)."""
    session = db.session()
    account = _account(email)
    try:
        personal.delete(session, account, CLI_ACTOR)
    except Refused as exc:
        raise click.ClickException(exc.message) from None
    session.commit()
    click.echo(f"removed {email}")


@users_group.command("reset-second-factor")
@click.argument("email")
@with_appcontext
def reset_second_factor(email: str) -> None:
    """Turn off someone's authenticator app (lost phone, or SECRET_KEY rotated)."""
    session = db.session()
    management.reset_second_factor(session, _account(email), CLI_ACTOR)
    session.commit()
    click.echo(f"{email} signs in with their password now, and may set up a new app")


def _account(email: str) -> Account:
    try:
        normal = invitations.normal_email(email)
    except Refused as exc:
        raise click.BadParameter(exc.message, param_hint="EMAIL") from None
    account = db.session().scalars(select(Account).filter_by(email=normal)).one_or_none()
    if account is None:
        raise click.ClickException(f"no account has e-mail {email}")
    return account
