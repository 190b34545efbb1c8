"""Phase 4: trade costs around the gravity kernel, border calibration and GDP growth.

Equations and defaults: docs/model.md, "Trade" and "Growth".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.kernels.trade import cost_factor
from sim.params import GrowthParams, TradeParams
from sim.schema import CHANNELS
from sim.world import StatePairs

Solver = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, int], tuple]


def cost_changes(pairs: StatePairs, params: TradeParams) -> dict[str, np.ndarray]:
    """The parts of ln φ that events and links move during a run, by channel (S×S each):

        sanctions      −β_s · s_ij                       (trade-weighted sanctions on i→j)
        facilitation   f_ij                              (customs facilitation)
        paradiplomacy  β_r · (1 − exp(−G_ij / G_r))      (regional economic ties, saturating)

    G is the economic-channel strength of the links between the two states' actors, summed:
    regional firms and authorities that know each other trade across the border more cheaply
    (paper 004). G_r (`regional_scale`) sets how many links' worth it takes to saturate.
    """
    economic = pairs.link_channels[CHANNELS.index("economic")]
    regional = -np.expm1(-(economic + economic.T) / (2.0 * params.regional_scale))
    np.fill_diagonal(regional, 0.0)
    return {
        "sanctions": -params.sanction * pairs.trade_sanction,
        "facilitation": pairs.facilitation,
        "paradiplomacy": params.regional * regional,
    }


def trade_costs(pairs: StatePairs, params: TradeParams, border: float) -> np.ndarray:
    """The cost factor φ = t^(1−σ) between every pair of states."""
    changes = cost_changes(pairs, params)
    return cost_factor(
        pairs.distance_km,
        pairs.contiguity,
        pairs.agreement,
        pairs.trade_sanction,
        distance_elasticity=params.distance_elasticity,
        contiguity_effect=params.contiguity,
        agreement_effect=params.agreement,
        sanction_effect=params.sanction,
        border_effect=border,
        gains=changes["facilitation"] + changes["paradiplomacy"],
    )


def export_share(flows: np.ndarray, gdp: np.ndarray) -> float:
    """World exports (off-diagonal flows) over world output."""
    return float((flows.sum() - np.trace(flows)) / gdp.sum())


def calibrate_border(
    gdp: np.ndarray, pairs: StatePairs, params: TradeParams, solve: Solver
) -> float:
    """The border effect β_b at which the world exports `params.openness` of its output.

    Exports fall monotonically as β_b rises, so bisection finds it. If even a free border
    (β_b = 0) cannot reach the target, the world is too remote and 0 is returned.
    """
    def share(border: float) -> float:
        phi = trade_costs(pairs, params, border)
        ones = np.ones(len(gdp))
        flows = solve(gdp, phi, ones, ones, params.tolerance, params.max_iterations)[0]
        return export_share(flows, gdp)

    low, high = 0.0, 50.0
    if len(gdp) < 2 or share(low) <= params.openness:
        return low
    for _ in range(60):
        mid = 0.5 * (low + high)
        if share(mid) > params.openness:
            low = mid
        else:
            high = mid
        if high - low < 1e-9:
            break
    return 0.5 * (low + high)


def growth_factor(
    params: GrowthParams,
    shocks: np.ndarray,
    years: float,
    domestic_share: np.ndarray,
    previous_domestic_share: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """Per-state GDP factor over one step of `years`.

    Trend growth with log-normal shocks, times the change in real income that trade implies,
    (λ_ii / λ_ii,prev)^(−1/(σ−1)), where λ_ii is the share a state buys from itself
    (Arkolakis, Costinot & Rodríguez-Clare 2012).
    """
    drift = (params.trend - 0.5 * params.volatility**2) * years
    noise = params.volatility * np.sqrt(years) * shocks
    gains = (domestic_share / previous_domestic_share) ** (-1.0 / (sigma - 1.0))
    return np.exp(drift + noise) * gains
