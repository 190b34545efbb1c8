"""Shared pieces of the input schemas: strict models, ids and channels, the physical ranges and
the calendar every input keeps to, reading TOML with bounded nesting, and how a pydantic
validation error reads as what was expected and what was found."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, ConfigDict, Field, ValidationError

from sim.errors import InputError, describe

Channel = Literal["economic", "cultural", "environmental", "emergency", "local_authority"]
CHANNELS: tuple[str, ...] = get_args(Channel)
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
ActorId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]

# ---------------------------------------------------------------- physical ranges


class Within:
    """A physical quantity's range, checked once pydantic has a finite number above 0: a value
    no real state, city or region comes near is an error (docs/model.md, "Actors")."""

    def __init__(self, low: float, high: float, unit: str, zero: bool = False) -> None:
        self.low, self.high, self.unit, self.zero = low, high, unit, zero

    def __call__(self, value: float) -> float:
        if not (self.low <= value <= self.high or (self.zero and value == 0.0)):
            either = "0 or " if self.zero else ""
            raise ValueError(f"{either}a number from {self.low:g} to {self.high:g} "
                             f"({self.unit}); found {describe(value)}")
        return value


def _physical(low: float, high: float, unit: str) -> Any:
    return Annotated[float, Field(gt=0.0, allow_inf_nan=False), AfterValidator(
        Within(low, high, unit))]


# Each range holds every value of the bundled data with room to spare, and keeps a run's
# arithmetic finite. People: from fewer than Vatican City's (about 800) to more than the UN's
# projected peak of the world's population (10.3 billion in the 2080s).
Population = _physical(100.0, 1.5e10, "people")
# Current US$: a state's GDP from a million dollars (Tuvalu, the smallest, has $62 million) to
# ten times the world's (about $105 trillion in 2023); a city's or region's from $10,000.
StateGdp = _physical(1e6, 1e15, "current US$")
LocalGdp = _physical(1e4, 1e15, "current US$")
# From a tenth of a square kilometre (Vatican City has 0.44) to all the land on Earth.
AreaKm2 = _physical(0.1, 1.5e8, "km²")
# No two places on Earth are farther apart than half its circumference.
DistanceKm = _physical(0.1, 20_040.0, "km")
# Followers of a foreign ministry: none (no presence), or from one to ten times the largest
# accounts of any kind (about 100 million).
Audience = Annotated[float, Field(ge=0.0, allow_inf_nan=False), AfterValidator(
    Within(1.0, 1e9, "followers", zero=True))]

# ---------------------------------------------------------------- the calendar
# Dates a scenario gives, and every date its run reaches at its steps, stay within these: the
# model is about present-day states, and 500 years at the largest growth trend (30% a year)
# still keep GDP a finite number.
FIRST_DATE = dt.date(1800, 1, 1)
LAST_DATE = dt.date(2300, 12, 31)
Year = Annotated[int, Field(ge=FIRST_DATE.year, le=LAST_DATE.year)]
CalendarDate = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
MAX_STEPS = 100_000


# Input models are strict: no unknown keys, no coercion of types, immutable. (Each module
# declares its own base on it, which lets linters see that its classes are pydantic models.)
# No input number may be infinite or NaN, whatever its bounds.
STRICT = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------- reading TOML

# Tables, arrays and dotted keys nest at most this deep (a scenario needs five). tomllib
# recurses per level (Python's stack gives out near 300) and takes time quadratic in a dotted
# key's length, so the text is scanned first, in one pass without recursion.
MAX_DEPTH = 32

_TOKEN = re.compile(r'''
    (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""(?:""?)?
              |'\'\'(?:[^']|'(?!''))*'\'\'(?:''?)?
              |"(?:[^"\\\n]|\\.)*"
              |'[^'\n]*')
  | (?P<comment>\#[^\n]*)
  | (?P<newline>\n)
  | (?P<punct>\[\[|\]\]|[\[\]{}=,.])
  | (?P<word>[^\s"'\#\[\]{}=,.]+)
  | (?P<space>[^\S\n]+)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)


def too_deep(text: str) -> tuple[int, str] | None:
    """The line and key path of the first value nested deeper than MAX_DEPTH in TOML text, or
    None. A key's depth counts its table header's parts, its own dotted parts and the arrays
    and inline tables around it: `[a.b]` then `c = [[1]]` puts the 1 at depth 5, a.b.c[0][0]."""
    line = 1
    mode = "line"  # line: a key or header may start; key, header, value, rest (of a line)
    table: list[Any] = []  # the path of the last table header
    parts: list[Any] = []  # the key being read
    value: list[Any] = []  # the path of the value being read
    stack: list[tuple[str, list[Any]]] = []  # open arrays and inline tables, with their paths
    counts: dict[tuple, int] = {}  # [[array of tables]] headers seen so far

    def base() -> list[Any]:
        return stack[-1][1] if stack else table

    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "newline" or (kind == "string" and "\n" in token):
            line += token.count("\n")
            if kind == "newline" and not stack:
                mode, parts = "line", []
            if kind == "newline" or mode != "value":
                continue
        if kind in ("comment", "space"):
            continue
        if mode in ("line", "key"):
            if mode == "line" and token in ("[", "[["):
                mode, parts, aot = "header", [], token == "[["
            elif kind in ("word", "string"):
                mode = "key"
                parts.append(token.strip("\"'") if kind == "string" else token)
            elif token == "=":
                value, mode = base() + parts, "value"
            elif token == "}" and stack:
                stack.pop()
                mode = "value"
            if len(base()) + len(parts) > MAX_DEPTH:
                return line, _path(base() + parts)
        elif mode == "header":
            if kind in ("word", "string"):
                parts.append(token.strip("\"'") if kind == "string" else token)
                if len(parts) > MAX_DEPTH:
                    return line, _path(parts)
            elif token in ("]", "]]"):
                table = parts
                if aot:
                    n = counts.get(tuple(parts), 0)
                    counts[tuple(parts)] = n + 1
                    table = [*parts, n]
                if len(table) > MAX_DEPTH:
                    return line, _path(table)
                mode, parts = "rest", []
        elif mode == "value":
            for char in token if token in ("[[", "]]") else (token,):
                if char == "[":
                    value = [*value, 0]
                    stack.append(("[", value))
                    if len(value) > MAX_DEPTH:
                        return line, _path(value)
                elif char == "{":
                    stack.append(("{", value))
                    mode, parts = "key", []
                elif char in ("]", "}") and stack:
                    stack.pop()
                elif char == "," and stack:
                    if stack[-1][0] == "{":
                        mode, parts = "key", []
                    else:
                        value = [*stack[-1][1][:-1], stack[-1][1][-1] + 1]
                        stack[-1] = ("[", value)
    return None


def _path(parts: list[Any]) -> str:
    key = ""
    for part in parts:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key if len(key) <= 80 else key[:77] + "..."


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; an unreadable, undecodable, invalid or too deeply nested file is
    an InputError naming it (and the line, or the key, where it can)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(path, "", "a readable file", exc.strerror or type(exc).__name__) from None
    except UnicodeDecodeError:
        raise InputError(path, "", "UTF-8 text", "undecodable bytes") from None
    return parse_toml(text, path)


def check_nesting(text: str, source: str | Path) -> None:
    """An InputError naming `source` if TOML text nests deeper than MAX_DEPTH (`too_deep`)."""
    deep = too_deep(text)
    if deep is not None:
        line, key = deep
        raise InputError(source, key, f"tables, arrays and dotted keys nested at most {MAX_DEPTH} "
                         "levels deep", f"deeper nesting at line {line}")


def parse_toml(text: str, source: str | Path) -> dict[str, Any]:
    """TOML text's tables, or an InputError naming `source` (see `read_toml`)."""
    check_nesting(text, source)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python < 3.14 gives the position only inside the message: "... (at line 3, column 5)".
        at = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"line {at[1]}, column {at[2]}" if at else "end of file"
        message = str(exc).split(" (at ")[0]
        raise InputError(source, where, "valid TOML", message.lower()) from None
    except RecursionError:  # nesting the scan did not see, should it miss a form of TOML
        raise InputError(source, "", f"tables nested at most {MAX_DEPTH} levels deep",
                         "deeper nesting") from None


