"""Events: what a scenario's timeline schedules and what code injects mid-run.

An event happens `at` a step (an integer) or a date (mapped to the step whose period contains
it: step t covers the dates from `date_of(t − 1)` up to `date_of(t)`). Sanctions and customs
facilitation last from `at` until an optional `end`. Equations and defaults: docs/model.md,
"Events".
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator

from sim.errors import InputError, describe
from sim.schema import LAST_DATE, MAX_STEPS, STRICT, ActorId, CalendarDate, Channel, first_error

# A step of the run, or a date of the calendar (sim/schema.py).
When = Annotated[int, Field(ge=0, le=MAX_STEPS)] | CalendarDate
Share = Annotated[float, Field(ge=0.0, le=1.0)]
SanctionKind = Literal["trade", "financial", "travel", "arms"]


class Strict(BaseModel):
    model_config = STRICT


class EventBase(Strict):
    name: str = ""
    at: When | None = None  # None: the next step (only for injected events)
    source: str = ""


class Membership(Strict):
    """A state that joins or leaves a sanction regime at a step or date."""

    state: ActorId
    at: When


class Sanction(EventBase):
    """Imposers against a target, in Global Sanctions Data Base categories (Felbermayr et al.
    2020): trade (export, import or both), financial, travel, arms; partial or complete."""

    type: Literal["sanction"] = "sanction"
    imposers: Annotated[list[ActorId], Field(min_length=1)]
    target: ActorId
    kind: SanctionKind | Annotated[list[SanctionKind], Field(min_length=1)] = "trade"
    direction: Literal["export", "import", "both"] = "both"  # of a trade sanction
    scope: Literal["partial", "complete"] = "complete"
    intensity: Share | None = None  # overrides scope: 1 complete, `events.partial` partial
    end: When | None = None
    ramp_months: Annotated[int, Field(ge=0, le=240)] = 0
    fade_months: Annotated[float, Field(ge=0.0, le=600.0)] = 12.0  # half-life after lifting
    join: list[Membership] = []
    leave: list[Membership] = []
    # The regime (one legal act against several targets) this sanction is one target of:
    # `GeoModel.in_force` lists it and `GeoModel.lift` lifts it whole.
    regime: str | None = None
    # An answer to sanctions on its imposers (Russia's food embargo of 2014): states do not
    # join it, and its targets do not answer it in turn (docs/model.md, "Decisions").
    answers: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,) if isinstance(self.kind, str) else tuple(self.kind)


class TechnologyShock(EventBase):
    """A new technology wave starts in the origin states; earlier waves keep their effect."""

    type: Literal["technology_shock"] = "technology_shock"
    origin: Annotated[list[ActorId], Field(min_length=1)]
    strength: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    adoption: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.05  # adopted in the origin at once


class CustomsFacilitation(EventBase):
    """A "single window" (paper 004): trade costs fall between the states named, or the states
    of the regions named, whose own cross-border economic links also gain."""

    type: Literal["customs_facilitation"] = "customs_facilitation"
    states: list[ActorId] = []  # every pair among them; a group stands for its members
    regions: list[ActorId] = []  # regions or cities; links among them, and their states' pairs
    cost_cut: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.05  # share of the trade cost removed
    end: When | None = None

    @model_validator(mode="after")
    def _someone(self) -> CustomsFacilitation:
        if not self.states and not self.regions:
            raise ValueError("states or regions to facilitate trade between")
        return self


class Summit(EventBase):
    """A summit or talks (paper 001): a host city and the participating states."""

    type: Literal["summit"] = "summit"
    host: ActorId
    # States, or groups standing for their members (two or more states in all).
    participants: Annotated[list[ActorId], Field(min_length=1)]


class Agreement(EventBase):
    """A region or city pair signs an agreement on the channels it names."""

    type: Literal["agreement"] = "agreement"
    a: ActorId
    b: ActorId
    channels: Annotated[list[Channel], Field(min_length=1)]
    kind: Literal["agreement", "twinning"] = "agreement"
    strength: Annotated[float, Field(gt=0.0, le=1.0)] | None = None  # None: start_strength


class DigitalIncident(EventBase):
    """A leak, a hack or fake news against a foreign ministry (paper 003)."""

    type: Literal["digital_incident"] = "digital_incident"
    state: ActorId
    incident: Literal["leak", "hack", "fake_news"] = "hack"
    severity: Share | None = None  # share of the audience lost; None: digital.incident_severity
    reputation: Share | None = None  # None: digital.incident_reputation


class RelationShock(EventBase):
    """A direct shift of one pair's relations, which then relax as usual."""

    type: Literal["relation_shock"] = "relation_shock"
    a: ActorId
    b: ActorId
    shift: Annotated[float, Field(ge=-2.0, le=2.0)]


