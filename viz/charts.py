"""Time-series charts, the relations heatmap and the region-activity chart, as plotly figures
built from a model's recorded history (pure functions: a model in, a figure out). The browser
draws them, so a step redraws in milliseconds on the server, and a figure's camera button
saves it as PNG. The app shows the time charts together, as `chart_panel`.

The live run is drawn in solid lines and, once there is a baseline, the same seed's run
without the events (the user's, or a scenario's own) in dashed lines of the same colour, with a
legend entry that says so. Each line keeps its colour for the session (`colour_of`). Events are
markers on the time axis, named on hover: the user's in red, the scenario's own in grey. GDP and
trade can be drawn on log axes or as the change since the start (`SCALES`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from sim import GeoModel
from sim.events import label
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
LAYOUT = {"height": 340, "margin": {"l": 60, "r": 10, "t": 40, "b": 40}, "hovermode": "x",
          "legend": {"font": {"size": 10}}, "template": TEMPLATE}
# How GDP and trade are drawn: as they are, on a log axis (the USA and China beside small
# states), or as the change since the start (each state's own response).
SCALES = ("levels", "log axis", "% change")
SCALED = ("gdp", "trade")
USER_COLOUR, SCENARIO_COLOUR = "crimson", "#999"


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


def time_chart(model: GeoModel, name: str, scale: str = "levels") -> go.Figure:
    """One series over time, the baseline dashed beside it, events marked on the time axis."""
    series = SERIES[name]
    unit, log = scaled_unit(model, name, scale)
    marks = event_marks(model)
    layout = {"title": {"text": series.title, "font": {"size": 13}},
              "yaxis": {"title": {"text": unit}, "type": "log" if log else "linear",
                        "automargin": True}, **marks["axis"], "shapes": marks["shapes"]}
    return figure(series_traces(model, name, scale=scale) + marks["traces"], layout)


def scaled_unit(model: GeoModel, name: str, scale: str) -> tuple[str, bool]:
    """The axis title of a series drawn at `scale`, and whether its axis is logarithmic."""
    if scale not in SCALES:
        raise ValueError(f"scale {scale!r}: expected one of {', '.join(SCALES)}")
    unit = SERIES[name].unit
    if name not in SCALED or scale == "levels":
        return unit, False
    if scale == "log axis":
        return f"{unit}, log axis", True
    return f"% change since {model.date_of(0).isoformat()}", False


def colour_of(model: GeoModel, name: str) -> str:
    """The colour of a line: the next free one of COLOURS the first time the line is drawn,
    and the same ever after (`model.colours`, which the app keeps across runs of a session)."""
    colours = model.__dict__.setdefault("colours", {})
    if name not in colours:
        colours[name] = COLOURS[len(colours) % len(COLOURS)]
    return colours[name]


def series_traces(model: GeoModel, name: str, when: list[str] | None = None,
                  scale: str = "levels") -> list[dict]:
    """The lines of one series: each picked line live, and dashed beside it the baseline's
    (which steps in lockstep: the same dates), and a legend entry for the dashes. `when` is
    `dates(model)`, if already known; with the "% change" scale both are drawn against the
    live run's first value (the same in both: they start alike)."""
    series = SERIES[name]
    live = series.values(model)
    baseline = getattr(model, "baseline", None)
    base = series.values(baseline) if baseline is not None else None
    when = dates(model) if when is None else when
    names = series.names(model)

    def drawn(values: np.ndarray, k: int) -> np.ndarray:
        if name in SCALED and scale == "% change":
            start = live[0, k]
            return 100.0 * (values[:, k] / start - 1.0) if start else np.full(len(values), np.nan)
        return values[:, k]

    traces = []
    for k in picked_lines(model, series, live):
        colour = colour_of(model, names[k])
        traces.append({"type": "scatter", "mode": "lines", "x": when, "y": drawn(live, k),
                       "name": names[k], "legendgroup": names[k],
                       "line": {"color": colour, "width": 2}})
        if base is not None:
            traces.append({"type": "scatter", "mode": "lines", "x": when, "y": drawn(base, k),
                           "name": f"{names[k]} {model.baseline_label}",
                           "legendgroup": names[k], "showlegend": False,
                           "line": {"color": colour, "width": 1.3, "dash": "dash"}})
    if base is not None:
        traces.append({"type": "scatter", "mode": "lines", "x": [None], "y": [None],
                       "name": "<br>".join(textwrap.wrap(f"dashed: {model.baseline_label}",
                                                         24)),
                       "legendgroup": "dashed",
                       "hoverinfo": "skip", "line": {"color": "#555", "width": 1.3,
                                                     "dash": "dash"}})
    return traces


