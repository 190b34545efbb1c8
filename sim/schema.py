"""Shared pieces of the input schemas: strict models, ids and channels, and how a pydantic
validation error reads as what was expected and what was found."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import ConfigDict, Field, ValidationError

from sim.errors import describe

Channel = Literal["economic", "cultural", "environmental", "emergency", "local_authority"]
CHANNELS: tuple[str, ...] = get_args(Channel)
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Positive = Annotated[float, Field(gt=0.0)]
ActorId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


# Input models are strict: no unknown keys, no coercion of types, immutable. (Each module
# declares its own base on it, which lets linters see that its classes are pydantic models.)
STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


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
        return f"a number {sign} {bound}"
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


def first_error(exc: ValidationError) -> tuple[tuple, str, str]:
    """The location, what was expected and what was found, of a validation error's first item."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, error["ctx"]["discriminator"].strip("'"))
    return loc, _expected(error), _found(error)