Event = Annotated[
    Sanction | TechnologyShock | CustomsFacilitation | Summit | Agreement | DigitalIncident
    | RelationShock,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter = TypeAdapter(Event)


def parse(event: object, source: str = "inject") -> Event:
    """An event from a dict (or an event), validated; bad input raises InputError."""
    if isinstance(event, EventBase):
        return event
    try:
        return _ADAPTER.validate_python(event)
    except ValidationError as exc:
        loc, expected, found = first_error(exc, event)
        kind = event.get("type") if isinstance(event, dict) else None
        if loc and loc[0] == kind:  # the union's tag, not a field
            loc = loc[1:]
        raise InputError(source, event_key(event, "", loc), expected, found) from None


def label(event: object) -> str:
    """An event as an error names it: its type and, if it has one, its name."""
    get = event.get if isinstance(event, dict) else lambda k: getattr(event, k, None)
    kind, name = get("type"), get("name")
    return f"{kind or 'event'} {name!r}" if name else str(kind or "event")


def event_key(event: object, position: str, loc: tuple) -> str:
    """The key path of an event's field: `events[2] (sanction 'US bill').end`, or without a
    position (an injected event) `sanction 'US bill'.end`."""
    head = f"{position} ({label(event)})" if position else label(event)
    return head + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


# ---------------------------------------------------------------- the timeline


@dataclass
class Scheduled:
    """An event with its steps and actors resolved to world rows."""

    event: Event
    at: int
    end: int | None = None
    rows: dict[str, list[int]] = field(default_factory=dict)  # field name → actor rows
    joins: list[tuple[int, int]] = field(default_factory=list)  # (state row, step)
    leaves: list[tuple[int, int]] = field(default_factory=list)
    decided: bool = False  # put on the timeline by a state's decision, not by the scenario
    decided_members: set[int] = field(default_factory=set)  # states that joined by decision
    # The groups its fields named, as they were expanded: field → group → (date, member ids).
    groups: dict[str, dict[str, tuple[dt.date, list[str]]]] = field(default_factory=dict)

    def in_force(self, step: int) -> bool:
        return self.at <= step and (self.end is None or step < self.end)


def expanded_groups(timeline: list[Scheduled]) -> list[dict]:
    """The groups the timeline's events named, as they were expanded: one record per event
    field and group, with the date of the membership and the member states."""
    return [{"event": label(item.event), "field": where, "group": group,
             "date": day.isoformat(), "members": members}
            for item in timeline for where, named in item.groups.items()
            for group, (day, members) in named.items()]


def date_of(start: dt.date, step_months: int, step: int) -> dt.date:
    """The calendar date of a step: the start plus `step` steps of `step_months` months, the
    day held (or the month's last day, if it has fewer days)."""
    months = start.month - 1 + step * step_months
    year, month = start.year + months // 12, months % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def last_step(start: dt.date, step_months: int) -> int:
    """The last step whose date (`date_of`) is within the calendar, which ends on LAST_DATE:
    the most steps a run from `start` may take."""
    months = (LAST_DATE.year - start.year) * 12 + (LAST_DATE.month - start.month)
    return max(0, months // step_months)


def step_of(when: int | dt.date, start: dt.date, step_months: int) -> int:
    """The step whose period contains a date (an integer is a step already). Step t ≥ 1 covers
    [date_of(t − 1), date_of(t)); dates before the start map to step 0 (in force at the start)."""
    if isinstance(when, int):
        return when
    if when < start:
        return 0
    months = (when.year - start.year) * 12 + (when.month - start.month)
    step = max(1, months // step_months)  # within one step of the answer; then exact
    while date_of(start, step_months, step - 1) > when:
        step -= 1
    while date_of(start, step_months, step) <= when:
        step += 1
    return step


@dataclass(frozen=True)
class WorldIndex:
    """What resolving an event needs to know of the world: rows by id, kinds and owners."""

    row: dict[str, int]
    kind: np.ndarray  # actor kind per row (STATE, CITY, REGION)
    state: np.ndarray  # owning state's row per row
    start: dt.date
    step_months: int
    # Groups of states (organisations of the memberships): name → (state id, joined, left)
    # spells, years, `left` None while a member.
    groups: dict[str, list[tuple[str, int, int | None]]] = field(default_factory=dict)

    def members(self, group: str, on: dt.date) -> list[str]:
        """A group's member states on a date (a member from its year of joining up to, not
        including, its year of leaving), in the order the memberships list them."""
        year = on.year
        return list(dict.fromkeys(state for state, joined, left in self.groups.get(group, ())
                                  if joined <= year and (left is None or year < left)))


def group_spells(memberships: list) -> dict[str, list[tuple[str, int, int | None]]]:
    """The groups of a scenario's memberships: organisation → (state, joined, left) spells."""
    out: dict[str, list[tuple[str, int, int | None]]] = {}
    for m in memberships:
        out.setdefault(m.org, []).append((m.state, m.joined, m.left))
    return out


class EventError(Exception):
    """An event that does not fit the world: the field's location, expected and found."""

    def __init__(self, loc: tuple, expected: str, found: str) -> None:
        self.loc, self.expected, self.found = loc, expected, found
        super().__init__(f"{loc}: expected {expected}, found {found}")


def schedule(event: Event, index: WorldIndex, earliest: int) -> Scheduled:
    """Check an event against the world and resolve its steps and actors; raises EventError.

    `earliest` is the first step it may happen at: 0 for a scenario's timeline (where lasting
    events may be in force from the start), the next step for an injected event.
    """
    from sim.world import CITY, REGION, STATE

    def fail(loc: tuple, expected: str, found: object) -> None:
        raise EventError(loc, expected, describe(found))

    def rows(loc: tuple, ids: list[str], kinds: tuple[int, ...], what: str) -> list[int]:
        out = []
        for k, ident in enumerate(ids):
            here = (*loc, k) if isinstance(getattr(event, loc[-1], None), list) else loc
            row = index.row.get(ident)
            if row is None or int(index.kind[row]) not in kinds:
                fail(here, what, ident)
            if row in out:
                fail(here, f"{what}, each named once", ident)
            out.append(row)
        return out

    def states(loc: tuple, ids: list[str], on: int | dt.date, leave_out: int | None = None
               ) -> list[int]:
        """Rows of the states named, a group standing for its members on the date `on` (a
        step's date, for a step). A state named and also in a group counts once; a group's
        members leave out `leave_out` (a sanction's target). The expansions are kept in
        `item.groups`."""
        day = on if isinstance(on, dt.date) else date_of(index.start, index.step_months, on)
        out: list[int] = []
        for k, ident in enumerate(ids):
            here = (*loc, k) if isinstance(getattr(event, loc[-1], None), list) else loc
            if ident in ids[:k]:
                fail(here, f"{a_state}{groups_known}, each named once", ident)
            if ident in index.row or ident not in index.groups:
                row = index.row.get(ident)
                if row is None or int(index.kind[row]) != STATE:
                    fail(here, a_state + groups_known, ident)
                if row not in out:
                    out.append(row)
                continue
            members = [m for m in index.members(ident, day) if m in index.row]
            if not members:
                fail(here, f"a group with member states on {day.isoformat()} ({ident} has none "
                     f"in {day.year})", ident)
            item.groups.setdefault(".".join(map(str, loc)), {})[ident] = (day, members)
            out += [r for r in (index.row[m] for m in members if m in index.row)
                    if r not in out and r != leave_out]
        return out

    def when(loc: tuple, value: int | dt.date, lowest: int) -> int:
        step = step_of(value, index.start, index.step_months)
        if step < lowest:
            fail(loc, f"a step or date not before step {lowest}", value)
        return step

    lasting = isinstance(event, Sanction | CustomsFacilitation)
    if event.at is None:
        if earliest == 0:
            fail(("at",), "a step or date (a scenario's events need one)", None)
        at = earliest
    else:
        at = when(("at",), event.at, earliest)
        if not lasting and at == 0:
            fail(("at",), "a step ≥ 1 or a date on or after the start", event.at)
    item = Scheduled(event=event, at=at)
    end = getattr(event, "end", None)
    if end is not None:
        item.end = when(("end",), end, 0)
        # Over before the start (end = step 0): never in force, its fade-out long past.
        over = isinstance(end, dt.date) and end < index.start
        if (not over and item.end <= at) or (
                isinstance(end, dt.date) and isinstance(event.at, dt.date) and end <= event.at):
            fail(("end",), f"a step or date after at (step {at})", end)

    state, place = (STATE,), (CITY, REGION)
    a_state, a_place = "a state of the scenario", "a city or region of the scenario"
    groups_known = f" or a group ({', '.join(sorted(index.groups))})" if index.groups else ""
    on = event.at if isinstance(event.at, dt.date) else at
    if isinstance(event, Sanction):
        target = rows(("target",), [event.target], state, a_state)[0]
        item.rows["imposers"] = states(("imposers",), event.imposers, on, leave_out=target)
        item.rows["target"] = [target]
        if target in item.rows["imposers"]:
            fail(("target",), "a state that is not among the imposers", event.target)
        if not item.rows["imposers"]:
            fail(("imposers",), "an imposer other than the target", event.imposers)
        members = set(item.rows["imposers"])
        for name, changes, out in (("join", event.join, item.joins),
                                   ("leave", event.leave, item.leaves)):
            for k, change in enumerate(changes):
                step = when((name, k, "at"), change.at, at)
                for row in states((name, k, "state"), [change.state], change.at,
                                  leave_out=target if change.state in index.groups else None):
                    if row == target:
                        fail((name, k, "state"), "a state other than the target", change.state)
                    if name == "leave" and row not in members:
                        if change.state in index.groups:
                            continue  # a group's members that never imposed have nothing to leave
                        fail((name, k, "state"), "an imposer, or a state that joined",
                             change.state)
                    out.append((row, step))
                    if name == "join":
                        members.add(row)
        item.rows["members"] = sorted(members)
    elif isinstance(event, TechnologyShock):
        item.rows["origin"] = states(("origin",), event.origin, on)
    elif isinstance(event, CustomsFacilitation):
        item.rows["states"] = states(("states",), event.states, on)
        item.rows["regions"] = rows(("regions",), event.regions, place, a_place)
        owners = {*item.rows["states"], *(int(index.state[r]) for r in item.rows["regions"])}
        if len(owners) < 2:
            fail(("regions",) if event.regions else ("states",),
                 "places in at least two different states", event.regions or event.states)
    elif isinstance(event, Summit):
        item.rows["host"] = rows(("host",), [event.host], (CITY,), "a city of the scenario")
        item.rows["participants"] = states(("participants",), event.participants, on)
        if len(item.rows["participants"]) < 2:
            fail(("participants",), "two or more participating states", event.participants)
    elif isinstance(event, Agreement):
        item.rows["a"] = rows(("a",), [event.a], place, a_place)
        item.rows["b"] = rows(("b",), [event.b], place, a_place)
        if index.state[item.rows["a"][0]] == index.state[item.rows["b"][0]]:
            fail(("b",), "a city or region of another state than a's (links cross borders)", event.b)
    elif isinstance(event, DigitalIncident):
        item.rows["state"] = rows(("state",), [event.state], state, a_state)
    elif isinstance(event, RelationShock):
        item.rows["a"] = rows(("a",), [event.a], state, a_state)
        item.rows["b"] = rows(("b",), [event.b], state, a_state)
        if item.rows["a"] == item.rows["b"]:
            fail(("b",), "a state other than a", event.b)
    return item


# ---------------------------------------------------------------- sanctions


def _spans(item: Scheduled, imposer: int) -> list[tuple[int, int | None]]:
    """The [on, off) steps during which an imposer takes part (off None: to the end)."""
    changes = [(item.at, +1)] if imposer in item.rows["imposers"] else []
    changes += [(step, +1) for row, step in item.joins if row == imposer]
    changes += [(step, -1) for row, step in item.leaves if row == imposer]
    return _spans_of(item, changes)


def _spans_of(item: Scheduled, changes: list[tuple[int, int]]) -> list[tuple[int, int | None]]:
    """The [on, off) spans that one imposer's changes (step, +1 join / −1 leave) make."""
    spans: list[tuple[int, int | None]] = []
    on = None
    for step, change in sorted(changes, key=lambda c: (c[0], -c[1])):
        if change > 0 and on is None:
            on = step
        elif change < 0 and on is not None:
            spans.append((on, step))
            on = None
    if on is not None:
        spans.append((on, None))
    if item.end is not None:
        spans = [(a, item.end if b is None else min(b, item.end)) for a, b in spans
                 if a < item.end]
    return spans


def takes_part(item: Scheduled, imposer: int, step: int) -> bool:
    """Whether a state imposes the sanction at a step (between its start or join and its leave
    or the sanction's end; a fading-out level does not count)."""
    if not item.joins and not item.leaves:
        return item.in_force(step) and imposer in item.rows["imposers"]
    return any(on <= step and (off is None or step < off) for on, off in _spans(item, imposer))


def taking_part(item: Scheduled, step: int) -> list[int]:
    """The members (`rows["members"]`, in order) that impose the sanction at a step:
    `takes_part` for each, with the joins and leaves read once."""
    imposers = set(item.rows["imposers"])
    if not item.joins and not item.leaves:
        return [m for m in item.rows["members"] if m in imposers] if item.in_force(step) else []
    if item.end is not None and step >= item.end:
        return []
    # A member that never leaves takes part from its first start (`at`, or its first join) on;
    # only those that leave need their spans.
    first = dict.fromkeys(imposers, item.at)
    for row, at in item.joins:
        first[row] = min(first.get(row, at), at)
    leaving = {row for row, _ in item.leaves}
    changes: dict[int, list[tuple[int, int]]] = {}
    if leaving:
        changes = {m: [(item.at, +1)] for m in imposers & leaving}
        for row, at in item.joins:
            if row in leaving:
                changes.setdefault(row, []).append((at, +1))
        for row, at in item.leaves:
            changes.setdefault(row, []).append((at, -1))
    return [m for m in item.rows["members"]
            if (first.get(m, step + 1) <= step if m not in leaving
                else any(on <= step and (off is None or step < off)
                         for on, off in _spans_of(item, changes[m])))]


def sanction_level(item: Scheduled, imposer: int, step: int, intensity: float,
                   step_months: int) -> float:
    """One imposer's sanction intensity at a step (docs/model.md, "Events"):

        ramp-in:   x(t) = I · min(1, (t − t_on + 1)/n)           for t_on ≤ t < t_off
        fade-out:  x(t) = x(t_off − 1) · 2^(−(t − t_off + 1)·m/h)  for t ≥ t_off

    with n = ⌈ramp_months/m⌉ steps of m months (none: at once) and h = fade_months (0: at once).
    An imposer takes part from `at` or its join until `end` or its leave; a sanction in force
    at step 0 starts fully ramped in.
    """
    sanction: Sanction = item.event
    n_ramp = math.ceil(sanction.ramp_months / step_months)
    level = 0.0
    for on, off in _spans(item, imposer):
        def ramp(t: int, on: int = on) -> float:
            return 1.0 if n_ramp == 0 or on == 0 else min(1.0, (t - on + 1) / n_ramp)

        if step < on:
            continue
        if off is None or step < off:
            level = max(level, intensity * ramp(step))
        elif sanction.fade_months > 0:
            gone = (step - off + 1) * step_months / sanction.fade_months
            level = max(level, intensity * ramp(off - 1) * 2.0 ** -gone)
    return level


@dataclass
class SanctionLayers:
    """The S×S layers sanctions give at a step: `political` (imposer i on target j, any kind)
    and `trade` (on the flow from exporter i to importer j)."""

    political: np.ndarray
    trade: np.ndarray


def sanction_layers(
    items: list[Scheduled],
    step: int,
    n_states: int,
    step_months: int,
    partial: float,
    trade_weight: dict[str, float],
) -> SanctionLayers:
    """Every sanction at a step, combined: on one pair intensities x_k compound as 1 − Π(1 − x_k).

    A trade sanction weighs 1 on the flows its direction names (export: imposer → target,
    import: target → imposer, both); the other kinds weigh `trade_weight[kind]` both ways.
    Every item's members and levels are gathered first, then each layer's products are taken
    in one pass (`np.multiply.at`).
    """
    cells: dict[str, list[np.ndarray]] = {"political": [], "trade": []}
    shares: dict[str, list[np.ndarray]] = {"political": [], "trade": []}

    def add(layer: str, rows: np.ndarray, cols: np.ndarray, x: np.ndarray) -> None:
        cells[layer].append(rows * n_states + cols)
        shares[layer].append(x)

    for item in items:
        event: Sanction = item.event
        members = np.asarray(item.rows["members"], dtype=np.int64)
        x = _member_levels(item, members, step, sanction_intensity(event, partial), step_months)
        members, x = members[x > 0.0], x[x > 0.0]
        if not len(members):
            continue
        target = np.full(len(members), item.rows["target"][0], dtype=np.int64)
        add("political", members, target, x)
        for out, back in flow_weights(event, trade_weight):
            if out > 0.0:
                add("trade", members, target, out * x)
            if back > 0.0:
                add("trade", target, members, back * x)
    layers = {}
    for layer, where in cells.items():
        spared = np.ones(n_states * n_states)  # Π(1 − x) on each cell
        if where:
            np.multiply.at(spared, np.concatenate(where), 1.0 - np.concatenate(shares[layer]))
        layers[layer] = (1.0 - spared).reshape(n_states, n_states)
    return SanctionLayers(political=layers["political"], trade=layers["trade"])


def sanction_intensity(event: Sanction, partial: float) -> float:
    """The intensity a sanction's imposers apply: its own, else 1 if complete, `partial` if not."""
    if event.intensity is not None:
        return event.intensity
    return 1.0 if event.scope == "complete" else partial


def flow_weights(event: Sanction, trade_weight: dict[str, float]) -> list[tuple[float, float]]:
    """Per kind of the sanction, its weight on the imposer's exports to the target and on its
    imports from it: a trade sanction 1 on the flows its direction names, another kind
    `trade_weight[kind]` both ways."""
    weights = []
    for kind in event.kinds:
        if kind == "trade":
            weights.append((float(event.direction in ("export", "both")),
                            float(event.direction in ("import", "both"))))
        else:
            weights.append((trade_weight[kind], trade_weight[kind]))
    return weights


def level_changes(item: Scheduled, step: int, step_months: int) -> bool:
    """Whether any imposer's `sanction_level` at `step` may differ from the one at step − 1:
    at the step it starts, while it ramps in, at its end or leave, and while it fades out."""
    event: Sanction = item.event
    n_ramp = max(1, math.ceil(event.ramp_months / step_months))
    members = item.rows["members"] if item.joins or item.leaves else item.rows["members"][:1]
    for member in members:
        for on, off in _spans(item, member):
            if on <= step < on + n_ramp:
                return True
            if off is not None and (step == off or (step > off and event.fade_months > 0)):
                return True
    return False


def _member_levels(item: Scheduled, members: np.ndarray, step: int, intensity: float,
                   step_months: int) -> np.ndarray:
    """`sanction_level` of each member; one call serves them all when nobody joins or leaves
    (every imposer then takes part over the same steps)."""
    if not item.joins and not item.leaves:
        return np.full(len(members), sanction_level(item, int(members[0]), step, intensity,
                                                    step_months) if len(members) else 0.0)
    return np.array([sanction_level(item, int(m), step, intensity, step_months)
                     for m in members])


def facilitation_layer(items: list[Scheduled], step: int, index: WorldIndex, n_states: int,
                       sigma: float) -> np.ndarray:
    """Log-trade gain f_ij = −(σ − 1)·ln(1 − cut) of customs facilitation in force, between
    every pair of the states named or owning the regions named (the largest if several)."""
    gain = np.zeros((n_states, n_states))
    for item in items:
        if not item.in_force(step):
            continue
        owners = sorted({*item.rows["states"], *(int(index.state[r]) for r in item.rows["regions"])})
        value = -(sigma - 1.0) * math.log1p(-item.event.cost_cut)
        block = np.ix_(owners, owners)
        gain[block] = np.maximum(gain[block], value)
    np.fill_diagonal(gain, 0.0)
    return gain
