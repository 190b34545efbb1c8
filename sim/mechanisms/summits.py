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


def choose_parties(world: World, params: CitiesParams, rng: np.random.Generator) -> np.ndarray:
    """The states that meet: the worst-related pair if one is below `talks_below` (talks on
    neutral ground, paper 001), otherwise a bloc of two or more drawn at random (a summit)."""
    relations, s = world.pairs.relations, world.n_states
    upper = np.triu(relations, k=1) + np.tril(np.ones((s, s)))
    worst = np.unravel_index(np.argmin(upper), upper.shape)
    if s >= 2 and upper[worst] < params.talks_below:
        return np.array(worst, dtype=np.int32)
    labels, sizes = np.unique(world.nations.bloc, return_counts=True)
    blocs = labels[sizes >= 2]
    if len(blocs) == 0:
        return np.zeros(0, dtype=np.int32)
    chosen = blocs[rng.integers(len(blocs))]
    return np.flatnonzero(world.nations.bloc == chosen).astype(np.int32)


def update(
    world: World,
    params: CitiesParams,
    kernels,
    rng: np.random.Generator,
    dt: float,
    scheduled: list[tuple[int, list[int]]] = (),
    hostile_below: float = 0.0,
) -> list[int]:
    """Maybe hold a summit this step, then the `scheduled` ones (host city row, participant
    state rows); weights relax to the standing weights (`standing_weights`) and ties decay.
    Returns the hosts' rows. Relations below
    `hostile_below` are hostility (`relations.hostile_below`, as for blocs).

    The drawn summit goes through the kernel with the step's Δt, each scheduled one after it
    with Δt = 0, so that every summit adds its own ties and weight and nothing decays twice.
    """
    actors, pairs = world.actors, world.pairs
    cities = np.flatnonzero(actors.kind == CITY)
    hosted = np.zeros(len(cities))
    participants = np.zeros(world.n_states, dtype=bool)
    host = None
    if rng.random() < 1.0 - np.exp(-params.summit_rate * dt):
        parties = choose_parties(world, params, rng)
        if len(parties) >= 2:
            scores = kernels.host_scores(
                actors.diplomatic_weight[cities],
                actors.state[cities],
                actors.is_capital[cities],
                pairs.relations,
                parties,
                params.capital_bonus,
                hostile_below,
            )
            if np.isfinite(scores).any():
                best = int(np.argmax(scores))
                hosted[best] = len(parties)
                participants[parties] = True
                host = int(cities[best])
    hosts = [] if host is None else [host]
    column = {int(row): k for k, row in enumerate(cities)}
    summits = [(hosted, participants, dt)]
    for host_row, parties in scheduled:
        hosted = np.zeros(len(cities))
        hosted[column[host_row]] = len(parties)
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
        )
        actors.diplomatic_weight[cities] = standing + excess
    return hosts
