"""<Dial><Number>: ring a second leg, play it the whisper, bridge, report to the action.

<Dial><Queue> connects with a queued call instead: see `queues.dial_queue`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from callback.sandbox import queues
from callback.sandbox.interrupts import HungUp, Redirected
from callback.sandbox.store import Call, Source, new_sid
from callback.sandbox.twiml import flag, method, number, target

if TYPE_CHECKING:
    from callback.sandbox.player import Player

Next = tuple[Source, dict[str, str]] | str | None


def dial(player: Player, parent: Call, element: ET.Element, base: str | None) -> Next:
    """Dial the first <Number> (or the text) of a <Dial>; return what the parent does next."""
    queue = element.find("Queue")
    if queue is not None:
        return queues.dial_queue(player, parent, element, queue, base)
    nouns = [child for child in element if child.tag == "Number"]
    noun = nouns[0] if nouns else element
    if len(nouns) > 1 or any(child.tag != "Number" for child in element):
        parent.note("unsupported", verb="Dial", detail="only the first <Number> is dialled")
    child = _child_leg(player, parent, element, noun, base)
    player.net.store.add(child)
    parent.note(
        "dial", to=child.to, call=child.sid, answer_on_bridge=flag(element, "answerOnBridge")
    )
    action = target(element, base)
    saved_deadline = player.deadlines.get(parent.sid)
    player.legs.append(child)
    try:
        bridged = _connect(player, parent, child, number(element, "timeLimit", 14400))
    except (HungUp, Redirected):  # the parent left: the dialled leg goes too
        player.finish(child, "completed")
        if action:
            params = {**_dial_params(child, False), "CallStatus": "completed"}
            player.fetch(parent, Source(url=action, method=method(element)), params)
        raise
    finally:
        player.legs.remove(child)
        _restore(player, parent.sid, saved_deadline)
        player.net.store.update(parent, bridged_with=None)
        player.net.store.update(child, bridged_with=None)
    parent.note("dial-ended", status=_dial_status(child), bridged=bridged)
    if action:
        return (Source(url=action, method=method(element)), _dial_params(child, bridged))
    return None


def _child_leg(
    player: Player, parent: Call, element: ET.Element, noun: ET.Element, base: str | None
) -> Call:
    whisper = target(noun, base, "url")
    events = (noun.get("statusCallbackEvent") or "").replace(",", " ").split()
    return Call(
        sid=new_sid(),
        account_sid=parent.account_sid,
        to=(noun.text or "").strip(),
        from_=element.get("callerId") or parent.from_,
        direction="outbound-dial",
        source=Source(url=whisper, method=noun.get("method", "POST").upper()),
        created=parent.clock,
        parent_call_sid=parent.sid,
        status_callback=target(noun, base, "statusCallback"),
        status_callback_method=noun.get("statusCallbackMethod", "POST").upper(),
        status_callback_events=frozenset(events),
        timeout=number(element, "timeout", 30),
        clock=parent.clock,
        updated=parent.clock,
    )


def _connect(player: Player, parent: Call, child: Call, time_limit: float) -> bool:
    """Ring, whisper and bridge the child leg; return whether the two were bridged."""
    bridged = False
    try:
        player.start(child)
        outcome = player.ring(child, child.timeout)
        if outcome != "answered":
            player.finish(child, outcome)
            return False
        player.answer(child)
        if child.source.url and player.run_documents(child, child.source):
            player.finish(child, "completed")  # the whisper hung up: never bridged
            return False
        bridged = True
        player.net.store.update(parent, bridged_with=child.sid)
        player.net.store.update(child, bridged_with=parent.sid)
        parent.note("bridged", call=child.sid)
        child.note("bridged", call=parent.sid)
        talk(player, parent, child, time_limit)
    except Redirected as exc:
        if exc.sid != child.sid:
            raise
        child.note("unsupported", detail="redirecting a dialled leg hangs it up")
        player.finish(child, "completed")
    except HungUp as exc:
        if exc.sid != child.sid:
            raise
        player.finish(child, exc.status)
    return bridged


def talk(player: Player, parent: Call, child: Call, time_limit: float) -> None:
    """Wait while the two talk, until the callee's script or someone live hangs up.

    The dialled person hangs up after their `hangup_after` seconds of talk; the caller only
    by `hangup_after_answer`, by hand or through the API. With nobody scripted to hang up
    the bridge lasts in real time (up to the <Dial> timeLimit), even at time scale 0.
    """
    callee = player.net.person(child)  # the caller of an inbound call dequeued from a queue
    if not callee.manual and callee.hangup_after is not None:
        end = child.clock + callee.hangup_after
        player.deadlines[child.sid] = min(end, player.deadlines.get(child.sid, end))
    scripted = parent.sid in player.deadlines or child.sid in player.deadlines
    end = child.clock + time_limit
    player.deadlines[child.sid] = min(end, player.deadlines.get(child.sid, end))
    player.wait(None, real_time=not scripted)


def _restore(player: Player, sid: str, deadline: float | None) -> None:
    if deadline is None:
        player.deadlines.pop(sid, None)
    else:
        player.deadlines[sid] = deadline


def _dial_status(child: Call) -> str:
    return "completed" if child.status == "in-progress" else child.status


def _dial_params(child: Call, bridged: bool) -> dict[str, str]:
    return {
        "DialCallStatus": _dial_status(child),
        "DialCallSid": child.sid,
        "DialCallDuration": str(child.duration or 0),
        "DialBridged": "true" if bridged else "false",
    }
