"""Phase 3: regions and cities form, strengthen and let decay their links across borders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernels.paradiplomacy import (
    DRIVE_DEFAULTS,
    FORMATION_DEFAULTS,
    drive_coefficients,
    formation_coefficients,
)
from sim.params import ParadiplomacyParams
from sim.scenario import CHANNELS
from sim.world import EARTH_RADIUS_KM, World


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance (km) between paired points, element by element."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass
class LinkGeometry:
    """Per-link features that do not change during a run."""

    complementarity: np.ndarray
    proximity: np.ndarray
    similarity: np.ndarray


def link_geometry(world: World, params: ParadiplomacyParams) -> LinkGeometry:
    """Complementarity, proximity and similarity of every link (docs/model.md, "Paradiplomacy").

    - proximity = exp(−d / proximity_km);
    - complementarity = 1 − exp(−|ln(y_a / y_b)|), y = GDP per head: partners at different
      levels of development have more to exchange (a guess);
    - similarity = ½·exp(−|ln(pop_a / pop_b)|) + ½·[both capitals or neither] (size and
      prestige, paper 001; a guess).
    """
    a, b = world.links.ends[:, 0], world.links.ends[:, 1]
    act = world.actors
    distance = haversine_km(act.lat[a], act.lon[a], act.lat[b], act.lon[b])
    per_head = act.gdp / act.population
    size = np.abs(np.log(act.population[a] / act.population[b]))
    return LinkGeometry(
        complementarity=1.0 - np.exp(-np.abs(np.log(per_head[a] / per_head[b]))),
        proximity=np.exp(-distance / params.proximity_km),
        similarity=0.5 * np.exp(-size) + 0.5 * (act.is_capital[a] == act.is_capital[b]),
    )


def coefficients(params: ParadiplomacyParams) -> tuple[np.ndarray, np.ndarray]:
    values = params.model_dump()
    drive = drive_coefficients({k: values[k] for k in DRIVE_DEFAULTS})
    formation = formation_coefficients({k: values[k] for k in FORMATION_DEFAULTS})
    return drive, formation


def update(
    world: World,
    params: ParadiplomacyParams,
    geometry: LinkGeometry,
    kernels,
    seed: int,
    dt: float,
) -> tuple[int, int]:
    """One step of link dynamics and the activity classes; returns (formed, dissolved).

    `seed` (drawn from the model's generator) gives this step's formation draws, so results do
    not depend on how the draws are made or on the number of threads.
    """
    links, actors, pairs = world.links, world.actors, world.pairs
    x = kernels.link_features(
        links.ends,
        actors.state,
        pairs.relations,
        pairs.sanction,
        geometry.complementarity,
        geometry.proximity,
        links.diaspora,
        geometry.similarity,
    )
    drive, formation = coefficients(params)
    c = len(CHANNELS)
    uniforms = np.random.default_rng(seed).random(len(links))
    links.strength, formed, dissolved = kernels.link_dynamics(
        links.strength,
        links.channels,
        x,
        drive,
        formation,
        params.formation_rate,
        np.full(c, params.growth),
        np.full(c, params.decay),
        params.start_strength,
        params.dissolve_below,
        uniforms,
        dt,
    )
    read_off(world, params, kernels)
    return int(formed.sum()), int(dissolved.sum())


def read_off(world: World, params: ParadiplomacyParams, kernels) -> None:
    """Activity classes of the actors and channel strengths between states, from the links."""
    links, actors = world.links, world.actors
    actors.link_strength, actors.activity = kernels.activity_classes(
        links.indptr, links.edge, links.strength, params.episodic_below, params.leading_from
    )
    world.pairs.link_channels = np.stack([
        kernels.state_pair_strength(links.ends, actors.state, links.strength[:, c],
                                    world.n_states)
        for c in range(len(CHANNELS))
    ])
