"""Language routing: speakers of the request's language are rung first, others only after."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from callback import db
from callback.agents.routing import AGENTS_PAGE, AgentChoice, choose_agents, request_language
from callback.lifecycle.legs import next_attempt_number
from callback.models import Agent, CallAttempt, CallbackRequest, Leg, RequestStatus, Widget, utcnow
from tests.factories import VISITOR_TYPED, make_agent, make_request, make_widget
from tests.visitors import submit


def pending(widget: Widget, locale: str | None = None, n: int = 0) -> CallbackRequest:
    phone = f"+4420794601{n:02d}"
    queued = RequestStatus.QUEUED
    return make_request(widget, phone=phone, status=queued, wanted_at=utcnow(), locale=locale)


def agent(name: str, priority: int, languages: list[str], **more: object) -> Agent:
    phone = f"+4420794600{priority:02d}"
    return make_agent(name=name, phone=phone, priority=priority, languages=languages, **more)


def ring(request: CallbackRequest, who: Agent, status: str) -> None:
    """Store an agent leg of `request` to `who` in its current round."""
    db.session().add(
        CallAttempt(
            request_id=request.id,
            leg=Leg.AGENT,
            attempt_number=next_attempt_number(db.session(), request, Leg.AGENT),
            agent_id=who.id,
            round=request.round,
            status=status,
        )
    )
    db.session().commit()


def on_a_call(widget: Widget, who: Agent) -> None:
    """Put `who` on another visitor's call (ringing)."""
    ring(pending(widget, n=99 - who.priority), who, "ringing")


def chosen(request: CallbackRequest) -> list[str]:
    return [a.name for a in choose(request).agents]


def choose(request: CallbackRequest) -> AgentChoice:
    return choose_agents(db.session(), request)


def test_the_visitors_language_comes_before_priority(app: Flask) -> None:
    widget = make_widget(language="en")
    agent("Piotr", 1, ["pl"])
    agent("Emma", 2, ["en"])
    assert chosen(pending(widget, n=1)) == ["Emma"]  # no locale: the widget's language
    assert chosen(pending(widget, "pl-PL", n=2)) == ["Piotr"]


def test_a_language_we_do_not_offer_routes_by_the_widgets_language(app: Flask) -> None:
    widget = make_widget(language="pl")
    agent("Emma", 1, ["en"])
    agent("Piotr", 2, ["pl"])
    request = pending(widget, "de-DE")
    assert request_language(request) == "pl"
    assert chosen(request) == ["Piotr"]


def test_an_agent_with_no_languages_speaks_the_widgets_language(app: Flask) -> None:
    widget = make_widget(language="en", ring_other_languages=False)
    agent("Piotr", 1, ["pl"])
    agent("Ada", 2, [])
    assert chosen(pending(widget, "en", n=1)) == ["Ada"]
    assert chosen(pending(widget, "pl", n=2)) == ["Piotr"]


@pytest.mark.parametrize("fallback", [True, False])
def test_a_team_without_languages_rings_as_before_in_the_widgets_language(
    app: Flask, fallback: bool
) -> None:
    widget = make_widget(language="en", ring_strategy="simultaneous", ring_other_languages=fallback)
    for n, name in enumerate("ABC", 1):
        agent(name, n, [])
    assert chosen(pending(widget, "en")) == ["A", "B", "C"]


def test_a_team_without_languages_still_takes_other_languages_by_default(app: Flask) -> None:
    widget = make_widget(language="en")
    agent("A", 1, [])
    agent("B", 2, [])
    assert chosen(pending(widget, "pl")) == ["A"]


def test_without_fallback_a_team_without_speakers_ends_the_round(app: Flask) -> None:
    widget = make_widget(language="en", ring_other_languages=False)
    agent("A", 1, [])
    # A is free: a request in A's language waiting for the team may take them.
    assert choose(pending(widget, "pl")) == AgentChoice([], busy=False, others_free=True)


def test_a_speaker_on_a_call_lets_a_free_other_be_rung_when_the_widget_allows(app: Flask) -> None:
    widget = make_widget(language="en")
    piotr = agent("Piotr", 1, ["pl"])
    agent("Emma", 2, ["en"])
    on_a_call(widget, piotr)
    assert chosen(pending(widget, "pl")) == ["Emma"]


