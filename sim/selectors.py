"""Outcomes a planner or a researcher asks for: one number per step for any state, pair of
states or group, reduced to one number per run (docs/sweeps.md, "Outcomes").

    exports[RUS]          a state's exports (US$ bn/yr)
    exports[EU]           summed over a group's members (on the run's start date)
    trade[KAZ,RUS]        a pair's trade, both ways (US$ bn/yr)
    relations[RUS,USA]    a pair's relations, in [-1, 1] (a group: the mean over its pairs)
    soft_power_rank[KAZ]  1 for the first
    world_gdp_usd         a world series, as the model table gives it

A selector is checked against a world's states and groups before any run (`Selector.check`),
then bound to a model (`Selector.bind`), which reads its value at each step. `reduce` turns the
values of a run, step 0 included, into one number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.events import date_of, step_of

# measure → (what it is, its unit, "state" or "pair", how a group combines it or None)
MEASURES: dict[str, tuple[str, str, str, str | None]] = {
    "exports": ("exports to every other state", "US$ bn/yr", "state", "sum"),
    "imports": ("imports from every other state", "US$ bn/yr", "state", "sum"),
    "gdp": ("GDP", "US$ bn", "state", "sum"),
    "soft_power": ("soft power", "index", "state", None),
    "soft_power_rank": ("soft-power rank (1 = first)", "rank", "state", None),
    "trade": ("bilateral trade, both ways", "US$ bn/yr", "pair", "sum"),
    "relations": ("relations", "[-1, 1]", "pair", "mean"),
    "regional_links": ("regional link strength", "Σ channels", "pair", "sum"),
}
REDUCTIONS = ("final", "mean", "min", "max", "peak", "change", "min_after", "mean_after",
              "max_after")
AFTER = ("min_after", "mean_after", "max_after")
_FORM = re.compile(r"^([a-z_]+)\[([^\[\]]*)\]$")


class SelectorError(ValueError):
    """A selector or reduction that does not fit: what was expected, what was found."""

    def __init__(self, expected: str, found: str) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"expected {expected}, found {found}")


@dataclass(frozen=True)
class Selector:
    """A parsed selector: a world series (`keys` empty), or a measure of states or groups."""

    text: str
    measure: str
    keys: tuple[str, ...] = ()

    @property
    def per(self) -> str:
        return MEASURES[self.measure][2] if self.keys else "world"

    @property
    def unit(self) -> str:
        return MEASURES[self.measure][1] if self.keys else ""

    def check(self, states: list[str], groups: dict[str, list[str]]) -> None:
        """Every key names a state of the world or, where the measure combines over one, a
        group with members (`groups`: name → members on the run's start date)."""
        combine = MEASURES[self.measure][3] if self.keys else None
        for key in self.keys:
            if key in states:
                continue
            if key in groups and combine is None:
                raise SelectorError(f"a state in {self.text} ({self.measure} is not combined "
                                    "over a group)", repr(key))
            if key in groups and not groups[key]:
                raise SelectorError(f"a group with members on the run's start date in "
                                    f"{self.text}", f"{key!r}, which has none then")
            if key not in groups:
                known = f" or a group ({', '.join(sorted(groups))})" if groups else ""
                raise SelectorError(f"a state of the scenario{known} in {self.text}", repr(key))

    def bind(self, model) -> Callable[[], float]:
        """A function giving the selector's value in `model` as it is now."""
        if not self.keys:  # a world series: the model attribute its reporter reads
            from sim.model import MODEL_REPORTERS

            attribute = MODEL_REPORTERS[self.measure]
            return lambda: float(getattr(model, attribute))
        world = model.world
        start = model.start_date
        row = model.world_index.row
        members = [[row[k]] if k in row else [row[m] for m in model.world_index.members(k, start)
                                              if m in row]
                   for k in self.keys]
        s = world.n_states
        if self.measure == "exports":
            rows = np.array(members[0])
            return lambda: float((world.pairs.trade[rows].sum()
                                  - world.pairs.trade[rows, rows].sum()) / 1e9)
        if self.measure == "imports":
            rows = np.array(members[0])
            return lambda: float((world.pairs.trade[:, rows].sum()
                                  - world.pairs.trade[rows, rows].sum()) / 1e9)
        if self.measure == "gdp":
            rows = np.array(members[0])
            return lambda: float(world.actors.gdp[rows].sum() / 1e9)
        if self.measure == "soft_power":
            i = members[0][0]
            return lambda: float(world.nations.soft_power[i])
        if self.measure == "soft_power_rank":
            i = members[0][0]
            return lambda: float(1 + np.count_nonzero(
                _ahead(world.nations.soft_power[:s], i)))
        a, b = np.meshgrid(members[0], members[1], indexing="ij")
        apart = a != b  # a state in both (DEU and the EU) has no trade or relations with itself
        a, b = a[apart], b[apart]
        if not len(a):
            raise SelectorError(f"two different states in {self.text}", repr(self.keys))
        if self.measure == "trade":
            return lambda: float((world.pairs.trade[a, b].sum() + world.pairs.trade[b, a].sum())
                                 / 1e9)
        if self.measure == "relations":
            return lambda: float(world.pairs.relations[a, b].mean())
        return lambda: float((world.pairs.link_channels[:, a, b].sum()
                              + world.pairs.link_channels[:, b, a].sum()) / 2.0)


def world_keys(spec) -> tuple[list[str], dict[str, list[str]]]:
    """What a selector on a scenario may name: its states, and its groups with their members
    on the start date (a synthetic world has no groups)."""
    from sim.scenario import synthetic_state_ids, world_index

    if spec.synthetic is not None:
        return synthetic_state_ids(spec.synthetic.states), {}
    index = world_index(spec)
    start = spec.scenario.start
    return [s.id for s in spec.states], {g: index.members(g, start) for g in index.groups}


def _ahead(soft_power: np.ndarray, i: int) -> np.ndarray:
    """States ranked before state i: higher soft power, or equal and earlier in row order."""
    rows = np.arange(len(soft_power))
    return (soft_power > soft_power[i]) | ((soft_power == soft_power[i]) & (rows < i))


def parse(text: str, series: tuple[str, ...]) -> Selector:
    """A selector from its text: a world series name (one of `series`), or `measure[KEYS]`
    with one key for a state measure and two, comma-separated, for a pair."""
    text = text.strip()
    if text in series:
        return Selector(text, text)
    found = _FORM.match(text.replace(" ", ""))
    if found is None:
        raise SelectorError(f"a world series ({', '.join(series)}) or a selector such as "
                            "exports[RUS] or trade[KAZ,RUS]", repr(text))
    measure, keys = found.group(1), tuple(k for k in found.group(2).split(","))
    if measure not in MEASURES:
        raise SelectorError(f"a measure ({', '.join(MEASURES)}) in {text}", repr(measure))
    need = 1 if MEASURES[measure][2] == "state" else 2
    if len(keys) != need or not all(keys):
        what = "one state or group" if need == 1 else "two states or groups, comma-separated"
        raise SelectorError(f"{what} in the brackets of {measure}[…]", repr(text))
    return Selector(f"{measure}[{','.join(keys)}]", measure, keys)


def after_step(after: int | dt.date | None, reduction: str, start: dt.date, step_months: int,
               steps: int) -> int:
    """The first step a `*_after` reduction counts: `after` as a step, or the step whose period
    holds the date; it must fall within the run's steps 0..`steps`."""
    if reduction not in AFTER:
        if after is not None:
            raise SelectorError(f"no `after` with reduction {reduction} (only with "
                                f"{', '.join(AFTER)})", str(after))
        return 0
    if after is None:
        raise SelectorError(f"a step or date `after` which reduction {reduction} counts",
                            "none")
    step = step_of(after, start, step_months)
    if not 0 <= step <= steps:
        last = date_of(start, step_months, steps).isoformat()
        raise SelectorError(f"a step or date within the run (steps 0 to {steps}, up to {last})",
                            str(after))
    return step


def reduce(values: np.ndarray, reduction: str, first: int = 0) -> float:
    """A run's values, step 0 first, as one number: the final value, the mean, minimum or
    maximum (`peak` too) over every step, `change` (final − step 0), or the minimum, mean or
    maximum over the steps from `first` on (`*_after`)."""
    values = np.asarray(values, dtype=float)
    if reduction == "final":
        return float(values[-1])
    if reduction == "change":
        return float(values[-1] - values[0])
    part = values[first:] if reduction in AFTER else values
    kind = reduction.removesuffix("_after")
    if kind == "mean":
        return float(part.mean())
    if kind == "min":
        return float(part.min())
    if kind in ("max", "peak"):
        return float(part.max())
    raise SelectorError(f"a reduction ({', '.join(REDUCTIONS)})", repr(reduction))


def column(selector: str, reduction: str, after: int | dt.date | None = None) -> str:
    """The name of a metric's column: `trade[KAZ,RUS]_min_after_2017-09-01`."""
    name = f"{selector}_{reduction}"
    return f"{name}_{after.isoformat() if isinstance(after, dt.date) else after}" \
        if after is not None else name
