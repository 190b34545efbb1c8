"""Data tables a scenario names in `[data]`: CSV rows read as entries of a scenario section.

Each column is a field of the section's model, and each cell is read as that field's type:
numbers, `true`/`false`, text, or a list of ids separated by `;`. An empty cell leaves the field
unset. A cell that cannot be read is an InputError naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.errors import InputError, describe

BOOLEANS = {"true": True, "false": False}


def read_rows(path: Path, model: type[BaseModel]) -> list[dict[str, Any]]:
    """The rows of a CSV file as dicts of typed values, for `model` to validate."""
    try:
        # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, "", "a readable UTF-8 CSV file", type(exc).__name__) from None
    if not records:
        raise InputError(path, "header", "a header row", "an empty file")
    header, records = records[0], records[1:]
    fields = model.model_fields
    unknown = [c for c in header if c not in fields]
    if unknown:
        raise InputError(path, "header", f"columns among {', '.join(fields)}",
                         f"column {unknown[0]!r}")
    readers = [(column, *_reader(fields[column].annotation)) for column in header]
    rows = []
    for n, record in enumerate(records):
        if len(record) != len(header):
            raise InputError(path, f"row {n + 2}", f"{len(header)} cells, as in the header",
                             f"{len(record)}")
        row = {}
        for (column, kind, read), cell in zip(readers, record, strict=True):
            if cell == "":
                continue
            try:
                row[column] = read(cell)
            except (ValueError, KeyError):
                raise InputError(path, f"row {n + 2}, column {column}", kind,
                                 describe(cell)) from None
        rows.append(row)
    return rows


def read_events(path: Path) -> list[dict[str, Any]]:
    """The `[[events]]` of a TOML file (nothing else may be in it)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "", "a readable UTF-8 file", type(exc).__name__) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, "", "valid TOML", str(exc).lower()) from None
    other = [key for key in data if key != "events"]
    if other:
        raise InputError(path, other[0], "only [[events]] in an events file", f"key {other[0]!r}")
    events = data.get("events", [])
    if not isinstance(events, list):
        raise InputError(path, "events", "an array of tables [[events]]", describe(events))
    return events


def _reader(annotation: Any) -> tuple[str, typing.Callable[[str], Any]]:
    """What a cell of a field with this annotation must hold, and how to read it."""
    base = _plain(annotation)
    if base is bool:
        return "true or false", lambda cell: BOOLEANS[cell.strip().lower()]
    if base is int:
        return "a whole number", lambda cell: int(cell)
    if base is float:
        return "a finite number", _finite
    if base is list:
        return "ids separated by ;", lambda cell: [p.strip() for p in cell.split(";") if p.strip()]
    return "text", str


def _finite(cell: str) -> float:
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def _plain(annotation: Any) -> Any:
    """The underlying type of `Annotated[...]`, `X | None` and `list[...]` annotations."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is list:
            return list
        else:
            return annotation
