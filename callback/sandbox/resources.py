"""Twilio's JSON shapes: the Call, Account and number resources, pages and error bodies."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import phonenumbers

API_VERSION = "2010-04-01"


def rfc2822(timestamp: float | None) -> str | None:
    """Format epoch seconds the way Twilio formats dates ("Tue, 31 Aug 2010 20:36:28 +0000")."""
    if timestamp is None:
        return None
    return format_datetime(datetime.fromtimestamp(timestamp, UTC))


def formatted(number: str) -> str:
    """Format a number for display as Twilio does: national for NANP, E.164 elsewhere."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return number


def call_uri(account_sid: str, sid: str, suffix: str = ".json") -> str:
    """Return a call's URI relative to the API host."""
    return f"/{API_VERSION}/Accounts/{account_sid}/Calls/{sid}{suffix}"


def call_json(call: Any) -> dict[str, Any]:
    """Return the Call resource as Twilio's API shows it."""
    duration = call.duration
    base = call_uri(call.account_sid, call.sid, "")
    return {
        "sid": call.sid,
        "account_sid": call.account_sid,
        "parent_call_sid": call.parent_call_sid,
        "to": call.to,
        "to_formatted": formatted(call.to),
        "from": call.from_,
        "from_formatted": formatted(call.from_),
        "status": call.status,
        "start_time": rfc2822(call.start_time),
        "end_time": rfc2822(call.end_time),
        "duration": None if duration is None else str(duration),
        "direction": call.direction,
        "answered_by": call.answered_by,
        "api_version": API_VERSION,
        "date_created": rfc2822(call.created),
        "date_updated": rfc2822(max(call.updated, call.created)),
        "price": None if duration is None else f"-{0.014 * math.ceil(duration / 60):.5f}",
        "price_unit": "USD",
        "uri": base + ".json",
        "subresource_uris": {
            name: f"{base}/{name.title().replace('_', '')}.json"
            for name in ("notifications", "recordings", "events", "payments", "streams")
        },
        "caller_name": None,
        "group_sid": None,
        "phone_number_sid": None,
        "queue_time": "0",
        "trunk_sid": None,
        "forwarded_from": None,
        "annotation": None,
        "stir_verstat": None,
    }


def page_json(
    key: str,
    items: list[dict[str, Any]],
    path: str,
    args: dict[str, str],
    page: int,
    size: int,
    total: int,
) -> dict[str, Any]:
    """Wrap one page of resources in Twilio's paging envelope, the list under `key`."""

    def uri(number: int) -> str:
        return path + "?" + urlencode({**args, "PageSize": size, "Page": number})

    start = page * size
    return {
        key: items,
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1) if start + size < total else None,
        "previous_page_uri": uri(page - 1) if page > 0 else None,
        "page": page,
        "page_size": size,
        "start": start,
        "end": start + max(len(items) - 1, 0),
        "uri": uri(page),
    }


def account_json(account_sid: str, created: float) -> dict[str, Any]:
    """Return the Account resource (without the auth_token Twilio also shows: unneeded)."""
    base = f"/{API_VERSION}/Accounts/{account_sid}"
    return {
        "sid": account_sid,
        "owner_account_sid": account_sid,
        "friendly_name": "Sandbox account",
        "status": "active",
        "type": "Full",
        "date_created": rfc2822(created),
        "date_updated": rfc2822(created),
        "uri": base + ".json",
        "subresource_uris": {
            name: f"{base}/{name}.json"
            for name in ("Calls", "IncomingPhoneNumbers", "OutgoingCallerIds")
        },
    }


def number_sid(kind: str, number: str) -> str:
    """Return a stable PN sid for a number of the account (`kind` keeps the lists apart)."""
    return "PN" + hashlib.sha256(f"{kind}:{number}".encode()).hexdigest()[:32]


def caller_id_json(account_sid: str, number: str, created: float) -> dict[str, Any]:
    """Return an OutgoingCallerId resource: a verified caller ID."""
    sid = number_sid("verified", number)
    return {
        "sid": sid,
        "account_sid": account_sid,
        "phone_number": number,
        "friendly_name": formatted(number),
        "date_created": rfc2822(created),
        "date_updated": rfc2822(created),
        "uri": f"/{API_VERSION}/Accounts/{account_sid}/OutgoingCallerIds/{sid}.json",
    }


def incoming_number_json(
    account_sid: str, number: str, created: float, voice: Any = None
) -> dict[str, Any]:
    """Return an IncomingPhoneNumber resource: a number the account owns, voice-capable.

    `voice` is its `numbers.VoiceSettings` (where incoming calls go), if any were set.
    """
    sid = number_sid("owned", number)
    return {
        **caller_id_json(account_sid, number, created),
        "sid": sid,
        "api_version": API_VERSION,
        "beta": False,
        "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
        "origin": "twilio",
        "status": "in-use",
        "voice_url": voice.voice_url if voice else None,
        "voice_method": voice.voice_method if voice else "POST",
        "voice_fallback_url": None,
        "voice_fallback_method": "POST",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "status_callback": voice.status_callback if voice else None,
        "status_callback_method": voice.status_callback_method if voice else "POST",
        "sms_url": None,
        "sms_method": "POST",
        "trunk_sid": None,
        "uri": f"/{API_VERSION}/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
    }


def error_json(status: int, code: int, message: str) -> dict[str, Any]:
    """Return Twilio's error body."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
