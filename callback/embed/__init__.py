"""The embeddable widget's edge: /widget.js, the configuration it loads (config), the
countries it formats numbers for, and CORS on the visitor API's answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Serve the widget script and its configuration endpoint."""
    from callback.embed.routes import bp  # noqa: PLC0415 - blueprints load inside the factory

    app.register_blueprint(bp)
