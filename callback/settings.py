"""Settings: every environment variable the service reads, parsed and checked in one place.

Each setting is a field of `Settings`, named as its variable; an empty variable counts
as unset. A value the service could never run with (a word where a number goes, a
malformed rate limit, a zero timeout) stops the start with an error naming the variable
(never echoing its value, which may be a secret); every value it ran with before is read
as before. Production refuses settings that would leave a door open, listing every
problem at once. This module imports none of the packages that use the settings.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from limits import parse_many
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

INSTANCE_DIR_ENV = "CALLBACK_INSTANCE_DIR"
BOOLEAN_TRUE = {"1", "true", "yes", "on"}


# What makes a folder named instance/ ours: the embedded database or a generated key.
INSTANCE_MARKERS = ("callback.sqlite3", "secret_key.key")


def found_instance_dir() -> Path | None:
    """Return CALLBACK_INSTANCE_DIR, or the nearest instance/ of ours from here upwards.

    So a command run in any folder of the project finds the service's data, as git
    finds its repository; None when there is none.
    """
    if os.environ.get(INSTANCE_DIR_ENV):
        return Path(os.environ[INSTANCE_DIR_ENV])
    for folder in (Path.cwd(), *Path.cwd().parents):
        candidate = folder / "instance"
        if any((candidate / marker).exists() for marker in INSTANCE_MARKERS):
            return candidate
    return None


def instance_dir() -> Path:
    """Return the folder that holds the embedded database, Redis and generated keys."""
    path = found_instance_dir() or Path.cwd() / "instance"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_path(name: str) -> Path:
    return instance_dir() / f"{name.lower()}.key"


def _generated_secret(name: str) -> str:
    # Development keys survive restarts so status links and hashes stay valid.
    path = _secret_path(name)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def development_secret(name: str) -> str | None:
    """Return the key development generated for `name` under instance/, if it made one."""
    path = _secret_path(name)
    return path.read_text().strip() if path.exists() else None


class SettingsError(RuntimeError):
    """Settings the service cannot start with; the message names each variable."""


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _rate_limit(value: str) -> str:
    try:
        parse_many(value)
    except ValueError:
        raise ValueError("must be limits such as 10/hour;30/day") from None
    return value


def _switched_on(value: object) -> bool:
    return str(value).strip().lower() in BOOLEAN_TRUE


RateLimit = Annotated[str, AfterValidator(_rate_limit)]
# Off unless 1, true, yes or on; anything else is off, as it always was.
Flag = Annotated[bool, BeforeValidator(_switched_on)]
# On unless exactly "false" (any case), as it always was.
OnUnlessFalse = Annotated[bool, BeforeValidator(lambda value: str(value).lower() != "false")]
Seconds = Annotated[float, Field(gt=0)]
Tokens = Annotated[list[str], BeforeValidator(_comma_list)]


class Settings(BaseModel):
    """The environment, parsed: one field per variable."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # Exactly "production" turns on production's checks; anything else is development.
    CALLBACK_ENV: str = "development"
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None
    # "twilio" when an account is configured, else the local sandbox.
    TELEPHONY: str | None = None
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_API_BASE_URL: str = "https://api.twilio.com"
    TWILIO_FROM_NUMBER: str | None = None
    # Calls per second the account may start (Twilio's CPS), shared by every worker.
    TWILIO_CPS: Annotated[float, Field(gt=0)] = 1
    PUBLIC_BASE_URL: str | None = None
    SECRET_KEY: str | None = None
    PHONE_HASH_KEY: str | None = None
    ADMIN_TOKENS: Tokens = []
    RETENTION_MAX_HOURS: float = 24
    ERASE_PROVIDER_RECORDS: Flag = False
    LOG_LEVEL: str = "INFO"
    # A create whose answer takes longer than the read timeout becomes "unknown".
    TWILIO_CONNECT_TIMEOUT: Seconds = 3.05
    TWILIO_READ_TIMEOUT: Seconds = 10
    # An agent who lets this many calls in a row ring out is paused (ops are told).
    AGENT_MAX_MISSES: int = 3
    # How often `callback cron` has the reconciler run.
    RECONCILE_EVERY_SECONDS: Annotated[float, Field(ge=1)] = 30  # whole seconds to RQ's cron
    # Work untouched this long is presumed lost by the reconciler and put back.
    RECONCILE_STALE_SECONDS: float = 30
    # A call with no final status after this long is fetched from the REST API.
    RECONCILE_SILENT_CALL_SECONDS: float = 120
    # How long a process may answer from its copy of a widget changed elsewhere.
    WIDGET_CACHE_SECONDS: float = 5
    # Limits use the `limits` notation: "10/hour;30/day" means both apply.
    # Submissions from one client address (a visitor rarely needs more than one or two).
    RATE_LIMIT_PER_IP: RateLimit = "10/hour;30/day"
    # Requests for one number, whichever address sends them: stops ringing a victim.
    RATE_LIMIT_PER_NUMBER: RateLimit = "3/hour;6/day"
    # Submissions to one widget: slows a flood spread over many addresses.
    RATE_LIMIT_PER_WIDGET: RateLimit = "300/hour"
    # Distinct numbers one address may submit: stops walking a number range.
    RATE_LIMIT_NEW_NUMBERS_PER_IP: RateLimit = "3/hour"
    RATELIMIT_ENABLED: OnUnlessFalse = True
    # In development only: submissions from this machine (loopback) skip the abuse limits,
    # so a developer trying the demo is not locked out. Production ignores it.
    DEV_LOOPBACK_UNLIMITED: OnUnlessFalse = True
    RATELIMIT_STORAGE_URI: str | None = None
    # Proxies in front of the service whose X-Forwarded-For may be believed.
    TRUSTED_PROXY_HOPS: int = 0
    # Accepted requests per UTC day, all widgets together: the hard bound on toll spend.
    DAILY_CALL_CAP_GLOBAL: int = 1000
    # A console session ends after this many minutes without a request.
    CONSOLE_IDLE_MINUTES: Annotated[float, Field(gt=0)] = 30
    # Failed console sign-ins (password, second factor or passkey) before a wait.
    CONSOLE_SIGN_IN_LIMIT_PER_ACCOUNT: RateLimit = "5/minute;20/hour"
    CONSOLE_SIGN_IN_LIMIT_PER_IP: RateLimit = "30/hour"
    # Audit entries older than this are deleted by the retention pass (PRIVACY.md). At
    # least 7: the provider-record sweep reads a week of them to know what is done.
    AUDIT_RETENTION_DAYS: Annotated[float, Field(ge=7)] = 365

    # Where alerts and digests are sent from: smtp://user:pass@host:587 (STARTTLS),
    # smtps://...:465 (TLS); smtp://host:25?tls=off only for a relay on this machine.
    SMTP_URL: str | None = None
    MAIL_FROM: str = "Callback <callback@localhost>"
    # Each webhook attempt: seconds to connect, and to wait for each read of the answer.
    WEBHOOK_CONNECT_TIMEOUT: Seconds = 3
    WEBHOOK_READ_TIMEOUT: Seconds = 5

    def as_config(self) -> dict[str, Any]:
        """Return the Flask config: the fields, with ENV and TELEPHONY decided."""
        config = self.model_dump(exclude={"CALLBACK_ENV"})
        config["ENV"] = "production" if self.CALLBACK_ENV == "production" else "development"
        config["TELEPHONY"] = self.TELEPHONY or ("twilio" if self.TWILIO_ACCOUNT_SID else "sandbox")
        config["PUBLIC_BASE_URL"] = (self.PUBLIC_BASE_URL or "").rstrip("/") or None
        return config


