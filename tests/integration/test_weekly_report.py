"""The weekly report: last week beside the week before, e-mailed to the widget's managers.

The history (Warsaw time), for the week of Monday 2026-11-23 to Sunday 2026-11-29:

R1 Mon 10:00 /pricing autumn: Ada answers at +10 s, presses 1; visitor at +25 s, talks 120 s.
R2 Tue 11:00 /pricing autumn: Ada does not answer; Ben answers at +40 s, presses 1; visitor
   at +70 s, talks 20 s.
R3 Wed 12:00 /contact: Ada does not answer; failed.
R4 Thu 18:00 /, scheduled for Fri 09:00: Ben rung at 09:00:30 answers at +45 s, presses 1;
   visitor at +60 s, talks 45 s (kept on time).
R5 Fri 12:00 /contact spring, scheduled for Sat 14:00: Ada rung at 14:03 (late) answers at
   +200 s and does not press 1; expired.
R6 Sun 23:30 /contact: canceled before anyone was rung.
N1 Mon 30th 00:30 /pricing: canceled; Sunday 23:30 in UTC, but the next week in Warsaw.
P1 (week before) Mon 16th 10:00 /pricing autumn: Ada answers at +20 s, presses 1; visitor
   at +30 s, talks 60 s.
P2 (week before) Tue 17th 10:00 /contact: Ada does not answer; failed.

So: requests 6 (2); agent reached 4 (1); visitor reached 3 (1); talked 30 s+ 2 (1); time to
an agent answering 10, 40, 45, 200 s: median 40 s, 9 in 10 within 200 s (20 s, 20 s); agents
answered 4 of 6 legs offered (1 of 2); scheduled kept on time 1 of 2 (none). Pages: /contact
3 requests and 0 talked, /pricing 2 and 1, / 1 and 1. Campaigns: autumn 2 and 1, spring 1 and 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from redis import Redis

from callback import db
from callback.models import (
    RequestStatus,
    Widget,
)
from callback.reports import weekly
from tests.console_helpers import make_account
from tests.factories import VISITOR_LANDLINE, make_agent, make_widget
from tests.receivers import Mailbox, free_port
from tests.receivers import smtp_server as mail_server
from tests.report_history import Past, Ring, add_line_history, warsaw
from tests.report_history import store as history_store
from tests.residue import number_forms, text_holds
from workers.alerts import WEEKLY_EVERY_SECONDS, send_weekly_reports
from workers.cron import build_scheduler
from workers.queues import INTEGRATIONS_QUEUE

WARSAW = ZoneInfo("Europe/Warsaw")
MONDAY = date(2026, 11, 23)
COMPLETED, FAILED = RequestStatus.COMPLETED, RequestStatus.FAILED
EXPIRED, CANCELED = RequestStatus.EXPIRED, RequestStatus.CANCELED


def next_monday(hour: int, minute: int = 0) -> datetime:
    return warsaw(30, hour, minute)


@pytest.fixture
def mailbox(settings: dict[str, Any]) -> Iterator[Mailbox]:
    """An SMTP server the app sends to; ask for it before `app`."""
    with mail_server() as box:
        settings["SMTP_URL"] = box.plain_url
        yield box


def store(widget: Widget, past: Past) -> None:
    """Store `past` from the visitor's own number, a number typed into the page's query."""
    # The number typed into a page's query must not reach the e-mail by the page either.
    history_store(widget, past, phone=VISITOR_LANDLINE, query="phone=02079460123")


def history(widget: Widget) -> None:
    """Store the history of the module's docstring for `widget`."""
    ada, ben = make_agent(name="Ada"), make_agent(name="Ben", phone="+442079460002")
    at = warsaw
    for past in (
        Past(at(23, 10), COMPLETED, "/pricing", "autumn", rings=[Ring(ada, at(23, 10), 10, True)],
             connected=at(23, 10, 0, 25), talk=120),
        Past(at(24, 11), COMPLETED, "/pricing", "autumn",
             rings=[Ring(ada, at(24, 11, 0, 1)), Ring(ben, at(24, 11, 0, 30), 10, True)],
             connected=at(24, 11, 1, 10), talk=20),
        Past(at(25, 12), FAILED, "/contact", rings=[Ring(ada, at(25, 12, 0, 5))]),
        Past(at(26, 18), COMPLETED, "/", wanted=at(27, 9),
             rings=[Ring(ben, at(27, 9, 0, 30), 15, True)], connected=at(27, 9, 1), talk=45),
        Past(at(27, 12), EXPIRED, "/contact", "spring", wanted=at(28, 14),
             rings=[Ring(ada, at(28, 14, 3), 20)]),
        Past(at(29, 23, 30), CANCELED, "/contact"),
        Past(at(30, 0, 30), CANCELED, "/pricing"),
        Past(at(16, 10), COMPLETED, "/pricing", "autumn", rings=[Ring(ada, at(16, 10), 20, True)],
             connected=at(16, 10, 0, 30), talk=60),
        Past(at(17, 10), FAILED, "/contact", rings=[Ring(ada, at(17, 10, 0, 5))]),
    ):  # fmt: skip
        store(widget, past)