# ---------------------------------------------------------------- validation errors


def _expected(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "extra_forbidden":
        return "no such key (unknown key)"
    if kind == "missing":
        return "this required key"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {
            "greater_than": ">",
            "greater_than_equal": "≥",
            "less_than": "<",
            "less_than_equal": "≤",
        }[kind]
        bound = next(iter(ctx.values()))
        if isinstance(error["input"], dt.date):
            return f"a date {sign} {bound}"
        return f"a number {sign} {f'{bound:.12g}' if isinstance(bound, float) else bound}"
    if kind == "finite_number":
        return "a finite number"
    if kind == "union_tag_invalid":
        return f"a type, one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "a type key"
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    message = error["msg"]
    for lead in ("Input should be ", "Value error, "):
        message = message.removeprefix(lead)
    return message.split("; found ")[0]  # a validator's own "...; found ..." message


def _found(error: dict) -> str:
    if error["type"] == "union_tag_invalid":
        return describe(error["ctx"]["tag"])
    if error["type"] == "union_tag_not_found":
        return "no type"
    if error["type"] == "missing":
        return "nothing"
    if error["type"] == "extra_forbidden":
        return f"key {error['loc'][-1]!r}"
    if error["type"] == "value_error" and "; found " in error["msg"]:
        return error["msg"].split("; found ", 1)[1]
    return describe(error["input"])


_MISSING = object()


def _input_loc(loc: tuple, data: Any) -> tuple:
    """`loc` as a path through the input `data`: without the labels pydantic puts in a path
    for the member of a union it tried (`constrained-int`, `date`, `Range`), which are no keys
    of the input. (A key the input lacks is kept where it ends the path: a missing key.)"""
    out: list[Any] = []
    here = data
    for k, part in enumerate(loc):
        if (isinstance(here, dict) and part in here) or (
                isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)):
            here = here[part]
        elif isinstance(here, dict) and k == len(loc) - 1:
            here = _MISSING
        else:
            continue
        out.append(part)
    return tuple(out)


