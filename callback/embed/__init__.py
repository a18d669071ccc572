"""The embeddable widget's edge: /widget.js and its page API's types (/widget.d.ts), the
configuration it loads (config), and the countries it formats numbers for."""

from __future__ import annotations

from flask import Flask

from callback.embed.routes import bp


def init_app(app: Flask) -> None:
    """Serve the widget script and its configuration endpoint."""
    app.register_blueprint(bp)
