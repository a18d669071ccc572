"""Console widget pages: who may list, create, edit and delete, the form's checks, the audit
trail, the snippet and preview, and a saved change reaching the widget within its cache time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from callback import db
from callback.console import widget_form
from callback.models import AuditEntry, Widget
from tests.console_helpers import csrf_token, make_account, signed_in
from tests.factories import CALLER_ID, make_agent, make_widget

ORIGIN = "https://www.example.com"


def form_of(client: FlaskClient, path: str, **changes: Any) -> dict[str, Any]:
    """Return the form on `path` as the page fills it, with `changes`, ready to post."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    widget = db.session().scalars(select(Widget).filter_by(key=path.rsplit("/", 1)[-1])).first()
    values = widget_form.values_of(
        widget_form.settings_of(widget) if widget else widget_form.NEW_WIDGET
    )
    # A ticked box is sent as "1"; an unticked one is not sent at all.
    data: dict[str, Any] = {k: v for k, v in values.items() if not isinstance(v, bool)}
    data.update({k: "1" for k, v in values.items() if v is True})
    data["csrf_token"] = csrf_token(page.text)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session().scalars(select(AuditEntry).filter_by(action=action)))


def test_owner_lists_every_widget_with_its_hours_and_an_edit_link(app: Flask) -> None:
    first = make_widget(name="Alpha")
    second = make_widget(name="Beta", business_hours={}, language="pl")
    owner = make_account("owner")
    page = signed_in(app, owner).get("/console/widgets")
    assert page.status_code == 200
    for widget in (first, second):
        assert widget.key in page.text
        assert f"/console/widgets/{widget.key}" in page.text
    assert "/console/widgets/new" in page.text
    assert "Polski" in page.text
    assert ">closed<" in page.text
    assert ">open<" in page.text


def test_manager_lists_only_their_widgets_and_may_not_create(app: Flask) -> None:
    theirs = make_widget(name="Theirs")
    other = make_widget(name="Other")
    manager = make_account("manager", widgets=[theirs])
    client = signed_in(app, manager)
    page = client.get("/console/widgets")
    assert theirs.key in page.text
    assert other.key not in page.text
    assert "/console/widgets/new" not in page.text
    assert client.get("/console/widgets/new").status_code == 403
    token = csrf_token(page.text)
    assert client.post("/console/widgets/new", data={"csrf_token": token}).status_code == 403


def test_agent_may_not_open_widget_pages(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("agent", widgets=[widget], agent=make_agent()))
    assert client.get("/console/widgets").status_code == 403
    assert client.get("/console/widgets/new").status_code == 403
    assert client.get(f"/console/widgets/{widget.key}").status_code == 403


