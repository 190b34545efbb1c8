"""The one error type that user input can raise, and how it reads on one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

LINE = 300  # the most characters an error line may have, `error: ` included
# Room for the four parts of an InputError once "error: " and the joining words are added.
PARTS = LINE - len("error: : : expected , found ")
# Control characters and line breaks, written as escapes: an error stays on one line and cannot
# move the terminal's cursor.
ESCAPES = {code: chr(code).encode("unicode_escape").decode("ascii")
           for code in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}


def escape(text: str) -> str:
    """`text` with its control characters escaped: a newline as `\\n`, an escape as `\\x1b`."""
    return text.translate(ESCAPES)


def one_line(text: str, limit: int = LINE) -> str:
    """`text` escaped and cut to `limit` characters: what an error line may print."""
    text = escape(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(parts: list[str], room: int) -> list[str]:
    """Cut the longest parts until all fit in `room` characters together; a part no longer
    than an equal share of what is left keeps its whole text, so each part stays readable."""
    cap = room
    left = room
    for k, length in enumerate(sorted(map(len, parts))):
        share = left // (len(parts) - k)
        if length > share:
            cap = share
            break
        left -= length
    return [cut(p, cap) for p in parts]


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: its start and its end (a path's file name, the
    last of a key) around an ellipsis."""
    if len(text) <= limit:
        return text
    if limit < 3:
        return text[:limit]
    tail = limit // 2
    return text[: limit - tail - 1] + "…" + text[-tail:]


class InputError(Exception):
    """Bad input from a user: a file, a key path, what was expected and what was found.

    The CLI prints it as one line and exits with code 2. The line has at most `LINE`
    characters and no control characters, however long or strange the input it quotes.
    """

    def __init__(self, source: str | Path, key: str, expected: str, found: str) -> None:
        self.source = str(source)
        self.key = key
        self.expected = expected
        self.found = found
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, str, str]]:
        # Rebuilt from its four parts, not from `args` (the one message): it crosses process
        # pools, and an exception that cannot be unpickled there hangs the pool for ever.
        return type(self), (self.source, self.key, self.expected, self.found)

    def __str__(self) -> str:
        parts = [escape(p) for p in (self.source, self.key, self.expected, self.found)]
        source, key, expected, found = fit(parts, PARTS)
        where = f"{source}: {key}" if key else source
        return f"{where}: expected {expected}, found {found}"


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
