"""Parameter sweeps: spec checks, designs, reductions, executors, chunks, resuming after
kill -9, failures, and the report (docs/sweeps.md)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import Executor, Future
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.sweep as sweep_module
from sim.errors import InputError
from sim.model import GeoModel
from sim.report import report
from sim.scenario import load
from sim.selectors import reduce
from sim.sweep import (
    LOCAL_CLUSTER_CONFIG,
    TASK_SECONDS,
    RunTask,
    batch_size,
    completed_runs,
    dask_pool,
    read_runs,
    run_one,
    run_sweep,
    run_task,
)
from sim.sweep_spec import design_points, load_sweep, run_seeds, run_table

GEOPOL = Path(sys.executable).parent / "geopol"
EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "sweeps" / "example.toml"
SUMMARY = re.compile(r"(\d+) runs, (\d+) run now, (\d+) done before, (\d+) failed")


def spec_toml(parameters: dict[str, str], metrics=(("mean_relations", "final"),),
              **sweep: object) -> str:
    """A sweep spec: `sweep` keys (name, scenario, design... with defaults), parameters as
    dotted name → inline table text, metrics as (name, reduce) pairs."""
    meta = {"name": "t", "scenario": "eurasia", "steps": 4, "design": "grid", **sweep}
    lines = ["[sweep]"]
    for key, value in meta.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = json.dumps(value)
        else:
            text = repr(value)
        lines.append(f"{key} = {text}")
    lines += ["", "[parameters]"]
    lines += [f'"{key}" = {table}' for key, table in parameters.items()]
    for name, reduction in metrics:
        lines += ["", "[[metrics]]", f'name = "{name}"', f'reduce = "{reduction}"']
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def geopol(*args: object, cwd: Path | None = None, timeout: float = 120
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GEOPOL), *map(str, args)], check=False, capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def summary_counts(stdout: str) -> dict[str, int]:
    match = SUMMARY.search(stdout)
    assert match, stdout
    return dict(zip(("total", "ran", "skipped", "failed"), map(int, match.groups()), strict=True))


def without_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="seconds")


def part_sizes(out: Path) -> list[int]:
    return [pq.read_table(p).num_rows for p in sorted((out / "runs").glob("part-*.parquet"))]


class Inline(Executor):
    """Runs each task when it is submitted: every future is done at once (as when several runs
    finish between two looks of the sweep loop)."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def inline_sweep(spec_path: Path, out: Path):
    return run_sweep(load_sweep(spec_path), out, Inline(), 1, "inline")


# ---------------------------------------------------------------- spec validation

