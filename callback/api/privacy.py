"""Admin API for data-subject requests: export and erase everything about one number.

Owners only (an ADMIN_TOKENS token, or an owner's API key): a number's requests may
span every widget, and answering its holder is the service operator's duty, not one
widget's manager's. Other keys get 403.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pydantic import ValidationError

from callback import db
from callback.accounts.access import only_for, require_caller
from callback.accounts.roles import OWNER
from callback.errors import Invalid
from callback.privacy.erase import erase_number
from callback.privacy.export import SubjectNumberInvalid, export_for_subject, parse_subject_number
from callback.redis_client import redis_connection
from callback.schemas.admin import SubjectRequest

bp = Blueprint("privacy_api", __name__, url_prefix="/api/v1/admin/privacy")
bp.before_request(require_caller(lambda: None))


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
    actor = only_for(OWNER).actor
    number = _subject_number()
    return jsonify(export_for_subject(db.session(), redis_connection(), number, actor))


@bp.post("/erase")
def erase() -> Response:
    actor = only_for(OWNER).actor
    number = _subject_number()
    erasure = erase_number(db.session(), redis_connection(), number, actor)
    return jsonify(erased=erasure.as_dict())
