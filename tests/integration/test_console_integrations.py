"""Console integrations pages: webhook endpoints (added with a secret shown once, changed,
a new secret, deleted, deliveries sent again), alert settings, sharing the visitor's
number, who may do what, and the audit trail.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.integrations.events import COMPLETED, EVENT_TYPES, FAILED, REQUESTED
from callback.models import (
    AuditEntry,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    Widget,
    utcnow,
)
from tests.console_helpers import csrf_token, make_account, signed_in
from tests.factories import make_agent, make_request, make_widget

HOOK = "https://hooks.example.com/callback"
NOTICE = "We pass your number to our CRM to call you back."


def integrations_path(widget: Widget) -> str:
    return f"/console/widgets/{widget.key}/integrations"


def endpoint_path(endpoint: WebhookEndpoint) -> str:
    widget = db.session().get_one(Widget, endpoint.widget_id)
    return f"{integrations_path(widget)}/endpoints/{endpoint.id}"


def post(client: FlaskClient, page: str, action: str, **form: Any) -> Any:
    """Post `form` to `action` with the CSRF token of `page`, as the browser would."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(action, data={"csrf_token": csrf_token(shown.text), **form})


def add(client: FlaskClient, widget: Widget, **form: Any) -> Any:
    path = integrations_path(widget)
    return post(client, path, f"{path}/endpoints", **{"url": HOOK, "events": [FAILED], **form})


def stored_endpoint(
    widget: Widget, url: str = HOOK, events: tuple[str, ...] = (FAILED,)
) -> WebhookEndpoint:
    session = db.session()
    endpoint = WebhookEndpoint(
        widget_id=widget.id, url=url, events=list(events), secret="whsec_old", enabled=True
    )
    session.add(endpoint)
    session.commit()
    return endpoint


