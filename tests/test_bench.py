"""`geopol bench`'s measurements run on the current model (their figures go to bench/RESULTS.md;
speed itself is measured there, not asserted here)."""

from __future__ import annotations

import math

import numba

from sim.bench import bench_decisions, bench_gravity, bench_scenario, bench_threads


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