def first_error(exc: ValidationError, data: Any = _MISSING) -> tuple[tuple, str, str]:
    """The location, what was expected and what was found, of a validation error's first item.

    Given the validated `data`, the location is a path through it, and where pydantic tried
    several members of a union at that place, the error is the one of the member whose type the
    value has (`a date ≤ 2300-12-31` rather than `a valid integer` for a date too late), or,
    if the value has none of their types, each member's expectation (`a valid integer or a
    valid date`)."""
    errors = exc.errors(include_url=False)

    def located(error: dict) -> tuple:
        loc = tuple(p for p in error["loc"]
                    if not (isinstance(p, str) and p.startswith("function-")))
        if data is not _MISSING:
            loc = _input_loc(loc, data)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, error["ctx"]["discriminator"].strip("'"))
        return loc

    error, loc = errors[0], located(errors[0])
    expected = _expected(error)
    if data is not _MISSING and error["type"].endswith("_type"):
        alike = [e for e in errors if located(e) == loc]
        took = [e for e in alike if not e["type"].endswith("_type")
                and e["type"] not in ("missing", "extra_forbidden")]
        if took:  # a member took the value's type, and refused the value
            error = took[0]
            expected = _expected(error)
        elif all(e["type"].endswith("_type") for e in alike):
            expected = " or ".join(dict.fromkeys(_expected(e) for e in alike))
    return loc, expected, _found(error)
