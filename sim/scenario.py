"""Scenario files: TOML validated into typed objects.

A scenario names its actors (or asks for a synthetic world), their links and the parameters.
A variant file says `extends = "eurasia"` in its `[scenario]` table and holds only what differs:
tables merge key by key, actors merge by `id`, links by `(a, b, kind)`, trade agreements and forums
by `name`, events by `(type, name)` (unnamed events add to the timeline).
Every error names the file the offending key came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim import events, tables
from sim.errors import InputError, describe
from sim.events import (
    Event,
    EventError,
    WorldIndex,
    event_key,
    group_spells,
    last_step,
    schedule,
)
from sim.params import Params
from sim.schema import (
    LAST_DATE,
    MAX_STEPS,
    STRICT,
    ActorId,
    AreaKm2,
    Audience,
    CalendarDate,
    Channel,
    DistanceKm,
    Latitude,
    LocalGdp,
    Longitude,
    Population,
    StateGdp,
    Year,
    check_nesting,
    first_error,
    read_toml,
)

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"

class Strict(BaseModel):
    model_config = STRICT


class ScenarioMeta(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    title: str = ""
    description: str = ""
    extends: str | None = None
    start: CalendarDate = dt.date(2023, 1, 1)
    step_months: Annotated[int, Field(ge=1, le=12)] = 3
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = 40  # what `geopol run` runs by default
    # The states a planner looks at: summaries, charts and the map start from them.
    focus: list[ActorId] = []
    # "focus": the cities and regions of other states are left out (their states stay).
    regions_of: Literal["all", "focus"] = "all"
    # "settled": the candidate links between regions start where they would settle under the
    # starting relations, as in a world long at rest; "dormant": they start unformed.
    regional_links: Literal["dormant", "settled"] = "dormant"
    # States with a multi-vector foreign policy (paper 001 on Kazakhstan): their capitals bid
    # for the prestige of hosting (`cities.prestige`).
    multi_vector: list[ActorId] = []
    sources: list[str] = []

    @field_validator("steps")
    @classmethod
    def _within_calendar(cls, steps: int, info: ValidationInfo) -> int:
        start, months = info.data.get("start"), info.data.get("step_months")
        if start is None or months is None:  # refused already
            return steps
        most = last_step(start, months)
        if steps > most:
            raise ValueError(
                f"at most {most} steps of {months} months from {start} (the calendar ends "
                f"{LAST_DATE}); found {steps}"
            )
        return steps


class DataFiles(Strict):
    """Tables a scenario loads, relative to the file that names them: `economy` joins GDP and
    population to listed states; the others add rows to the section of their name (CSV; `events`
    is a TOML file of `[[events]]`), before the file's own entries."""

    economy: str | None = None
    states: str | None = None
    cities: str | None = None
    regions: str | None = None
    state_pairs: str | None = None
    memberships: str | None = None
    trade_agreements: str | None = None
    events: str | None = None


class StateSpec(Strict):
    id: ActorId
    name: str
    capital: ActorId
    area_km2: AreaKm2
    borders: list[ActorId] = []
    gdp_usd: StateGdp | None = None
    population: Population | None = None
    # Distance within the state for its internal trade (None: 0.67·√(area/π)).
    internal_km: DistanceKm | None = None
    # Exports of goods and services over GDP, the calibration target of its trade (docs/model.md).
    exports_share: Annotated[float, Field(gt=0.0, le=5.0)] | None = None
    exports_estimated: bool = False  # True if exports_share is an estimate, not a figure
    growth_trend: Annotated[float, Field(ge=-0.2, le=0.3)] | None = None  # None: growth.trend
    note: str = ""


class CitySpec(Strict):
    id: ActorId
    name: str
    state: ActorId
    capital: bool = False
    lat: Latitude
    lon: Longitude
    population: Population
    gdp_usd: LocalGdp | None = None
    source: str = ""


class RegionSpec(Strict):
    id: ActorId
    name: str
    state: ActorId
    lat: Latitude
    lon: Longitude
    population: Population
    gdp_usd: LocalGdp | None = None
    centre: str = ""
    source: str = ""


