"""Twilio's Messages API, the part the service uses: create, fetch, list and delete."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify, request

from callback.sandbox.listing import page_of
from callback.sandbox.numbers import E164
from callback.sandbox.people import MAGIC_FROM_ERRORS
from callback.sandbox.rest import (
    authenticate,
    network,
    not_found,
    refused_by_chaos,
    twilio_error,
)
from callback.sandbox.store import new_sid
from callback.sandbox.texts import MAGIC_TO_ERRORS, MAX_BODY, TextMessage, deliver, message_json

bp = Blueprint("sandbox_messages", __name__, url_prefix="/2010-04-01/Accounts/<account_sid>")
bp.before_request(authenticate)


@bp.post("/Messages.json")
def create_message(account_sid: str) -> Response:
    """Queue a text message and start delivering it (or fail as chaos and magic say)."""
    net = network()
    failure = net.chaos.next_create_failure()
    refused = refused_by_chaos(failure) or validate_message(request.form)
    if refused:
        return refused
    now = time.time()
    message = TextMessage(
        sid=new_sid("SM"),
        account_sid=account_sid,
        to=request.form["To"].strip(),
        from_=request.form["From"].strip(),
        body=request.form["Body"],
        created=now,
        updated=now,
        status_callback=request.form.get("StatusCallback") or None,
    )
    with net.store.lock:
        message.generation = net.store.generation
        net.store.messages[message.sid] = message
        net.store.changed.notify_all()
        response = jsonify(message_json(message))
    response.status_code = 201
    deliver(net, message)
    if failure and failure.respond == "hang":
        time.sleep(failure.hang_seconds)  # the client gives up first: sent, answer lost
    return response


def validate_message(form: Any) -> Response | None:
    """Return Twilio's error for an unacceptable message, or None."""
    to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
    if not to:
        return twilio_error(400, 21604, "A 'To' phone number is required.")
    if not from_:
        return twilio_error(400, 21603, "A 'From' phone number is required.")
    if not form.get("Body"):
        return twilio_error(400, 21602, "Message body is required.")
    if len(form["Body"]) > MAX_BODY:
        return twilio_error(400, 21617, "The concatenated message body exceeds the 1600 limit.")
    if from_ in MAGIC_FROM_ERRORS or not E164.match(from_):
        return twilio_error(400, 21212, "The 'From' number is not a valid phone number.")
    if to in MAGIC_TO_ERRORS:
        return twilio_error(400, *MAGIC_TO_ERRORS[to])
    if not E164.match(to):
        return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    return None


@bp.get("/Messages.json")
def list_messages(account_sid: str) -> Response:
    """List messages, newest first, filtered on To and From."""
    net = network()
    wanted = {name: request.args[arg] for arg, name in (("To", "to"), ("From", "from_"))
              if arg in request.args}  # fmt: skip
    try:
        with net.store.lock:
            found = [m for m in net.store.messages.values()
                     if all(getattr(m, k) == v for k, v in wanted.items())]  # fmt: skip
            found.sort(key=lambda m: m.created, reverse=True)
            return jsonify(
                page_of("messages", found, message_json, request.path, request.args, ("To", "From"))
            )
    except ValueError:
        return twilio_error(400, 20001, "Invalid paging parameter")


@bp.get("/Messages/<sid>.json")
def fetch_message(account_sid: str, sid: str) -> Response:
    """Return one message."""
    net = network()
    with net.store.lock:
        message = net.store.messages.get(sid)
        return not_found() if message is None else jsonify(message_json(message))


@bp.delete("/Messages/<sid>.json")
def delete_message(account_sid: str, sid: str) -> Response:
    """Delete a message Twilio is done sending."""
    net = network()
    with net.store.lock:
        message = net.store.messages.get(sid)
        if message is None:
            return not_found()
        if not message.finished:
            return twilio_error(400, 20009, "Cannot delete a message that is still being sent")
        net.store.messages.pop(sid, None)
    return Response(status=204)