def load_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting the service knows from the environment, or raise SettingsError."""
    settings = read_settings(env)
    if settings["ENV"] == "production":
        check_production(settings)
    return settings


def read_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse the settings without production's refusals (the doctor reports each one)."""
    env = os.environ if env is None else env
    given = {name: env[name] for name in Settings.model_fields if env.get(name)}
    try:
        return Settings.model_validate(given).as_config()
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(error: ValidationError) -> str:
    lines = [
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    ]
    return "settings the service cannot use:\n  - " + "\n  - ".join(lines)


REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "signs status links and form tokens",
    "PHONE_HASH_KEY": "keys the number hashes used by rate limits",
    "DATABASE_URL": "the database is the source of truth",
    "REDIS_URL": "queues, rate limits and daily caps live there",
    # Without these the sandbox's development pair would be used: no call would be placed.
    "TWILIO_ACCOUNT_SID": "calls are placed through this Twilio account",
    "TWILIO_AUTH_TOKEN": "without it no webhook signature can be checked",
    "PUBLIC_BASE_URL": "webhook signatures are checked against it behind a proxy",
}
MIN_ADMIN_TOKEN_LENGTH = 20


def production_problems(settings: Mapping[str, Any]) -> list[str]:
    """Return one line per setting that makes production mode unsafe."""
    problems = [
        f"{name} is not set ({why})"
        for name, why in REQUIRED_IN_PRODUCTION.items()
        if not settings[name]
    ]
    base = settings.get("PUBLIC_BASE_URL") or ""
    if base and not base.startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be https:// (Twilio posts signed data to it)")
    if any(len(token) < MIN_ADMIN_TOKEN_LENGTH for token in settings.get("ADMIN_TOKENS", [])):
        problems.append(f"every ADMIN_TOKENS entry needs {MIN_ADMIN_TOKEN_LENGTH}+ characters")
    return problems


def check_production(settings: Mapping[str, Any]) -> None:
    """Raise with every problem listed, so one restart fixes them all."""
    problems = production_problems(settings)
    if problems:
        raise SettingsError("production mode refuses to start:\n  - " + "\n  - ".join(problems))


def fill_development_defaults(config: dict[str, Any]) -> None:
    """Give unset secrets and the database a local, persistent default."""
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance_dir() / 'callback.sqlite3'}"
    for name in ("SECRET_KEY", "PHONE_HASH_KEY"):
        if not config.get(name):
            config[name] = _generated_secret(name)
    if config["TELEPHONY"] == "sandbox":
        config.setdefault("TWILIO_ACCOUNT_SID", None)
        config["TWILIO_ACCOUNT_SID"] = config["TWILIO_ACCOUNT_SID"] or SANDBOX_ACCOUNT_SID
        config["TWILIO_AUTH_TOKEN"] = config["TWILIO_AUTH_TOKEN"] or SANDBOX_AUTH_TOKEN
        config["TWILIO_FROM_NUMBER"] = config["TWILIO_FROM_NUMBER"] or SANDBOX_FROM_NUMBER


# The sandbox accepts any credentials it is started with; these are the development pair.
SANDBOX_ACCOUNT_SID = "AC" + "0" * 31 + "1"
SANDBOX_AUTH_TOKEN = "sandbox-auth-token"  # noqa: S105 - not a secret, the local sandbox's
SANDBOX_FROM_NUMBER = "+15005550006"
