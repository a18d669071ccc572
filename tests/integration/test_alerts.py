"""Alerts: a failed or expired callback reaches the widget's inbox and chat, never its number."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from callback import db
from callback.integrations.mail import MailNotConfigured, send_mail, smtp_server
from callback.lifecycle.requests import finish
from callback.models import CallbackRequest, RequestStatus, WebhookEndpoint, WebhookEvent, Widget
from tests.conftest import PUBLIC_BASE_URL
from tests.console_helpers import make_account
from tests.factories import VISITOR_LANDLINE, make_request, make_widget
from tests.ops_machinery import work_burst
from tests.receivers import ChatInbox, Mailbox, chat_receiver, free_port
from tests.receivers import smtp_server as mail_server
from tests.residue import number_forms, text_holds
from workers.alerts import notify_endpoint_disabled, send_alert
from workers.queues import ALERT_RETRY_ATTEMPTS, INTEGRATIONS_QUEUE, alert_job_id

FAILED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def mailbox(settings: dict[str, Any]) -> Iterator[Mailbox]:
    """An SMTP server the app sends to; ask for it before `app`."""
    with mail_server() as box:
        settings["SMTP_URL"] = box.plain_url
        settings["MAIL_FROM"] = "Callback <alerts@callback.test>"
        yield box


@pytest.fixture
def chat() -> Iterator[ChatInbox]:
    with chat_receiver() as inbox:
        yield inbox


def run_integration_jobs(redis: Redis) -> None:
    """Run the integrations queue until empty, as `callback worker` would."""
    work_burst(redis, queue=INTEGRATIONS_QUEUE)


def end_request(widget: Widget, status: RequestStatus, outcome: str) -> CallbackRequest:
    """End the fictional visitor's ringing request as `status`, committing (the alert follows)."""
    request = make_request(widget, status=RequestStatus.CALLING_VISITOR)
    with time_machine.travel(FAILED_AT, tick=False):
        assert finish(db.session(), request, status, outcome)
        db.session().commit()
    return request


def assert_no_number(*texts: str) -> None:
    forms, significant = number_forms(VISITOR_LANDLINE)
    for text in texts:
        assert not text_holds(text, forms, significant), text


def test_failed_callback_is_mailed_and_posted_in_english_without_the_number(
    mailbox: Mailbox, chat: ChatInbox, app: Flask, redis: Redis
) -> None:
    widget = make_widget(
        name="Example Ltd",
        timezone="Europe/London",
        alert_emails=["sales@example.com", "boss@example.com"],
        alert_chat_url=chat.url,
    )
    request = end_request(widget, RequestStatus.FAILED, "visitor_no_answer")
    run_integration_jobs(redis)

    mail, other = mailbox.messages  # one message each: no one learns who else was told
    assert [mail.recipients, other.recipients] == [["sales@example.com"], ["boss@example.com"]]
    assert mail.message["To"] == "sales@example.com"
    assert other.subject == mail.subject
    assert mail.subject == "Callback failed: Example Ltd"
    assert mail.message["From"] == "Callback <alerts@callback.test>"
    assert "The visitor did not answer" in mail.body
    assert "Nov 30, 2026, 12:00:00" in mail.body
    assert "(Europe/London)" in mail.body
    assert f"{PUBLIC_BASE_URL}/console/requests/{request.id}" in mail.body
    [post] = chat.posts
    assert post["text"].startswith("Callback failed: Example Ltd. The visitor did not answer")
    assert_no_number(mail.raw.decode(), mail.body, post["text"])


def test_expired_callback_is_told_in_polish_in_the_widgets_time_zone(
    mailbox: Mailbox, chat: ChatInbox, app: Flask, redis: Redis
) -> None:
    widget = make_widget(
        name="Sklep",
        language="pl",
        timezone="Europe/Warsaw",
        alert_emails=["sprzedaz@example.com"],
        alert_chat_url=chat.url,
    )
    end_request(widget, RequestStatus.EXPIRED, "max_wait_exceeded")
    run_integration_jobs(redis)

    [mail] = mailbox.messages
    assert mail.subject == "Wygasłe oddzwonienie: Sklep"
    assert "Powód: Nie oddzwoniono na czas" in mail.body
    assert "30 lis 2026, 13:00:00 (Europe/Warsaw)" in mail.body
    [post] = chat.posts
    assert "Nie oddzwoniono na czas" in post["text"]
    assert_no_number(mail.raw.decode(), mail.body, post["text"])


def test_a_widget_without_alert_recipients_gets_no_alert_event(
    mailbox: Mailbox, app: Flask, redis: Redis
) -> None:
    end_request(make_widget(), RequestStatus.FAILED, "visitor_busy")
    run_integration_jobs(redis)
    assert mailbox.messages == []
    assert db.session().query(WebhookEvent).count() == 0


