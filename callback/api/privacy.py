"""Admin API for data-subject requests: export and erase everything about one number."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pydantic import ValidationError

from callback import db
from callback.errors import Invalid
from callback.privacy.erase import erase_number
from callback.privacy.export import SubjectNumberInvalid, export_for_subject, parse_subject_number
from callback.redis_client import redis_connection
from callback.schemas.admin import SubjectRequest
from callback.security.admin_auth import admin_actor, require_admin

bp = Blueprint("privacy_api", __name__, url_prefix="/api/v1/admin/privacy")
bp.before_request(require_admin(lambda: None))


def _subject_number() -> str:
    try:
        subject = SubjectRequest.model_validate(request.get_json(silent=True))
    except ValidationError:  # no object, or no phone string in it: all else is optional
        raise Invalid("invalid_field", "phone: is required", "phone") from None
    try:
        return parse_subject_number(subject.phone, subject.region)
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
