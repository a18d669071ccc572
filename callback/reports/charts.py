"""Server-side SVG charts for the reports pages, readable without colour and free of scripts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup

SVG_NAMESPACE = "http://www.w3.org/2000/svg"

# Defaults as presentation attributes, which any CSS rule on the classes overrides. Text is
# INK on white (17:1); bars are a dark blue (8:1 against white), so no hue carries meaning.
INK = "#1a1a1a"
PAPER = "#ffffff"
BAR = "#1f4e79"
GRID = "#bdbdbd"
DASHES = "4 3"
MISSING = "\N{EN DASH}"  # a value with no data, shown where its bar would be

MARGIN = 8
EMPTY_HEIGHT = 40

# Histogram: one slot per bin, wide enough for a label such as "120 to 180 s".
SLOT = 64
COLUMN = 44
TALLEST = 160
COUNT_ROOM = 24
LABEL_ROOM = 28

# Horizontal bars (bars, funnel): the label on its own line above, so long agent names and
# translations never collide with the bars; the value text right of the bar's end.
WIDTH = 480
VALUE_ROOM = 88
LONGEST = WIDTH - 2 * MARGIN - VALUE_ROOM
LABEL_LINE = 18
CURRENT_HEIGHT = 16
PREVIOUS_HEIGHT = 12
BAR_GAP = 4
ROW_GAP = 14
BARS_ROW = LABEL_LINE + CURRENT_HEIGHT + BAR_GAP + PREVIOUS_HEIGHT + ROW_GAP
FUNNEL_ROW = LABEL_LINE + CURRENT_HEIGHT + ROW_GAP
KEY_LINE = 20

# Heat map: 7 weekdays (Monday first) by 24 hours.
DAYS = 7
HOURS = 24
HOUR_LABEL_EVERY = 3
CELL_WIDTH = 26
CELL_HEIGHT = 22
CELL_GAP = 2
DAY_ROOM = 56
HOUR_ROOM = 22
MARKER = 8

# Grey levels (0-255) for cells: dark text stays >= 4.5:1 down to 130, white text from 118
# up; greys in between reach neither, so the ramp skips them.
LIGHTEST_GREY = 235
DARK_TEXT_FROM = 130
WHITE_TEXT_TO = 118
DARKEST_GREY = 34

Attributes = Mapping[str, str | float]

_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def histogram(
    bins: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    description: str,
    empty_text: str,
) -> Markup:
    """Draw one vertical bar per bin, with its count above and its label below."""
    tallest = max((count for _, count in bins), default=0)
    if tallest <= 0:
        return _empty(chart_id, "histogram", title, description, empty_text)
    baseline = COUNT_ROOM + TALLEST
    width = 2 * MARGIN + SLOT * len(bins)
    body = [
        _histogram_bin(MARGIN + index * SLOT, label, count, tallest)
        for index, (label, count) in enumerate(bins)
    ]
    axis = {"x1": MARGIN, "y1": baseline, "x2": width - MARGIN, "y2": baseline}
    body.append(_element("line", {"class": "chart-axis", **axis, "stroke": INK}))
    size = (width, baseline + LABEL_ROOM)
    return _svg(chart_id, "histogram", size, title, description, body)


def bars(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    chart_id: str,
    title: str,
    description: str,
    empty_text: str,
    value_text: Callable[[float], str],
    maximum: float | None = None,
    period_labels: tuple[str, str] | None = None,
) -> Markup:
    """Draw a solid bar per row for this period, a dashed outline beneath for the previous one."""
    if not rows:
        return _empty(chart_id, "bars", title, description, empty_text)
    if maximum is None:
        present = [value for _, *pair in rows for value in pair if value is not None]
        maximum = max(present, default=0.0)
    body = [_period_key(*period_labels)] if period_labels else []
    top = MARGIN + (2 * KEY_LINE if period_labels else 0)
    for index, row in enumerate(rows):
        body.append(_bars_row(top + index * BARS_ROW, row, maximum, value_text))
    size = (WIDTH, top + len(rows) * BARS_ROW)
    return _svg(chart_id, "bars", size, title, description, body)


def funnel(
    stages: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    description: str,
    empty_text: str,
    share_text: Callable[[float], str],
) -> Markup:
    """Draw each stage's count as a bar, its width and share taken against the first stage."""
    # Every share is of the first stage: with nobody there, there is nothing to compare.
    if not stages or stages[0][1] <= 0:
        return _empty(chart_id, "funnel", title, description, empty_text)
    first = stages[0][1]
    body: list[Markup] = []
    for index, (label, count) in enumerate(stages):
        top = MARGIN + index * FUNNEL_ROW
        shown = f"{count} ({share_text(count / first)})"
        body.append(_row(top, label, _measured_bar(top + LABEL_LINE, count, first, shown)))
    size = (WIDTH, MARGIN + len(stages) * FUNNEL_ROW)
    return _svg(chart_id, "funnel", size, title, description, body)


