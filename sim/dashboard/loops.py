"""The feedback-loop diagram: the model's main loops, with the links driving the team now.

The loops the model runs through (``docs/model.md``): more cases per worker leave more
recording undone; a backlog raises stress; stress brings sickness and leaving; absent and
departed workers leave posts vacant; their cases fall on the workers left, raising their
caseload again. Beside it the manager's loop: more open cases stretch the manager's span of
oversight, which leaves less time for supervision, whose relief of stress is then missed.

A link A → B "drives" the team when, over the last :data:`WINDOW` working days, both ends moved
by at least :data:`THRESHOLD` of their scale and in the direction the link says (B up when A is
up for a reinforcing link, B down when A is up for a relieving one). Its width grows with the
smaller of the two moves (up to the scale); it is red when B moved the harmful way (stress up,
supervision down) and green when it moved the good way (the loop unwinding); otherwise it is a
thin grey dashed line. Each node shows its value today and ▲/▼ for the week's move.

Nothing here imports Solara; the option is an ECharts ``graph`` drawn in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.dashboard.charts import TEXT_PX

#: Working days over which the diagram measures each quantity's move (one week).
WINDOW = 5
#: The smallest move, as a share of a quantity's scale, that counts as moving.
THRESHOLD = 0.25

HARM = "#c62828"
RELIEF = "#2e7d32"
QUIET = "#9e9e9e"


@dataclass(frozen=True)
class Node:
    """A quantity of the loops: its key, words, unit scale and which way is worse."""

    key: str
    label: str
    scale: float  # a move of this much in a week is a full-width arrow
    worse_up: bool
    x: float
    y: float
    fmt: str


NODES: tuple[Node, ...] = (
    Node("workload", "Cases per FTE", 0.5, True, 30, 8, "{:.1f}"),
    Node("backlog", "Recording backlog\n(h per worker)", 2.0, True, 62, 24, "{:.0f}"),
    Node("stress", "Stress (mean)", 0.01, True, 62, 62, "{:.2f}"),
    Node("absence", "Off sick or left\n(last 20 days)", 1.0, True, 30, 84, "{:.0f}"),
    Node("vacancies", "Vacant posts", 0.5, True, 4, 46, "{:.0f}"),
    Node("span", "Manager's span\n(× optimum)", 0.05, True, 96, 8, "{:.2f}"),
    Node("supervision", "Supervision\non time", 0.05, False, 96, 62, "{:.0%}"),
)
NODES_BY_KEY = {node.key: node for node in NODES}

#: (from, to, +1 when more of ``from`` brings more of ``to``, -1 when it brings less).
LINKS: tuple[tuple[str, str, int], ...] = (
    ("workload", "backlog", +1),
    ("backlog", "stress", +1),
    ("stress", "absence", +1),
    ("absence", "vacancies", +1),
    ("vacancies", "workload", +1),
    ("workload", "span", +1),
    ("span", "supervision", -1),
    ("supervision", "stress", -1),
)

#: Days a leaver counts in "off sick or left".
LEFT_DAYS = 20


def weekly_moves(series: dict[str, np.ndarray], window: int = WINDOW) -> dict[str, float]:
    """Each quantity's move over the last ``window`` days, in units of its scale (0 if unknown)."""
    moves = {}
    for node in NODES:
        values = np.asarray(series.get(node.key, ()), dtype=float)
        if len(values) < 2:
            moves[node.key] = 0.0
            continue
        now, then = values[-1], values[max(0, len(values) - 1 - window)]
        move = (now - then) / node.scale
        moves[node.key] = 0.0 if not np.isfinite(move) else float(move)
    return moves


@dataclass(frozen=True)
class LinkState:
    """How a link is drawn today: whether it drives the team, how hard and which way."""

    source: str
    target: str
    sign: int
    strength: float  # 0 (quiet) to 1
    harmful: bool


def link_states(moves: dict[str, float]) -> list[LinkState]:
    """Each link's state from the quantities' weekly moves (the rule of the module docstring)."""
    states = []
    for source, target, sign in LINKS:
        a, b = moves[source], moves[target]
        driving = abs(a) >= THRESHOLD and abs(b) >= THRESHOLD and np.sign(a) * sign == np.sign(b)
        strength = min(abs(a), abs(b), 1.0) if driving else 0.0
        worse = b > 0 if NODES_BY_KEY[target].worse_up else b < 0
        states.append(LinkState(source, target, sign, strength, driving and worse))
    return states


def loop_chart(title: str, series: dict[str, np.ndarray]) -> dict[str, Any]:
    """The diagram as an ECharts option: a node per quantity, an arrow per link."""
    moves = weekly_moves(series)
    text = {"fontSize": TEXT_PX}
    nodes = []
    for node in NODES:
        values = np.asarray(series.get(node.key, ()), dtype=float)
        now = values[-1] if len(values) else float("nan")
        shown = "—" if not np.isfinite(now) else node.fmt.format(now)
        move = moves[node.key]
        arrow = "" if abs(move) < THRESHOLD else (" ▲" if move > 0 else " ▼")
        worse = (move > 0) == node.worse_up
        colour = QUIET if not arrow else HARM if worse else RELIEF
        nodes.append(
            {
                "name": node.key,
                "x": node.x,
                "y": node.y,
                "value": None if not np.isfinite(now) else round(float(now), 4),
                "symbolSize": 22,
                "itemStyle": {"color": colour},
                "label": {
                    "show": True,
                    "formatter": f"{node.label}\n{shown}{arrow}",
                    "color": "#222",
                    "position": "bottom" if node.y < 50 else "top",
                    "lineHeight": TEXT_PX + 4,
                    "backgroundColor": "rgba(255,255,255,0.8)",
                    **text,
                },
            }
        )
    links = []
    for state in link_states(moves):
        driving = state.strength > 0
        colour = (HARM if state.harmful else RELIEF) if driving else QUIET
        links.append(
            {
                "source": state.source,
                "target": state.target,
                "value": round(state.strength, 3),
                "driving": driving,
                "lineStyle": {
                    "width": 1.5 + 7 * state.strength,
                    "color": colour,
                    "type": "solid" if driving else "dashed",
                    "curveness": 0.12,
                    "opacity": 0.95,
                },
                "label": {
                    "show": True,
                    "formatter": "+" if state.sign > 0 else "−",
                    "color": colour,
                    **text,
                },
            }
        )
    return {
        "animation": False,
        "title": {"text": title, "left": 0, "top": 0, "textStyle": {"fontSize": TEXT_PX + 2}},
        "tooltip": {"show": False},
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": False,
                "top": 62,
                "bottom": 62,
                "left": 90,
                "right": 90,
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": 14,
                "data": nodes,
                "links": links,
                "edgeLabel": {"show": True, "fontWeight": "bold", **text},
            }
        ],
    }
