"""The browser app (viz/): LiveModel and its baseline twin, the charts, tables, map, export,
controls and Solara components, and the checks `geopol app` makes before it serves.

The model-side tests follow tests/test_events.py: the live run is compared with the same seed's
run without the user's events, which must match it exactly up to the step the user acted at.
Components are rendered with `solara.render` (no browser, no server) and driven through their
widgets: a button's `click()`, a select's or slider's `v_model`.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import sys
import threading
import time
import tomllib
import zipfile

import ipyvuetify as v
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import solara
from helpers import row, run
from matplotlib import colormaps
from matplotlib.colors import to_hex
from mesa.visualization.solara_viz import ModelController
from plotly.graph_objs import FigureWidget
from solara.components.datatable import DataTableWidget

from sim import GeoModel, attribution, events
from sim.bench_app import free_port
from sim.compare import outcomes
from sim.errors import InputError
from sim.mechanisms.decisions import Decision
from sim.mechanisms.trade import cost_changes
from sim.output import run_tables
from sim.params import PARAM_NAMES, Params
from sim.recording import ACTIVITY_NAMES, PILLARS
from sim.scenario import BUNDLED_DIR, bundled, load
from sim.world import CITY, REGION, STATE
from viz import about, charts, events_panel, tables, why, world_map
from viz import app as app_module
from viz import live as live_module
from viz import serve as serve_module
from viz.controls import PARAMETER_SLIDERS, RunControls, Settings, starting_settings
from viz.events_panel import DecisionsPanel, EventsPanel, act
from viz.export import run_archive
from viz.live import LiveModel
from viz.tables import activity_by_state, actor_values, soft_power_ranking

SEED = 5
K = 3  # the user acts after step K: the event acts at step K + 1
STEPS = 5  # steps the shared sanctioned run takes in all
# The user's test sanction. Its target is India, which neither the USA nor France sanctions in
# the world's 2023: Russia, the old target, is under the West's sanctions from the start, so
# one more sanction on it changes little.
TARGET = "IND"
WEST = {"type": "sanction", "name": "west", "imposers": ["USA", "FRA"], "target": TARGET}
DOCS = BUNDLED_DIR.parent / "docs" / "model.md"


# ---------------------------------------------------------------- helpers


def histories(model: GeoModel) -> dict[str, np.ndarray]:
    """Every series the recorder keeps, over every recorded step, plus the model series."""
    recorder = model.recorder
    out = {f"{group}.{name}": recorder.history(group, name)
           for group, series in recorder._series.items() for name in series}
    out["trade"] = np.stack(recorder._trade["trade_usd"])
    for name in ("world_gdp_usd", "world_exports_usd", "mean_relations"):
        out[f"model.{name}"] = np.asarray(model.datacollector.model_vars[name])
    return out


def assert_same_run(a: GeoModel, b: GeoModel, upto: int | None = None) -> None:
    """The two runs' histories are identical (through recorded step `upto` if given)."""
    ha, hb = histories(a), histories(b)
    assert ha.keys() == hb.keys()
    for name in ha:
        left = ha[name] if upto is None else ha[name][: upto + 1]
        right = hb[name] if upto is None else hb[name][: upto + 1]
        np.testing.assert_array_equal(left, right, err_msg=name)


def exports(model: GeoModel, i: int) -> float:
    trade = model.world.pairs.trade
    return float(trade[i].sum() - trade[i, i])


def sanction_cost(model: GeoModel, among: dict | None = None) -> float:
    """How much sanctions add to trade costs (−Σ of their part of ln φ): in all, or between
    the states a sanction event names (`among`), where the world's own sanctions add nothing."""
    cost = cost_changes(model.world.pairs, model.params.trade)["sanctions"]
    if among is not None:
        rows = [row(model, state) for state in [*among["imposers"], among["target"]]]
        cost = cost[np.ix_(rows, rows)]
    return -float(cost.sum())


def dashed(trace) -> bool:
    return trace.line.dash == "dash"


def drawn_lines(figure) -> list:
    """A chart's lines of values: not its event markers, nor the legend entry of the dashes."""
    return [t for t in figure.data if getattr(t, "mode", None) == "lines" and t.legendgroup != "dashed"
            and not (t.legendgroup or "").endswith("-dashed")]


def segments(trace) -> list[tuple[float, float, float, float]]:
    """A line trace's segments as (x0, y0, x1, y1), longitude and latitude on the map; traces
    separate them with NaN."""
    x, y = np.asarray(trace.lon, dtype=float), np.asarray(trace.lat, dtype=float)
    assert len(x) % 3 == 0 and np.isnan(x[2::3]).all()
    return list(zip(x[0::3], y[0::3], x[1::3], y[1::3], strict=True))


def alerts(rc, kind: str) -> list[str]:
    """Texts of the solara.Success ("success") or solara.Error ("error") alerts shown."""
    return [text for w in rc.find(v.Alert).widgets if w.type == kind for text in w.children
            if isinstance(text, str)]


def clock(rc) -> str:
    """The app's clock line: scenario, seed, step and date."""
    (text,) = rc.find(v.Html, class_="geopol-clock").widget.children
    return text


def buttons(rc) -> list[str]:
    return [text for w in rc.find(v.Btn).widgets for text in w.children if isinstance(text, str)]


# ---------------------------------------------------------------- shared runs (read only)


@pytest.fixture(scope="module")
def quiet() -> LiveModel:
    """eurasia, seed SEED, STEPS steps without any action."""
    return run(LiveModel(scenario_name="eurasia", seed=SEED), STEPS)


@pytest.fixture(scope="module")
def sanctioned() -> LiveModel:
    """eurasia, seed SEED: the US and France sanction India after step K; STEPS steps."""
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), K)
    model.inject(WEST)
    return run(model, STEPS - K)


# ---------------------------------------------------------------- LiveModel


def test_no_baseline_and_no_actions_before_the_user_acts(quiet):
    assert quiet.baseline is None
    assert quiet.actions == [] and quiet.focus_states == []
    assert quiet.problem is None and quiet.seed == SEED


def test_the_first_event_starts_a_baseline_at_the_current_step():
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), K)
    model.inject(WEST)
    assert model.baseline is not None and model.baseline is not model
    assert model.baseline.steps == model.steps == K
    # The twin has the scenario's own timeline (the world's sanctions), not the user's event.
    assert len(model.baseline.timeline) == len(model.timeline) - 1
    assert model.timeline[-1].at == K + 1
    assert_same_run(model, model.baseline)
    twin = model.baseline
    model.inject({**WEST, "name": "again", "kind": "travel"})
    assert model.baseline is twin  # one baseline for all the user's actions


def test_a_watched_run_steps_only_as_fast_as_the_page_draws_it():
    """The play loop steps in a thread of its own: once a page draws the run, its step waits
    until the page shows the one before (every `redraw_every` steps), so that redraws are
    never asked for faster than the page makes them. A user's Step never waits."""
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    model.step_when_drawn()  # no page yet: no wait
    model.drawn(1)
    playing = threading.Thread(target=lambda: [model.step_when_drawn() for _ in range(3)],
                               daemon=True)
    playing.start()
    time.sleep(1.0)
    assert model.steps == 2  # it took one step, and waits for the page to draw it
    model.drawn(2)
    time.sleep(1.0)
    assert model.steps == 3
    model.redraw_every = 5
    model.drawn(3)
    playing.join(timeout=30)
    assert not playing.is_alive() and model.steps == 4
    start = time.monotonic()
    model.step()  # the page shows step 3 of 4: a user's Step goes ahead at once
    assert model.steps == 5 and time.monotonic() - start < live_module.DRAW_WAIT / 2


def test_a_pause_while_the_loop_waits_for_the_page_takes_no_further_step():
    """Pause pressed while the play loop waits for the page to draw the last step: once the
    page has drawn it, the loop asks again and takes no step (before, it took one more, so that
    the clock ran two steps past the one on screen when Pause was pressed)."""
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    model.drawn(0)
    playing = threading.Event()
    playing.set()
    took = []
    loop = threading.Thread(target=lambda: took.extend(
        model.step_when_drawn(playing.is_set) for _ in range(2)), daemon=True)
    loop.start()
    time.sleep(1.0)
    assert model.steps == 1  # the first step, then it waits for the page to draw it
    playing.clear()  # Pause
    model.drawn(1)
    loop.join(timeout=30)
    assert not loop.is_alive() and took == [True, False] and model.steps == 1


def test_a_page_that_stops_drawing_does_not_hold_the_run(monkeypatch):
    monkeypatch.setattr(live_module, "DRAW_WAIT", 0.2)
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    model.drawn(0)
    start = time.monotonic()
    for _ in range(3):
        model.step_when_drawn()
    assert model.steps == 3 and time.monotonic() - start >= 2 * 0.2


def test_a_step_keeps_out_whoever_reads_the_run():
    """A view reads the run under its lock: a step does not start while a view reads it."""
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    playing = threading.Thread(target=model.step, daemon=True)
    with model.lock:
        playing.start()
        time.sleep(0.5)
        assert model.steps == 0
    playing.join(timeout=30)
    assert model.steps == 1


def test_the_run_controls_play_to_the_scenarios_end_and_step_and_reset(tmp_path):
    short = tmp_path / "short.toml"
    short.write_text('[scenario]\nname = "short"\nextends = "eurasia"\nsteps = 3\n')
    settings = solara.reactive({**starting_settings("eurasia", SEED),
                                "scenario_file": str(short)})
    model = solara.reactive(LiveModel(**settings.value))
    _, rc = solara.render(RunControls(model, settings, solara.reactive(0),
                                      solara.reactive(1)), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.steps == 1
    rc.find(v.Btn, children=["▶"]).widget.click()
    deadline = time.monotonic() + 60
    while model.value.running and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    assert model.value.steps == 3 and not model.value.running
    rc.find(v.Btn, children=["▶"]).assert_single()  # stopped by itself
    assert rc.find(v.Btn, children=["▶"]).widget.disabled
    assert rc.find(v.Btn, children=["Step"]).widget.disabled
    first = model.value
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value is not first and model.value.steps == 0 and model.value.running


def test_the_run_stops_at_its_scenarios_last_step(tmp_path):
    short = tmp_path / "short.toml"
    short.write_text('[scenario]\nname = "short"\nextends = "eurasia"\nsteps = 2\n')
    model = LiveModel(scenario_file=str(short), seed=SEED)
    model.step()
    assert model.running
    model.step()
    assert not model.running and model.steps == 2


def test_a_scenario_with_events_of_its_own_is_drawn_against_its_twin_from_the_start():
    """eurasia-sanctions-2017 has sanctions of its own during the run (the US bill, the EU's
    extension): its baseline starts with it, without them, and the two runs are the same until
    the first of them acts. The user's first action then keeps that twin, now without the
    user's events too."""
    model = LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED)
    twin = model.baseline
    assert twin is not None and model.baseline_label == "without the scenario's events"
    own = sorted({item.at for item in model.timeline if item.at >= 1})
    assert own and not [item for item in twin.timeline if item.at >= 1]
    run(model, own[0] + 1)
    assert twin.steps == model.steps
    assert_same_run(model, twin, upto=own[0] - 1)
    assert not np.array_equal(model.world.pairs.trade, twin.world.pairs.trade)
    model.inject(WEST)
    assert model.baseline is twin
    assert model.baseline_label == "without the scenario's events or yours"
    chart = charts.chart_panel(model)
    assert any(t.name and t.name.endswith("without the scenario's events or yours")
               for t in chart.data)


