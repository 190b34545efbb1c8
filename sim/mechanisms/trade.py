"""Phase 4: trade costs around the gravity kernel, their calibration at step 0 and GDP growth.

Equations and defaults: docs/model.md, "Trade" and "Growth".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.kernels.trade import cost_factor, output_shares
from sim.params import GrowthParams, TradeParams
from sim.schema import CHANNELS
from sim.world import Nations, StatePairs

Solver = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, int], tuple]


def cost_changes(pairs: StatePairs, params: TradeParams) -> dict[str, np.ndarray]:
    """The parts of ln φ that events and links move during a run, by channel (S×S each):

        sanctions      −β_s · s_ij                       (trade-weighted sanctions on i→j)
        facilitation   f_ij                              (customs facilitation)
        paradiplomacy  β_r · (ρ_ij − ρ⁰_ij)              (regional economic ties)

    with ρ the share of the pair's possible regional economic ties held (`regional_share`) and
    ρ⁰ that share at step 0: the estimates of distance, contiguity and language already hold
    the ties of border regions as they are, so only their change moves trade costs.
    """
    return {
        "sanctions": -params.sanction * pairs.trade_sanction,
        "facilitation": pairs.facilitation,
        "paradiplomacy": params.regional * (regional_share(pairs, params)
                                            - pairs.regional_at_start),
    }


def regional_share(pairs: StatePairs, params: TradeParams) -> np.ndarray:
    """ρ_ij = G_ij / max(K_ij, G_r) (S×S, symmetric, 0 on the diagonal): G the economic-channel
    strength of the links between two states' actors, summed, K the number of those links
    that may carry the channel. Regional firms and authorities that know each other trade
    across the border more cheaply (paper 004), the more so the more of the border's possible
    ties they hold. As a share it does not grow with the number of regions a scenario lists;
    G_r (`regional_scale`) is the fewest links it is shared over, so that one agreement between
    two far-off regions is not a whole border's worth."""
    economic = pairs.link_channels[CHANNELS.index("economic")]
    capacity = np.maximum(pairs.link_capacity[CHANNELS.index("economic")], params.regional_scale)
    share = (economic + economic.T) / (2.0 * capacity)
    np.fill_diagonal(share, 0.0)
    return share


def trade_costs(pairs: StatePairs, params: TradeParams, home_bias: np.ndarray) -> np.ndarray:
    """The cost factor φ = t^(1−σ) between every pair of states, with each state's home bias
    on the diagonal."""
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
        home_bias=home_bias,
        common_language=pairs.common_language,
        language_effect=params.language,
        colony=pairs.colony,
        colony_effect=params.colony,
        gains=changes["facilitation"] + changes["paradiplomacy"],
    )


def export_share(flows: np.ndarray, gdp: np.ndarray) -> float:
    """World exports (off-diagonal flows) over world output."""
    return float((flows.sum() - np.trace(flows)) / gdp.sum())


def export_targets(nations: Nations, params: TradeParams) -> np.ndarray | None:
    """Each state's exports/GDP to calibrate to: its data, at most `export_share_cap`, and
    `openness` for a state without data; None if no state has data."""
    data = nations.exports_share
    if np.isnan(data).all():
        return None
    return np.where(np.isnan(data), params.openness, np.minimum(data, params.export_share_cap))


def calibrate_home_bias(
    gdp: np.ndarray, pairs: StatePairs, params: TradeParams, targets: np.ndarray | None,
    solve: Solver,
) -> np.ndarray:
    """Each state's home bias h_i (docs/model.md, "Trade"): with targets, the h at which
    state i exports targets_i of its output at step 0 (`home_bias_for`); without, one h for
    every state at which the world exports `openness` of its output (`calibrate_border`)."""
    if targets is None:
        return np.full(len(gdp), calibrate_border(gdp, pairs, params, solve))
    return home_bias_for(gdp, trade_costs(pairs, params, np.zeros(len(gdp))), targets,
                         params.tolerance, params.max_iterations)


