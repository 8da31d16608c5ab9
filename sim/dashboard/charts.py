"""The dashboard's charts as ECharts options: plain dicts the browser draws, no images.

The page used to draw two matplotlib figures on the server every Step or play tick (about
700 ms of CPU a tick, over 99% of it). These options are drawn by Apache ECharts in the browser
(through Solara's ECharts widget, ``dashboards/app.py``); a tick sends each chart's points and
the browser redraws its lines in a few milliseconds. ECharts rather than Vega-Lite (Mesa's Altair
backend, Solara's ``FigureAltair``): Solara re-embeds a Vega-Lite view from scratch after a 100 ms
debounce on every change, while an ECharts instance takes new options in place; and it ships with
Solara (no new Python package), while Plotly needs ``plotly`` and its widget.

Nothing here imports Solara, so the options are tested without a browser. Text sizes are in CSS
pixels and at least :data:`TEXT_PX` (readable from the back of a room on a projector).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Smallest chart text, in CSS pixels (axis labels, legend, title).
TEXT_PX = 16
#: Colours of run A and run B (compare mode); the team view and "Today" use the same.
RUN_COLOURS = ("#1565c0", "#d84315")
#: The shortest x-axis, in working days, before the run has gone that far.
MIN_AXIS_DAYS = 20


def axis_days(day: int, days: int) -> int:
    """The x-axis' right end: ahead of ``day`` by a quarter (at least 10 days), on a round number.

    The axis grows with the run instead of squeezing the first weeks into a corner of a
    780-day axis; it moves in steps (20, 50 or 100 days) so it does not shift every tick.
    """
    ahead = day + max(10, day // 4)
    step = 20 if ahead <= 200 else 50 if ahead <= 500 else 100
    end = max(MIN_AXIS_DAYS, math.ceil(ahead / step) * step)
    return min(end, days)


def _points(values: np.ndarray) -> list[list[Any]]:
    """``[[day, value], ...]`` for days 1, 2, ... (integers stay integers, NaN is a gap)."""
    numbers = values.tolist()
    return [
        [day, None if isinstance(value, float) and math.isnan(value) else value]
        for day, value in enumerate(numbers, start=1)
    ]


def _flipped(values: np.ndarray) -> list[list[Any]]:
    """``[[value, day], ...]``: :func:`_points` with the value first (for stacked bands)."""
    return [[value, day] for day, value in _points(values)]


def line_chart(
    title: str,
    lines: Sequence[tuple[str, np.ndarray]],
    *,
    day: int,
    days: int,
    warmup: int,
    changes: Sequence[tuple[int, str]] = (),
    reference: tuple[float, str] | None = None,
    percent: bool = False,
    bands: Sequence[tuple[np.ndarray, np.ndarray]] = (),
    y_max: float | None = None,
    markers: Sequence[Sequence[tuple[float, float, str] | tuple[float, float, str, Any]]] = (),
) -> dict[str, Any]:
    """One chart: a line per run, the warm-up shaded, lever changes marked.

    Args:
        title: What the chart shows, in words.
        lines: (run label, daily values from day 1) for each run.
        day: Days simulated so far (the x-axis grows with it).
        days: The run's length (the x-axis never goes past it).
        warmup: The warm-up period in days, shaded and labelled "warm-up".
        changes: (day, what changed) for each lever change, drawn as a dashed vertical line.
        reference: A horizontal line (value, label), e.g. the caseload cap.
        percent: Whether the values are shares from 0 to 1 (drawn as 0–100%).
        bands: (low, high) daily values per run, drawn as a shaded band behind its line
            (the spread of the team's stress).
        y_max: A fixed top for the y-axis (stress runs from 0 to 1).
        markers: Per run, points (day, value, what[, key]) marked with a triangle in the run's
            colour and named in the tooltip (each serious incident, "child 34"); a key (JSON)
            is what the chart reports when the marker is clicked (``dashboards/chart.vue``).
    """
    end = axis_days(day, days)
    text = {"fontSize": TEXT_PX}
    series: list[dict[str, Any]] = []
    for i, (label, values) in enumerate(lines):
        values = np.asarray(values) * 100 if percent else np.asarray(values)
        series.append(
            {
                "type": "line",
                "name": label,
                "data": _points(values),
                "showSymbol": False,
                "lineStyle": {"width": 3},
                "color": RUN_COLOURS[i % len(RUN_COLOURS)],
            }
        )
    for i, (low, high) in enumerate(bands):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        stack = f"band{i}"
        # a band is the spread stacked on the low line; the points are [value, day] with the
        # value first, because ECharts stacks the first value dimension (on two value axes
        # that would be the day)
        scale = 100 if percent else 1
        low_values = np.asarray(low) * scale
        spread = (np.asarray(high) - np.asarray(low)) * scale
        series.append({"type": "line", "name": f"_low{i}", "data": _flipped(low_values),
                       "encode": {"x": 1, "y": 0}, "stack": stack, "showSymbol": False,
                       "lineStyle": {"opacity": 0}, "silent": True,
                       "tooltip": {"show": False}})  # fmt: skip
        series.append({"type": "line", "name": f"_spread{i}", "data": _flipped(spread),
                       "encode": {"x": 1, "y": 0}, "stack": stack, "showSymbol": False,
                       "lineStyle": {"opacity": 0}, "silent": True,
                       "areaStyle": {"color": colour, "opacity": 0.18},
                       "tooltip": {"show": False}})  # fmt: skip
    for i, points in enumerate(markers):
        if not points:
            continue
        series.append(
            {
                "type": "scatter",
                "name": f"_markers{i}",
                "data": [
                    {"value": [x, y], "name": what, **({"key": rest[0]} if rest else {})}
                    for x, y, what, *rest in points
                ],
                "cursor": "pointer",
                "symbol": "triangle",
                "symbolSize": 14,
                "color": RUN_COLOURS[i % len(RUN_COLOURS)],
                "itemStyle": {"borderColor": "#fff", "borderWidth": 1},
                "tooltip": {"trigger": "item", "formatter": "{b}"},
                "z": 5,
            }
        )
    marks: dict[str, Any] = {"type": "line", "name": "_marks", "data": [], "silent": True}
    if warmup:
        marks["markArea"] = {
            "silent": True,
            "itemStyle": {"color": "rgba(120,120,120,0.15)"},
            "label": {"show": True, "position": "insideTop", "color": "#555", **text},
            "data": [[{"name": "warm-up", "xAxis": 0}, {"xAxis": min(warmup, end)}]],
        }
    lines_marked: list[dict[str, Any]] = [
        {
            "xAxis": change_day,
            "name": what,
            "lineStyle": {"color": "#6a1b9a", "type": "dashed", "width": 2},
            "label": {
                "formatter": what,
                "position": "insideEndTop",
                "color": "#6a1b9a",
                **text,
            },
        }
        for change_day, what in changes
    ]
    if reference is not None:
        value, label = reference
        lines_marked.append(
            {
                "yAxis": value,
                "name": label,
                "lineStyle": {"color": "#c62828", "type": "dashed", "width": 2},
                "label": {
                    "formatter": label,
                    "position": "insideEndTop",
                    "color": "#c62828",
                    **text,
                },
            }
        )
    if lines_marked:
        marks["markLine"] = {"silent": True, "symbol": "none", "label": dict(text),
                             "data": lines_marked}  # fmt: skip
    series.append(marks)
    y_axis: dict[str, Any] = {
        "type": "value",
        "min": 0,
        "axisLabel": dict(text),
        "splitNumber": 4,
    }
    if percent:
        y_axis.update(max=100, axisLabel={**text, "formatter": "{value}%"})
    elif y_max is not None:
        y_axis["max"] = y_max
    else:
        y_axis["minInterval"] = 1
    option: dict[str, Any] = {
        "animation": False,
        "title": {"text": title, "left": 0, "top": 0, "textStyle": {"fontSize": TEXT_PX + 2}},
        "grid": {
            "left": 8,
            "right": 16,
            "top": 40,
            "bottom": 36,
            "containLabel": True,
        },
        "tooltip": {"trigger": "axis", "textStyle": text},
        "xAxis": {
            "type": "value",
            "min": 0,
            "max": end,
            "name": "working day",
            "nameLocation": "middle",
            "nameGap": 28,
            "nameTextStyle": text,
            "axisLabel": dict(text),
            "splitNumber": 4,
        },
        "yAxis": y_axis,
        "series": series,
    }
    # the page draws one legend above a panel's charts (compare mode); the chart's own stays
    # hidden, there so that the tooltip still names each run
    option["legend"] = {"show": False, "data": [label for label, _ in lines]}
    return option