def test_a_scenario_without_events_of_its_own_starts_with_no_baseline(quiet):
    assert quiet.baseline is None and quiet.baseline_label == ""


def test_baseline_steps_in_lockstep_and_matches_the_live_run_until_the_event(sanctioned):
    base = sanctioned.baseline
    assert base.steps == sanctioned.steps == STEPS
    assert base.recorder.steps == sanctioned.recorder.steps == list(range(STEPS + 1))
    assert_same_run(sanctioned, base, upto=K)
    # ...and not after: the sanction acts at K + 1.
    assert not np.array_equal(histories(sanctioned)["trade"][K + 1],
                              histories(base)["trade"][K + 1])


def test_the_sanction_lowers_the_live_runs_trade_against_the_baseline(sanctioned):
    """The target is India, which the imposers do not sanction at the start (see TARGET):
    the sanction cuts its trade with them by more than half and its exports by more than 5%."""
    base, target = sanctioned.baseline, row(sanctioned, TARGET)
    assert exports(sanctioned, target) < 0.95 * exports(base, target)
    assert sanctioned.world_exports < base.world_exports
    for imposer in ("USA", "FRA"):
        i = row(sanctioned, imposer)
        assert sanctioned.world.pairs.trade[i, target] < 0.5 * base.world.pairs.trade[i, target]
        assert sanctioned.world.pairs.trade[target, i] < 0.5 * base.world.pairs.trade[target, i]
    live_series = np.asarray(sanctioned.datacollector.model_vars["world_exports_usd"])
    base_series = np.asarray(base.datacollector.model_vars["world_exports_usd"])
    assert (live_series[K + 1:] < base_series[K + 1:]).all()


def test_actions_and_focus_states_record_what_the_user_did(sanctioned):
    assert sanctioned.actions == [(K + 1, "sanction 'west'")]
    assert sanctioned.focus_states == [row(sanctioned, s) for s in ("USA", "FRA", TARGET)]


def test_baseline_equals_a_plain_run_of_the_same_seed(sanctioned):
    plain = run(GeoModel(scenario="eurasia", rng=SEED), STEPS)
    assert_same_run(plain, sanctioned.baseline)


def test_baseline_keeps_the_parameter_overrides():
    model = LiveModel(scenario_name="synthetic", seed=2, trade_sigma=8.0, growth_trend=0.08)
    model.inject({"type": "technology_shock", "origin": ["S0003"]})
    run(model, 2)
    assert model.baseline.params == model.params
    plain = run(GeoModel(scenario="synthetic", rng=2, trade_sigma=8.0, growth_trend=0.08), 2)
    assert_same_run(plain, model.baseline)


def test_an_event_with_a_later_at_acts_then_in_the_timeline():
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    model.inject({**WEST, "at": 4})
    assert model.timeline[-1].at == 4


def test_the_action_is_recorded_at_the_step_the_event_acts():
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    model.inject({**WEST, "at": 4})
    assert model.actions == [(model.timeline[-1].at, "sanction 'west'")]


def test_a_refused_event_starts_no_baseline_and_records_nothing():
    """The timeline keeps the scenario's own events (the world's sanctions) and nothing else."""
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    with pytest.raises(InputError, match="target"):
        model.inject({**WEST, "target": "NOSUCH"})
    assert model.baseline is None and model.actions == [] and model.focus_states == []
    assert [item.event for item in model.timeline] == load("eurasia").spec.events


def test_lifting_a_sanction_ends_it_and_its_trade_cost_fades():
    """The world's own sanctions stay in force beside the user's: its cost is measured among
    the states it names, where the world has none (see TARGET)."""
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    model.inject(WEST)
    run(model, 3)
    own = model.baseline.in_force()
    assert own and "west" not in own
    # India may answer with counter-sanctions of its own (a decision, not the user's).
    answer = [f"{TARGET} counter-sanctions"] if any(
        d.state == TARGET and d.action == "counter-sanctioned" for d in model.decisions) else []
    assert model.in_force() == [*own, "west", *answer]
    before = sanction_cost(model, WEST)
    assert before > 0
    model.lift("west")
    assert model.in_force() == [*own, *answer]
    assert model.actions == [(2, "sanction 'west'"), (5, "lift 'west'")]
    costs = [sanction_cost(run(model, 1), WEST) for _ in range(4)]
    assert before > costs[0] > costs[1] > costs[2] > costs[3] > 0  # fading, not yet gone
    assert sanction_cost(model.baseline, WEST) == 0.0


def test_lifting_a_scenario_sanction_starts_a_baseline_that_keeps_it():
    """The world's sanctions of 2023 are in force in eurasia; lifting one leaves the others,
    and the baseline keeps it."""
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 4)
    before = model.in_force()
    assert {"Russia 2014", "Russia 2022"} <= set(before)
    model.lift("Russia 2022")
    assert model.in_force() == [name for name in before if name != "Russia 2022"]
    assert model.baseline is not None
    assert model.baseline.in_force() == before
    assert model.actions == [(5, "lift 'Russia 2022'")]
    assert_same_run(model, model.baseline)
    run(model, 2)
    assert sanction_cost(model) < sanction_cost(model.baseline)


def test_lifting_a_sanction_of_a_scenario_drawn_against_its_twin_keeps_the_twin():
    """eurasia-sanctions-2017 is drawn against its twin without its own sanctions; lifting
    the EU extension leaves that baseline as it is, now without the user's events too."""
    model = run(LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED), 4)
    twin = model.baseline
    assert "EU extension" in model.in_force() and "EU extension" not in twin.in_force()
    model.lift("EU extension")
    assert model.baseline is twin and "EU extension" not in model.in_force()
    assert model.baseline_label == "without the scenario's events or yours"


def test_lifting_a_regime_ends_every_part_of_it():
    """A regime against many targets (Russia's food embargo of 2014: one sanction per target)
    is listed once and lifted whole."""
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    regime = "Russia food embargo 2014"
    parts = [item for item in model.timeline if getattr(item.event, "regime", None) == regime]
    assert len(parts) > 1 and model.in_force().count(regime) == 1
    assert not any(item.event.name in model.in_force() for item in parts)
    model.lift(regime)
    assert regime not in model.in_force() and all(item.end == 2 for item in parts)
    assert model.actions == [(2, f"lift {regime!r}")]
    assert regime in model.baseline.in_force()


def test_lifting_an_unknown_name_is_a_one_line_input_error():
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    with pytest.raises(InputError) as caught:
        model.lift("no such sanction")
    text = str(caught.value)
    assert "\n" not in text and "'no such sanction'" in text
    assert model.baseline is None and model.actions == []


@pytest.mark.parametrize(("kwargs", "cause"), [
    ({"seed": "abc"}, "'abc'"),
    ({"seed": "-1"}, "'-1'"),
    ({"seed": -3}, "-3"),
    ({"seed": "1.5"}, "'1.5'"),
    ({"scenario_name": "nosuch"}, "'nosuch'"),
    ({"scenario_file": "/no/such/dir/x.toml"}, "'/no/such/dir/x.toml'"),
    ({"scenario_name": "synthetic", "seed": "x7"}, "'x7'"),
])
def test_unusable_scenario_or_seed_falls_back_to_eurasia_seed_0(kwargs, cause):
    model = LiveModel(**kwargs)
    assert model.setup.name == "eurasia" and model.seed == 0
    assert isinstance(model.problem, str) and "\n" not in model.problem
    assert cause in model.problem
    assert model.problem.startswith("app: seed: ") == ("seed" in kwargs)
    assert model.problem.endswith("showing eurasia with seed 0 instead")
    assert_same_run(run(model, 1), run(GeoModel(scenario="eurasia", rng=0), 1))