def test_without_fallback_a_speaker_on_a_call_is_waited_for(app: Flask) -> None:
    widget = make_widget(language="en", ring_other_languages=False)
    piotr = agent("Piotr", 1, ["pl"])
    agent("Emma", 2, ["en"])
    on_a_call(widget, piotr)
    assert choose(pending(widget, "pl")) == AgentChoice([], busy=True, others_free=True)


def test_others_are_rung_once_every_speaker_was_rung_this_round(app: Flask) -> None:
    widget = make_widget(language="en")
    piotr = agent("Piotr", 1, ["pl"])
    agent("Emma", 2, ["en"])
    request = pending(widget, "pl")
    ring(request, piotr, "no-answer")
    assert chosen(request) == ["Emma"]
    widget.ring_other_languages = False
    db.session().commit()
    assert choose(request) == AgentChoice([], busy=False, others_free=True)


def test_a_speaker_paused_or_off_hours_is_not_free(app: Flask) -> None:
    widget = make_widget(language="en")
    agent("Piotr", 1, ["pl"], available=False)
    agent("Pola", 2, ["pl"], hours={"sun": [["00:00", "01:00"]]})
    agent("Emma", 3, ["en"])
    with time_machine.travel(datetime(2026, 11, 27, 10, tzinfo=UTC), tick=False):
        assert chosen(pending(widget, "pl")) == ["Emma"]


def test_a_busy_other_does_not_hold_up_a_free_speaker(app: Flask) -> None:
    widget = make_widget(language="en")
    emma = agent("Emma", 1, ["en"])
    piotr = agent("Piotr", 2, ["pl"])
    on_a_call(widget, emma)
    assert choose(pending(widget, "pl")) == AgentChoice([piotr], busy=False)


def test_round_robin_shares_calls_among_speakers_only(app: Flask) -> None:
    widget = make_widget(language="en", ring_strategy="round_robin")
    agent("Emma", 1, ["en"])  # never rung and first by priority, but speaks no Polish
    piotr = agent("Piotr", 2, ["pl"])
    agent("Pola", 3, ["pl"])
    ring(pending(widget, "pl", n=50), piotr, "completed")
    assert chosen(pending(widget, "pl")) == ["Pola"]


def test_simultaneous_rings_every_free_speaker_and_only_them(app: Flask) -> None:
    widget = make_widget(language="en", ring_strategy="simultaneous")
    agent("Piotr", 1, ["pl", "en"])
    emma = agent("Emma", 2, ["en"])
    agent("Pola", 3, ["pl"])
    agent("Ada", 4, [])
    assert chosen(pending(widget, "pl", n=1)) == ["Piotr", "Pola"]
    assert chosen(pending(widget, "en", n=2)) == ["Piotr", "Emma", "Ada"]
    on_a_call(widget, emma)
    assert chosen(pending(widget, "en", n=3)) == ["Piotr", "Ada"]


def test_simultaneous_rings_every_free_other_when_no_speaker_is_free(app: Flask) -> None:
    widget = make_widget(language="en", ring_strategy="simultaneous")
    pola = agent("Pola", 1, ["pl"])
    agent("Emma", 2, ["en"])
    agent("Ada", 3, [])
    on_a_call(widget, pola)
    assert chosen(pending(widget, "pl")) == ["Emma", "Ada"]


def test_the_language_a_visitor_used_routes_their_request(client: FlaskClient) -> None:
    widget = make_widget(language="en")
    agent("Emma", 1, ["en"])
    agent("Piotr", 2, ["pl"])
    body = submit(client, widget.key, VISITOR_TYPED, locale="pl").get_json()
    request = db.session().get_one(CallbackRequest, uuid.UUID(body["id"]))
    assert request_language(request) == "pl"
    assert chosen(request) == ["Piotr"]


def test_a_speaker_behind_pages_of_others_is_found_and_the_busy_ones_are_counted(
    app: Flask,
) -> None:
    widget = make_widget(language="en", ring_strategy="simultaneous")
    # Agents are read a page at a time: put the speakers past the first pages.
    others = [agent(f"Other {i}", i, ["en"]) for i in range(AGENTS_PAGE * 2 + 3)]
    piotr = agent("Piotr", AGENTS_PAGE * 2 + 5, ["pl"])
    pawel = agent("Pawel", AGENTS_PAGE * 2 + 6, ["pl"])
    assert choose(pending(widget, "pl")) == AgentChoice([piotr, pawel], busy=False)
    for who in [*others, piotr, pawel]:
        on_a_call(widget, who)
    assert choose(pending(widget, "pl", n=1)) == AgentChoice([], busy=True)
