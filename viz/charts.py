"""Time-series charts, the relations heatmap and the region-activity chart, as plotly figures
built from a model's recorded history (pure functions: a model in, a figure out). The browser
draws them, so a step redraws in milliseconds on the server, and a figure's camera button
saves it as PNG. The app shows the time charts together, as `chart_panel`.

The live run is drawn in solid lines and, once the user has acted, the same seed's run
without their actions in dashed lines of the same colour. What the user did is marked on the
time axis in red; the scenario's own events in grey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from sim import GeoModel
from sim.recording import ACTIVITY_NAMES
from sim.world import CITY, REGION
from viz.focus import in_view, named_states, states_in_view, view_name

# Lines drawn per chart: the largest now of the scenario's focus (of every state without one),
# plus the states the user's events name.
LINES = 6
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
ACTIVITY_COLOURS = ("#d9d9d9", "#9ecae1", "#4292c6", "#08519c")
# A small template of our own: plotly's default one is deep-copied into every figure and
# every widget update, which was most of a redraw's time.
TEMPLATE = {"layout": {"plot_bgcolor": "white", "paper_bgcolor": "white", "colorway": COLOURS,
                       "xaxis": {"gridcolor": "#ececec", "linecolor": "#bbb"},
                       "yaxis": {"gridcolor": "#ececec", "linecolor": "#bbb",
                                 "zerolinecolor": "#ccc"}}}
LAYOUT = {"height": 340, "margin": {"l": 50, "r": 10, "t": 40, "b": 30}, "hovermode": "x",
          "legend": {"font": {"size": 10}}, "template": TEMPLATE}


@dataclass(frozen=True)
class Series:
    """A quantity over time: `values(model)` is (recorded steps, lines); `names(model)` names
    the lines; `states(model)` gives each line's state row (to pick the events' states)."""

    title: str
    unit: str
    values: Callable[[GeoModel], np.ndarray]
    names: Callable[[GeoModel], list[str]]
    states: Callable[[GeoModel], np.ndarray]


def _state_names(model: GeoModel) -> list[str]:
    return [str(i) for i in model.world.actors.ids[: model.world.n_states]]


def _state_rows(model: GeoModel) -> np.ndarray:
    return np.arange(model.world.n_states)


def _capitals(model: GeoModel) -> np.ndarray:
    actors = model.world.actors
    return np.flatnonzero(actors.is_capital & (actors.kind == CITY))


SERIES: dict[str, Series] = {
    "gdp": Series(
        "GDP", "US$ bn",
        lambda m: m.recorder.history("actor", "gdp_usd", slice(0, m.world.n_states)) / 1e9,
        _state_names, _state_rows),
    "trade": Series(
        "Total trade (world exports)", "US$ bn",
        lambda m: np.asarray(m.datacollector.model_vars["world_exports_usd"])[:, None] / 1e9,
        lambda m: ["world"], lambda m: np.array([-1])),
    "soft_power": Series(
        "Soft power", "index 0–1",
        lambda m: m.recorder.history("state", "soft_power"), _state_names, _state_rows),
    "digital_audience": Series(
        "Digital audience of foreign ministries", "million followers",
        lambda m: m.recorder.history("state", "digital_audience") / 1e6,
        _state_names, _state_rows),
    "diplomatic_weight": Series(
        "Diplomatic weight of capitals", "weight",
        lambda m: m.recorder.history("actor", "diplomatic_weight", _capitals(m)),
        lambda m: [str(m.world.actors.names[r]) for r in _capitals(m)],
        lambda m: m.world.actors.state[_capitals(m)]),
}


def dates(model: GeoModel) -> list[str]:
    """The recorded steps' dates, as ISO text (what a plotly widget can carry)."""
    return [model.date_of(step).isoformat() for step in model.recorder.steps]


