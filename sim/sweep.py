"""Running a sweep: every run of a spec on a process pool or a Dask cluster, streamed to a
Parquet dataset in chunks, resumable after any interruption (docs/sweeps.md).

A sweep directory holds `runs/part-NNNNN.parquet` (one row per finished run, failed runs with
their error) and `manifest.json` (the spec, its hash, versions, the ids of completed and failed
runs). A chunk is written under a hidden name and renamed, and the manifest after it, so a killed
sweep leaves only whole chunks; running it again runs what no chunk holds.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim import sweep_events
from sim.errors import InputError, describe
from sim.model import NUMERIC_SERIES
from sim.output import (
    check_creatable,
    read_manifest,
    read_parquet,
    versions,
    write_json,
    write_table,
)
from sim.selectors import after_step, parse, reduce
from sim.sweep_events import is_event_setting
from sim.sweep_spec import Choices, SweepSpec, run_table

PART = "part-{:05d}.parquet"
TASK_SECONDS = 1.0
# What a cluster started for a sweep does not need, and what otherwise costs about 8% of two
# cores (bench/RESULTS.md): the workers' statistical profiler samples every 10 ms, every server
# checks its event loop every 20 ms, and memory is polled every 100 ms.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run: plain values, cheap to send."""

    run_id: int
    point: int
    replicate: int
    seed: int
    params: dict
    scenario: str  # path of the scenario file
    steps: int
    metrics: tuple[tuple[str, str, int, str], ...]  # (selector, reduction, first step, column)
    events: tuple[tuple[str, Any], ...] = ()  # event settings: ("events.NAME.FIELD", value)
    design: dict | None = None  # the run's design values, as its row keeps them (None: params)


@lru_cache(maxsize=8)
def _scenario(path: str):
    from sim.scenario import load

    return load(path)


def run_one(task: RunTask) -> dict:
    """Run one model and reduce its series to the metrics; an error is returned, not raised,
    so that one bad run does not stop a sweep."""
    started = time.perf_counter()
    row = {"run_id": task.run_id, "point": task.point, "replicate": task.replicate,
           "seed": task.seed, **(task.params if task.design is None else task.design)}
    try:
        from sim.model import GeoModel

        setup = sweep_events.apply(_scenario(task.scenario), dict(task.events))
        model = GeoModel(scenario=setup, rng=task.seed, **task.params)
        read = [parse(name, NUMERIC_SERIES).bind(model) for name, *_ in task.metrics]
        values = np.empty((task.steps + 1, len(read)))
        values[0] = [f() for f in read]
        for t in range(1, task.steps + 1):
            model.step()
            values[t] = [f() for f in read]
        for k, (_, reduction, first, name) in enumerate(task.metrics):
            row[name] = reduce(values[:, k], reduction, first)
        row["error"] = None
    except Exception as exc:  # noqa: BLE001 - recorded with the run, the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        row["error"] = f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
    row["seconds"] = time.perf_counter() - started
    return row


def metric_tasks(spec: SweepSpec, steps: int | None = None) -> tuple[tuple[str, str, int, str], ...]:
    """A spec's metrics as `RunTask` takes them: (selector, reduction, first step, column)."""
    meta = spec.scenario.spec.scenario
    steps = steps or spec.steps
    return tuple((m.name, m.reduce,
                  after_step(m.after, m.reduce, meta.start, meta.step_months, steps), m.column)
                 for m in spec.file.metrics)


def run_batch(tasks: list[RunTask]) -> list[dict]:
    """Several runs as one task, one after the other (see `batch_size`)."""
    return [run_one(task) for task in tasks]


