"""Phase 5: technology waves spread through trade and cooperation; capacity follows."""

from __future__ import annotations

import numpy as np

from sim.kernels.technology import DIMENSIONS
from sim.params import TechnologyParams
from sim.world import World

# The dimensions that are the technology level itself (docs/model.md, "Technology"):
# `technology_step` puts the new level in them.
LEVEL_DIMENSIONS = np.array([DIMENSIONS.index("science"), DIMENSIONS.index("education")])


def exposure(world: World, cooperation: np.ndarray, weight: float) -> np.ndarray:
    """Row-stochastic contact weights E: a state's sales by destination, itself included (so a
    state also imitates its own adopters, as in Bass's single market), plus `weight` times its
    cooperation links (each scaled to at most 1), rows normalised to 1."""
    trade = world.pairs.trade
    sales = trade / np.maximum(trade.sum(axis=1, keepdims=True), 1e-300)
    contact = sales + weight * cooperation
    rows = contact.sum(axis=1, keepdims=True)
    return np.divide(contact, rows, out=np.zeros_like(contact), where=rows > 0)


def dimensions(world: World) -> np.ndarray:
    """The ten dimensions the simulator can feed from its data; the others are held equal.

    Population, territory (area, from the internal distance) and economy (GDP) are data, as
    logarithms (so that a few giants do not squash everyone else to 0);
    science and education are the technology level itself; governance, foreign policy, military,
    natural resources and culture have no data yet and are constant (docs/model.md).
    """
    s = world.n_states
    out = np.ones((s, len(DIMENSIONS)))
    nations, actors = world.nations, world.actors
    area = np.pi * (np.diag(world.pairs.distance_km) / 0.67) ** 2
    out[:, DIMENSIONS.index("population")] = np.log(actors.population[:s])
    out[:, DIMENSIONS.index("territory")] = np.log(area)
    out[:, DIMENSIONS.index("economy")] = np.log(actors.gdp[:s])
    out[:, LEVEL_DIMENSIONS] = nations.technology[:, None]
    return out


def update(
    world: World, params: TechnologyParams, cooperation: np.ndarray, kernels, step: int, dt: float
) -> np.ndarray:
    """Advance adoption one step, then the level and the capacity index, in one kernel call;
    returns the GDP factor technology gives the next step."""
    nations = world.nations
    started = nations.wave_start_step <= step
    w = len(started)
    (
        nations.adoption,
        nations.technology,
        growth,
        nations.capacity_index,
    ) = kernels.technology_step(
        nations.adoption,
        started,
        exposure(world, cooperation, params.cooperation),
        np.full(w, params.p),
        np.full(w, params.q),
        nations.wave_strength,
        nations.technology,
        params.gdp_elasticity,
        dimensions(world),
        LEVEL_DIMENSIONS,
        np.full(len(DIMENSIONS), params.amplification),
        np.full(len(DIMENSIONS), 1.0 / len(DIMENSIONS)),
        dt,
    )
    return growth
