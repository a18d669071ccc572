"""The daily digest: yesterday's figures in the widget's day and language, sent once a day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from redis import Redis

from callback import db
from callback.integrations.digest import DayFigures, claim_digest, day_figures, digest_message
from callback.models import RequestStatus, Widget
from tests.factories import VISITOR_LANDLINE, make_request, make_widget
from tests.receivers import ChatInbox, Mailbox, chat_receiver
from tests.receivers import smtp_server as mail_server
from tests.residue import number_forms, text_holds
from workers.alerts import DIGEST_EVERY_SECONDS, send_digests
from workers.cron import build_scheduler
from workers.queues import INTEGRATIONS_QUEUE

WARSAW = ZoneInfo("Europe/Warsaw")
DAY = date(2026, 11, 29)


def warsaw(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=WARSAW)


@pytest.fixture
def mailbox(settings: dict[str, Any]) -> Iterator[Mailbox]:
    """An SMTP server the app sends to; ask for it before `app`."""
    with mail_server() as box:
        settings["SMTP_URL"] = box.plain_url
        yield box


@pytest.fixture
def chat() -> Iterator[ChatInbox]:
    with chat_receiver() as inbox:
        yield inbox


def history(widget: Widget) -> None:
    """A small day in Warsaw: four asked, four ended, two talked, one more asked past midnight."""
    done, failed, expired = RequestStatus.COMPLETED, RequestStatus.FAILED, RequestStatus.EXPIRED
    rows: list[dict[str, Any]] = [
        # Called back in 2 min 30 s and talked.
        {"status": done, "created_at": warsaw(8), "connected_at": warsaw(8, 2, 30)},
        # Booked for 10:00 and called 7 min 5 s after that: the wait counts from 10:00.
        {"status": done, "created_at": warsaw(9), "wanted_at": warsaw(10),
         "connected_at": warsaw(10, 7, 5)},
        {"status": failed, "created_at": warsaw(11)},
        # Asked the evening before, expired after midnight: ended that day, not asked then.
        {"status": expired, "created_at": warsaw(23, 30, day=DAY - timedelta(days=1)),
         "ended_at": warsaw(0, 30)},
        # Still waiting at 23:30 (22:30 UTC, the same UTC day as the next row).
        {"status": RequestStatus.QUEUED, "created_at": warsaw(23, 30), "ended_at": None},
        # 00:10 in Warsaw is the next day there, though still the 29th in UTC.
        {"status": done, "created_at": warsaw(0, 10, day=DAY + timedelta(days=1)),
         "connected_at": warsaw(0, 20, day=DAY + timedelta(days=1))},
    ]  # fmt: skip
    for row in rows:
        ended = row.get("connected_at", row["created_at"]) + timedelta(minutes=5)
        row.setdefault("ended_at", ended)
        make_request(widget, phone=None, **row)
    make_request(make_widget(name="Other"), status=done, created_at=warsaw(9), ended_at=warsaw(9))


def test_figures_count_the_widgets_local_day(app: Flask) -> None:
    widget = make_widget(timezone="Europe/Warsaw")
    history(widget)
    assert day_figures(db.session(), widget, DAY) == DayFigures(
        requests=4,
        completed=2,
        failed=1,
        expired=1,
        ended=4,
        reached=2,
        slowest=timedelta(minutes=7, seconds=5),
    )


def test_digest_words_and_numbers_follow_the_language(app: Flask) -> None:
    figures = DayFigures(
        requests=1234, completed=2, failed=1, expired=1, ended=3, reached=2,
        slowest=timedelta(hours=1, minutes=2, seconds=3),
    )  # fmt: skip
    english = digest_message(make_widget(name="Shop", timezone="Europe/Warsaw"), DAY, figures)
    assert english.subject == "Callbacks on November 29, 2026: Shop"
    assert "Requests: 1,234" in english.body
    assert "Answer rate: 67%" in english.body
    assert "Slowest time to callback: 1 h 2 min" in english.body
    polish = digest_message(make_widget(name="Sklep", language="pl"), DAY, figures)
    assert polish.subject == "Oddzwonienia 29 listopada 2026: Sklep"
    assert "Prośby: 1\xa0234" in polish.body  # a no-break space groups Polish thousands
    assert "Najdłuższy czas do oddzwonienia: 1 godz. 2 min" in polish.body
    quiet = DayFigures(0, 0, 0, 0, 0, 0, None)
    assert "Answer rate: n/a" in digest_message(make_widget(), DAY, quiet).body


def test_digest_is_sent_once_a_day_after_its_hour_even_when_the_job_runs_twice(
    mailbox: Mailbox, chat: ChatInbox, app: Flask
) -> None:
    widget = make_widget(
        name="Sklep",
        language="pl",
        timezone="Europe/Warsaw",
        digest_hour=8,
        alert_emails=["szef@example.com"],
        alert_chat_url=chat.url,
    )
    history(widget)
    make_widget(name="No digest", digest_enabled=False, alert_emails=["x@example.com"])
    make_widget(name="Nobody to tell", alert_emails=[])

    with time_machine.travel(warsaw(7, 55, day=DAY + timedelta(days=1)), tick=False) as clock:
        assert send_digests() == 0  # before 8:00 in Warsaw
        clock.move_to(warsaw(8, 5, day=DAY + timedelta(days=1)))
        assert send_digests() == 1
        assert send_digests() == 0
        clock.move_to(warsaw(23, 0, day=DAY + timedelta(days=1)))
        assert send_digests() == 0

    [mail] = mailbox.messages
    assert mail.recipients == ["szef@example.com"]
    assert mail.subject == "Oddzwonienia 29 listopada 2026: Sklep"
    assert "Prośby: 4" in mail.body
    assert "Odsetek odebranych: 50%" in mail.body
    assert "Najdłuższy czas do oddzwonienia: 7 min 5 s" in mail.body
    [post] = chat.posts
    assert "prośby 4" in post["text"]
    forms, significant = number_forms(VISITOR_LANDLINE)
    for text in (mail.raw.decode(), mail.body, post["text"]):
        assert not text_holds(text, forms, significant)
    db.session().refresh(widget)
    assert widget.digest_sent_for == DAY.isoformat()


def test_two_runs_claiming_the_same_day_never_both_get_it(app: Flask) -> None:
    widget = make_widget(alert_emails=["a@example.com"])
    assert claim_digest(db.session(), widget.id, DAY)
    assert not claim_digest(db.session(), widget.id, DAY)
    assert claim_digest(db.session(), widget.id, DAY + timedelta(days=1))


def test_a_digest_that_fails_to_send_is_tried_again_on_the_next_run(
    settings: dict[str, Any], chat: ChatInbox, app: Flask
) -> None:
    widget = make_widget(timezone="UTC", alert_chat_url=chat.url)
    chat.answer = 503
    with time_machine.travel(datetime(2026, 11, 30, 9, tzinfo=UTC), tick=False):
        with pytest.raises(Exception, match="not sent"):
            send_digests()
        db.session().refresh(widget)
        assert widget.digest_sent_for is None
        chat.answer = 200
        assert send_digests() == 1
    assert len(chat.posts) == 2


def test_cron_enqueues_the_digest_job_on_the_integrations_queue(app: Flask, redis: Redis) -> None:
    [digests] = [job for job in build_scheduler().get_jobs() if job.func is send_digests]
    assert (digests.queue_name, digests.interval) == (INTEGRATIONS_QUEUE, DIGEST_EVERY_SECONDS)


def test_a_broken_chat_webhook_does_not_send_the_digest_e_mail_again(
    mailbox: Mailbox, chat: ChatInbox, app: Flask
) -> None:
    chat.answer = 410  # the chat app was removed
    make_widget(
        timezone="Europe/Warsaw",
        alert_emails=["szef@example.com"],
        alert_chat_url=chat.url,
    )
    with time_machine.travel(warsaw(9, 0, day=DAY + timedelta(days=1)), tick=False) as clock:
        assert send_digests() == 1  # the e-mail took it: the day is done
        clock.shift(timedelta(minutes=5))
        assert send_digests() == 0
    assert len(mailbox.messages) == 1
    assert len(chat.posts) == 1