class LinkSpec(Strict):
    a: ActorId
    b: ActorId
    kind: Literal["agreement", "twinning"]
    channels: Annotated[list[Channel], Field(min_length=1)]
    since: Annotated[int, Field(ge=1900, le=LAST_DATE.year)] | None = None
    # None: the strength the link would settle at (docs/model.md, "Paradiplomacy").
    strength: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    diaspora: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    source: str = ""


class TradeAgreementSpec(Strict):
    name: str
    members: Annotated[list[ActorId], Field(min_length=2)]
    since: Annotated[int, Field(ge=1900, le=LAST_DATE.year)] | None = None
    source: str = ""


class TechnologyWaveSpec(Strict):
    """A technology wave (paper 000): adoption spreads from its start, Bass-style."""

    name: str
    start: CalendarDate | None = None  # None: under way from the first step
    strength: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    origin: list[ActorId] = []  # states that have adopted part of it at the start
    initial_adoption: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    source: str = ""


class DigitalSpec(Strict):
    """A foreign ministry's digital diplomacy at the start (paper 003)."""

    state: ActorId
    audience: Audience
    capacity: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    quality: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    investment: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    risk_management: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    source: str = ""


class RelationSpec(Strict):
    """The baseline relations of a pair of states (default 0, or the agreement baseline)."""

    a: ActorId
    b: ActorId
    baseline: Annotated[float, Field(ge=-1.0, le=1.0)]
    source: str = ""


class StatePairSpec(Strict):
    """What two states share (docs/model.md, "Trade" and "Relations"): distance and ties."""

    a: ActorId
    b: ActorId
    distance_km: DistanceKm
    contiguity: bool = False  # a land border
    common_language: bool = False  # a common official language
    colony: bool = False  # a colonial tie, ever
    defence: bool = False  # a defence pact (ATOP)
    alliance: bool = False  # another alliance obligation: offence, neutrality, non-aggression,
    # consultation (ATOP)
    rivalry: bool = False
    source: str = ""


class MembershipSpec(Strict):
    """A state's membership of an organisation (NATO, EU, CSTO, ...), from `joined` to `left`."""

    org: Annotated[str, Field(min_length=1)]
    state: ActorId
    joined: Year
    left: Year | None = None
    note: str = ""
    source: str = ""


class ForumSpec(Strict):
    """A forum whose membership may cross blocs (SCO, CICA, OSCE): its summits meet on a
    calendar, every `every_years` from `first`, the chair rotating among its members
    (docs/model.md, "City diplomacy")."""

    name: Annotated[str, Field(min_length=1)]
    # States of the scenario, or organisations of its memberships (their members in the year
    # of each summit).
    members: Annotated[list[ActorId], Field(min_length=1)]
    every_years: Annotated[float, Field(gt=0.0, le=100.0)]
    # The date of its first summit (may be before the start: the summits before it are not
    # held); None: the start plus every_years.
    first: CalendarDate | None = None
    # The year a listed state joined, for those that joined after `first`.
    joined: dict[ActorId, Year] = {}
    # Summits on the timeline that are this forum's: each stands for the forum's summit
    # nearest it, which is not held again.
    scripted: list[str] = []
    source: str = ""


def forum_members(forum: ForumSpec, memberships: list[MembershipSpec], year: int | None = None
                  ) -> list[tuple[str, int | None, int | None]]:
    """A forum's member states as (id, joined, left), years or None, each listed once per
    spell: the states it lists (joined as `joined` gives), and the members of each
    organisation it names, by the memberships. With `year`, only those members then."""
    out: list[tuple[str, int | None, int | None]] = []
    for entry in forum.members:
        spells = [(m.state, m.joined, m.left) for m in memberships if m.org == entry]
        for spell in spells or [(entry, forum.joined.get(entry), None)]:
            _, joined, left = spell
            current = year is None or ((joined is None or joined <= year)
                                       and (left is None or year < left))
            if current and spell not in out:
                out.append(spell)
    return out


