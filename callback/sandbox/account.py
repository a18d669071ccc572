"""The Account resource and its numbers: what a service reads to check its configuration.

GET /2010-04-01/Accounts/<sid>.json answers for the credentials the sandbox accepts (401
with Twilio's error 20003 for any other pair); IncomingPhoneNumbers.json and
OutgoingCallerIds.json list the account's numbers (`numbers.AccountNumbers`). An owned
number is fetched and updated (VoiceUrl, VoiceMethod, StatusCallback, StatusCallbackMethod)
at IncomingPhoneNumbers/<PN sid>.json: where its incoming calls go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from callback.sandbox.listing import number_matches, page_of
from callback.sandbox.resources import (
    account_json,
    caller_id_json,
    incoming_number_json,
    number_sid,
)
from callback.sandbox.rest import authenticate, network, not_found, twilio_error

bp = Blueprint("sandbox_account", __name__, url_prefix="/2010-04-01/Accounts")
bp.before_request(authenticate)  # the same credentials and account as the Calls API


@bp.get("/<account_sid>.json")
def fetch_account(account_sid: str) -> Response:
    """Return the account: proof that the credentials work."""
    return jsonify(account_json(account_sid, network().numbers.created))


@bp.get("/<account_sid>/IncomingPhoneNumbers.json")
def list_incoming_numbers(account_sid: str) -> Response:
    """List the numbers the account owns; PhoneNumber may be a part, `*` any digit."""
    numbers = network().numbers
    matches = number_matches(request.args.get("PhoneNumber"), exact=False)
    return _page("incoming_phone_numbers", numbers.owned(), matches, _incoming_json)


# The form fields an update may set, and the settings they change.
VOICE_FIELDS = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
}


@bp.get("/<account_sid>/IncomingPhoneNumbers/<sid>.json")
def fetch_incoming_number(account_sid: str, sid: str) -> Response:
    """Return one owned number by its PN sid."""
    number = _owned_by_sid(sid)
    if number is None:
        return not_found()
    net = network()
    return jsonify(_incoming_json(net.account_sid, number, net.numbers.created))


@bp.post("/<account_sid>/IncomingPhoneNumbers/<sid>.json")
def update_incoming_number(account_sid: str, sid: str) -> Response:
    """Change where an owned number's incoming calls go; other fields are accepted, unused."""
    number = _owned_by_sid(sid)
    if number is None:
        return not_found()
    net = network()
    changes = {
        name: request.form[field] for field, name in VOICE_FIELDS.items() if field in request.form
    }
    try:
        net.numbers.configure_voice(number, changes)
    except ValueError as exc:
        return twilio_error(400, 21502, str(exc))
    except LookupError:
        return not_found()
    return jsonify(_incoming_json(net.account_sid, number, net.numbers.created))


def _owned_by_sid(sid: str) -> str | None:
    owned = network().numbers.owned()
    return next((n for n in owned if number_sid("owned", n) == sid), None)


def _incoming_json(account_sid: str, number: str, created: float) -> dict[str, Any]:
    voice = network().numbers.voice(number)
    return incoming_number_json(account_sid, number, created, voice)


@bp.get("/<account_sid>/OutgoingCallerIds.json")
def list_caller_ids(account_sid: str) -> Response:
    """List the account's verified caller IDs; PhoneNumber must match exactly."""
    numbers = network().numbers
    matches = number_matches(request.args.get("PhoneNumber"), exact=True)
    return _page("outgoing_caller_ids", numbers.verified(), matches, caller_id_json)


def _page(
    key: str,
    numbers: tuple[str, ...],
    matches: Callable[[str], bool],
    render: Callable[[str, str, float], dict[str, Any]],
) -> Response:
    net = network()
    chosen = sorted(number for number in numbers if matches(number))
    try:
        page = page_of(
            key,
            chosen,
            lambda number: render(net.account_sid, number, net.numbers.created),
            request.path,
            request.args,
            ("PhoneNumber",),
        )
    except ValueError:
        return twilio_error(400, 20001, "Invalid paging parameter")
    return jsonify(page)
