"""The run's controls (Reset, play/pause, Step), and what a user can set before a run: the
scenario, the seed and the main parameters.

The slider ranges lie inside the ranges docs/model.md gives (a test holds them to it), and
narrower where the documented range is only the validity bound; the units are the docs' own.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass

import reacton.core
import solara
from mesa.visualization.utils import force_update

from sim.params import PARAM_PATHS
from sim.scenario import bundled, load
from viz.live import LiveModel


@dataclass(frozen=True)
class ParameterSlider:
    name: str  # `section_name`, as GeoModel takes it
    label: str
    unit: str
    low: float
    high: float
    step: float

    @property
    def key(self) -> str:
        """The dotted name docs/model.md uses."""
        return ".".join(PARAM_PATHS[self.name])


PARAMETER_SLIDERS = (
    ParameterSlider("trade_sigma", "Trade elasticity σ", "unitless", 3.0, 12.0, 0.5),
    ParameterSlider("trade_sanction", "Trade lost to a full sanction", "log points", 0.0, 3.0,
                    0.05),
    ParameterSlider("growth_trend", "GDP trend growth", "per year", -0.05, 0.10, 0.005),
    ParameterSlider("paradiplomacy_formation_rate", "Link formation rate", "per year",
                    0.0, 0.5, 0.01),
    ParameterSlider("cities_summit_rate", "Summits", "per year", 0.0, 12.0, 0.5),
    ParameterSlider("technology_q", "Technology imitation q", "per year", 0.0, 2.0, 0.02),
    ParameterSlider("soft_power_attraction_rate", "Soft-power attraction", "per year per unit "
                    "exposure", 0.0, 5.0, 0.1),
    ParameterSlider("digital_base_rate", "Digital audience growth", "per year", 0.0, 10.0, 0.1),
    ParameterSlider("relations_drift", "Relations drift to baseline", "per year", 0.0, 1.0,
                    0.01),
)


# The states' decisions a teacher or planner can switch off: parameter, label.
DECISION_SWITCHES = (
    ("decisions_coalitions", "States join sanctions others start"),
    ("decisions_retaliation", "Sanctioned states answer with counter-sanctions"),
    ("decisions_agreements", "States propose and accept trade agreements"),
    ("decisions_hedging", "Multi-vector states hedge between the blocs"),
    ("decisions_digital", "States run digital-diplomacy programmes"),
    ("decisions_partners", "Regions and cities choose their partners"),
)


def starting_settings(scenario: str, seed: int) -> dict:
    """LiveModel's arguments for a scenario: its seed, and each slider at the scenario's own
    value (so that Reset without touching a slider reproduces the scenario as written)."""
    flat = load(scenario).spec.params.flat()
    is_file = scenario not in bundled()
    return {"scenario_name": "eurasia" if is_file else scenario,
            "scenario_file": scenario if is_file else "", "seed": str(seed),
            **{slider.name: float(flat[slider.name]) for slider in PARAMETER_SLIDERS},
            **{name: bool(flat[name]) for name, _ in DECISION_SWITCHES}}


@solara.component
def Settings(settings: solara.Reactive[dict]):
    """The scenario picker, the seed, the switches of the states' decisions and the parameter
    sliders; they write `settings`, which Reset (`RunControls`) passes to LiveModel."""
    def put(name: str, value) -> None:
        settings.set({**settings.value, name: value})

    values = settings.value
    solara.Select("Scenario", sorted(bundled()), values["scenario_name"],
                  on_value=lambda v: put("scenario_name", v))
    solara.InputText("…or a scenario file (path)", values["scenario_file"],
                     on_value=lambda v: put("scenario_file", v))
    solara.InputText("Seed", values["seed"], on_value=lambda v: put("seed", v))
    for name, label in DECISION_SWITCHES:
        solara.Checkbox(label=label, value=values[name],
                        on_value=lambda v, name=name: put(name, bool(v)))
    for slider in PARAMETER_SLIDERS:
        value = values[slider.name]
        label = f"{slider.label}: {value:g} {slider.unit} ({slider.low:g} to {slider.high:g})"
        with solara.Column(gap="0px"):  # the label above: beside it, it squeezes the track
            solara.Text(label, style={"font-size": "0.85em"})
            solara.SliderFloat("", value, min=slider.low, max=slider.high, step=slider.step,
                               on_value=lambda v, name=slider.name: put(name, v))


def use_one_render_pass() -> AbstractContextManager:
    """A hook: a context inside which changes to what the page shows are drawn in one render
    pass, when it closes. Every view that shows the step listens to Mesa's update counter, and
    each listener would otherwise render the page once more (five passes a step, each walking
    every element of the page)."""
    return reacton.core.get_render_context()


@solara.component
def RunControls(model: solara.Reactive[LiveModel], settings: solara.Reactive[dict],
                delay: solara.Reactive[int], steps_per_redraw: solara.Reactive[int]):
    """Reset, play/pause and Step, as Mesa's ModelController has them, but for a play loop
    that waits for the page: in a thread of its own, it takes each step only once the page in
    the browser shows the last (`LiveModel.step_when_drawn`), so that it never outruns the
    page, and Pause acts within a step. It stops at the scenario's last step. Reset builds a
    new run from `settings`."""
    playing = solara.use_reactive(False)
    live = model.value
    one_pass = use_one_render_pass()

    def play() -> None:
        while playing.value and live.running:
            time.sleep(delay.value / 1000)
            for _ in range(steps_per_redraw.value):
                if not (playing.value and live.running):
                    break
                if not live.step_when_drawn(lambda: playing.value):
                    break
            with one_pass:
                force_update()
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, live], prefer_threaded=True)

    def step() -> None:
        live.step()
        with one_pass:
            force_update()

    def reset() -> None:
        playing.set(False)
        model.set(LiveModel(**settings.value))

    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=reset)
        solara.Button("❚❚" if playing.value else "▶", color="primary",
                      on_click=lambda: playing.set(not playing.value),
                      disabled=not live.running)
        solara.Button("Step", color="primary", on_click=step,
                      disabled=playing.value or not live.running)