SIGMA = '{ low = 3.0, high = 8.0 }'
BAD_SPECS = {
    "unknown parameter": (
        spec_toml({"trade.sigmaa": SIGMA}, design="lhs"), "parameters.trade.sigmaa", "sigmaa"),
    "value outside the parameter's range": (
        spec_toml({"trade.sigma": "{ low = 0.5, high = 8.0 }"}, design="lhs"),
        "parameters.trade.sigma.low", "0.5"),
    "high not above low": (
        spec_toml({"trade.sigma": "{ low = 8.0, high = 8.0 }"}, design="lhs"),
        "parameters.trade.sigma", "high"),
    "high below low": (
        spec_toml({"trade.sigma": "{ low = 8.0, high = 3.0 }"}, design="random"),
        "parameters.trade.sigma", "high"),
    "sobol with values": (
        spec_toml({"trade.sigma": "{ values = [3.0, 8.0] }"}, design="sobol"),
        "parameters.trade.sigma", "values"),
    "grid range without levels": (
        spec_toml({"trade.sigma": SIGMA}, design="grid"), "parameters.trade.sigma", "levels"),
    "unknown metric": (
        spec_toml({"trade.sigma": SIGMA}, metrics=[("gdp", "final")], design="lhs"),
        "metrics[0].name", "'gdp'"),
    "unknown reduction": (
        spec_toml({"trade.sigma": SIGMA}, metrics=[("mean_relations", "median")],
                  design="lhs"),
        "metrics[0].reduce", "median"),
    "unknown design": (
        spec_toml({"trade.sigma": SIGMA}, design="fractional"), "sweep.design", "fractional"),
    "unknown scenario": (
        spec_toml({"trade.sigma": SIGMA}, design="lhs", scenario="atlantis"),
        "sweep.scenario", "atlantis"),
    "missing [sweep] table": (
        ('[parameters]\n"trade.sigma" = { low = 3.0, high = 8.0 }\n\n'
         '[[metrics]]\nname = "mean_relations"\n'), "sweep", "nothing"),
    "invalid TOML": ("[sweep\nname = 'x'\n", None, "TOML"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_a_bad_spec_is_one_line_naming_file_and_key_and_writes_nothing(tmp_path, case):
    text, key, found = BAD_SPECS[case]
    work = tmp_path / "work"
    path = write(work / "spec.toml", text)

    with pytest.raises(InputError) as info:
        load_sweep(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: " if key is None else f"{path}: {key}: "), message
    assert found in message

    proc = geopol("sweep", "spec.toml", "--workers", 1, "--quiet", cwd=work)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: spec.toml: " + (f"{key}: " if key else "")), lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert sorted(p.name for p in work.iterdir()) == ["spec.toml"]  # no runs/ directory


@pytest.mark.parametrize(("options", "key"), [
    (["--workers", 0], "--workers"),
    (["--scheduler", "tcp://127.0.0.1:1", "--dask-local", 2], "--scheduler/--dask-local"),
])
def test_bad_sweep_options_are_one_line_and_write_nothing(tmp_path, options, key):
    work = tmp_path / "work"
    write(work / "spec.toml", spec_toml({"relations.drift": "{ values = [0.2] }"}))
    proc = geopol("sweep", "spec.toml", *options, "--quiet", cwd=work, timeout=60)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: geopol sweep: {key}: expected"), lines[0]
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in work.iterdir()) == ["spec.toml"]


def test_the_value_check_does_not_refuse_a_value_the_other_parameters_allow(tmp_path):
    """Checks across parameters belong to a run (docs/sweeps.md); and the spec's scenario, not
    the defaults, gives the other parameters: with dissolve_below = 0.05 in the scenario,
    start_strength 0.1 is a valid value."""
    write(tmp_path / "low.toml", '[scenario]\nname = "lowdissolve"\nextends = "eurasia"\n\n'
          "[params.paradiplomacy]\ndissolve_below = 0.05\n")
    path = write(tmp_path / "spec.toml", spec_toml(
        {"paradiplomacy.start_strength": "{ values = [0.25, 0.1] }"}, scenario="low.toml",
        steps=2, metrics=[("active_links", "final")]))
    spec = load_sweep(path)  # refused today: "expected start_strength above dissolve_below (0.15)"
    points = design_points(spec)
    assert points["paradiplomacy_start_strength"].tolist() == [0.25, 0.1]
    rows = [run_one(task) for task in tasks_of(spec)]
    assert [row["error"] for row in rows] == [None, None]


def plain(value):
    return value.item() if isinstance(value, np.generic) else value


def tasks_of(spec) -> list[RunTask]:
    return [run_task(spec, r) for r in run_table(spec).to_dict("records")]


# ---------------------------------------------------------------- designs

RANGES = {
    "relations.drift": (0.1, 0.5),
    "trade.sigma": (3.0, 9.0),
    "growth.volatility": (0.0, 0.1),
}


def sampled_spec(tmp_path: Path, design: str, seed: int = 1, samples: int = 8, **extra) -> Path:
    parameters = {k: f"{{ low = {lo!r}, high = {hi!r} }}" for k, (lo, hi) in RANGES.items()}
    return write(tmp_path / f"{design}-{seed}-{samples}.toml",
                 spec_toml(parameters, design=design, samples=samples, seed=seed, **extra))


def test_grid_is_the_cartesian_product_in_file_order(tmp_path):
    path = write(tmp_path / "grid.toml", spec_toml({
        "relations.drift": "{ values = [0.1, 0.2] }",
        "trade.sigma": "{ low = 3.0, high = 9.0, levels = 4 }",
        "growth.trend": "{ values = [0.0, 0.01, 0.02] }",
    }))
    spec = load_sweep(path)
    assert spec.names == ("relations_drift", "trade_sigma", "growth_trend")
    points = design_points(spec)
    assert list(points.columns) == ["point", "relations_drift", "trade_sigma", "growth_trend"]
    expected = [(a, b, c) for a in (0.1, 0.2) for b in (3.0, 5.0, 7.0, 9.0)
                for c in (0.0, 0.01, 0.02)]
    assert points["point"].tolist() == list(range(24))
    got = list(points[["relations_drift", "trade_sigma", "growth_trend"]]
               .itertuples(index=False, name=None))
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(("design", "count"), [
    ("random", 8), ("lhs", 8), ("sobol", 8 * (3 + 2)), ("morris", 8 * (3 + 1)),
])
def test_sampled_designs_have_the_documented_size_stay_in_bounds_and_follow_the_seed(
        tmp_path, design, count):
    points = design_points(load_sweep(sampled_spec(tmp_path, design, seed=1)))
    assert len(points) == count
    assert points["point"].tolist() == list(range(count))
    for key, (low, high) in RANGES.items():
        column = points[key.replace(".", "_")]
        assert column.between(low, high).all(), key
        assert column.nunique() > 1, key
    again = design_points(load_sweep(sampled_spec(tmp_path / "again", design, seed=1)))
    pd.testing.assert_frame_equal(points, again)
    other = design_points(load_sweep(sampled_spec(tmp_path, design, seed=2)))
    assert len(other) == count
    assert not np.allclose(points.drop(columns="point").to_numpy(),
                           other.drop(columns="point").to_numpy())


def test_lhs_puts_one_point_in_each_stratum_of_every_parameter(tmp_path):
    n = 10
    points = design_points(load_sweep(sampled_spec(tmp_path, "lhs", seed=7, samples=n)))
    for key, (low, high) in RANGES.items():
        x = points[key.replace(".", "_")].to_numpy()
        strata = np.floor((x - low) / (high - low) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n)), key


def test_morris_points_lie_on_the_levels_grid(tmp_path):
    points = design_points(load_sweep(sampled_spec(tmp_path, "morris", morris_levels=4)))
    for key, (low, high) in RANGES.items():
        levels = (points[key.replace(".", "_")].to_numpy() - low) / (high - low) * 3
        assert np.allclose(levels, np.round(levels), atol=1e-9), key
    # Each trajectory of D + 1 points moves one parameter at a time.
    x = points.drop(columns="point").to_numpy()
    for t in range(8):
        steps = np.diff(x[4 * t: 4 * t + 4], axis=0)
        assert ((np.abs(steps) > 1e-12).sum(axis=1) == 1).all()


def test_integer_parameters_take_whole_values_on_a_grid_of_values(tmp_path):
    path = write(tmp_path / "int-values.toml", spec_toml(
        {"trade.max_iterations": "{ values = [10, 200] }"}))
    points = design_points(load_sweep(path))
    assert points["trade_max_iterations"].tolist() == [10, 200]
    assert pd.api.types.is_integer_dtype(points["trade_max_iterations"])


@pytest.mark.parametrize(("design", "table"), [
    ("lhs", "{ low = 10, high = 100 }"),
    ("grid", "{ low = 10, high = 100, levels = 4 }"),
])
def test_integer_parameters_take_whole_values_in_a_range(tmp_path, design, table):
    path = write(tmp_path / f"int-{design}.toml", spec_toml(
        {"trade.max_iterations": table, "relations.drift": "{ low = 0.1, high = 0.5"
         + (", levels = 2 }" if design == "grid" else " }")}, design=design, samples=6))
    spec = load_sweep(path)  # refused today: "expected a valid integer, found 10.0"
    column = design_points(spec)["trade_max_iterations"]
    assert pd.api.types.is_integer_dtype(column)
    assert column.between(10, 100).all()
    if design == "grid":
        assert column.tolist() == [10, 10, 40, 40, 70, 70, 100, 100]
    # ... and a run accepts them.
    assert run_one(tasks_of(spec)[0])["error"] is None


@pytest.mark.parametrize("common", [False, True])
def test_run_table_repeats_points_by_replicate_with_seeds_from_the_seed_sequence(
        tmp_path, common):
    spec = load_sweep(sampled_spec(tmp_path, "lhs", seed=3, samples=5, replicates=3,
                                   common_seeds=common))
    points = design_points(spec)
    runs = run_table(spec)
    assert list(runs.columns) == ["run_id", "point", "replicate", "seed", *spec.names]
    assert len(runs) == 5 * 3
    assert runs["run_id"].tolist() == list(range(15))
    assert (runs["run_id"] == runs["point"] * 3 + runs["replicate"]).all()
    assert runs["replicate"].tolist() == [0, 1, 2] * 5
    merged = runs.merge(points, on="point", suffixes=("", "_design"))
    for name in spec.names:
        assert (merged[name] == merged[f"{name}_design"]).all()
    # The documented source: SeedSequence(seed).spawn(2)[1].spawn(n), in order.
    children = np.random.SeedSequence(3).spawn(2)[1].spawn(3 if common else 15)
    states = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
    assert run_seeds(3, len(children)).tolist() == states
    seeds = runs["seed"].to_numpy()
    assert (seeds >= 0).all()
    if common:
        by_replicate = runs.groupby("replicate")["seed"]
        assert (by_replicate.nunique() == 1).all()
        assert by_replicate.first().tolist() == states
    else:
        assert len(set(seeds.tolist())) == 15
        assert seeds.tolist() == states
    other = run_table(load_sweep(sampled_spec(tmp_path, "lhs", seed=4, samples=5, replicates=3,
                                              common_seeds=common)))
    assert not set(other["seed"]) & set(runs["seed"])


# ---------------------------------------------------------------- one run


def test_run_one_reduces_the_series_of_the_same_model_run_by_hand():
    steps, seed = 8, 123
    params = {"relations_drift": 0.4, "growth_volatility": 0.05}
    series = ["world_gdp_usd", "export_share", "trade_iterations", "active_links", "links_formed"]
    metrics = tuple((name, reduction, 0, f"{name}_{reduction}") for name in series
                    for reduction in ("final", "mean", "peak", "min"))
    task = RunTask(run_id=7, point=3, replicate=1, seed=seed, params=params,
                   scenario=str(load("eurasia").path), steps=steps, metrics=metrics)
    row = run_one(task)
    assert row["error"] is None
    assert (row["run_id"], row["point"], row["replicate"], row["seed"]) == (7, 3, 1, seed)
    assert row["relations_drift"] == 0.4 and row["growth_volatility"] == 0.05
    assert row["seconds"] >= 0

    model = GeoModel(scenario="eurasia", rng=seed, **params)
    for _ in range(steps):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == steps + 1  # step 0 included
    distinct = 0
    for name in series:
        values = [float(v) for v in frame[name]]
        assert row[f"{name}_final"] == values[-1]
        assert row[f"{name}_mean"] == pytest.approx(sum(values) / len(values), rel=1e-12)
        assert row[f"{name}_peak"] == max(values)
        assert row[f"{name}_min"] == min(values)
        distinct += len({values[-1], max(values), min(values)}) == 3
    assert distinct >= 2  # series whose final, peak and min all differ


def test_reduce_on_a_known_series():
    values = np.array([2.0, 5.0, -1.0, 3.0])
    assert reduce(values, "final") == 3.0
    assert reduce(values, "mean") == 2.25
    assert reduce(values, "peak") == reduce(values, "max") == 5.0
    assert reduce(values, "min") == -1.0
    assert reduce(values, "change") == 1.0
    # From step 2 on: the value before a shock (step 0, 2.0) no longer counts.
    assert reduce(values, "min_after", 3) == 3.0
    assert reduce(values, "mean_after", 1) == pytest.approx(7.0 / 3.0)
    assert reduce(values, "max_after", 2) == 3.0


def test_run_one_returns_an_error_instead_of_raising():
    task = RunTask(run_id=0, point=0, replicate=0, seed=1,
                   params={"paradiplomacy_start_strength": 0.1},
                   scenario=str(load("eurasia").path), steps=2,
                   metrics=(("mean_relations", "final", 0, "mean_relations_final"),))
    row = run_one(task)
    assert isinstance(row["error"], str)
    assert "start_strength" in row["error"]
    assert "mean_relations_final" not in row
    assert row["paradiplomacy_start_strength"] == 0.1


# ---------------------------------------------------------------- executors


def small_spec(tmp_path: Path, **extra) -> Path:
    return write(tmp_path / "small.toml", spec_toml(
        {"relations.drift": "{ low = 0.1, high = 0.5 }",
         "growth.volatility": "{ low = 0.0, high = 0.1 }"},
        metrics=[("mean_relations", "final"), ("world_gdp_usd", "mean"),
                 ("active_links", "peak")],
        name="small", design="lhs", samples=8, replicates=2, seed=11, steps=5, **extra))


@pytest.mark.slow
def test_results_are_the_same_on_one_worker_two_workers_dask_and_in_process(tmp_path):
    spec = small_spec(tmp_path, chunk_runs=5)
    frames = {}
    for label, options in {"pool-1": ["--workers", 1], "pool-2": ["--workers", 2],
                           "dask-2": ["--dask-local", 2]}.items():
        out = tmp_path / label
        proc = geopol("sweep", spec, *options, "--out", out, "--quiet")
        assert proc.returncode == 0, proc.stderr
        assert summary_counts(proc.stdout) == {"total": 16, "ran": 16, "skipped": 0, "failed": 0}
        frames[label] = without_seconds(read_runs(out))
    inline_sweep(spec, tmp_path / "inline")
    frames["inline"] = without_seconds(read_runs(tmp_path / "inline"))

    reference = frames["pool-1"]
    assert reference["run_id"].tolist() == list(range(16))
    assert reference["error"].isna().all()
    assert reference["world_gdp_usd_mean"].nunique() > 8  # the seeds and parameters matter
    for label, frame in frames.items():
        pd.testing.assert_frame_equal(frame, reference, obj=label)
    # ... and they are the runs of the run table.
    runs = run_table(load_sweep(spec))
    pd.testing.assert_frame_equal(reference[list(runs.columns)], runs, check_dtype=False)


# ---------------------------------------------------------------- runs per task


@given(remaining=st.integers(0, 100_000), workers=st.integers(1, 256),
       run_seconds=st.none() | st.floats(0.0, 1e4))
def test_batch_size_is_about_a_second_of_runs_and_leaves_work_for_every_worker(
        remaining, workers, run_seconds):
    size = batch_size(remaining, workers, run_seconds)
    assert size >= 1
    if run_seconds is None:
        assert size == 1  # nothing is known of a run's length yet
        return
    assert size <= max(1, -(-remaining // (2 * workers)))
    assert size == 1 or size * run_seconds <= TASK_SECONDS


def test_batch_size_on_known_cases():
    assert batch_size(36, 2, 0.25) == 4  # a second of runs
    assert batch_size(1000, 2, 0.01) == 100
    assert batch_size(10, 2, 0.01) == 3  # the tail: shared between the workers' queues
    assert batch_size(3, 2, 0.01) == 1
    assert batch_size(500, 4, 2.0) == 1  # long runs go one by one


class Recording(Inline):
    """Inline, and keeps the run ids of every task it is given."""

    def __init__(self) -> None:
        self.tasks: list[list[int]] = []

    def submit(self, fn, /, *args, **kwargs):
        self.tasks.append([task.run_id for task in args[0]])
        return super().submit(fn, *args, **kwargs)


def test_short_runs_go_in_batches_that_shrink_to_single_runs_and_give_the_same_rows(
        tmp_path, monkeypatch):
    # How long a run takes depends on the machine's load; a task budget of a minute makes these
    # runs short on any machine, so that what is tested is the batching, not the clock
    # (batch_size's own tests cover the budget).
    monkeypatch.setattr(sweep_module, "TASK_SECONDS", 60.0)
    spec_path = write(tmp_path / "short.toml", spec_toml(
        {"relations.drift": "{ low = 0.1, high = 0.5 }"}, name="short", design="random",
        samples=20, replicates=2, seed=3, chunk_runs=7, steps=2))
    spec = load_sweep(spec_path)
    executor = Recording()
    result = run_sweep(spec, tmp_path / "out", executor, 1, "recording")
    sizes = [len(task) for task in executor.tasks]
    # Every run once, in run order; one run a task until one has finished, then batches of
    # runs, shrinking to single runs at the end.
    assert [run for task in executor.tasks for run in task] == list(range(40))
    assert sizes[:2] == [1, 1]
    assert max(sizes) > 1
    assert sizes[-1] == 1
    assert len(sizes) < 40
    assert result.ran == 40
    # Batching changes nothing in the rows: they are those of one run a task...
    rows = without_seconds(read_runs(tmp_path / "out"))
    one_by_one = pd.DataFrame([run_one(task) for task in tasks_of(spec)])
    assert rows["error"].isna().all() and one_by_one["error"].isna().all()
    columns = [c for c in rows.columns if c != "error"]
    pd.testing.assert_frame_equal(rows[columns], one_by_one[columns], check_dtype=False)
    # ... and chunks still hold `chunk_runs` runs each, whatever the batches.
    assert part_sizes(tmp_path / "out") == [7, 7, 7, 7, 7, 5]


@pytest.mark.slow
def test_a_local_dask_cluster_runs_quiet_and_leaves_dask_config_as_it_was():
    import dask
    import distributed  # noqa: F401 - its defaults are part of dask's config from here on

    before = dask.config.get("distributed.admin.tick.interval")
    with dask_pool(local_workers=1) as executor:
        seen = executor._client.run(
            lambda: {key: dask.config.get(key) for key in LOCAL_CLUSTER_CONFIG})
    assert list(seen.values()) == [LOCAL_CLUSTER_CONFIG]
    assert dask.config.get("distributed.admin.tick.interval") == before
    assert dask.config.get("distributed.comm.timeouts.connect")  # the defaults are all there


# ---------------------------------------------------------------- chunks


def chunk_spec(tmp_path: Path) -> Path:
    return write(tmp_path / "chunks.toml", spec_toml(
        {"relations.drift": "{ low = 0.1, high = 0.5 }"}, name="chunks", design="random",
        samples=6, replicates=2, seed=4, chunk_runs=5, steps=3))


def test_runs_are_streamed_in_chunks_and_listed_in_the_manifest(tmp_path):
    out = tmp_path / "out"
    proc = geopol("sweep", chunk_spec(tmp_path), "--workers", 1, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert part_sizes(out) == [5, 5, 2]
    runs = read_runs(out)
    assert runs["run_id"].tolist() == list(range(12))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 12
    assert manifest["completed"] == list(range(12))
    assert manifest["failed"] == []
    assert manifest["spec_hash"] == load_sweep(chunk_spec(tmp_path)).content_hash
    # The documented way to read them gives the same rows.
    by_pandas = pd.read_parquet(out / "runs").sort_values("run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(by_pandas, runs, check_dtype=False)


def test_chunks_hold_chunk_runs_runs_even_when_runs_finish_together(tmp_path):
    """`chunk_runs` finished runs per chunk, whatever the executor: here every submitted run is
    done by the time the loop looks (today the chunks hold 6 and 6)."""
    out = tmp_path / "out"
    inline_sweep(chunk_spec(tmp_path), out)
    assert part_sizes(out) == [5, 5, 2]
    assert read_runs(out)["run_id"].tolist() == list(range(12))


def test_ctrl_c_just_after_a_chunk_is_renamed_writes_no_run_twice(tmp_path, monkeypatch):
    """KeyboardInterrupt after a chunk's rename but before the loop forgets its rows: the
    finished runs are written once, and resuming leaves every run_id once."""
    spec = chunk_spec(tmp_path)
    out = tmp_path / "out"
    real = sweep_module.write_table
    calls = []

    def interrupted_after_first(table, path):
        real(table, path)
        calls.append(path.name)
        if len(calls) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "write_table", interrupted_after_first)
    with pytest.raises(KeyboardInterrupt):
        inline_sweep(spec, out)
    monkeypatch.setattr(sweep_module, "write_table", real)
    first = read_runs(out)
    assert first["run_id"].is_unique, first["run_id"].tolist()
    result = inline_sweep(spec, out)
    runs = read_runs(out)
    assert runs["run_id"].tolist() == list(range(12))
    assert result.skipped + result.ran == 12


# ---------------------------------------------------------------- resuming after kill -9


def long_spec(tmp_path: Path) -> Path:
    return write(tmp_path / "long.toml", spec_toml(
        {"relations.drift": "{ low = 0.1, high = 0.5, levels = 60 }"},
        metrics=[("mean_relations", "final"), ("world_gdp_usd", "peak")],
        name="long", replicates=2, seed=5, chunk_runs=8, steps=12))


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes_to_the_same_rows(tmp_path):
    spec = long_spec(tmp_path)
    out = tmp_path / "killed"
    command = [str(GEOPOL), "sweep", str(spec), "--workers", "1", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "runs").glob("part-*.parquet")):
            assert proc.poll() is None, "the sweep ended before it wrote a chunk"
            assert time.monotonic() < deadline, "no chunk within 60 s"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # What a reader takes as complete is whole: every chunk reads, the manifest parses.
    total = 120
    held = []
    for part in sorted((out / "runs").glob("part-*.parquet")):
        held += pq.read_table(part).column("run_id").to_pylist()
    assert 0 < len(held) < total, "the kill did not land mid-sweep"
    assert len(set(held)) == len(held)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["completed"]) <= set(held)
    assert completed_runs(out)["run_id"].tolist() == held

    # A half-written hidden chunk is neither read nor kept.
    good = min((out / "runs").glob("part-*.parquet")).read_bytes()
    planted = out / "runs" / ".part-00099.parquet.partial-123"
    planted.write_bytes(good[: len(good) // 2])
    assert sorted(read_runs(out)["run_id"]) == sorted(held)

    resumed = geopol(*command[1:], timeout=600)  # ~60 s alone; far more on a loaded machine
    assert resumed.returncode == 0, resumed.stderr
    assert summary_counts(resumed.stdout) == {"total": total, "ran": total - len(held),
                                              "skipped": len(held), "failed": 0}
    assert not planted.exists()
    assert [p.name for p in (out / "runs").iterdir() if p.name.startswith(".")] == []

    clean = tmp_path / "clean"
    proc = geopol("sweep", spec, "--workers", 2, "--out", clean, "--quiet")
    assert proc.returncode == 0, proc.stderr
    runs = read_runs(out)
    assert runs["run_id"].tolist() == list(range(total))
    pd.testing.assert_frame_equal(without_seconds(runs), without_seconds(read_runs(clean)))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["completed"] == list(range(total))
    assert manifest["failed"] == []


@pytest.mark.slow
def test_ctrl_c_exits_130_keeps_whole_chunks_and_the_rerun_finishes(tmp_path):
    spec = long_spec(tmp_path)
    out = tmp_path / "interrupted"
    command = [str(GEOPOL), "sweep", str(spec), "--workers", "2", "--out", str(out), "--quiet"]
    # As from a terminal: a shell without job control starts background commands with Ctrl-C
    # ignored, and an ignored SIGINT stays ignored in a child (a handled one is reset to the
    # default), so handle it here while the sweep starts.
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "runs").glob("part-*.parquet")):
            assert proc.poll() is None, "the sweep ended before it wrote a chunk"
            assert time.monotonic() < deadline, "no chunk within 60 s"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted:"), stderr
    held = [pq.read_table(p).column("run_id").to_pylist()
            for p in sorted((out / "runs").glob("part-*.parquet"))]
    held = [run for part in held for run in part]
    assert 0 < len(held) < 120 and len(set(held)) == len(held)

    again = geopol(*command[1:])
    assert again.returncode == 0, again.stderr
    assert summary_counts(again.stdout)["skipped"] == len(held)
    assert read_runs(out)["run_id"].tolist() == list(range(120))
    assert json.loads((out / "manifest.json").read_text())["completed"] == list(range(120))


# ---------------------------------------------------------------- failures


FAILING = {
    # start_strength 0.1 is below the default dissolve_below (0.15): the runs at 0.1 fail.
    "start_strength below dissolve_below": (
        {"paradiplomacy.start_strength": "{ values = [0.25, 0.1] }"},
        lambda row: row["paradiplomacy_start_strength"] == 0.1),
    # Each value is fine on its own; one combination breaks the check across keys.
    "a combination across keys": (
        {"paradiplomacy.start_strength": "{ values = [0.25, 0.18] }",
         "paradiplomacy.dissolve_below": "{ values = [0.1, 0.2] }"},
        lambda row: row["paradiplomacy_start_strength"] <= row["paradiplomacy_dissolve_below"]),
}


@pytest.mark.parametrize("case", list(FAILING))
def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path, case):
    parameters, fails = FAILING[case]
    spec = write(tmp_path / "fail.toml", spec_toml(parameters, name="fail", replicates=2,
                                                   steps=3, seed=2))
    out = tmp_path / "out"
    proc = geopol("sweep", spec, "--workers", 2, "--out", out, "--quiet")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "failed" in warnings[0], proc.stderr

    runs = read_runs(out)
    total = len(run_table(load_sweep(spec)))
    assert runs["run_id"].tolist() == list(range(total))
    expected_failed = [int(r["run_id"]) for _, r in runs.iterrows() if fails(r)]
    assert 0 < len(expected_failed) < total
    failed = runs[runs["error"].notna()]
    assert failed["run_id"].tolist() == expected_failed
    assert failed["error"].str.contains("start_strength").all()
    assert failed["mean_relations_final"].isna().all()
    ok = runs[runs["error"].isna()]
    assert ok["mean_relations_final"].notna().all()
    counts = summary_counts(proc.stdout)
    assert counts == {"total": total, "ran": total, "skipped": 0, "failed": len(expected_failed)}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["failed"] == expected_failed
    assert manifest["completed"] == ok["run_id"].tolist()

    again = geopol("sweep", spec, "--workers", 2, "--out", out, "--quiet")
    assert again.returncode == 1, again.stderr
    assert summary_counts(again.stdout) == {"total": total, "ran": 0, "skipped": total,
                                            "failed": len(expected_failed)}
    pd.testing.assert_frame_equal(read_runs(out), runs)


# ---------------------------------------------------------------- the output directory


def test_another_spec_on_the_same_out_is_refused(tmp_path):
    spec = chunk_spec(tmp_path)
    out = tmp_path / "out"
    inline_sweep(spec, out)
    before = {p.name: p.read_bytes() for p in (out / "runs").iterdir()}
    manifest = (out / "manifest.json").read_text()
    other = write(tmp_path / "other.toml", spec.read_text().replace("seed = 4", "seed = 5"))
    proc = geopol("sweep", other, "--workers", 1, "--out", out, "--quiet")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {out}"), proc.stderr
    assert "manifest.json" in lines[0]
    assert {p.name: p.read_bytes() for p in (out / "runs").iterdir()} == before
    assert (out / "manifest.json").read_text() == manifest


def test_a_directory_with_other_files_is_refused_as_out(tmp_path):
    out = tmp_path / "out"
    write(out / "notes.txt", "mine")
    with pytest.raises(InputError, match="a new or empty directory"):
        inline_sweep(chunk_spec(tmp_path), out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# ---------------------------------------------------------------- the report


def report_spec(tmp_path: Path, design: str, **extra) -> Path:
    levels = ", levels = 3" if design == "grid" else ""
    return write(tmp_path / f"{design}.toml", spec_toml(
        {"technology.q": f"{{ low = 0.2, high = 0.6{levels} }}",
         "soft_power.attraction_rate": f"{{ low = 0.5, high = 2.0{levels} }}"},
        metrics=[("mean_technology", "final"), ("mean_relations", "final")],
        name=design, design=design, steps=6, seed=2, **extra))


def links(page: Path) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page.read_text())


def check_page(directory: Path) -> list[str]:
    page = directory / "report" / "index.html"
    assert page.is_file()
    found = links(page)
    for link in found:
        assert (page.parent / link).is_file(), link
    images = [link for link in found if link.endswith(".png")]
    assert sorted(images) == sorted(p.name for p in (directory / "report").glob("*.png"))
    return images


def test_sobol_report_gives_indices_that_find_the_one_parameter_that_matters(tmp_path):
    out = tmp_path / "sobol"
    inline_sweep(report_spec(tmp_path, "sobol", samples=8, replicates=2, common_seeds=True), out)
    assert report(out).page == out / "report" / "index.html"
    indices = pd.read_csv(out / "report" / "sensitivity.csv")
    assert list(indices.columns) == ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf",
                                     "warning"]
    pairs = set(zip(indices["metric"], indices["parameter"], strict=True))
    assert pairs == {(m, p) for m in ("mean_technology_final", "mean_relations_final")
                     for p in ("technology_q", "soft_power_attraction_rate")}
    assert len(indices) == 4
    pd.testing.assert_frame_equal(pd.read_parquet(out / "report" / "sensitivity.parquet"),
                                  indices, check_dtype=False)
    tech = indices[indices["metric"] == "mean_technology_final"].set_index("parameter")
    assert abs(tech.loc["soft_power_attraction_rate", "ST"]) < 0.05
    assert abs(tech.loc["soft_power_attraction_rate", "S1"]) < 0.05
    assert tech.loc["technology_q", "ST"] > 0.5
    assert tech.loc["technology_q", "S1"] > 0.5
    images = check_page(out)
    assert set(images) == {"mean_technology_final.png", "mean_relations_final.png",
                           "mean_technology_final-sensitivity.png",
                           "mean_relations_final-sensitivity.png"}
    summary = pd.read_csv(out / "report" / "summary.csv")
    assert len(summary) == 8 * 4
    assert (summary["replicates"] == 2).all()


