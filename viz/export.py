"""Downloads: the current run's tables, as Parquet or CSV, zipped with a manifest; with the
baseline's tables under baseline/ once there is one, and what the user did as a scenario file
`geopol run` replays (`your_events.toml`)."""

from __future__ import annotations

import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

from sim import GeoModel
from sim.output import manifest_for, run_tables

FORMATS = ("parquet", "csv")


def run_archive(model: GeoModel, fmt: str) -> bytes:
    """A zip of the run's tables as `geopol run` writes them, plus a manifest that lists what
    the user did in the app."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in run_tables(model).items():
            archive.writestr(f"{name}.{fmt}", _encode(table, fmt))
        manifest = manifest_for(model, getattr(model, "seed", None), model.steps, 0.0)
        manifest["app_actions"] = [{"step": step, "action": text}
                                   for step, text in getattr(model, "actions", ())]
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, default=str))
        baseline = getattr(model, "baseline", None)
        if baseline is not None:  # the dashed run, for the same comparison outside the app
            for name, table in run_tables(baseline).items():
                archive.writestr(f"baseline/{name}.{fmt}", _encode(table, fmt))
        if getattr(model, "actions", None):
            archive.writestr("your_events.toml", model.actions_toml())
    return buffer.getvalue()


def _encode(table: pa.Table, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, buffer)
    else:
        table.to_pandas().to_csv(buffer, index=False)
    return buffer.getvalue()


def stem(model: GeoModel) -> str:
    """A file name stem naming the scenario, seed and step."""
    return f"{model.setup.name}-seed{getattr(model, 'seed', 'x')}-step{model.steps}"
