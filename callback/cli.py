"""The `callback` command: release, worker, development run, sandbox, doctor and admin tasks."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from callback import create_app, db
from callback.accounts.cli import users_group
from callback.agents.cli import agents_group
from callback.dev.server import dev_command
from callback.doctor.cli import doctor_command
from callback.migrate import upgrade
from callback.ops.cli import register as register_ops_commands
from callback.privacy.cli import privacy_group
from callback.reports import facts
from callback.sandbox.cli import sandbox_command
from callback.settings import SettingsError
from workers.cron import cron_command
from workers.worker import worker_command


def _create_app() -> Flask:
    try:
        return create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


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


main = FlaskGroup(
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
