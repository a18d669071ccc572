"""`callback privacy export|erase --phone ...`: data-subject requests from the shell."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from callback import db
from callback.privacy.erase import erase_number
from callback.privacy.export import SubjectNumberInvalid, export_for_subject, parse_subject_number
from callback.redis_client import redis_connection

CLI_ACTOR = "cli"

phone_option = click.option(
    "--phone", required=True, help="The number as the person gave it (any format)."
)
region_option = click.option(
    "--region",
    default=None,
    help="Two-letter country for a number typed without +country code (e.g. GB).",
)


def _number(phone: str, region: str | None) -> str:
    try:
        return parse_subject_number(phone, region)
    except SubjectNumberInvalid as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from None


@click.group("privacy")
def privacy_group() -> None:
    """Data-subject requests: export or erase everything held about a number."""


@privacy_group.command("export")
@phone_option
@region_option
@with_appcontext
def export_command(phone: str, region: str | None) -> None:
    """Print everything held about the number as JSON (to hand to the person)."""
    number = _number(phone, region)
    export = export_for_subject(db.session(), redis_connection(), number, CLI_ACTOR)
    click.echo(json.dumps(export, indent=2))


@privacy_group.command("erase")
@phone_option
@region_option
@with_appcontext
def erase_command(phone: str, region: str | None) -> None:
    """Erase the number from the database, Redis and (when configured) Twilio, now."""
    erasure = erase_number(db.session(), redis_connection(), _number(phone, region), CLI_ACTOR)
    for name, count in erasure.as_dict().items():
        click.echo(f"{name.replace('_', ' ')}: {count}")
