"""Settings: environment variables over embedded development defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from callback.security.config import load_security_settings
from callback.security.production import check_production

INSTANCE_DIR_ENV = "CALLBACK_INSTANCE_DIR"
BOOLEAN_TRUE = {"1", "true", "yes", "on"}


def instance_dir() -> Path:
    """Return the folder that holds the embedded database, Redis and generated keys."""
    path = Path(os.environ.get(INSTANCE_DIR_ENV) or Path.cwd() / "instance")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _generated_secret(name: str) -> str:
    # Development keys survive restarts so status links and hashes stay valid.
    path = instance_dir() / f"{name.lower()}.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(value: str | None, default: bool = False) -> bool:
    return default if value is None else value.strip().lower() in BOOLEAN_TRUE


def load_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting the service knows from the environment."""
    env = os.environ if env is None else env
    account_sid = env.get("TWILIO_ACCOUNT_SID") or None
    auth_token = env.get("TWILIO_AUTH_TOKEN") or None
    production = env.get("CALLBACK_ENV", "development") == "production"
    settings: dict[str, Any] = {
        "ENV": "production" if production else "development",
        "DATABASE_URL": env.get("DATABASE_URL") or None,
        "REDIS_URL": env.get("REDIS_URL") or None,
        "TELEPHONY": env.get("TELEPHONY") or ("twilio" if account_sid else "sandbox"),
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL") or "https://api.twilio.com",
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER") or None,
        "TWILIO_CPS": float(env.get("TWILIO_CPS") or 1),
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "PHONE_HASH_KEY": env.get("PHONE_HASH_KEY") or None,
        "ADMIN_TOKENS": [
            t.strip() for t in (env.get("ADMIN_TOKENS") or "").split(",") if t.strip()
        ],
        "RETENTION_MAX_HOURS": float(env.get("RETENTION_MAX_HOURS") or 24),
        "ERASE_PROVIDER_RECORDS": _flag(env.get("ERASE_PROVIDER_RECORDS")),
        "LOG_LEVEL": env.get("LOG_LEVEL") or "INFO",
        # A create whose answer takes longer than the read timeout becomes "unknown".
        "TWILIO_CONNECT_TIMEOUT": float(env.get("TWILIO_CONNECT_TIMEOUT") or 3.05),
        "TWILIO_READ_TIMEOUT": float(env.get("TWILIO_READ_TIMEOUT") or 10),
        # An agent who lets this many calls in a row ring out is paused (ops are told).
        "AGENT_MAX_MISSES": int(env.get("AGENT_MAX_MISSES") or 3),
        # How often `callback cron` has the reconciler run.
        "RECONCILE_EVERY_SECONDS": float(env.get("RECONCILE_EVERY_SECONDS") or 30),
        # Work untouched this long is presumed lost by the reconciler and put back.
        "RECONCILE_STALE_SECONDS": float(env.get("RECONCILE_STALE_SECONDS") or 30),
        # A call with no final status after this long is fetched from the REST API.
        "RECONCILE_SILENT_CALL_SECONDS": float(env.get("RECONCILE_SILENT_CALL_SECONDS") or 120),
        # How long a process may answer from its copy of a widget changed elsewhere.
        "WIDGET_CACHE_SECONDS": float(env.get("WIDGET_CACHE_SECONDS") or 5),
    }
    settings.update(load_security_settings(env))
    if production:
        check_production(settings)
    return settings


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
