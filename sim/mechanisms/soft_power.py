"""Phase 6: digital diplomacy, then reputation, soft-power pillars, attraction and familiarity."""

from __future__ import annotations

import numpy as np

from sim.kernels.soft_power import N_PILLARS
from sim.params import DigitalParams, SoftPowerParams
from sim.schema import CHANNELS
from sim.world import CITY, World

# Which metric feeds which pillar (government, culture, education, engagement, enterprise,
# digital), and whether it is already on a 0–1 scale (normalised on that scale, not min–max);
# docs/model.md, "Soft power".
METRICS = (
    ("reputation", 0, True),
    ("cultural_share", 1, True),
    ("economy", 1, False),
    ("cultural_share", 2, True),
    ("technology", 2, False),
    ("diplomatic_weight", 3, True),
    ("partner_share", 3, True),
    ("ties", 3, False),
    ("income", 4, False),
    ("technology", 4, False),
    ("log_audience", 5, False),
)
PILLAR_OF = np.array([pillar for _, pillar, _ in METRICS], dtype=np.int64)
NATURAL = np.array([natural for _, _, natural in METRICS], dtype=np.bool_)
REPUTATION_METRIC = [name for name, _, _ in METRICS].index("reputation")


def reputation_baseline(per_head: np.ndarray, params: SoftPowerParams) -> np.ndarray:
    """The reputation each state recovers towards: r̄ = r₀ + w·(x̂ − ½), clipped to [0, 1],
    with x̂ its ln GDP per head, min–max normalised across states (½ if all are equal)."""
    x = np.log(per_head)
    span = x.max() - x.min() if len(x) else 0.0
    scaled = (x - x.min()) / span if span > 0 else np.full(len(x), 0.5)
    return np.clip(params.reputation_baseline + params.reputation_income * (scaled - 0.5),
                   0.0, 1.0)


def starting_reputation(
    baseline: np.ndarray, penalty: np.ndarray, recovery: float, dt: float
) -> np.ndarray:
    """The reputation at which a step's recovery and a standing penalty π (sanctions in force
    at the start) cancel: r* = r̄·(1 − e^(−k·Δt))·e^(−π) / (1 − e^(−k·Δt)·e^(−π)), the
    fixed point of the reputation update, so that a world under old sanctions starts at rest;
    r̄ where there is no penalty."""
    keep = np.exp(-recovery * dt)
    hit = np.exp(-penalty)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = baseline * (1.0 - keep) * hit / (1.0 - keep * hit)
    return np.where(penalty > 0, rest, baseline)


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
    """The metrics of METRICS for every state, as columns.

    The link metrics are shares of what the state's regions and cities could have, each
    partner state counting once, so that neither a scenario listing one state's regions in
    detail nor a state's many small border regions make it stronger for that: over the states
    its actors could hold cultural links with, the mean share of the pair's possible cultural
    strength that they hold (`cultural_share`), and the share they hold any with
    (`partner_share`); 0 for a state with no such candidates.
    """
    s, actors, nations, pairs = world.n_states, world.actors, world.nations, world.pairs
    weight = np.bincount(
        actors.state,
        weights=np.where(actors.kind == CITY, actors.diplomatic_weight, 0.0),
        minlength=s,
    )
    capacity = pairs.link_capacity[CHANNELS.index("cultural")]
    values = {
        "reputation": nations.reputation,
        "cultural_share": _share(
            np.divide(cultural, capacity, out=np.zeros_like(cultural), where=capacity > 0
                      ).sum(axis=1), (capacity > 0).sum(axis=1)),
        "economy": np.log(actors.gdp[:s]),
        "technology": nations.technology,
        # W / (1 + W): weight that saturates, so that one summit moves a state a little
        # rather than to the top of a min–max scale on which every capital started equal.
        "diplomatic_weight": weight / (1.0 + weight),
        "partner_share": _share((cultural > 0).sum(axis=1), (capacity > 0).sum(axis=1)),
        "ties": np.log1p(nations.ties),
        "income": np.log(actors.gdp[:s] / actors.population[:s]),
        "log_audience": np.log1p(nations.audience),
    }
    return np.column_stack([values[name] for name, _, _ in METRICS])


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0."""
    return np.divide(part, whole, out=np.zeros(len(part)), where=whole > 0)


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
        NATURAL,
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
        params.reputation_recovery, metrics(world, cultural), REPUTATION_METRIC, NATURAL,
        PILLAR_OF,
        np.ones(N_PILLARS), world.pairs.attraction, np.ones_like(seen), np.exp(-seen),
        world.actors.population[: world.n_states], 0.0,
    )
    n.digital_stage = kernels.digital_stage(
        n.audience, n.audience_ceiling, n.content_quality, digital_params.audience_from,
        digital_params.engagement_from, digital_params.engagement_quality,
    )
