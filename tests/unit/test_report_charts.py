"""The reports' SVG charts, checked on the parsed document: shapes, numbers, escaping."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.etree import ElementTree

import pytest
from markupsafe import Markup

from callback.reports import charts

SVG = "http://www.w3.org/2000/svg"
NS = {"svg": SVG}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
LONGEST = 376  # the plot's width for horizontal bars: 480 less margins and value room
TALLEST = 160


def parse(chart: Markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(chart))


def with_class(root: ElementTree.Element, tag: str, css: str) -> list[ElementTree.Element]:
    """Elements of one tag whose class attribute holds css among its names."""
    return [e for e in root.iter(f"{{{SVG}}}{tag}") if css in (e.get("class") or "").split()]


def texts(root: ElementTree.Element, css: str) -> list[str]:
    return [e.text or "" for e in with_class(root, "text", css)]


def number(element: ElementTree.Element, name: str) -> float:
    return float(element.get(name) or "nan")


def percent(share: float) -> str:
    return f"{share:.0%}"


def time_to_callback(bins: Sequence[tuple[str, int]], chart_id: str = "ttc") -> Markup:
    return charts.histogram(
        bins,
        chart_id=chart_id,
        title="Time to callback",
        description="Requests by seconds from request to agent reached",
        empty_text="No calls in this period",
    )


def answer_rate(
    rows: Sequence[tuple[str, float | None, float | None]],
    maximum: float | None = None,
    period_labels: tuple[str, str] | None = None,
) -> Markup:
    return charts.bars(
        rows,
        chart_id="rate",
        title="Answer rate",
        description="Share of calls each agent answered",
        empty_text="No agents",
        value_text=percent,
        maximum=maximum,
        period_labels=period_labels,
    )


def stages_funnel(stages: Sequence[tuple[str, int]]) -> Markup:
    return charts.funnel(
        stages,
        chart_id="funnel",
        title="From request to conversation",
        description="How many requests reached each stage",
        empty_text="No requests",
        share_text=percent,
    )


def week(counts: Sequence[Sequence[int]], open_hours: Sequence[Sequence[bool]]) -> Markup:
    return charts.heatmap(
        counts,
        open_hours,
        chart_id="week",
        title="Requests by hour",
        description="Requests per weekday and hour",
        weekday_labels=WEEKDAYS,
        open_label="Business hours",
    )


def office_hours() -> list[list[bool]]:
    """Monday to Friday, 9:00 to 17:00."""
    return [[day < 5 and 9 <= hour < 17 for hour in range(24)] for day in range(7)]


def test_histogram_draws_one_bar_per_bin_with_its_count_above_and_label_below() -> None:
    root = parse(time_to_callback([("0-15 s", 12), ("15-30 s", 30), ("30-60 s", 0)]))
    bars = root.findall(".//svg:rect[@class='chart-bar']", NS)
    assert [number(bar, "height") for bar in bars] == [64, 160, 0]
    assert texts(root, "chart-value") == ["12", "30", "0"]
    assert texts(root, "chart-label") == ["0-15 s", "15-30 s", "30-60 s"]
    for bar, count in zip(bars, with_class(root, "text", "chart-value"), strict=True):
        # The count sits just above its bar, and every bar stands on one baseline.
        assert number(count, "y") < number(bar, "y")
        assert number(bar, "y") + number(bar, "height") == 184
    for bar, label in zip(bars, with_class(root, "text", "chart-label"), strict=True):
        assert number(label, "y") > 184
        assert number(label, "x") == number(bar, "x") + number(bar, "width") / 2


@pytest.mark.parametrize("bins", [[], [("0-15 s", 0), ("15-30 s", 0)]])
def test_histogram_without_calls_says_so_under_its_title(bins: list[tuple[str, int]]) -> None:
    root = parse(time_to_callback(bins))
    assert root.findall(".//svg:rect", NS) == []
    assert texts(root, "chart-empty") == ["No calls in this period"]
    assert root.findtext("svg:title", namespaces=NS) == "Time to callback"
    assert root.get("aria-labelledby") == "ttc-title ttc-desc"


def test_bars_draw_last_period_as_a_dashed_outline_beneath_this_period() -> None:
    root = parse(answer_rate([("Anna", 0.8, 0.5), ("Bruno", 0.25, 1.0)], maximum=1.0))
    current = root.findall(".//svg:rect[@class='chart-bar']", NS)
    previous = root.findall(".//svg:rect[@class='chart-bar-previous']", NS)
    assert [number(bar, "width") for bar in current] == [0.8 * LONGEST, 0.25 * LONGEST]
    assert [number(bar, "width") for bar in previous] == [0.5 * LONGEST, LONGEST]
    for now, before in zip(current, previous, strict=True):
        assert before.get("fill") == "none"
        assert before.get("stroke-dasharray") == "4 3"
        assert number(before, "y") >= number(now, "y") + number(now, "height")
        assert now.get("stroke-dasharray") is None
    assert texts(root, "chart-label") == ["Anna", "Bruno"]
    assert texts(root, "chart-value") == ["80%", "50%", "25%", "100%"]
    assert texts(root, "chart-value-previous") == ["50%", "100%"]


def test_bars_show_a_dash_and_no_bar_for_a_missing_value() -> None:
    root = parse(answer_rate([("Anna", None, 0.5), ("Bruno", 0.75, None)], maximum=1.0))
    rows = root.findall(".//svg:g[@class='chart-row']", NS)
    anna, bruno = (texts(row, "chart-value") for row in rows)
    assert anna == [charts.MISSING, "50%"]
    assert bruno == ["75%", charts.MISSING]
    assert len(rows[0].findall("svg:rect[@class='chart-bar']", NS)) == 0
    assert len(rows[0].findall("svg:rect[@class='chart-bar-previous']", NS)) == 1
    assert len(rows[1].findall("svg:rect[@class='chart-bar']", NS)) == 1
    assert len(rows[1].findall("svg:rect[@class='chart-bar-previous']", NS)) == 0


def test_bars_scale_to_the_largest_value_unless_given_a_maximum_and_stay_inside() -> None:
    rows = [("Anna", 300.0, 150.0), ("Bruno", 75.0, None)]
    scaled = parse(answer_rate(rows)).findall(".//svg:rect[@class='chart-bar']", NS)
    assert [number(bar, "width") for bar in scaled] == [LONGEST, LONGEST / 4]
    capped = parse(answer_rate(rows, maximum=150.0)).findall(".//svg:rect[@class='chart-bar']", NS)
    assert [number(bar, "width") for bar in capped] == [LONGEST, LONGEST / 2]


def test_bars_key_names_both_periods_beside_a_solid_and_a_dashed_sample() -> None:
    root = parse(answer_rate([("Anna", 0.5, 0.4)], period_labels=("This week", "Last week")))
    key = root.find(".//svg:g[@class='chart-key']", NS)
    assert key is not None
    samples = key.findall("svg:rect", NS)
    assert [sample.get("class") for sample in samples] == ["chart-bar", "chart-bar-previous"]
    assert texts(key, "chart-key-label") == ["This week", "Last week"]


def test_bars_without_rows_say_so() -> None:
    root = parse(answer_rate([]))
    assert texts(root, "chart-empty") == ["No agents"]
    assert root.findall(".//svg:rect", NS) == []


def test_funnel_measures_each_stage_against_the_first() -> None:
    stages = [("Requested", 50), ("Agent reached", 45), ("Visitor reached", 42), ("Talked", 21)]
    root = parse(stages_funnel(stages))
    bars = root.findall(".//svg:rect[@class='chart-bar']", NS)
    assert [number(bar, "width") for bar in bars] == [
        LONGEST,
        round(LONGEST * 45 / 50, 1),
        round(LONGEST * 42 / 50, 1),
        round(LONGEST * 21 / 50, 1),
    ]
    assert texts(root, "chart-label") == ["Requested", "Agent reached", "Visitor reached", "Talked"]
    assert texts(root, "chart-value") == ["50 (100%)", "45 (90%)", "42 (84%)", "21 (42%)"]


@pytest.mark.parametrize("stages", [[], [("Requested", 0), ("Agent reached", 0)]])
def test_funnel_with_no_requests_says_so(stages: list[tuple[str, int]]) -> None:
    root = parse(stages_funnel(stages))
    assert texts(root, "chart-empty") == ["No requests"]
    assert root.findall(".//svg:rect", NS) == []


def test_heatmap_prints_each_nonzero_count_and_marks_open_hours() -> None:
    counts = [[0] * 24 for _ in range(7)]
    counts[0][9], counts[2][14], counts[6][3] = 4, 11, 1
    open_hours = office_hours()
    root = parse(week(counts, open_hours))
    cells = with_class(root, "g", "chart-cell")
    assert len(cells) == 7 * 24
    printed = {
        (index // 24, index % 24): [t.text for t in cell.findall("svg:text", NS)]
        for index, cell in enumerate(cells)
    }
    assert {spot: shown for spot, shown in printed.items() if shown} == {
        (0, 9): ["4"],
        (2, 14): ["11"],
        (6, 3): ["1"],
    }
    marked = [cell.find("svg:path[@class='chart-open-marker']", NS) is not None for cell in cells]
    assert marked == [is_open for day in open_hours for is_open in day]
    assert [("chart-open" in (cell.get("class") or "")) for cell in cells] == marked
    assert sum(marked) == 5 * 8


def test_heatmap_labels_weekdays_every_third_hour_and_explains_the_marker() -> None:
    root = parse(week([[1] * 24 for _ in range(7)], office_hours()))
    # Direct children: the headers and weekday names, not the counts inside cells.
    assert [e.text for e in root.findall("svg:text", NS)] == [
        "00", "03", "06", "09", "12", "15", "18", "21", *WEEKDAYS,
    ]  # fmt: skip
    key = root.find("svg:g[@class='chart-key']", NS)
    assert key is not None
    assert key.find("svg:path[@class='chart-open-marker']", NS) is not None
    assert key.findtext("svg:text", namespaces=NS) == "Business hours"


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_heatmap_darkens_with_the_count_and_keeps_its_text_legible() -> None:
    counts = [[day * 24 + hour for hour in range(24)] for day in range(7)]
    root = parse(week(counts, office_hours()))
    cells = with_class(root, "g", "chart-cell")
    fills = []
    for cell in cells:
        rect = cell.find("svg:rect", NS)
        assert rect is not None
        fill = rect.get("fill") or ""
        fills.append(luminance(fill))
        for ink in [t.get("fill") for t in cell.findall("svg:text", NS)]:
            assert ink in {"#1a1a1a", "#ffffff"}
            assert contrast(fill, ink) >= 4.5, (fill, ink)
        marker = cell.find("svg:path", NS)
        if marker is not None:
            assert contrast(fill, marker.get("fill") or "") >= 4.5
    assert fills[0] == pytest.approx(1.0)  # zero: white, no number
    assert fills[1:] == sorted(fills[1:], reverse=True)
    assert luminance(charts.INK) < fills[-1] < luminance("#333333")


@pytest.mark.parametrize(
    ("counts", "open_hours", "labels"),
    [
        ([[0] * 24] * 6, [[False] * 24] * 7, WEEKDAYS),
        ([[0] * 24] * 6 + [[0] * 23], [[False] * 24] * 7, WEEKDAYS),
        ([[0] * 24] * 7, [[False] * 24] * 7 + [[False] * 24], WEEKDAYS),
        ([[0] * 24] * 7, [[False] * 25] * 7, WEEKDAYS),
        ([[0] * 24] * 7, [[False] * 24] * 7, WEEKDAYS[:5]),
        ([[0] * 24] * 6 + [[-1] + [0] * 23], [[False] * 24] * 7, WEEKDAYS),
    ],
    ids=["six-days", "short-day", "eight-open-days", "long-open-day", "five-names", "negative"],
)
def test_heatmap_refuses_anything_but_a_week_of_hours(
    counts: list[list[int]], open_hours: list[list[bool]], labels: list[str]
) -> None:
    with pytest.raises(ValueError, match=r"counts|open_hours|weekday_labels"):
        charts.heatmap(
            counts,
            open_hours,
            chart_id="week",
            title="t",
            description="d",
            weekday_labels=labels,
            open_label="Business hours",
        )


def test_text_passed_in_comes_out_escaped_never_as_markup() -> None:
    attack = '<script>alert("x")</script>'
    chart = charts.histogram(
        [(attack, 3)], chart_id="ttc", title=attack, description=attack, empty_text=""
    )
    assert "<script" not in chart
    assert "&lt;script&gt;" in chart
    root = parse(chart)
    assert root.findall(".//svg:script", NS) == []
    assert texts(root, "chart-label") == [attack]
    assert root.findtext("svg:title", namespaces=NS) == attack
    assert root.findtext("svg:desc", namespaces=NS) == attack
    bars = str(answer_rate([(attack, 0.5, 0.2)], period_labels=(attack, attack)))
    heat = str(
        charts.heatmap(
            [[1] * 24] * 7,
            office_hours(),
            chart_id="week",
            title="t",
            description="d",
            weekday_labels=[attack] * 7,
            open_label=attack,
        )
    )
    assert "<script" not in bars + heat


def test_title_and_desc_take_their_ids_from_the_chart_id() -> None:
    roots = [parse(time_to_callback([("0-15 s", 1)], chart_id=name)) for name in ("a", "b")]
    ids = []
    for root, name in zip(roots, ("a", "b"), strict=True):
        assert root.tag == f"{{{SVG}}}svg"
        assert root.get("role") == "img"
        title, desc = root[0], root[1]
        assert (title.tag, desc.tag) == (f"{{{SVG}}}title", f"{{{SVG}}}desc")
        assert (title.get("id"), desc.get("id")) == (f"{name}-title", f"{name}-desc")
        assert root.get("aria-labelledby") == f"{name}-title {name}-desc"
        ids += [title.get("id"), desc.get("id")]
    assert len(set(ids)) == 4


@pytest.mark.parametrize("chart_id", ["", "two words", '"><x', "9lives"])
def test_a_chart_id_that_is_no_html_id_is_refused(chart_id: str) -> None:
    with pytest.raises(ValueError, match="chart_id"):
        time_to_callback([("0-15 s", 1)], chart_id=chart_id)


def test_output_is_inline_svg_the_same_each_time_with_short_coordinates() -> None:
    def draw() -> str:
        return "".join(
            str(chart)
            for chart in (
                time_to_callback([("0-15 s", 7), ("15-30 s", 3), ("30-60 s", 1)]),
                answer_rate([("Anna", 2 / 3, 1 / 7)], maximum=1.0),
                stages_funnel([("Requested", 3), ("Talked", 1)]),
                week([[day + hour for hour in range(24)] for day in range(7)], office_hours()),
            )
        )

    first = draw()
    assert first == draw()
    assert first.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    for forbidden in ("<?xml", "<script", "style=", "url(", "href", "http://www.w3.org/1999"):
        assert forbidden not in first
    coordinates = re.findall(r' (?:x|y|x1|y1|x2|y2|width|height)="([^"]*)"', first)
    assert len(coordinates) > 100
    assert all(re.fullmatch(r"-?\d+(\.\d)?", value) for value in coordinates), coordinates
