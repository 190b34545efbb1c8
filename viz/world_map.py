"""The map: actors at their latitude and longitude, sized by GDP or soft power and coloured
by bloc, with links by layer (a plotly figure, so that hovering shows an actor's values and a
click selects it).

Large worlds stay drawable: at most `MAX_REGIONS` regions are drawn (the largest by GDP), and
a layer with more than `MAX_LINES` links is drawn aggregated by state pair, so a figure never
carries more than a few thousand marks whatever the world's size.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import plotly.graph_objects as go
from matplotlib import colormaps
from matplotlib.colors import to_hex

from sim import GeoModel
from sim.recording import ACTIVITY_NAMES
from sim.world import CITY, KIND_NAMES, LINK_KINDS, REGION, STATE
from viz.charts import TEMPLATE
from viz.focus import scenario_focus

LAYERS = ("trade", "relations", "paradiplomacy", "twinning")
SIZE_BY = ("GDP", "soft power")
MAX_REGIONS = 2000
MAX_LINES = 400
WIDTHS = (0.8, 1.6, 3.0, 5.0)  # line widths of the four strength quartiles of a layer
BLOC_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#17becf", "#bcbd22", "#7f7f7f")
LAYER_COLOURS = {"trade": "rgba(70,130,180,0.45)", "paradiplomacy": "rgba(0,128,128,0.55)",
                 "twinning": "rgba(148,103,189,0.7)"}
RELATION_BINS = np.linspace(-1.0, 1.0, 9)
# The margin around the focus states the map opens on: a share of their extent, and at least
# a few degrees (a focus of one small state).
FRAME_MARGIN, FRAME_MIN_MARGIN = 0.05, 3.0
TEXT = np.dtypes.StringDType()  # text of any length: joining columns of it is quick
# Marker sizes (px) of the largest and smallest actor of each kind, indexed by kind code.
LARGEST, SMALLEST = (np.array([sizes[k] for k in range(len(KIND_NAMES))]) for sizes in (
    {STATE: 42.0, CITY: 16.0, REGION: 11.0}, {STATE: 8.0, CITY: 5.0, REGION: 3.0}))


def map_figure(model: GeoModel, layers: list[str] | tuple[str, ...] = ("relations",),
               size_by: str = "GDP", selected: int | None = None) -> go.Figure:
    """The world now, with the chosen link layers; `selected` (a world row) is ringed."""
    world = model.world
    actors = world.actors
    colour = bloc_colours(model)
    notes: list[str] = []
    traces: list[dict] = []
    for layer in layers:
        traces += _layer(model, layer, notes)

    regions = np.flatnonzero(actors.kind == REGION)
    if len(regions) > MAX_REGIONS:
        regions = regions[np.argsort(-actors.gdp[regions], kind="stable")[:MAX_REGIONS]]
        notes.append(f"the {MAX_REGIONS:,} largest of {int((actors.kind == REGION).sum()):,} "
                     "regions shown")
    size = _sizes(model, size_by)
    for name, rows, symbol in (("regions", np.sort(regions), "circle"),
                               ("cities", np.flatnonzero(actors.kind == CITY), "diamond"),
                               ("states", np.flatnonzero(actors.kind == STATE), "circle")):
        traces.append(_scatter(
            x=actors.lon[rows], y=actors.lat[rows], mode="markers", name=name,
            customdata=rows, hovertext=hover_texts(model, rows).tolist(), hoverinfo="text",
            marker={"size": size[rows], "color": colour[actors.state[rows]],
                    "symbol": symbol, "opacity": 0.85 if name == "states" else 0.7,
                    "line": {"width": 0.5, "color": "white"}}))
    if selected is not None:
        traces.append(_scatter(
            x=[actors.lon[selected]], y=[actors.lat[selected]], mode="markers",
            name="selected", hoverinfo="skip",
            marker={"size": float(size[selected]) + 10, "color": "rgba(0,0,0,0)",
                    "line": {"width": 2.5, "color": "black"}}))
    title = f"{model.setup.name} — {model.date}"
    frame = [{"range": degrees} for degrees in focus_frame(model)] or [{}, {}]
    if notes:
        title += f"<br><sup>{'; '.join(notes)}</sup>"
    layout = {
        "title": {"text": title, "font": {"size": 14}}, "height": 520,
        "margin": {"l": 40, "r": 10, "t": 60, "b": 40},
        "xaxis": {"title": {"text": "longitude"}, "zeroline": False, **frame[0]},
        "yaxis": {"title": {"text": "latitude"}, "zeroline": False, "scaleanchor": "x",
                  **frame[1]},
        "legend": {"orientation": "h", "y": -0.15}, "plot_bgcolor": "#f4f6f8",
        "clickmode": "event", "template": TEMPLATE,
        "uirevision": model.setup.name,  # keeps the user's zoom across steps
    }
    figure = go.Figure(data=traces, layout=layout, _validate=False)
    return figure


def _scatter(**props) -> dict:
    return {"type": "scatter", **props}


def bloc_colours(model: GeoModel) -> np.ndarray:
    """A colour per state, by its bloc; blocs are coloured in order of their total GDP."""
    nations, s = model.world.nations, model.world.n_states
    _, bloc = np.unique(nations.bloc, return_inverse=True)
    order = np.argsort(-np.bincount(bloc, weights=model.world.actors.gdp[:s]), kind="stable")
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    return np.asarray(BLOC_COLOURS)[place % len(BLOC_COLOURS)][bloc]


def _sizes(model: GeoModel, size_by: str) -> np.ndarray:
    actors, nations = model.world.actors, model.world.nations
    if size_by == "soft power":
        share = nations.soft_power[actors.state] / max(nations.soft_power.max(), 1e-12)
    else:
        share = np.zeros(len(actors))
        for kind in (STATE, CITY, REGION):
            rows = actors.kind == kind
            if rows.any():
                share[rows] = np.sqrt(actors.gdp[rows] / max(actors.gdp[rows].max(), 1e-12))
    top, bottom = LARGEST[actors.kind], SMALLEST[actors.kind]
    return bottom + (top - bottom) * share


def focus_frame(model: GeoModel) -> list[list[float]]:
    """The longitudes and latitudes (low, high) that frame the scenario's focus states: their
    own places, capitals and regions, with a margin; empty without a focus (the whole world)."""
    focus = scenario_focus(model)
    if not len(focus):
        return []
    actors = model.world.actors
    mine = np.isin(actors.state, focus)
    frame = []
    for degrees, bound in ((actors.lon[mine], 180.0), (actors.lat[mine], 90.0)):
        low, high = float(degrees.min()), float(degrees.max())
        margin = max(FRAME_MARGIN * (high - low), FRAME_MIN_MARGIN)
        frame.append([max(low - margin, -bound), min(high + margin, bound)])
    return frame


def hover_texts(model: GeoModel, rows: np.ndarray) -> np.ndarray:
    """The hover texts of these actors (name, GDP, population; a state's soft power,
    reputation, audience and bloc; a city's or region's state, activity and links), built a
    column at a time: a Python loop over thousands of actors was most of a map redraw."""
    actors, nations = model.world.actors, model.world.nations
    state, kind = actors.state[rows], actors.kind[rows]
    text = ("<b>" + actors.names[rows].astype(TEXT) + "</b> (" + actors.ids[rows].astype(TEXT)
            + ")<br>GDP: US$ " + _number(actors.gdp[rows] / 1e9, 1)
            + " bn<br>population: " + _number(actors.population[rows] / 1e6, 2) + " m")
    own = ("<br>soft power: " + _number(nations.soft_power, 3)
           + "<br>reputation: " + _number(nations.reputation, 3)
           + "<br>digital audience: " + _number(nations.audience, 0)
           + "<br>bloc: " + nations.bloc.astype(TEXT))[state]
    local = ("<br>state: " + actors.names[state].astype(TEXT)
             + "<br>activity: " + np.asarray(ACTIVITY_NAMES, dtype=TEXT)[actors.activity[rows]]
             + "<br>links' strength: " + _number(actors.link_strength[rows], 2))
    weight = np.where(kind == CITY, "<br>diplomatic weight: "
                      + _number(actors.diplomatic_weight[rows], 2), "")
    return np.where(kind == STATE, text + own, text + local + weight)


def _number(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers as text with `decimals` decimals and thousands separators, as Python's
    `f"{x:,.{decimals}f}"` writes them (but for how a half is rounded, and "0.0" for a tiny
    negative), for a whole array at once: each group of three digits is looked up in a table,
    since numpy's own conversion of numbers to text goes number by number."""
    scale = 10**decimals
    finite = np.isfinite(values)
    scaled = np.rint(np.abs(np.where(finite, values, 0.0)) * scale).astype(np.int64)
    whole, fraction = np.divmod(scaled, scale)
    top, below, higher = whole % 1000, np.zeros(len(whole), dtype=TEXT), whole // 1000
    while higher.any():  # one pass per group of three digits, not per number
        more = higher > 0
        below = np.where(more, "," + _digits(3)[top] + below, below)
        top = np.where(more, higher % 1000, top)
        higher //= 1000
    text = _digits(0)[top] + below
    if decimals:
        text = text + "." + _digits(decimals)[fraction]
    text = np.where((values < 0) & (scaled > 0), "-" + text, text)
    return np.where(finite, text, "n/a")


