"""Build a World from a scenario's listed actors and links."""

from __future__ import annotations

import numpy as np

from sim import mechanisms
from sim.params import ParadiplomacyParams, Params
from sim.scenario import ScenarioSpec
from sim.schema import CHANNELS
from sim.world import (
    CITY,
    LINK_KINDS,
    REGION,
    STATE,
    ActorLinks,
    Actors,
    Nations,
    StatePairs,
    World,
    great_circle_km,
    state_distances,
)

TWINNING_CHANNELS = ("cultural", "local_authority")


def build_world(spec: ScenarioSpec, params: Params | None = None) -> World:
    """Arrays for the actors and links a (validated) scenario lists.

    A state sits at its capital. A city or region without an inline GDP gets its state's GDP
    per head times its population (a guess: docs/model.md, "Actors"). Pairs of states take
    their distance and ties from `state_pairs` where the scenario lists them, else the distance
    between capitals and the `borders` of each state.
    """
    params = params or spec.params
    states, cities, regions = spec.states, spec.cities, spec.regions
    city_by_id = {c.id: c for c in cities}
    index = {s.id: i for i, s in enumerate(states)}
    per_head = np.array([s.gdp_usd / s.population for s in states])
    capitals = [city_by_id[s.capital] for s in states]

    everyone = [*states, *cities, *regions]
    owner = np.array([index[s.id] for s in states] + [index[a.state] for a in (*cities, *regions)],
                     dtype=np.int32)
    population = np.array([a.population for a in everyone], dtype=np.float64)
    gdp = np.array([np.nan if a.gdp_usd is None else a.gdp_usd for a in everyone])
    gdp = np.where(np.isnan(gdp), per_head[owner] * population, gdp)
    actors = Actors(
        ids=np.array([a.id for a in everyone]),
        names=np.array([a.name for a in everyone]),
        kind=np.repeat(np.array([STATE, CITY, REGION], dtype=np.int8),
                       [len(states), len(cities), len(regions)]),
        state=owner,
        lat=np.array([c.lat for c in capitals] + [a.lat for a in (*cities, *regions)]),
        lon=np.array([c.lon for c in capitals] + [a.lon for a in (*cities, *regions)]),
        population=population,
        gdp=gdp,
        is_capital=np.array([False] * len(states) + [c.capital for c in cities]
                            + [False] * len(regions), dtype=bool),
    )
    n = len(states)
    ties = _pair_layers(spec, index, actors)
    agreement = _agreements(spec, index)
    member = _members(spec, index)
    listed = np.full((n, n), np.nan)
    for pair in spec.relations:
        i, j = index[pair.a], index[pair.b]
        listed[i, j] = listed[j, i] = pair.baseline
    affinity = mechanisms.relations.affinity(
        agreement, ties["defence"], ties["alliance"], member @ member.T, ties["rivalry"],
        params.relations,
    )
    pairs = StatePairs(
        distance_km=ties["distance_km"],
        contiguity=ties["contiguity"],
        agreement=agreement,
        sanction=np.zeros((n, n)),
        trade=np.zeros((n, n)),
        relations_baseline=mechanisms.relations.starting_baseline(
            affinity, listed, np.zeros((n, n)), params.relations),
        common_language=ties["common_language"],
        colony=ties["colony"],
        affinity=affinity,
        listed_baseline=listed,
    )
    links = _links(spec, actors, params.paradiplomacy)
    partners = (ties["defence"] | ties["alliance"]).sum(axis=1)
    nations = build_nations(spec, params, actors, n, ties=member.sum(axis=1) + partners)
    return World(actors=actors, pairs=pairs, links=links, nations=nations, n_states=n)


PAIR_FLAGS = ("contiguity", "common_language", "colony", "defence", "alliance", "rivalry")


def _pair_layers(spec: ScenarioSpec, index: dict[str, int], actors: Actors) -> dict:
    """Distance (km, internal distance on the diagonal) and the boolean ties of every pair of
    states: from `state_pairs` where listed, else capitals' distance and `borders`."""
    states, n = spec.states, len(spec.states)
    distance = state_distances(actors.lat[:n], actors.lon[:n],
                               np.array([s.area_km2 for s in states]))
    for i, s in enumerate(states):
        if s.internal_km is not None:
            distance[i, i] = s.internal_km
    layers = {flag: np.zeros((n, n), dtype=bool) for flag in PAIR_FLAGS}
    for s in states:
        for other in s.borders:
            layers["contiguity"][index[s.id], index[other]] = True
    for pair in spec.state_pairs:
        i, j = index[pair.a], index[pair.b]
        distance[i, j] = distance[j, i] = pair.distance_km
        for flag in PAIR_FLAGS:
            if getattr(pair, flag):
                layers[flag][i, j] = True
    for flag in PAIR_FLAGS:
        layers[flag] |= layers[flag].T
        np.fill_diagonal(layers[flag], False)
    layers["distance_km"] = distance
    return layers


