"""The embeddable widget: /widget.js, its per-widget configuration, and the demo site."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Serve the widget script and its configuration endpoint."""
    from callback.widget.routes import bp  # noqa: PLC0415 - blueprints load inside the factory

    app.register_blueprint(bp)
