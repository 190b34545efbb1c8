"""The one error type that user input can raise, and how it reads on one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np


class InputError(Exception):
    """Bad input from a user: a file, a key path, what was expected and what was found.

    The CLI prints it as one line and exits with code 2.
    """

    def __init__(self, source: str | Path, key: str, expected: str, found: str) -> None:
        self.source = str(source)
        self.key = key
        self.expected = expected
        self.found = found
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: expected {self.expected}, found {self.found}"


def describe(value: object, limit: int = 60) -> str:
    """A short, quoted rendering of a found value for an error message."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.date):
        return value.isoformat()  # as TOML writes it
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class NonFiniteState(Exception):
    """A run's state went non-finite (NaN or ±inf): the first step, array and actor where it
    did. The CLI prints it as one line and exits with code 3; the output written so far stays
    in its staging folder, never renamed into place as if complete."""

    def __init__(self, step: int, array: str, actor: str) -> None:
        self.step = step
        self.array = array
        self.actor = actor
        super().__init__(step, array, actor)

    def __str__(self) -> str:
        return (f"the run went non-finite at step {self.step}: {self.array} of {self.actor} "
                "is not a finite number")
