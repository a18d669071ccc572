"""Twilio call queues: <Enqueue> and its wait music, <Leave>, and <Dial><Queue>.

A queued caller's own player loops the queue's waitUrl. Another call's <Dial><Queue>
dequeues the first waiting member in a hand-off under the store's lock:

1. the dequeuer claims the member (`Member.state` "claimed", `Call.dequeue` set), which
   interrupts the member's player at its next check with `Dequeued`;
2. the member's player parks ("parked") and blocks until released; from now on only the
   dequeuer's player touches the member's leg: it plays the dequeue url TwiML on it,
   bridges the two and waits while they talk, both clocks advancing together;
3. the dequeuer releases the member ("released") and posts its own <Dial> action; the
   member's player wakes, posts the <Enqueue> action (QueueResult=bridged) and goes on.

A member who hangs up, leaves or is redirected first withdraws ("gone") and the
dequeuer takes the next one. Each leg keeps its own simulated clock: two calls of a
sandbox at time scale 0 have unrelated timelines, so the hand-off does not move either
clock; talk time is the same number of seconds on both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from callback.sandbox import dial, twiml, verbs
from callback.sandbox.interrupts import Dequeued, HungUp, Redirected
from callback.sandbox.resources import rfc2822
from callback.sandbox.store import Call, Source, Store, new_sid
from callback.sandbox.twiml import method, number, target

if TYPE_CHECKING:
    from callback.sandbox.player import Player

Next = tuple[Source, dict[str, str]] | str | None

# Real seconds per simulated second at least while waiting on other calls: a queue's wait
# music at time scale 0 would otherwise loop its waitUrl as fast as HTTP allows.
QUEUE_MIN_SCALE = 0.01
# A wait document that took no time (empty, or a bare <Redirect>) is fetched again after this.
EMPTY_WAIT_SECONDS = 5.0
# Real seconds a dequeuer waits for the member's player to park: it may be in a webhook.
HANDOFF_SECONDS = 20.0
MAX_SIZE = 1000  # Twilio's default queue size
WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Hangup"})
URL_VERBS = frozenset({"Say", "Play", "Pause", "Redirect"})
LEAVE = "leave"


@dataclass(eq=False)
class Member:
    """One call waiting in a queue, and how its dequeue went."""

    call: Call
    player: Player
    joined: float  # the member leg's clock when it joined
    state: str = "waiting"  # waiting, claimed, parked, released, gone
    dequeued_at: float | None = None
    bridged: bool = False
    talked: float = 0.0  # seconds bridged with the dequeuer
    hung_up: str | None = None  # the final status if the caller hung up once dequeued
    redirect: Source | None = None

    def waited(self) -> int:
        """Return the whole seconds spent in the queue (until dequeued)."""
        until = self.call.clock if self.dequeued_at is None else self.dequeued_at
        return int(until - self.joined)


@dataclass(eq=False)
class Queue:
    """A named queue (Twilio creates one on first <Enqueue>); members in arrival order."""

    sid: str
    name: str
    created: float
    max_size: int = MAX_SIZE
    members: list[Member] = field(default_factory=list)
    waits: list[int] = field(default_factory=list)  # seconds waited by dequeued members

    def average_wait(self) -> int:
        """Return the average wait of those dequeued so far (0 before anyone was)."""
        return round(sum(self.waits) / len(self.waits)) if self.waits else 0

    def params(self, member: Member) -> dict[str, str]:
        """Return what Twilio adds to a waitUrl request of `member`."""
        position = self.members.index(member) + 1 if member in self.members else 0
        return {
            "QueueSid": self.sid,
            "QueuePosition": str(position),
            "QueueTime": str(member.waited()),
            "AvgQueueTime": str(self.average_wait()),
            "CurrentQueueSize": str(len(self.members)),
        }

    def as_json(self, account_sid: str) -> dict[str, Any]:
        """Return the Queue resource as Twilio's API shows it."""
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "friendly_name": self.name,
            "current_size": len(self.members),
            "max_size": self.max_size,
            "average_wait_time": self.average_wait(),
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.created),
            "uri": f"/2010-04-01/Accounts/{account_sid}/Queues/{self.sid}.json",
        }


# --- <Enqueue>: the caller's side --------------------------------------------------------