def test_owner_creates_a_widget_and_the_audit_says_what_was_set(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    data = form_of(
        client,
        "/console/widgets/new",
        name="Acme",
        allowed_origins=f"{ORIGIN}\nhttps://shop.example.com\n",
        default_region="PL",
        allowed_countries=["PL", "DE"],
        allowed_number_types=["MOBILE"],
        caller_id="+48 22 123 45 67",
        language="pl",
        timezone="Europe/Warsaw",
        always_open=None,
        hours_mon="09:00-12:00, 13:00-17:00",
        hours_fri="09:00 - 15:00",
        holidays_region="pl",
        closed_dates="2026-12-24\n2026-12-31",
        ring_strategy="simultaneous",
        retry_attempts="2",
        retry_intervals="60, 300",
        theme_color="#ffd400",
        theme_position="bottom-left",
        text_pl_open="Oddzwonimy",
        slot_minutes="30",
    )
    answer = client.post("/console/widgets/new", data=data)
    assert answer.status_code == 302, answer.text
    widget = db.session().scalars(select(Widget).filter_by(name="Acme")).one()
    assert answer.location.endswith(f"/console/widgets/{widget.key}")
    assert widget.allowed_origins == [ORIGIN, "https://shop.example.com"]
    assert widget.allowed_countries == ["PL", "DE"]
    assert widget.caller_id == "+48221234567"
    assert widget.business_hours == {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "fri": [["09:00", "15:00"]],
    }
    assert widget.holidays_region == "PL"
    assert widget.closed_dates == ["2026-12-24", "2026-12-31"]
    assert (widget.ring_strategy, widget.retry_attempts, widget.retry_intervals) == (
        "simultaneous",
        2,
        [60, 300],
    )
    assert (widget.theme_color, widget.theme_position) == ("#ffd400", "bottom-left")
    assert widget.theme_texts == {"pl": {"open": "Oddzwonimy"}}
    assert widget.slot_minutes == 30
    (entry,) = audit_entries("widget_created")
    assert entry.details["widget"] == widget.key
    assert entry.details["changes"]["name"] == ["", "Acme"]
    assert entry.details["changes"]["language"] == ["en", "pl"]
    assert "theme_color" in entry.details["changes"]


def test_manager_edits_their_widget_and_the_audit_holds_old_and_new(app: Flask) -> None:
    widget = make_widget(caller_id=CALLER_ID)
    manager = make_account("manager", widgets=[widget])
    client = signed_in(app, manager)
    path = f"/console/widgets/{widget.key}"
    answer = client.post(path, data=form_of(client, path, name="Renamed", caller_id=""))
    assert answer.status_code == 302, answer.text
    db.session().refresh(widget)
    assert (widget.name, widget.caller_id) == ("Renamed", None)
    (entry,) = audit_entries("widget_updated")
    assert entry.actor == f"account:{manager.id}"
    assert entry.details == {
        "widget": widget.key,
        "changes": {"name": ["Example Ltd", "Renamed"], "caller_id": [CALLER_ID, None]},
    }


def test_manager_may_not_move_their_widget_to_another_team(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("manager", widgets=[widget]))
    path = f"/console/widgets/{widget.key}"
    assert "readonly" in client.get(path).text
    answer = client.post(path, data=form_of(client, path, team="board"))
    assert answer.status_code == 400
    assert 'id="f-team-error"' in answer.text
    assert widget.team == "default"


def test_sms_box_turns_texts_on_with_a_reminder_time(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"
    assert 'name="sms_enabled" value="1">' in client.get(path).text

    client.post(path, data=form_of(client, path, sms_enabled="1", sms_reminder_minutes="30"))

    db.session().refresh(widget)
    assert (widget.sms_enabled, widget.sms_reminder_minutes) == (True, 30)
    assert 'name="sms_enabled" value="1" checked>' in client.get(path).text


def test_phone_line_box_and_offer_time_are_saved_audited_and_shown(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"
    page = client.get(path).text
    assert "Take calls on the phone line" in page
    assert "Offer a callback after (seconds)" in page
    assert 'name="line_enabled" value="1" aria-describedby="f-line_enabled-hint">' in page

    assert "Hold music" in page
    music = "https://media.example.com/hold.mp3"
    changes = {"line_enabled": "1", "line_offer_seconds": "90", "line_music_url": f" {music} "}
    answer = client.post(path, data=form_of(client, path, **changes))

    assert answer.status_code == 302, answer.text
    db.session().refresh(widget)
    assert (widget.line_enabled, widget.line_offer_seconds) == (True, 90)
    assert widget.line_music_url == music
    (entry,) = audit_entries("widget_updated")
    assert entry.details["changes"] == {
        "line_enabled": [False, True],
        "line_offer_seconds": [60, 90],
        "line_music_url": [None, music],
    }
    page = client.get(path).text
    assert 'name="line_enabled" value="1" aria-describedby="f-line_enabled-hint" checked>' in page
    assert 'name="line_offer_seconds" type="number" value="90"' in page


def test_widget_page_shows_the_voice_url_to_paste_into_twilio(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"

    page = client.get(path).text

    assert f"http://callback.test/twilio/widgets/{widget.key}/voice</code>" in page
    assert "as the Voice URL" in page
    app.config["PUBLIC_BASE_URL"] = ""
    assert "Set PUBLIC_BASE_URL to see the Voice URL" in client.get(path).text


def test_new_widget_form_has_the_phone_line_off(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    page = client.get("/console/widgets/new").text
    assert 'name="line_enabled" value="1" aria-describedby="f-line_enabled-hint">' in page
    assert "/twilio/widgets/" not in page


def test_saving_an_unchanged_form_changes_nothing_and_writes_no_audit(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"
    assert client.post(path, data=form_of(client, path)).status_code == 302
    assert audit_entries("widget_updated") == []


def test_manager_gets_404_on_another_widget_alike_an_unknown_key(app: Flask) -> None:
    theirs = make_widget()
    other = make_widget(name="Other")
    client = signed_in(app, make_account("manager", widgets=[theirs]))
    token = csrf_token(client.get("/console/widgets").text)
    assert client.get(f"/console/widgets/{other.key}").status_code == 404
    assert client.get("/console/widgets/wk_unknown").status_code == 404
    posted = client.post(f"/console/widgets/{other.key}", data={"csrf_token": token, "name": "x"})
    assert posted.status_code == 404
    assert other.name == "Other"
    delete = client.post(
        f"/console/widgets/{other.key}/delete", data={"csrf_token": token, "confirm_key": other.key}
    )
    assert delete.status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"allowed_origins": "https://www.example.com/shop"},
            "allowed_origins",
            "is not an exact origin",
        ),
        ({"default_region": "XX"}, "default_region", "is not a two-letter country code"),
        ({"caller_id": "12345"}, "caller_id", "international format"),
        ({"caller_id": "+44 1111 111"}, "caller_id", "is not a valid phone number"),
        ({"always_open": None, "hours_tue": "17:00-09:00"}, "hours_tue", "closes before it opens"),
        ({"always_open": None, "hours_wed": "9am-5pm"}, "hours_wed", "is not a time like 09:00"),
        ({"timezone": "Mars/Base"}, "timezone", "is not a time zone name"),
        ({"holidays_region": "ZZ"}, "holidays_region", "with holidays"),
        ({"closed_dates": "24/12/2026"}, "closed_dates", "is not a date like 2026-12-24"),
        ({"retry_attempts": "11"}, "retry_attempts", "must be a whole number from 1 to 10"),
        ({"retry_intervals": "60, soon"}, "retry_intervals", "must be a whole number"),
        ({"slot_minutes": "7"}, "slot_minutes", "must be one of 5, 10, 15, 20, 30, 60"),
        ({"name": "  "}, "name", "must be a non-empty string"),
        ({"theme_color": "red"}, "theme_color", "is not a colour"),
        ({"privacy_policy_url": "ftp://example.com"}, "privacy_policy_url", "http(s) URL"),
        ({"allowed_number_types": ["PHONEBOX"]}, "allowed_number_types", "number type name"),
        ({"display_scroll_percent": "0"}, "display_scroll_percent", "from 1 to 100"),
        ({"display_after_seconds": "soon"}, "display_after_seconds", "from 0 to 3600"),
        ({"display_paths": "/ok\npricing"}, "display_paths", "is not a path pattern"),
        ({"line_offer_seconds": "3601"}, "line_offer_seconds", "from 0 to 3600"),
        ({"line_offer_seconds": "soon"}, "line_offer_seconds", "from 0 to 3600"),
        ({"line_music_url": "hold.mp3"}, "line_music_url", "http(s) URL"),
    ],
)
def test_a_refused_setting_is_shown_beside_its_field_keeping_what_was_typed(
    app: Flask, changes: dict[str, Any], field: str, words: str
) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"
    answer = client.post(path, data=form_of(client, path, **changes))
    assert answer.status_code == 400
    assert f'id="f-{field}-error"' in answer.text
    assert words in answer.text.replace("&#39;", "'").replace("&quot;", '"')
    typed = next(v for k, v in changes.items() if v is not None and k != "always_open")
    if isinstance(typed, str) and typed.strip():
        assert typed.split("\n")[0].replace("&", "&amp;") in answer.text
    assert db.session().get(Widget, widget.id).name == "Example Ltd"
    assert audit_entries("widget_updated") == []


def test_creating_refuses_a_bad_origin_as_a_form_error(app: Flask) -> None:
    client = signed_in(app, make_account("owner"))
    data = form_of(client, "/console/widgets/new", name="Acme", allowed_origins="*.example.com")
    answer = client.post("/console/widgets/new", data=data)
    assert answer.status_code == 400
    assert 'id="f-allowed_origins-error"' in answer.text
    assert "*.example.com" in answer.text
    assert db.session().scalars(select(Widget).filter_by(name="Acme")).first() is None


def test_a_post_without_the_csrf_token_is_refused(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"
    data = form_of(client, path, name="Renamed")
    del data["csrf_token"]
    assert client.post(path, data=data).status_code == 400
    assert client.post("/console/widgets/new", data=data).status_code == 400
    assert client.post(f"{path}/delete", data={"confirm_key": widget.key}).status_code == 400
    assert widget.name == "Example Ltd"


def test_edit_page_shows_the_snippet_to_paste_and_a_preview_that_cannot_send(app: Flask) -> None:
    widget = make_widget(theme_color="#ffd400", theme_texts={"en": {"open": "Talk to us"}})
    client = signed_in(app, make_account("owner"))
    page = client.get(f"/console/widgets/{widget.key}")
    snippet = (
        "&lt;script src=&#34;http://callback.test/widget.js&#34;"
        f" data-widget=&#34;{widget.key}&#34; async&gt;&lt;/script&gt;"
    )
    assert f'<pre><code id="snippet-code">{snippet}</code></pre>' in page.text
    assert 'data-copy="snippet-code"' in page.text
    assert "widgets.js" in page.text
    assert "--c: #ffd400; --t: #000000" in page.text
    assert "Talk to us" in page.text
    # The real form page, framed with forms (and scripts) sandboxed off.
    assert f'src="/w/{widget.key}?lang=en" sandbox=""' in page.text
    assert "<script>" not in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "frame-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    framed = client.get(f"/w/{widget.key}?lang=en")
    assert "'self'" in framed.headers["Content-Security-Policy"].split("frame-ancestors")[1]


def test_owner_deletes_a_widget_after_typing_its_key(app: Flask) -> None:
    widget = make_widget()
    key = widget.key
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{key}"
    token = csrf_token(client.get(path).text)
    wrong = client.post(f"{path}/delete", data={"csrf_token": token, "confirm_key": "nope"})
    assert wrong.status_code == 400
    assert 'id="f-confirm_key-error"' in wrong.text
    answer = client.post(f"{path}/delete", data={"csrf_token": token, "confirm_key": key})
    assert answer.status_code == 302
    assert db.session().scalars(select(Widget).filter_by(key=key)).first() is None
    (entry,) = audit_entries("widget_deleted")
    assert entry.details["widget"] == key
    assert entry.details["changes"]["name"] == ["Example Ltd", None]


def test_manager_may_not_delete_their_widget(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("manager", widgets=[widget]))
    path = f"/console/widgets/{widget.key}"
    page = client.get(path)
    assert "/delete" not in page.text
    answer = client.post(
        f"{path}/delete", data={"csrf_token": csrf_token(page.text), "confirm_key": widget.key}
    )
    assert answer.status_code == 403
    assert db.session().get(Widget, widget.id) is not None


def test_a_console_edit_reaches_the_widget_config_and_form_within_the_cache_time(
    app: Flask,
) -> None:
    # The cache is on (WIDGET_CACHE_SECONDS); the clock stands still, so the change must
    # show without waiting for any cached copy to expire.
    assert app.config["WIDGET_CACHE_SECONDS"] > 0
    widget = make_widget()
    visitor = app.test_client()
    client = signed_in(app, make_account("manager", widgets=[widget]))
    config_url = f"/api/v1/widgets/{widget.key}/config?lang=en"
    # Frozen at the present: the sign-in's CSRF token and session stay valid.
    with time_machine.travel(datetime.now(UTC), tick=False):
        before = visitor.get(config_url, headers={"Origin": ORIGIN}).get_json()
        assert before["theme"]["colour"] != "#ffd400"
        assert "Renamed Ltd" not in visitor.get(f"/w/{widget.key}?lang=en").text
        path = f"/console/widgets/{widget.key}"
        data = form_of(
            client,
            path,
            theme_color="#ffd400",
            text_en_open="Talk to us",
            name="Renamed Ltd",
            always_open=None,
        )
        assert client.post(path, data=data).status_code == 302
        after = visitor.get(config_url, headers={"Origin": ORIGIN}).get_json()
        form_page = visitor.get(f"/w/{widget.key}?lang=en").text
    assert after["theme"]["colour"] == "#ffd400"
    assert after["texts"]["open"] == "Talk to us"
    assert after["open"] is False  # no day has hours any more
    assert "Renamed Ltd" in form_page


def test_edit_page_policy_lets_its_own_scripts_run(app: Flask) -> None:
    widget = make_widget()
    page = signed_in(app, make_account("owner")).get(f"/console/widgets/{widget.key}")
    directives = dict(
        d.strip().partition(" ")[::2] for d in page.headers["Content-Security-Policy"].split(";")
    )
    # A placeholder left in the header would make Chromium drop the directive: no widgets.js.
    # Every console page carries its request's nonce (for Flask-Security's own scripts).
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{22}'", directives["script-src"])
    assert directives["frame-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "{" not in page.headers["Content-Security-Policy"]


def test_unticking_ring_other_languages_is_saved_audited_and_shown(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"
    box = '<input type="checkbox" name="ring_other_languages" value="1"'
    hint = ' aria-describedby="f-ring_other_languages-hint"'
    assert f"{box}{hint} checked>" in client.get(path).text
    answer = client.post(path, data=form_of(client, path, ring_other_languages=None))
    assert answer.status_code == 302, answer.text
    db.session().refresh(widget)
    assert widget.ring_other_languages is False
    (entry,) = audit_entries("widget_updated")
    assert entry.details["changes"] == {"ring_other_languages": [True, False]}
    assert f"{box}{hint}>" in client.get(path).text
    ticked = form_of(client, path, ring_other_languages="1")
    assert client.post(path, data=ticked).status_code == 302
    db.session().refresh(widget)
    assert widget.ring_other_languages is True


def test_display_rules_set_in_the_console_reach_the_widget_config(app: Flask) -> None:
    widget = make_widget()
    client = signed_in(app, make_account("owner"))
    path = f"/console/widgets/{widget.key}"
    changes = {
        "display_action": "open",
        "display_after_seconds": "45",
        "display_on_exit_intent": "1",
        "display_scroll_percent": "",
        "display_paths": "/pricing*\n\n/contact",
    }
    answer = client.post(path, data=form_of(client, path, **changes))
    assert answer.status_code == 302, answer.text
    config = client.get(f"/api/v1/widgets/{widget.key}/config").get_json()
    assert config["display"] == {
        "action": "open",
        "after_seconds": 45,
        "exit_intent": True,
        "scroll_percent": None,
        "paths": ["/pricing*", "/contact"],
    }
    page = client.get(path).text
    assert 'name="display_on_exit_intent" value="1" checked' in page
    assert "/pricing*\n/contact</textarea>" in page