def heatmap(
    counts: Sequence[Sequence[int]],
    open_hours: Sequence[Sequence[bool]],
    *,
    chart_id: str,
    title: str,
    description: str,
    weekday_labels: Sequence[str],
    open_label: str,
) -> Markup:
    """Draw requests per weekday and hour as shaded cells, each count printed, open hours marked."""
    _check_week(counts, open_hours, weekday_labels)
    busiest = max(max(day) for day in counts)
    body = [*_hour_headers(), *_day_labels(weekday_labels)]
    for day in range(DAYS):
        for hour in range(HOURS):
            body.append(_cell(day, hour, counts[day][hour], busiest, open_hours[day][hour]))
    key_top = HOUR_ROOM + DAYS * (CELL_HEIGHT + CELL_GAP) + MARGIN
    body.append(_open_key(key_top, open_label))
    size = (DAY_ROOM + HOURS * (CELL_WIDTH + CELL_GAP) + MARGIN, key_top + CELL_HEIGHT + MARGIN)
    return _svg(chart_id, "heatmap", size, title, description, body)


def _number(value: float) -> str:
    """Write a coordinate with at most one decimal, so equal input gives equal output."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}"


def _element(tag: str, attributes: Attributes, *children: str) -> Markup:
    """Write one element; attribute values and plain-string children are escaped."""
    written = Markup("").join(
        Markup(' {}="{}"').format(name, value if isinstance(value, str) else _number(value))
        for name, value in attributes.items()
    )
    if not children:
        return Markup("<{}{}/>").format(tag, written)
    # join escapes whatever is not already Markup: every text passed in by a caller.
    return Markup("<{0}{1}>{2}</{0}>").format(tag, written, Markup("").join(children))


def _text(
    x: float, y: float, content: str, *, css: str = "chart-value", anchor: str = "start"
) -> Markup:
    """Write text in INK, which is only ever placed on white or light grey."""
    attributes: Attributes = {"class": css, "x": x, "y": y, "text-anchor": anchor, "fill": INK}
    return _element("text", attributes, content)


def _svg(
    chart_id: str,
    kind: str,
    size: tuple[float, float],
    title: str,
    description: str,
    body: Sequence[Markup],
) -> Markup:
    """Wrap a chart's parts in an inline <svg> labelled by its own title and description."""
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"chart_id must be usable as an HTML id, not {chart_id!r}")
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    attributes: Attributes = {
        "xmlns": SVG_NAMESPACE,
        "class": f"chart chart-{kind}",
        "role": "img",
        "aria-labelledby": f"{title_id} {desc_id}",
        "viewBox": f"0 0 {_number(size[0])} {_number(size[1])}",
        # A natural size, so a narrow chart is not blown up; CSS may still scale it down.
        "width": size[0],
        "height": size[1],
        "font-family": "sans-serif",
        "font-size": 12,
    }
    heading = [_element("title", {"id": title_id}, title)]
    heading.append(_element("desc", {"id": desc_id}, description))
    return _element("svg", attributes, *heading, *body)


def _empty(chart_id: str, kind: str, title: str, description: str, empty_text: str) -> Markup:
    """Say there is nothing to draw, in a chart of the same kind and labelling."""
    note = _text(MARGIN, EMPTY_HEIGHT / 2 + 4, empty_text, css="chart-empty")
    return _svg(chart_id, kind, (WIDTH, EMPTY_HEIGHT), title, description, [note])


