"""One function per check of a configuration, each returning a Finding with its fix."""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from redis import Redis
from sqlalchemy import Connection
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from callback.migrate import known_revision, pending_model_changes, revisions
from callback.redis_client import (
    EVICTION_FIX,
    SAFE_EVICTION_POLICIES,
    config_value,
    eviction_policy,
)
from callback.settings import Settings, development_secret, production_problems

SECRETS = ("SECRET_KEY", "PHONE_HASH_KEY")
# Each has a check of its own below; production_problems' line about it would repeat it.
CHECKED_APART = frozenset(
    {
        *SECRETS,
        "PUBLIC_BASE_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
    }
)
# A command printing a new random key; not a secret itself.
NEW_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"  # noqa: S105
TWILIO_API = str(Settings.model_fields["TWILIO_API_BASE_URL"].default)
FIX_CALLER_ID = (
    "buy or port {number} into the Twilio account, or verify it as a caller ID (Twilio "
    "console, Phone Numbers > Verified Caller IDs); or {instead}"
)
RETRY = "run the doctor again; if Twilio keeps failing, see https://status.twilio.com"
# (widget key, widget name, its own caller ID)
WidgetCallerId = tuple[str, str, str | None]


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: what was found and, when it failed, what to do."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def passed(name: str, detail: str) -> Finding:
    """Return a passed check."""
    return Finding(name, True, detail)


def failed(name: str, detail: str, fix: str) -> Finding:
    """Return a failed check with what to set or run."""
    return Finding(name, False, detail, fix)


def production_settings(config: Mapping[str, Any]) -> Finding:
    """Check what production refuses beyond the settings checked on their own."""
    if config["ENV"] != "production":
        return passed("settings", "development mode (CALLBACK_ENV is not production)")
    problems = [
        problem
        for problem in production_problems(config)
        if problem.split(" ", 1)[0] not in CHECKED_APART
    ]
    if problems:
        return failed("settings", "; ".join(problems), "set each variable as the detail says")
    return passed("settings", "production mode")


def secrets(config: Mapping[str, Any]) -> Finding:
    """Check that production has SECRET_KEY and PHONE_HASH_KEY of its own."""
    if config["ENV"] != "production":
        return passed("secrets", "development: keys generated under instance/ fill unset ones")
    generated = {development_secret(name) for name in SECRETS} - {None}
    problems = [
        f"{name} is not set" if not config.get(name) else f"{name} is a development key"
        for name in SECRETS
        if not config.get(name) or config[name] in generated
    ]
    if problems:
        return failed(
            "secrets",
            "; ".join(problems),
            f"set SECRET_KEY and PHONE_HASH_KEY to new random values of their own ({NEW_SECRET}),"
            " never the keys generated under instance/",
        )
    return passed("secrets", "SECRET_KEY and PHONE_HASH_KEY are set, not development keys")


def public_base_url(config: Mapping[str, Any]) -> Finding:
    """Check PUBLIC_BASE_URL: https in production, http only on this machine in development."""
    base = config.get("PUBLIC_BASE_URL")
    fix = "set PUBLIC_BASE_URL to the https:// address Twilio reaches this service at" + (
        " (its TLS proxy's)"
        if config["ENV"] == "production"
        else "; in development http://127.0.0.1:5000 does, as `callback dev` sets"
    )
    if not base:
        return failed("PUBLIC_BASE_URL", "not set: no webhook address to give Twilio", fix)
    parts = urlsplit(base)
    if parts.scheme == "https" and parts.hostname:
        return passed("PUBLIC_BASE_URL", base)
    if parts.scheme == "http" and config["ENV"] != "production" and _loopback(parts.hostname):
        return passed("PUBLIC_BASE_URL", f"{base} (http on this machine: development only)")
    where = "in production" if config["ENV"] == "production" else "off this machine"
    return failed("PUBLIC_BASE_URL", f"{base} is not https:// {where}", fix)


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def migrations(connection: Connection) -> Finding:
    """Check the database is at this release's newest migration and matches its models."""
    current, heads = revisions(connection)
    newest = ", ".join(sorted(heads))
    if current != heads:
        return _not_current(current, newest)
    changes = pending_model_changes(connection)
    if changes:
        return failed(
            "migrations",
            f"at {newest}, but the schema differs from the models in {len(changes)} place(s)",
            "run `callback db upgrade`; if that changes nothing, the schema was altered by "
            "hand or this release lacks a migration: report it",
        )
    return passed("migrations", f"at the newest revision, {newest}")