def event_marks(model: GeoModel, x: str = "x", y: str = "y", hidden: str = "y99") -> dict:
    """Events on a date axis: a marker at the foot of the chart for each date something
    happened, named on hover, and a faint dotted line up the chart; the user's actions in red,
    the scenario's own events in grey (states' decisions are listed, not marked). The markers
    sit on a hidden axis from 0 to 1 (`hidden`, laid over the chart's axis `y`), whatever the
    scale of the chart's values. Returns the marker traces, the hidden axis's layout and the
    lines (layout shapes); `x` and `y` name the chart's axes (a subplot's)."""
    past = [(item.at, label(item.event)) for item in model.timeline
            if not item.decided and 0 < item.at <= model.steps]
    acted = {step for step, _ in getattr(model, "actions", ())}
    traces, shapes = [], []
    for who, colour, happened in (
            ("scenario", SCENARIO_COLOUR,
             [(step, text) for step, text in past if step not in acted]),
            ("you", USER_COLOUR,
             [(step, text) for step, text in getattr(model, "actions", ())
              if step <= model.steps])):
        by_step: dict[int, list[str]] = {}
        for step, text in happened:
            by_step.setdefault(step, []).append(text)
        if not by_step:
            continue
        when = [model.date_of(step).isoformat() for step in by_step]
        traces.append({
            "type": "scatter", "mode": "markers", "x": when, "y": [0.0] * len(when),
            "xaxis": x, "yaxis": hidden, "name": f"events ({who})", "showlegend": False,
            "hovertext": [f"{day}: " + "<br>".join(texts[:8]) + (
                f"<br>and {len(texts) - 8} more" if len(texts) > 8 else "")
                for day, texts in zip(when, by_step.values(), strict=True)],
            "hoverinfo": "text", "cliponaxis": False,
            "marker": {"symbol": "triangle-up", "size": 11, "color": colour,
                       "line": {"width": 0.5, "color": "white"}}})
        shapes += [{"type": "line", "xref": x, "yref": f"{y} domain", "x0": day, "x1": day,
                    "y0": 0, "y1": 1, "layer": "below",
                    "line": {"color": colour, "width": 1.0, "dash": "dot"}} for day in when]
    axis = {"overlaying": y, "anchor": x, "range": [0, 1], "visible": False,
            "fixedrange": True}
    return {"traces": traces, "axis": {f"yaxis{hidden[1:]}": axis}, "shapes": shapes}


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
    marks = event_marks(model)
    return figure(traces + marks["traces"],
                  {"title": {"text": f"Regions by international activity ({len(regions)} "
                                     "regions)", "font": {"size": 13}},
                   "yaxis": {"title": {"text": "regions"}}, **marks["axis"],
                   "shapes": marks["shapes"]})


def chart_panel(model: GeoModel, columns: int = 2, scale: str = "levels") -> go.Figure:
    """Every time chart as one figure of subplots, each with its own legend: the browser
    redraws one figure a step instead of five, which is most of a step's time on this tab.
    GDP and trade are drawn at `scale` (SCALES)."""
    rows = -(-len(SERIES) // columns)
    width, gap = 1.0 / columns, 0.18  # gap: room for a legend right of each subplot
    traces: list[dict] = []
    when = dates(model)
    layout: dict = {"height": 340 * rows, "margin": {"l": 60, "r": 10, "t": 30, "b": 40},
                    "shapes": [], "annotations": []}
    for k, (name, series) in enumerate(SERIES.items()):
        axis = "" if k == 0 else str(k + 1)
        left, top = (k % columns) * width, 1.0 - (k // columns) / rows
        unit, log = scaled_unit(model, name, scale)
        layout[f"xaxis{axis}"] = {"domain": [left + 0.07, left + width - gap],
                                  "anchor": f"y{axis}"}
        layout[f"yaxis{axis}"] = {"domain": [top - 1.0 / rows + 0.09, top - 0.05],
                                  "anchor": f"x{axis}", "title": {"text": unit},
                                  "type": "log" if log else "linear"}
        layout[f"legend{axis}"] = {"x": left + width - gap + 0.01, "y": top - 0.05,
                                   "xanchor": "left", "yanchor": "top", "font": {"size": 10}}
        layout["annotations"].append({
            "text": series.title, "xref": "paper", "yref": "paper", "x": left + 0.07,
            "y": top - 0.04, "xanchor": "left", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 13}})
        marks = event_marks(model, f"x{axis}", f"y{axis}", f"y{len(SERIES) + k + 1}")
        layout["shapes"] += marks["shapes"]
        layout.update(marks["axis"])
        traces += [{**trace, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                    "legend": f"legend{axis}", "legendgroup": f"{k}-{trace['legendgroup']}"}
                   for trace in series_traces(model, name, when, scale)]
        traces += marks["traces"]
    return figure(traces, layout)