def _histogram_bin(left: float, label: str, count: int, tallest: int) -> Markup:
    """One bin: its bar (drawn even at zero height, so bars and bins pair), count and label."""
    centre = left + SLOT / 2
    height = TALLEST * max(count, 0) / tallest
    top = COUNT_ROOM + TALLEST - height
    box = {"x": centre - COLUMN / 2, "y": top, "width": COLUMN, "height": height}
    bar = _element("rect", {"class": "chart-bar", **box, "fill": BAR})
    shown = _text(centre, top - 6, str(count), anchor="middle")
    below = _text(centre, COUNT_ROOM + TALLEST + 18, label, css="chart-label", anchor="middle")
    return _element("g", {"class": "chart-bin"}, bar, shown, below)


def _row(top: float, label: str, parts: Sequence[Markup]) -> Markup:
    """Group a label, on its own line, with the bars drawn under it."""
    heading = _text(MARGIN, top + LABEL_LINE - 5, label, css="chart-label")
    return _element("g", {"class": "chart-row"}, heading, *parts)


def _bars_row(
    top: float,
    row: tuple[str, float | None, float | None],
    maximum: float,
    value_text: Callable[[float], str],
) -> Markup:
    """One row of `bars`: this period's bar, then the previous period's beneath it."""
    label, current, previous = row
    parts = _maybe_bar(top + LABEL_LINE, current, maximum, value_text, previous=False)
    below = top + LABEL_LINE + CURRENT_HEIGHT + BAR_GAP
    parts += _maybe_bar(below, previous, maximum, value_text, previous=True)
    return _row(top, label, parts)


def _maybe_bar(
    top: float,
    value: float | None,
    maximum: float,
    value_text: Callable[[float], str],
    *,
    previous: bool,
) -> list[Markup]:
    """A bar with its value text; a missing value leaves a dash, so the gap reads as such."""
    if value is None:
        height = PREVIOUS_HEIGHT if previous else CURRENT_HEIGHT
        css = "chart-value chart-value-previous" if previous else "chart-value"
        return [_text(MARGIN, top + height / 2 + 4, MISSING, css=css)]
    return _measured_bar(top, value, maximum, value_text(value), previous=previous)


def _measured_bar(
    top: float, value: float, maximum: float, shown: str, *, previous: bool = False
) -> list[Markup]:
    """A bar as long as value is of maximum (clamped to the plot), its text past the end."""
    share = min(max(value, 0.0), maximum) / maximum if maximum > 0 else 0.0
    width = LONGEST * share
    height = PREVIOUS_HEIGHT if previous else CURRENT_HEIGHT
    box = {"x": MARGIN, "y": top, "width": width, "height": height}
    rect = _element("rect", {**box, **_bar_look(previous=previous)})
    css = "chart-value chart-value-previous" if previous else "chart-value"
    return [rect, _text(MARGIN + width + 6, top + height / 2 + 4, shown, css=css)]


def _bar_look(*, previous: bool) -> Attributes:
    """A solid bar for now; a thinner dashed outline for before, told apart by shape."""
    if previous:
        return {
            "class": "chart-bar-previous",
            "fill": "none",
            "stroke": BAR,
            "stroke-width": 1.5,
            "stroke-dasharray": DASHES,
        }
    return {"class": "chart-bar", "fill": BAR}


def _period_key(current: str, previous: str) -> Markup:
    """Name the two periods next to a sample of each bar, one line each."""
    lines = []
    for index, (label, previous_look) in enumerate(((current, False), (previous, True))):
        top = MARGIN + index * KEY_LINE
        box = {"x": MARGIN, "y": top + 2, "width": 20, "height": PREVIOUS_HEIGHT}
        lines.append(_element("rect", {**box, **_bar_look(previous=previous_look)}))
        lines.append(_text(MARGIN + 28, top + 12, label, css="chart-key-label"))
    return _element("g", {"class": "chart-key"}, *lines)


