"""The /metrics view, and the request hooks that time webhooks and count responses.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn with several workers; see gunicorn.conf.py),
every process writes its counters to files there and a scrape adds them up, so
any worker can answer /metrics for all. Queue gauges are read from Redis at scrape time,
the phone line's waiting callers and callbacks from the database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callback import db, metrics
from callback.models import utcnow
from callback.ops import request_stats
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


class LineCollector(Collector):
    """The phone line's gauges, counted in the database at scrape time (none if it fails)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            line = request_stats.phone_line(self.session)
        except SQLAlchemyError:
            self.session.rollback()
            return
        yield GaugeMetricFamily(
            "callback_line_callers_waiting",
            "Phone-line callers waiting on the line (on the phone).",
            line["callers_on_line"],
        )
        yield GaugeMetricFamily(
            "callback_line_callbacks_waiting",
            "Phone-line callers who took a callback, waiting for it.",
            line["callbacks_waiting"],
        )


@bp.get("/metrics")
def scrape() -> Response:
    registry = CollectorRegistry()
    registry.register(_process_metrics())
    registry.register(QueueCollector(redis_connection(), utcnow))
    registry.register(LineCollector(db.session()))
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
