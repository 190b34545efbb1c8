"""`geopol bench`: step times on synthetic worlds, numba kernels against the numpy reference.

Timings on a shared machine are noisy, so each figure is a median over many steps, and the
numba figures are quoted as ratios against the numpy reference measured in the same run.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numba
import numpy as np
from rich.console import Console
from rich.table import Table

from sim.bench_mesa import bench_mesa
from sim.kernels import BACKENDS, MODULES
from sim.kernels.threads import LINKS_PARALLEL_FROM
from sim.mechanisms import paradiplomacy as paradiplomacy_phase
from sim.mechanisms import trade as trade_phase
from sim.model import GeoModel
from sim.output import versions
from sim.params import Params
from sim.scenario import ScenarioMeta, ScenarioSpec, SyntheticSpec, forget_loaded, from_spec


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    v = versions()
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; Python {v['python']}, numba {v['numba']}, "
        f"numpy {v['numpy']}, mesa {v['mesa']}"
    )


def world_spec(states: int, regions: int, links_per_region: int = 10) -> ScenarioSpec:
    """A synthetic world of about `regions` regions whose links form and dissolve at steady
    rates, whatever its size (docs/model.md, "Synthetic world")."""
    per_state = max(regions // max(states, 1), 0)  # states are checked next
    # A state's output is shared among its regions, so a region of a state with many is small.
    # The attention reference shrinks with them, or their budgets would let every link decay.
    reference = Params().paradiplomacy.partners_reference_gdp * 10 / max(per_state, 1)
    return ScenarioSpec(
        scenario=ScenarioMeta(name="bench"),
        synthetic=SyntheticSpec(
            states=states,
            regions_per_state=per_state,
            cities_per_state=2,
            links_per_region=links_per_region,
        ),
        params=Params().with_flat({"paradiplomacy_partners_reference_gdp": reference}),
    )


def time_steps(model: GeoModel, steps: int, warmup: int = 2) -> list[float]:
    """Seconds per step for `steps` steps after `warmup` untimed ones."""
    for _ in range(warmup):
        model.step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return times


# The numpy reference is timed up to this many regions: at a million its step takes seconds.
NUMPY_UP_TO = 100_000

# GeoModel.step's phases, in order: `bench_steps` times each.
PHASES = ("apply_events", "decide", "city_diplomacy", "paradiplomacy", "trade", "technology",
          "soft_power", "relations", "record")


def timed_phases(model: GeoModel) -> dict[str, list[float]]:
    """Make each of `model`'s phases record its seconds per call in the returned lists."""
    times: dict[str, list[float]] = {}
    for name in PHASES:
        phase, spent = getattr(model, name), times.setdefault(name, [])

        def timed(phase=phase, spent=spent) -> None:
            start = time.perf_counter()
            phase()
            spent.append(time.perf_counter() - start)

        setattr(model, name, timed)  # the instance's attribute shadows the method in step()
    return times


# The last line a child process prints for a benchmark to read its peak resident memory:
# VmHWM on Linux, because there ru_maxrss also counts the parent's resident memory at the fork
# (the kernel carries it over the exec), which would hide a small child behind a large
# benchmark; ru_maxrss elsewhere (KiB, or bytes on macOS).
PRINT_PEAK = """
import resource
try:
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")))
except (OSError, StopIteration):
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def printed_peak_mib(stdout: str) -> float:
    """The peak that `PRINT_PEAK` printed last in `stdout`, MiB."""
    peak = int(stdout.split()[-1])
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


PEAK_SCRIPT = """
import sys
from sim import GeoModel
from sim.bench import world_spec
from sim.scenario import from_spec
model = GeoModel(scenario=from_spec(world_spec(int(sys.argv[1]), int(sys.argv[2]))), rng=0)
for _ in range(int(sys.argv[3])):
    model.step()
""" + PRINT_PEAK


def peak_memory_mib(states: int, regions: int, steps: int) -> float:
    """The peak resident memory of a fresh process that builds the synthetic world and runs
    `steps` steps, MiB: its own process, so that no other benchmark's memory counts."""
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(states), str(regions),
                           str(steps)], capture_output=True, text=True, check=True)
    return printed_peak_mib(done.stdout)