def shop(**fields: Any) -> Widget:
    """The Warsaw widget whose report goes out at 08:00, with its owner."""
    widget = make_widget(name="Shop", timezone="Europe/Warsaw", digest_hour=8, **fields)
    make_account("owner", email="owner@example.com")
    return widget


def test_the_e_mail_tells_the_weeks_figures_beside_the_week_before(
    mailbox: Mailbox, app: Flask
) -> None:
    widget = shop()
    history(widget)
    with time_machine.travel(next_monday(8, 5), tick=False):
        assert send_weekly_reports() == 1

    [mail] = mailbox.messages
    assert mail.subject == "Weekly report, week of November 23, 2026: Shop"
    lines = mail.body.splitlines()
    assert lines[0] == "Shop, November 23, 2026 \u2013 November 29, 2026 (Europe/Warsaw)"
    for line in (
        "Requests: 6 (week before: 2)",
        "Agent reached: 4 (week before: 1)",
        "Visitor reached: 3 (week before: 1)",
        "Talked 30 s or more: 2 (week before: 1)",
        "Time to an agent answering, median: 40 s (week before: 20 s)",
        "Time to an agent answering, 9 in 10 within: 3 min 20 s (week before: 20 s)",
        "Agents' answer rate: 67% (week before: 50%)",
        "Scheduled callbacks kept on time: 1 of 2, 50% (week before: n/a)",
    ):
        assert line in lines
    pages = lines.index("Busiest pages (requests; talked 30 s or more):")
    assert lines[pages + 1 : pages + 4] == ["- /contact: 3; 0", "- /pricing: 2; 1", "- /: 1; 1"]
    campaigns = lines.index("Busiest campaigns (requests; talked 30 s or more):")
    assert lines[campaigns + 1 : campaigns + 4] == ["- autumn: 2; 1", "- spring: 1; 0", ""]
    link = f"http://callback.test/console/reports?widget={widget.id}&from=2026-11-23&to=2026-11-29"
    assert lines[-1] == f"The week's report: {link}"


def test_the_phone_line_has_its_own_figures_and_leaves_the_web_ones_alone(
    mailbox: Mailbox, app: Flask
) -> None:
    widget = shop()
    history(widget)
    add_line_history(widget)  # tests/report_history.py: 5 callers, and 1 the week before
    with time_machine.travel(next_monday(8, 5), tick=False):
        assert send_weekly_reports() == 1

    lines = mailbox.messages[0].body.splitlines()
    assert "Requests: 6 (week before: 2)" in lines
    line = lines.index("Phone line (callers whose call ended):")
    assert lines[line + 1 : line + 8] == [
        "Callers: 5 (week before: 1)",
        "Hung up while waiting in line: 2 (week before: 0)",
        "Abandon rate in line: 40% (week before: 0%)",
        "Callbacks offered: 3 (week before: 0)",
        "Callbacks taken: 2 (week before: 0)",
        "Callbacks completed: 1 (week before: 0)",
        "",
    ]
    assert lines[-1].startswith("The week's report: ")


def test_a_polish_widget_gets_polish_words_and_numbers(mailbox: Mailbox, app: Flask) -> None:
    widget = shop(language="pl")
    history(widget)
    with time_machine.travel(next_monday(9), tick=False):
        assert send_weekly_reports() == 1

    [mail] = mailbox.messages
    assert mail.subject == "Raport tygodniowy, tydzień od 23 listopada 2026: Shop"
    for line in (
        "Prośby: 6 (tydzień wcześniej: 2)",
        "Czas do odebrania przez konsultanta, mediana: 40 s (tydzień wcześniej: 20 s)",
        "Odsetek połączeń odebranych przez konsultantów: 67% (tydzień wcześniej: 50%)",
        "Umówione oddzwonienia na czas: 1 z 2, 50% (tydzień wcześniej: brak)",
        "- autumn: 2; 1",
    ):
        assert line in mail.body.splitlines()


def test_a_quiet_week_says_so_instead_of_inventing_figures(mailbox: Mailbox, app: Flask) -> None:
    shop()
    with time_machine.travel(next_monday(8), tick=False):
        assert send_weekly_reports() == 1

    lines = mailbox.messages[0].body.splitlines()
    assert "Requests: 0 (week before: 0)" in lines
    assert "Agents' answer rate: n/a (week before: n/a)" in lines
    pages = lines.index("Busiest pages (requests; talked 30 s or more):")
    assert lines[pages + 1] == "none this week"
    assert not [line for line in lines if line.startswith("Phone line")]
    assert lines[-2:] == ["", lines[-1]]  # no empty phone-line paragraph before the link