def _agreements(spec: ScenarioSpec, index: dict[str, int]) -> np.ndarray:
    """Pairs of states in a common trade agreement in force at the start (S×S bool)."""
    n, year = len(spec.states), spec.scenario.start.year
    agreement = np.zeros((n, n), dtype=bool)
    for ta in spec.trade_agreements:
        if ta.since is None or ta.since <= year:
            members = [index[m] for m in ta.members]
            agreement[np.ix_(members, members)] = True
    np.fill_diagonal(agreement, False)
    return agreement


def _members(spec: ScenarioSpec, index: dict[str, int]) -> np.ndarray:
    """States × organisations: 1.0 where the state is a member at the start."""
    year = spec.scenario.start.year
    current = [m for m in spec.memberships
               if m.joined <= year and (m.left is None or year < m.left)]
    orgs = sorted({m.org for m in current})
    member = np.zeros((len(spec.states), len(orgs)))
    for m in current:
        member[index[m.state], orgs.index(m.org)] = 1.0
    return member


def _links(spec: ScenarioSpec, actors: Actors, params: ParadiplomacyParams) -> ActorLinks:
    """The listed links, then dormant candidates: pairs that may form a link later.

    Candidates are pairs of regions of different states within `candidate_km` of each other,
    nearest first, up to each region's `partner_slots` (all five channels), and cities of
    different states (twinning: cultural and local-authority channels).
    """
    row = {actor_id: i for i, actor_id in enumerate(actors.ids)}
    listed = np.array([(row[lk.a], row[lk.b]) for lk in spec.links], dtype=np.int32).reshape(-1, 2)
    e = len(spec.links)
    channels = np.zeros(e, dtype=np.uint8)
    strength = np.zeros((e, len(CHANNELS)))
    for k, link in enumerate(spec.links):
        for name in link.channels:
            c = CHANNELS.index(name)
            channels[k] |= 1 << c
            strength[k, c] = np.nan if link.strength is None else link.strength

    regions = np.flatnonzero(actors.kind == REGION)
    cities = np.flatnonzero(actors.kind == CITY)
    slots = partner_slots(actors.gdp[regions], params)
    region_pairs = _nearest_abroad(regions, actors, params.candidate_km, slots, listed)
    city_pairs = _cross_border_pairs(cities, actors.state, np.ones((len(cities),) * 2, bool))
    taken = {tuple(sorted(p)) for p in listed.tolist()}
    candidates = [(p, kind) for pairs, kind in ((region_pairs, 0), (city_pairs, 1))
                  for p in pairs.tolist() if tuple(p) not in taken]
    all_bits = (1 << len(CHANNELS)) - 1
    twin_bits = sum(1 << CHANNELS.index(c) for c in TWINNING_CHANNELS)
    m = len(candidates)
    return ActorLinks(
        ends=np.concatenate([listed, np.array([p for p, _ in candidates],
                                              dtype=np.int32).reshape(-1, 2)]),
        kind=np.concatenate([[LINK_KINDS.index(lk.kind) for lk in spec.links],
                             [k for _, k in candidates]]).astype(np.int8),
        since=np.concatenate([[lk.since or 0 for lk in spec.links], np.zeros(m)]).astype(np.int16),
        channels=np.concatenate([channels, [twin_bits if k else all_bits for _, k in candidates]]
                                ).astype(np.uint8),
        strength=np.concatenate([strength, np.zeros((m, len(CHANNELS)))]),
        diaspora=np.concatenate([[lk.diaspora for lk in spec.links], np.zeros(m)]),
        n_actors=len(actors),
    )


def partner_slots(gdp: np.ndarray, params: ParadiplomacyParams) -> np.ndarray:
    """How many partners abroad each region may take: k·(GDP/GDP_ref)^ε, rounded, at least one.

    A region the size of Pavlodar oblast (about $10 bn) has six (paper 004); larger economies
    sign more (Bavaria, Catalonia, Tatarstan lead), and a municipality of a few thousand people
    one or two (docs/model.md, "Paradiplomacy"; ε is a guess).
    """
    scaled = params.candidate_partners * (gdp / params.partners_reference_gdp) ** (
        params.partners_gdp_elasticity)
    return np.maximum(np.rint(scaled), 1).astype(np.int64)


