"""The app's model: a GeoModel that also keeps the same seed's run without the user's events.

The first event a user injects (or sanction they lift) starts a baseline twin: the same
scenario, seed and parameters, stepped to the current step and from then on in lockstep. Both
draw every mechanism's randomness from their own streams of the same seed (common random
numbers, as in `geopol compare`), so any gap between them is the events' doing.
"""

from __future__ import annotations

from typing import Any

from mesa.experimental.scenarios import Scenario as MesaScenario

from sim import GeoModel
from sim.errors import InputError, describe
from sim.events import Event, label, parse
from sim.scenario import Scenario, from_spec, load

DEFAULT_SCENARIO = "eurasia"


class LiveModel(GeoModel):
    """A run a user steps and acts on in the browser.

    Args:
        scenario_name: a bundled scenario's name.
        scenario_file: a path to a scenario TOML file; when given it wins over the name.
        seed: the run's seed (an integer, or text holding one, as a text field gives it).
        **params: parameter overrides as `section_name=value` (see `GeoModel`).

    A scenario or seed that cannot be used does not stop the app: the model falls back to the
    default scenario and seed 0 and says why in `problem`.
    """

    def __init__(
        self, *, scenario_name: str = DEFAULT_SCENARIO, scenario_file: str = "",
        seed: int | str = 0, **params: Any
    ) -> None:
        # Mesa's ModelController passes its own `scenario` object on Reset; the world comes
        # from scenario_name or scenario_file instead.
        if not isinstance(params.pop("scenario", MesaScenario()), MesaScenario):
            raise TypeError("LiveModel takes scenario_name or scenario_file, not scenario")
        self.problem: str | None = None
        try:
            seed = _seed(seed)
            setup = load(scenario_file.strip() or scenario_name)
        except InputError as exc:
            self.problem = f"{exc}; showing {DEFAULT_SCENARIO} with seed 0 instead"
            seed, setup = 0, load(DEFAULT_SCENARIO)
        super().__init__(scenario=setup, rng=seed, **params)
        self.seed = seed
        self.overrides = params
        self.baseline: GeoModel | None = None
        self.actions: list[tuple[int, str]] = []  # (step it acts at, what the user did)
        self.focus_states: list[int] = []  # rows of the states the user's events name

    def step(self) -> None:
        super().step()
        if self.baseline is not None:
            self.baseline.step()

    def inject(self, event: Event | dict) -> None:
        """Schedule an event (at the next step unless its `at` says later), and start the
        baseline if there is none."""
        parsed = parse(event, "inject")
        super().inject(parsed)
        named = [row for rows in self.timeline[-1].rows.values() for row in rows]
        for state in self.world.actors.state[named].tolist():
            if state not in self.focus_states:
                self.focus_states.append(state)
        self._start_baseline()
        self.actions.append((self.timeline[-1].at, label(parsed)))

    def lift(self, name: str) -> None:
        """Lift a sanction or facilitation from the next step, and start the baseline."""
        super().lift(name)
        self._start_baseline()
        self.actions.append((self.steps + 1, f"lift {name!r}"))

    def with_actions(self) -> Scenario:
        """This run's scenario with the user's actions written into its events, at the steps
        they act (and lifted ones ending when lifted): what `sim.compare.compare` replicates."""
        events = []
        for item in self.timeline:
            if item.end is not None and item.end <= item.at:
                continue  # over before the start (a sanction of the world's past): no effect
            if item.decided:
                continue  # a state's decision: the replay's states decide it again
            update = {"at": item.at}
            if hasattr(item.event, "end") and item.end is not None:
                update["end"] = item.end
            events.append(item.event.model_copy(update=update))
        meta = self.setup.spec.scenario.model_copy(
            update={"name": f"{self.setup.name} with your events"})
        return from_spec(self.setup.spec.model_copy(update={"events": events, "scenario": meta}))

    def _start_baseline(self) -> None:
        if self.baseline is not None:
            return
        twin = GeoModel(scenario=self.setup, rng=self.seed, backend=self.backend,
                        **self.overrides)
        for _ in range(self.steps):
            twin.step()
        self.baseline = twin


def _seed(value: int | str) -> int:
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise InputError("app", "seed", "a whole number ≥ 0", describe(value)) from None
    if seed < 0:
        raise InputError("app", "seed", "a whole number ≥ 0", describe(value))
    return seed
