"""Operations: health checks, Prometheus metrics, queue health, the /ops page, request ids."""

from __future__ import annotations

from flask import Flask

from callback.ops import health, http_metrics, logging_context, views


def init_app(app: Flask) -> None:
    """Register the ops endpoints, metrics hooks and request-id logging on `app`."""
    logging_context.init_app(app)
    http_metrics.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(views.bp)