class SyntheticSpec(Strict):
    """Size of a generated world (docs/model.md, "Synthetic world")."""

    states: Annotated[int, Field(ge=2, le=5000)] = 20
    regions_per_state: Annotated[int, Field(ge=0, le=100_000)] = 10
    cities_per_state: Annotated[int, Field(ge=1, le=1000)] = 1
    links_per_region: Annotated[int, Field(ge=0, le=100)] = 3
    active_share: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3


def synthetic_state_ids(n: int) -> list[str]:
    """The ids of a synthetic world's states, in row order (sim/synthetic.py)."""
    return [f"S{s:04d}" for s in range(n)]


class ScenarioSpec(Strict):
    scenario: ScenarioMeta
    data: DataFiles = DataFiles()
    synthetic: SyntheticSpec | None = None
    states: list[StateSpec] = []
    cities: list[CitySpec] = []
    regions: list[RegionSpec] = []
    links: list[LinkSpec] = []
    trade_agreements: list[TradeAgreementSpec] = []
    technology_waves: list[TechnologyWaveSpec] = [
        TechnologyWaveSpec(name="current wave", source="default: one wave under way")
    ]
    digital: list[DigitalSpec] = []
    relations: list[RelationSpec] = []
    state_pairs: list[StatePairSpec] = []
    memberships: list[MembershipSpec] = []
    forums: list[ForumSpec] = []
    events: list[Event] = []
    params: Params = Params()

    @model_validator(mode="after")
    def _world_given(self) -> ScenarioSpec:
        if self.synthetic is None and not self.states:
            raise ValueError("either [synthetic] or at least one [[states]] entry")
        if self.synthetic is not None and (self.states or self.cities or self.regions):
            raise ValueError("either [synthetic] or listed actors, not both")
        return self


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with where it came from."""

    spec: ScenarioSpec
    path: Path | None
    files: tuple[Path, ...]
    content_hash: str

    @property
    def name(self) -> str:
        return self.spec.scenario.name


# ---------------------------------------------------------------- resolving and reading files


def bundled() -> dict[str, Path]:
    """Bundled scenario names and their files."""
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.toml"))}


def _is_file(path: Path) -> bool:
    """Whether `path` is a file; a name the file system cannot hold (too long, a NUL) is not."""
    try:
        return path.resolve().is_file()
    except (OSError, ValueError):
        return False


def resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A bundled scenario's name, or a path to a TOML file, as a file path."""
    text = str(name_or_path)
    # `extends` is relative to the extending file; a command-line path to the working directory.
    path = relative_to.parent / text if relative_to is not None else Path(text)
    if path.suffix == ".toml" and _is_file(path):
        return path
    if text in bundled():
        return bundled()[text]
    known = ", ".join(bundled()) or "none"
    source = relative_to if relative_to is not None else "scenario"
    key = "scenario.extends" if relative_to is not None else "name"
    raise InputError(source, key, f"a bundled scenario ({known}) or a .toml file", describe(text))


# ---------------------------------------------------------------- inheritance with provenance

# How arrays of tables merge: by these keys. Other arrays are replaced whole.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "states": ("id",),
    "cities": ("id",),
    "regions": ("id",),
    "links": ("a", "b", "kind"),
    "trade_agreements": ("name",),
    "technology_waves": ("name",),
    "digital": ("state",),
    "relations": ("a", "b"),
    "state_pairs": ("a", "b"),
    "memberships": ("org", "state"),
    "forums": ("name",),
    "events": ("type", "name"),  # a variant adds to its base's timeline, or renames to replace
}