@cache
def _digits(width: int) -> np.ndarray:
    """0 to 999 as text, zero-padded to `width` digits (0: not padded)."""
    return np.array([f"{k:0{width}d}" if width else str(k) for k in range(1000)], dtype=TEXT)


# ---------------------------------------------------------------- link layers


def _layer(model: GeoModel, layer: str, notes: list[str]) -> list[dict]:
    world = model.world
    actors = world.actors
    s = world.n_states
    if layer in ("trade", "relations"):
        i, j = np.triu_indices(s, k=1)
        if layer == "trade":
            value = world.pairs.trade[i, j] + world.pairs.trade[j, i]
            keep = np.argsort(-value, kind="stable")[:MAX_LINES]
        else:
            value = world.pairs.relations[i, j]
            keep = np.argsort(-np.abs(value), kind="stable")[:MAX_LINES]
        if len(i) > MAX_LINES:
            notes.append(f"{layer}: the {MAX_LINES} strongest of {len(i):,} pairs")
        a, b, value = i[keep], j[keep], value[keep]
    elif layer in ("paradiplomacy", "twinning"):
        links = world.links
        kind = LINK_KINDS.index("agreement" if layer == "paradiplomacy" else "twinning")
        strength = links.strength.sum(axis=1)
        active = np.flatnonzero((links.kind == kind) & (strength > 0))
        a, b, value = links.ends[active, 0], links.ends[active, 1], strength[active]
        if len(active) > MAX_LINES:
            a, b, value = _by_state_pair(actors.state[a], actors.state[b], value, s)
            pairs = len(value)
            keep = np.argsort(-value, kind="stable")[:MAX_LINES]
            a, b, value = a[keep], b[keep], value[keep]
            shown = f"the {len(keep)} strongest of {pairs:,} pairs" if pairs > len(keep) else \
                f"{pairs:,} pairs"
            notes.append(f"{layer}: {len(active):,} links summed by state pair, {shown}")
    else:
        raise ValueError(f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}")
    if not len(a):
        return []
    if layer == "relations":
        return _relation_traces(model, a, b, value)
    bins = _quartiles(value)
    return [_lines(model, a[bins == k], b[bins == k], f"{layer}", LAYER_COLOURS[layer],
                   WIDTHS[k], show=k == len(WIDTHS) - 1) for k in range(len(WIDTHS))
            if (bins == k).any()]


