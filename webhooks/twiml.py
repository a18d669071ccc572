"""TwiML for each leg, built from plain values (tested by XPath)."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from callback.texts.voice import say_language, text

GATHER_SECONDS = 6
VISITOR_RING_SECONDS = 25


def whisper(language: str, site: str, page: str | None, key_url: str) -> str:
    """Tell the agent who is calling; one key press accepts, anything else passes.

    The prompt is offered twice; silence (or a voicemail greeting) then hangs up.
    """
    prompt = text("whisper", language, site=site, page=page or text("unknown_page", language))
    return _key_prompt(language, prompt, key_url)


def whisper_line(language: str, kind: str, name: str, key_url: str) -> str:
    """Tell the agent a caller of the phone line waits (or is to be called back), as above."""
    return _key_prompt(language, text(kind, language, site=name), key_url)


def _key_prompt(language: str, prompt: str, key_url: str) -> str:
    response = VoiceResponse()
    for _ in range(2):
        gather = Gather(num_digits=1, timeout=GATHER_SECONDS, action=key_url, method="POST")
        gather.say(prompt, language=say_language(language))
        response.append(gather)
    response.say(text("no_key", language), language=say_language(language))
    response.hangup()
    return str(response)


def bridge(
    language: str,
    visitor_number: str,
    caller_id: str,
    dial_result_url: str,
    visitor_status_url: str,
) -> str:
    """Connect the agent, who pressed 1, to the visitor."""
    response = VoiceResponse()
    response.say(text("connecting", language), language=say_language(language))
    dial = Dial(
        answer_on_bridge=True,
        caller_id=caller_id,
        timeout=VISITOR_RING_SECONDS,
        action=dial_result_url,
        method="POST",
    )
    dial.number(
        visitor_number,
        status_callback=visitor_status_url,
        status_callback_event="initiated ringing answered completed",
        status_callback_method="POST",
    )
    response.append(dial)
    return str(response)


def goodbye(language: str, reason: str) -> str:
    """Say why the call ends, then hang up."""
    response = VoiceResponse()
    response.say(text(reason, language), language=say_language(language))
    response.hangup()
    return str(response)


def empty() -> str:
    """Return a TwiML document that does nothing."""
    return str(VoiceResponse())


# The phone line (callback/lines/): the caller's TwiML while they wait, and the agent's.
LINE_PAUSE_SECONDS = 20  # between two readings of the caller's place in line
OFFER_SECONDS = 5  # to press a key after the offer
NUMBER_SECONDS = 10  # to type a number, which ends with #
MAX_NUMBER_DIGITS = 15  # E.164's longest


def line_welcome(language: str, name: str, queue: str, wait_url: str, left_url: str) -> str:
    """Greet a caller and put them in their queue; `left_url` hears how they left it."""
    response = VoiceResponse()
    response.say(text("line_welcome", language, name=name), language=say_language(language))
    response.enqueue(
        queue, action=left_url, method="POST", wait_url=wait_url, wait_url_method="POST"
    )
    response.hangup()  # after the queue, the left_url's answer has the last word
    return str(response)


def line_wait(
    language: str,
    place: int,
    minutes: int,
    offer_url: str | None,
    retention_hours: int,
    music_url: str | None = None,
) -> str:
    """Tell a waiting caller their place and wait; offer a callback once they waited enough.

    Twilio plays this again each time it ends, for as long as the caller is in the queue.
    """
    response = VoiceResponse()
    spoken = say_language(language)
    response.say(
        text("line_position", language, position=str(place), minutes=str(minutes)),
        language=spoken,
    )
    if offer_url:
        gather = Gather(num_digits=1, timeout=OFFER_SECONDS, action=offer_url, method="POST")
        gather.say(text("line_offer", language, hours=str(retention_hours)), language=spoken)
        response.append(gather)
    _between_announcements(response, music_url)
    return str(response)


def line_after_hours(
    language: str,
    opening: str | None,
    offer_url: str | None,
    retention_hours: int,
    music_url: str | None = None,
) -> str:
    """Tell a caller who rang while the line is closed when it opens; offer a callback then
    (none with no `offer_url`: no opening in sight).

    No place or wait is read out: nobody answers before the opening. Played again each
    time it ends, like line_wait, for as long as the caller holds.
    """
    response = VoiceResponse()
    spoken = say_language(language)
    closed = (
        text("line_after_hours_opening", language, time=opening)
        if opening
        else text("line_after_hours", language)
    )
    response.say(closed, language=spoken)
    if offer_url:
        gather = Gather(num_digits=1, timeout=OFFER_SECONDS, action=offer_url, method="POST")
        offer = text("line_after_hours_offer", language, hours=str(retention_hours))
        gather.say(offer, language=spoken)
        response.append(gather)
    _between_announcements(response, music_url)
    return str(response)


def _between_announcements(response: VoiceResponse, music_url: str | None) -> None:
    """The widget's hold music, played once, or a pause, before the wait URL comes again.

    The caller's place is read out again only after the whole file has played.
    """
    if music_url:
        response.play(music_url)
    else:
        response.pause(length=LINE_PAUSE_SECONDS)


def line_hold(seconds: int = 5) -> str:
    """Hold a caller an agent is about to take from the queue."""
    response = VoiceResponse()
    response.pause(length=seconds)
    return str(response)


def line_enter_number(language: str, number_url: str, wait_url: str) -> str:
    """Ask for the number to call back, ended by #; silence goes back to waiting."""
    response = VoiceResponse()
    gather = Gather(
        num_digits=MAX_NUMBER_DIGITS,
        finish_on_key="#",
        timeout=NUMBER_SECONDS,
        action=number_url,
        method="POST",
    )
    gather.say(text("line_enter_number", language), language=say_language(language))
    response.append(gather)
    response.redirect(wait_url, method="POST")
    return str(response)


def line_back_in_line(language: str, reason: str, wait_url: str) -> str:
    """Say why the callback could not be taken; the caller keeps waiting in line."""
    response = VoiceResponse()
    response.say(text(reason, language), language=say_language(language))
    response.redirect(wait_url, method="POST")
    return str(response)


def line_leave(language: str, reason: str, **values: str) -> str:
    """Say `reason` and take the caller out of the queue (its action answers next)."""
    response = VoiceResponse()
    response.say(text(reason, language, **values), language=say_language(language))
    response.leave()
    return str(response)


def line_bridge(language: str, queue: str, dequeued_url: str, dial_result_url: str) -> str:
    """Connect the agent, who pressed 1, to the caller waiting in their own queue."""
    response = VoiceResponse()
    response.say(text("connecting", language), language=say_language(language))
    dial = Dial(timeout=VISITOR_RING_SECONDS, action=dial_result_url, method="POST")
    dial.queue(queue, url=dequeued_url, method="POST")
    response.append(dial)
    return str(response)


def line_connecting(language: str) -> str:
    """Tell the caller, as they leave the queue, that an agent is there."""
    response = VoiceResponse()
    response.say(text("line_connecting", language), language=say_language(language))
    return str(response)


def hangup() -> str:
    """End the call without a word."""
    response = VoiceResponse()
    response.hangup()
    return str(response)
