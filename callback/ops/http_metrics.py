"""The /metrics view, and the request hooks that time webhooks and count responses.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn with several workers; see gunicorn.conf.py),
every process writes its counters to files there and a scrape adds them up, so
any worker can answer /metrics for all. Queue gauges are read from Redis at scrape time.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from callback import metrics
from callback.models import utcnow
from callback.ops.queue_health import QueueCollector
from callback.redis_client import redis_connection

bp = Blueprint("ops_metrics", __name__)
WEBHOOK_BLUEPRINT = "twilio"


def _process_metrics() -> Collector:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = CollectorRegistry()
        MultiProcessCollector(combined)
        return combined
    return metrics.metrics().registry


@bp.get("/metrics")
def scrape() -> Response:
    registry = CollectorRegistry()
    registry.register(_process_metrics())
    registry.register(QueueCollector(redis_connection(), utcnow))
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(registry), content_type=content_type)


def _start_timer() -> None:
    g.ops_webhook_started = time.perf_counter()


def _observe_webhook(response: Response) -> Response:
    started = g.pop("ops_webhook_started", None)
    if started is not None:
        endpoint = metrics.label(request.endpoint)
        metrics.metrics().webhook_seconds.labels(endpoint).observe(time.perf_counter() - started)
    return response


def _count_response(response: Response) -> Response:
    # The endpoint's name, never the path: paths carry request ids and tokens.
    endpoint = metrics.label(request.endpoint or "unmatched")
    metrics.metrics().http_responses.labels(endpoint, str(response.status_code)).inc()
    return response


def init_app(app: Flask) -> None:
    """Serve /metrics and install the hooks (the webhook ones on the twilio blueprint)."""
    app.register_blueprint(bp)
    # Flask's own per-blueprint hook lists: scoped without touching the blueprint
    # object, which is shared by every app built in this process.
    app.before_request_funcs.setdefault(WEBHOOK_BLUEPRINT, []).append(_start_timer)
    app.after_request_funcs.setdefault(WEBHOOK_BLUEPRINT, []).append(_observe_webhook)
    app.after_request(_count_response)
