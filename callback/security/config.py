"""Security settings read from the environment, with defaults that are safe to run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Limits use the `limits` notation: "10/hour;30/day" means both apply.
DEFAULT_RATE_LIMITS = {
    # Submissions from one client address (a visitor rarely needs more than one or two).
    "RATE_LIMIT_PER_IP": "10/hour;30/day",
    # Requests for one number, whichever address sends them: stops ringing a victim.
    "RATE_LIMIT_PER_NUMBER": "3/hour;6/day",
    # Submissions to one widget: slows a flood spread over many addresses.
    "RATE_LIMIT_PER_WIDGET": "300/hour",
    # Distinct numbers one address may submit: stops walking a number range.
    "RATE_LIMIT_NEW_NUMBERS_PER_IP": "3/hour",
}
DEFAULT_DAILY_CALL_CAP_GLOBAL = 1000


def load_security_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Return the abuse-control settings from `env`."""
    settings: dict[str, Any] = {
        name: env.get(name) or default for name, default in DEFAULT_RATE_LIMITS.items()
    }
    settings["RATELIMIT_ENABLED"] = (env.get("RATELIMIT_ENABLED") or "true").lower() != "false"
    settings["RATELIMIT_STORAGE_URI"] = env.get("RATELIMIT_STORAGE_URI") or None
    settings["TRUSTED_PROXY_HOPS"] = int(env.get("TRUSTED_PROXY_HOPS") or 0)
    settings["DAILY_CALL_CAP_GLOBAL"] = int(
        env.get("DAILY_CALL_CAP_GLOBAL") or DEFAULT_DAILY_CALL_CAP_GLOBAL
    )
    return settings
