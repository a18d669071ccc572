"""The `callback` command: release, worker, development run, sandbox and admin tasks."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext

from callback import create_app, db
from callback.accounts.cli import users_group
from callback.agents.cli import agents_group
from callback.dev.server import dev_command
from callback.migrate import upgrade
from callback.ops.cli import register as register_ops_commands
from callback.privacy.cli import privacy_group
from callback.reports import facts
from callback.sandbox.cli import sandbox_command
from callback.settings import SettingsError, found_instance_dir
from workers.cron import cron_command
from workers.worker import worker_command

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


def register_commands(app: Flask) -> None:
    """Add the app-level commands to `app.cli`."""
    app.cli.add_command(db_group)
    app.cli.add_command(worker_command)
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
main.add_command(dev_command)
main.add_command(sandbox_command)

if __name__ == "__main__":
    main()
