"""Sweep specs: a TOML file naming a scenario, the parameters to vary and how, the design, the
replicates and the metrics to keep (docs/sweeps.md).

    [sweep]
    name = "example"
    scenario = "eurasia"
    steps = 20
    design = "sobol"            # grid, lhs, random, sobol, morris
    samples = 8                 # base samples (sobol: N·(D + 2) points; morris: trajectories)
    replicates = 2
    seed = 1

    [parameters]
    "trade.sigma" = { low = 3.0, high = 8.0 }
    "relations.drift" = { values = [0.1, 0.23] }      # grid only

    [[metrics]]
    name = "world_gdp_usd"      # a world series, or a selector: exports[RUS], trade[KAZ,RUS]
    reduce = "final"            # final, mean, min, max (peak), change, min_after, mean_after,
    after = 2017-09-01          # max_after: from this step or date on (the *_after ones only)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator

from sim import selectors, sweep_events
from sim.errors import InputError
from sim.events import When, last_step
from sim.model import NUMERIC_SERIES, spawned_seeds
from sim.params import PARAM_PATHS, Params, dotted
from sim.scenario import Scenario, load, resolve, world_index
from sim.schema import LAST_DATE, STRICT, first_error, read_toml
from sim.sweep_events import is_event_setting

Design = Literal["grid", "lhs", "random", "sobol", "morris"]
Reduction = Literal["final", "mean", "min", "max", "peak", "change", "min_after", "mean_after",
                    "max_after"]


class Strict(BaseModel):
    model_config = STRICT


class Range(Strict):
    low: float | dt.date  # dates: an event's date (sim/sweep_events.py)
    high: float | dt.date
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None  # grid: evenly spaced values

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if isinstance(self.low, dt.date) != isinstance(self.high, dt.date):
            raise ValueError(f"low and high both numbers or both dates; found low {self.low}, "
                             f"high {self.high}")
        if not self.high > self.low:
            raise ValueError(f"high above low ({self.low}); found high {self.high}")
        return self

    @property
    def dates(self) -> bool:
        return isinstance(self.low, dt.date)

    @property
    def bounds(self) -> list[float]:
        """Where a design samples it: numbers, or dates as day numbers."""
        if self.dates:
            return [float(self.low.toordinal()), float(self.high.toordinal())]
        return [self.low, self.high]


class Values(Strict):
    values: Annotated[list[float | int | bool], Field(min_length=1)]


class Choices(Strict):
    """A choice among values of any kind (an event's imposers, its scope); its design value is
    the index of the choice."""

    choices: Annotated[list[Any], Field(min_length=1, max_length=1000)]

    @property
    def bounds(self) -> list[float]:
        return [0.0, float(len(self.choices))]


class Metric(Strict):
    name: str  # a world series or a selector (sim/selectors.py)
    reduce: Reduction = "final"
    after: When | None = None  # the first step or date the *_after reductions count

    @property
    def column(self) -> str:
        return selectors.column(self.name, self.reduce, self.after)


class SweepMeta(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    scenario: str
    steps: Annotated[int, Field(ge=1, le=100_000)] | None = None  # None: the scenario's
    design: Design = "grid"
    samples: Annotated[int, Field(ge=1, le=1_000_000)] = 16
    morris_levels: Annotated[int, Field(ge=2, le=100)] = 4
    replicates: Annotated[int, Field(ge=1, le=10_000)] = 1
    seed: Annotated[int, Field(ge=0)] = 0
    chunk_runs: Annotated[int, Field(ge=1, le=100_000)] = 50  # runs per Parquet chunk
    # Replicate r of every point with the same seed: differences between points then come from
    # the parameters, not from the draws (common random numbers; sharper sensitivity indices).
    common_seeds: bool = False
    description: str = ""


class SweepFile(Strict):
    sweep: SweepMeta
    parameters: Annotated[dict[str, Range | Values | Choices], Field(min_length=1)]
    metrics: Annotated[list[Metric], Field(min_length=1)]


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep: its file's content, the scenario it runs and its parameter order."""

    file: SweepFile
    path: Path
    scenario: Scenario
    names: tuple[str, ...]  # columns: flat parameter names (`trade_sigma`) or event settings
    content_hash: str

    def given(self, name: str) -> Range | Values | Choices:
        """How the file gives the parameter of a column."""
        return self.file.parameters[name if is_event_setting(name) else dotted(name)]

    @property
    def meta(self) -> SweepMeta:
        return self.file.sweep

    @property
    def steps(self) -> int:
        return self.meta.steps or self.scenario.spec.scenario.steps

    def problem(self) -> dict:
        """The SALib problem: names and bounds of the ranged parameters."""
        return {
            "num_vars": len(self.names),
            "names": list(self.names),
            "bounds": [self.given(n).bounds for n in self.names],
        }


def column_of(key: str) -> str:
    """A parameter's column: `trade.sigma` → `trade_sigma`; an event setting as it is written."""
    return key if is_event_setting(key) else key.replace(".", "_")


def bounds_of(given: dict) -> list[float]:
    """Where a design samples a parameter, from the spec as its manifest keeps it (JSON)."""
    if "choices" in given:
        return [0.0, float(len(given["choices"]))]
    low, high = given["low"], given["high"]
    if isinstance(low, str):  # dates, as ISO text
        return [float(dt.date.fromisoformat(low).toordinal()),
                float(dt.date.fromisoformat(high).toordinal())]
    return [float(low), float(high)]


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec; bad input raises InputError naming the file and key."""
    path = Path(path)
    raw = read_toml(path)
    try:
        file = SweepFile.model_validate(raw)
    except ValidationError as exc:
        return _fail(path, *first_error(exc, raw))

    try:  # a bundled name, or a path relative to the sweep file
        scenario_path = resolve(file.sweep.scenario, relative_to=path)
    except InputError as exc:
        _fail(path, ("sweep", "scenario"), exc.expected, exc.found)
    scenario = load(scenario_path)
    meta = scenario.spec.scenario
    most = last_step(meta.start, meta.step_months)
    if file.sweep.steps is not None and file.sweep.steps > most:
        _fail(path, ("sweep", "steps"), f"at most {most} steps of {meta.step_months} months from "
              f"{meta.start} (the calendar ends {LAST_DATE})", str(file.sweep.steps))
    names = []
    for key, given in file.parameters.items():
        _check_design(path, key, given, file.sweep.design)
        if is_event_setting(key):
            names.append(key)
            _check_setting(path, scenario, key, given)
            continue
        flat = column_of(key)
        if flat not in PARAM_PATHS:
            known = ", ".join(dotted(n) for n in PARAM_PATHS)
            _fail(path, ("parameters", key), f"a parameter name ({known}), or an event's "
                  '"events.NAME.FIELD"', repr(key))
        if isinstance(given, Choices) or (isinstance(given, Range) and given.dates):
            _fail(path, ("parameters", key), "a range of numbers, or values (a model parameter)",
                  "choices" if isinstance(given, Choices) else "a range of dates")
        names.append(flat)
        _check_values(path, key, flat, given)
    states, groups = selectors.world_keys(scenario.spec)
    steps = file.sweep.steps or meta.steps
    for k, metric in enumerate(file.metrics):
        try:
            selectors.parse(metric.name, NUMERIC_SERIES).check(states, groups)
        except selectors.SelectorError as exc:
            _fail(path, ("metrics", k, "name"), exc.expected, exc.found)
        try:
            selectors.after_step(metric.after, metric.reduce, meta.start, meta.step_months, steps)
        except selectors.SelectorError as exc:
            _fail(path, ("metrics", k, "after"), exc.expected, exc.found)
    columns = [m.column for m in file.metrics]
    if len(set(columns)) < len(columns):
        k = next(i for i, c in enumerate(columns) if columns.index(c) != i)
        _fail(path, ("metrics", k), "each name and reduction once", columns[k])
    canonical = json.dumps({"sweep": file.model_dump(mode="json"),
                            "scenario": scenario.content_hash}, sort_keys=True)
    return SweepSpec(file=file, path=path.resolve(), scenario=scenario, names=tuple(names),
                     content_hash=hashlib.sha256(canonical.encode()).hexdigest())


def _fail(path: Path, loc: tuple, expected: str, found: str):
    key = ""
    for part in loc:
        if isinstance(part, str) and is_event_setting(part):
            part = f'"{part}"'  # an event's name has spaces, and the key dots: quoted, as in TOML
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    raise InputError(path, key or "top level", expected, found)


def _check_values(path: Path, key: str, flat: str, given: Range | Values) -> None:
    """Every value the parameter may take is one its own field accepts (type and range).
    Checks across parameters belong to each run, with the scenario's other values."""
    probes = ({"low": given.low, "high": given.high} if isinstance(given, Range)
              else {f"values[{k}]": v for k, v in enumerate(given.values)})
    section, name = PARAM_PATHS[flat]
    field = Params.model_fields[section].annotation.model_fields[name]
    adapter = TypeAdapter(Annotated[field.annotation, *field.metadata])
    for where, value in probes.items():
        if field.annotation is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if field.annotation is int and isinstance(given, Range):
            value = round(value)  # a range of an integer parameter is sampled and rounded
        try:
            adapter.validate_python(value, strict=True)
        except ValidationError as exc:
            _, expected, found = first_error(exc)
            _fail(path, ("parameters", key, where), expected, found)


def _check_setting(path: Path, scenario: Scenario, key: str, given: Range | Values | Choices
                   ) -> None:
    """Every value an event setting may take is one the event accepts (sim/sweep_events.py)."""
    if isinstance(given, Range):
        probes = {"low": given.low, "high": given.high}
        if not given.dates and _integer_field(scenario, key):  # sampled, then rounded
            probes = {where: round(value) for where, value in probes.items()}
    elif isinstance(given, Values):
        probes = {f"values[{k}]": v for k, v in enumerate(given.values)}
    else:
        probes = {f"choices[{k}]": v for k, v in enumerate(given.choices)}
    try:
        sweep_events.find(scenario, key)
    except sweep_events.SettingError as exc:
        _fail(path, ("parameters", key), exc.expected, exc.found)
    index = None if scenario.spec.synthetic is not None else world_index(scenario.spec)
    for where, value in probes.items():
        try:
            sweep_events.check(scenario, key, value, index)
        except sweep_events.SettingError as exc:
            _fail(path, ("parameters", key, where), exc.expected, exc.found)


def _check_design(path: Path, key: str, given: Range | Values | Choices, design: str) -> None:
    if isinstance(given, Choices):
        return  # a grid takes every choice; a sampled design draws an index
    if design == "grid":
        if isinstance(given, Range) and given.levels is None:
            _fail(path, ("parameters", key), "values, or a range with levels (design grid)",
                  "a range without levels")
    elif not isinstance(given, Range):
        _fail(path, ("parameters", key), f"a range {{low, high}} (design {design} samples it)",
              "a list of values")
    elif given.levels is not None:
        _fail(path, ("parameters", key, "levels"), f"no levels (design {design})",
              str(given.levels))


# ---------------------------------------------------------------- designs


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """One row per design point (`point` 0..P−1), one column per flat parameter name.

    grid: the product of every parameter's values; random: uniform draws; lhs, sobol, morris:
    SALib's samplers (Sobol with `calc_second_order=False`: N·(D + 2) points; Morris: N
    trajectories of D + 1 points). Draws are seeded from the sweep's seed.
    """
    meta = spec.meta
    names = list(spec.names)
    design_seed = _design_seed(meta.seed)
    if meta.design == "grid":
        axes = []
        for name in names:
            given = spec.given(name)
            if isinstance(given, Values):
                axes.append(given.values)
            elif isinstance(given, Choices):
                axes.append(list(range(len(given.choices))))
            else:
                axes.append(np.linspace(*given.bounds, given.levels).tolist())
        rows = list(itertools.product(*axes))
        frame = pd.DataFrame(rows, columns=names)
    else:
        problem = spec.problem()
        if meta.design == "random":
            rng = np.random.default_rng(design_seed)
            low, high = np.array(problem["bounds"]).T
            x = low + (high - low) * rng.random((meta.samples, len(names)))
        elif meta.design == "lhs":
            from SALib.sample import latin

            x = latin.sample(problem, meta.samples, seed=design_seed)
        elif meta.design == "sobol":
            from SALib.sample import sobol

            x = sobol.sample(problem, meta.samples, calc_second_order=False, seed=design_seed)
        else:
            from SALib.sample import morris

            x = morris.sample(problem, meta.samples, num_levels=meta.morris_levels,
                              seed=design_seed)
        frame = pd.DataFrame(x, columns=names)
    defaults = Params().flat()
    for name in names:
        given = spec.given(name)
        if isinstance(given, Choices):  # the index of a choice: [0, k) sampled, floored
            frame[name] = np.minimum(np.floor(frame[name]), len(given.choices) - 1).astype(int)
        elif isinstance(given, Range) and given.dates:  # a date, to the day
            frame[name] = [dt.date.fromordinal(round(d)).isoformat() for d in frame[name]]
        elif is_event_setting(name):
            if _integer_field(spec.scenario, name):
                frame[name] = frame[name].round().astype(int)
        elif isinstance(defaults[name], int) and not isinstance(defaults[name], bool):
            frame[name] = frame[name].round().astype(int)  # integer parameters: whole values
    frame.insert(0, "point", np.arange(len(frame)))
    return frame


def _integer_field(scenario: Scenario, name: str) -> bool:
    """Whether an event setting's field takes whole numbers (months of a ramp-in)."""
    _, event = sweep_events.find(scenario, name)
    annotation = type(event).model_fields[sweep_events.split(name)[1]].annotation
    return annotation is int


def _design_seed(seed: int) -> int:
    design, _ = np.random.SeedSequence(seed).spawn(2)
    return int(design.generate_state(1)[0])


def run_seeds(seed: int, n_runs: int) -> np.ndarray:
    """The seed of every run, in run order: `SeedSequence(seed)`'s second child, spawned."""
    _, runs = np.random.SeedSequence(seed).spawn(2)
    return np.array(spawned_seeds(runs, n_runs), dtype=np.int64)


def run_table(spec: SweepSpec) -> pd.DataFrame:
    """Every run: `run_id` = point·replicates + replicate, its point, replicate, seed and
    parameter values. Seeds are spawned per run in run order, or per replicate with
    `common_seeds`."""
    points = design_points(spec)
    r = spec.meta.replicates
    runs = points.loc[points.index.repeat(r)].reset_index(drop=True)
    runs.insert(0, "replicate", np.tile(np.arange(r), len(points)))
    runs.insert(0, "run_id", np.arange(len(runs)))
    if spec.meta.common_seeds:
        seeds = run_seeds(spec.meta.seed, r)[runs["replicate"].to_numpy()]
    else:
        seeds = run_seeds(spec.meta.seed, len(runs))
    runs.insert(3, "seed", seeds)
    return runs[["run_id", "point", "replicate", "seed", *spec.names]]
