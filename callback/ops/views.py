"""The /ops page: queue health, waits, outcomes and failed work, refreshed live.

Behind the admin token, given as `Authorization: Bearer <token>` or, so a browser can
open the page, as the password of HTTP Basic authentication (any user name). Actions
are POSTs that must carry X-Requested-With, which a cross-site form cannot send.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import select

from callback import db
from callback.models import CallbackRequest, RequestStatus, utcnow
from callback.ops import failed_jobs, request_stats
from callback.ops.report import Thresholds, health_report
from callback.phones.masking import mask
from callback.redis_client import redis_connection
from callback.security.admin_auth import token_is_valid

bp = Blueprint(
    "ops", __name__, url_prefix="/ops", template_folder="templates", static_folder="static"
)
ACTION_HEADER = "X-Requested-With"
ACTION_HEADER_VALUE = "callback-ops"
PLOT_HOURS = 3


def _presented_token() -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


@bp.before_request
def _require_admin() -> Response | None:
    if not current_app.config["ADMIN_TOKENS"]:
        abort(404)  # admin disabled, as for the admin API
    token = _presented_token()
    if not token or not token_is_valid(token):
        return Response(
            "An admin token is required.",
            401,
            {"WWW-Authenticate": 'Basic realm="Callback ops", charset="UTF-8"'},
        )
    if request.method == "POST" and request.headers.get(ACTION_HEADER) != ACTION_HEADER_VALUE:
        abort(403)
    return None


@bp.get("/")
def page() -> str:
    return render_template("ops/index.html", action_header=ACTION_HEADER_VALUE)


def _recent_failed_requests(limit: int = 20) -> list[dict[str, object]]:
    rows = db.session().scalars(
        select(CallbackRequest)
        .where(
            CallbackRequest.status.in_([RequestStatus.FAILED, RequestStatus.EXPIRED]),
            # Always true of an ended request; said so that the newest come from the
            # index of ended requests instead of sorting every failure ever recorded.
            CallbackRequest.ended_at.is_not(None),
        )
        .order_by(CallbackRequest.ended_at.desc())
        .limit(limit)
    )
    return [
        {
            "id": str(row.id),
            "phone": mask(row.phone),  # erased once failed; masked should it ever remain
            "country": row.country,
            "status": row.status.value,
            "outcome": row.outcome,
            "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        }
        for row in rows
    ]


@bp.get("/data")
def data() -> Response:
    now = utcnow()
    report = health_report(redis_connection(), db.session(), now, Thresholds())
    report["series"] = request_stats.series(db.session(), now, PLOT_HOURS)
    report["failed_requests"] = _recent_failed_requests()
    jobs = failed_jobs.failed_jobs(redis_connection()) if report["redis_up"] else []
    report["failed_jobs"] = [job.as_dict() for job in jobs]
    return jsonify(report)


@bp.post("/failed-jobs/<job_id>/<any(retry, discard):action>")
def failed_job_action(job_id: str, action: str) -> tuple[Response, int]:
    handler = failed_jobs.retry if action == "retry" else failed_jobs.discard
    try:
        handler(redis_connection(), job_id)
    except failed_jobs.UnknownJob:
        return jsonify(error={"code": "unknown_job", "message": "No failed job has that id."}), 404
    return jsonify(id=job_id, done=action), 200