def actions() -> list[str]:
    return list(db.session().scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def owner_client(app: Flask) -> FlaskClient:
    return signed_in(app, make_account("owner"))


def test_adding_an_endpoint_shows_its_secret_once_and_is_audited(app: Flask) -> None:
    widget = make_widget()
    client = owner_client(app)
    answer = add(client, widget, events=[FAILED, COMPLETED], description="CRM")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    endpoint = db.session().scalars(select(WebhookEndpoint)).one()
    assert (endpoint.url, endpoint.description) == (HOOK, "CRM")
    assert endpoint.events == [FAILED, COMPLETED]
    assert endpoint.secret.startswith("whsec_")
    assert f'value="{endpoint.secret}"' in answer.text
    assert "it will not be shown again" in answer.text
    for page in (integrations_path(widget), endpoint_path(endpoint)):
        shown = client.get(page)
        assert shown.status_code == 200
        assert HOOK in shown.text
        assert endpoint.secret not in shown.text
    assert actions()[-1] == "webhook_added"


def test_a_refused_endpoint_is_shown_in_the_form_and_nothing_is_stored(app: Flask) -> None:
    widget = make_widget()
    client = owner_client(app)
    refused = add(client, widget, url="https://10.0.0.5/hook", events=[])
    assert refused.status_code == 400
    assert "Enter an https:// address" in refused.text
    assert 'value="https://10.0.0.5/hook"' in refused.text
    no_events = add(client, widget, events=[])
    assert no_events.status_code == 400
    assert "Choose at least one event." in no_events.text
    assert "Traceback" not in no_events.text
    assert db.session().scalars(select(WebhookEndpoint)).all() == []


def test_refusals_are_in_the_accounts_language(app: Flask) -> None:
    widget = make_widget()
    client = owner_client(app)
    path = integrations_path(widget)
    refused = post(client, path, f"{path}/endpoints?lang=pl", url="ftp://example.com", events=[])
    assert refused.status_code == 400
    assert "Wpisz adres https://" in refused.text


def test_changing_an_endpoint_is_audited_and_turning_it_off_says_by_whom(app: Flask) -> None:
    widget = make_widget()
    endpoint = stored_endpoint(widget)
    client = owner_client(app)
    page = endpoint_path(endpoint)
    new_url = "https://crm.example.com/in"
    answer = post(client, page, page, url=new_url, events=[REQUESTED], description=" Our CRM ")
    assert answer.status_code == 302, answer.text
    db.session().refresh(endpoint)
    assert (endpoint.url, endpoint.description) == (new_url, "Our CRM")
    assert endpoint.events == [REQUESTED]
    assert endpoint.enabled is False
    assert endpoint.disabled_reason is not None
    assert "off" in client.get(integrations_path(widget)).text
    assert actions()[-1] == "webhook_changed"


def test_a_refused_change_keeps_the_endpoint_as_it_was(app: Flask) -> None:
    widget = make_widget()
    endpoint = stored_endpoint(widget)
    client = owner_client(app)
    page = endpoint_path(endpoint)
    answer = post(client, page, page, url="https://crm.example.com/", events=["nope"], enabled="1")
    assert answer.status_code == 400
    assert "Choose at least one event." in answer.text
    db.session().refresh(endpoint)
    assert (endpoint.url, endpoint.events) == (HOOK, [FAILED])
    too_long = post(client, page, page, url=HOOK, events=[FAILED], description="x" * 201)
    assert too_long.status_code == 400
    assert "At most 200 characters." in too_long.text


def test_a_new_secret_needs_confirming_and_is_shown_once(app: Flask) -> None:
    widget = make_widget()
    endpoint = stored_endpoint(widget)
    client = owner_client(app)
    page = endpoint_path(endpoint)
    unconfirmed = post(client, page, f"{page}/rotate")
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm a new secret." in unconfirmed.text
    db.session().refresh(endpoint)
    assert endpoint.secret == "whsec_old"
    rotated = post(client, page, f"{page}/rotate", confirm="1")
    assert rotated.status_code == 200
    assert rotated.headers["Cache-Control"] == "no-store"
    db.session().refresh(endpoint)
    assert endpoint.secret != "whsec_old"
    assert f'value="{endpoint.secret}"' in rotated.text
    assert endpoint.secret not in client.get(page).text
    assert actions()[-1] == "webhook_secret_rotated"


def test_deleting_an_endpoint_needs_confirming(app: Flask) -> None:
    widget = make_widget()
    endpoint = stored_endpoint(widget)
    endpoint_id = endpoint.id
    client = owner_client(app)
    page = endpoint_path(endpoint)
    assert post(client, page, f"{page}/delete").status_code == 400
    assert db.session().get(WebhookEndpoint, endpoint_id) is not None
    answer = post(client, page, f"{page}/delete", confirm="1")
    assert answer.status_code == 302
    assert answer.location.endswith(integrations_path(widget))
    db.session().expire_all()
    assert db.session().get(WebhookEndpoint, endpoint_id) is None
    assert actions()[-1] == "webhook_removed"


def delivered(widget: Widget, endpoint: WebhookEndpoint, state: str = "failed") -> WebhookDelivery:
    """Store an event sent once to `endpoint`, which answered 500."""
    session = db.session()
    request = make_request(widget)
    event = WebhookEvent(
        widget_id=widget.id, request_id=request.id, type=FAILED, payload={}, created_at=utcnow()
    )
    session.add(event)
    session.flush()
    delivery = WebhookDelivery(
        event_id=event.id, endpoint_id=endpoint.id, request_id=request.id, state=state
    )
    session.add(delivery)
    session.flush()
    session.add(WebhookAttempt(delivery_id=delivery.id, status_code=500, error="HTTP 500"))
    session.commit()
    return delivery


def test_the_deliveries_list_their_attempts_and_one_is_sent_again(app: Flask) -> None:
    widget = make_widget(timezone="Europe/Warsaw")
    endpoint = stored_endpoint(widget)
    delivery = delivered(widget, endpoint)
    client = owner_client(app)
    page = endpoint_path(endpoint)
    shown = client.get(page)
    assert delivery.event.message_id in shown.text
    assert FAILED in shown.text
    assert ">500<" in shown.text
    assert "HTTP 500" in shown.text
    assert "(Europe/Warsaw)" in shown.text
    assert ">failed<" in shown.text
    polish = client.get(f"{page}?lang=pl").text
    assert "nieudana" in polish
    assert "Wyślij ponownie" in polish
    answer = post(client, page, f"{page}/deliveries/{delivery.id}/replay")
    assert answer.status_code == 302
    db.session().refresh(delivery)
    assert delivery.state == "pending"
    assert actions()[-1] == "webhook_replayed"


def test_another_endpoints_delivery_is_not_found(app: Flask) -> None:
    widget = make_widget()
    endpoint = stored_endpoint(widget)
    other = stored_endpoint(widget, url="https://other.example.com/")
    delivery = delivered(widget, other)
    client = owner_client(app)
    page = endpoint_path(endpoint)
    assert post(client, page, f"{page}/deliveries/{delivery.id}/replay").status_code == 404
    db.session().refresh(delivery)
    assert delivery.state == "failed"


def alerts(client: FlaskClient, widget: Widget, **form: Any) -> Any:
    path = integrations_path(widget)
    fields = {"alert_emails": "", "alert_chat_url": "", "digest_hour": "8", **form}
    return post(client, path, f"{path}/alerts", **fields)


def test_alert_settings_are_saved_and_audited_without_the_chat_urls_path(app: Flask) -> None:
    widget = make_widget()
    client = owner_client(app)
    answer = alerts(
        client,
        widget,
        alert_emails="ops@example.com\n\n Boss@Example.com \nops@example.com",
        alert_chat_url="https://chat.example.com/services/T000/B000/secretpart",
        digest_hour="17",
    )
    assert answer.status_code == 302, answer.text
    db.session().refresh(widget)
    assert widget.alert_emails == ["ops@example.com", "boss@example.com"]
    assert widget.alert_chat_url == "https://chat.example.com/services/T000/B000/secretpart"
    assert (widget.digest_enabled, widget.digest_hour) == (False, 17)
    assert widget.weekly_report_enabled is False  # its box left unticked
    entry = db.session().scalars(select(AuditEntry).filter_by(action="widget_updated")).one()
    assert "secretpart" not in str(entry.details)
    assert entry.details["changes"]["digest_hour"] == [8, 17]
    assert entry.details["changes"]["weekly_report_enabled"] == [True, False]
    page = client.get(integrations_path(widget)).text
    assert "boss@example.com" in page
    assert '<option value="17" selected>' in page


def test_the_weekly_report_box_shows_and_keeps_the_setting(app: Flask) -> None:
    widget = make_widget(weekly_report_enabled=False)
    client = owner_client(app)
    box = '<input type="checkbox" name="weekly_report_enabled" value="1"'
    page = client.get(integrations_path(widget)).text
    assert f'{box} aria-describedby="f-weekly_report_enabled-hint">' in page
    assert "Send a weekly report every Monday" in page
    assert alerts(client, widget, weekly_report_enabled="1").status_code == 302
    db.session().refresh(widget)
    assert widget.weekly_report_enabled is True
    page = client.get(integrations_path(widget)).text
    assert f'{box} aria-describedby="f-weekly_report_enabled-hint" checked>' in page


def test_refused_alert_settings_are_shown_beside_their_fields(app: Flask) -> None:
    widget = make_widget()
    client = owner_client(app)
    many = "\n".join(f"person{n}@example.com" for n in range(21))
    cases = {
        "This is not an e-mail address: not-an-address": {"alert_emails": "not-an-address"},
        "At most 20 recipients.": {"alert_emails": many},
        "Enter an https:// address": {"alert_chat_url": "https://192.168.1.1/hook"},
        "Choose an hour from 0 to 23.": {"digest_hour": "24"},
    }
    for words, form in cases.items():
        answer = alerts(client, widget, **form)
        assert answer.status_code == 400, form
        assert words in answer.text
        assert 'aria-invalid="true"' in answer.text
    db.session().refresh(widget)
    assert (widget.alert_emails, widget.alert_chat_url, widget.digest_hour) == ([], None, 8)


def test_the_number_is_shared_only_under_a_confirmed_notice_of_the_widgets_own(app: Flask) -> None:
    bare = make_widget()
    client = owner_client(app)
    refused = alerts(client, bare, share_number="1", share_confirmed="1")
    assert refused.status_code == 400
    assert "Write the widget&#39;s own privacy notice first" in refused.text
    widget = make_widget(privacy_notice=NOTICE, consent_version="2026-05")
    unconfirmed = alerts(client, widget, share_number="1")
    assert unconfirmed.status_code == 400
    assert "Confirm that the privacy notice says the number is shared." in unconfirmed.text
    assert alerts(client, widget, share_number="1", share_confirmed="1").status_code == 302
    db.session().refresh(widget)
    assert widget.webhook_number_consent_version == "2026-05"
    assert alerts(client, widget).status_code == 302
    db.session().refresh(widget)
    assert widget.webhook_number_consent_version is None


def test_a_manager_changes_alerts_but_not_the_numbers_sharing(app: Flask) -> None:
    widget = make_widget(privacy_notice=NOTICE)
    client = signed_in(app, make_account("manager", widgets=[widget]))
    page = client.get(integrations_path(widget)).text
    assert "Only an owner can change this." in page
    answer = alerts(client, widget, alert_emails="ops@example.com", share_number="1",
                    share_confirmed="1")  # fmt: skip
    assert answer.status_code == 302
    db.session().refresh(widget)
    assert widget.alert_emails == ["ops@example.com"]
    assert widget.webhook_number_consent_version is None


def test_a_manager_of_the_widget_manages_its_endpoints(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("manager", widgets=[widget]))
    assert add(client, widget).status_code == 200
    endpoint = db.session().scalars(select(WebhookEndpoint)).one()
    page = endpoint_path(endpoint)
    assert post(client, page, f"{page}/rotate", confirm="1").status_code == 200


def test_a_manager_of_another_widget_finds_nothing(app: Flask) -> None:
    widget = make_widget()
    endpoint = stored_endpoint(widget)
    delivery = delivered(widget, endpoint)
    client = signed_in(app, make_account("manager", widgets=[make_widget(name="Theirs")]))
    token = csrf_token(client.get("/console/me").text)
    path, page = integrations_path(widget), endpoint_path(endpoint)
    for url in (path, page):
        assert client.get(url).status_code == 404, url
    posts = [f"{path}/endpoints", f"{path}/alerts", page, f"{page}/rotate", f"{page}/delete",
             f"{page}/deliveries/{delivery.id}/replay"]  # fmt: skip
    for url in posts:
        answer = client.post(url, data={"csrf_token": token, "url": HOOK, "events": [FAILED],
                                        "confirm": "1", "digest_hour": "8"})  # fmt: skip
        assert answer.status_code == 404, url
    db.session().refresh(endpoint)
    assert endpoint.secret == "whsec_old"


def test_an_agent_is_told_the_pages_are_not_for_their_role(app: Flask) -> None:
    widget = make_widget()
    endpoint = stored_endpoint(widget)
    client = signed_in(app, make_account("agent", widgets=[widget], agent=make_agent()))
    for url in (integrations_path(widget), endpoint_path(endpoint)):
        answer = client.get(url)
        assert answer.status_code == 403
        assert "Not for your role" in answer.text


def test_a_post_without_its_csrf_token_changes_nothing(app: Flask) -> None:
    widget = make_widget()
    client = owner_client(app)
    path = integrations_path(widget)
    answer = client.post(f"{path}/endpoints", data={"url": HOOK, "events": list(EVENT_TYPES)})
    assert answer.status_code == 400
    assert db.session().scalars(select(WebhookEndpoint)).all() == []


def test_the_widget_page_links_to_its_integrations(app: Flask) -> None:
    widget = make_widget()
    page = owner_client(app).get(f"/console/widgets/{widget.key}").text
    assert f'href="{integrations_path(widget)}"' in page


def test_where_numbers_are_shared_a_manager_may_not_add_or_redirect_endpoints(
    app: Flask,
) -> None:
    widget = make_widget(
        privacy_notice="We pass your number to our CRM.",
        consent_version="v2",
        webhook_number_consent_version="v2",
    )
    existing = stored_endpoint(widget)
    client = signed_in(app, make_account("manager", widgets=[widget]))
    refused = add(client, widget, url="https://elsewhere.example.org/hook")
    assert refused.status_code == 400
    assert "only an owner may add an endpoint" in refused.text
    page = endpoint_path(existing)
    moved = post(client, page, page, url="https://elsewhere.example.org/hook",
                 events=[FAILED], enabled="1")  # fmt: skip
    assert moved.status_code == 400
    described = post(client, page, page, url=HOOK, events=[FAILED], enabled="1",
                     description="CRM bridge")  # fmt: skip
    assert described.status_code == 302
    urls = db.session().scalars(select(WebhookEndpoint.url)).all()
    assert urls == [HOOK]