def enqueue(player: Player, leg: Call, element: ET.Element, base: str | None) -> Next:
    """Put `leg` in the named queue, play the wait music, and return what follows."""
    name = (element.text or "").strip()
    action = target(element, base)
    after = Source(url=action, method=method(element)) if action else None
    wait = target(element, base, "waitUrl")
    wait_source = Source(url=wait, method=element.get("waitUrlMethod", "POST").upper())
    queue, member = _join(player, leg, name)
    if member is None:
        leg.note("queue-full", queue=name)
        return _result(after, {"QueueResult": "queue-full", "QueueSid": queue.sid})
    leg.note("enqueued", queue=name, position=queue.params(member)["QueuePosition"])
    saved, player.min_scale = player.min_scale, max(player.min_scale, QUEUE_MIN_SCALE)
    outcome = "dequeued"
    try:
        while True:
            try:
                outcome = _wait_in_line(player, leg, queue, member, wait_source if wait else None)
                break
            except Dequeued:
                if _park(player, member):
                    break
                # else the dequeuer gave up on this member: back to the wait music
    except HungUp:
        _withdraw(player, queue, member)
        _post(player, leg, after, _left(queue, member, "hangup"), "completed")
        raise
    except Redirected:
        _withdraw(player, queue, member)
        _post(player, leg, after, _left(queue, member, "redirected"))
        raise
    finally:
        player.min_scale = saved
    if outcome == "dequeued":
        return _after_dequeue(player, leg, queue, member, after)
    _withdraw(player, queue, member)
    leg.note("left-queue", queue=name, result=outcome)
    if outcome == verbs.HANGUP:  # the wait music hung up: the action hears of it, ignored
        _post(player, leg, after, _left(queue, member, "hangup"), "completed")
        return verbs.HANGUP
    return _result(after, _left(queue, member, outcome))


def _join(player: Player, leg: Call, name: str) -> tuple[Queue, Member | None]:
    store = player.net.store
    with store.lock:
        queue = store.queues.get(name)
        if queue is None:
            queue = store.queues[name] = Queue(sid=new_sid("QU"), name=name, created=leg.clock)
        if len(queue.members) >= queue.max_size:
            return queue, None
        member = Member(call=leg, player=player, joined=leg.clock)
        queue.members.append(member)
        store.changed.notify_all()
        return queue, member


def _wait_in_line(
    player: Player, leg: Call, queue: Queue, member: Member, wait: Source | None
) -> str:
    """Loop the wait music until it says <Leave/> ("leave") or hangs up ("hangup").

    Dequeued, HungUp and Redirected interrupt it from any wait inside.
    """
    if wait is None:  # Twilio plays its own hold music: nothing to fetch
        leg.note("play", url="(Twilio's hold music)", digits=None)
        while True:
            player.wait(None)
    source, extra = wait, dict[str, str]()
    while True:
        with player.net.store.lock:
            params = {**queue.params(member), **extra}
        document = player.fetch(leg, source, params)
        if document is None:
            return "error"  # Twilio's QueueResult when the wait music cannot be had
        began = leg.clock
        after = _run_wait_verbs(player, leg, *document)
        if after in (LEAVE, verbs.HANGUP):
            return str(after)
        source, extra = after if isinstance(after, tuple) else (wait, {})
        if leg.clock - began < 1e-6:
            player.wait(EMPTY_WAIT_SECONDS)


def _run_wait_verbs(player: Player, leg: Call, root: ET.Element, base: str | None) -> Next:
    for element in root:
        if element.tag == "Leave":
            leg.note("leave")
            return LEAVE
        if element.tag not in WAIT_VERBS:
            leg.note("unsupported", verb=element.tag, detail="not allowed in wait music")
            continue
        after = verbs.run_verb(player, leg, element, base)
        if after is not None:
            return after
    return None


def _withdraw(player: Player, queue: Queue, member: Member) -> None:
    """Take a member out of the queue by its own doing; a dequeuer who claimed it moves on."""
    with player.net.store.lock:
        if member in queue.members:
            queue.members.remove(member)
        member.call.dequeue = None
        member.state = "gone"
        player.net.store.changed.notify_all()


def _park(player: Player, member: Member) -> bool:
    """Hand the leg to the dequeuer and block until it gives it back.

    Return False, at once, if the dequeuer gave up its claim before the member parked.
    """
    store = player.net.store
    generation = member.call.generation
    with store.lock:
        if member.state != "claimed":
            return False
        member.state = "parked"
        store.changed.notify_all()
    # No deadline: the dequeuer releases in a `finally`; a reset also frees the thread.
    store.wait(lambda: member.state == "released" or store.generation != generation, None)
    return True


