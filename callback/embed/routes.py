"""The widget's two public URLs: the script any site embeds, and its configuration."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, request, send_from_directory

from callback.embed.config import widget_config
from callback.models import utcnow
from callback.security.origins import check_origin, cors_headers
from callback.widgets.cache import load_widget

bp = Blueprint("widget", __name__)
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Embedding pages keep a fixed URL, so the script is cached briefly and revalidated by ETag.
SCRIPT_MAX_AGE = 300
CONFIG_MAX_AGE = 60


@bp.get("/widget.js")
def script() -> Response:
    response = send_from_directory(
        STATIC_DIR, "widget.js", mimetype="text/javascript", max_age=SCRIPT_MAX_AGE
    )
    response.cache_control.public = True
    # Any site may load it, also with crossorigin="anonymous" and an integrity hash.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/widget.d.ts")
def script_types() -> Response:
    """Serve the TypeScript declarations of the script's page API (window.Callback)."""
    response = send_from_directory(
        STATIC_DIR, "widget.d.ts", mimetype="application/typescript", max_age=SCRIPT_MAX_AGE
    )
    response.cache_control.public = True
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/api/v1/widgets/<key>/config")
def config(key: str) -> tuple[Response, int, dict[str, str]]:
    widget = load_widget(key)
    check_origin(widget)
    body = widget_config(widget, request.args.get("lang"), utcnow())
    headers = {
        **cors_headers(widget),
        "Vary": "Origin",
        "Cache-Control": f"public, max-age={CONFIG_MAX_AGE}",
    }
    return jsonify(body), 200, headers
