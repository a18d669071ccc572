"""The widget's origin allowlist, enforced on the server (CORS alone stops no form post)."""

from __future__ import annotations

from flask import request

from callback.errors import NotAllowed, refusal
from callback.models import Widget
from callback.texts.messages import request_language


def _own_origin() -> str:
    return request.host_url.rstrip("/")


def check_origin(widget: Widget) -> None:
    """Refuse a browser request from an origin the widget does not list, exactly."""
    origin = request.headers.get("Origin")
    if origin is None:
        # Not a browser request (a site's own back end, curl): nothing to enforce here.
        return
    if origin == _own_origin() or origin in widget.allowed_origins:
        return
    raise refusal(NotAllowed, "origin_not_allowed", request_language(widget.language))


def cors_headers(widget: Widget, preflight: bool = False) -> dict[str, str]:
    """Return CORS headers for an allowed browser origin, none for anything else."""
    origin = request.headers.get("Origin")
    if origin is None or origin not in widget.allowed_origins:
        return {}
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if preflight:
        headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Content-Type"
        headers["Access-Control-Max-Age"] = "600"
    return headers
