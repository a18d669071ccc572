"""Prometheus metrics: what the code counts and observes, one set per process.

Every label value is a status, an outcome, an endpoint name or an error code: never a
phone number and never a request id (`label` enforces it). The metrics are created on
first use, not at import, because in multiprocess mode creating one writes a file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram

if TYPE_CHECKING:
    from twilio.base.exceptions import TwilioRestException

    from callback.models import CallbackRequest

# Seconds a visitor waits: "we'll call you in 28 seconds" is the promise to measure.
WAIT_BUCKETS = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600)
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SAFE_LABEL = re.compile(r"[^a-z0-9_.\-]")
# Seven digits in a row could be a phone number (or part of one): never a label.
DIGIT_RUN = re.compile(r"\d{7,}")


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests_finished: Counter
    numbers_erased: Counter
    call_legs: Counter
    time_to_ring: Histogram
    time_to_bridge: Histogram
    webhook_seconds: Histogram
    http_responses: Counter
    twilio_errors: Counter
    reconciler_actions: Counter
    agents_paused: Counter
    submissions_blocked: Counter
    visitor_texts: Counter


@functools.cache
def metrics() -> Metrics:
    """Return this process's metrics, creating them on first use."""
    registry = CollectorRegistry(auto_describe=True)
    counter = functools.partial(Counter, registry=registry)
    histogram = functools.partial(Histogram, registry=registry)
    return Metrics(
        registry=registry,
        requests_finished=counter(
            "callback_requests_finished",
            "Requests that ended, by status and outcome.",
            ["status", "outcome"],
        ),
        numbers_erased=counter(
            "callback_numbers_erased",
            "Visitor numbers erased, by the request's final status.",
            ["status"],
        ),
        call_legs=counter(
            "callback_call_legs",
            "Call leg status changes, by leg and Twilio call status.",
            ["leg", "status"],
        ),
        time_to_ring=histogram(
            "callback_time_to_ring_seconds",
            "From submission to the first agent's phone ringing.",
            buckets=WAIT_BUCKETS,
        ),
        time_to_bridge=histogram(
            "callback_time_to_bridge_seconds",
            "From submission to the visitor being bridged.",
            buckets=WAIT_BUCKETS,
        ),
        webhook_seconds=histogram(
            "callback_webhook_duration_seconds",
            "Time to answer a Twilio webhook, by endpoint.",
            ["endpoint"],
            buckets=WEBHOOK_BUCKETS,
        ),
        http_responses=counter(
            "callback_http_responses",
            "HTTP responses, by endpoint name and status code.",
            ["endpoint", "status"],
        ),
        twilio_errors=counter(
            "callback_twilio_api_errors",
            "Errors returned by the Twilio REST API, by code.",
            ["code", "http_status"],
        ),
        reconciler_actions=counter(
            "callback_reconciler_actions",
            "Repairs made by the reconciler, by action.",
            ["action"],
        ),
        agents_paused=counter(
            "callback_agents_paused",
            "Agents paused: after missing too many calls in a row, or by hand.",
        ),
        submissions_blocked=counter(
            "callback_submissions_blocked",
            "Submissions answered from a decoy, by the kind of blocklist entry matched.",
            ["kind"],
        ),
        visitor_texts=counter(
            "callback_visitor_texts",
            "Visitor text messages reaching a status, by kind and status.",
            ["kind", "status"],
        ),
    )


def label(value: object) -> str:
    """Return `value` as a short, safe label value; anything number-like becomes `other`."""
    text = SAFE_LABEL.sub("_", str(value if value is not None else "none").lower())[:48]
    return "other" if DIGIT_RUN.search(text) else text or "none"


def waited_seconds(
    created_at: datetime, scheduled_for: datetime | None, round_number: int, until: datetime
) -> float:
    """Return how long the visitor had waited at `until`.

    Waiting starts at submission, or at the chosen time of a callback the visitor
    scheduled. From round 2 on, `scheduled_for` is a retry time, so submission counts:
    the retry's delay is part of the wait.
    """
    start = created_at
    if scheduled_for is not None and round_number == 1 and scheduled_for > created_at:
        start = scheduled_for
    return max((until - start).total_seconds(), 0.0)


def request_finished(request: CallbackRequest) -> None:
    """Count a request that reached its terminal status (and so had its number erased)."""
    status = label(request.status.value)
    metrics().requests_finished.labels(status, label(request.outcome)).inc()
    metrics().numbers_erased.labels(status).inc()


def call_leg_status(leg: object, status: str) -> None:
    """Count one forward move of a call leg's status."""
    metrics().call_legs.labels(label(getattr(leg, "value", leg)), label(status)).inc()


def agent_ringing(request: CallbackRequest) -> None:
    """Observe the wait until the first agent's phone rang (agent_ringing_at is set)."""
    _observe(metrics().time_to_ring, request, request.agent_ringing_at)


def bridged(request: CallbackRequest) -> None:
    """Observe the wait until the visitor was bridged (connected_at is set)."""
    _observe(metrics().time_to_bridge, request, request.connected_at)


def _observe(histogram: Histogram, request: CallbackRequest, at: datetime | None) -> None:
    if at is None or request.created_at is None:
        return
    histogram.observe(waited_seconds(request.created_at, request.scheduled_for, request.round, at))


def twilio_error(exc: TwilioRestException) -> None:
    """Count an error answer from the Twilio REST API."""
    metrics().twilio_errors.labels(label(exc.code), label(exc.status)).inc()


def reconciler_action(action: str) -> None:
    """Count one repair the reconciler made (`action` is a fixed word, e.g. `requeued`)."""
    metrics().reconciler_actions.labels(label(action)).inc()


def visitor_text(kind: str, status: str) -> None:
    """Count a visitor text (`kind`) reaching `status` (queued, delivered, failed...)."""
    metrics().visitor_texts.labels(label(kind), label(status)).inc()


def agent_paused() -> None:
    """Count an agent paused for missing calls (ops alert on any increase)."""
    metrics().agents_paused.inc()


def submission_blocked(kind: str) -> None:
    """Count a blocked submission by the kind of entry it matched (never the number)."""
    metrics().submissions_blocked.labels(label(kind)).inc()