def _nearest_abroad(rows: np.ndarray, actors: Actors, reach_km: float, slots: np.ndarray,
                    listed: np.ndarray) -> np.ndarray:
    """Pairs (a < b) of regions of different states within `reach_km`, taken nearest first
    while both ends have a free slot (`slots` a region; its listed links fill some).

    A border region has agreements with a handful of neighbours across the border (paper 004:
    Pavlodar and Omsk about six each), not with every region within reach; the slots bind both
    ends, so that a Croatian county facing Slovenia's 212 municipalities does not collect a
    hundred partners.
    """
    km = great_circle_km(actors.lat[rows], actors.lon[rows])
    i, j = np.triu_indices(len(rows), k=1)
    d = km[i, j]
    keep = (actors.state[rows[i]] != actors.state[rows[j]]) & (d <= reach_km)
    i, j, d = i[keep], j[keep], d[keep]
    order = np.lexsort((j, i, d))
    position = {int(r): p for p, r in enumerate(rows)}
    degree = np.zeros(len(rows), dtype=np.int64)
    for a, b in listed.tolist():
        for r in (a, b):
            if r in position:
                degree[position[r]] += 1
    listed_pairs = {tuple(sorted(p)) for p in listed.tolist()}
    taken = []
    for a, b in zip(i[order].tolist(), j[order].tolist(), strict=True):
        pair = (int(rows[a]), int(rows[b]))
        if degree[a] < slots[a] and degree[b] < slots[b] and pair not in listed_pairs:
            degree[a] += 1
            degree[b] += 1
            taken.append(pair)
    return np.array(taken, dtype=np.int32).reshape(-1, 2)


def _cross_border_pairs(rows: np.ndarray, owner: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Pairs (a < b) of the given rows that belong to different states, where `allowed`."""
    i, j = np.triu_indices(len(rows), k=1)
    keep = allowed[i, j] & (owner[rows[i]] != owner[rows[j]])
    return np.stack([rows[i[keep]], rows[j[keep]]], axis=1).astype(np.int32)


def build_nations(
    spec: ScenarioSpec, params: Params, actors: Actors, n_states: int,
    ties: np.ndarray | None = None,
) -> Nations:
    """Per-state starting values: technology waves, digital diplomacy, reputation, ties
(organisations and allies), and the data the trade and growth calibrations use.

    States without digital figures in the scenario start with a presence of
    `digital.initial_share` of their ceiling and middling capacity, quality and risk management
    (guesses: docs/model.md, "Digital diplomacy").
    """
    ids = list(actors.ids[:n_states])
    waves = spec.technology_waves
    adoption = np.zeros((n_states, len(waves)))
    for w, wave in enumerate(waves):
        for origin in wave.origin:
            adoption[ids.index(origin), w] = wave.initial_adoption
    start = spec.scenario.start
    months = [0 if w.start is None else (w.start.year - start.year) * 12 + w.start.month
              - start.month for w in waves]
    start_step = np.array([max(0, -(-m // spec.scenario.step_months)) for m in months])
    digital = params.digital
    ceiling = digital.ceiling_per_person * actors.population[:n_states]
    audience = digital.initial_share * ceiling
    capacity = np.full(n_states, digital.default_capacity)
    quality = np.full(n_states, digital.default_quality)
    risk = np.full(n_states, digital.default_risk_management)
    investment = np.zeros(n_states)
    for entry in spec.digital:
        i = ids.index(entry.state)
        audience[i] = entry.audience
        ceiling[i] = max(ceiling[i], entry.audience)
        capacity[i] = digital.default_capacity if entry.capacity is None else entry.capacity
        quality[i] = digital.default_quality if entry.quality is None else entry.quality
        risk[i] = digital.default_risk_management if entry.risk_management is None \
            else entry.risk_management
        investment[i] = entry.investment
    return Nations(
        adoption=adoption,
        wave_start_step=start_step,
        wave_strength=np.array([wave.strength for wave in waves]),
        audience=audience,
        audience_ceiling=ceiling,
        digital_capacity=capacity,
        content_quality=quality,
        digital_investment=investment,
        risk_management=risk,
        reputation_baseline=mechanisms.soft_power.reputation_baseline(
            actors.gdp[:n_states] / actors.population[:n_states], params.soft_power),
        ties=np.zeros(n_states) if ties is None else ties.astype(float),
        exports_share=_state_column(spec, n_states, "exports_share"),
        growth_trend=_state_column(spec, n_states, "growth_trend"),
    )


def _state_column(spec: ScenarioSpec, n_states: int, name: str) -> np.ndarray:
    """A per-state value of the listed states, NaN where a state has none (or in a synthetic
    world, which lists none)."""
    if not spec.states:
        return np.full(n_states, np.nan)
    return np.array([np.nan if getattr(s, name) is None else getattr(s, name)
                     for s in spec.states])