def test_smtp_down_fails_the_job_and_rq_retries_it_later(
    settings: dict[str, Any], app: Flask, redis: Redis
) -> None:
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}?tls=off"  # nothing listens
    widget = make_widget(alert_emails=["sales@example.com"])
    request = end_request(widget, RequestStatus.FAILED, "no_agent_available")
    event = db.session().query(WebhookEvent).filter_by(request_id=request.id).one()

    run_integration_jobs(redis)  # returns: the worker outlives the failure

    job = Job.fetch(alert_job_id(event.id), connection=redis)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retries_left == ALERT_RETRY_ATTEMPTS - 1


def test_without_smtp_url_the_mail_is_skipped_and_the_chat_still_gets_its_line(
    chat: ChatInbox, app: Flask, redis: Redis
) -> None:
    assert not app.config.get("SMTP_URL")
    widget = make_widget(alert_emails=["sales@example.com"], alert_chat_url=chat.url)
    request = end_request(widget, RequestStatus.FAILED, "visitor_busy")
    event = db.session().query(WebhookEvent).filter_by(request_id=request.id).one()
    assert send_alert(event.id) == 1
    assert len(chat.posts) == 1


def test_a_chat_webhook_that_refuses_fails_the_job_without_naming_its_url(
    chat: ChatInbox, app: Flask
) -> None:
    chat.answer = 500
    widget = make_widget(alert_chat_url=chat.url)
    request = end_request(widget, RequestStatus.FAILED, "visitor_busy")
    event = db.session().query(WebhookEvent).filter_by(request_id=request.id).one()
    with pytest.raises(Exception, match="answered 500") as raised:
        send_alert(event.id)
    assert "hook-secret" not in str(raised.value)


def test_smtp_url_without_tls_off_requires_starttls(mailbox: Mailbox, app: Flask) -> None:
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{mailbox.port}"  # the server offers no STARTTLS
    with pytest.raises(Exception, match="STARTTLS"):
        send_mail(["sales@example.com"], "subject", "text")
    assert mailbox.messages == []


def test_smtp_url_is_read_with_its_credentials_decoded() -> None:
    server = smtp_server("smtp://alerts%40example.com:p%40ss%3Aw%2Frd@mail.example.com")
    assert (server.host, server.port, server.security) == ("mail.example.com", 587, "starttls")
    assert (server.username, server.password) == ("alerts@example.com", "p@ss:w/rd")
    assert smtp_server("smtps://mail.example.com").port == 465
    assert smtp_server("smtp://localhost?tls=off").security == "plain"


@pytest.mark.parametrize(
    "url", [None, "", "http://mail.example.com", "smtp://mail.example.com?tls=off"]
)
def test_smtp_url_missing_or_unsafe_is_refused_clearly(url: str | None) -> None:
    with pytest.raises(MailNotConfigured):
        smtp_server(url)


def test_disabled_endpoint_is_told_to_owners_managers_and_the_alert_list(
    mailbox: Mailbox, app: Flask
) -> None:
    widget = make_widget(name="Example Ltd", alert_emails=["alerts@example.com"])
    other = make_widget(name="Other")
    make_account("owner", "owner@example.com")
    make_account("manager", "manager@example.com", widgets=[widget])
    make_account("manager", "elsewhere@example.com", widgets=[other])
    make_account("manager", "invited@example.com", widgets=[widget], password=None)
    endpoint = WebhookEndpoint(
        widget_id=widget.id,
        url="https://hooks.example.com/in/sekret-path?token=abc",
        events=["callback.failed"],
        secret="whsec_c2VjcmV0",
        enabled=False,
        disabled_reason="failing for a day",
    )
    db.session().add(endpoint)
    db.session().commit()

    assert notify_endpoint_disabled(endpoint.id) == 1

    assert sorted(to for message in mailbox.messages for to in message.recipients) == [
        "alerts@example.com",
        "manager@example.com",
        "owner@example.com",
    ]
    assert all(len(message.recipients) == 1 for message in mailbox.messages)
    mail = mailbox.messages[0]
    assert mail.subject == "Webhook turned off: Example Ltd"
    assert "hooks.example.com" in mail.body
    assert f"{PUBLIC_BASE_URL}/console/widgets/{widget.key}" in mail.body
    for secret in ("sekret-path", "token", "whsec_"):
        assert secret not in mail.raw.decode()


def test_an_alert_the_e_mail_took_is_not_sent_again_because_the_chat_is_down(
    mailbox: Mailbox, chat: ChatInbox, app: Flask, redis: Redis
) -> None:
    chat.answer = 500
    widget = make_widget(alert_emails=["sales@example.com"], alert_chat_url=chat.url)
    end_request(widget, RequestStatus.FAILED, "visitor_no_answer")
    run_integration_jobs(redis)
    run_integration_jobs(redis)
    assert len(mailbox.messages) == 1
    assert len(chat.posts) == 1  # tried once; the job did not fail into a retry
    assert Queue(INTEGRATIONS_QUEUE, connection=redis).failed_job_registry.count == 0