@pytest.mark.parametrize("text", ["[scenario\nname =", "", "\xff garbage"])
def test_an_unreadable_scenario_file_is_a_one_line_problem(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_bytes(text.encode("latin-1"))
    model = LiveModel(scenario_name="synthetic", scenario_file=str(path), seed=3)
    assert model.setup.name == "eurasia" and model.seed == 0
    assert str(path) in model.problem and "\n" not in model.problem


def test_a_scenario_file_wins_over_the_scenario_name():
    path = BUNDLED_DIR / "synthetic.toml"
    model = LiveModel(scenario_name="eurasia", scenario_file=f"  {path}  ", seed=" 4 ")
    assert model.problem is None
    assert model.setup.name == "synthetic" and model.seed == 4
    assert_same_run(run(model, 1), run(GeoModel(scenario="synthetic", rng=4), 1))


# ---------------------------------------------------------------- charts


@pytest.mark.parametrize("name", list(charts.SERIES))
def test_every_chart_builds_without_dashes_before_the_user_acts(quiet, name):
    figure = charts.time_chart(quiet, name)
    series = charts.SERIES[name]
    lines = series.values(quiet).shape[1]
    assert len(figure.data) == min(charts.LINES, lines)
    assert not any(dashed(trace) for trace in figure.data)
    assert all(trace.x == tuple(charts.dates(quiet)) for trace in figure.data)
    assert figure.layout.shapes == () and figure.layout.annotations == ()
    assert figure.layout.title.text == series.title


@pytest.mark.parametrize("name", list(charts.SERIES))
def test_each_live_line_has_a_dashed_baseline_of_the_same_colour(sanctioned, name):
    figure = charts.time_chart(sanctioned, name)
    series = charts.SERIES[name]
    names = series.names(sanctioned)
    live, base = series.values(sanctioned), series.values(sanctioned.baseline)
    lines = drawn_lines(figure)
    solid = lines[0::2]
    assert len(lines) == 2 * len(solid)
    assert len({trace.line.color for trace in solid}) == len(solid)
    # One legend entry says what the dashes are.
    (legend,) = [t for t in figure.data if t.legendgroup == "dashed"]
    assert dashed(legend) and legend.showlegend is not False
    assert legend.name.replace("<br>", " ") == "dashed: without your events"
    for line, twin in zip(solid, lines[1::2], strict=True):
        assert not dashed(line) and dashed(twin)
        assert twin.line.color == line.line.color
        assert twin.name == f"{line.name} without your events" and twin.showlegend is False
        k = names.index(line.name)
        np.testing.assert_array_equal(line.y, live[:, k])
        np.testing.assert_array_equal(twin.y, base[:, k])


def test_the_users_action_is_marked_at_its_date_with_its_label(sanctioned):
    """A red triangle at the foot of the chart, named on hover, and a faint line up it; no
    text on the chart itself."""
    when = sanctioned.date_of(K + 1).isoformat()
    for figure in (charts.time_chart(sanctioned, "gdp"), charts.activity_chart(sanctioned)):
        (shape,) = figure.layout.shapes
        assert shape.type == "line" and shape.x0 == shape.x1 == when
        assert shape.line.color == "crimson"
        (marker,) = [t for t in figure.data if getattr(t, "mode", None) == "markers"]
        assert marker.name == "events (you)" and marker.marker.color == "crimson"
        assert marker.x == (when,) and marker.hovertext == (f"{when}: sanction 'west'",)
        assert marker.y == (0.0,) and figure.layout[f"yaxis{marker.yaxis[1:]}"].visible is False
        assert figure.layout.annotations == ()


def test_an_action_is_marked_only_once_the_run_reaches_it():
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    model.inject(WEST)
    assert charts.time_chart(model, "trade").layout.shapes == ()
    model.step()
    (shape,) = charts.time_chart(model, "trade").layout.shapes
    assert shape.x0 == model.date_of(2).isoformat()


def test_the_scenarios_own_events_are_marked_in_grey():
    """eurasia-sanctions-2017 runs on the world's timeline too: the Qatar blockade (June 2017)
    acts at step 2, the US bill and the EU extension at step 3. Each date is marked once."""
    model = run(LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED), 4)
    acting = {item.event.name: item.at for item in model.timeline
              if 0 < item.at <= 4 and not item.decided}
    assert acting == {"Qatar blockade": 2, "US sanctions bill": 3, "EU extension": 3}
    # Russia's answers are states' decisions: listed with their reasons, not marked.
    assert any(item.decided and item.at == 4 for item in model.timeline)
    shapes = charts.time_chart(model, "soft_power").layout.shapes
    assert [s.x0 for s in shapes] == [model.date_of(2).isoformat(), model.date_of(3).isoformat()]
    assert {s.line.color for s in shapes} == {"#999"}
    assert charts.time_chart(model, "soft_power").layout.annotations == ()


def test_soft_power_lines_are_the_recorded_history(quiet):
    figure = charts.time_chart(quiet, "soft_power")
    history = quiet.recorder.history("state", "soft_power")
    ids = [str(i) for i in quiet.world.actors.ids]
    for trace in figure.data:
        np.testing.assert_array_equal(trace.y, history[:, ids.index(trace.name)])
    # With nothing named, the lines are the largest now of the scenario's focus (eurasia's 24
    # states of the world's 190), largest first.
    focus = quiet.setup.spec.scenario.focus
    order = [k for k in np.argsort(-history[-1], kind="stable") if ids[k] in focus]
    assert [trace.name for trace in figure.data] == [ids[k] for k in order[: charts.LINES]]
    world_largest = [ids[k] for k in np.argsort(-history[-1], kind="stable")[: charts.LINES]]
    assert not set(world_largest) <= set(focus)  # the focus is not just the world's largest


def test_without_a_focus_the_lines_are_the_largest_of_all(synthetic):
    assert synthetic.setup.spec.scenario.focus == []
    history = synthetic.recorder.history("state", "soft_power")
    ids = [str(i) for i in synthetic.world.actors.ids]
    order = np.argsort(-history[-1], kind="stable")[: charts.LINES]
    figure = charts.time_chart(synthetic, "soft_power")
    assert [trace.name for trace in figure.data] == [ids[k] for k in order]


def test_a_line_keeps_its_colour_when_the_users_events_change_the_lines_drawn():
    """Before, colours went by a line's place in the list: naming two states moved every other
    line's colour. Now each keeps the colour it was first drawn in, for the whole session."""
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    run(model, 1)

    def colours() -> dict[str, str]:
        return {t.name: t.line.color for t in drawn_lines(charts.time_chart(model, "gdp"))
                if not dashed(t)}

    before = colours()
    model.inject({"type": "sanction", "imposers": ["KGZ"], "target": "TJK"})
    run(model, 1)
    after = colours()
    assert {"KGZ", "TJK"} <= set(after) and not {"KGZ", "TJK"} & set(before)
    kept = set(before) & set(after)
    assert kept and all(after[name] == before[name] for name in kept)
    assert len(set(after.values())) == len(after)  # still one colour per line


def test_gdp_and_trade_can_be_drawn_on_a_log_axis_or_as_the_change_since_the_start(sanctioned):
    series = charts.SERIES["gdp"]
    names, live = series.names(sanctioned), series.values(sanctioned)
    log = charts.time_chart(sanctioned, "gdp", "log axis")
    assert log.layout.yaxis.type == "log" and log.layout.yaxis.title.text == "US$ bn, log axis"
    change = charts.time_chart(sanctioned, "gdp", "% change")
    assert change.layout.yaxis.title.text == f"% change since {sanctioned.date_of(0)}"
    for trace in drawn_lines(change):
        k = names.index(trace.name.split(" ")[0])
        values = live if not dashed(trace) else series.values(sanctioned.baseline)
        np.testing.assert_allclose(trace.y, 100.0 * (values[:, k] / live[0, k] - 1.0))
        assert trace.y[0] == pytest.approx(0.0, abs=1e-12)
    # The scale is GDP's and trade's: soft power is an index, drawn as it is.
    panel = charts.chart_panel(sanctioned, scale="% change")
    assert panel.layout.yaxis3.title.text == charts.SERIES["soft_power"].unit
    with pytest.raises(ValueError, match="scale 'cubic'"):
        charts.time_chart(sanctioned, "gdp", "cubic")


def test_trade_chart_is_world_exports(sanctioned):
    figure = charts.time_chart(sanctioned, "trade")
    line, twin = drawn_lines(figure)
    assert line.name == "world"
    np.testing.assert_array_equal(
        line.y, np.asarray(sanctioned.datacollector.model_vars["world_exports_usd"]) / 1e9)
    np.testing.assert_array_equal(
        twin.y,
        np.asarray(sanctioned.baseline.datacollector.model_vars["world_exports_usd"]) / 1e9)


def test_picked_lines_put_the_states_the_user_named_first():
    """Then the largest of the scenario's focus; a state outside the focus is drawn once the
    user's events name it."""
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    model.inject({"type": "sanction", "imposers": ["KGZ"], "target": "TJK"})
    series = charts.SERIES["soft_power"]
    values = series.values(model)
    picked = charts.picked_lines(model, series, values)
    named = {row(model, "KGZ"), row(model, "TJK")}
    assert set(picked[:2]) == named and len(picked) == charts.LINES
    focus = [row(model, state) for state in model.setup.spec.scenario.focus]
    rest = [k for k in np.argsort(-values[-1], kind="stable") if k in focus and k not in named]
    assert picked[2:] == rest[: charts.LINES - 2]
    # Capitals' lines follow their states.
    weights = charts.SERIES["diplomatic_weight"]
    picked = charts.picked_lines(model, weights, weights.values(model))
    names = weights.names(model)
    assert {names[k] for k in picked[:2]} == {"Bishkek", "Dushanbe"}
    # Named states are drawn even beyond LINES.
    model.inject({"type": "sanction", "imposers": ["USA", "FRA", "POL", "HUN", "JPN"],
                  "target": "IRN"})
    assert len(charts.picked_lines(model, series, values)) == 8
    model.inject({"type": "sanction", "imposers": ["DEU"], "target": "KGZ"})
    assert "DEU" not in model.setup.spec.scenario.focus
    picked = charts.picked_lines(model, series, values)
    assert len(picked) == 9 and row(model, "DEU") in picked


def heatmap_rows(figure, model: GeoModel) -> list[int]:
    """The state rows a relations heatmap shows, checking that it is their relations matrix
    (blank on the diagonal) grouped by bloc."""
    (heat,) = figure.data
    labels = list(heat.x)
    assert list(heat.y) == labels
    keep = [row(model, label) for label in labels]
    z = np.asarray(heat.z, dtype=float)
    assert np.isnan(np.diag(z)).all()
    expected = model.world.pairs.relations[np.ix_(keep, keep)]
    off = ~np.eye(len(keep), dtype=bool)
    np.testing.assert_array_equal(z[off], expected[off])
    assert (np.diff(model.world.nations.bloc[keep]) >= 0).all()  # grouped by bloc
    return keep


@pytest.mark.parametrize("limit", [10, 60])
def test_relations_heatmap_shows_the_named_and_the_focus_states(sanctioned, limit):
    """eurasia on the world: the heatmap is about the scenario's 24 focus states (the 190×190
    matrix would be unreadable), the states the user's events name always among them."""
    figure = charts.relations_heatmap(sanctioned, limit=limit)
    keep = heatmap_rows(figure, sanctioned)
    s = sanctioned.world.n_states
    focus = [row(sanctioned, state) for state in sanctioned.setup.spec.scenario.focus]
    named = set(sanctioned.focus_states)
    assert named <= set(keep) and len(keep) == min(limit, len(focus))
    gdp = sanctioned.world.actors.gdp[:s]
    rest = [k for k in np.argsort(-gdp, kind="stable") if k in focus and k not in named]
    assert set(keep) == named | set(rest[: len(keep) - len(named)])
    assert f"({len(keep)} of {s} states: those your events name and the scenario's focus, " \
        in figure.layout.title.text


@pytest.mark.parametrize("limit", [10, 60])
def test_relations_heatmap_without_a_focus_shows_the_largest_states(synthetic, limit):
    figure = charts.relations_heatmap(synthetic, limit=limit)
    keep = heatmap_rows(figure, synthetic)
    s = synthetic.world.n_states
    assert set(keep) == set(np.argsort(-synthetic.world.actors.gdp[:s])[:limit].tolist())
    shown = f"({limit} of {s} states: the largest economies, grouped by bloc)"
    assert (shown in figure.layout.title.text) == (limit < s)


