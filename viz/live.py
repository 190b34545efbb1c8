"""The app's model: a GeoModel that also keeps the same seed's run without the user's events.

The first event a user injects (or sanction they lift) starts a baseline twin: the same
scenario, seed and parameters, stepped to the current step and from then on in lockstep. Both
draw every mechanism's randomness from their own streams of the same seed (common random
numbers, as in `geopol compare`), so any gap between them is the events' doing.

The app's play loop steps the model in a thread of its own while the page draws it in another.
Two rules keep them apart: the model is read and changed only under `lock`, so that a view never
draws it halfway through a step; and the play loop takes a step only once the page in the browser
shows the last ones (`step_when_drawn`, `drawn`), so that it never asks for redraws faster than
the page makes them. Without the second rule (Mesa's ModelController steps on a timer) a fast
play loop kept the page's render loop busy until it gave up ("Too many renders triggered") and
the page froze.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import tomli_w
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim import GeoModel
from sim.errors import InputError, describe
from sim.events import Event, Scheduled, label, parse
from sim.params import dotted
from sim.scenario import BUNDLED_DIR, Scenario, from_spec, load

DEFAULT_SCENARIO = "eurasia"
DRAW_WAIT = 5.0  # seconds the play loop waits for the page to draw before it steps anyway


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
        # Mesa's ModelController passes its own `scenario` object on Reset (the app's own
        # controls do not); the world comes from scenario_name or scenario_file instead.
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
        self.lock = threading.Condition(threading.RLock())
        self.watched = False  # whether a page draws this run (`drawn`)
        self.shown = 0  # the last step a page has drawn
        self.redraw_every = 1  # steps the play loop takes between redraws
        self.last_step = setup.spec.scenario.steps
        # Mesa's `step` counts the step and moves its clock before it runs ours: the lock goes
        # around all of it.
        self._take_step = self.step
        self.step = self._step_locked
        self.seed = seed
        self.overrides = params
        self.baseline: GeoModel | None = None
        self.baseline_label = ""  # what the baseline is without, as the charts say it
        self.actions: list[tuple[int, str]] = []  # (step it acts at, what the user did)
        self.injected: list[Scheduled] = []  # the timeline's items the user put there
        self.lifted: list[Scheduled] = []  # the scenario's items the user lifted
        self.focus_states: list[int] = []  # rows of the states the user's events name
        self._start_twin()

    def step(self) -> None:
        """One step of the run and of its baseline twin. The run stops (`running`) at its
        scenario's last step."""
        super().step()
        if self.baseline is not None:
            self.baseline.step()
        self.running = self.steps < self.last_step

    def _step_locked(self) -> None:
        """`model.step()`: Mesa's step, under `lock`."""
        with self.lock:
            self._take_step()

    def step_when_drawn(self, go_on: Callable[[], bool] = lambda: True) -> bool:
        """The play loop's step: once a page draws the run, it gets to show it every
        `redraw_every` steps before the next is taken (at most DRAW_WAIT seconds: a page closed
        mid-play does not hold the run). Whether the step is taken is asked of `go_on` after
        the wait: a Pause pressed while the loop waited for the page stops it before the next
        step, not after. Returns whether it stepped. A user's Step never waits: the page's word
        that it shows the last step may be queued behind the click."""
        with self.lock:
            if self.watched:
                self.lock.wait_for(lambda: self.steps - self.shown < self.redraw_every,
                                   timeout=DRAW_WAIT)
            if not go_on():
                return False
            self.step()
            return True

    def drawn(self, step: int) -> None:
        """A page has drawn the run as it was at `step`: the play loop may go on."""
        with self.lock:
            self.watched = True
            self.shown = max(self.shown, step)
            self.lock.notify_all()

    def inject(self, event: Event | dict) -> None:
        """Schedule an event (at the next step unless its `at` says later), and start the
        baseline if there is none."""
        parsed = parse(event, "inject")
        with self.lock:
            super().inject(parsed)
            self.injected.append(self.timeline[-1])
            named = [row for rows in self.timeline[-1].rows.values() for row in rows]
            for state in self.world.actors.state[named].tolist():
                if state not in self.focus_states:
                    self.focus_states.append(state)
            self._start_baseline()
            self.actions.append((self.timeline[-1].at, label(parsed)))

    def lift(self, name: str) -> None:
        """Lift a sanction or facilitation from the next step, and start the baseline."""
        with self.lock:
            ends = {id(item): item.end for item in self.timeline}
            super().lift(name)
            self.lifted += [item for item in self.timeline if item.end != ends[id(item)]
                            and not any(item is mine for mine in self.injected)]
            self._start_baseline()
            self.actions.append((self.steps + 1, f"lift {name!r}"))

    def with_actions(self) -> Scenario:
        """This run's scenario with the user's actions written into its events, at the steps
        they act (and lifted ones ending when lifted): what `sim.compare.compare` replicates."""
        return self._scenario_with(lambda item: True, f"{self.setup.name} with your events")

    def actions_toml(self) -> str:
        """What the user did, as a scenario file that extends this run's scenario: each event
        they imposed as an [[events]] entry at the step it acts, and each of the scenario's
        own events they lifted as an entry of the same type and name with its `end` (which a
        variant merges into the base's event). `geopol run` on it, with this run's seed and
        parameters, gives this run's numbers."""
        base = self.setup.name if self.setup.path is None or self.setup.path.parent == \
            BUNDLED_DIR else str(self.setup.path.resolve())
        entries = []
        for item in self.injected:
            entry = item.event.model_dump(mode="json", exclude_defaults=True)
            entry.update(type=item.event.type, at=item.at)
            if item.end is not None:
                entry["end"] = item.end
            entries.append(entry)
        for item in self.lifted:
            entries.append({"type": item.event.type, "name": item.event.name, "end": item.end})
        document = {
            "scenario": {"name": f"{self.setup.name}-with-your-events", "extends": base,
                         "title": f"{self.setup.name} with what you did in the app",
                         "steps": max(self.steps, 1)},
            "events": entries,
        }
        return (f"# {self.setup.name}, seed {self.seed}, with your actions in the app. Replay: "
                f"geopol run THIS.toml --seed {self.seed} --steps {self.steps}"
                + "".join(f" --set {dotted(key)}={value}"
                          for key, value in self.overrides.items())
                + "\n" + tomli_w.dumps(document))

    def _scenario_with(self, keep: Callable[[Scheduled], bool], name: str) -> Scenario:
        """This run's scenario with the events of its timeline that `keep` keeps, at the steps
        they act (and lifted ones ending when lifted)."""
        events = []
        for item in self.timeline:
            if item.end is not None and item.end <= item.at:
                continue  # over before the start (a sanction of the world's past): no effect
            if item.decided or not keep(item):
                continue  # a state's decision: the replay's states decide it again
            update = {"at": item.at}
            if hasattr(item.event, "end") and item.end is not None:
                update["end"] = item.end
            events.append(item.event.model_copy(update=update))
        meta = self.setup.spec.scenario.model_copy(update={"name": name})
        return from_spec(self.setup.spec.model_copy(update={"events": events, "scenario": meta}))

    def _start_twin(self) -> None:
        """A scenario with events of its own during the run (a sanction in 2017, a summit)
        is drawn from the start against its twin without them, the world at rest: the same
        seed, with only what is in force at the start."""
        if not any(item.at >= 1 for item in self.timeline if not item.decided):
            return
        setup = self._scenario_with(lambda item: item.at < 1,
                                    f"{self.setup.name} without its events")
        self.baseline = GeoModel(scenario=setup, rng=self.seed, backend=self.backend,
                                 **self.overrides)
        self.baseline_label = "without the scenario's events"

    def _start_baseline(self) -> None:
        """The user's first action: the baseline is the run without it (or, for a scenario
        drawn against its twin, the twin goes on, now without the user's events too)."""
        if self.baseline is not None:
            if self.baseline_label == "without the scenario's events":
                self.baseline_label = "without the scenario's events or yours"
            return
        twin = GeoModel(scenario=self.setup, rng=self.seed, backend=self.backend,
                        **self.overrides)
        for _ in range(self.steps):
            twin.step()
        self.baseline = twin
        self.baseline_label = "without your events"


def _seed(value: int | str) -> int:
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise InputError("app", "seed", "a whole number ≥ 0", describe(value)) from None
    if seed < 0:
        raise InputError("app", "seed", "a whole number ≥ 0", describe(value))
    return seed
