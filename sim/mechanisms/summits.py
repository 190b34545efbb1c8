"""City diplomacy (phase 2): capitals bid to host summits and talks, and gain weight by it;
forums meet on their calendars, the chair rotating among their members."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import events
from sim.errors import InputError, describe
from sim.params import CitiesParams
from sim.scenario import ScenarioSpec, forum_members
from sim.world import CITY, World


def starting_weights(world: World, params: CitiesParams) -> None:
    """Cities start at their standing weight (`standing_weights`)."""
    world.actors.diplomatic_weight = standing_weights(world, params)


def standing_weights(world: World, params: CitiesParams) -> np.ndarray:
    """The weight a city has without summits, and returns to after them: `capital_weight` for
    a capital, `city_weight` for another city (guesses), 0 for other actors."""
    a = world.actors
    return np.where(
        a.kind == CITY, np.where(a.is_capital, params.capital_weight, params.city_weight), 0.0
    )


def choose_parties(world: World, params: CitiesParams, rng: np.random.Generator
                   ) -> tuple[np.ndarray, bool]:
    """The states that meet. If some pairs are below `talks_below`, talks between one of them
    with probability 1/2, drawn in proportion to how far below it is times the fourth root of
    the product of their GDPs (the worst conflicts of the largest economies likeliest, but not
    every time: paper 001's Astana hosted talks on Iran and on Syria); otherwise, or else,
    a summit of a bloc of two or more, drawn in proportion to its size (the six-state EAEU
    meets more often than the two-state bloc of the Gulf). Guesses, both. Returns the parties
    and whether they hold talks (at a neutral venue) rather than a summit (at a member's)."""
    relations, s = world.pairs.relations, world.n_states
    i, j = np.triu_indices(s, k=1)
    below = params.talks_below - relations[i, j]
    hostile = np.flatnonzero(below > 0.0)
    labels, sizes = np.unique(world.nations.bloc, return_counts=True)
    blocs, sizes = labels[sizes >= 2], sizes[sizes >= 2]
    talks = len(hostile) > 0 and (len(blocs) == 0 or rng.random() < 0.5)
    if talks:
        gdp = world.actors.gdp[:s]
        weight = below[hostile] * (gdp[i[hostile]] * gdp[j[hostile]]) ** 0.25
        pick = hostile[rng.choice(len(hostile), p=weight / weight.sum())]
        return np.array([i[pick], j[pick]], dtype=np.int32), True
    if len(blocs) == 0:
        return np.zeros(0, dtype=np.int32), False
    chosen = blocs[rng.choice(len(blocs), p=sizes / sizes.sum())]
    return np.flatnonzero(world.nations.bloc == chosen).astype(np.int32), False


def prestige_bids(world: World, params: CitiesParams, multi_vector: np.ndarray | None
                  ) -> np.ndarray:
    """(C,) each city's wish for prestige: `prestige` for a capital of a multi-vector state
    (rows; None: none) (paper 001: Astana hosts to raise Kazakhstan's standing between the
    blocs), else 0."""
    cities = np.flatnonzero(world.actors.kind == CITY)
    eager = np.zeros(world.n_states, dtype=bool)
    if multi_vector is not None:
        eager[multi_vector] = True
    state = world.actors.state[cities]
    return np.where(world.actors.is_capital[cities] & eager[state], params.prestige, 0.0)


def forum_venue(
    world: World,
    params: CitiesParams,
    kernels,
    parties: np.ndarray,
    hostile_below: float,
    multi_vector: np.ndarray | None,
    chaired: np.ndarray,
    now: float,
    horizon: float,
    opened: float,
) -> int | None:
    """The column (among the cities) of the capital that chairs a forum's summit, or None if
    none can. The members' capitals bid as for a bloc's summit (`host_scores` on standing
    weights, with the prestige bids), each against the other members, plus their turn
    (now − t_c)/horizon: a capital whose state is hostile to a member (a party to a conflict
    among the members) cannot chair, but a conflict between two members does not bar the
    others' capitals. The turn is the forum's own, and grows without bound while a member
    waits: t_c is when the city last chaired this forum (`chaired`, (C,) years since the
    start; −∞ if never, which counts as `horizon` years before the forum's first summit of
    the run, `opened`); what else a city hosted does not delay it."""
    actors = world.actors
    cities = np.flatnonzero(actors.kind == CITY)
    state, capital = actors.state[cities], actors.is_capital[cities]
    weight = standing_weights(world, params)[cities]
    since = np.where(np.isneginf(chaired), opened - horizon, chaired)
    bids = prestige_bids(world, params, multi_vector) + (now - since) / horizon
    scores = np.full(len(cities), -np.inf)
    for column in np.flatnonzero(capital & np.isin(state, parties)):
        one = slice(column, column + 1)
        others = parties[parties != state[column]].astype(np.int32)
        scores[column] = kernels.host_scores(
            weight[one], state[one], capital[one], world.pairs.relations, others,
            params.capital_bonus, hostile_below, bids[one],
        )[0]
    return int(np.argmax(scores)) if (scores > -np.inf).any() else None


@dataclass(eq=False)
class ForumSummit:
    """A forum's summit due this step: its member states (rows), who all attend, the years
    over which a member's turn to chair comes back, when each city last chaired the forum
    ((C,), updated when it is held) and when its first summit of the run met (years since
    the start); `host` is set when it is held (the chair's city row; None if no member's
    capital could host)."""

    name: str
    parties: np.ndarray
    horizon: float
    chaired: np.ndarray
    opened: float
    host: int | None = None


@dataclass(eq=False)
class Forum:
    """A forum's calendar on the Mesa event list (model time = steps since the start): its
    k-th summit is at `first + k·every` (`every` = every_years in steps), which falls in the
    step whose period contains it. Called by Mesa at that time, it puts the summit on `due`
    (the model's list, read by the next step's city diplomacy) and schedules the next one,
    in a later step: a forum meets at most once a step."""

    name: str
    # (state row, year joined, year left; None: no bound): its members' spells.
    spells: list[tuple[int, int | None, int | None]]
    every_years: float
    every: float
    first: float
    start: dt.date
    step_months: int
    due: list[tuple[Forum, int]]
    chaired: np.ndarray  # (C,) when each city last chaired it, years since the start (−∞: never)
    skip: set[int] = field(default_factory=set)  # summits a scripted one stands for
    # The scripted summits that stand for its own: their steps and hosts (city columns).
    scripted: dict[int, int] = field(default_factory=dict)
    opened: float = 0.0  # when its first summit of the run meets, years since the start
    model: object = None
    k: int = 0  # the summit on the event list

    def at(self, k: int) -> float:
        return self.first + k * self.every

    def step_of(self, k: int) -> int:
        """The step that holds the k-th summit (step t covers model times [t − 1, t))."""
        return math.floor(self.at(k)) + 1

    def next_after(self, time: float) -> int:
        """The first summit at or after model time `time`."""
        k = max(0, math.ceil((time - self.first) / self.every))
        while k > 0 and self.at(k - 1) >= time:
            k -= 1
        while self.at(k) < time:
            k += 1
        return k

    def schedule(self, model, k: int | None = None) -> None:
        """Put the k-th summit (None: the first at or after the start) on the model's event
        list (`mesa.Model.schedule_event`)."""
        self.model = model
        k = self.next_after(-1e-9) if k is None else k
        self.k = k
        model.schedule_event(self, at=max(self.at(k), model.time))

    def __call__(self) -> None:
        k = self.k
        if k not in self.skip:
            self.due.append((self, k))
        self.schedule(self.model, max(k + 1, self.next_after(math.floor(self.at(k)) + 1.0)))

    def chair_scripted(self, step: int, now: float) -> None:
        """A scripted summit standing for the forum's at this step: its host chaired it."""
        if step in self.scripted:
            self.chaired[self.scripted[step]] = now

    def summit(self, k: int) -> ForumSummit:
        """The k-th summit: the members in the year of its date."""
        year = date_at(self.start, self.step_months, self.at(k)).year
        rows = sorted({row for row, joined, left in self.spells
                       if (joined is None or joined <= year) and (left is None or year < left)})
        return ForumSummit(self.name, np.array(rows, dtype=np.int32),
                           max(len(rows), 1) * self.every_years, self.chaired, self.opened)


def model_time(when: dt.date, start: dt.date, step_months: int) -> float:
    """Model time (steps since the start) of a date: s + the share of step s + 1's period
    elapsed, date_of(s) ≤ when < date_of(s + 1); negative before the start."""
    months = (when.year - start.year) * 12 + when.month - start.month
    s = months // step_months
    while events.date_of(start, step_months, s) > when:
        s -= 1
    while events.date_of(start, step_months, s + 1) <= when:
        s += 1
    a, b = events.date_of(start, step_months, s), events.date_of(start, step_months, s + 1)
    return s + (when - a).days / (b - a).days


def date_at(start: dt.date, step_months: int, time: float) -> dt.date:
    """The date at a model time (the inverse of `model_time`, to the day)."""
    s = math.floor(time)
    a, b = events.date_of(start, step_months, s), events.date_of(start, step_months, s + 1)
    return a + dt.timedelta(days=int((time - s) * (b - a).days))


def forums(spec: ScenarioSpec, row: dict[str, int], state_rows: set[int],
           city_rows: np.ndarray, timeline: list[events.Scheduled],
           due: list[tuple[Forum, int]], source: str | Path) -> list[Forum]:
    """The scenario's forums on this world (`row`: actor rows by id; `city_rows` the cities'
    rows, in order). A member that is not a state of the world is an InputError naming
    `source` (a synthetic world's ids are known only now). A summit of the timeline that a
    forum names in `scripted` stands for its summit nearest it (the earlier of two as near),
    which is not held; its host counts as having chaired the forum."""
    start, months = spec.scenario.start, spec.scenario.step_months
    every_step = 12.0 / months
    orgs = {m.org for m in spec.memberships}
    out = []
    for i, forum in enumerate(spec.forums):
        for j, entry in enumerate(forum.members):
            if entry not in orgs and row.get(entry) not in state_rows:
                raise InputError(source, f"forums[{i}].members[{j}]", "a state of the scenario",
                                 describe(entry))
        spells = [(row[state], joined, left)
                  for state, joined, left in forum_members(forum, spec.memberships)]
        first = (forum.every_years * every_step if forum.first is None
                 else model_time(forum.first, start, months))
        calendar = Forum(forum.name, spells, forum.every_years, forum.every_years * every_step,
                         first, start, months, due, np.full(len(city_rows), -np.inf))
        held = calendar.next_after(-1e-9)
        calendar.opened = calendar.step_of(held) * months / 12.0
        for item in timeline:
            if isinstance(item.event, events.Summit) and item.event.name in forum.scripted:
                k = calendar.next_after(item.at - 1.0)
                near = [n for n in (k - 1, k) if n >= held]
                calendar.skip.add(min(near, key=lambda n: abs(calendar.step_of(n) - item.at)))
                column = int(np.searchsorted(city_rows, item.rows["host"][0]))
                calendar.scripted[item.at] = column
        out.append(calendar)
    return out


def update(
    world: World,
    params: CitiesParams,
    kernels,
    rng: np.random.Generator,
    dt: float,
    scheduled: list[tuple[int, list[int]]] = (),
    hostile_below: float = 0.0,
    multi_vector: np.ndarray | None = None,
    last_hosted: np.ndarray | None = None,
    now: float = 0.0,
    forum_summits: Sequence[ForumSummit] = (),
) -> list[int]:
    """Maybe hold a summit this step, then the `scheduled` ones (host city row, participant
    state rows), then the `forum_summits` due (each chaired by `forum_venue`, its host set on
    it, or skipped if no member's capital can host or it has fewer than two members that
    year); weights relax to the standing weights (`standing_weights`) and ties decay.
    Returns the hosts' rows. Relations below `hostile_below` are hostility
    (`relations.hostile_below`, as for blocs). The venue is the best bid (`host_scores`), the
    capitals of `multi_vector` states (rows) bidding for prestige. Talks go to the best neutral
    venue, its diplomatic weight counting; a bloc's summit to one of its members' cities, the
    chair rotating: a city's standing weight counts, not what it gained by hosting, and its
    turn comes back over `rotation_years` (`last_hosted`, (C,) years since the start of the
    run when each city last hosted, updated here; `now`, the years since the start).

    The drawn summit goes through the kernel with the step's Δt, each scheduled one and each
    forum's after it with Δt = 0, so that every summit adds its own ties and weight and nothing
    decays twice. Forums draw nothing from `rng`.
    """
    actors, pairs = world.actors, world.pairs
    cities = np.flatnonzero(actors.kind == CITY)
    hosted = np.zeros(len(cities))
    participants = np.zeros(world.n_states, dtype=bool)
    host = None
    if rng.random() < 1.0 - np.exp(-params.summit_rate * dt):
        parties, talks = choose_parties(world, params, rng)
        if len(parties) >= 2:
            weight = actors.diplomatic_weight[cities]
            bids = prestige_bids(world, params, multi_vector)
            if not talks:
                weight = standing_weights(world, params)[cities]
                if last_hosted is not None:
                    bids = bids + np.minimum(1.0, (now - last_hosted) / params.rotation_years)
            scores = kernels.host_scores(
                weight,
                actors.state[cities],
                actors.is_capital[cities],
                pairs.relations,
                parties,
                params.capital_bonus,
                hostile_below,
                bids,
            )
            if not talks:  # a bloc meets in one of its members' cities
                scores[~np.isin(actors.state[cities], parties)] = -np.inf
            if np.isfinite(scores).any():
                best = int(np.argmax(scores))
                hosted[best] = len(parties)
                participants[parties] = True
                host = int(cities[best])
                if last_hosted is not None:
                    last_hosted[best] = now
    hosts = [] if host is None else [host]
    column = {int(row): k for k, row in enumerate(cities)}
    summits = [(hosted, participants, dt)]
    for host_row, parties in scheduled:
        hosted = np.zeros(len(cities))
        hosted[column[host_row]] = len(parties)
        if last_hosted is not None:
            last_hosted[column[host_row]] = now
        participants = np.zeros(world.n_states, dtype=bool)
        participants[parties] = True
        summits.append((hosted, participants, 0.0))
        hosts.append(host_row)
    for meeting in forum_summits:
        if len(meeting.parties) < 2:  # a forum of one that year does not meet
            continue
        best = forum_venue(world, params, kernels, meeting.parties, hostile_below, multi_vector,
                           meeting.chaired, now, meeting.horizon, meeting.opened)
        if best is None:
            continue
        meeting.host = int(cities[best])
        meeting.chaired[best] = now
        if last_hosted is not None:
            last_hosted[best] = now
        hosted = np.zeros(len(cities))
        hosted[best] = len(meeting.parties)
        participants = np.zeros(world.n_states, dtype=bool)
        participants[meeting.parties] = True
        summits.append((hosted, participants, 0.0))
        hosts.append(meeting.host)
    # The kernel's weight decays to 0; given the excess over the standing weight, it makes
    # the weight relax to the standing weight instead (the update is linear in the weight).
    standing = standing_weights(world, params)[cities]
    for hosted, participants, step_dt in summits:
        excess, pairs.summit_ties = kernels.city_diplomacy_step(
            actors.diplomatic_weight[cities] - standing,
            hosted,
            params.gain,
            params.decay,
            pairs.summit_ties,
            participants,
            params.ties_decay,
            step_dt,
            params.weight_ceiling,
        )
        actors.diplomatic_weight[cities] = standing + excess
    return hosts
