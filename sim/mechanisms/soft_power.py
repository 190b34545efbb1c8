"""Phase 6: digital diplomacy, then reputation, soft-power pillars, attraction and familiarity."""

from __future__ import annotations

import numpy as np

from sim.kernels.soft_power import N_PILLARS
from sim.params import DigitalParams, SoftPowerParams
from sim.world import CITY, World

# Which metric feeds which pillar (government, culture, education, engagement, enterprise,
# digital); docs/model.md, "Soft power".
METRICS = (
    ("reputation", 0),
    ("cultural_links", 1),
    ("cultural_links", 2),
    ("technology", 2),
    ("diplomatic_weight", 3),
    ("partner_states", 3),
    ("gdp_per_head", 4),
    ("technology", 4),
    ("log_audience", 5),
)
PILLAR_OF = np.array([pillar for _, pillar in METRICS], dtype=np.int64)
REPUTATION_METRIC = [name for name, _ in METRICS].index("reputation")


def digital(
    world: World, params: DigitalParams, kernels, uniforms: np.ndarray, dt: float
) -> np.ndarray:
    """Foreign ministries' audiences grow and suffer incidents; returns the incidents (bool)."""
    n = world.nations
    loss, n.audience, n.digital_stage = kernels.digital_step(
        uniforms,
        np.full(len(uniforms), params.incident_hazard),
        n.risk_management,
        params.incident_severity,
        n.audience,
        n.audience_ceiling,
        n.digital_capacity,
        n.content_quality,
        n.digital_investment,
        params.base_rate,
        params.audience_from,
        params.engagement_from,
        params.engagement_quality,
        dt,
    )
    return loss > 0


def metrics(world: World, cultural: np.ndarray) -> np.ndarray:
    """The metrics of METRICS for every state, as columns."""
    s, actors, nations = world.n_states, world.actors, world.nations
    weight = np.bincount(
        actors.state,
        weights=np.where(actors.kind == CITY, actors.diplomatic_weight, 0.0),
        minlength=s,
    )
    values = {
        "reputation": nations.reputation,
        "cultural_links": cultural.sum(axis=1),
        "technology": nations.technology,
        "diplomatic_weight": weight,
        "partner_states": (cultural > 0).sum(axis=1).astype(float),
        "gdp_per_head": actors.gdp[:s] / actors.population[:s],
        "log_audience": np.log1p(nations.audience),
    }
    return np.column_stack([values[name] for name, _ in METRICS])


def exposure(world: World, cultural: np.ndarray, params: SoftPowerParams) -> np.ndarray:
    """[i, j]: how much the public of j sees of state i.

    Trade (i's share of j's imports and exports), cultural links between their actors, and
    i's digital reach (its audience over its ceiling), which reaches every public.
    """
    s = world.n_states
    trade, gdp = world.pairs.trade, world.actors.gdp[:s]
    both = trade + trade.T
    np.fill_diagonal(both, 0.0)
    reach = world.nations.audience / world.nations.audience_ceiling
    out = both / gdp[None, :] + params.cultural_exposure * cultural
    out += params.digital_exposure * reach[:, None]
    np.fill_diagonal(out, 0.0)
    return out


def update(
    world: World,
    params: SoftPowerParams,
    cultural: np.ndarray,
    penalty: np.ndarray,
    kernels,
    dt: float,
) -> None:
    """Reputation (with this step's multiplicative `penalty`: incidents, sanctions), then the
    pillars and index (which include it), then attraction and
    familiarity, in one kernel call; exp(−k_A·E·Δt) and exp(−E) are computed here with numpy's
    vectorised exp (see `sim/kernels/soft_power.py`)."""
    nations, pairs = world.nations, world.pairs
    seen = exposure(world, cultural, params)
    (
        nations.reputation,
        nations.pillars,
        nations.soft_power,
        pairs.attraction,
        nations.familiarity,
    ) = kernels.soft_power_step(
        nations.reputation,
        nations.reputation_baseline,
        penalty,
        params.reputation_recovery,
        metrics(world, cultural),
        REPUTATION_METRIC,
        PILLAR_OF,
        np.ones(N_PILLARS),
        pairs.attraction,
        np.exp(-params.attraction_rate * seen * dt),
        np.exp(-seen),
        world.actors.population[: world.n_states],
        dt,
    )


def read_off(
    world: World, params: SoftPowerParams, digital_params: DigitalParams, cultural: np.ndarray,
    kernels,
) -> None:
    """Pillars, index, digital stages and familiarity of the current state, moving nothing
    (for step 0, before any step has computed them)."""
    n = world.nations
    seen = exposure(world, cultural, params)
    # The soft-power step over no time: reputation and attraction stay as they are.
    _, n.pillars, n.soft_power, _, n.familiarity = kernels.soft_power_step(
        n.reputation, n.reputation_baseline, np.zeros(world.n_states),
        params.reputation_recovery, metrics(world, cultural), REPUTATION_METRIC, PILLAR_OF,
        np.ones(N_PILLARS), world.pairs.attraction, np.ones_like(seen), np.exp(-seen),
        world.actors.population[: world.n_states], 0.0,
    )
    n.digital_stage = kernels.digital_stage(
        n.audience, n.audience_ceiling, n.content_quality, digital_params.audience_from,
        digital_params.engagement_from, digital_params.engagement_quality,
    )
