"""`geopol bench`'s measurements run on the current model (their figures go to bench/RESULTS.md;
speed itself is measured there, not asserted here)."""

from __future__ import annotations

import inspect
import math
import re
import time

import numba
import numpy as np
import pytest

from sim import GeoModel
from sim.bench import (
    PHASES,
    bench_decisions,
    bench_gravity,
    bench_scenario,
    bench_steps,
    bench_threads,
    mesa_sizes,
    peak_memory_mib,
    timed_phases,
    world_spec,
)
from sim.scenario import from_spec


def test_scenario_bench_builds_and_runs_the_scenario():
    times = bench_scenario("eurasia", steps=2, repeats=1)
    assert times.n_steps == 2
    for value in (times.first_build, times.build, times.steps):
        assert math.isfinite(value) and value > 0


def test_gravity_bench_solves_with_the_calibrated_home_bias():
    times = bench_gravity(states=20, repeats=2)
    assert set(times) == {"numba", "numpy"}
    assert all(math.isfinite(t) and t > 0 for t in times.values())


def test_decisions_bench_times_a_phase_with_questions_to_answer():
    times = bench_decisions(steps=3)
    assert times["states"] == 190
    assert times["questions"] > 100  # every state reviews the coalition, Russia its members
    assert math.isfinite(times["ms"]) and times["ms"] > 0


def test_threads_bench_times_the_phase_on_one_thread_and_on_the_pool():
    """Both thread counts timed for each world, and numba's pool as it was afterwards."""
    pool = numba.get_num_threads()
    rows = bench_threads(states=10, sizes=(200, 400), rounds=1)
    assert numba.get_num_threads() == pool
    if pool == 1:
        assert rows == []
        return
    assert [r["regions"] for r in rows] == [200, 400]
    assert rows[0]["links"] < rows[1]["links"]
    assert all(r["one_ms"] > 0 and r["pool_ms"] > 0 and r["pool"] == pool for r in rows)


def test_the_phases_timed_are_the_steps_phases_in_order():
    called = re.findall(r"self\.(\w+)\(\)", inspect.getsource(GeoModel.step))
    assert tuple(called) == PHASES


def test_timed_phases_account_for_the_whole_step():
    """Each phase records one time per step, and together they are nearly all of the step."""
    model = GeoModel(scenario=from_spec(world_spec(10, 200)), rng=0)
    model.step()
    phases = timed_phases(model)
    start = time.perf_counter()
    for _ in range(3):
        model.step()
    wall = time.perf_counter() - start
    assert set(phases) == set(PHASES) and all(len(t) == 3 for t in phases.values())
    spent = sum(sum(t) for t in phases.values())
    assert 0.8 * wall < spent <= wall


def test_mesa_is_timed_on_the_asked_sizes_from_10k_to_100k():
    assert mesa_sizes([1_000, 10_000, 100_000, 1_000_000]) == [10_000, 100_000]
    assert mesa_sizes([200_000, 50_000]) == [50_000]
    assert mesa_sizes([1_000]) == [10_000]


def test_a_child_process_reports_its_own_peak_memory_not_its_parents():
    """On Linux ru_maxrss of a child counts its parent's resident memory at the fork; the
    benchmarks read the child's own high-water mark instead."""
    ballast = np.ones(600 * 2**20 // 8)  # 600 MiB, touched
    with open("/proc/self/status") as status:
        parent = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    child = peak_memory_mib(3, 10, 1)
    assert ballast.sum() > 0 and parent > 600
    assert 50 < child < parent - 400


def test_step_bench_reports_builds_steps_phases_and_memory_per_variant():
    pool = numba.get_num_threads()
    rows = bench_steps([200], steps=3, states=10)
    assert numba.get_num_threads() == pool
    expected = [("numba", pool)] + ([("numba", 1)] if pool > 1 else []) + [("numpy", pool)]
    assert [(r["backend"], r["threads"]) for r in rows] == expected
    assert 50 < rows[0]["peak_mib"] < 5000  # a process of its own: Python, numba, the model
    assert all("peak_mib" not in r for r in rows[1:])
    for r in rows:
        assert r["regions"] == 200 and 0 < r["active"] <= r["links"]
        assert r["build_s"] > 0 and r["step_ms"] > 0
        assert set(r["phase_ms"]) == set(PHASES)
        assert sum(r["phase_ms"].values()) < 1.5 * r["step_p90_ms"]


def test_mesa_baseline_agrees_with_the_kernels_and_is_timed():
    """The agents' paradiplomacy step (AgentSet.do, one link at a time) gives the kernels'
    strengths, formations, dissolutions, classes and state-pair sums before it is timed."""
    from sim.bench_mesa import bench_mesa

    row = bench_mesa(10, 300, rounds=1)
    assert row["regions"] == 300 and row["links"] > 1000
    assert row["difference"] < 1e-12
    assert row["mesa_s"] > row["kernels_s"] > 0 and row["phase_ratio"] > 1
    assert 1 < row["step_ratio"] < row["phase_ratio"]


def test_mesa_baseline_agreement_catches_a_wrong_link():
    from sim.bench_mesa import agreement, kernel_paradiplomacy, ledger, mesa_paradiplomacy

    model = GeoModel(scenario=from_spec(world_spec(10, 300)), rng=1)
    model.step()
    book = ledger(model)
    before = model.world.links.strength.copy()
    agents, kernels = mesa_paradiplomacy(model, book, 7), kernel_paradiplomacy(model, 7)
    np.testing.assert_array_equal(model.world.links.strength, before)  # the model as it was
    assert not np.array_equal(kernels.strength, before)
    assert agreement(agents, kernels) < 1e-12
    active = np.flatnonzero(agents.strength.any(axis=1))[0]
    agents.strength[active, 0] += 1e-6
    assert agreement(agents, kernels) >= 1e-6
    agents.formed += 1
    with pytest.raises(AssertionError, match="formed and dissolved"):
        agreement(agents, kernels)


def test_step_bench_leaves_out_the_numpy_reference_above_its_size(monkeypatch):
    import sim.bench

    monkeypatch.setattr(sim.bench, "NUMPY_UP_TO", 100)
    rows = bench_steps([200], steps=3, states=10)
    assert rows and all(r["backend"] == "numba" for r in rows)
