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
    name = "world_gdp_usd"
    reduce = "final"            # final, mean, peak, min
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator

from sim.errors import InputError, describe
from sim.events import last_step
from sim.model import NUMERIC_SERIES, spawned_seeds
from sim.params import PARAM_PATHS, Params, dotted
from sim.scenario import Scenario, load, resolve
from sim.schema import LAST_DATE, STRICT, first_error, read_toml

Design = Literal["grid", "lhs", "random", "sobol", "morris"]
Reduction = Literal["final", "mean", "peak", "min"]


class Strict(BaseModel):
    model_config = STRICT


class Range(Strict):
    low: float
    high: float
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None  # grid: evenly spaced values

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.high > self.low:
            raise ValueError(f"high above low ({self.low:g}); found high {self.high:g}")
        return self


class Values(Strict):
    values: Annotated[list[float | int | bool], Field(min_length=1)]


class Metric(Strict):
    name: str
    reduce: Reduction = "final"

    @property
    def column(self) -> str:
        return f"{self.name}_{self.reduce}"


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
    parameters: Annotated[dict[str, Range | Values], Field(min_length=1)]
    metrics: Annotated[list[Metric], Field(min_length=1)]


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep: its file's content, the scenario it runs and its parameter order."""

    file: SweepFile
    path: Path
    scenario: Scenario
    names: tuple[str, ...]  # flat parameter names (`trade_sigma`), in the file's order
    content_hash: str

    @property
    def meta(self) -> SweepMeta:
        return self.file.sweep

    @property
    def steps(self) -> int:
        return self.meta.steps or self.scenario.spec.scenario.steps

    def problem(self) -> dict:
        """The SALib problem: names and bounds of the ranged parameters."""
        ranges = [self.file.parameters[dotted(n)] for n in self.names]
        return {
            "num_vars": len(self.names),
            "names": list(self.names),
            "bounds": [[r.low, r.high] for r in ranges],
        }


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec; bad input raises InputError naming the file and key."""
    path = Path(path)
    raw = read_toml(path)
    try:
        file = SweepFile.model_validate(raw)
    except ValidationError as exc:
        return _fail(path, *first_error(exc, raw))

    names = []
    for key, given in file.parameters.items():
        flat = key.replace(".", "_")
        if flat not in PARAM_PATHS:
            known = ", ".join(dotted(n) for n in PARAM_PATHS)
            _fail(path, ("parameters", key), f"a parameter name ({known})", repr(key))
        names.append(flat)
        _check_values(path, key, flat, given)
        _check_design(path, key, given, file.sweep.design)
    for k, metric in enumerate(file.metrics):
        if metric.name not in NUMERIC_SERIES:
            _fail(path, ("metrics", k, "name"), f"a model series ({', '.join(NUMERIC_SERIES)})",
                  describe(metric.name))
    columns = [m.column for m in file.metrics]
    if len(set(columns)) < len(columns):
        k = next(i for i, c in enumerate(columns) if columns.index(c) != i)
        _fail(path, ("metrics", k), "each name and reduction once", columns[k])
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
    canonical = json.dumps({"sweep": file.model_dump(mode="json"),
                            "scenario": scenario.content_hash}, sort_keys=True)
    return SweepSpec(file=file, path=path.resolve(), scenario=scenario, names=tuple(names),
                     content_hash=hashlib.sha256(canonical.encode()).hexdigest())


def _fail(path: Path, loc: tuple, expected: str, found: str):
    key = ""
    for part in loc:
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


def _check_design(path: Path, key: str, given: Range | Values, design: str) -> None:
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
            given = spec.file.parameters[dotted(name)]
            axes.append(given.values if isinstance(given, Values)
                        else np.linspace(given.low, given.high, given.levels).tolist())
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
    for name in names:  # integer parameters take whole values
        if isinstance(defaults[name], int) and not isinstance(defaults[name], bool):
            frame[name] = frame[name].round().astype(int)
    frame.insert(0, "point", np.arange(len(frame)))
    return frame


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