class Provenance:
    """Which file each key of a merged scenario came from, and where it stands in that file.

    Arrays of tables merge by key, so an entry's index in the merged list can differ from its
    index in the file that wrote it; error messages use the file's own index.
    """

    def __init__(self) -> None:
        self.files: dict[tuple, Path] = {}
        self.positions: dict[tuple, dict[Path, int]] = {}

    def mark(self, value: Any, path: Path, prefix: tuple) -> None:
        """Record `path` as the source of `value` at `prefix` and of everything inside it."""
        todo = [(prefix, value)]
        while todo:  # a loop, not recursion: the depth is the file's, which read_toml bounds
            prefix, value = todo.pop()
            self.files[prefix] = path
            if len(prefix) == 2 and prefix[0] in MERGE_KEYS and isinstance(prefix[1], int):
                self.positions.setdefault(prefix, {})[path] = prefix[1]
            if isinstance(value, dict):
                todo.extend(((*prefix, key), item) for key, item in value.items())
            elif isinstance(value, list):
                todo.extend(((*prefix, i), item) for i, item in enumerate(value))

    def source(self, loc: tuple, fallback: Path) -> Path:
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.files:
                return self.files[loc[:n]]
        return fallback

    def error(self, loc: tuple, fallback: Path, expected: str, found: str) -> InputError:
        """An InputError for a key of the merged scenario, as the file that wrote it has it:
        a table's row and column (`row 12, column area_km2`), or a TOML key path."""
        source = self.source(loc, fallback)
        local = list(loc)
        if len(loc) >= 2 and source in self.positions.get(loc[:2], {}):
            local[1] = self.positions[loc[:2]][source]
        if source.suffix == ".csv" and len(local) >= 2 and isinstance(local[1], int):
            column = f", column {local[2]}" if len(local) > 2 else ""
            return InputError(source, f"row {local[1] + 2}{column}", expected, found)
        key = ""
        for part in local:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        return InputError(source, key or "top level", expected, found)


