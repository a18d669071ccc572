"""The widget's script and configuration, and CORS on the status URL it polls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from flask.testing import FlaskClient

from callback.texts.messages import message
from tests.factories import VISITOR_TYPED, make_agent, make_widget
from tests.visitors import submit

ORIGIN = "https://www.example.com"


def test_script_is_javascript_cached_briefly_and_loadable_from_any_site(
    client: FlaskClient,
) -> None:
    with client.get("/widget.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert "public" in response.headers["Cache-Control"]
        assert "max-age=300" in response.headers["Cache-Control"]
        etag = response.headers["ETag"]
    with client.get("/widget.js", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_config_lists_allowed_countries_with_names_and_dialling_codes(
    client: FlaskClient,
) -> None:
    widget = make_widget(allowed_countries=["GB", "PL"], language="pl")
    response = client.get(f"/api/v1/widgets/{widget.key}/config", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    body = response.get_json()
    assert body["language"] == "pl"
    assert [(c["code"], c["name"], c["dial"]) for c in body["countries"]] == [
        ("GB", "Wielka Brytania", "44"),
        ("PL", "Polska", "48"),
    ]
    assert body["default_country"] == "GB"
    assert body["countries"][0]["national_prefix"] == "0"
    assert body["countries"][0]["formats"][0]["format"].startswith("$1")


def test_config_speaks_the_page_language_when_offered_else_the_widget_language(
    client: FlaskClient,
) -> None:
    widget = make_widget(language="pl")
    english = client.get(f"/api/v1/widgets/{widget.key}/config?lang=en-GB").get_json()
    assert english["language"] == "en"
    assert english["texts"]["submit"] == "Call me back"
    assert english["messages"]["invalid_number"] == message("invalid_number", "en")
    german = client.get(f"/api/v1/widgets/{widget.key}/config?lang=de").get_json()
    assert german["language"] == "pl"
    assert german["texts"]["submit"] == "Zadzwońcie do mnie"
    assert german["messages"]["consent_required"] == message("consent_required", "pl")
    assert german["texts"]["statuses"]["connected"] == "Połączono."


def test_config_carries_theme_with_a_readable_text_colour_and_reworded_labels(
    client: FlaskClient,
) -> None:
    widget = make_widget(
        theme_color="#ffd400",
        theme_position="bottom-left",
        theme_texts={"en": {"open": "Talk to a human"}},
    )
    body = client.get(f"/api/v1/widgets/{widget.key}/config?lang=en").get_json()
    assert body["theme"] == {
        "colour": "#ffd400",
        "text_colour": "#000000",
        "position": "bottom-left",
    }
    assert body["texts"]["open"] == "Talk to a human"


def test_config_carries_the_privacy_notice_link_and_consent_version(client: FlaskClient) -> None:
    widget = make_widget(privacy_policy_url="https://www.example.com/privacy")
    privacy = client.get(f"/api/v1/widgets/{widget.key}/config").get_json()["privacy"]
    assert privacy["policy_url"] == "https://www.example.com/privacy"
    assert privacy["consent_version"] == widget.consent_version
    assert "24 hours" in privacy["notice"]


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (datetime(2026, 11, 30, 10, 0, tzinfo=UTC), True),  # Monday 11:00 in Warsaw
        (datetime(2026, 11, 30, 17, 0, tzinfo=UTC), False),  # Monday 18:00 in Warsaw
        (datetime(2026, 11, 29, 10, 0, tzinfo=UTC), False),  # Sunday
    ],
)
def test_config_says_whether_the_widget_is_open_by_its_business_hours(
    client: FlaskClient, now: datetime, is_open: bool
) -> None:
    widget = make_widget(timezone="Europe/Warsaw", business_hours={"mon": [["09:00", "17:00"]]})
    with time_machine.travel(now, tick=False):
        body = client.get(f"/api/v1/widgets/{widget.key}/config").get_json()
    assert body["open"] is is_open


def test_closed_config_offers_the_next_opening_and_free_slots_in_local_time(
    client: FlaskClient,
) -> None:
    widget = make_widget(timezone="Europe/Warsaw", business_hours={"mon": [["09:00", "11:00"]]})
    make_agent()
    sunday_noon = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    with time_machine.travel(sunday_noon, tick=False):
        body = client.get(f"/api/v1/widgets/{widget.key}/config?lang=pl").get_json()
    assert body["open"] is False
    assert body["next_opening"]["at"] == "2026-11-30T08:00:00+00:00"
    assert body["next_opening"]["label"] == "pon. 30 lis, 09:00"
    assert body["slots"][0] == {"start": "2026-11-30T08:00:00+00:00", "label": "pon. 30 lis, 09:00"}
    assert len(body["slots"]) == 8  # two hours of 15-minute slots


def test_config_without_business_hours_is_always_open(client: FlaskClient) -> None:
    widget = make_widget()
    assert client.get(f"/api/v1/widgets/{widget.key}/config").get_json()["open"] is True


def test_config_refuses_an_origin_the_widget_does_not_list(client: FlaskClient) -> None:
    widget = make_widget()
    response = client.get(
        f"/api/v1/widgets/{widget.key}/config", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_config_of_unknown_widget_is_404(client: FlaskClient) -> None:
    assert client.get("/api/v1/widgets/wk_nope/config").status_code == 404


def test_status_url_answers_any_origin_and_its_preflight_allows_delete(
    client: FlaskClient,
) -> None:
    widget = make_widget()
    created = submit(client, widget.key, VISITOR_TYPED, headers={"Origin": ORIGIN}).get_json()
    path = created["status_url"].removeprefix("http://localhost")
    got = client.get(path, headers={"Origin": "https://any.example"})
    assert got.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        path,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, DELETE"
    deleted = client.delete(path, headers={"Origin": ORIGIN})
    assert deleted.get_json()["status"] == "canceled"
    assert deleted.headers["Access-Control-Allow-Origin"] == "*"


def test_status_url_with_a_wrong_token_is_404_readable_cross_origin(client: FlaskClient) -> None:
    response = client.get(
        "/api/v1/callbacks/00000000-0000-0000-0000-000000000000?token=nope",
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_admin_api_sets_and_checks_the_theme(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    widget = make_widget()
    url = f"/api/v1/admin/widgets/{widget.key}"
    ok = client.patch(
        url,
        json={"theme_color": "#0F766E", "theme_texts": {"pl": {"open": "Oddzwonimy"}}},
        headers=admin_headers,
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["theme_color"] == "#0f766e"
    bad = client.patch(url, json={"theme_color": "teal"}, headers=admin_headers)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == "theme_color"


def test_refused_submission_is_readable_by_the_widgets_page(client: FlaskClient) -> None:
    widget = make_widget()
    response = submit(client, widget.key, "12", headers={"Origin": ORIGIN})
    assert response.status_code == 422
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_script_types_are_served_beside_the_script(client: FlaskClient) -> None:
    with client.get("/widget.d.ts") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/typescript"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        text = response.get_data(as_text=True)
    assert "interface CallbackApi" in text
    for event in ("opened", "submitted", "scheduled", "connected", "completed", "failed"):
        assert f"  {event}: {{" in text
