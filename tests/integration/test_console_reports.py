"""The reports pages: each report with its chart and numbers, the CSV, who may see which widget."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from callback.models import RequestStatus, Widget
from tests.console_helpers import ConsoleClient, csrf_token, make_account, signed_in
from tests.factories import make_agent, make_widget
from tests.report_history import Past, add_line_history, make_history, store, warsaw

WEEK = "from=2026-11-23&to=2026-11-29"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def history(app: Flask) -> Widget:
    return make_history()


@pytest.fixture
def owner(app: Flask, history: Widget) -> ConsoleClient:
    return signed_in(app, make_account("owner"))


def report(client: ConsoleClient, widget: Widget, section: str, period: str = WEEK) -> str:
    answer = client.get(f"/console/reports?widget={widget.id}&section={section}&{period}")
    assert answer.status_code == 200, answer.text
    return answer.text


def svg_texts(html: str) -> list[str]:
    """Return every text drawn in the page's charts."""
    texts = []
    for chunk in html.split("<svg")[1:]:
        root = ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")
        texts += ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]
    return texts


def csv_rows(client: ConsoleClient, widget: Widget, section: str) -> list[dict[str, str]]:
    answer = client.get(f"/console/reports.csv?widget={widget.id}&section={section}&{WEEK}")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert f"callback-{section}-2026-11-23-2026-11-29.csv" in answer.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_time_to_callback_shows_median_p90_and_a_chart_of_the_bands(
    owner: ConsoleClient, history: Widget
) -> None:
    page = report(owner, history, "time")

    assert "40 s" in page  # median until an agent answered: 10, 40, 45, 200
    assert "3 min 20 s" in page  # its p90
    assert "1 min 10 s" in page  # p90 until the visitor was connected: 25, 60, 70
    drawn = svg_texts(page)
    assert drawn.count("2") >= 2  # the 30-60 s band of agents, the 1-2 min band of visitors


def test_agents_report_lists_each_agent_with_answer_rate_and_previous_period(
    owner: ConsoleClient, history: Widget
) -> None:
    page = report(owner, history, "agents")

    assert "Ada" in page
    assert "Ben" in page
    assert "50%" in page  # Ada answered 2 of 4
    assert "100%" in page  # Ben 2 of 2, and Ada the week before
    assert "2 min 0 s" in page  # Ada's talk time


def test_pages_report_shows_the_funnel_and_each_path(owner: ConsoleClient, history: Widget) -> None:
    page = report(owner, history, "pages")

    for path in ("/contact", "/pricing", "/"):
        assert f'<th scope="row" class="wrap">{path}</th>' in page
    assert "email=a" not in page  # only the path was kept
    assert any("33%" in text for text in svg_texts(page))  # 2 of 6 talked 30 s or more


def test_campaigns_report_groups_requests_without_a_campaign(
    owner: ConsoleClient, history: Widget
) -> None:
    rows = csv_rows(owner, history, "campaigns")

    found = {row["campaign"]: (row["requested"], row["talked_30s"]) for row in rows}
    assert found == {"(none)": ("4", "1"), "autumn": ("2", "1"), "(total)": ("6", "2")}
    assert "autumn" in report(owner, history, "campaigns")


def test_heat_map_marks_business_hours_and_counts_by_local_hour(
    owner: ConsoleClient, history: Widget
) -> None:
    page = report(owner, history, "hours")

    assert "Europe/Warsaw" in page
    cells = {(row["weekday"], row["hour"]): row for row in csv_rows(owner, history, "hours")}
    assert cells["mon", "10"]["requests"] == "2"
    assert cells["mon", "10"]["business_hours"] == "yes"
    assert cells["tue", "18"]["business_hours"] == "no"
    assert cells["mon", "10"]["previous_requests"] == "1"


def test_on_time_report_and_csv(owner: ConsoleClient, history: Widget) -> None:
    assert "50%" in report(owner, history, "on-time")

    (row,) = csv_rows(owner, history, "on-time")
    assert (row["scheduled"], row["kept"], row["kept_share"]) == ("2", "1", "0.5000")


def test_time_csv_holds_the_numbers_behind_the_chart(owner: ConsoleClient, history: Widget) -> None:
    rows = csv_rows(owner, history, "time")

    agent = {row["statistic"]: row for row in rows if row["measure"] == "agent"}
    assert agent["median_seconds"]["this_period"] == "40"
    assert agent["median_seconds"]["previous_period"] == "20"
    assert agent["from_30_to_60_seconds"]["this_period"] == "2"
    assert agent["from_3600_seconds_up"]["this_period"] == "0"


