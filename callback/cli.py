"""The `callback` command: release, worker, development run, sandbox, doctor and admin tasks."""

from __future__ import annotations

import os
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext
from sqlalchemy import select

from callback import create_app, db
from callback.accounts.cli import users_group
from callback.agents.cli import agents_group
from callback.dev.server import dev_command
from callback.doctor.cli import doctor_command
from callback.errors import Refused
from callback.migrate import upgrade
from callback.models import Widget
from callback.ops.cli import register as register_ops_commands
from callback.privacy.cli import privacy_group
from callback.reports import facts
from callback.sandbox.cli import sandbox_command
from callback.schemas.admin import AgentCreate, WidgetCreate, checked_fields
from callback.settings import SettingsError, found_instance_dir
from callback.setup import making
from workers.cron import cron_command
from workers.worker import worker_command

CLI_ACTOR = "cli"
# Commands that may start a service's data afresh; any other needs the data to exist.
MAKES_DATA = frozenset({"db", "worker", "cron", "run"})
COMMAND = "callback.command"
NO_DATA = (
    "no service data here: no instance/ folder in {cwd} or any folder above it, and "
    "DATABASE_URL is not set. Run this from the project folder (where `callback dev` "
    "made instance/), or set CALLBACK_INSTANCE_DIR=/path/to/instance, or set "
    "DATABASE_URL and REDIS_URL to the service's database and Redis."
)


class CallbackGroup(FlaskGroup):
    """Flask's command group, remembering which command is about to build the app."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        ctx.meta[COMMAND] = cmd_name
        return super().get_command(ctx, cmd_name)


def _create_app() -> Flask:
    context = click.get_current_context(silent=True)
    command = context.find_root().meta.get(COMMAND) if context else None
    if command not in MAKES_DATA and not _data_found():
        # Not a fresh empty database in whatever folder the command ran in.
        raise NoAppException(NO_DATA.format(cwd=os.getcwd()))
    try:
        return create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _data_found() -> bool:
    return bool(os.environ.get("DATABASE_URL")) or found_instance_dir() is not None


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every pending migration, then count older requests in the reports (`release`)."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is at the newest revision")
    # Requests that ended before an upgrade brought reports; none after the first run.
    counted = facts.backfill(db.session())
    if counted:
        click.echo(f"reports: counted {counted} requests that ended before this release")


@click.group("widgets")
def widgets_group() -> None:
    """Widgets: create the first one without curl, list them."""


@widgets_group.command("create")
@click.option("--name", required=True, help="Shown to staff, and in alerts.")
@click.option(
    "--origin", "origins", multiple=True, required=True, help="A site that embeds it, "
    "such as https://www.example.com (repeat for each)."
)  # fmt: skip
@click.option("--region", required=True, help="Visitors' usual country: GB, PL, US, ...")
@click.option("--caller-id", help="E.164 number the calls come from (default TWILIO_FROM_NUMBER).")
@click.option("--country", "countries", multiple=True, help="Countries accepted (repeat).")
@click.option("--language", help="The widget's language: en, pl, ...")
@click.option("--timezone", help="Its business hours' time zone, such as Europe/London.")
@click.option("--team", help="The agents it rings (default: default).")
@with_appcontext
def create_widget_command(**options: Any) -> None:
    """Create a widget, checked as the admin API checks it; print its key and tag."""
    body = {
        "name": options["name"],
        "allowed_origins": list(options["origins"]),
        "default_region": options["region"],
        "caller_id": options["caller_id"],
        "allowed_countries": list(options["countries"]) or None,
        "language": options["language"],
        "timezone": options["timezone"],
        "team": options["team"],
    }
    session = db.session()
    try:
        fields = checked_fields(WidgetCreate, {k: v for k, v in body.items() if v is not None})
        from_number = current_app.config.get("TWILIO_FROM_NUMBER")
        widget = making.create_widget(session, fields, CLI_ACTOR, from_number)
    except Refused as refused:
        raise click.ClickException(refused.message) from None
    session.commit()
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    click.echo(f"widget {widget.key} created: {widget.name}")
    click.echo(f'embed it with: <script src="{base}/widget.js" data-widget="{widget.key}" async>'
               "</script>")  # fmt: skip


@widgets_group.command("list")
@with_appcontext
def list_widgets_command() -> None:
    """Show every widget's key, name, team and caller ID."""
    click.echo(f"{'key':<26} {'name':<24} {'team':<12} caller id")
    for widget in db.session().scalars(select(Widget).order_by(Widget.id)):
        caller_id = widget.caller_id or "(TWILIO_FROM_NUMBER)"
        click.echo(f"{widget.key:<26} {widget.name[:24]:<24} {widget.team[:12]:<12} {caller_id}")


@click.command("add")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="The agent's work phone, E.164: +442079460001.")
@click.option("--team", help="Widgets of this team ring them (default: default).")
@click.option("--language", "languages", multiple=True, help="A language they speak (repeat).")
@click.option("--priority", type=int, help="Lower rings first (default 100).")
@click.option("--timezone", help="Their working hours' time zone.")
@with_appcontext
def add_agent_command(**options: Any) -> None:
    """Add an agent, checked as the admin API checks one; print their id."""
    body = {name: value for name, value in options.items() if value not in (None, ())}
    if "languages" in body:
        body["languages"] = list(body["languages"])
    session = db.session()
    try:
        agent = making.add_agent(session, checked_fields(AgentCreate, body), CLI_ACTOR)
    except Refused as refused:
        raise click.ClickException(refused.message) from None
    session.commit()
    click.echo(f"agent {agent.id} added: {agent.name}, team {agent.team}")


def register_commands(app: Flask) -> None:
    """Add the app-level commands to `app.cli`."""
    app.cli.add_command(db_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(widgets_group)
    agents_group.add_command(add_agent_command)
    app.cli.add_command(agents_group)
    app.cli.add_command(users_group)
    app.cli.add_command(privacy_group)
    app.cli.add_command(cron_command)
    register_ops_commands(app.cli)


main = CallbackGroup(
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=True,
    help="Callback: website callback service.",
)
# Beside the app's commands, not among them: these run without an app, and the doctor
# must report on a configuration the app refuses to start with.
main.add_command(dev_command)
main.add_command(sandbox_command)
main.add_command(doctor_command)

if __name__ == "__main__":
    main()
