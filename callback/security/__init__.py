"""Abuse and attack controls: proxy trust, rate limits, daily caps, headers, production checks.

See SECURITY.md for the threat model each control answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Install proxy trust, rate limits and security headers (after the blueprints)."""
    # Imported here: callback.settings imports this package for its config, and these
    # modules import the app's models and Redis client, which import the settings.
    from callback.security import headers, proxy, ratelimit  # noqa: PLC0415

    proxy.init_app(app)
    ratelimit.init_app(app)
    headers.init_app(app)
