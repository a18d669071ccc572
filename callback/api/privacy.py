"""Admin API for data-subject requests: export and erase everything about one number."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from callback import db
from callback.errors import Invalid
from callback.privacy.erase import erase_number
from callback.privacy.export import SubjectNumberInvalid, export_for_subject, parse_subject_number
from callback.redis_client import redis_connection
from callback.security.admin_auth import admin_actor, require_admin

bp = Blueprint("privacy_api", __name__, url_prefix="/api/v1/admin/privacy")
bp.before_request(require_admin(lambda: None))


def _subject_number() -> str:
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("phone"), str):
        raise Invalid("invalid_field", "phone: is required", "phone")
    region = body.get("region")
    try:
        return parse_subject_number(body["phone"], region if isinstance(region, str) else None)
    except SubjectNumberInvalid as exc:
        raise Invalid("invalid_number", f"phone: {exc}", "phone") from None


@bp.post("/export")
def export() -> Response:
    number = _subject_number()
    return jsonify(export_for_subject(db.session(), redis_connection(), number, admin_actor()))


@bp.post("/erase")
def erase() -> Response:
    number = _subject_number()
    erasure = erase_number(db.session(), redis_connection(), number, admin_actor())
    return jsonify(erased=erasure.as_dict())