def test_activity_chart_counts_every_region_at_every_step(sanctioned):
    figure = charts.activity_chart(sanctioned)
    regions = np.flatnonzero(sanctioned.world.actors.kind == REGION)
    stacked = [trace for trace in figure.data if trace.stackgroup == "classes"]
    assert [trace.name for trace in stacked] == list(ACTIVITY_NAMES)
    counts = np.array([trace.y for trace in stacked])
    assert counts.shape == (len(ACTIVITY_NAMES), STEPS + 1)
    assert (counts.sum(axis=0) == len(regions)).all()
    classes = sanctioned.recorder.history("actor", "activity", regions)
    for c, trace in enumerate(stacked):
        np.testing.assert_array_equal(trace.y, (classes == c).sum(axis=1))
        assert trace.stackgroup == "classes"


# ---------------------------------------------------------------- tables


def test_ranking_lists_states_by_soft_power_rank(quiet):
    table = soft_power_ranking(quiet)
    s = quiet.world.n_states
    assert table["rank"].tolist() == list(range(1, s + 1))
    assert "rank change" not in table and "rank without your events" not in table
    rank = outcomes(quiet)["soft_power_rank"]
    names = [str(n) for n in quiet.world.actors.names[:s]]
    assert {name: int(rank[k]) for k, name in enumerate(names)} == dict(
        zip(table["state"], table["rank"], strict=True))
    assert (np.diff(table["soft power"].to_numpy()) <= 0).all()


def test_ranking_gains_the_baseline_rank_once_the_user_acts(sanctioned):
    table = soft_power_ranking(sanctioned)
    names = [str(n) for n in sanctioned.world.actors.names[: sanctioned.world.n_states]]
    base = outcomes(sanctioned.baseline)["soft_power_rank"]
    by_name = table.set_index("state")
    for k, name in enumerate(names):
        assert by_name.loc[name, "rank without your events"] == int(base[k])
    assert (table["rank change"] == table["rank without your events"] - table["rank"]).all()
    assert sorted(table["rank without your events"]) == list(range(1, len(names) + 1))


def test_activity_by_state_counts_each_states_regions(sanctioned):
    """eurasia keeps the regions of its 24 focus states only (regions_of = "focus"): the table
    lists every one of them, more than the 20 rows a world without a focus gets."""
    table = activity_by_state(sanctioned)
    actors = sanctioned.world.actors
    regions = actors.kind == REGION
    with_regions = np.unique(actors.state[regions])
    assert len(table) == len(with_regions) == len(sanctioned.setup.spec.scenario.focus)
    assert len(with_regions) > tables.TOP_STATES
    for _, line in table.iterrows():
        state = row(sanctioned, next(str(i) for i, n in zip(actors.ids, actors.names,
                                                             strict=True) if n == line["state"]))
        assert line[list(ACTIVITY_NAMES)].sum() == (regions & (actors.state == state)).sum()
    order = list(zip(-table["leading"], -table["active"], strict=True))
    assert order == sorted(order)
    assert len(activity_by_state(sanctioned, top=1)) == 1


def test_activity_by_state_without_a_focus_keeps_the_most_active(synthetic, monkeypatch):
    actors = synthetic.world.actors
    counted = len(np.unique(actors.state[actors.kind == REGION]))
    monkeypatch.setattr(tables, "TOP_STATES", counted - 3)
    table = activity_by_state(synthetic)
    assert len(table) == counted - 3
    assert table["state"].tolist() == activity_by_state(synthetic, top=counted)["state"].tolist()[
        : counted - 3]


def test_actor_values_name_the_kind_of_actor(sanctioned):
    state = actor_values(sanctioned, row(sanctioned, "KAZ"))
    assert state["kind"] == "state" and state["name"] == "Kazakhstan"
    assert state["state"] == "Kazakhstan"
    rank = int(outcomes(sanctioned)["soft_power_rank"][row(sanctioned, "KAZ")])
    assert state["soft power"].endswith(f"(rank {rank})")
    assert state["exports"] == f"US$ {exports(sanctioned, row(sanctioned, 'KAZ')) / 1e9:,.1f} bn"
    assert {"best relations", "worst relations", "sanction exposure"} <= state.keys()
    target = actor_values(sanctioned, row(sanctioned, TARGET))
    assert float(target["sanction exposure"]) > 0.0
    without = actor_values(sanctioned.baseline, row(sanctioned, TARGET))
    assert float(target["sanction exposure"]) > float(without["sanction exposure"])
    capital = actor_values(sanctioned, row(sanctioned, "astana"))
    assert capital["kind"] == "city (capital)" and capital["state"] == "Kazakhstan"
    assert "diplomatic weight" in capital and "soft power" not in capital
    city = actor_values(sanctioned, row(sanctioned, "almaty"))
    assert city["kind"] == "city" and "diplomatic weight" in city
    region_row = int(np.flatnonzero(sanctioned.world.actors.kind == REGION)[0])
    region = actor_values(sanctioned, region_row)
    assert region["kind"] == "region" and region["activity"] in ACTIVITY_NAMES
    assert "diplomatic weight" not in region
    assert region["state"] == str(sanctioned.world.actors.names[
        sanctioned.world.actors.state[region_row]])


# ---------------------------------------------------------------- map


def test_map_draws_every_actor_with_its_row_as_customdata(quiet):
    """eurasia has 614 regions, under MAX_REGIONS: every actor is drawn, the states as their
    outlines coloured by soft power, cities and regions as markers. Of the world's 190 states'
    17,955 pairs, only the strongest relations are drawn, and the title says so."""
    figure = world_map.map_figure(quiet)
    (states,) = [trace for trace in figure.data if trace.type == "choropleth"]
    s, actors = quiet.world.n_states, quiet.world.actors
    assert states.locationmode == "ISO-3" and list(states.locations) == actors.ids[:s].tolist()
    np.testing.assert_array_equal(states.customdata, np.arange(s))
    np.testing.assert_allclose(states.z, quiet.world.nations.soft_power)
    markers = {trace.name: trace for trace in figure.data if getattr(trace, "mode", None) == "markers"}
    assert set(markers) == {"regions", "cities"}
    for name, kind in (("regions", REGION), ("cities", CITY)):
        rows = np.asarray(markers[name].customdata)
        np.testing.assert_array_equal(rows, np.flatnonzero(actors.kind == kind))
        np.testing.assert_array_equal(markers[name].lon, actors.lon[rows])
        np.testing.assert_array_equal(markers[name].lat, actors.lat[rows])
    lines = [trace for trace in figure.data if getattr(trace, "mode", None) == "lines"]
    assert lines and all(trace.name.startswith("relations") for trace in lines)
    assert (actors.kind == REGION).sum() <= world_map.MAX_REGIONS
    assert figure.layout.title.text == (
        f"eurasia — {quiet.date}: states by soft power<br><sup>relations: the "
        f"{world_map.MAX_LINES} strongest of {s * (s - 1) // 2:,} pairs</sup>")
    geo = figure.layout.geo
    assert geo.showcoastlines and geo.showcountries and geo.projection.type == "natural earth"


def test_map_opens_framed_on_the_focus_states(quiet, synthetic, monkeypatch):
    """A focus on Central Asia is framed, not the whole world: every place of a focus state is
    inside the frame, most of the world not. eurasia's focus spans the USA to Japan, which as a
    frame would be a flat strip: it gets the whole world, as does a world without a focus."""
    for whole in (quiet, synthetic):
        geo = world_map.map_figure(whole, []).layout.geo
        assert geo.lonaxis.range is None and geo.lataxis.range is None
    model = quiet
    focus = np.array([row(model, state) for state in ("KAZ", "UZB", "KGZ", "TJK", "TKM")])
    monkeypatch.setattr(world_map, "scenario_focus", lambda _: focus)
    geo = world_map.map_figure(model, []).layout.geo
    actors = model.world.actors
    mine = np.isin(actors.state, focus)
    for (low, high), degrees, bound in ((geo.lonaxis.range, actors.lon[mine], 180.0),
                                        (geo.lataxis.range, actors.lat[mine], 90.0)):
        margin = max(world_map.FRAME_MARGIN * (degrees.max() - degrees.min()),
                     world_map.FRAME_MIN_MARGIN)
        assert low == pytest.approx(max(degrees.min() - margin, -bound))
        assert high == pytest.approx(min(degrees.max() + margin, bound))
    assert (actors.lon[~mine] < geo.lonaxis.range[0]).mean() > 0.3  # most of the world is out


@pytest.mark.parametrize("layer", world_map.LAYERS)
def test_every_layer_adds_line_traces(quiet, layer):
    base = len(world_map.map_figure(quiet, []).data)
    figure = world_map.map_figure(quiet, [layer])
    lines = [trace for trace in figure.data if getattr(trace, "mode", None) == "lines"]
    assert lines and len(figure.data) == base + len(lines)
    assert all(trace.name.startswith(layer) for trace in lines)


def test_relation_lines_are_coloured_by_their_bin(quiet):
    figure = world_map.map_figure(quiet, ["relations"])
    world, actors = quiet.world, quiet.world.actors
    i, j = np.triu_indices(world.n_states, k=1)
    value = world.pairs.relations[i, j]
    edges = world_map.RELATION_BINS
    cmap = colormaps["RdYlGn"]
    position = {(actors.lon[k], actors.lat[k]): k for k in range(world.n_states)}
    assert len(position) == world.n_states  # each state's place tells it apart
    drawn = set()
    for trace in (t for t in figure.data if getattr(t, "mode", None) == "lines"):
        low, high = (float(x) for x in re.findall(r"[+-]\d\.\d\d", trace.name))
        k = int(np.flatnonzero(np.isclose(edges, low))[0])
        assert high == pytest.approx(edges[k + 1])
        assert trace.line.color == to_hex(cmap(((low + high) / 2 + 1) / 2))
        for x0, y0, x1, y1 in segments(trace):
            a, b = sorted((position[(x0, y0)], position[(x1, y1)]))
            r = world.pairs.relations[a, b]
            assert low <= r <= high
            drawn.add((a, b))
    # 190 states: of their 17,955 pairs, the MAX_LINES strongest (either sign) are drawn.
    assert len(value) > world_map.MAX_LINES and len(drawn) == world_map.MAX_LINES
    strength = dict(zip(zip(i.tolist(), j.tolist(), strict=True), np.abs(value), strict=True))
    weakest_drawn = min(strength[pair] for pair in drawn)
    assert all(v <= weakest_drawn for pair, v in strength.items() if pair not in drawn)
    assert (f"relations: the {world_map.MAX_LINES} strongest of {len(value):,} pairs"
            in figure.layout.title.text)


