"""Run directories: Parquet tables and a manifest, written so that a killed run leaves nothing
that looks complete.

Everything is written into a hidden sibling directory `.NAME.partial-PID` first; the manifest
goes in last, and only then is the directory renamed to its final name. A directory without
`manifest.json` is never a finished run. A run stopped on non-finite state keeps what it
recorded in its `.partial` directory, with a manifest saying where it stopped; it is never
renamed into place. What killed writers leave behind is removed by the next writer into the same
directory, but a stopped run's tables are kept for a look.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import platform
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import events
from sim.errors import InputError, NonFiniteState

if TYPE_CHECKING:
    from sim.model import GeoModel

# What a writer leaves next to its target until it renames it into place: `.NAME.partial-PID`,
# or `.NAME.old-PID` for a directory it is replacing.
LEFTOVER = re.compile(r"^\..+\.(?:partial|old)-(\d+)$")
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
    while os.path.lexists(path):  # False, not an error, for a name too long: checked later
        n += 1
        path = root / f"{stem}-{stamp}-{n}"
    return path


def default_run_dir(scenario: str, seed: int, root: Path = Path("runs")) -> Path:
    return stamped_dir(f"{scenario}-seed{seed}", root)


def staging_dir(out: Path) -> Path:
    """The hidden sibling a directory is written into before it is renamed to `out`."""
    return out.with_name(f".{out.name}.partial-{os.getpid()}")


def check_writable(out: Path, overwrite: bool) -> None:
    """Fail before a run starts if its directory could not be written at the end: an existing
    file or a full directory in the way, or a place that cannot be written."""
    # The staging name is the longest written next to `out`: tried first, as a name too long
    # for the file system makes even asking whether `out` exists an error.
    check_creatable(staging_dir(Path(os.path.abspath(out))), "--out", shown=out)
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "a directory path", "an existing file")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError("--out", str(out), "a new or empty directory (or --overwrite)",
                         "a directory with files in it")


def check_creatable(path: Path, option: str, shown: Path | None = None) -> None:
    """Fail now, not after the work, if directory `path` could not be created: a name longer
    than the file system allows, a read-only or unwritable place, a file in the way. It is
    created, with the directories above it that are missing, and removed again."""
    path = Path(os.path.abspath(path))
    missing = list(itertools.takewhile(lambda p: not os.path.lexists(p), [path, *path.parents]))
    created = []
    try:
        for directory in reversed(missing):
            directory.mkdir()
            created.append(directory)
    except OSError as exc:
        raise InputError(option, str(shown or path), "a directory that can be written",
                         exc.strerror or type(exc).__name__) from None
    finally:
        for directory in reversed(created):
            directory.rmdir()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def tidy(parent: Path) -> list[Path]:
    """Remove what killed writers left in `parent`: hidden `.NAME.partial-PID` and
    `.NAME.old-PID` entries of processes that are gone. One that holds a manifest (a run stopped
    on non-finite state, or a run a kill caught while replacing it) is kept. Returns those kept."""
    kept = []
    if not parent.is_dir():
        return kept
    for path in sorted(parent.iterdir()):
        match = LEFTOVER.match(path.name)
        if match is None or _running(int(match[1])):
            continue
        if (path / "manifest.json").is_file():
            kept.append(path)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return kept


def read_manifest(path: Path) -> dict[str, Any]:
    """A directory's `manifest.json`; one that is not a JSON object (truncated, edited, not
    geopol's) is an InputError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, "", "the JSON object geopol wrote",
                         f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "", "a readable UTF-8 file",
                         getattr(exc, "strerror", None) or type(exc).__name__) from None
    if not isinstance(data, dict):
        raise InputError(path, "", "the JSON object geopol wrote", f"a JSON {type(data).__name__}")
    return data


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet table geopol wrote; a missing or damaged one (truncated, say) is an InputError."""
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise InputError(path, "", "a Parquet table geopol wrote",
                         getattr(exc, "strerror", None) or str(exc)) from None


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


def table_makers(model: GeoModel) -> dict[str, Callable[[], pa.Table]]:
    """How to make each table of a run directory from the model."""
    recorder = model.recorder
    return {
        "model": lambda: model_table(model),
        "actors": recorder.actors_table,
        "actor_steps": recorder.actor_steps_table,
        "state_steps": recorder.state_steps_table,
        "trade": recorder.trade_table,
        "relations": recorder.relations_table,
        "links": recorder.links_table,
        "decisions": lambda: decisions_table(model),
    }


def run_tables(model: GeoModel) -> dict[str, pa.Table]:
    return {name: make() for name, make in table_makers(model).items()}


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
    tidy(out.resolve().parent)
    staging = staging_dir(out)
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


def keep_stopped_run(
    model: GeoModel, out: Path, manifest: dict[str, Any], stop: NonFiniteState
) -> Path:
    """Write what a run stopped on non-finite state recorded into its staging directory, with a
    manifest saying where it stopped, and leave it there: never renamed to `out` as if complete.
    A table that cannot be made (its series stop at different steps) is listed, not written."""
    staging = staging_dir(Path(out))
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files, unwritten = {}, {}
    for name, make in table_makers(model).items():
        try:
            table = make()
        except Exception as exc:  # noqa: BLE001 - the stop's diagnostic must still be written
            unwritten[f"{name}.parquet"] = f"{type(exc).__name__}: {exc}"
            continue
        write_table(table, staging / f"{name}.parquet")
        files[f"{name}.parquet"] = {"rows": table.num_rows, "columns": table.column_names}
    stopped = {"step": stop.step, "array": stop.array, "actor": stop.actor, "error": str(stop)}
    write_json({**manifest, "complete": False, "stopped": stopped, "files": files,
                "unwritten": unwritten}, staging / "manifest.json")
    return staging


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
        # Groups (EU, NATO, ...) named by events, expanded to their members at each date.
        "groups": events.expanded_groups(model.timeline),
        "actors": {"states": len(model.states), "cities": len(model.cities),
                   "regions": len(model.regions), "links": len(model.world.links)},
        # actor_steps holds the regions' rows every this many steps (and at the last).
        "regions_recorded_every": model.recorder.region_every,
        "versions": versions(),
        "wall_seconds": round(wall_seconds, 3),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