def test_morris_report_gives_mu_star_and_sigma(tmp_path):
    out = tmp_path / "morris"
    inline_sweep(report_spec(tmp_path, "morris", samples=4, replicates=1), out)
    report(out)
    indices = pd.read_csv(out / "report" / "sensitivity.csv")
    assert list(indices.columns) == ["metric", "parameter", "mu_star", "mu_star_conf", "sigma",
                                     "warning"]
    assert len(indices) == 4
    tech = indices[indices["metric"] == "mean_technology_final"].set_index("parameter")
    assert tech.loc["technology_q", "mu_star"] > 1e-4
    assert tech.loc["soft_power_attraction_rate", "mu_star"] < 1e-9
    assert (indices["sigma"] >= 0).all() and (indices["mu_star"] >= 0).all()
    check_page(out)


def test_grid_report_has_no_indices_and_per_point_medians_of_the_runs(tmp_path):
    out = tmp_path / "grid"
    spec = write(tmp_path / "grid.toml", spec_toml(
        {"technology.q": "{ low = 0.2, high = 0.6, levels = 3 }",
         "growth.volatility": "{ values = [0.0, 0.1] }"},
        metrics=[("world_gdp_usd", "final"), ("mean_relations", "mean")],
        name="grid", steps=4, replicates=3, seed=9))
    inline_sweep(spec, out)
    report(out)
    assert pd.read_parquet(out / "report" / "sensitivity.parquet").empty
    assert "S1" not in (out / "report" / "sensitivity.csv").read_text()
    summary = pd.read_parquet(out / "report" / "summary.parquet")
    runs = read_runs(out)
    grouped = runs.groupby("point")
    assert summary["point"].tolist() == list(range(6))
    assert summary["replicates"].tolist() == [3] * 6
    for metric in ("world_gdp_usd_final", "mean_relations_mean"):
        assert np.allclose(summary[f"{metric}_median"], grouped[metric].median(), rtol=1e-12)
        assert (summary[f"{metric}_p5"] <= summary[f"{metric}_median"]).all()
        assert (summary[f"{metric}_median"] <= summary[f"{metric}_p95"]).all()
    assert (summary["world_gdp_usd_final_p95"] > summary["world_gdp_usd_final_p5"]).any()
    points = design_points(load_sweep(spec))
    pd.testing.assert_frame_equal(summary[list(points.columns)], points, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_csv(out / "report" / "summary.csv"), summary,
                                  check_dtype=False)
    images = check_page(out)
    assert sorted(images) == ["mean_relations_mean.png", "world_gdp_usd_final.png"]
    assert "no sensitivity indices" in (out / "report" / "index.html").read_text()


