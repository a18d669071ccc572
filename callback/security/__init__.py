"""Abuse and attack controls: proxy trust, rate limits, daily caps, headers, admin tokens,
origins and status tokens (production's refusals of unsafe settings are in settings).

See SECURITY.md for the threat model each control answers.
"""

from __future__ import annotations

from flask import Flask

from callback.security import headers, proxy, ratelimit


def init_app(app: Flask) -> None:
    """Install proxy trust, rate limits and security headers (after the blueprints)."""
    proxy.init_app(app)
    ratelimit.init_app(app)
    headers.init_app(app)