def _not_current(current: set[str], newest: str) -> Finding:
    at = ", ".join(sorted(current)) or "no revision (an empty database)"
    if all(known_revision(revision) for revision in current):
        return failed(
            "migrations",
            f"the database is at {at}; this release needs {newest}",
            "run `callback db upgrade` (the release step) before starting this release",
        )
    return failed(
        "migrations",
        f"the database is at {at}, which this release does not know (its newest is {newest})",
        "run the release that migrated the database, or restore it from before that",
    )


def eviction(connection: Redis) -> Finding:
    """Check Redis refuses to evict keys: an evicted job would be a lost callback."""
    policy = eviction_policy(connection)
    if policy is None:
        return failed(
            "redis eviction",
            "cannot read maxmemory-policy (the server refuses CONFIG GET)",
            "set maxmemory-policy to noeviction in the provider's settings and allow CONFIG GET",
        )
    if policy not in SAFE_EVICTION_POLICIES:
        return failed(
            "redis eviction",
            f"maxmemory-policy is {policy}: Redis may evict queued callbacks",
            f"set it to noeviction: {EVICTION_FIX}",
        )
    return passed("redis eviction", f"maxmemory-policy is {policy}")


def persistence(connection: Redis) -> Finding:
    """Check Redis keeps its data across a restart: an append-only file or RDB snapshots."""
    appendonly, save = config_value(connection, "appendonly"), config_value(connection, "save")
    if appendonly == "yes":
        return passed("redis persistence", "append-only file on")
    if save:
        return passed("redis persistence", f"RDB snapshots (save {save})")
    if appendonly is None and save is None:
        detail = "cannot read appendonly or save (the server refuses CONFIG GET)"
    else:
        detail = "neither an append-only file nor snapshots: a restart loses every queued callback"
    return failed(
        "redis persistence",
        detail,
        "turn persistence on: 'appendonly yes' in redis.conf (now: redis-cli CONFIG SET "
        "appendonly yes)",
    )


def twilio_settings(config: Mapping[str, Any]) -> Finding | None:
    """Return why the REST API cannot be asked at all, or None when it can."""
    if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")):
        return failed(
            "twilio",
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not both set",
            "set both to the pair under Account Info in the Twilio console",
        )
    if config["TELEPHONY"] == "sandbox" and config["TWILIO_API_BASE_URL"] == TWILIO_API:
        return failed(
            "twilio",
            f"TELEPHONY is sandbox, but TWILIO_API_BASE_URL is Twilio's ({TWILIO_API})",
            "set TWILIO_API_BASE_URL to the sandbox (http://127.0.0.1:5050 under `callback "
            "dev`), or set your Twilio account's TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
        )
    return None


def credentials(client: Client, config: Mapping[str, Any]) -> Finding:
    """Check the credentials work: Twilio shows the account, and it is active."""
    sid, base = config["TWILIO_ACCOUNT_SID"], config["TWILIO_API_BASE_URL"]
    try:
        account = client.api.v2010.accounts(sid).fetch()
    except (TwilioException, requests.RequestException) as exc:
        return failed("twilio", f"{base}: {twilio_error(exc)}", _credentials_fix(exc, base))
    if account.status != "active":
        return failed(
            "twilio",
            f"account {sid} is {account.status}: it places no calls",
            "reactivate the account in the Twilio console, or use an active one",
        )
    trial = " (a trial: it calls only verified numbers)" if account.type == "Trial" else ""
    return passed("twilio", f"account {sid} is active at {base}{trial}")


def _credentials_fix(exc: Exception, base: str) -> str:
    if isinstance(exc, requests.RequestException):
        return f"check TWILIO_API_BASE_URL, and that {base} can be reached from here"
    if isinstance(exc, TwilioRestException) and exc.status in (401, 403, 404):
        return "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to the pair under Account Info"
    return RETRY


def twilio_error(exc: Exception) -> str:
    """Name an error by Twilio's code and message; never the request, which names numbers."""
    if isinstance(exc, TwilioRestException):
        return f"Twilio error {exc.code} (HTTP {exc.status}): {str(exc.msg).split(': ', 1)[-1]}"
    if isinstance(exc, TwilioServiceException):  # the RFC 9457 shape of newer APIs
        return f"Twilio error {exc.code} (HTTP {exc.status}): {exc.title}"
    # A list page answered with an error: twilio-python hands over the bare response.
    response = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(response, TwilioResponse):
        try:
            body = json.loads(response.text)
        except ValueError:
            body = {}
        if not isinstance(body, dict) or "code" not in body:
            return f"HTTP {response.status_code} without Twilio's error body"
        return f"Twilio error {body['code']} (HTTP {response.status_code}): {body.get('message')}"
    if isinstance(exc, requests.RequestException):
        return f"cannot reach it ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc.args[0] if exc.args else ''}"