def _after_dequeue(
    player: Player, leg: Call, queue: Queue, member: Member, after: Source | None
) -> Next:
    """Report how the dequeue went to the <Enqueue> action and go on (or end)."""
    params = {"QueueSid": queue.sid, "QueueTime": str(member.waited())}
    if member.state != "released":  # reset while parked
        raise HungUp(leg.sid, "completed", "api")
    if member.redirect is not None:
        result = "redirected-from-bridged" if member.bridged else "redirected"
        _post(player, leg, after, {**params, "QueueResult": result})
        raise Redirected(leg.sid, member.redirect)
    # Hung up while the dequeue url played: never bridged ("bridging-in-process").
    result = "bridged" if member.bridged else "bridging-in-process"
    leg.note("left-queue", queue=queue.name, result=result)
    if member.hung_up is not None:
        _post(player, leg, after, {**params, "QueueResult": result}, "completed")
        raise HungUp(leg.sid, member.hung_up, "person")
    return _result(after, {**params, "QueueResult": result})


def _left(queue: Queue, member: Member, result: str) -> dict[str, str]:
    return {"QueueResult": result, "QueueSid": queue.sid, "QueueTime": str(member.waited())}


def _result(after: Source | None, params: dict[str, str]) -> Next:
    """Fetch the action's TwiML next, or (without an action) go on after <Enqueue>."""
    return (after, params) if after is not None else None


def _post(
    player: Player,
    leg: Call,
    source: Source | None,
    params: dict[str, str],
    status: str | None = None,
) -> None:
    """Request an action whose answer is ignored (the call is over or goes elsewhere)."""
    if source is None:
        return
    full = {**player.net.voice_params(leg), **params}
    if status:
        full["CallStatus"] = status
    try:
        twiml.fetch(player.net.auth_token, source, full)
    except twiml.TwimlError as exc:
        leg.note("error", code=exc.code, reason=exc.reason)


# --- <Dial><Queue>: the dequeuer's side -------------------------------------------------


def dial_queue(
    player: Player, parent: Call, element: ET.Element, noun: ET.Element, base: str | None
) -> Next:
    """Connect `parent` with the first member of the named queue; return what follows."""
    name = (noun.text or "").strip()
    action = target(element, base)
    url = target(noun, base, "url")
    timeout = number(element, "timeout", 30)
    parent.note("dial", queue=name)
    saved, player.min_scale = player.min_scale, max(player.min_scale, QUEUE_MIN_SCALE)
    try:
        queue, member = _claim_first(player, parent, name, timeout)
    finally:
        player.min_scale = saved
    if queue is None or member is None:
        # Twilio's <Queue> docs: a queue that does not exist posts an error status at once;
        # an empty one is waited on for the <Dial> timeout, then it was not answered.
        status = "failed" if queue is None else "no-answer"
        parent.note("dial-ended", status=status, bridged=False)
        params = {"DialCallStatus": status, "DialCallDuration": "0", "DialBridged": "false"}
        if queue is not None:
            params["QueueSid"] = queue.sid
        return (Source(url=action, method=method(element)), params) if action else None
    url_source = Source(url=url, method=method(noun)) if url else None
    try:
        _serve(player, parent, queue, member, url_source, number(element, "timeLimit", 14400))
    except (HungUp, Redirected):  # the agent left: the caller goes on to its action
        if action:
            params = _dial_params(queue, member)
            _post(player, parent, Source(url=action, method=method(element)), params, "completed")
        raise
    finally:
        _release(player, member)  # whatever happened here, the caller's own player goes on
    params = _dial_params(queue, member)
    parent.note("dial-ended", status=params["DialCallStatus"], bridged=member.bridged)
    return (Source(url=action, method=method(element)), params) if action else None