def home_bias_for(
    gdp: np.ndarray, phi: np.ndarray, targets: np.ndarray, tolerance: float, max_iterations: int
) -> np.ndarray:
    """The home bias at which each state exports the share `targets` of its output, given the
    cost factors φ between states (the diagonal of `phi` is ignored).

    With x = 1/a and y = 1/b the flows between states are X_ij = Y_w θ_i θ_j φ_ij x_i y_j,
    so the targets ask for x_i Σ_{j≠i} φ_ij θ_j y_j = s_i (exports) and y_j Σ_{i≠j} φ_ij θ_i
    x_i = s_j (imports, as trade balances): a matrix scaling, solved by alternating the two
    (Sinkhorn). The domestic flow must then hold the rest of the output, X_ii = (1 − s_i) Y_i,
    which gives φ_ii = (1 − s_i)/(θ_i x_i y_i) and h_i = ln φ_ii − ln(d_ii^(−ε)). The gravity
    solve from any start then finds these flows: its fixed point is unique up to scale.
    """
    s = len(gdp)
    if s < 2:
        return np.zeros(s)
    theta = output_shares(gdp)
    targets = feasible_targets(targets, theta)
    between = phi.copy()
    np.fill_diagonal(between, 0.0)
    x, y = np.ones(s), np.ones(s)
    for _ in range(max_iterations):
        x_new = targets / (between @ (theta * y))
        y_new = targets / ((theta * x_new) @ between)
        change = max(np.max(np.abs(x_new / x - 1.0)), np.max(np.abs(y_new / y - 1.0)))
        x, y = x_new, y_new
        if change < tolerance:
            break
    return np.log((1.0 - targets) / (theta * x * y)) - np.log(np.diag(phi))


def feasible_targets(targets: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The targets, lowered where they cannot be met: trade balances, so a state cannot export
    more than all the other states import, s_i θ_i ≤ Σ_{j≠i} s_j θ_j. At most one state, the
    one holding over half the world's exports, can break it; it is set just below the bound
    (with two states, at it: each then exports what the other does)."""
    exports = targets * theta
    rest = exports.sum() - exports
    over = exports > rest
    if not over.any():
        return targets
    out = targets.copy()
    out[over] = (1.0 if len(theta) == 2 else 0.999) * rest[over] / theta[over]
    return out


def calibrate_border(
    gdp: np.ndarray, pairs: StatePairs, params: TradeParams, solve: Solver
) -> float:
    """The home bias h, the same for every state, at which the world exports `params.openness`
    of its output.

    Exports fall monotonically as h rises, so bisection finds it. If even h = 0 (no border)
    cannot reach the target, the world is too remote and 0 is returned.
    """
    def share(bias: float) -> float:
        phi = trade_costs(pairs, params, np.full(len(gdp), bias))
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


def trends(data: np.ndarray, params: GrowthParams) -> np.ndarray:
    """Each state's trend growth μ_i = w·μ_i,data + (1 − w)·μ, with w = `data_trends` and μ =
    `trend`; a state without data grows at μ."""
    own = np.where(np.isnan(data), params.trend, data)
    return params.data_trends * own + (1.0 - params.data_trends) * params.trend


def growth_factor(
    params: GrowthParams,
    trend: np.ndarray,
    shocks: np.ndarray,
    years: float,
    domestic_share: np.ndarray,
    previous_domestic_share: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """Per-state GDP factor over one step of `years`.

    Each state's trend growth μ_i with log-normal shocks, times the change in real income that
    trade implies, (λ_ii / λ_ii,prev)^(−1/(σ−1)), where λ_ii is the share a state buys from
    itself (Arkolakis, Costinot & Rodríguez-Clare 2012).
    """
    drift = (trend - 0.5 * params.volatility**2) * years
    noise = params.volatility * np.sqrt(years) * shocks
    gains = (domestic_share / previous_domestic_share) ** (-1.0 / (sigma - 1.0))
    return np.exp(drift + noise) * gains
