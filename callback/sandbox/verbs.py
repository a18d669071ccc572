"""The TwiML verbs a leg plays: Say, Play, Pause, Gather, Dial, Enqueue, Redirect, Hangup,
Reject (and <Leave>, inside a queue's wait music: see `queues`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from callback.sandbox import dial, queues
from callback.sandbox.interrupts import Redirected
from callback.sandbox.store import Call, Source
from callback.sandbox.twiml import method, number, target

if TYPE_CHECKING:
    from callback.sandbox.player import Player

# What a verb asks for next: None to go on, HANGUP to end, or a new document to fetch.
HANGUP = "hangup"
Next = tuple[Source, dict[str, str]] | str | None

SECONDS_PER_WORD = 0.4
PLAY_SECONDS = 3.0
FIND_KEYPAD_SECONDS = 1.0


def run_documents(
    player: Player, leg: Call, source: Source, extra: dict[str, str] | None = None
) -> bool:
    """Play documents on `leg` from `source` on; False if they ran out, True if they hung up."""
    return play_documents(player, leg, player.fetch(leg, source, extra))


def play_documents(
    player: Player, leg: Call, document: tuple[ET.Element, str | None] | None
) -> bool:
    """Play `document` and the documents it leads to; as `run_documents`."""
    while document is not None:
        root, url = document
        try:
            after = run_verbs(player, leg, list(root), url)
        except Redirected as exc:
            if exc.sid != leg.sid:
                raise
            leg.note("redirected")
            after = (exc.source, {})
        if after is None or isinstance(after, str):
            return after == HANGUP
        document = player.fetch(leg, *after)
    return True  # the TwiML could not be had: Twilio apologises and hangs up


def run_verbs(player: Player, leg: Call, elements: list[ET.Element], base: str | None) -> Next:
    """Play verbs in order until one ends the call or moves it to another document."""
    for element in elements:
        after = run_verb(player, leg, element, base)
        if after is not None:
            return after
    return None


def run_verb(player: Player, leg: Call, element: ET.Element, base: str | None) -> Next:
    """Play one verb."""
    tag = element.tag
    loops = int(number(element, "loop", 1)) or 10  # loop="0" repeats "forever"
    if tag == "Say":
        text = " ".join((element.text or "").split())
        language = element.get("language", "en-US")
        leg.note("say", text=text, language=language, voice=element.get("voice"))
        player.wait(max(1.0, len(text.split()) * SECONDS_PER_WORD) * loops)
    elif tag == "Play":
        leg.note("play", url=(element.text or "").strip(), digits=element.get("digits"))
        player.wait(PLAY_SECONDS * loops)
    elif tag == "Pause":
        leg.note("pause", length=number(element, "length", 1))
        player.wait(number(element, "length", 1))
    elif tag == "Gather":
        return gather(player, leg, element, base)
    elif tag == "Dial":
        return dial.dial(player, leg, element, base)
    elif tag == "Enqueue":
        return queues.enqueue(player, leg, element, base)
    elif tag == "Redirect":
        url = target(element, base, attribute="")
        leg.note("redirect", url=url)
        return (Source(url=url, method=method(element)), {}) if url else None
    elif tag in ("Hangup", "Reject"):
        leg.note(tag.lower(), reason=element.get("reason"))
        return HANGUP
    else:
        leg.note("unsupported", verb=tag)
    return None


def gather(player: Player, leg: Call, element: ET.Element, base: str | None) -> Next:
    """Play the prompts, collect the person's keys and post them to the action."""
    wanted = int(number(element, "numDigits", 0))
    timeout = number(element, "timeout", 5)
    finish_on = element.get("finishOnKey", "#")
    person = player.net.person(leg)
    index = player.gathers.get(leg.sid, 0)
    player.gathers[leg.sid] = index + 1

    def complete() -> bool:
        return bool(finish_on and finish_on in leg.keys) or bool(wanted and len(leg.keys) >= wanted)

    player.net.store.update(leg, gathering=True, keys="")
    leg.note("gather", num_digits=wanted or None, timeout=timeout)
    try:
        for prompt in element:
            if prompt.tag in ("Say", "Play", "Pause") and not complete():
                run_verb(player, leg, prompt, base)
        if person.manual:
            player.wait(timeout, complete, real_time=True)
            keys = leg.keys
        else:
            keys = person.digits_for(index)
            player.wait(FIND_KEYPAD_SECONDS if keys else timeout)
    finally:
        player.net.store.update(leg, gathering=False)
    if finish_on and finish_on in keys:
        keys = keys.split(finish_on, 1)[0]
    digits = keys[:wanted] if wanted else keys
    if not digits:
        leg.note("gather-timeout")
        return None
    leg.note("digits", digits=digits)
    action = target(element, base) or base
    if action is None:
        return None
    return (Source(url=action, method=method(element)), {"Digits": digits})