def number_standing(client: Client, number: str) -> str | None:
    """Return how the account may call from `number`: own, verified, or not at all (None)."""
    owned = client.incoming_phone_numbers.list(phone_number=number, limit=20)
    if any(found.phone_number == number for found in owned):
        return "a number of the account"
    verified = client.outgoing_caller_ids.list(phone_number=number, limit=20)
    if any(found.phone_number == number for found in verified):
        return "a verified caller ID of the account"
    return None


def caller_ids(
    client: Client, from_number: str | None, widgets: Sequence[WidgetCallerId]
) -> list[Finding]:
    """Check TWILIO_FROM_NUMBER and each widget's caller ID against the account's numbers."""
    standing = functools.cache(lambda number: number_standing(client, number))
    found = []
    if from_number:
        instead = "set TWILIO_FROM_NUMBER (E.164, +44...) to a number of the account"
        found.append(caller_id("TWILIO_FROM_NUMBER", from_number, standing, instead))
    found += [widget_caller_id(widget, from_number, standing) for widget in widgets]
    return found or [passed("caller IDs", "no widgets yet, and TWILIO_FROM_NUMBER is not set")]


def widget_caller_id(
    widget: WidgetCallerId, from_number: str | None, standing: Callable[[str], str | None]
) -> Finding:
    """Check the number a widget's calls come from: its caller ID, else TWILIO_FROM_NUMBER."""
    key, name, own = widget
    instead = "set the widget's caller ID (console, or the admin API's caller_id) to one that is"
    if own:
        return caller_id(f"widget {key}", own, standing, instead, f"{name}: its caller ID ")
    if from_number:
        about = f"{name}: no caller ID of its own; TWILIO_FROM_NUMBER "
        return caller_id(f"widget {key}", from_number, standing, instead, about)
    return failed(
        f"widget {key}",
        f"{name}: no caller ID, and TWILIO_FROM_NUMBER is not set: no call can be placed",
        "set the widget's caller ID (console, or the admin API's caller_id), or "
        "TWILIO_FROM_NUMBER, to a number of the Twilio account",
    )


FIX_SMS_SENDER = (
    "set the widget's caller ID (or TWILIO_FROM_NUMBER) to an SMS-capable number the "
    "Twilio account owns, or turn the widget's texts off (sms_enabled)"
)


def texting_senders(
    client: Client, from_number: str | None, widgets: Sequence[WidgetCallerId]
) -> list[Finding]:
    """Check each texting widget sends from an SMS-capable number the account owns.

    A verified caller ID may place calls but never send texts (Twilio refuses with 21606).
    """
    found = []
    for key, name, own in widgets:
        number = own or from_number
        if not number:
            continue  # its caller ID check fails already: no call, no text
        label = f"widget {key} texts"
        try:
            owned = client.incoming_phone_numbers.list(phone_number=number, limit=20)
        except (TwilioException, requests.RequestException) as exc:
            found.append(
                failed(label, f"{name}: cannot check {number}: {twilio_error(exc)}", RETRY)
            )
            continue
        match = next((entry for entry in owned if entry.phone_number == number), None)
        if match is None:
            detail = f"{name}: texts go from {number}, which is not a number of the account"
            found.append(failed(label, detail, FIX_SMS_SENDER))
        elif not (match.capabilities or {}).get("sms"):
            found.append(failed(label, f"{name}: {number} cannot send texts", FIX_SMS_SENDER))
        else:
            found.append(passed(label, f"{name}: texts go from {number}, which can send them"))
    return found


def caller_id(
    name: str, number: str, standing: Callable[[str], str | None], instead: str, about: str = ""
) -> Finding:
    """Check Twilio accepts `number` as the caller ID of a call this account places."""
    try:
        kind = standing(number)
    except (TwilioException, requests.RequestException) as exc:
        return failed(name, f"{about}cannot check {number}: {twilio_error(exc)}", RETRY)
    if kind is None:
        return failed(
            name,
            f"{about}{number} is neither a number of the account nor a verified caller ID",
            FIX_CALLER_ID.format(number=number, instead=instead),
        )
    return passed(name, f"{about}{number} is {kind}")