def bench_steps(sizes: list[int], steps: int, states: int) -> list[dict]:
    """Build and step synthetic worlds of `sizes` regions: numba on its pool and on one
    thread, and the numpy reference; each phase's median besides the whole step's."""
    pool = numba.get_num_threads()
    variants = [("numba", pool)] + ([("numba", 1)] if pool > 1 else []) + [("numpy", pool)]
    rows = []
    for regions in sizes:
        scenario = from_spec(world_spec(states, regions))
        first = len(rows)  # numba on its pool, whose peak memory is measured on its own
        for backend, threads in variants:
            if backend == "numpy" and regions > NUMPY_UP_TO:
                continue
            numba.set_num_threads(threads)
            try:
                start = time.perf_counter()
                model = GeoModel(scenario=scenario, rng=0, backend=backend)
                build = time.perf_counter() - start
                for _ in range(2):
                    model.step()
                phases = timed_phases(model)
                times = time_steps(model, steps, warmup=0)
            finally:
                numba.set_num_threads(pool)
            median = statistics.median(times)
            rows.append(
                {
                    "regions": len(model.regions),
                    "links": len(model.world.links),
                    "active": model.link_geometry.active_links,
                    "actors": model.world.n_actors,
                    "backend": backend,
                    "threads": threads,
                    "build_s": build,
                    "step_ms": 1e3 * median,
                    "step_p90_ms": 1e3 * float(np.quantile(times, 0.9)),
                    "actor_updates_per_s": model.world.n_actors / median,
                    "phase_ms": {name: 1e3 * statistics.median(t) for name, t in phases.items()},
                }
            )
            del model
        rows[first]["peak_mib"] = peak_memory_mib(states, regions, steps + 2)
    return rows


def bench_gravity(states: int, repeats: int = 50) -> dict[str, float]:
    """Median seconds of one cold-started gravity solve at `states` states, per backend."""
    model = GeoModel(scenario=from_spec(world_spec(states, states)), rng=0)
    gdp = model.world.actors.gdp[:states].copy()
    trade = model.params.trade
    phi = trade_phase.trade_costs(model.world.pairs, trade, model.home_bias)
    out = {}
    for backend, kernels in BACKENDS.items():
        solve = kernels.gravity_flows
        ones = np.ones(states)
        solve(gdp, phi, ones, ones, trade.tolerance, trade.max_iterations)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            solve(gdp, phi, ones, ones, trade.tolerance, trade.max_iterations)
            times.append(time.perf_counter() - start)
        out[backend] = statistics.median(times)
    return out


@dataclass
class ScenarioTimes:
    """Medians, in seconds, of building a bundled scenario and of running it."""

    first_build: float  # reading its files, merging and validating, then building
    build: float  # building again in the same process, the scenario's files unchanged
    steps: float  # running `n_steps` steps, after a warm-up run
    n_steps: int


def bench_scenario(name: str, steps: int = 100, repeats: int = 5) -> ScenarioTimes:
    """Build and run a bundled scenario: medians of `repeats` (numba compiled beforehand)."""
    GeoModel(scenario=name, rng=0).step()  # compile and warm up
    first, builds, runs = [], [], []
    for seed in range(repeats):
        forget_loaded()
        start = time.perf_counter()
        GeoModel(scenario=name, rng=seed)
        first.append(time.perf_counter() - start)
        start = time.perf_counter()
        model = GeoModel(scenario=name, rng=seed)
        builds.append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(steps):
            model.step()
        runs.append(time.perf_counter() - start)
    return ScenarioTimes(statistics.median(first), statistics.median(builds),
                         statistics.median(runs), steps)


def bench_compare(replicates: int = 20) -> float:
    """Seconds for the comparison `geopol compare eurasia-sanctions-2017 --baseline eurasia`
    runs (2 × `replicates` runs of 24 steps, tables included; writing and plots left out)."""
    from sim.compare import compare

    start = time.perf_counter()
    compare("eurasia-sanctions-2017", "eurasia", replicates=replicates, seed=1)
    return time.perf_counter() - start


# A broad new coalition against Russia: what a planner asks the decisions about.
COALITION = {"type": "sanction", "name": "bench coalition", "target": "RUS", "scope": "complete",
             "kind": ["trade", "financial"],
             "imposers": ["USA", "DEU", "FRA", "ITA", "ESP", "NLD", "POL", "BEL", "SWE", "AUT"]}


def bench_decisions(steps: int = 40, review_rate: float = 52.0) -> dict[str, float]:
    """Milliseconds of the decision phase (briefing, every state's `decide`, enacting) per step
    of `world` (190 states) with a new coalition against Russia open: the median, and the
    questions asked per step. With `review_rate` 52 a year every state reviews every question
    every step, the most work the phase can have."""
    model = GeoModel(scenario="world", rng=0, decisions_review_rate=review_rate)
    model.inject(COALITION)
    model.step()
    times, asked = [], []
    decide = model.decide

    def timed() -> None:
        start = time.perf_counter()
        decide()
        times.append(time.perf_counter() - start)
        asked.append(sum(len(q) for block in model.briefing for q in block.reviewed.values()))

    model.decide = timed
    for _ in range(steps):
        model.step()
    return {"ms": 1e3 * statistics.median(times), "questions": statistics.median(asked),
            "states": model.world.n_states}


