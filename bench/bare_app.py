"""The baseline: bare Flask endpoints answering what the real ones answer, doing nothing.

Served by the same gunicorn command as the app (bench/procs.py), so the ratio between
the two is what validation, storage and enqueueing cost.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, jsonify, request


def create_bare_app() -> Flask:
    """Return the bare app: the form endpoint, the status webhook and /healthz."""
    bare = Flask(__name__)

    @bare.post("/api/v1/widgets/<key>/callbacks")
    def create_callback(key: str) -> tuple[Response, int]:
        request.get_json(silent=True)
        request_id = uuid.uuid4()
        status_url = f"{request.host_url}api/v1/callbacks/{request_id}?token=x"
        body = {"id": str(request_id), "status": "queued", "status_url": status_url}
        return jsonify({**body, "scheduled_for": None}), 202

    @bare.post("/twilio/attempts/<int:attempt_id>/status")
    def call_status(attempt_id: int) -> tuple[str, int]:
        request.form.to_dict()
        return "", 204

    @bare.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    return bare


app = create_bare_app()