def test_a_page_that_reads_as_a_formula_is_written_as_text_in_the_csv(
    owner: ConsoleClient, history: Widget
) -> None:
    store(history, Past(warsaw(24, 9), RequestStatus.CANCELED, campaign="=HYPERLINK(1)"))

    rows = csv_rows(owner, history, "campaigns")
    assert "'=HYPERLINK(1)" in {row["campaign"] for row in rows}


def test_polish_page_writes_numbers_and_texts_in_polish(
    owner: ConsoleClient, history: Widget
) -> None:
    me = owner.get("/console/me")
    owner.post(
        "/console/me", data={"name": "Olga", "language": "pl", "csrf_token": csrf_token(me.text)}
    )
    page = report(owner, history, "agents")

    assert "Konsultanci" in page
    assert "50%" in page
    assert "2 min 0 s" in page


def test_a_bad_date_is_a_form_error_not_a_report(owner: ConsoleClient, history: Widget) -> None:
    answer = owner.get(f"/console/reports?widget={history.id}&from=2026-13-01")

    assert answer.status_code == 400
    assert "Enter the first day as a date" in answer.text
    reversed_ = owner.get(f"/console/reports?widget={history.id}&from=2026-11-30&to=2026-11-01")
    assert "must not be after the last day" in reversed_.text
    assert owner.get(f"/console/reports.csv?widget={history.id}&from=x").status_code == 400


def test_a_manager_sees_only_the_widgets_they_manage(app: Flask, history: Widget) -> None:
    theirs = make_widget(name="Theirs")
    manager = signed_in(app, make_account("manager", widgets=[theirs]))

    page = manager.get(f"/console/reports?widget={history.id}&{WEEK}").text
    assert "Theirs" in page
    assert "Example Ltd" not in page  # asked for another widget: shown their own instead
    assert "/pricing" not in manager.get(f"/console/reports.csv?widget={history.id}").text


def test_agents_may_not_open_reports(app: Flask, history: Widget) -> None:
    agent = signed_in(app, make_account("agent", agent=make_agent(name="Cy")))

    assert agent.get("/console/reports").status_code == 403
    assert agent.get("/console/reports.csv").status_code == 403


def test_phone_line_report_and_csv_count_the_line_apart(
    owner: ConsoleClient, history: Widget
) -> None:
    add_line_history(history)

    page = report(owner, history, "line")
    assert ">Phone line<" in page
    assert "Abandon rate in line" in page
    assert "40%" in page  # 2 of 5 callers hung up in line
    assert 'id="line-none"' not in page
    rows = {row["figure"]: row for row in csv_rows(owner, history, "line")}
    assert list(rows) == [
        "callers",
        "answered_on_line",
        "abandoned_in_line",
        "abandon_rate",
        "callbacks_offered",
        "callbacks_taken",
        "take_rate",
        "callbacks_completed",
    ]
    figures = {name: (row["this_period"], row["previous_period"]) for name, row in rows.items()}
    assert figures["callers"] == ("5", "1")
    assert figures["answered_on_line"] == ("1", "1")
    assert figures["abandoned_in_line"] == ("2", "0")
    assert figures["abandon_rate"] == ("0.4000", "0.0000")
    assert figures["callbacks_offered"] == ("3", "0")
    assert figures["callbacks_taken"] == ("2", "0")
    assert figures["take_rate"] == ("0.6667", "")
    assert figures["callbacks_completed"] == ("1", "0")
    # The web reports do not count the callers.
    assert {row["page"]: row for row in csv_rows(owner, history, "pages")}["(total)"][
        "requested"
    ] == "6"


def test_phone_line_report_says_when_no_one_called(owner: ConsoleClient, history: Widget) -> None:
    page = report(owner, history, "line")

    assert "No phone calls in this period." in page
    assert "<table" not in page


def test_polish_phone_line_report(owner: ConsoleClient, history: Widget) -> None:
    add_line_history(history)
    me = owner.get("/console/me")
    owner.post(
        "/console/me", data={"name": "Olga", "language": "pl", "csrf_token": csrf_token(me.text)}
    )

    page = report(owner, history, "line")
    assert "Linia telefoniczna" in page
    assert "Odsetek rozłączeń w kolejce" in page
    assert "40%" in page