def test_each_week_goes_out_once_from_mondays_hour(mailbox: Mailbox, app: Flask) -> None:
    widget = shop()
    with time_machine.travel(warsaw(29, 23), tick=False) as clock:
        assert send_weekly_reports() == 0  # Sunday: the week has not ended
        clock.move_to(next_monday(7, 55))
        assert send_weekly_reports() == 0  # before 08:00 in Warsaw
        clock.move_to(next_monday(8))
        assert send_weekly_reports() == 1
        assert send_weekly_reports() == 0
        clock.move_to(warsaw(30, 23, 59))
        assert send_weekly_reports() == 0  # later that Monday: already sent
        clock.move_to(warsaw(30, 8) + timedelta(days=7))
        assert send_weekly_reports() == 1  # the next week's

    subjects = [mail.subject for mail in mailbox.messages]
    assert subjects == [
        "Weekly report, week of November 23, 2026: Shop",
        "Weekly report, week of November 30, 2026: Shop",
    ]
    db.session().refresh(widget)
    assert widget.weekly_report_sent_for == "2026-11-30"


def test_a_week_is_not_sent_late_on_another_day(mailbox: Mailbox, app: Flask) -> None:
    shop()
    with time_machine.travel(warsaw(30, 8) + timedelta(days=3), tick=False):
        assert send_weekly_reports() == 0  # Thursday: a service started then waits for Monday
    assert mailbox.messages == []


def test_two_runs_claiming_the_same_week_never_both_get_it(app: Flask) -> None:
    widget = shop()
    assert weekly.claim_week(db.session(), widget.id, MONDAY)
    assert not weekly.claim_week(db.session(), widget.id, MONDAY)
    assert weekly.claim_week(db.session(), widget.id, MONDAY + timedelta(days=7))


def test_a_report_that_fails_to_send_is_tried_again_on_the_next_run(
    mailbox: Mailbox, app: Flask
) -> None:
    widget = shop()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}?tls=off"  # nobody listens
    with time_machine.travel(next_monday(8, 5), tick=False) as clock:
        with pytest.raises(Exception, match="not sent"):
            send_weekly_reports()
        db.session().refresh(widget)
        assert widget.weekly_report_sent_for is None
        app.config["SMTP_URL"] = mailbox.plain_url
        clock.shift(timedelta(seconds=WEEKLY_EVERY_SECONDS))
        assert send_weekly_reports() == 1
    assert len(mailbox.messages) == 1


def test_a_widget_with_the_report_turned_off_sends_nothing(mailbox: Mailbox, app: Flask) -> None:
    widget = shop(weekly_report_enabled=False)
    with time_machine.travel(next_monday(9), tick=False):
        assert send_weekly_reports() == 0
    assert mailbox.messages == []
    db.session().refresh(widget)
    assert widget.weekly_report_sent_for is None


def test_it_goes_to_the_owners_and_that_widgets_managers_only(mailbox: Mailbox, app: Flask) -> None:
    widget = shop(alert_emails=["alerts@example.com"])
    other = make_widget(name="Other", weekly_report_enabled=False)
    make_account("owner", email="second.owner@example.com")
    make_account("manager", email="manager@example.com", widgets=[other, widget])
    make_account("manager", email="other.manager@example.com", widgets=[other])
    make_account("manager", email="invited@example.com", widgets=[widget], password=None)
    make_account("agent", email="agent@example.com", widgets=[widget], agent=make_agent())
    gone = make_account("owner", email="gone@example.com")
    gone.active = False
    db.session().commit()
    with time_machine.travel(next_monday(8), tick=False):
        assert send_weekly_reports() == 1

    sent_to = sorted(address for mail in mailbox.messages for address in mail.recipients)
    assert sent_to == ["manager@example.com", "owner@example.com", "second.owner@example.com"]


def test_a_widget_nobody_manages_sends_nothing(mailbox: Mailbox, app: Flask) -> None:
    widget = make_widget(timezone="Europe/Warsaw", alert_emails=["alerts@example.com"])
    theirs = make_widget(name="Theirs", weekly_report_enabled=False)
    make_account("manager", email="other.manager@example.com", widgets=[theirs])
    with time_machine.travel(next_monday(9), tick=False):
        assert send_weekly_reports() == 0
    assert mailbox.messages == []
    db.session().refresh(widget)
    assert widget.weekly_report_sent_for == MONDAY.isoformat()  # the week is done all the same


def test_the_e_mail_holds_no_form_of_the_visitors_number(mailbox: Mailbox, app: Flask) -> None:
    widget = shop(language="pl")
    history(widget)
    with time_machine.travel(next_monday(8), tick=False):
        assert send_weekly_reports() == 1

    [mail] = mailbox.messages
    forms, significant = number_forms(VISITOR_LANDLINE)
    for text in (mail.raw.decode(), mail.body, mail.subject):
        assert not text_holds(text, forms, significant)


def test_cron_enqueues_the_weekly_job_on_the_integrations_queue(app: Flask, redis: Redis) -> None:
    [job] = [job for job in build_scheduler().get_jobs() if job.func is send_weekly_reports]
    assert (job.queue_name, job.interval) == (INTEGRATIONS_QUEUE, WEEKLY_EVERY_SECONDS)