def _ident(item: object, keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """An entry's merge key, or None if it has none: an entry that lacks a key, or whose key
    is not text (`state = {}`), never merges, and the schema then reports it where it stands."""
    if not isinstance(item, dict):
        return None
    ident = tuple(item.get(k) for k in keys)
    return ident if all(isinstance(part, str) for part in ident) else None


def _merge(base: dict, child: dict, path: Path, prov: Provenance, prefix: tuple = ()) -> dict:
    """Merge child into base (in place), recording in `prov` where each key came from."""
    for key, value in child.items():
        here = (*prefix, key)
        keys = MERGE_KEYS.get(key) if not prefix else None
        if keys and isinstance(value, list) and isinstance(base.get(key), list):
            items = base[key]
            index = {ident: i for i, item in enumerate(items)
                     if (ident := _ident(item, keys)) is not None}
            for k, item in enumerate(value):
                ident = _ident(item, keys)
                if ident is not None and ident in index:
                    m = index[ident]
                    _merge(items[m], item, path, prov, (*here, m))
                else:
                    items.append(item)
                    m = len(items) - 1
                    prov.mark(item, path, (*here, m))
                prov.positions.setdefault((key, m), {})[path] = k
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            prov.files[here] = path
            _merge(base[key], value, path, prov, here)
        else:
            base[key] = value
            prov.mark(value, path, here)
    return base


def _load_tree(
    path: Path, seen: tuple[Path, ...] = ()
) -> tuple[dict, Provenance, tuple[Path, ...]]:
    """A scenario file merged onto its bases: each base's entries first, then the rows of
    the tables this file names, then its own entries."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        raise InputError(seen[-1], "scenario.extends", "no cycle of extends", chain)
    raw = read_toml(path)
    meta = raw.get("scenario")
    parent = meta.get("extends") if isinstance(meta, dict) else None
    if parent is None:
        data, prov, files = {}, Provenance(), ()
    elif not isinstance(parent, str):
        raise InputError(path, "scenario.extends", "a scenario name or path", describe(parent))
    else:
        data, prov, files = _load_tree(resolve(parent, relative_to=path), (*seen, path))
        data.setdefault("scenario", {}).pop("extends", None)
    for section, table in _tables(raw, path):
        if section == "events":
            _check_nesting(table)
            entries = tables.read_events(table)
        else:
            entries = tables.read_rows(table, TABLE_MODELS[section])
        _merge_entries(data, section, entries, table, prov)
        files = (*files, table)
    return _merge(data, raw, path, prov), prov, (*files, path)


def _check_nesting(path: Path) -> None:
    """An events file nests no deeper than a scenario file may (`read_toml`), which
    `tables.read_events` then reads; a file it cannot read or parse is left for it to report."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return
    check_nesting(text, path)


# What each table of `[data]` holds; `economy` is joined to the states instead.
TABLE_MODELS: dict[str, type[BaseModel]] = {
    "states": StateSpec,
    "cities": CitySpec,
    "regions": RegionSpec,
    "state_pairs": StatePairSpec,
    "memberships": MembershipSpec,
    "trade_agreements": TradeAgreementSpec,
}


def _tables(raw: dict, path: Path) -> list[tuple[str, Path]]:
    """The tables a file's `[data]` names, as (section, path), in a fixed order."""
    data = raw.get("data")
    if not isinstance(data, dict):
        return []
    out = []
    for section in (*TABLE_MODELS, "events"):
        name = data.get(section)
        if name is None:
            continue
        if not isinstance(name, str):
            raise InputError(path, f"data.{section}", "a file path (string)", describe(name))
        table = path.parent / name
        if not _is_file(table):
            raise InputError(path, f"data.{section}", "an existing file", describe(name))
        out.append((section, table.resolve()))
    return out


def _merge_entries(data: dict, section: str, entries: list[dict], path: Path,
                   prov: Provenance) -> None:
    """Add a table's entries to a section, merging by the section's key: a table is a base
    for the file that names it. Provenance is kept per entry (a table row has one source)."""
    items = data.setdefault(section, [])
    keys = MERGE_KEYS[section]
    index = {ident: i for i, item in enumerate(items)
             if (ident := _ident(item, keys)) is not None}
    for k, entry in enumerate(entries):
        ident = _ident(entry, keys)
        if ident is not None and ident in index:
            m = index[ident]
            items[m].update(entry)
            for field in entry:
                prov.files[(section, m, field)] = path
        else:
            # Not indexed: a table merges over its base only, and a key it repeats is two
            # entries, which the checks then report as they do inline.
            items.append(entry)
            m = len(items) - 1
        prov.files[(section, m)] = path
        prov.positions.setdefault((section, m), {})[path] = k


# ---------------------------------------------------------------- cross-references


def _check_focus(spec: ScenarioSpec, prov: Provenance, fallback: Path) -> None:
    states = {s.id for s in spec.states}
    for key in ("focus", "multi_vector"):
        for j, state in enumerate(getattr(spec.scenario, key)):
            if state not in states:
                raise prov.error(("scenario", key, j), fallback, "a state of the scenario",
                                 describe(state))
    if spec.scenario.regions_of == "focus" and not spec.scenario.focus:
        raise prov.error(("scenario", "regions_of"), fallback,
                         '"all", or "focus" with states in scenario.focus', "an empty focus")


def _focus_only(spec: ScenarioSpec) -> tuple[ScenarioSpec, set[str], dict[str, list[int]]]:
    """With `regions_of = "focus"`, the scenario without the regions and the cities other than
    capitals of states outside its focus; returns it, the ids left out, and for cities and
    regions the positions the kept entries had (for error messages)."""
    if spec.scenario.regions_of != "focus":
        return spec, set(), {}
    focus = set(spec.scenario.focus)
    kept = {
        "cities": [i for i, c in enumerate(spec.cities) if c.capital or c.state in focus],
        "regions": [i for i, r in enumerate(spec.regions) if r.state in focus],
    }
    cities = [spec.cities[i] for i in kept["cities"]]
    regions = [spec.regions[i] for i in kept["regions"]]
    dropped = {a.id for a in (*spec.cities, *spec.regions)} - {a.id for a in (*cities, *regions)}
    return spec.model_copy(update={"cities": cities, "regions": regions}), dropped, kept


def _check_references(
    spec: ScenarioSpec, prov: Provenance, fallback: Path, dropped: set[str] = frozenset(),
    kept: dict[str, list[int]] | None = None,
) -> None:
    def fail(loc: tuple, expected: str, found: object) -> None:
        if found in dropped:
            expected += ' (its state is outside scenario.focus, and regions_of = "focus")'
        if kept and loc[0] in kept:  # a position among the kept entries, back to the file's
            loc = (loc[0], kept[loc[0]][loc[1]], *loc[2:])
        raise prov.error(loc, fallback, expected, describe(found))

    states = {s.id for s in spec.states}
    seen: set[str] = set()
    for section in ("states", "cities", "regions"):
        for i, actor in enumerate(getattr(spec, section)):
            if actor.id in seen:
                fail((section, i, "id"), "an id not used by another actor", actor.id)
            seen.add(actor.id)
    capitals = {c.id: c for c in spec.cities if c.capital}
    for i, state in enumerate(spec.states):
        city = capitals.get(state.capital)
        if city is None or city.state != state.id:
            fail(
                ("states", i, "capital"), f"a city of {state.id} with capital = true", state.capital
            )
        for j, other in enumerate(state.borders):
            if other not in states or other == state.id:
                fail(("states", i, "borders", j), "another state of the scenario", other)
    for section in ("cities", "regions"):
        for i, actor in enumerate(getattr(spec, section)):
            if actor.state not in states:
                fail((section, i, "state"), "a state of the scenario", actor.state)
    for i, link in enumerate(spec.links):
        for end in ("a", "b"):
            if getattr(link, end) not in seen:
                fail(("links", i, end), "an actor of the scenario", getattr(link, end))
        if link.a == link.b:
            fail(("links", i, "b"), "an actor other than a", link.b)
    for section in ("state_pairs", "memberships"):
        for i, entry in enumerate(getattr(spec, section)):
            for end in ("a", "b") if section == "state_pairs" else ("state",):
                if getattr(entry, end) not in states:
                    fail((section, i, end), "a state of the scenario", getattr(entry, end))
    for i, pair in enumerate(spec.state_pairs):
        if pair.a == pair.b:
            fail(("state_pairs", i, "b"), "a state other than a", pair.b)
    for i, agreement in enumerate(spec.trade_agreements):
        for j, member in enumerate(agreement.members):
            if member not in states:
                fail(("trade_agreements", i, "members", j), "a state of the scenario", member)
    # What a synthetic world honours of these names its generated states, S0000 on.
    a_state = "a state of the scenario"
    if spec.synthetic is not None:
        ids = synthetic_state_ids(spec.synthetic.states)
        states = set(ids)
        a_state = f"a state of the synthetic world ({ids[0]} to {ids[-1]})"
    for i, wave in enumerate(spec.technology_waves):
        for j, origin in enumerate(wave.origin):
            if origin not in states:
                fail(("technology_waves", i, "origin", j), a_state, origin)
    for i, entry in enumerate(spec.digital):
        if entry.state not in states:
            fail(("digital", i, "state"), a_state, entry.state)
    for i, pair in enumerate(spec.relations):
        for end in ("a", "b"):
            if getattr(pair, end) not in states:
                fail(("relations", i, end), a_state, getattr(pair, end))
        if pair.a == pair.b:
            fail(("relations", i, "b"), "a state other than a", pair.b)


def _check_forums(spec: ScenarioSpec, prov: Provenance, fallback: Path) -> None:
    """Each forum has its own name; its members are states of the scenario or organisations of
    its memberships, two or more states in all; `joined` names listed states; `scripted` names
    summits of the timeline. (A synthetic world's members are checked when the model builds it.)"""
    def fail(loc: tuple, expected: str, found: object) -> None:
        raise prov.error(("forums", *loc), fallback, expected, describe(found))

    states = {s.id for s in spec.states}
    orgs = {m.org for m in spec.memberships}
    summits = {e.name for e in spec.events if e.type == "summit" and e.name}
    names: set[str] = set()
    for i, forum in enumerate(spec.forums):
        if forum.name in names:
            fail((i, "name"), "a name not used by another forum", forum.name)
        names.add(forum.name)
        if spec.synthetic is None:
            for j, entry in enumerate(forum.members):
                if entry not in states and entry not in orgs:
                    fail((i, "members", j), "a state of the scenario or an organisation of its "
                         f"memberships ({', '.join(sorted(orgs)) or 'none'})", entry)
                if entry in forum.members[:j]:
                    fail((i, "members", j), "each member named once", entry)
            count = len({state for state, _, _ in forum_members(forum, spec.memberships)})
            if count < 2:
                fail((i, "members"), "two or more member states", count)
        for state in forum.joined:
            if state not in forum.members or state in orgs:
                fail((i, "joined", state), "a state listed in members", state)
        for j, name in enumerate(forum.scripted):
            if name not in summits:
                fail((i, "scripted", j), "the name of a summit on the scenario's timeline", name)


def world_index(spec: ScenarioSpec) -> WorldIndex:
    """Rows, kinds and owning states of a listed world's actors, in the order `build_world`
    gives them: states, then cities, then regions."""
    from sim.world import CITY, REGION, STATE

    actors = [*spec.states, *spec.cities, *spec.regions]
    row = {a.id: i for i, a in enumerate(actors)}
    kinds = [STATE] * len(spec.states) + [CITY] * len(spec.cities) + [REGION] * len(spec.regions)
    owner = [row[s.id] for s in spec.states] + [row[a.state] for a in (*spec.cities, *spec.regions)]
    return WorldIndex(
        row=row,
        kind=np.array(kinds, dtype=np.int8),
        state=np.array(owner, dtype=np.int32),
        start=spec.scenario.start,
        step_months=spec.scenario.step_months,
        groups=group_spells(spec.memberships),
    )


def _check_events(spec: ScenarioSpec, prov: Provenance, fallback: Path) -> None:
    """Every event of the timeline fits the world: its actors exist, its end follows its start.
    (A synthetic world's events are checked when the model builds it.)"""
    if spec.synthetic is not None:
        return
    index = world_index(spec)
    for k, event in enumerate(spec.events):
        try:
            schedule(event, index, earliest=0)
        except EventError as exc:
            raise _located(
                prov, None, ("events", k, *exc.loc), fallback, exc.expected, exc.found, event
            ) from None


def group_expansions(spec: ScenarioSpec) -> list[dict]:
    """The groups the scenario's events name, each expanded to its members at the event's
    date (`events.expanded_groups`); none for a synthetic world, which has no groups."""
    if spec.synthetic is not None:
        return []
    index = world_index(spec)
    return events.expanded_groups([schedule(event, index, earliest=0) for event in spec.events])


def _located(
    prov: Provenance,
    data: dict | None,
    loc: tuple,
    fallback: Path,
    expected: str,
    found: str,
    event: object = None,
) -> InputError:
    """An InputError for a key of the merged scenario; an event's key names the event:
    `events[2] (sanction 'US bill').end`."""
    error = prov.error(loc, fallback, expected, found)
    if len(loc) < 2 or loc[0] != "events" or not isinstance(loc[1], int):
        return error
    if event is None and data is not None:
        event = data["events"][loc[1]]
    rest = loc[2:]
    if rest and isinstance(event, dict) and rest[0] == event.get("type"):
        rest = rest[1:]  # the union's tag, not a field
    position = error.key.split("]")[0] + "]"
    return InputError(error.source, event_key(event, position, rest), error.expected, error.found)


# ---------------------------------------------------------------- economy table

ECONOMY_COLUMNS = ("iso3", "name", "year", "gdp_usd", "population")


def read_economy(path: Path) -> pd.DataFrame:
    """The economy table (iso3, name, year, gdp_usd, population), checked row by row."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, "", "a readable CSV file", type(exc).__name__) from None
    missing = [c for c in ECONOMY_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            path, "header", f"columns {', '.join(ECONOMY_COLUMNS)}", f"no column {missing[0]!r}"
        )
    # The same ranges as a state's inline gdp_usd and population.
    for column, kind in (("gdp_usd", StateGdp), ("population", Population)):
        values = pd.to_numeric(table[column], errors="coerce")
        adapter = TypeAdapter(kind)
        for row, (cell, number) in enumerate(zip(table[column], values, strict=True)):
            where = f"row {row + 2}, column {column}"
            if pd.isna(number):
                raise InputError(path, where, "a finite number", describe(cell))
            try:
                adapter.validate_python(float(number), strict=True)
            except ValidationError as exc:
                _, expected, found = first_error(exc)
                raise InputError(path, where, expected, found) from None
        table[column] = values.astype(float)
    table["year"] = pd.to_numeric(table["year"], errors="coerce")
    if table["iso3"].duplicated().any():
        dup = table["iso3"][table["iso3"].duplicated()].iloc[0]
        raise InputError(path, "column iso3", "one row per state", f"{dup!r} twice")
    return table.set_index("iso3")


def _join_economy(spec: ScenarioSpec, path: Path) -> tuple[ScenarioSpec, Path]:
    """States take GDP and population from the economy table unless they give them inline."""
    table_path = path.parent / spec.data.economy
    if not _is_file(table_path):
        raise InputError(path, "data.economy", "an existing CSV file", describe(spec.data.economy))
    table_path = table_path.resolve()
    table = read_economy(table_path)
    states = []
    for i, state in enumerate(spec.states):
        if state.gdp_usd is None or state.population is None:
            if state.id not in table.index:
                raise InputError(
                    table_path,
                    "column iso3",
                    f"a row for {state.id} (states[{i}] has no inline gdp_usd and population)",
                    "none",
                )
            row = table.loc[state.id]
            state = state.model_copy(
                update={
                    "gdp_usd": state.gdp_usd or float(row["gdp_usd"]),
                    "population": state.population or float(row["population"]),
                }
            )
        states.append(state)
    return spec.model_copy(update={"states": states}), table_path


# ---------------------------------------------------------------- entry point


# Scenarios already read in this process, with the files they came from as they were then: a
# world of 3,000 regions takes half a second to read and check, and a comparison or a sweep
# builds the same one many times.
# The scenarios read most recently, by path, with their files' stamps. Bounded: a `world`
# scenario holds megabytes, and a process that reads thousands of files (a fuzzer, a loop over
# variants) would otherwise keep them all.
MAX_LOADED = 16
_LOADED: OrderedDict[Path, tuple[Scenario, tuple[tuple[Path, int, int], ...]]] = OrderedDict()


def _stamps(files: tuple[Path, ...]) -> tuple[tuple[Path, int, int], ...] | None:
    try:
        return tuple((f, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError:
        return None


def forget_loaded() -> None:
    """Forget the scenarios read so far: the next `load` of each reads its files again."""
    _LOADED.clear()


def load(name_or_path: str | Path) -> Scenario:
    """Read, merge, validate and cross-check a scenario. Raises InputError on bad input.

    A scenario read before in this process is returned again if none of its files changed.
    """
    path = resolve(name_or_path).resolve()
    cached = _LOADED.get(path)
    if cached is not None and _stamps(tuple(f for f, _, _ in cached[1])) == cached[1]:
        _LOADED.move_to_end(path)
        return cached[0]
    scenario = _load(path)
    stamps = _stamps(scenario.files)
    if stamps is not None:
        _LOADED[path] = (scenario, stamps)
        _LOADED.move_to_end(path)
        while len(_LOADED) > MAX_LOADED:
            _LOADED.popitem(last=False)
    return scenario


def _load(path: Path) -> Scenario:
    data, prov, files = _load_tree(path)
    # A data path is relative to the file that names it, which may be a base scenario.
    economy_src = prov.source(("data", "economy"), path)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        loc, expected, found = first_error(exc, data)
        raise _located(prov, data, loc, path, expected, found) from None
    _check_focus(spec, prov, path)
    spec, dropped, kept = _focus_only(spec)
    _check_references(spec, prov, path, dropped, kept)
    _check_events(spec, prov, path)
    _check_forums(spec, prov, path)
    if spec.data.economy is not None:
        spec, table = _join_economy(spec, economy_src)
        files = (*files, table)
    for i, state in enumerate(spec.states):
        if state.gdp_usd is None or state.population is None:
            raise prov.error(
                ("states", i),
                path,
                "gdp_usd and population, inline or from data.economy",
                "neither",
            )
    return Scenario(spec=spec, path=path.resolve(), files=files, content_hash=content_hash(spec))


def from_spec(spec: ScenarioSpec) -> Scenario:
    """A scenario built in code (e.g. in tests or the app) rather than read from a file."""
    return Scenario(spec=spec, path=None, files=(), content_hash=content_hash(spec))


def content_hash(spec: ScenarioSpec) -> str:
    """SHA-256 of the resolved scenario, data tables joined in: equal content, equal hash."""
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
