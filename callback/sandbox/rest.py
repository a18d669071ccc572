"""The subset of Twilio's REST API the service uses: create, fetch, list, update, delete Calls."""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from callback.sandbox.chaos import CreateFailure
from callback.sandbox.listing import list_calls
from callback.sandbox.network import Network
from callback.sandbox.numbers import E164
from callback.sandbox.people import MAGIC_FROM_ERRORS, MAGIC_TO_ERRORS
from callback.sandbox.resources import call_json, error_json
from callback.sandbox.store import Call, Source, new_sid

bp = Blueprint("sandbox_rest", __name__, url_prefix="/2010-04-01/Accounts/<account_sid>")

UPDATE_STATUSES = frozenset({"canceled", "completed"})


def network() -> Network:
    """Return the app's simulated network."""
    net: Network = current_app.extensions["sandbox"]
    return net


def twilio_error(status: int, code: int, message: str) -> Response:
    """Return Twilio's JSON error response."""
    response = jsonify(error_json(status, code, message))
    response.status_code = status
    return response


@bp.before_request
def authenticate() -> Response | None:
    """Log the request, then check basic auth and the account in the path."""
    net = network()
    auth = request.authorization
    form = request.form.to_dict(flat=False)
    net.store.log_request(
        {
            "method": request.method,
            "path": request.path,
            "args": {k: v[0] if len(v) == 1 else v for k, v in request.args.lists()},
            "form": {k: v[0] if len(v) == 1 else v for k, v in form.items()},
            "auth_user": auth.username if auth else None,
            "at": time.time(),
        }
    )
    if (
        auth is None
        or not hmac.compare_digest(auth.username or "", net.account_sid)
        or not hmac.compare_digest(auth.password or "", net.auth_token)
    ):
        response = twilio_error(401, 20003, "Authenticate")
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return response
    if (request.view_args or {}).get("account_sid") != net.account_sid:
        return not_found()
    return None


def not_found() -> Response:
    """Return Twilio's 404 for the requested path."""
    return twilio_error(404, 20404, f"The requested resource {request.path} was not found")


@bp.post("/Calls.json")
def create_call(account_sid: str) -> Response:
    """Create a call and start playing it (or fail as the chaos switches say)."""
    net = network()
    failure = net.chaos.next_create_failure()
    refused = refused_by_chaos(failure) or validate_create(request.form)
    if refused:
        return refused
    call = new_call(account_sid, request.form)
    response = jsonify(call_json(call))  # as created: queued, whatever the player does next
    response.status_code = 201
    net.place(call)
    if failure and failure.respond == "hang":
        time.sleep(failure.hang_seconds)  # the client gives up first: an "unknown" attempt
    return response


def refused_by_chaos(failure: CreateFailure | None) -> Response | None:
    """Return the error a create the chaos switches fail answers (429 or 500), or None."""
    if failure and failure.respond == "429":
        return twilio_error(429, 20429, "Too Many Requests")
    if failure and failure.respond == "500":
        return twilio_error(500, 20500, "Internal Server Error")
    return None


def validate_create(form: Any) -> Response | None:
    """Return Twilio's error for an unacceptable create request, or None."""
    to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
    if not to:
        return twilio_error(400, 21201, "No 'To' number is specified")
    if not from_:
        return twilio_error(400, 21213, "No 'From' number is specified")
    if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
        return twilio_error(400, 21205, "Url parameter is required.")
    if from_ in MAGIC_FROM_ERRORS:
        return twilio_error(400, *MAGIC_FROM_ERRORS[from_])
    if not E164.match(from_):
        return twilio_error(400, 21212, "Invalid From Number (caller ID)")
    if to in MAGIC_TO_ERRORS:
        return twilio_error(400, *MAGIC_TO_ERRORS[to])
    if not E164.match(to):
        return twilio_error(400, 21211, "Invalid 'To' Phone Number")
    for name in ("Method", "StatusCallbackMethod"):
        if form.get(name, "POST").upper() not in ("GET", "POST"):
            return twilio_error(400, 21209, f"{name} must be GET or POST")
    return None


def new_call(account_sid: str, form: Any) -> Call:
    """Build a queued outbound-api leg from a create request."""
    events = {e.lower() for value in form.getlist("StatusCallbackEvent") for e in value.split()}
    now = time.time()
    return Call(
        sid=new_sid(),
        account_sid=account_sid,
        to=form["To"].strip(),
        from_=form["From"].strip(),
        direction="outbound-api",
        source=Source(form.get("Url"), form.get("Method", "POST").upper(), form.get("Twiml")),
        created=now,
        status_callback=form.get("StatusCallback") or None,
        status_callback_method=form.get("StatusCallbackMethod", "POST").upper(),
        status_callback_events=frozenset(events),
        timeout=float(form.get("Timeout") or 60),
        machine_detection=form.get("MachineDetection") or None,
        clock=now,
        updated=now,
    )


@bp.get("/Calls.json")
def list_calls_view(account_sid: str) -> Response:
    """List calls, newest first, with Twilio's filters and paging."""
    try:
        return jsonify(list_calls(network(), request.path, request.args))
    except ValueError:
        return twilio_error(400, 20001, "Invalid paging or StartTime parameter")


@bp.get("/Calls/<sid>.json")
def fetch_call(account_sid: str, sid: str) -> Response:
    """Return one call."""
    net = network()
    call = net.store.get(sid)
    if call is None:
        return not_found()
    with net.store.lock:
        return jsonify(call_json(call))


@bp.post("/Calls/<sid>.json")
def update_call(account_sid: str, sid: str) -> Response:
    """End a call (Status) or give it new TwiML (Url/Twiml)."""
    net = network()
    call = net.store.get(sid)
    if call is None:
        return not_found()
    status, url, twiml = (request.form.get(k) for k in ("Status", "Url", "Twiml"))
    if status and status not in UPDATE_STATUSES:
        return twilio_error(400, 21218, f"Invalid Status: {status}")
    if (url or twiml) and call.finished:
        return twilio_error(400, 21220, "Call is not in-progress. Cannot redirect.")
    if status == "completed" or (status == "canceled" and call.status in ("queued", "ringing")):
        if not call.finished:
            net.hang_up_by_api(call, status)
    elif url or twiml:
        net.redirect(call, Source(url, request.form.get("Method", "POST").upper(), twiml))
    with net.store.lock:
        return jsonify(call_json(call))


@bp.delete("/Calls/<sid>.json")
def delete_call(account_sid: str, sid: str) -> Response:
    """Delete a finished call's record."""
    net = network()
    call = net.store.get(sid)
    if call is None:
        return not_found()
    if not call.finished:
        return twilio_error(400, 21220, "Cannot delete a call that is not finished")
    with net.store.lock:
        net.store.calls.pop(sid, None)
    return Response(status=204)