@pytest.mark.parametrize("colour_by", world_map.COLOUR_BY)
def test_states_are_coloured_by_the_chosen_measure(quiet, colour_by):
    figure = world_map.map_figure(quiet, [], colour_by)
    (states,) = [trace for trace in figure.data if trace.name == "states"]
    nations, s = quiet.world.nations, quiet.world.n_states
    assert figure.layout.title.text.endswith(f"states by {colour_by}")
    if colour_by == "bloc":  # one colour per bloc, the bloc's colour elsewhere in the app
        colours = world_map.bloc_colours(quiet)
        # Bloc b is the segment [b/n, (b + 1)/n] of the scale, in its colour throughout.
        starts = {round(v, 9): c for v, c in states.colorscale}
        n = states.zmax + 0.5
        for k in range(s):
            assert starts[round(states.z[k] / n, 9)] == colours[k]
        return
    expected = {"soft power": nations.soft_power, "reputation": nations.reputation,
                "GDP": np.log10(quiet.world.actors.gdp[:s] / 1e9)}[colour_by]
    np.testing.assert_allclose(states.z, expected)
    assert (states.zmin, states.zmax) == (pytest.approx(expected.min()),
                                          pytest.approx(expected.max()))
    if colour_by == "GDP":  # a log scale, its ticks in US$ bn
        ticks = list(states.colorbar.tickvals)
        assert [10.0**t for t in ticks] == pytest.approx(
            [float(text.replace(",", "")) for text in states.colorbar.ticktext])


def test_a_synthetic_worlds_states_are_markers_coloured_by_the_measure(synthetic):
    """A synthetic world's states have no outlines: they are markers at their places."""
    figure = world_map.map_figure(synthetic, [], "soft power")
    (states,) = [trace for trace in figure.data if trace.name == "states"]
    s = synthetic.world.n_states
    assert states.type == "scattergeo" and states.mode == "markers"
    np.testing.assert_array_equal(states.customdata, np.arange(s))
    np.testing.assert_allclose(states.marker.color, synthetic.world.nations.soft_power)
    np.testing.assert_array_equal(states.lon, synthetic.world.actors.lon[:s])
    assert not [t for t in figure.data if t.type == "choropleth"]
    assert (synthetic.world.actors.kind[:s] == STATE).all()


def test_a_layer_draws_only_its_strongest_quarter(quiet):
    """Trade between 190 states: at most MAX_LINES lines, all in the top quarter of the pairs'
    trade, so that the layer does not cover the map."""
    figure = world_map.map_figure(quiet, ["trade"])
    i, j = np.triu_indices(quiet.world.n_states, k=1)
    trade = quiet.world.pairs.trade
    value = trade[i, j] + trade[j, i]
    floor = np.quantile(value, world_map.SHOWN_FROM)
    position = {(quiet.world.actors.lon[k], quiet.world.actors.lat[k]): k
                for k in range(quiet.world.n_states)}
    drawn = [sorted((position[(x0, y0)], position[(x1, y1)]))
             for t in figure.data if getattr(t, "mode", None) == "lines" for x0, y0, x1, y1 in segments(t)]
    assert 0 < len(drawn) <= world_map.MAX_LINES
    assert all(trade[a, b] + trade[b, a] >= floor for a, b in drawn)
    widths = sorted({t.line.width for t in figure.data if getattr(t, "mode", None) == "lines"})
    assert widths == sorted(world_map.WIDTHS)  # widths by strength


def test_an_unknown_colouring_is_a_value_error(quiet):
    with pytest.raises(ValueError, match="colour 'height'"):
        world_map.map_figure(quiet, [], "height")


def test_the_base_map_is_the_apps_own_copy_with_every_focus_state():
    """plotly's world_110m TopoJSON, in viz/basemap with its licence: outlines offline."""
    topojson = world_map.basemap()
    assert {"coastlines", "land", "countries"} <= set(topojson["objects"])
    ids = {g.get("id") for g in topojson["objects"]["countries"]["geometries"]}
    focus = load("eurasia").spec.scenario.focus
    assert set(focus) <= ids
    assert "MIT License" in (world_map.BASEMAP.parent / "LICENSE").read_text()


def test_unknown_layer_is_a_value_error(quiet):
    with pytest.raises(ValueError, match="unknown layer 'borders'"):
        world_map.map_figure(quiet, ["relations", "borders"])


def test_selected_actor_is_ringed(quiet):
    astana = row(quiet, "astana")
    figure = world_map.map_figure(quiet, [], selected=astana)
    ring = figure.data[-1]
    assert ring.name == "selected"
    assert ring.lon == (quiet.world.actors.lon[astana],)
    assert ring.lat == (quiet.world.actors.lat[astana],)


@pytest.fixture(scope="module")
def synthetic() -> LiveModel:
    return run(LiveModel(scenario_name="synthetic", seed=SEED), 1)


def test_a_large_world_is_capped_and_says_so(synthetic, monkeypatch):
    monkeypatch.setattr(world_map, "MAX_REGIONS", 10)
    monkeypatch.setattr(world_map, "MAX_LINES", 150)
    actors, links = synthetic.world.actors, synthetic.world.links
    figure = world_map.map_figure(synthetic, ["relations", "paradiplomacy"])
    (regions,) = [trace for trace in figure.data if trace.name == "regions"]
    rows = np.flatnonzero(actors.kind == REGION)
    largest = rows[np.argsort(-actors.gdp[rows], kind="stable")[:10]]
    assert sorted(regions.customdata) == sorted(largest)
    title = figure.layout.title.text
    assert f"the 10 largest of {len(rows)} regions shown" in title
    # Relations: the top quarter of the 190 pairs' strengths (either sign).
    i, j = np.triu_indices(synthetic.world.n_states, k=1)
    size = np.abs(synthetic.world.pairs.relations[i, j])
    shown = int((size >= np.quantile(size, world_map.SHOWN_FROM)).sum())
    assert f"relations: the {shown} strongest of 190 pairs" in title
    relation_lines = sum(len(segments(t)) for t in figure.data
                         if getattr(t, "mode", None) == "lines" and t.name.startswith("relations"))
    assert relation_lines == shown
    # Paradiplomacy: one line per pair of states, drawn between the states, the top quarter.
    strength = links.strength.sum(axis=1)
    active = np.flatnonzero(strength > 0)
    assert len(active) > 150
    sa, sb = actors.state[links.ends[active, 0]], actors.state[links.ends[active, 1]]
    pairs = set(zip(np.minimum(sa, sb).tolist(), np.maximum(sa, sb).tolist(), strict=True))
    _, _, total = world_map._by_state_pair(sa, sb, strength[active], synthetic.world.n_states)
    shown = int((total >= np.quantile(total, world_map.SHOWN_FROM)).sum())
    assert (f"paradiplomacy: the {shown} strongest of {len(pairs)} state pairs of its "
            f"{len(active):,} links") in title
    states = {(actors.lon[k], actors.lat[k]) for k in range(synthetic.world.n_states)}
    drawn = [seg for t in figure.data if t.name == "paradiplomacy" for seg in segments(t)]
    assert len(drawn) == shown
    assert all((x0, y0) in states and (x1, y1) in states for x0, y0, x1, y1 in drawn)


def test_few_lines_are_drawn_when_max_lines_is_small(synthetic, monkeypatch):
    monkeypatch.setattr(world_map, "MAX_LINES", 12)
    figure = world_map.map_figure(synthetic, world_map.LAYERS)
    for layer in ("trade", "relations", "paradiplomacy"):
        lines = [seg for t in figure.data if getattr(t, "mode", None) == "lines" and t.name.startswith(layer)
                 for seg in segments(t)]
        assert 0 < len(lines) <= 12, layer


def test_links_summed_by_state_pair_keep_their_total_strength(synthetic):
    actors, links = synthetic.world.actors, synthetic.world.links
    s = synthetic.world.n_states
    strength = links.strength.sum(axis=1)
    active = np.flatnonzero(strength > 0)
    sa, sb = actors.state[links.ends[active, 0]], actors.state[links.ends[active, 1]]
    a, b, total = world_map._by_state_pair(sa, sb, strength[active], s)
    assert total.sum() == pytest.approx(strength[active].sum(), rel=1e-12)
    assert (a <= b).all() and len(set(zip(a.tolist(), b.tolist(), strict=True))) == len(a)
    for x, y, t in zip(a[:20], b[:20], total[:20], strict=True):
        mine = ((sa == x) & (sb == y)) | ((sa == y) & (sb == x))
        assert t == pytest.approx(strength[active][mine].sum(), rel=1e-12)
    # By hand: two links between states 0 and 1 (either way round), one between 2 and 2.
    a, b, total = world_map._by_state_pair(np.array([0, 1, 2]), np.array([1, 0, 2]),
                                           np.array([1.5, 2.0, 0.25]), 3)
    assert a.tolist() == [0, 2] and b.tolist() == [1, 2] and total.tolist() == [3.5, 0.25]


# ---------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_archive_holds_the_run_tables_and_the_users_actions(sanctioned, fmt):
    archive = zipfile.ZipFile(io.BytesIO(run_archive(sanctioned, fmt)))
    expected = run_tables(sanctioned)
    assert sorted(archive.namelist()) == sorted([*(f"{n}.{fmt}" for n in expected),
                                                 *(f"baseline/{n}.{fmt}" for n in expected),
                                                 "manifest.json", "your_events.toml"])
    for name, table in expected.items():
        data = archive.read(f"{name}.{fmt}")
        back = (pq.read_table(io.BytesIO(data)).to_pandas() if fmt == "parquet"
                else pd.read_csv(io.BytesIO(data)))
        assert len(back) == table.num_rows and list(back.columns) == table.column_names, name
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["app_actions"] == [{"step": K + 1, "action": "sanction 'west'"}]
    assert manifest["seed"] == SEED and manifest["steps"] == STEPS
    assert manifest["scenario"] == "eurasia"


def test_archive_of_a_quiet_run_lists_no_actions(quiet):
    archive = zipfile.ZipFile(io.BytesIO(run_archive(quiet, "csv")))
    assert json.loads(archive.read("manifest.json"))["app_actions"] == []
    assert not [name for name in archive.namelist()
                if name.startswith("baseline/") or name.endswith(".toml")]


def test_archive_rejects_an_unknown_format(quiet):
    with pytest.raises(ValueError, match="'xlsx'"):
        run_archive(quiet, "xlsx")


# ---------------------------------------------------------------- controls


def documented_ranges() -> dict[str, tuple[float, float]]:
    """`section.key` → (low, high) from docs/model.md's parameter tables (closed ranges only)."""
    out = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^\| `([a-z_]+\.[a-z_]+)` \| [^|]+ \| ([^|]+) \|", line)
        if not found:
            continue
        text = found.group(2).strip().replace("−", "-").replace(",", "")
        # An open end is noted after the range: "0–20,000 (not 0)", "0–1 (neither end)".
        bounds = re.fullmatch(r"(-?[\d.]+)–(-?[\d.]+)(?: \((?:not [^)]*|neither end)\))?", text)
        if bounds:
            out[found.group(1)] = (float(bounds.group(1)), float(bounds.group(2)))
    return out


