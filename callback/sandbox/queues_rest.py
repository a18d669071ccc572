"""Twilio's Queues API, the part a service needs to tidy up: list, fetch and delete."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from callback.sandbox.listing import page_of
from callback.sandbox.queues import Queue
from callback.sandbox.rest import authenticate, network, not_found, twilio_error

bp = Blueprint("sandbox_queues", __name__, url_prefix="/2010-04-01/Accounts/<account_sid>")
bp.before_request(authenticate)


@bp.get("/Queues.json")
def list_queues(account_sid: str) -> Response:
    """List the queues, oldest first (Twilio has no filter here: find one by its name)."""
    net = network()
    with net.store.lock:
        queues = sorted(net.store.queues.values(), key=lambda q: q.created)
        try:
            page = page_of(
                "queues",
                queues,
                lambda queue: queue.as_json(net.account_sid),
                request.path,
                request.args,
                (),
            )
        except ValueError:
            return twilio_error(400, 20001, "Invalid paging parameter")
    return jsonify(page)


@bp.get("/Queues/<sid>.json")
def fetch_queue(account_sid: str, sid: str) -> Response:
    """Return one queue."""
    net = network()
    with net.store.lock:
        queue = _by_sid(sid)
        return jsonify(queue.as_json(net.account_sid)) if queue else not_found()


@bp.delete("/Queues/<sid>.json")
def delete_queue(account_sid: str, sid: str) -> Response:
    """Delete an empty queue; one with callers waiting is refused."""
    net = network()
    with net.store.lock:
        queue = _by_sid(sid)
        if queue is None:
            return not_found()
        if queue.members:
            # Twilio refuses to delete a queue with members; the exact code is not documented.
            return twilio_error(400, 20001, "Queue is not empty")
        net.store.queues.pop(queue.name, None)
    return Response(status=204)


def _by_sid(sid: str) -> Queue | None:
    queues = network().store.queues.values()
    return next((queue for queue in queues if queue.sid == sid), None)
