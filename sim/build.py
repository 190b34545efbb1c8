"""Build a World from a scenario's listed actors and links."""

from __future__ import annotations

import numpy as np

from sim.scenario import CHANNELS, ScenarioSpec
from sim.world import (
    CITY,
    LINK_KINDS,
    REGION,
    STATE,
    ActorLinks,
    Actors,
    StatePairs,
    World,
    state_distances,
)


def build_world(spec: ScenarioSpec) -> World:
    """Arrays for the actors and links a (validated) scenario lists.

    A state sits at its capital. A city or region without an inline GDP gets its state's GDP
    per head times its population (a guess: docs/model.md, "Actors").
    """
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
    contiguity = np.zeros((n, n), dtype=bool)
    for s in states:
        for other in s.borders:
            contiguity[index[s.id], index[other]] = contiguity[index[other], index[s.id]] = True
    agreement = np.zeros((n, n), dtype=bool)
    for ta in spec.trade_agreements:
        members = [index[m] for m in ta.members]
        agreement[np.ix_(members, members)] = True
    np.fill_diagonal(agreement, False)
    pairs = StatePairs(
        distance_km=state_distances(actors.lat[:n], actors.lon[:n],
                                    np.array([s.area_km2 for s in states])),
        contiguity=contiguity,
        agreement=agreement,
        sanction=np.zeros((n, n)),
        trade=np.zeros((n, n)),
    )
    return World(actors=actors, pairs=pairs, links=_links(spec, actors), n_states=n)


def _links(spec: ScenarioSpec, actors: Actors) -> ActorLinks:
    row = {actor_id: i for i, actor_id in enumerate(actors.ids)}
    e = len(spec.links)
    channels = np.zeros(e, dtype=np.uint8)
    strength = np.zeros((e, len(CHANNELS)), dtype=np.float32)
    for k, link in enumerate(spec.links):
        for name in link.channels:
            c = CHANNELS.index(name)
            channels[k] |= 1 << c
            strength[k, c] = link.strength
    return ActorLinks(
        ends=np.array([(row[lk.a], row[lk.b]) for lk in spec.links], dtype=np.int32).reshape(-1, 2),
        kind=np.array([LINK_KINDS.index(lk.kind) for lk in spec.links], dtype=np.int8),
        since=np.array([lk.since or 0 for lk in spec.links], dtype=np.int16),
        channels=channels,
        strength=strength,
        n_actors=len(actors),
    )
