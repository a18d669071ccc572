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
    response = VoiceResponse()
    prompt = text("whisper", language, site=site, page=page or text("unknown_page", language))
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
