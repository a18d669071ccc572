"""The Account resource and its numbers: what a service reads to check its configuration.

GET /2010-04-01/Accounts/<sid>.json answers for the credentials the sandbox accepts (401
with Twilio's error 20003 for any other pair); IncomingPhoneNumbers.json and
OutgoingCallerIds.json list the account's numbers (`numbers.AccountNumbers`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from callback.sandbox.listing import number_matches, page_of
from callback.sandbox.resources import account_json, caller_id_json, incoming_number_json
from callback.sandbox.rest import authenticate, network, twilio_error

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
    return _page("incoming_phone_numbers", numbers.owned(), matches, incoming_number_json)


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
