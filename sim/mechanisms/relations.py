"""Phase 7: relations between states move with their drivers; blocs are read off them.

Relations start at rest: each driver pushes by how far it has moved since step 0, so with
nothing changing relations stay at their baseline, and the per-channel terms the kernel returns
say why a pair's relations moved (docs/model.md, "Relations").
"""

from __future__ import annotations

import numpy as np

from sim.params import RelationsParams
from sim.world import World

Drivers = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def drivers(world: World, regional: np.ndarray, kernels) -> Drivers:
    """Attraction, trade interdependence, summit ties, political plus and sanctions (S×S).

    Political plus is 1 − exp(−G), with G the strength of the regional (local-authority)
    channel between two states: it saturates, so that the hundredth agreement between two
    states' regions adds less than the first. Sanctions count either way (the larger of i→j
    and j→i), taken here rather than in the kernel so that lifting a sanction in force at
    step 0 shows in the change since then.
    """
    pairs, s = world.pairs, world.n_states
    return (
        pairs.attraction,
        kernels.interdependence(pairs.trade, world.actors.gdp[:s]),
        pairs.summit_ties,
        -np.expm1(-regional),
        np.maximum(pairs.sanction, pairs.sanction.T),
    )


def update(
    world: World, params: RelationsParams, now: Drivers, start: Drivers, kernels, dt: float
) -> None:
    pairs = world.pairs
    weights = np.array(
        [
            params.attraction,
            params.interdependence,
            params.summits,
            params.political_plus,
            params.sanction,
        ]
    )
    moved = [current - initial for current, initial in zip(now, start, strict=True)]
    # The pull to the baseline, kept beside the kernel's channel terms so that a change in
    # relations adds up exactly (docs/model.md, "Attribution").
    pairs.relation_drift = dt * params.drift * (pairs.relations_baseline - pairs.relations)
    np.fill_diagonal(pairs.relation_drift, 0.0)
    pairs.relations, pairs.relation_terms = kernels.relations_update(
        pairs.relations, pairs.relations_baseline, params.drift, *moved, weights, dt
    )
    world.nations.bloc = kernels.blocs(pairs.relations, params.bloc_threshold)
