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
    capital = {c.id: c for c in cities}
    index = {s.id: i for i, s in enumerate(states)}
    per_head = np.array([s.gdp_usd / s.population for s in states])

    rows = [(s, STATE, index[s.id], capital[s.capital].lat, capital[s.capital].lon)
            for s in states]
    rows += [(c, CITY, index[c.state], c.lat, c.lon) for c in cities]
    rows += [(r, REGION, index[r.state], r.lat, r.lon) for r in regions]
    population = np.array([a.population for a, *_ in rows], dtype=np.float64)
    owner = np.array([st for _, _, st, _, _ in rows], dtype=np.int32)
    gdp = np.array([a.gdp_usd if a.gdp_usd is not None else np.nan for a, *_ in rows])
    gdp = np.where(np.isnan(gdp), per_head[owner] * population, gdp)
    actors = Actors(
        ids=np.array([a.id for a, *_ in rows]),
        names=np.array([a.name for a, *_ in rows]),
        kind=np.array([k for _, k, *_ in rows], dtype=np.int8),
        state=owner,
        lat=np.array([la for *_, la, _ in rows], dtype=np.float64),
        lon=np.array([lo for *_, lo in rows], dtype=np.float64),
        population=population,
        gdp=gdp,
        is_capital=np.array([getattr(a, "capital", False) is True for a, *_ in rows]),
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
