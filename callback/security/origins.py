"""The widget's origin allowlist, enforced on the server (CORS alone stops no form post)."""

from __future__ import annotations

from collections.abc import Callable

from flask import request

from callback.errors import NotAllowed, refusal
from callback.models import Widget
from callback.texts.messages import request_language


def _own_origin() -> str:
    return request.host_url.rstrip("/")


def origin_refused(widget: Widget) -> bool:
    """Return whether this is a browser request from an origin the widget does not list."""
    origin = request.headers.get("Origin")
    if origin is None:
        # Not a browser request (a site's own back end, curl): nothing to enforce here.
        return False
    return origin != _own_origin() and origin not in widget.allowed_origins


def check_origin(widget: Widget) -> None:
    """Refuse a browser request from an origin the widget does not list, exactly."""
    if origin_refused(widget):
        raise refusal(NotAllowed, "origin_not_allowed", request_language(widget.language))


def refused_before_reading(
    blueprint: str, find_widget: Callable[[str], Widget | None]
) -> Callable[[], bool]:
    """Return a check: is this request to `blueprint` one its widget's origin refuses?

    Run before the view (by the per-address limit), from the `<key>` in the URL.
    """

    def refused() -> bool:
        key = (request.view_args or {}).get("key")
        if request.blueprint != blueprint or not isinstance(key, str):
            return False
        widget = find_widget(key)
        return widget is not None and origin_refused(widget)

    return refused


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
