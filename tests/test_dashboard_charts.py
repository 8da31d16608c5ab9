"""The dashboard's charts as ECharts options: points, growing axis, warm-up, marks, text size."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.dashboard.charts import MIN_AXIS_DAYS, TEXT_PX, axis_days, line_chart


@pytest.mark.parametrize(
    ("day", "days", "end"),
    [(0, 780, MIN_AXIS_DAYS), (10, 780, 20), (11, 780, 40), (60, 780, 80), (300, 780, 400),
     (700, 780, 780), (40, 30, 30)],
)  # fmt: skip
def test_the_x_axis_grows_with_the_run_ahead_of_today(day, days, end):
    assert axis_days(day, days) == end
    assert axis_days(day, days) >= min(day, days)


def test_the_axis_moves_in_steps_not_every_day():
    ends = [axis_days(day, 780) for day in range(780)]
    assert ends == sorted(ends)
    assert len(set(ends)) < 30


def _chart(**kwargs):
    values = np.array([0, 1, 3, 2])
    base = dict(day=4, days=780, warmup=260)
    return line_chart("Statutory visits overdue", [("As set", values)], **{**base, **kwargs})


def test_a_chart_has_a_point_a_day_and_the_warm_up_marked():
    option = _chart()
    (line, marks) = option["series"]
    assert line["data"] == [[1, 0], [2, 1], [3, 3], [4, 2]]
    area = marks["markArea"]["data"][0]
    assert area[0]["name"] == "warm-up" and area[1]["xAxis"] == option["xAxis"]["max"] == 20
    assert option["legend"]["show"] is False
    json.dumps(option)  # goes over the websocket as JSON


def test_compare_mode_gets_a_line_each_named_by_its_run():
    option = line_chart("x", [("A", np.zeros(3)), ("B", np.ones(3))], day=3, days=100, warmup=0)
    assert option["legend"]["data"] == ["A", "B"]
    assert [s["name"] for s in option["series"][:2]] == ["A", "B"]
    assert "markArea" not in option["series"][2]


def test_lever_changes_and_a_reference_are_drawn_as_lines():
    option = _chart(changes=[(3, "Admin staff → 2")], reference=(18.0, "cap 18"))
    marked = option["series"][-1]["markLine"]["data"]
    assert marked[0]["xAxis"] == 3 and marked[0]["label"]["formatter"] == "Admin staff → 2"
    assert marked[1]["yAxis"] == 18.0


def test_every_text_size_is_at_least_the_projector_minimum():
    option = _chart(changes=[(3, "x")], reference=(1.0, "y"))

    def sizes(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "fontSize":
                    yield value
                else:
                    yield from sizes(value)
        elif isinstance(node, list):
            for item in node:
                yield from sizes(item)

    found = list(sizes(option))
    assert found and min(found) >= TEXT_PX


def test_shares_are_drawn_as_percentages():
    option = line_chart("on time", [("A", np.array([0.5, 1.0]))], day=2, days=100, warmup=0,
                        percent=True)  # fmt: skip
    assert option["series"][0]["data"] == [[1, 50.0], [2, 100.0]]
    assert option["yAxis"]["max"] == 100


def test_a_gap_stays_a_gap_and_a_band_is_stacked_behind_its_line():
    band = (np.array([0.1, 0.2]), np.array([0.5, 0.7]))
    lines = [("A", np.array([np.nan, 0.4]))]
    option = line_chart("stress", lines, day=2, days=100, warmup=0, bands=[band], y_max=1.0)
    line, low, spread, _marks = option["series"]
    assert line["data"] == [[1, None], [2, 0.4]]
    assert low["stack"] == spread["stack"] and "areaStyle" in spread
    # value first: ECharts stacks the first value dimension, which must not be the day
    assert spread["data"] == [[0.4, 1], [pytest.approx(0.5), 2]]
    assert spread["encode"] == low["encode"] == {"x": 1, "y": 0}
    assert option["yAxis"]["max"] == 1.0


# --- the feedback-loop diagram ------------------------------------------------------------------


def _series(**moving: float) -> dict[str, np.ndarray]:
    """Every loop quantity flat for 10 days, except ``moving`` (a total rise over the window)."""
    from sim.dashboard.loops import NODES, WINDOW

    flat = {node.key: np.full(10, 1.0) for node in NODES}
    for key, rise in moving.items():
        flat[key] = np.concatenate([np.full(10 - WINDOW, 1.0), 1.0 + np.linspace(0, rise, WINDOW)])
    return flat


def test_a_loop_link_drives_when_both_ends_move_as_the_arrow_says():
    from sim.dashboard.loops import NODES_BY_KEY, link_states, loop_chart, weekly_moves

    scale = NODES_BY_KEY["backlog"].scale, NODES_BY_KEY["stress"].scale
    states = {
        (s.source, s.target): s
        for s in link_states(weekly_moves(_series(backlog=scale[0], stress=scale[1])))
    }
    driving = states["backlog", "stress"]
    assert driving.strength == 1.0 and driving.harmful
    assert states["workload", "backlog"].strength == 0  # workload did not move
    # supervision falling while stress rises: the relieving link drives, the harmful way
    sup = NODES_BY_KEY["supervision"].scale
    states = {
        (s.source, s.target): s
        for s in link_states(weekly_moves(_series(supervision=-sup, stress=scale[1])))
    }
    assert (
        states["supervision", "stress"].strength == 1.0 and states["supervision", "stress"].harmful
    )
    # stress falling with the backlog: the loop unwinding (green)
    states = {
        (s.source, s.target): s
        for s in link_states(weekly_moves(_series(backlog=-scale[0], stress=-scale[1])))
    }
    assert states["backlog", "stress"].strength == 1.0 and not states["backlog", "stress"].harmful
    # against the arrow (backlog up, stress down): not driving
    states = {
        (s.source, s.target): s
        for s in link_states(weekly_moves(_series(backlog=scale[0], stress=-scale[1])))
    }
    assert states["backlog", "stress"].strength == 0
    option = loop_chart("Loops", _series(backlog=scale[0], stress=scale[1]))
    (graph,) = option["series"]
    assert len(graph["data"]) == 7 and len(graph["links"]) == 8
    widths = {(k["source"], k["target"]): k["lineStyle"]["width"] for k in graph["links"]}
    assert widths["backlog", "stress"] > widths["workload", "backlog"]


def test_the_loop_diagram_reads_the_run():
    from sim.dashboard.loops import NODES, loop_chart
    from sim.dashboard.view_model import DashboardModel

    model = DashboardModel()
    model.advance(30)
    series = model.runs[0].loop_series()
    assert set(series) == {node.key for node in NODES}
    assert all(len(values) == 30 for values in series.values())
    assert series["stress"][-1] == model.runs[0].stress[-1][0]
    option = loop_chart("Loops", series)
    texts = [d["label"]["formatter"] for d in option["series"][0]["data"]]
    assert any(t.startswith("Cases per FTE\n") for t in texts)
