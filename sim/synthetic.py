"""A generated world of any size, for tests and benchmarks (docs/model.md, "Synthetic world").

Everything is drawn from the model's Generator with whole-array draws, so a world of 100,000
regions and a million links builds in about a second, and the same seed gives the same world.
"""

from __future__ import annotations

import numpy as np

from sim.build import build_nations
from sim.mechanisms.relations import affinity as relations_affinity
from sim.mechanisms.relations import starting_baseline
from sim.params import Params
from sim.scenario import ScenarioMeta, ScenarioSpec, SyntheticSpec, synthetic_state_ids
from sim.schema import CHANNELS
from sim.world import CITY, REGION, STATE, ActorLinks, Actors, StatePairs, World, state_distances

KM_PER_DEGREE = 111.2


def synthetic_world(
    size: SyntheticSpec,
    rng: np.random.Generator,
    spec: ScenarioSpec | None = None,
    params: Params | None = None,
) -> World:
    """A generated world of the given size; `spec` and `params` give its waves and defaults."""
    spec = spec or ScenarioSpec(scenario=ScenarioMeta(name="synthetic"), synthetic=size)
    params = params or spec.params
    n_s, n_c, n_r = size.states, size.cities_per_state, size.regions_per_state
    # States: capitals spread over the inhabited latitudes; sizes and incomes log-normal.
    lat = rng.uniform(-45.0, 65.0, n_s)
    lon = rng.uniform(-180.0, 180.0, n_s)
    area = np.exp(rng.normal(12.0, 1.5, n_s))
    population = np.exp(rng.normal(16.0, 1.5, n_s))
    per_head = np.exp(rng.normal(np.log(10_000.0), 1.0, n_s))
    radius_deg = np.sqrt(area / np.pi) / KM_PER_DEGREE

    # Cities: the capital first, at the state's position; then smaller ones around it.
    city_state = np.repeat(np.arange(n_s), n_c)
    rank = np.tile(np.arange(1, n_c + 1), n_s)
    city_offset = rng.normal(0.0, 0.5, (n_s * n_c, 2)) * radius_deg[city_state, None]
    city_offset[rank == 1] = 0.0
    city_population = 0.1 * population[city_state] / rank

    # Regions: scattered around the capital, sharing the state's population at random.
    region_state = np.repeat(np.arange(n_s), n_r)
    region_offset = rng.normal(0.0, 0.5, (n_s * n_r, 2)) * radius_deg[region_state, None]
    weight = rng.gamma(2.0, 1.0, n_s * n_r)
    region_population = population[region_state] * weight / np.bincount(
        region_state, weights=weight, minlength=n_s
    )[region_state] if n_r else np.zeros(0)

    owner = np.concatenate([np.arange(n_s), city_state, region_state]).astype(np.int32)
    pop = np.concatenate([population, city_population, region_population])
    actors = Actors(
        ids=np.concatenate([
            synthetic_state_ids(n_s),
            [f"S{s:04d}-C{r}" for s, r in zip(city_state, rank, strict=True)],
            [f"S{s:04d}-R{r}" for s, r in zip(region_state, np.tile(np.arange(n_r), n_s),
                                               strict=True)],
        ]),
        names=np.concatenate([
            [f"State {s}" for s in range(n_s)],
            [f"City {r} of state {s}" for s, r in zip(city_state, rank, strict=True)],
            [f"Region {r} of state {s}" for s, r in zip(region_state,
                                                         np.tile(np.arange(n_r), n_s),
                                                         strict=True)],
        ]),
        kind=np.concatenate([
            np.full(n_s, STATE), np.full(n_s * n_c, CITY), np.full(n_s * n_r, REGION)
        ]).astype(np.int8),
        state=owner,
        lat=np.clip(np.concatenate([lat, lat[city_state] + city_offset[:, 0],
                                    lat[region_state] + region_offset[:, 0]]), -89.0, 89.0),
        lon=(np.concatenate([lon, lon[city_state] + city_offset[:, 1],
                             lon[region_state] + region_offset[:, 1]]) + 180.0) % 360.0 - 180.0,
        population=pop,
        gdp=pop * per_head[owner],
        is_capital=np.concatenate([np.zeros(n_s, bool), rank == 1, np.zeros(n_s * n_r, bool)]),
    )

    distance = state_distances(lat, lon, area)
    reach = np.sqrt(area[:, None] / np.pi) + np.sqrt(area[None, :] / np.pi)
    contiguity = (distance < 1.2 * reach) & ~np.eye(n_s, dtype=bool)
    # Trade blocs: bands of longitude, about ten states each.
    bloc = np.floor((lon + 180.0) / 360.0 * max(1, n_s // 10)).astype(int)
    agreement = (bloc[:, None] == bloc[None, :]) & ~np.eye(n_s, dtype=bool)
    # The only ties of a synthetic world are its trade agreements.
    none = np.zeros((n_s, n_s), dtype=bool)
    affinity = relations_affinity(agreement, none, none, np.zeros((n_s, n_s)), none,
                                  params.relations)
    # The scenario's [[relations]] name states by their generated ids (checked on loading).
    row = {state: i for i, state in enumerate(actors.ids[:n_s])}
    listed = np.full((n_s, n_s), np.nan)
    for pair in spec.relations:
        i, j = row[pair.a], row[pair.b]
        listed[i, j] = listed[j, i] = pair.baseline
    pairs = StatePairs(
        distance_km=distance,
        contiguity=contiguity,
        agreement=agreement,
        sanction=np.zeros((n_s, n_s)),
        trade=np.zeros((n_s, n_s)),
        relations_baseline=starting_baseline(affinity, listed, np.zeros((n_s, n_s)),
                                             params.relations),
        common_language=none,
        colony=none,
        affinity=affinity,
        listed_baseline=listed,
    )
    first_region = n_s + n_s * n_c
    links = _region_links(size, rng, distance, population, first_region, len(actors))
    return World(actors=actors, pairs=pairs, links=links,
                 nations=build_nations(spec, params, actors, n_s), n_states=n_s)


def _region_links(
    size: SyntheticSpec,
    rng: np.random.Generator,
    distance: np.ndarray,
    population: np.ndarray,
    first_region: int,
    n_actors: int,
) -> ActorLinks:
    """Each region links to regions abroad, choosing partner states by population / distance².
    The links are sorted by the pair of states they join, then by their ends: a pass over the
    links then reads and adds to two states' actors at a time, which stay in cache."""
    n_s, n_r, k = size.states, size.regions_per_state, size.links_per_region
    if n_r == 0 or k == 0 or n_s < 2:
        ends = np.zeros((0, 2), dtype=np.int32)
    else:
        pull = population[None, :] / distance**2
        np.fill_diagonal(pull, 0.0)
        cumulative = np.cumsum(pull / pull.sum(axis=1, keepdims=True), axis=1)
        cumulative[:, -1] = 1.0
        source_state = np.repeat(np.arange(n_s), n_r * k)
        # Row-wise inverse-CDF draw: offset each row by its index and search once.
        offset = cumulative + np.arange(n_s)[:, None]
        draw = rng.random(n_s * n_r * k) + source_state
        target_state = np.searchsorted(offset.ravel(), draw, side="right") - source_state * n_s
        target_state = np.minimum(target_state, n_s - 1)
        source = first_region + np.repeat(np.arange(n_s * n_r), k)
        target = first_region + target_state * n_r + rng.integers(0, n_r, n_s * n_r * k)
        low, high = np.minimum(source, target), np.maximum(source, target)
        pair = ((low - first_region) // n_r).astype(np.int64) * n_s + (high - first_region) // n_r
        ends = _sorted_unique(pair, low, high, n_s * n_s, n_actors)
        ends = ends[ends[:, 0] != ends[:, 1]].astype(np.int32)
    e = len(ends)
    open_ = rng.random((e, len(CHANNELS))) < 0.4
    open_[:, 0] = True  # economic paradiplomacy "develops on its own" (paper 004)
    channels = (open_ * (1 << np.arange(len(CHANNELS)))).sum(axis=1).astype(np.uint8)
    strength = open_ * rng.uniform(0.1, 0.9, (e, len(CHANNELS)))
    if size.active_share < 1.0:
        # The rest are dormant candidates, so that a run forms links as well as dissolving them.
        strength *= (rng.random(e) < size.active_share)[:, None]
    return ActorLinks(
        ends=ends,
        kind=np.zeros(e, dtype=np.int8),
        since=np.zeros(e, dtype=np.int16),
        channels=channels,
        strength=strength,
        diaspora=np.zeros(e),
        n_actors=n_actors,
    )


# The largest sort key that fits an int64.
KEY_LIMIT = 2**63


def _sorted_unique(pair: np.ndarray, low: np.ndarray, high: np.ndarray, n_pairs: int,
                   n_actors: int) -> np.ndarray:
    """The distinct (low, high) ends (E×2 int64) sorted by (state pair, low, high): one int64
    key per link, sorted, keeping the first of each run (several times faster here than
    np.unique, with or without axis=0), or a lexsort where the key would not fit an int64."""
    if n_pairs * n_actors * n_actors <= KEY_LIMIT:
        key = np.sort((pair * n_actors + low) * n_actors + high)
        key = key[np.concatenate([[True], key[1:] != key[:-1]])] % (n_actors * n_actors)
        return np.stack([key // n_actors, key % n_actors], axis=1)
    order = np.lexsort((high, low, pair))
    ends = np.stack([low[order], high[order]], axis=1).astype(np.int64)
    keep = np.concatenate([[True], (ends[1:] != ends[:-1]).any(axis=1)])
    return ends[keep]
