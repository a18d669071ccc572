"""TwiML for each leg, checked by XPath on the parsed document."""

from __future__ import annotations

from xml.etree import ElementTree

from callback.texts.voice import describe_page
from webhooks import twiml

KEY_URL = "https://cb.example/twilio/attempts/7/key"


def parse(document: str) -> ElementTree.Element:
    return ElementTree.fromstring(document)


def test_whisper_names_site_and_page_inside_a_one_digit_gather_offered_twice() -> None:
    site, page = describe_page("https://www.example.com/pricing", "en")
    root = parse(twiml.whisper("en", site or "", page, KEY_URL))
    gathers = root.findall("./Gather")
    assert len(gathers) == 2
    for gather in gathers:
        assert gather.get("numDigits") == "1"
        assert gather.get("action") == KEY_URL
        say = gather.find("./Say")
        assert say is not None
        assert say.get("language") == "en-GB"
        assert say.text == (
            "Callback request from example.com, pricing page. "
            "Press 1 to connect, any other key to pass."
        )
    assert root[-1].tag == "Hangup"


def test_whisper_speaks_polish_for_a_polish_widget() -> None:
    site, page = describe_page("https://sklep.example.pl/cennik", "pl")
    root = parse(twiml.whisper("pl", site or "", page, KEY_URL))
    say = root.find("./Gather/Say")
    assert say is not None
    assert say.get("language") == "pl-PL"
    assert "sklep.example.pl, strona cennik" in (say.text or "")
    assert "Naciśnij 1" in (say.text or "")


def test_bridge_dials_the_visitor_on_answer_with_the_widget_caller_id() -> None:
    root = parse(
        twiml.bridge(
            "en",
            "+442079460123",
            "+442079460999",
            "https://cb.example/twilio/attempts/8/dial-result",
            "https://cb.example/twilio/attempts/8/status",
        )
    )
    dial = root.find("./Dial")
    assert dial is not None
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("callerId") == "+442079460999"
    assert dial.get("action") == "https://cb.example/twilio/attempts/8/dial-result"
    assert int(dial.get("timeout") or 0) > 0
    number = dial.find("./Number")
    assert number is not None
    assert number.text == "+442079460123"
    assert number.get("statusCallback") == "https://cb.example/twilio/attempts/8/status"
    assert set((number.get("statusCallbackEvent") or "").split()) == {
        "initiated",
        "ringing",
        "answered",
        "completed",
    }


def test_goodbye_says_why_then_hangs_up() -> None:
    root = parse(twiml.goodbye("en", "passed"))
    assert [child.tag for child in root] == ["Say", "Hangup"]


def test_page_description_handles_home_and_missing_pages() -> None:
    assert describe_page("https://www.example.com/", "en") == ("example.com", "home page")
    assert describe_page(None, "en") == (None, None)
    assert describe_page("https://example.com/blog/big-sale.html", "en") == (
        "example.com",
        "big sale page",
    )