def picked_lines(model: GeoModel, series: Series, values: np.ndarray) -> list[int]:
    """The lines to draw: those of the states the user's events name, then the largest now of
    the scenario's focus (of every state without a focus); a line of no state (the world's)
    is always a candidate."""
    rows = series.states(model)
    named = np.flatnonzero(np.isin(rows, named_states(model)))
    pool = (in_view(model, rows) | (rows < 0)) & ~np.isin(np.arange(len(rows)), named)
    candidates = np.flatnonzero(pool)
    by_size = candidates[np.argsort(-values[-1, candidates], kind="stable")]
    return [*named.tolist(), *by_size.tolist()][: max(LINES, len(named))]


def figure(traces: list[dict], layout: dict) -> go.Figure:
    """A plotly figure from plain trace and layout dicts, unvalidated: these builders write
    only known properties, and plotly's validation would be most of a redraw's time."""
    return go.Figure(data=traces, layout={**LAYOUT, **layout}, _validate=False)


def time_chart(model: GeoModel, name: str) -> go.Figure:
    """One series over time, the baseline dashed beside it, events marked on the time axis."""
    series = SERIES[name]
    return figure(series_traces(model, name),
                  {"title": {"text": series.title, "font": {"size": 13}},
                   "yaxis": {"title": {"text": series.unit}}, **event_marks(model)})


def series_traces(model: GeoModel, name: str, when: list[str] | None = None) -> list[dict]:
    """The lines of one series: each picked line live, and dashed beside it the baseline's
    (which steps in lockstep: the same dates). `when` is `dates(model)`, if already known."""
    series = SERIES[name]
    live = series.values(model)
    baseline = getattr(model, "baseline", None)
    base = series.values(baseline) if baseline is not None else None
    when = dates(model) if when is None else when
    names = series.names(model)
    traces = []
    for colour, k in zip(COLOURS, picked_lines(model, series, live), strict=False):
        traces.append({"type": "scatter", "mode": "lines", "x": when, "y": live[:, k],
                       "name": names[k], "legendgroup": names[k],
                       "line": {"color": colour, "width": 2}})
        if base is not None:
            traces.append({"type": "scatter", "mode": "lines", "x": when, "y": base[:, k],
                           "name": f"{names[k]} {model.baseline_label}",
                           "legendgroup": names[k], "showlegend": False,
                           "line": {"color": colour, "width": 1.3, "dash": "dash"}})
    return traces


def event_marks(model: GeoModel, xref: str = "x", yref: str = "paper") -> dict:
    """Layout shapes and annotations marking events on a date axis: the user's in red and
    labelled, the scenario's own in grey (states' decisions are listed, not marked). `xref`/`yref` name the axes (a subplot's)."""
    acted = {step for step, _ in getattr(model, "actions", ())}
    shapes, notes = [], []

    def line(step: int, colour: str, width: float) -> str:
        when = model.date_of(step).isoformat()
        shapes.append({"type": "line", "xref": xref, "yref": yref, "x0": when, "x1": when,
                       "y0": 0, "y1": 1, "line": {"color": colour, "width": width,
                                                  "dash": "dot"}})
        return when

    # One mark a step: a regime against many targets is many events at the same date.
    for step in sorted({item.at for item in model.timeline if not item.decided} - acted):
        if 0 < step <= model.steps:
            line(step, "#999", 1.0)
    for step, text in getattr(model, "actions", ()):
        if step <= model.steps:
            when = line(step, "crimson", 1.2)
            notes.append({"x": when, "y": 1, "xref": xref, "yref": yref, "text": text,
                          "textangle": -90, "showarrow": False, "xanchor": "right",
                          "yanchor": "top", "font": {"size": 9, "color": "crimson"}})
    return {"shapes": shapes, "annotations": notes}