class CapturedKernels:
    """Stands in for a model's kernels for one step and keeps a copy of each kernel's first
    arguments, so that every kernel can be timed on the inputs a real step gives it."""

    def __init__(self, kernels) -> None:
        self._kernels = kernels
        self.calls: dict[str, tuple] = {}

    def __getattr__(self, name: str):
        kernel = getattr(self._kernels, name)

        def call(*args):
            if name not in self.calls:
                self.calls[name] = tuple(a.copy() if isinstance(a, np.ndarray) else a
                                         for a in args)
            return kernel(*args)

        return call


# The worlds `bench_mesa` times: those asked for from 10,000 regions up to 100,000 (where the
# agents' Python loop takes ten seconds a phase), or 10,000 if none is.
MESA_REGIONS = (10_000, 100_000)


def mesa_sizes(sizes: list[int]) -> list[int]:
    """The sizes among `sizes` that `bench_mesa` times (MESA_REGIONS)."""
    low, high = MESA_REGIONS
    return sorted({s for s in sizes if low <= s <= high}) or [low]


THREAD_SIZES = (500, 2_000, 10_000, 50_000)  # regions of the worlds `bench_threads` times


def bench_threads(states: int = 50, sizes: tuple[int, ...] = THREAD_SIZES, rounds: int = 4
                  ) -> list[dict]:
    """The paradiplomacy phase on one thread and on numba's pool, whatever its size (the
    phase's own threshold, LINKS_PARALLEL_FROM, set aside): where threads start to pay.
    Medians over `rounds` alternations of the two, each the median of several calls. Empty
    when the pool is one thread."""
    pool = numba.get_num_threads()
    if pool == 1:
        return []
    rows = []
    for regions in sizes:
        model = GeoModel(scenario=from_spec(world_spec(states, regions)), rng=0)
        for _ in range(2):
            model.step()
        p, calls = model.params, 15 if regions < 50_000 else 5

        def phase(model: GeoModel = model, p=p) -> float:
            start = time.perf_counter()
            paradiplomacy_phase.update(
                model.world, p.paradiplomacy, model.link_geometry, model.kernels, 1, model.dt,
                choose=p.decisions.partners, parallel_from=0)
            return time.perf_counter() - start

        times: dict[str, list[float]] = {"one": [], "pool": []}
        try:
            for _ in range(rounds):
                for name, threads in (("one", 1), ("pool", pool)):
                    numba.set_num_threads(threads)
                    times[name].append(statistics.median(phase() for _ in range(calls)))
        finally:
            numba.set_num_threads(pool)
        rows.append({"regions": regions, "links": len(model.world.links.ends), "pool": pool,
                     **{f"{name}_ms": 1e3 * statistics.median(t) for name, t in times.items()}})
    return rows


def median_seconds(function, args: tuple, budget: float = 0.5, most: int = 50) -> float:
    """Median of repeated calls, as many as fit in about `budget` seconds (at least one)."""
    times: list[float] = []
    while len(times) < most and (not times or sum(times) < budget):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_kernels(states: int, regions: int) -> list[dict]:
    """Every kernel on the inputs of one step of a synthetic world, against its numpy reference
    and against a plain Python loop over the actors, links or pairs doing the same work."""
    model = GeoModel(scenario=from_spec(world_spec(states, regions)), rng=0)
    for _ in range(2):
        model.step()
    captured = CapturedKernels(model.kernels)
    model.kernels = captured
    model.step()
    model.kernels = BACKENDS["numba"]
    rows = []
    for name, args in captured.calls.items():
        module = next(m for m in MODULES if hasattr(m, name))
        loop = getattr(module, f"{name}_python_loop", None)
        fast = median_seconds(getattr(module, name), args)
        reference = median_seconds(getattr(module, f"{name}_reference"), args)
        slow = median_seconds(loop, args, budget=0.0) if loop else float("nan")
        size = next((a.shape for a in args if isinstance(a, np.ndarray)), ())
        rows.append({"kernel": name, "size": "×".join(map(str, size)), "numba_ms": 1e3 * fast,
                     "numpy_ms": 1e3 * reference, "loop_ms": 1e3 * slow})
    return rows


