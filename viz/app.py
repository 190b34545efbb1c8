"""Geopol in the browser: run a scenario, act on it mid-run, and watch the map and the charts.

Start it with `geopol app [SCENARIO] [--port P]`, or `solara run viz/app.py`. The sidebar holds
the run's controls (reset, play/pause, step: `RunControls`, whose play loop waits for the page)
and the run's settings; the views are this app's own: a map, time-series charts with the baseline dashed beside the live run, the
soft-power ranking, the relations heatmap, the regions' activity classes, replicates through
`geopol compare`'s runner, and downloads. The events panel sits beside them, and under it
the states' own decisions.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import solara
from mesa.visualization.utils import update_counter

from sim.compare import Comparison, compare
from viz.about import About
from viz.charts import SCALES, activity_chart, chart_panel, relations_heatmap
from viz.controls import RunControls, Settings, starting_settings
from viz.events_panel import DecisionsPanel, EventsPanel
from viz.export import FORMATS, run_archive, stem
from viz.live import DEFAULT_SCENARIO, LiveModel
from viz.plotly_figure import PlotlyFigure
from viz.tables import activity_by_state, actor_values, comparison_table, soft_power_ranking
from viz.why import Why
from viz.world_map import COLOUR_BY, LAYERS, basemap_text, map_figure

# Solara warns on every page load that a cookie's samesite=none needs https: not on localhost.
warnings.filterwarnings("ignore", message="Cookies with samesite=none")

# `geopol app` passes its choices through the environment: Solara imports this module itself.
START_SCENARIO = os.environ.get("GEOPOL_APP_SCENARIO", DEFAULT_SCENARIO)
START_SEED = int(os.environ.get("GEOPOL_APP_SEED", "1"))


# Every tab within reach on a 1280-pixel screen: Vuetify's tabs are 90 px wide at least, and
# nine of them would scroll behind an arrow in the page's main column. Solara's tables number
# their rows from 0 in a first column of their own: the tables say rank or name instead.
CSS = """
.v-tabs .v-tab { min-width: 0 !important; padding: 0 10px !important; font-size: 0.8rem; }
.solara-data-table__viewport thead tr > th:first-child,
.solara-data-table__viewport tbody tr > td:first-child { display: none; }
"""


@solara.component
def Page():
    first = solara.use_memo(lambda: starting_settings(START_SCENARIO, START_SEED), [])
    settings = solara.use_reactive(first)
    model = solara.use_reactive(solara.use_memo(lambda: LiveModel(**first), []))
    delay = solara.use_reactive(300)
    steps_per_redraw = solara.use_reactive(1)

    model.value.redraw_every = steps_per_redraw.value
    model.value.colours = solara.use_memo(dict, [])  # a line keeps its colour across runs
    solara.Title("Geopol")
    solara.Style(CSS)
    GeoAssets(name="world_110m", topojson=basemap_text())
    with solara.AppBar():
        solara.AppBarTitle("Geopol")
    with solara.Sidebar():
        with solara.Card("Run"):
            RunControls(model, settings, delay, steps_per_redraw)
            solara.SliderInt(f"Speed: {delay.value} ms between steps", value=delay, min=0, max=2000,
                             step=50)
            solara.SliderInt(f"Steps per redraw: {steps_per_redraw.value}", value=steps_per_redraw,
                             min=1, max=20)
            Clock(model.value)
        with solara.Card("Scenario, seed and parameters", subtitle="applied on Reset"):
            Settings(settings)
    run = f"run-{id(model.value)}"  # a new run starts its views and forms afresh
    with solara.Columns([8, 4]):
        Views(model.value).key(f"views-{run}")
        with solara.Column():
            EventsPanel(model.value).key(f"events-{run}")
            DecisionsPanel(model.value).key(f"decisions-{run}")
    # Last: its new step reaches the page after every other update of the same render (the
    # messages keep their order), so the page reports a step only once it shows all of it.
    Drawn(model.value)


@solara.component
def Drawn(model: LiveModel):
    """Tells the run each time the page in the browser shows a new step: Mesa's play loop, in
    a thread of its own, takes the next steps only then (`LiveModel.step`)."""
    update_counter.get()
    ShownInBrowser(step=model.steps, event_drawn=model.drawn)


@solara.component_vue("geo_assets.vue")
def GeoAssets(name: str, topojson: str):
    """Gives plotly's geo maps their base map from this app, not from a CDN (see the .vue).
    The TopoJSON goes as text: at every render reacton walks each nested list and dict of every
    element's arguments in search of elements, and the parsed base map's 40,000 values made
    that walk most of a step's time on the server, on every tab."""


@solara.component_vue("drawn.vue")
def ShownInBrowser(step: int, event_drawn: Callable[[int], None]):
    """Calls `event_drawn(step)` from the browser once the page has the step (see the .vue)."""


@solara.component
def Clock(model: LiveModel):
    update_counter.get()
    with model.lock:
        text = f"{model.setup.name}, seed {model.seed}: step {model.steps}, {model.date}"
    solara.Text(text, style={"font-weight": "500"}, classes=["geopol-clock"])
    if model.problem:
        solara.Error(model.problem)


@solara.component_vue("resize_on_show.vue")
def ResizeOnShow():
    """Makes the figures of a tab just shown fit their columns (see the .vue file)."""


def heading(text: str) -> None:
    solara.v.Html(tag="h3", children=[text], class_="my-2")


def note(text: str) -> None:
    solara.v.Html(tag="p", children=[text], class_="my-1")


