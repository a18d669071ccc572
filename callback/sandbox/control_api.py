"""The sandbox's own JSON control API under /_sandbox/, and the phones page at /."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from callback.sandbox.rest import network

bp = Blueprint("sandbox_control", __name__)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _refused(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


@bp.get("/")
@bp.get("/phones")
def phones_page() -> str:
    """Show every simulated phone and call, live."""
    return render_template("phones.html")


@bp.get("/_sandbox/state")
def state() -> Response:
    """Return phones, calls with their logs, and the chaos switches."""
    return jsonify(network().state())


@bp.get("/_sandbox/requests")
def requests_received() -> Response:
    """Return the REST requests received, oldest first, as the client sent them."""
    net = network()
    with net.store.lock:
        return jsonify(list(net.store.requests))


@bp.get("/_sandbox/messages")
def messages() -> Response:
    """Return the text messages sent, oldest first, with their bodies and statuses."""
    return jsonify(network().messages_state())


@bp.post("/_sandbox/phones/<number>")
def configure_phone(number: str) -> Response:
    """Change how the person at `number` behaves (only the fields given)."""
    try:
        behaviour = network().phones.configure(number, _body())
    except (TypeError, ValueError) as exc:
        return _refused(str(exc))
    return jsonify({"number": number, **behaviour.as_dict()})


@bp.post("/_sandbox/chaos")
def configure_chaos() -> Response:
    """Replace the chaos switches named in the body ("callbacks", "create")."""
    net = network()
    try:
        net.chaos.configure(_body())
    except (TypeError, ValueError) as exc:
        return _refused(str(exc))
    return jsonify(net.chaos.as_dict())


@bp.get("/_sandbox/numbers")
def numbers() -> Response:
    """Return the numbers the account owns and its verified caller IDs."""
    return jsonify(network().numbers.as_dict())


@bp.post("/_sandbox/numbers")
def replace_numbers() -> Response:
    """Replace the lists named in the body ("numbers", "caller_ids") until the next reset."""
    net = network()
    try:
        net.numbers.replace(_body())
    except ValueError as exc:
        return _refused(str(exc))
    return jsonify(net.numbers.as_dict())


@bp.put("/_sandbox/numbers/<number>")
def configure_number(number: str) -> Response:
    """Set where an owned number's calls go (voice_url, voice_method, status_callback...)."""
    try:
        settings = network().numbers.configure_voice(number, _body())
    except LookupError as exc:
        return _refused(str(exc.args[0]), 404)
    except (TypeError, ValueError) as exc:
        return _refused(str(exc))
    return jsonify({"number": number, **settings.as_dict()})


@bp.get("/_sandbox/numbers/<number>")
def number_settings(number: str) -> Response:
    """Return an owned number's voice settings."""
    net = network()
    if number not in net.numbers.owned():
        return _refused(f"{number} is not one of the account's numbers", 404)
    return jsonify({"number": number, **net.numbers.voice(number).as_dict()})


@bp.post("/_sandbox/calls/inbound")
def call_in() -> Response:
    """Ring one of the account's numbers from `from` (JSON {"from": ..., "to": ...})."""
    body = _body()
    net = network()
    try:
        call = net.call_in(str(body.get("from") or "").strip(), str(body.get("to") or "").strip())
    except ValueError as exc:
        return _refused(str(exc))
    response = jsonify(net.call_state(call))
    response.status_code = 201
    return response


@bp.post("/_sandbox/reset")
def reset() -> Response:
    """End live calls and forget everything but the scenario and the starting numbers."""
    network().reset()
    return jsonify({"reset": True})


@bp.post("/_sandbox/calls/<sid>/<action>")
def act_on_call(sid: str, action: str) -> Response:
    """Answer, press keys on, or hang up a call as the person holding the phone."""
    net = network()
    if net.store.get(sid) is None:
        return _refused("no such call", 404)
    if action == "answer":
        done = net.answer(sid)
    elif action == "digits":
        done = net.press(sid, str(_body().get("digits", "")))
    elif action == "hangup":
        done = net.hang_up(sid)
    else:
        return _refused("unknown action", 404)
    if not done:
        return _refused(f"cannot {action} a call that is {net.store.calls[sid].status}", 409)
    return jsonify(net.call_state(net.store.calls[sid]))