def test_documented_ranges_parse():
    ranges = documented_ranges()
    assert ranges["trade.sigma"] == (3.0, 20.0)
    assert ranges["growth.trend"] == (-0.2, 0.3)
    assert ranges["paradiplomacy.candidate_km"] == (0.0, 20_000.0)


@pytest.mark.parametrize("slider", PARAMETER_SLIDERS, ids=lambda s: s.name)
def test_each_slider_is_a_parameter_within_its_documented_range(slider):
    assert slider.name in PARAM_NAMES
    ranges = documented_ranges()
    assert slider.key in ranges, f"{slider.key} has no closed range in docs/model.md"
    low, high = ranges[slider.key]
    assert low <= slider.low < slider.high <= high
    assert 0 < slider.step <= slider.high - slider.low
    assert slider.low <= Params().flat()[slider.name] <= slider.high
    for name in bundled():
        assert slider.low <= load(name).spec.params.flat()[slider.name] <= slider.high, name


def test_slider_names_are_distinct():
    names = [slider.name for slider in PARAMETER_SLIDERS]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("scenario", ["eurasia", "synthetic"])
def test_starting_settings_are_the_scenarios_own_values(scenario):
    settings = starting_settings(scenario, 9)
    flat = load(scenario).spec.params.flat()
    assert settings == {"scenario_name": scenario, "scenario_file": "", "seed": "9",
                        **{slider.name: flat[slider.name] for slider in PARAMETER_SLIDERS},
                        "decisions_coalitions": True, "decisions_retaliation": True,
                        "decisions_agreements": True, "decisions_hedging": True,
                        "decisions_digital": True, "decisions_partners": True}
    model = LiveModel(**settings)
    assert model.problem is None and model.seed == 9
    assert model.params == load(scenario).spec.params
    assert_same_run(run(model, 1), run(GeoModel(scenario=scenario, rng=9), 1))


def test_settings_widgets_write_the_settings():
    settings = solara.reactive(starting_settings("eurasia", 3))
    _, rc = solara.render(Settings(settings), handle_error=False)
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == len(PARAMETER_SLIDERS)
    k = [s.name for s in PARAMETER_SLIDERS].index("trade_sigma")
    sigma = sliders[k]
    assert (sigma.min, sigma.max, sigma.v_model) == (3.0, 12.0, 5.0)
    sigma.v_model = 7.5
    assert settings.value["trade_sigma"] == 7.5
    rc.find(v.Html, children=["Trade elasticity σ: 7.5 unitless (3 to 12)"]).assert_single()
    rc.find(v.Select, label="Scenario").widget.v_model = "synthetic"
    assert settings.value == {**starting_settings("eurasia", 3), "trade_sigma": 7.5,
                              "scenario_name": "synthetic"}
    assert rc.find(v.Select, label="Scenario").widget.items == sorted(bundled())
    # The decisions' switches: off, the next Reset runs the scripted model.
    rc.find(v.Checkbox, label="States join sanctions others start").widget.v_model = False
    assert settings.value["decisions_coalitions"] is False
    model = LiveModel(**settings.value)
    assert model.problem is None and not model.params.decisions.coalitions
    assert model.params.decisions.retaliation


# ---------------------------------------------------------------- components


def test_events_panel_imposes_a_sanction_and_starts_the_baseline():
    """The default is the sanction a class thinks of first, the EU's largest economy on
    Russia (DEU on RUS). The world's sanctions in force in 2023 are liftable from the start, a
    regime once."""
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 2)
    _, rc = solara.render(EventsPanel(model), handle_error=False)
    own = model.in_force()
    assert "Russia 2022" in own and "Russia food embargo 2014" in own
    assert rc.find(v.Select, label="In force").widget.items == own

    def lift(name: str) -> None:
        rc.find(v.Select, label="In force").widget.v_model = name
        rc.find(v.Btn, children=["Lift"]).widget.click()

    rc.find(v.Btn, children=["Impose sanction"]).widget.click()
    item = model.timeline[-1]
    assert isinstance(item.event, events.Sanction) and item.at == model.steps + 1 == 3
    assert item.event.imposers == ["DEU"] and item.event.target == "RUS"
    assert model.baseline is not None and model.baseline.steps == 2
    assert model.actions == [(3, "sanction 'DEU on RUS (trade)'")]
    assert alerts(rc, "success") == ["DEU on RUS (trade): acts at step 3 (2023-10-01)"]
    # What is in force can now be lifted: the user's sanction, shown first...
    in_force = rc.find(v.Select, label="In force").widget
    assert in_force.items == [*own, "DEU on RUS (trade)"]
    assert in_force.v_model == "DEU on RUS (trade)"
    lift("DEU on RUS (trade)")
    assert model.in_force() == own
    assert model.actions[-1] == (3, "lift 'DEU on RUS (trade)'")
    in_force = rc.find(v.Select, label="In force").widget
    assert in_force.items == own and in_force.v_model == own[0]
    # ...and a regime of the world's, all its parts at once.
    lift("Russia food embargo 2014")
    assert model.in_force() == [name for name in own if name != "Russia food embargo 2014"]
    assert model.actions[-1] == (3, "lift 'Russia food embargo 2014'")
    assert alerts(rc, "success") == ["lift Russia food embargo 2014: acts at step 3 (2023-10-01)"]


def test_events_panel_offers_groups_that_stand_for_their_members():
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    _, rc = solara.render(EventsPanel(model), handle_error=False)
    picker = rc.find(label="Imposers (states or groups)").widget
    assert {"EU", "NATO", "EAEU"} <= {item["code"] for item in picker.items}
    picker.value = ["EU", "USA"]
    rc.find(v.Btn, children=["Impose sanction"]).widget.click()
    item = model.timeline[-1]
    assert item.event.imposers == ["EU", "USA"]
    day, members = item.groups["imposers"]["EU"]
    assert day == model.date_of(model.steps + 1) and len(members) == 27 and "GBR" not in members  # the EU of 2023
    assert len(item.rows["imposers"]) == 28


def test_pickers_show_names_and_keep_codes_as_their_values():
    """Pickers list names (Germany, Astana), with the code the event takes as each value; a
    group keeps its code, said to stand for its members."""
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    _, rc = solara.render(EventsPanel(model), handle_error=False)
    target = rc.find(label="Target").widget
    assert {"code": "RUS", "name": "Russia"} in target.items and target.value == "RUS"
    imposers = rc.find(label="Imposers (states or groups)").widget
    assert imposers.multiple and imposers.value == ["DEU"]
    assert {"code": "EU", "name": "EU (its members)"} in imposers.items
    host = rc.find(label="Host city").widget
    assert {"code": "astana", "name": "Astana"} in host.items
    actors = model.world.actors
    names = dict(zip(actors.ids.tolist(), actors.names.tolist(), strict=True))
    for label in ("Target", "Host city", "Side A (city or region)"):
        items = rc.find(label=label).widget.items
        assert all(item["name"] == names[item["code"]] for item in items), label


def test_decisions_panel_lists_what_states_decided_newest_first():
    """After a sanction on Russia by the USA and France, the panel lists Russia's answers and
    the states that joined, each with its date and reasons, the newest first. (Trade deals
    and digital programmes are off, so that the sanction decisions are all there is.)"""
    model = run(LiveModel(scenario_name="eurasia", seed=SEED, decisions_agreements=False,
                          decisions_hedging=False, decisions_digital=False), 1)
    _, rc = solara.render(DecisionsPanel(model), handle_error=False)
    assert rc.find(v.Alert).widget.children  # none yet: says so
    model.inject({"type": "sanction", "name": "west on Russia", "imposers": ["USA", "FRA"],
                  "target": "RUS", "scope": "complete"})
    run(model, 6)
    assert model.decisions
    _, rc = solara.render(DecisionsPanel(model), handle_error=False)
    cells = [[td.children[0] for td in tr.children]
             for tr in rc.find(v.Html, tag="tr").widgets]
    newest = list(reversed(model.decisions))[: len(cells)]
    assert [c[1] for c in cells] == [d.state for d in newest]
    assert [c[0] for c in cells] == [model.date_of(d.step + 1).isoformat() for d in newest]
    assert len(cells) == min(len(model.decisions), 12)
    assert {"USA", "FRA"} & {d.other for d in model.decisions
                             if d.state == "RUS" and d.action == "counter-sanctioned"}
    assert all("utility" in c[3] for c in cells)
    said = {c[2] for c in cells}
    assert any(re.fullmatch(r"counter-sanctioned [A-Z]{3}", text) for text in said), said
    assert all(re.fullmatch(r"(joined|left) the sanction on RUS", text) for text in said
               if text.startswith(("joined", "left"))), said


def test_a_decision_reads_as_what_the_state_did():
    def said(action: str, other: str) -> str:
        return events_panel.what_it_did(Decision(3, "NOR", action, other, "s", 0.1, "r"))

    assert said("joined", "RUS") == "joined the sanction on RUS"
    assert said("left", "RUS") == "left the sanction on RUS"
    assert said("counter-sanctioned", "USA") == "counter-sanctioned USA"
    assert said("lifted counter-sanction", "USA") == "lifted its counter-sanction on USA"
    assert said("concluded a trade agreement", "JPN") == "concluded a trade agreement with JPN"
    assert said("launched a digital programme", "") == "launched a digital programme"


def test_events_panel_shows_a_refused_event_as_one_line():
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    _, rc = solara.render(EventsPanel(model), handle_error=False)
    rc.find(label="Target").widget.value = "DEU"  # DEU is the imposer too
    rc.find(v.Btn, children=["Impose sanction"]).widget.click()
    (error,) = alerts(rc, "error")
    assert "\n" not in error and "target" in error and "'DEU'" in error
    assert len(model.timeline) == len(load("eurasia").spec.events)  # the world's own only
    assert model.baseline is None and alerts(rc, "success") == []


def test_act_returns_the_error_line_or_none():
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    assert act(lambda: model.lift("nothing")).startswith("lift: name: expected")
    assert act(lambda: None) is None


@pytest.mark.parametrize(("scenario", "label"), [
    (scenario, label)
    for scenario in ("eurasia", "synthetic")
    for label in ("Impose sanction", "Start technology shock", "Host summit", "Sign agreement")
])
def test_every_event_button_works_with_its_defaults(scenario, label):
    model = LiveModel(scenario_name=scenario, seed=1)  # synthetic: top partners share a state
    _, rc = solara.render(EventsPanel(model), handle_error=False)
    rc.find(v.Btn, children=[label]).widget.click()
    assert alerts(rc, "error") == []
    assert len(model.timeline) == len(load(scenario).spec.events) + 1
    assert model.timeline[-1].at == 1 and model.baseline is not None