@solara.component
def Views(model: LiveModel):
    tab = solara.use_reactive(0)
    ResizeOnShow().key(f"resize-{tab.value}")
    views = {"Map": WorldMap, "Charts": Charts, "Why?": Why, "Soft power": Ranking,
             "Relations": Relations, "Regions": Regions, "Replicates": Replicates,
             "Export": Export, "About": About}
    with solara.lab.Tabs(value=tab, lazy=True):
        for label, view in views.items():
            with solara.lab.Tab(label):
                view(model)


@solara.component
def WorldMap(model: LiveModel):
    update_counter.get()
    layers = solara.use_reactive(["relations", "paradiplomacy", "twinning"])
    colour_by = solara.use_reactive(COLOUR_BY[0])
    selected = solara.use_reactive(None)
    if selected.value is not None and selected.value >= len(model.world.actors):
        selected.set(None)

    def on_click(data):
        rows = data.get("points", {}).get("point_indexes", [])
        trace = data.get("points", {}).get("trace_indexes", [])
        if rows and trace:
            custom = figure.data[trace[0]].customdata
            if custom is not None:
                selected.set(int(custom[rows[0]]))

    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Text("Links:")
        solara.ToggleButtonsMultiple(layers, list(LAYERS))
        solara.Text("States by:")
        solara.ToggleButtonsSingle(colour_by, list(COLOUR_BY))
    with model.lock:
        figure = map_figure(model, layers.value, colour_by.value, selected.value)
        values = actor_values(model, selected.value) if selected.value is not None else None
    PlotlyFigure(figure, f"{stem(model)}-map", on_click=on_click)
    if values is None:
        solara.Info("Hover over an actor to see its values; click it to keep them here.",
                    dense=True)
    else:
        with solara.Card(values["name"]), solara.v.SimpleTable(dense=True), \
                solara.v.Html(tag="tbody"):
            for key, value in values.items():
                with solara.v.Html(tag="tr"):
                    solara.v.Html(tag="th", children=[key])
                    solara.v.Html(tag="td", children=[value])


@solara.component
def Charts(model: LiveModel):
    update_counter.get()
    scale = solara.use_reactive(SCALES[0])
    with model.lock:
        figure = chart_panel(model, scale=scale.value)
    with solara.Row(style={"align-items": "center"}):
        solara.Text("GDP and trade:")
        solara.ToggleButtonsSingle(scale, list(SCALES))
    # Always a text, so that the figure keeps its place (and its widget) when the note appears.
    solara.Text("Triangles on the time axis: events (hover for their names), red for yours. "
                + (f"Dashed: the same seed's run {model.baseline_label}."
                   if model.baseline is not None else ""))
    PlotlyFigure(figure, f"{stem(model)}-charts")


@solara.component
def Ranking(model: LiveModel):
    update_counter.get()
    with model.lock:
        date, ranking = model.date, soft_power_ranking(model)
    heading(f"Soft power at {date}")
    solara.DataFrame(ranking, items_per_page=20)


@solara.component
def Relations(model: LiveModel):
    update_counter.get()
    with model.lock:
        figure = relations_heatmap(model)
    PlotlyFigure(figure, f"{stem(model)}-relations")


@solara.component
def Regions(model: LiveModel):
    update_counter.get()
    with model.lock:
        figure, date, table = activity_chart(model), model.date, activity_by_state(model)
    PlotlyFigure(figure, f"{stem(model)}-regions")
    heading(f"Regions by activity class at {date}")
    solara.DataFrame(table, items_per_page=20)


@solara.component
def Export(model: LiveModel):
    update_counter.get()
    note(f"The run so far: {model.steps} steps of {model.setup.name}, seed {model.seed}, with "
         "what you did noted in its manifest; the dashed run's tables under baseline/; and what "
         "you did as a scenario file, your_events.toml, which `geopol run` replays to the same "
         "numbers (its first line gives the command).")

    def archive(fmt: str) -> bytes:
        with model.lock:
            return run_archive(model, fmt)

    for fmt in FORMATS:
        solara.FileDownload(lambda fmt=fmt: archive(fmt),
                            filename=f"{stem(model)}-{fmt}.zip", label=f"Run as {fmt} (zip)")
    note("The charts and the map save themselves as PNG from the camera button at their "
         "top right.")


@solara.component
def Replicates(model: LiveModel):
    """The live run's actions replicated over seeds with `geopol compare`'s runner: is the
    effect the dashed lines show robust, or one seed's luck?"""
    update_counter.get()
    replicates = solara.use_reactive(10)

    def run() -> Comparison:
        def progress(done: int, total: int) -> None:
            task.progress = 100.0 * done / total

        with model.lock:
            scenario, steps = model.with_actions(), model.steps
        return compare(scenario, model.setup, replicates=replicates.value, seed=model.seed,
                       steps=steps, params=model.overrides, progress=progress)

    task = solara.lab.use_task(run, dependencies=None, prefer_threaded=True)
    note(
        "Runs the scenario with your actions against the scenario without them, in paired "
        "replicates (one seed each, as geopol compare does), for the steps run so far. "
        "Difference = with − without, median over replicates; the band is its 5–95% range.")
    if not model.actions or model.steps == 0:
        solara.Info("Act on the run (Events) and take a step first.", dense=True)
        return
    solara.SliderInt(f"Replicates: {replicates.value}", value=replicates, min=2, max=50)
    solara.Button(f"Run {replicates.value} paired replicates of {model.steps} steps",
                  color="primary", on_click=task, disabled=task.pending)
    if task.pending:
        solara.ProgressLinear(task.progress or True)
    elif task.error:
        solara.Error(f"The comparison failed: {task.exception}")
    elif task.value is not None:
        c = task.value
        heading(f"{c.replicates} replicates, {c.dates[0]} to {c.dates[-1]}; "
                f"focus: {', '.join(c.focus)}")
        solara.DataFrame(comparison_table(c), items_per_page=15)