def _by_state_pair(sa: np.ndarray, sb: np.ndarray, value: np.ndarray, s: int):
    low, high = np.minimum(sa, sb), np.maximum(sa, sb)
    total = np.bincount(low * s + high, weights=value, minlength=s * s)
    pairs = np.flatnonzero(total)
    return pairs // s, pairs % s, total[pairs]


def _quartiles(value: np.ndarray) -> np.ndarray:
    """The strength class (0–3) of each link: quartiles of the layer's strengths."""
    if value.max() <= value.min():
        return np.full(len(value), len(WIDTHS) - 1)
    edges = np.quantile(value, [0.25, 0.5, 0.75])
    return np.searchsorted(edges, value, side="right")


def _relation_traces(model, a, b, value) -> list[dict]:
    cmap = colormaps["RdYlGn"]
    bins = np.clip(np.digitize(value, RELATION_BINS) - 1, 0, len(RELATION_BINS) - 2)
    traces = []
    for k in np.unique(bins):
        centre = (RELATION_BINS[k] + RELATION_BINS[k + 1]) / 2
        width = 0.8 + 4.0 * abs(centre)
        traces.append(_lines(model, a[bins == k], b[bins == k],
                             f"relations {RELATION_BINS[k]:+.2f}…{RELATION_BINS[k + 1]:+.2f}",
                             to_hex(cmap((centre + 1) / 2)), width, show=True))
    return traces


def _lines(model, a, b, name, colour, width, show) -> dict:
    actors = model.world.actors
    x = np.column_stack([actors.lon[a], actors.lon[b], np.full(len(a), np.nan)]).ravel()
    y = np.column_stack([actors.lat[a], actors.lat[b], np.full(len(a), np.nan)]).ravel()
    return _scatter(x=x, y=y, mode="lines", name=name, legendgroup=name, showlegend=show,
                      hoverinfo="skip", line={"color": colour, "width": width})
