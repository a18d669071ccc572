"""`callback sandbox`: serve the Twilio-compatible sandbox on its own."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from werkzeug.serving import run_simple

from callback.sandbox import create_sandbox_app, load_scenario
from callback.sandbox.server import QuietRequestHandler
from callback.settings import SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, SANDBOX_FROM_NUMBER


def with_phones(scenario: dict[str, Any], phones: tuple[str, ...]) -> dict[str, Any]:
    """Return the scenario with each of `phones` listed (as its default person if new)."""
    listed = dict(scenario.get("phones", {}))
    for number in phones:
        listed.setdefault(number, {})
    return {**scenario, "phones": listed} if listed else scenario


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback by default.")
@click.option("--port", default=5050, show_default=True, type=int)
@click.option("--account-sid", envvar="SANDBOX_ACCOUNT_SID", default=SANDBOX_ACCOUNT_SID)
@click.option("--auth-token", envvar="SANDBOX_AUTH_TOKEN", default=SANDBOX_AUTH_TOKEN)
@click.option(
    "--scenario",
    envvar="SANDBOX_SCENARIO",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='TOML file with [default] and [phones."+number"] behaviours.',
)
@click.option(
    "--time-scale",
    envvar="SANDBOX_TIME_SCALE",
    type=float,
    default=1.0,
    show_default=True,
    help="Real seconds per simulated second (0 plays calls instantly).",
)
@click.option(
    "--phone",
    "phones",
    multiple=True,
    help="A number to list on the phones page from the start (the scenario's default person).",
)
@click.option(
    "--number",
    "numbers",
    multiple=True,
    envvar="SANDBOX_NUMBERS",
    default=[SANDBOX_FROM_NUMBER],
    show_default=True,
    help="A number the account owns, usable as a caller ID (repeat for several).",
)
@click.option(
    "--caller-id",
    "caller_ids",
    multiple=True,
    envvar="SANDBOX_CALLER_IDS",
    help="A verified caller ID of the account (repeat for several).",
)
@click.option(
    "--voice-url",
    "voice_urls",
    multiple=True,
    metavar="NUMBER=URL",
    help="Where incoming calls to an owned number go, as its Twilio Voice URL (repeatable).",
)
def sandbox_command(
    host: str,
    port: int,
    account_sid: str,
    auth_token: str,
    scenario: Path | None,
    time_scale: float,
    phones: tuple[str, ...],
    numbers: tuple[str, ...],
    caller_ids: tuple[str, ...],
    voice_urls: tuple[str, ...],
) -> None:
    """Run the telephony sandbox: Twilio's Calls API, scripted phones and the phones page."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = {
        "SANDBOX_ACCOUNT_SID": account_sid,
        "SANDBOX_AUTH_TOKEN": auth_token,
        "SANDBOX_SCENARIO": with_phones(load_scenario(scenario), phones),
        "SANDBOX_TIME_SCALE": time_scale,
        "SANDBOX_NUMBERS": numbers,
        "SANDBOX_CALLER_IDS": caller_ids,
        "SANDBOX_VOICE_URLS": _voice_urls(voice_urls),
    }
    try:
        app = create_sandbox_app(config)
    except (ValueError, LookupError) as exc:  # a number or a phone setting it cannot use: say which
        raise click.UsageError(str(exc)) from None
    click.echo(f"Sandbox phones page: http://{host}:{port}/")
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=QuietRequestHandler,
    )


def _voice_urls(values: tuple[str, ...]) -> dict[str, str]:
    """Read NUMBER=URL pairs, or stop with a usage error naming the one that is not."""
    urls = {}
    for value in values:
        number, _, url = value.partition("=")
        if not number or not url:
            raise click.UsageError(f"--voice-url must be NUMBER=URL, not {value!r}")
        urls[number.strip()] = url.strip()
    return urls