@pytest.fixture
def page(monkeypatch):
    """The whole page, on what `geopol app` starts by default: eurasia, seed 1."""
    monkeypatch.setattr(app_module, "START_SCENARIO", "eurasia")
    monkeypatch.setattr(app_module, "START_SEED", 1)
    _, rc = solara.render(solara.AppLayout(children=[app_module.Page()]), handle_error=False)
    return rc


def test_page_renders_with_its_controls_and_events_panel(page):
    rc = page
    shown = buttons(rc)
    for label in ("Reset", "Step", "Impose sanction", "Start technology shock", "Host summit",
                  "Sign agreement"):
        assert label in shown
    assert clock(rc) == "eurasia, seed 1: step 0, 2023-01-01"
    assert rc.find(FigureWidget).widgets  # the map
    rc.find(v.Btn, children=["Impose sanction"]).widget.click()
    assert alerts(rc, "success") == ["DEU on RUS (trade): acts at step 1 (2023-04-01)"]
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert clock(rc) == "eurasia, seed 1: step 1, 2023-04-01"
    assert alerts(rc, "error") == []


def test_a_step_redraws_the_page_in_one_light_render_pass(page, monkeypatch):
    """Every view listens to Mesa's update counter: a Step (or an event) redraws them in one
    render pass, not one per listener. And no element carries bulky nested data, which reacton
    walks at every pass in search of elements: the base map goes to the page as text. Before
    both, a step took five passes of over 100,000 values each, most of a step's time."""
    import reacton.core

    rc = page
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()  # the first step builds what later steps reuse
    visited = 0
    walk = reacton.core._RenderContext._visit_children_values

    def counting(self, value, *args):
        nonlocal visited
        visited += self is rc  # not the pages earlier tests left listening
        return walk(self, value, *args)

    monkeypatch.setattr(reacton.core._RenderContext, "_visit_children_values", counting)
    passes = rc.render_count
    step.click()
    assert rc.render_count - passes == 1
    assert visited < 40_000, visited
    passes = rc.render_count
    rc.find(v.Btn, children=["Impose sanction"]).widget.click()
    assert rc.render_count - passes == 1  # the views, and the form's message and choices
    assert clock(rc).startswith("eurasia, seed 1: step 2")


def test_page_reset_starts_the_run_the_settings_describe(page):
    rc = page
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Select, label="Scenario").widget.v_model = "synthetic"
    assert clock(rc).startswith("eurasia, seed 1: step 1")  # applied on Reset only
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert clock(rc) == "synthetic, seed 1: step 0, 2023-01-01"
    assert alerts(rc, "error") == []
    # The events panel offers the new world's states.
    target = rc.find(label="Target").widget
    codes = [item["code"] for item in target.items]
    assert codes[0] == "S0000" and target.value in codes


def test_every_tab_of_the_views_renders_for_a_run_with_a_baseline(sanctioned):
    _, rc = solara.render(app_module.Views(sanctioned), handle_error=False)
    tabs = rc.find(v.Tabs).widget

    def titles() -> list[str]:
        return [figure.layout.title.text for figure in rc.find(FigureWidget).widgets]

    (title,) = titles()  # the map first, noting the relations it leaves out
    assert title.startswith(
        f"eurasia — {sanctioned.date}: states by soft power<br><sup>relations: the ")
    tabs.v_model = 1
    (panel,) = rc.find(FigureWidget).widgets
    assert [a.text for a in panel.layout.annotations if a.xref == "paper"] == [
        series.title for series in charts.SERIES.values()]
    tabs.v_model = 2
    shown = [w.children[0] for w in rc.find(v.Html, class_="my-2 geopol-why").widgets]
    assert shown == why.pair_sentences(sanctioned, "KAZ", "RUS", 0)
    tabs.v_model = 3
    table = rc.find(DataTableWidget).widget
    assert [h["text"] for h in table.headers][-2:] == ["rank without your events",
                                                        "rank change"]
    assert table.total_length == sanctioned.world.n_states
    tabs.v_model = 4
    s, focus = sanctioned.world.n_states, len(sanctioned.setup.spec.scenario.focus)
    shown = f"{focus} of {s} states: those your events name and the scenario's focus"
    assert titles() == [f"Relations at {sanctioned.date} ({shown}, grouped by bloc)"]
    tabs.v_model = 5
    regions = int((sanctioned.world.actors.kind == REGION).sum())
    assert titles() == [f"Regions by international activity ({regions} regions)"]
    assert rc.find(DataTableWidget).widget.total_length == len(activity_by_state(sanctioned))
    tabs.v_model = 6
    shown = [text for w in rc.find(v.Btn).widgets for text in w.children if isinstance(text, str)]
    assert shown == [f"Run 10 paired replicates of {sanctioned.steps} steps"]
    tabs.v_model = 7
    shown = [text for w in rc.find(v.Btn).widgets for text in w.children if isinstance(text, str)]
    assert shown == ["Run as parquet (zip)", "Run as csv (zip)"]
    tabs.v_model = 8
    headings = [w.children[0] for w in rc.find(v.Html, tag="h3").widgets]
    assert headings == [sanctioned.setup.spec.scenario.title]


def test_the_charts_redraw_the_run_as_it_steps():
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    _, rc = solara.render(app_module.Charts(model), handle_error=False)
    widget = rc.find(FigureWidget).widget

    def assert_shows_the_model() -> None:
        expected = charts.chart_panel(model)
        assert [t.name for t in widget.data] == [t.name for t in expected.data]
        for shown, trace in zip(widget.data, expected.data, strict=True):
            np.testing.assert_array_equal(shown.y, trace.y)
            assert shown.x == trace.x and shown.line.dash == trace.line.dash
            assert (shown.xaxis, shown.legend) == (trace.xaxis, trace.legend)
        assert widget.layout.shapes == expected.layout.shapes

    for action in (model.step, lambda: model.inject(WEST), model.step, model.step):
        assert act(action) is None
        assert_shows_the_model()
    assert any(t.line.dash == "dash" for t in widget.data) and widget.layout.shapes


def test_the_chart_panel_holds_every_time_chart_on_its_own_axes(sanctioned):
    panel = charts.chart_panel(sanctioned)
    titles = [a.text for a in panel.layout.annotations if a.xref == "paper"]
    assert titles == [series.title for series in charts.SERIES.values()]
    for k, name in enumerate(charts.SERIES):
        axis = "" if k == 0 else str(k + 1)
        single = charts.time_chart(sanctioned, name)
        mine = [t for t in drawn_lines(panel) if t.xaxis == f"x{axis}"]
        assert [t.name for t in mine] == [t.name for t in drawn_lines(single)]
        for trace, alone in zip(mine, drawn_lines(single), strict=True):
            np.testing.assert_array_equal(trace.y, alone.y)
            assert trace.yaxis == f"y{axis}" and trace.legend == f"legend{axis}"
            assert trace.line.color == alone.line.color and trace.line.dash == alone.line.dash
        lines = [shape for shape in panel.layout.shapes if shape.xref == f"x{axis}"]
        assert [s.x0 for s in lines] == [s.x0 for s in single.layout.shapes]
        assert panel.layout[f"yaxis{axis}"].title.text == SERIES_UNITS[name]
        x_domain = panel.layout[f"xaxis{axis}"].domain
        assert panel.layout[f"legend{axis}"].x > x_domain[1]  # each legend right of its chart
    domains = [panel.layout[f"xaxis{'' if k == 0 else k + 1}"].domain for k in range(5)]
    assert all(0 <= low < high <= 1 for low, high in domains)


SERIES_UNITS = {name: series.unit for name, series in charts.SERIES.items()}


def test_clicking_an_actor_on_the_map_shows_its_values(quiet):
    _, rc = solara.render(app_module.WorldMap(quiet), handle_error=False)
    figure = rc.find(FigureWidget).widget
    names = [trace.name for trace in figure.data]
    cities = names.index("cities")
    point = list(figure.data[cities].customdata).index(row(quiet, "astana"))
    figure._js2py_pointsCallback = {
        "event_type": "plotly_click", "device_state": {}, "selector": None,
        "points": {"trace_indexes": [cities], "point_indexes": [point], "xs": [0], "ys": [0]}}
    cells = [w.children for w in rc.find(v.Html, tag="tr").widgets]
    shown = {row[0].children[0]: row[1].children[0] for row in cells}
    assert shown["name"] == "Astana" and shown["kind"] == "city (capital)"
    assert shown == actor_values(quiet, row(quiet, "astana"))
    assert figure.data[-1].name == "selected"


def test_reset_builds_the_model_the_settings_describe():
    model = solara.reactive(LiveModel(scenario_name="eurasia", seed=1))
    settings = solara.reactive({**starting_settings("synthetic", 4), "trade_sigma": 8.0})
    _, rc = solara.render(ModelController(model, model_parameters=settings,
                                        use_threads=solara.reactive(False)),
                        handle_error=False)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.problem is None
    assert (model.value.setup.name, model.value.seed) == ("synthetic", 4)
    assert model.value.params.trade.sigma == 8.0


def test_charts_explain_the_dashed_lines_once_the_user_acts():
    model = LiveModel(scenario_name="eurasia", seed=SEED)
    _, rc = solara.render(app_module.Charts(model), handle_error=False)

    events = "Triangles on the time axis: events (hover for their names), red for yours. "
    note = "Dashed: the same seed's run without your events."
    rc.find(v.Html, children=[events]).assert_single()
    assert act(lambda: model.inject(WEST)) is None
    rc.find(v.Html, children=[events + note]).assert_single()


# ---------------------------------------------------------------- why, about


def test_why_tells_a_pairs_change_by_channel_with_the_models_own_numbers(sanctioned):
    """USA–India after the West's sanction on India: the sentence's numbers are the exact
    decomposition (`changes_among`), largest first, with sanctions among them."""
    sentences = why.pair_sentences(sanctioned, "USA", "IND", K)
    rows = attribution.changes_among(sanctioned.recorder, ["USA", "IND"], K, STEPS)
    relations = rows[rows["measure"] == "relations"].iloc[0]
    total = relations["total"]
    assert sentences[0].startswith(
        f"Since step {K} ({sanctioned.date_of(K)}), United States–India relations "
        f"{'fell' if total < 0 else 'rose'} {abs(total):.2f}: ")
    assert f"sanctions {relations['sanctions']:+.2f}".replace("-", "−") in sentences[0]
    parts = re.findall(r"([a-z ]+) ([+−]\d+\.\d+)", sentences[0].split(": ", 1)[1])
    sizes = [abs(float(value.replace("−", "-"))) for _, value in parts]
    assert sizes == sorted(sizes, reverse=True)  # largest first
    exports = rows[rows["pair"] == "USA→IND"].iloc[0]
    assert sentences[1].startswith("United States' exports to India fell ")
    assert f"({exports['total']:+.1f} log points)".replace("-", "−") in sentences[1]
    assert "sanctions −" in sentences[1] and sentences[2].startswith("India's exports to")


