"""City diplomacy (phase 2): capitals bid to host summits and talks, and gain weight by it."""

from __future__ import annotations

import numpy as np

from sim.params import CitiesParams
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
) -> list[int]:
    """Maybe hold a summit this step, then the `scheduled` ones (host city row, participant
    state rows); weights relax to the standing weights (`standing_weights`) and ties decay.
    Returns the hosts' rows. Relations below `hostile_below` are hostility
    (`relations.hostile_below`, as for blocs). The venue is the best bid (`host_scores`), the
    capitals of `multi_vector` states (rows) bidding for prestige. Talks go to the best neutral
    venue, its diplomatic weight counting; a bloc's summit to one of its members' cities, the
    chair rotating: a city's standing weight counts, not what it gained by hosting, and its
    turn comes back over `rotation_years` (`last_hosted`, (C,) years since the start of the
    run when each city last hosted, updated here; `now`, the years since the start).

    The drawn summit goes through the kernel with the step's Δt, each scheduled one after it
    with Δt = 0, so that every summit adds its own ties and weight and nothing decays twice.
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
