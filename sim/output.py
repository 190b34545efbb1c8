"""Run directories: Parquet tables and a manifest, written so that a killed run leaves nothing
that looks complete.

Everything is written into a hidden sibling directory `.NAME.partial-PID` first; the manifest
goes in last, and only then is the directory renamed to its final name. A directory without
`manifest.json` is never a finished run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError

if TYPE_CHECKING:
    from sim.model import GeoModel

PACKAGES = ("geopol", "mesa", "numpy", "numba", "pandas", "pyarrow", "pydantic")
TABLES = ("model", "actors", "actor_steps", "state_steps", "trade", "relations", "links",
          "decisions")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def stamped_dir(stem: str, root: Path = Path("runs")) -> Path:
    """A new directory name under `root`: the stem and the time, numbered if taken."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / f"{stem}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = root / f"{stem}-{stamp}-{n}"
    return path


def default_run_dir(scenario: str, seed: int, root: Path = Path("runs")) -> Path:
    return stamped_dir(f"{scenario}-seed{seed}", root)


def check_writable(out: Path, overwrite: bool) -> None:
    """Fail before a run starts if its directory could not be written at the end."""
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "a directory path", "an existing file")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError("--out", str(out), "a new or empty directory (or --overwrite)",
                         "a directory with files in it")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".geopol-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError("--out", str(out), "a directory that can be written",
                         exc.strerror or type(exc).__name__) from None


def write_table(table: pa.Table, path: Path) -> None:
    """Write one Parquet file under a temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def check_file_writable(path: Path, option: str) -> None:
    """Fail before long work if a file could not be written at the end."""
    if path.exists() and path.is_dir():
        raise InputError(option, str(path), "a file path", "a directory")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise InputError(option, str(path), "a file in an existing directory",
                         f"no directory {parent.name!r}")
    try:
        probe = parent / f".geopol-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(option, str(path), "a file that can be written",
                         exc.strerror or type(exc).__name__) from None


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV under a temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def write_json(data: dict[str, Any], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def model_table(model: GeoModel) -> pa.Table:
    frame = model.datacollector.get_model_vars_dataframe()
    frame.insert(0, "step", model.recorder.steps)
    return pa.Table.from_pandas(frame, preserve_index=False)


def run_tables(model: GeoModel) -> dict[str, pa.Table]:
    recorder = model.recorder
    return {
        "model": model_table(model),
        "actors": recorder.actors_table(),
        "actor_steps": recorder.actor_steps_table(),
        "state_steps": recorder.state_steps_table(),
        "trade": recorder.trade_table(),
        "relations": recorder.relations_table(),
        "links": recorder.links_table(),
        "decisions": decisions_table(model),
    }


def decisions_table(model: GeoModel) -> pa.Table:
    """The states' decisions that changed something, in the order they were taken."""
    rows = model.decisions
    return pa.table({
        "step": pa.array([d.step for d in rows], pa.int64()),
        "date": pa.array([model.date_of(d.step + 1).isoformat() for d in rows], pa.string()),
        "state": pa.array([d.state for d in rows], pa.string()),
        "action": pa.array([d.action for d in rows], pa.string()),
        "other": pa.array([d.other for d in rows], pa.string()),
        "sanction": pa.array([d.sanction for d in rows], pa.string()),
        "utility": pa.array([d.utility for d in rows], pa.float64()),
        "reason": pa.array([d.reason for d in rows], pa.string()),
    })


@contextmanager
def staged_dir(out: Path, overwrite: bool = False) -> Iterator[Path]:
    """A hidden staging directory to write into; on success it is renamed to `out` (replacing
    an old one only with `overwrite`), on failure removed. Write the manifest last."""
    out = Path(out)
    check_writable(out, overwrite)
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        retired = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, retired)
        os.replace(staging, out)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, out)


def write_run(
    model: GeoModel, out: Path, manifest: dict[str, Any], overwrite: bool = False
) -> Path:
    """Write a finished run's tables and manifest to `out`, atomically."""
    with staged_dir(out, overwrite) as staging:
        files = {}
        for name, table in run_tables(model).items():
            write_table(table, staging / f"{name}.parquet")
            files[f"{name}.parquet"] = {"rows": table.num_rows, "columns": table.column_names}
        write_json({**manifest, "files": files}, staging / "manifest.json")
    return Path(out)


def manifest_for(model: GeoModel, seed: int, steps: int, wall_seconds: float) -> dict[str, Any]:
    setup = model.setup
    states = model.world.actors.ids[: model.world.n_states].tolist()
    return {
        "scenario": setup.name,
        "scenario_file": str(setup.path) if setup.path else None,
        "scenario_hash": setup.content_hash,
        "seed": seed,
        "steps": steps,
        "start_date": model.start_date.isoformat(),
        "step_months": model.step_months,
        "backend": model.backend,
        "parameters": model.params.flat(),
        "calibrated": {"export_share_at_start": model.start_export_share,
                       "trade_home_bias": dict(zip(states, model.home_bias.tolist(),
                                                   strict=True))},
        "diagnostics": model.diagnostics,
        "actors": {"states": len(model.states), "cities": len(model.cities),
                   "regions": len(model.regions), "links": len(model.world.links)},
        "versions": versions(),
        "wall_seconds": round(wall_seconds, 3),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