def batch_size(remaining: int, workers: int, run_seconds: float | None) -> int:
    """Runs per task: about `TASK_SECONDS` of work, so that a task's fixed cost (about 10 ms of
    CPU on a Dask cluster, docs/sweeps.md) stays near 1%, but never more than
    remaining / (2·workers), so that tasks shrink to single runs towards the end and no worker
    waits long for the last one (guided self-scheduling). Single runs until one has finished."""
    if run_seconds is None or remaining <= 0:
        return 1
    by_time = int(TASK_SECONDS / max(run_seconds, 1e-3))
    return max(1, min(by_time, -(-remaining // (2 * workers))))


# ---------------------------------------------------------------- executors


@contextmanager
def local_pool(workers: int) -> Iterator[Executor]:
    """A process pool over fresh interpreters (forkserver where there is one, else spawn: numba's
    threading layer is not fork-safe), each worker with one numba thread so that processes do
    not fight over cores; the compiled kernels come from numba's on-disk cache."""
    os.environ["NUMBA_NUM_THREADS"] = "1"  # read by the workers' numba at import
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                             initializer=_start_worker) as pool:
        yield pool


def _start_worker() -> None:
    # Ctrl-C reaches the whole process group; the parent saves the finished runs and shuts the
    # pool down, so a worker must not die mid-task printing its own KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A run that goes non-finite is recorded with its error; numpy's warnings on the way would
    # only clutter the terminal.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"sim\.")
    # A parent killed outright (SIGKILL, the OOM killer) shuts nothing down: without a watch of
    # their own, the workers would run on for ever, each holding a core.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True,
                         name="exit-with-parent").start()


def _exit_with(parent_sentinel: int) -> None:
    """Wait for the sweep process to end, then end this worker at once."""
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


@contextmanager
def dask_pool(scheduler: str | None = None, local_workers: int | None = None
              ) -> Iterator[Executor]:
    """A `concurrent.futures` executor on a Dask cluster: the scheduler at `scheduler`, or a
    LocalCluster of `local_workers` single-threaded processes with `LOCAL_CLUSTER_CONFIG`."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("geopol sweep", "--scheduler/--dask-local",
                         "Dask distributed installed (pip install .[dask])",
                         "no module 'distributed'") from None
    os.environ["NUMBA_NUM_THREADS"] = "1"
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except ValueError:  # not an address distributed can read, e.g. no port
            raise InputError("geopol sweep", "--scheduler",
                             "a Dask scheduler address such as tcp://host:8786",
                             describe(scheduler)) from None
        except (OSError, TimeoutError) as exc:
            raise InputError("geopol sweep", "--scheduler", "a reachable Dask scheduler",
                             f"{describe(scheduler)} ({type(exc).__name__})") from None
        with client:
            yield client.get_executor()
        return
    # `distributed` is imported before the config is set: set first, its defaults would be
    # dropped when the setting is undone.
    with dask.config.set(LOCAL_CLUSTER_CONFIG), \
            LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        yield client.get_executor()


# ---------------------------------------------------------------- the sweep directory


def completed_runs(out: Path) -> pd.DataFrame:
    """run_id and error of every run the sweep directory's chunks hold."""
    parts = sorted((out / "runs").glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame({"run_id": pd.Series(dtype=int), "error": pd.Series(dtype=object)})
    return pd.concat([read_parquet(p, columns=["run_id", "error"]) for p in parts],
                     ignore_index=True)


def read_runs(out: Path) -> pd.DataFrame:
    """Every finished run of a sweep directory, in run order."""
    runs = read_parquet(Path(out) / "runs")  # hidden, half-written files are skipped
    return runs.sort_values("run_id").reset_index(drop=True)


def check_sweep_dir(spec: SweepSpec, out: Path) -> None:
    """Fail before any run if `out` is neither a new directory that can be written nor a sweep
    of `spec` to resume; leaves nothing behind."""
    # os.path's tests, unlike pathlib's, answer False for a name too long for the file system:
    # the check below then says so.
    if os.path.lexists(out) and not os.path.isdir(out):
        raise InputError("--out", str(out), "a directory path", "an existing file")
    manifest = out / "manifest.json"
    if os.path.isfile(manifest):
        known = read_manifest(manifest).get("spec_hash")
        if known != spec.content_hash:
            raise InputError(out, "manifest.json", f"a sweep of this spec ({spec.path.name}, "
                             f"hash {spec.content_hash[:12]}) to resume, or a new --out",
                             f"a sweep of another spec (hash {str(known)[:12]})")
    elif os.path.isdir(out) and any(out.iterdir()):
        raise InputError("--out", str(out), "a new or empty directory, or a sweep to resume",
                         "a directory with other files in it")
    # The deepest name a sweep writes: a chunk's hidden name under runs/.
    check_creatable(out / "runs" / f".{PART.format(0)}.partial-{os.getpid()}", "--out",
                    shown=out)


def prepare(spec: SweepSpec, out: Path) -> None:
    """Make `out` a sweep directory for `spec`, or check that it is one already."""
    check_sweep_dir(spec, out)
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("--out", str(out), "a directory that can be written",
                         exc.strerror or type(exc).__name__) from None
    for stale in (out / "runs").glob(".part-*"):  # left by a sweep that was killed mid-write
        stale.unlink()


@dataclass
class SweepResult:
    out: Path
    total: int
    ran: int
    skipped: int
    failed: int
    seconds: float


def run_sweep(
    spec: SweepSpec,
    out: Path,
    executor: Executor,
    workers: int,
    executor_name: str,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run what the directory does not hold yet, `2·workers` tasks of `batch_size` runs in
    flight at a time, writing a chunk every `chunk_runs` finished runs (and whatever is left at
    the end, or on Ctrl-C)."""
    out = Path(out)
    prepare(spec, out)
    runs = run_table(spec)
    done = completed_runs(out)
    todo = runs[~runs["run_id"].isin(done["run_id"])]
    metrics = metric_tasks(spec)
    state = {"ok": set(done.loc[done["error"].isna(), "run_id"].tolist()),
             "failed": set(done.loc[done["error"].notna(), "run_id"].tolist())}
    skipped = len(runs) - len(todo)
    started = time.perf_counter()
    _write_manifest(spec, out, len(runs), state, executor_name, workers)

    records = todo.to_dict("records")
    buffer: list[dict] = []
    in_flight = set()
    run_seconds: list[float] = []
    submitted = ran = failed = 0
    try:
        while True:
            while len(in_flight) < 2 * workers and submitted < len(records):
                median = float(np.median(run_seconds[-20:])) if run_seconds else None
                size = batch_size(len(records) - submitted, workers, median)
                batch = [run_task(spec, r, metrics) for r in records[submitted:submitted + size]]
                in_flight.add(executor.submit(run_batch, batch))
                submitted += size
            if not in_flight:
                break
            finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                for row in future.result():
                    buffer.append(row)
                    run_seconds.append(row["seconds"])
                    ran += 1
                    failed += row["error"] is not None
                    if progress is not None:
                        progress(skipped + ran, failed + len(state["failed"]))
                    if len(buffer) >= spec.meta.chunk_runs:
                        _flush(buffer, spec, out, state, len(runs), executor_name, workers)
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        _flush(buffer, spec, out, state, len(runs), executor_name, workers)
        raise
    _flush(buffer, spec, out, state, len(runs), executor_name, workers)
    return SweepResult(out=out, total=len(runs), ran=ran, skipped=skipped,
                       failed=len(state["failed"]), seconds=time.perf_counter() - started)


def run_task(spec: SweepSpec, record: dict, metrics: tuple | None = None,
             steps: int | None = None) -> RunTask:
    """The task of one run: a row of `run_table`, its parameters split into the model's and
    the events' settings."""
    return RunTask(
        run_id=int(record["run_id"]), point=int(record["point"]),
        replicate=int(record["replicate"]), seed=int(record["seed"]),
        params={n: _plain(record[n]) for n in spec.names if not is_event_setting(n)},
        scenario=str(spec.scenario.path), steps=steps or spec.steps,
        metrics=metrics or metric_tasks(spec, steps),
        events=event_settings(spec, record),
        design={n: _plain(record[n]) for n in spec.names},
    )


def event_settings(spec: SweepSpec, record: dict) -> tuple[tuple[str, Any], ...]:
    """A run's event settings as the events take them: a choice for its index, a date for
    its ISO text."""
    out = []
    for name in spec.names:
        if is_event_setting(name):
            given, value = spec.given(name), _plain(record[name])
            out.append((name, given.choices[value] if isinstance(given, Choices)
                        else sweep_events.as_value(value)))
    return tuple(out)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _flush(buffer: list[dict], spec: SweepSpec, out: Path, state: dict, total: int,
           executor_name: str, workers: int) -> None:
    """Write the buffered runs as the next chunk (hidden name, then rename), then the manifest.

    The buffer is emptied before the write: if Ctrl-C lands during it, its runs are either in
    the renamed chunk or nowhere (and run again on resume), never written twice."""
    if not buffer:
        return
    rows = list(buffer)
    buffer.clear()
    frame = pd.DataFrame(rows).sort_values("run_id")
    columns = ["run_id", "point", "replicate", "seed", *spec.names,
               *(m.column for m in spec.file.metrics), "error", "seconds"]
    frame = frame.reindex(columns=columns)
    table = pa.Table.from_pandas(frame.drop(columns="error"), preserve_index=False)
    errors = pa.array([e if isinstance(e, str) else None for e in frame["error"]], pa.string())
    table = table.add_column(columns.index("error"), "error", errors)  # one type in every chunk
    existing = sorted((out / "runs").glob("part-*.parquet"))
    number = int(existing[-1].stem.split("-")[1]) + 1 if existing else 0
    write_table(table, out / "runs" / PART.format(number))
    for row in rows:
        (state["failed"] if row["error"] is not None else state["ok"]).add(row["run_id"])
    _write_manifest(spec, out, total, state, executor_name, workers)


def _write_manifest(spec: SweepSpec, out: Path, total: int, state: dict, executor_name: str,
                    workers: int) -> None:
    path = out / "manifest.json"
    write_json({
        "sweep": spec.meta.name,
        "spec": spec.file.model_dump(mode="json"),
        "spec_file": str(spec.path),
        "spec_hash": spec.content_hash,
        "scenario": spec.scenario.name,
        "scenario_hash": spec.scenario.content_hash,
        "steps": spec.steps,
        "runs": total,
        "completed": sorted(int(r) for r in state["ok"]),
        "failed": sorted(int(r) for r in state["failed"]),
        "seeds": "numpy SeedSequence(seed).spawn(2)[1].spawn(runs), in run_id order",
        "executor": executor_name,
        "workers": workers,
        "versions": versions(),
        "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }, path)
