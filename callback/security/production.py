"""Refuse to start in production with settings that would leave a door open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REQUIRED = {
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
        f"{name} is not set ({why})" for name, why in REQUIRED.items() if not settings[name]
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
        raise RuntimeError("production mode refuses to start:\n  - " + "\n  - ".join(problems))