def _claim_first(
    player: Player, parent: Call, name: str, timeout: float
) -> tuple[Queue | None, Member | None]:
    """Claim the first waiting member, waiting up to `timeout` for one; return it parked.

    Return no queue if the queue does not exist, and no member if nobody came in time.
    """
    store = player.net.store
    give_up = parent.clock + timeout
    skipped: set[int] = set()  # members that never parked in time

    def first_waiting() -> Member | None:
        queue = store.queues.get(name)
        waiting = [m for m in queue.members if m.state == "waiting"] if queue else []
        return next((m for m in waiting if id(m) not in skipped), None)

    while True:
        with store.lock:
            queue, member = store.queues.get(name), first_waiting()
            if queue is None:
                return None, None
            if member is not None:
                member.state, member.call.dequeue = "claimed", parent.sid
                store.changed.notify_all()
        if member is None:
            left = give_up - parent.clock
            if left <= 0:
                return queue, None
            player.wait(left, lambda: first_waiting() is not None)
            continue
        _await_park(store, member)
        with store.lock:
            if member.state == "parked" and queue is not None:
                if member in queue.members:
                    queue.members.remove(member)
                store.changed.notify_all()
                return queue, member
            if member.state == "claimed":  # its player is stuck: leave it waiting
                member.state, member.call.dequeue = "waiting", None
                skipped.add(id(member))


def _await_park(store: Store, member: Member) -> None:
    store.wait(lambda: member.state != "claimed", HANDOFF_SECONDS)


def _serve(
    player: Player,
    parent: Call,
    queue: Queue,
    member: Member,
    url: Source | None,
    time_limit: float,
) -> None:
    """Play the url TwiML to the member, bridge and talk (`member` records how it went)."""
    leg = member.call
    member.dequeued_at = leg.clock
    with player.net.store.lock:
        queue.waits.append(member.waited())
    own = member.player.deadlines.get(leg.sid)  # the caller's deadline goes with their leg
    if own is not None:
        player.deadlines[leg.sid] = own
    parent_deadline = player.deadlines.get(parent.sid)
    player.legs.append(leg)
    leg.note("dequeued", by=parent.sid)
    began: float | None = None
    try:
        try:
            if url is not None:
                params = {
                    "QueueSid": queue.sid,
                    "QueueTime": str(member.waited()),
                    "DequeingCallSid": parent.sid,
                }
                _play_url(player, leg, url, params)
            began = parent.clock
            member.bridged = True
            player.net.store.update(parent, bridged_with=leg.sid)
            player.net.store.update(leg, bridged_with=parent.sid)
            parent.note("bridged", call=leg.sid)
            leg.note("bridged", call=parent.sid)
            dial.talk(player, parent, leg, time_limit)
        except HungUp as exc:
            if exc.sid != leg.sid:
                raise
            member.hung_up = exc.status
        except Redirected as exc:
            if exc.sid != leg.sid:
                raise
            member.redirect = exc.source
    finally:
        player.legs.remove(leg)
        player.deadlines.pop(leg.sid, None)
        if parent_deadline is None:
            player.deadlines.pop(parent.sid, None)
        else:
            player.deadlines[parent.sid] = parent_deadline
        player.net.store.update(parent, bridged_with=None)
        player.net.store.update(leg, bridged_with=None)
        member.talked = 0.0 if began is None else parent.clock - began


def _release(player: Player, member: Member) -> None:
    """Give the leg back to the member's player, which posts the <Enqueue> action."""
    with player.net.store.lock:
        member.state = "released"
        player.net.store.changed.notify_all()


def _play_url(player: Player, leg: Call, url: Source, params: dict[str, str]) -> None:
    """Play the dequeue url TwiML (Say, Play, Pause, Redirect) on the member's leg."""
    document = player.fetch(leg, url, params)
    while document is not None:
        root, base = document
        after: Next = None
        for element in root:
            if element.tag not in URL_VERBS:
                leg.note("unsupported", verb=element.tag, detail="not allowed in a dequeue url")
                continue
            after = verbs.run_verb(player, leg, element, base)
            if after is not None:
                break
        if not isinstance(after, tuple):
            return
        document = player.fetch(leg, after[0], params)


def _dial_params(queue: Queue, member: Member) -> dict[str, str]:
    # A caller who hangs up while the dequeue url plays was never connected; Twilio's docs
    # name no status for it, so the agent hears "no-answer", as for an empty queue.
    status = "completed" if member.bridged else "no-answer"
    return {
        "DialCallStatus": status,
        "DialCallSid": member.call.sid,
        "DialCallDuration": str(round(member.talked)),
        "DialBridged": "true" if member.bridged else "false",
        "QueueSid": queue.sid,
    }