def test_why_splits_a_states_soft_power_change_by_pillar(sanctioned):
    sentence = why.state_sentence(sanctioned, "KAZ", 0)
    history = sanctioned.recorder.history("state", "soft_power", [row(sanctioned, "KAZ")])
    change = history[-1, 0] - history[0, 0]
    assert f"{abs(change):.3f} (from {history[0, 0]:.3f} to {history[-1, 0]:.3f})" in sentence
    parts = re.findall(r"([a-z]+) ([+−]\d+\.\d+)", sentence.split(": ", 1)[1])
    assert parts and {name for name, _ in parts} <= set(PILLARS)
    pillars = {name: sanctioned.recorder.history("state", f"pillar_{name}",
                                                 [row(sanctioned, "KAZ")])[:, 0]
               for name in PILLARS}
    exact = sum(p[-1] - p[0] for p in pillars.values()) / len(PILLARS)
    assert exact == pytest.approx(change, abs=1e-12)  # the index is the pillars' mean
    assert why.state_sentence(sanctioned, "KAZ", STEPS) == f"Take a step past step {STEPS} first."


def test_the_action_log_lists_the_users_actions_and_the_scenarios_events_by_step():
    model = run(LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED), 2)
    model.inject(WEST)
    run(model, 2)
    log = why.action_log(model)
    assert log.to_dict("records") == [
        {"step": 2, "date": str(model.date_of(2)), "who": "scenario",
         "what": "sanction 'Qatar blockade'"},
        {"step": 3, "date": str(model.date_of(3)), "who": "scenario",
         "what": "sanction 'US sanctions bill'"},
        {"step": 3, "date": str(model.date_of(3)), "who": "scenario",
         "what": "sanction 'EU extension'"},
        {"step": 3, "date": str(model.date_of(3)), "who": "you", "what": "sanction 'west'"}]


def test_the_why_tab_answers_for_a_pair_and_for_one_state(sanctioned):
    _, rc = solara.render(app_module.Why(sanctioned), handle_error=False)
    shown = [w.children[0] for w in rc.find(v.Html, class_="my-2 geopol-why").widgets]
    assert shown == why.pair_sentences(sanctioned, "KAZ", "RUS", 0)
    rc.find(label="…and state (none: that state's soft power)").widget.value = ""
    shown = [w.children[0] for w in rc.find(v.Html, class_="my-2 geopol-why").widgets]
    assert shown == [why.state_sentence(sanctioned, "KAZ", 0)]


def test_the_about_tab_shows_the_scenario_and_explains_every_measure():
    model = LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED)
    _, rc = solara.render(about.About(model), handle_error=False)
    def texts_in(widget) -> list[str]:
        return [text for child in getattr(widget, "children", []) for text in (
            [child] if isinstance(child, str) else texts_in(child))]

    texts = [text for w in rc.find(v.Html).widgets for text in texts_in(w)]
    meta = model.setup.spec.scenario
    assert meta.title in texts and meta.description in texts
    assert meta.sources and all(source in texts for source in meta.sources)
    for term, meaning in about.GLOSSARY.items():
        assert term in texts and meaning in texts
    for measure in ("Soft power", "The six pillars", "Reputation", "Familiarity", "Relations",
                    "Diplomatic weight", "Activity classes"):
        assert measure in about.GLOSSARY
    assert all(pillar in about.GLOSSARY["The six pillars"].lower() for pillar in PILLARS)


# ---------------------------------------------------------------- geopol app


def test_geopol_app_announces_its_address_only_once_the_server_answers(tmp_path):
    """Solara takes tens of seconds to start: the address is printed when the server accepts
    connections, not before. A stand-in server here listens only after two seconds."""
    port = free_port()
    script = tmp_path / "late.py"
    script.write_text(
        "import socket, time\n"
        "time.sleep(2.0)\n"
        f"s = socket.create_server(('127.0.0.1', {port}))\n"
        "time.sleep(1.5)\n")
    announced: list[tuple[float, bool]] = []
    start = time.monotonic()
    code = serve_module.run_server(
        [sys.executable, str(script)], dict(os.environ), ("127.0.0.1", port),
        lambda: announced.append((time.monotonic() - start,
                                  serve_module.accepts(("127.0.0.1", port)))))
    assert code == 0
    assert len(announced) == 1
    when, answering = announced[0]
    assert when >= 2.0 and answering


def test_app_with_an_unknown_scenario_is_one_line_and_exit_2(geopol):
    result = geopol("app", "nosuchscenario")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "'nosuchscenario'" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_app_on_a_port_in_use_is_one_line_naming_port(geopol):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = geopol("app", "synthetic", "--port", port)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: geopol app: --port: ") and str(port) in result.stderr
    assert result.stdout == ""


def test_app_on_a_port_out_of_range_is_one_line_naming_port(geopol):
    result = geopol("app", "synthetic", "--port", 70000)
    assert result.returncode == 2
    assert result.stderr.startswith("error: geopol app: --port: ")
    assert result.stderr.count("\n") == 1


def test_app_with_an_unknown_host_is_one_line_naming_host(geopol):
    result = geopol("app", "synthetic", "--host", "999.1.1.1")
    assert result.returncode == 2
    assert result.stderr.startswith("error: geopol app: --host: ")
    assert "'999.1.1.1'" in result.stderr and result.stderr.count("\n") == 1


def test_a_scenario_file_starts_in_the_file_field():
    path = str(BUNDLED_DIR / "synthetic.toml")
    settings = starting_settings(path, 2)
    assert settings["scenario_file"] == path and settings["scenario_name"] in bundled()
    assert LiveModel(**settings).setup.name == "synthetic"


def test_live_model_refuses_the_old_scenario_argument():
    with pytest.raises(TypeError, match="scenario_name"):
        LiveModel(scenario="synthetic")


def test_summed_layer_notes_how_many_pairs_are_drawn(synthetic, monkeypatch):
    monkeypatch.setattr(world_map, "MAX_LINES", 12)
    title = world_map.map_figure(synthetic, ["paradiplomacy"]).layout.title.text
    assert re.search(r"paradiplomacy: the 12 strongest of \d+ state pairs of its [\d,]+ links",
                     title)


# ---------------------------------------------------------------- replicates


def test_the_scenario_with_actions_replays_the_live_run_exactly():
    live = run(LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED), 2)
    live.inject(WEST)
    run(live, 3)
    live.lift("west")
    live.lift("US sanctions bill")  # one of the scenario's own, lifted early
    run(live, 3)
    replay = run(GeoModel(scenario=live.with_actions(), rng=SEED), live.steps)
    assert_same_run(replay, live)
    # The scenario without the actions is the baseline, which differs from the live run.
    assert exports(live, row(live, "RUS")) != exports(live.baseline, row(live, "RUS"))


def test_the_users_actions_export_as_a_scenario_file_that_geopol_run_replays(tmp_path, geopol):
    """An event imposed and one of the scenario's own lifted, exported as TOML: `geopol run`
    on that file, with the run's seed, gives the live run's numbers; the archive holds the
    baseline's tables too."""
    live = run(LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED), 2)
    live.inject(WEST)
    run(live, 2)
    live.lift("US sanctions bill")
    run(live, 2)
    text = live.actions_toml()
    assert text.startswith(f"# eurasia-sanctions-2017, seed {SEED}, with your actions")
    spec = tomllib.loads(text)
    assert spec["scenario"]["extends"] == "eurasia-sanctions-2017"
    assert [(e["type"], e["name"]) for e in spec["events"]] == [
        ("sanction", "west"), ("sanction", "US sanctions bill")]
    assert spec["events"][1] == {"type": "sanction", "name": "US sanctions bill", "end": 5}
    scenario = tmp_path / "mine.toml"
    scenario.write_text(text)
    out = tmp_path / "replay"
    result = geopol("run", str(scenario), "--seed", str(SEED), "--steps", str(live.steps),
                    "--out", str(out))
    assert result.returncode == 0, result.stderr
    replayed = pq.read_table(out / "state_steps.parquet").to_pandas()
    mine = run_tables(live)["state_steps"].to_pandas()
    pd.testing.assert_frame_equal(replayed.reset_index(drop=True), mine.reset_index(drop=True))
    with zipfile.ZipFile(io.BytesIO(run_archive(live, "parquet"))) as zipped:
        names = set(zipped.namelist())
        assert {"your_events.toml", "baseline/state_steps.parquet"} <= names
        assert zipped.read("your_events.toml").decode() == text
        twin = pq.read_table(io.BytesIO(zipped.read("baseline/state_steps.parquet")))
    assert twin.num_rows == len(mine)


def test_replicates_tab_runs_the_compare_runner_on_the_users_actions():
    model = run(LiveModel(scenario_name="eurasia", seed=SEED), 1)
    _, rc = solara.render(app_module.Replicates(model), handle_error=False)
    assert rc.find(v.Btn).widgets == []  # nothing to replicate before the user acts
    model.inject(WEST)
    run(model, 2)
    _, rc = solara.render(app_module.Replicates(model), handle_error=False)
    rc.find(v.Slider).widget.v_model = 3
    rc.find(v.Btn, children=["Run 3 paired replicates of 3 steps"]).widget.click()
    rc.find(DataTableWidget).wait_for(timeout=120)
    items = rc.find(DataTableWidget).widget.items
    focus = [row for row in items if row["who"].endswith(" *")]
    assert {TARGET, "USA", "FRA"} & {p for row in focus for p in re.split("[– *]", row["who"])}
    exports_target = next(row for row in items if row["who"] == f"{TARGET} *"
                          and row["outcome"].startswith("total exports"))
    assert float(exports_target["difference"]) < 0 and float(exports_target["band 95%"]) < 0


def test_every_figure_crosses_to_the_browser_as_strict_json(sanctioned):
    """Solara sends widget state as JSON without NaN; plotly's serializer passes only 1-D
    numeric arrays as binary, so a NaN anywhere else would stop a figure from updating."""
    from plotly.serializers import _py_to_js

    figures = [charts.time_chart(sanctioned, name) for name in charts.SERIES]
    figures += [charts.relations_heatmap(sanctioned), charts.activity_chart(sanctioned),
                world_map.map_figure(sanctioned, world_map.LAYERS, "GDP", 0)]
    for figure in figures:
        state = _py_to_js(figure.to_plotly_json(), None)
        json.dumps(state, allow_nan=False,
                   default=lambda o: None if isinstance(o, memoryview) else str(o))