def print_bench(console: Console, sizes: list[int], steps: int, states: int) -> None:
    console.print(f"machine: {machine()}")
    for name, targets in (("world", "targets ≤ 5 s and ≤ 3 s"), ("eurasia", "target ≤ 1 s")):
        t = bench_scenario(name)
        console.print(f"{name}: build {t.first_build:.2f} s with reading its files, "
                      f"{t.build:.2f} s from the load cache; {t.n_steps} steps {t.steps:.2f} s "
                      f"({targets}; medians of 5)")
    console.print(f"compare eurasia-sanctions-2017 with eurasia, 20 replicates of 24 steps: "
                  f"{bench_compare():.1f} s")
    for rate, reviewed in ((52.0, "every question reviewed each step"),
                           (2.0, "the default two reviews a year")):
        d = bench_decisions(review_rate=rate)
        console.print(f"decisions, world ({d['states']} states, a new coalition against "
                      f"Russia, {reviewed}: {d['questions']:.0f} asked): {d['ms']:.2f} ms a "
                      "step (target < 1 ms; median of 40)")
    threads = bench_threads()
    if threads:
        table = Table(title="Paradiplomacy phase, 1 thread against numba's "
                            f"{threads[0]['pool']} (synthetic, 50 states)")
        for col in ("regions", "links", "1 thread ms", "pool ms", "pool / 1", "runs on"):
            table.add_column(col, justify="right")
        for r in threads:
            table.add_row(f"{r['regions']:,}", f"{r['links']:,}", f"{r['one_ms']:.2f}",
                          f"{r['pool_ms']:.2f}", f"{r['pool_ms'] / r['one_ms']:.2f}",
                          "1 thread" if r["links"] < LINKS_PARALLEL_FROM else "the pool")
        console.print(table)
    for regions in mesa_sizes(sizes):
        mesa = bench_mesa(states, regions)
        console.print(
            f"paradiplomacy phase, {mesa['regions']:,} regions ({mesa['links']:,} links), by "
            f"Mesa agents tending their own links (AgentSet.do, checked to agree to "
            f"{mesa['difference']:.0e}): {mesa['mesa_s']:.2f} s against "
            f"{1e3 * mesa['kernels_s']:.2f} ms by the kernels, {mesa['phase_ratio']:,.0f}× the "
            f"phase and {mesa['step_ratio']:,.0f}× the whole step (goal ≥ 300×; medians of 3)"
        )
    gravity = bench_gravity(states)
    console.print(
        f"gravity solve, {states} states: numba {1e3 * gravity['numba']:.3f} ms, "
        f"numpy {1e3 * gravity['numpy']:.3f} ms (numpy/numba = "
        f"{gravity['numpy'] / gravity['numba']:.2f}×), medians of 50"
    )
    kernels = Table(title=f"Kernels on one step's inputs, {states} states, {max(sizes):,} regions")
    for col in ("kernel", "input", "numba ms", "numpy ms", "Python loop ms", "loop / numba"):
        kernels.add_column(col, justify="left" if col == "kernel" else "right")
    for r in bench_kernels(states, max(sizes)):
        kernels.add_row(r["kernel"], r["size"], f"{r['numba_ms']:.3f}", f"{r['numpy_ms']:.3f}",
                        f"{r['loop_ms']:.1f}", f"{r['loop_ms'] / r['numba_ms']:,.0f}×")
    console.print(kernels)
    rows = bench_steps(sizes, steps, states)
    table = Table(title=f"Whole step, synthetic world of {states} states (median of {steps} steps)")
    for col in ("regions", "links", "active", "backend", "threads", "build s", "step ms",
                "p90 ms", "updates/s", "speed-up", "peak MiB"):
        table.add_column(col, justify="right")
    baseline = {r["regions"]: r["step_ms"] for r in rows if r["backend"] == "numpy"}
    for r in rows:
        table.add_row(
            f"{r['regions']:,}",
            f"{r['links']:,}",
            f"{r['active']:,}",
            r["backend"],
            str(r["threads"]),
            f"{r['build_s']:.2f}",
            f"{r['step_ms']:.2f}",
            f"{r['step_p90_ms']:.2f}",
            f"{r['actor_updates_per_s'] / 1e6:.1f} M",
            f"{baseline[r['regions']] / r['step_ms']:.2f}×" if r["regions"] in baseline else "—",
            f"{r['peak_mib']:,.0f}" if "peak_mib" in r else "",
        )
    console.print(table)
    console.print(
        "active: links active after the timed steps; updates/s: actors stepped per second at the "
        "median step; speed-up: numpy reference step time / this step time (the reference "
        f"up to {NUMPY_UP_TO:,} regions); peak MiB: the peak resident memory of a process that "
        "builds the world and runs as many steps, on numba's pool."
    )
    phases = Table(title="Where a step's time goes: median ms of each phase (numba)")
    for col in ("regions", "threads", *PHASES):
        phases.add_column(col.replace("_", " "), justify="right")
    for r in rows:
        if r["backend"] == "numba":
            phases.add_row(f"{r['regions']:,}", str(r["threads"]),
                           *(f"{r['phase_ms'][name]:.2f}" for name in PHASES))
    console.print(phases)