def relations_heatmap(model: GeoModel, limit: int = 60) -> go.Figure:
    """Relations between states, −1 (red) to +1 (green), grouped by bloc and ordered by GDP
    within a bloc: the states the user's events name and the scenario's focus states, or
    without a focus the largest; at most `limit` states unless more are named."""
    world = model.world
    s = world.n_states
    gdp = world.actors.gdp[:s]
    keep = states_in_view(model, limit)
    keep = keep[np.lexsort((-gdp[keep], world.nations.bloc[keep]))]
    matrix = world.pairs.relations[np.ix_(keep, keep)]
    # A state's relations with itself are left blank: None, which JSON carries (NaN it does not).
    z = matrix.astype(object)
    np.fill_diagonal(z, None)
    labels = [str(world.actors.ids[k]) for k in keep]
    shown = "" if len(keep) == s else f"{len(keep)} of {s} states: {view_name(model)}, "
    heatmap = {"type": "heatmap", "z": z.tolist(), "x": labels, "y": labels, "zmin": -1.0,
               "zmax": 1.0, "colorscale": "RdYlGn", "colorbar": {"title": {"text": "relations"}},
               "hovertemplate": "%{y} – %{x}: %{z:+.3f}<extra></extra>"}
    return figure([heatmap], {
        "title": {"text": f"Relations at {model.date} ({shown}grouped by bloc)",
                  "font": {"size": 13}},
        "height": 560, "hovermode": "closest",
        "yaxis": {"autorange": "reversed", "scaleanchor": "x"}})


def activity_chart(model: GeoModel) -> go.Figure:
    """How many regions are in each international-activity class, step by step."""
    regions = np.flatnonzero(model.world.actors.kind == REGION)
    traces = []
    if len(regions):
        classes = model.recorder.history("actor", "activity", regions)
        when = dates(model)
        for c, (name, colour) in enumerate(zip(ACTIVITY_NAMES, ACTIVITY_COLOURS, strict=True)):
            traces.append({"type": "scatter", "x": when, "y": (classes == c).sum(axis=1),
                           "name": name, "stackgroup": "classes",
                           "line": {"color": colour, "width": 0.5}})
    return figure(traces, {"title": {"text": f"Regions by international activity "
                                             f"({len(regions)} regions)", "font": {"size": 13}},
                           "yaxis": {"title": {"text": "regions"}}, **event_marks(model)})


def chart_panel(model: GeoModel, columns: int = 2) -> go.Figure:
    """Every time chart as one figure of subplots, each with its own legend: the browser
    redraws one figure a step instead of five, which is most of a step's time on this tab."""
    rows = -(-len(SERIES) // columns)
    width, gap = 1.0 / columns, 0.13  # gap: room for a legend right of each subplot
    traces: list[dict] = []
    when = dates(model)
    layout: dict = {"height": 330 * rows, "margin": {"l": 50, "r": 10, "t": 30, "b": 30},
                    "shapes": [], "annotations": []}
    for k, (name, series) in enumerate(SERIES.items()):
        axis = "" if k == 0 else str(k + 1)
        left, top = (k % columns) * width, 1.0 - (k // columns) / rows
        layout[f"xaxis{axis}"] = {"domain": [left + 0.05, left + width - gap],
                                  "anchor": f"y{axis}"}
        layout[f"yaxis{axis}"] = {"domain": [top - 1.0 / rows + 0.09, top - 0.05],
                                  "anchor": f"x{axis}", "title": {"text": series.unit}}
        layout[f"legend{axis}"] = {"x": left + width - gap + 0.01, "y": top - 0.05,
                                   "xanchor": "left", "yanchor": "top", "font": {"size": 10}}
        layout["annotations"].append({
            "text": series.title, "xref": "paper", "yref": "paper", "x": left + 0.05,
            "y": top - 0.04, "xanchor": "left", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 13}})
        marks = event_marks(model, f"x{axis}", f"y{axis} domain")
        layout["shapes"] += marks["shapes"]
        layout["annotations"] += marks["annotations"]
        traces += [{**trace, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                    "legend": f"legend{axis}", "legendgroup": f"{k}-{trace['legendgroup']}"}
                   for trace in series_traces(model, name, when)]
    return figure(traces, layout)