def test_report_of_a_comparison_directory_and_of_a_directory_without_manifest(tmp_path):
    compared = tmp_path / "cmp"
    proc = geopol("compare", "eurasia-sanctions-2017", "--replicates", 2, "--steps", 3,
                  "--out", compared, "--quiet")
    assert proc.returncode == 0, proc.stderr
    proc = geopol("report", compared)
    assert proc.returncode == 0, proc.stderr
    page = compared / "report" / "index.html"
    assert page.is_file()
    found = links(page)
    assert any(link.endswith(".png") for link in found)
    for link in found:
        assert (page.parent / link).resolve().is_file(), link

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = geopol("report", empty)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {empty}: manifest.json"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(empty.iterdir()) == []


# ---------------------------------------------------------------- the example


def test_the_example_spec_loads_with_160_points_and_2_replicates():
    spec = load_sweep(EXAMPLE)
    assert spec.meta.design == "sobol"
    assert spec.names == ("events.EU extension.intensity", "relations_drift", "technology_q")
    assert spec.steps == 20
    assert spec.scenario.name == "eurasia-sanctions-2017"
    points = design_points(spec)
    assert len(points) == 32 * (3 + 2) == 160
    runs = run_table(spec)
    assert len(runs) == 320
    assert runs["run_id"].tolist() == list(range(320))
    assert (runs.groupby("replicate")["seed"].nunique() == 1).all()  # common_seeds = true
    assert [m.column for m in spec.file.metrics] == [
        "trade[EU,RUS]_final", "relations[RUS,USA]_mean_after_2017-09-01",
        "mean_technology_final", "world_gdp_usd_final"]
    assert spec.problem()["bounds"] == [[0.1, 1.0], [0.1, 0.5], [0.2, 0.6]]