def _check_week(
    counts: Sequence[Sequence[int]],
    open_hours: Sequence[Sequence[bool]],
    weekday_labels: Sequence[str],
) -> None:
    """Refuse anything but 7 days of 24 hours: a short row would shift every cell after it."""
    grids: dict[str, Sequence[Sequence[object]]] = {"counts": counts, "open_hours": open_hours}
    for name, grid in grids.items():
        if len(grid) != DAYS or any(len(day) != HOURS for day in grid):
            raise ValueError(f"{name} must be {DAYS} rows (Monday first) of {HOURS} hours")
    if len(weekday_labels) != DAYS:
        raise ValueError(f"weekday_labels must name {DAYS} days, Monday first")
    if any(count < 0 for day in counts for count in day):
        raise ValueError("counts cannot be negative")


def _hour_headers() -> list[Markup]:
    """Label every third hour above its column, as text."""
    return [
        _text(_cell_left(hour) + CELL_WIDTH / 2, HOUR_ROOM - 8, f"{hour:02d}", anchor="middle")
        for hour in range(0, HOURS, HOUR_LABEL_EVERY)
    ]


def _day_labels(weekday_labels: Sequence[str]) -> list[Markup]:
    """Name each row's weekday, right-aligned against the grid."""
    return [
        _text(DAY_ROOM - 6, _cell_top(day) + CELL_HEIGHT / 2 + 4, label, anchor="end")
        for day, label in enumerate(weekday_labels)
    ]


def _cell_left(hour: int) -> float:
    return DAY_ROOM + hour * (CELL_WIDTH + CELL_GAP)


def _cell_top(day: int) -> float:
    return HOUR_ROOM + day * (CELL_HEIGHT + CELL_GAP)


def _cell(day: int, hour: int, count: int, busiest: int, is_open: bool) -> Markup:
    """One hour of one day: its shade, its count unless zero, a corner marker if open."""
    x, y = _cell_left(hour), _cell_top(day)
    fill, ink = _shade(count, busiest)
    box = {"x": x, "y": y, "width": CELL_WIDTH, "height": CELL_HEIGHT}
    parts = [_element("rect", {**box, "fill": fill, "stroke": GRID})]
    if count:
        place = {"x": x + CELL_WIDTH / 2, "y": y + CELL_HEIGHT / 2 + 4}
        attributes: Attributes = {
            "class": "chart-value",
            **place,
            "text-anchor": "middle",
            "fill": ink,
        }
        parts.append(_element("text", attributes, str(count)))
    if is_open:
        parts.append(_open_marker(x, y, ink))
    css = "chart-cell chart-open" if is_open else "chart-cell"
    return _element("g", {"class": css, "font-size": 10}, *parts)


def _shade(count: int, busiest: int) -> tuple[str, str]:
    """A cell's grey, darker in proportion to its count, and the text colour legible on it."""
    if count <= 0 or busiest <= 0:
        return PAPER, INK
    light_span = LIGHTEST_GREY - DARK_TEXT_FROM
    step = count / busiest * (light_span + WHITE_TEXT_TO - DARKEST_GREY)
    if step <= light_span:
        grey = round(LIGHTEST_GREY - step)
    else:
        grey = round(WHITE_TEXT_TO - (step - light_span))
    fill = f"#{grey:02x}{grey:02x}{grey:02x}"
    return fill, INK if grey >= DARK_TEXT_FROM else PAPER


def _open_marker(x: float, y: float, ink: str) -> Markup:
    """A triangle in the cell's top-left corner, in its text colour so it shows on any shade."""
    path = f"M{_number(x)} {_number(y)}h{MARKER}l-{MARKER} {MARKER}z"
    return _element("path", {"class": "chart-open-marker", "d": path, "fill": ink})


def _open_key(top: float, open_label: str) -> Markup:
    """Explain the corner marker with a sample cell and the page's words for open hours."""
    box = {"x": DAY_ROOM, "y": top, "width": CELL_WIDTH, "height": CELL_HEIGHT}
    sample = _element("rect", {**box, "fill": PAPER, "stroke": GRID})
    marker = _open_marker(DAY_ROOM, top, INK)
    label = _text(DAY_ROOM + CELL_WIDTH + 8, top + CELL_HEIGHT / 2 + 4, open_label)
    return _element("g", {"class": "chart-key"}, sample, marker, label)
