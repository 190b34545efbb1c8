"""Structural gravity with multilateral resistance (docs/model.md, "Trade").

With output shares θ_i = Y_i/Y_w and the cost factor φ_ij = t_ij^(1−σ), the outward and inward
resistances a_i = Π_i^(1−σ) and b_j = P_j^(1−σ) solve

    a_i = Σ_j φ_ij θ_j / b_j        b_j = Σ_i φ_ij θ_i / a_i

(Anderson & van Wincoop 2003), and the flows are X_ij = Y_i Y_j / Y_w · φ_ij / (a_i b_j),
so that every exporter sells its whole output (Σ_j X_ij = Y_i) and every importer spends its
income (Σ_i X_ij = Y_j). The fixed point is found by alternating the two updates, each
over-relaxed geometrically by a factor ω ∈ [1, 2):

    a_i ← a_i^(1−ω) · (Σ_j φ_ij θ_j / b_j)^ω        b_j ← b_j^(1−ω) · (Σ_i φ_ij θ_i / a_i)^ω

(successive over-relaxation in log a and log b: the same fixed point; ω = 1 is the plain
alternation). Where most of a state's output stays at home the plain alternation converges
slowly, at a rate ρ per sweep close to 1; ω = 2/(1 + √(1 − ρ)), Young's optimum for such
two-cyclic iterations, takes the rate to ω − 1 (`relaxation_for`). Over-relaxing far from the
fixed point can overshoot, so a sweep relaxes only once the last one changed no resistance by
more than RELAX_WITHIN (10%).
"""

from __future__ import annotations

import numpy as np
from numba import njit

RELAX_WITHIN = 0.1


def relaxation_for(iterations: int, tolerance: float) -> float:
    """Over-relaxation ω = 2/(1 + √(1 − ρ)) for a problem that the plain alternation solved
    from ones in `iterations` sweeps to `tolerance`, whose rate is then about
    ρ = tolerance^(1/iterations) (clipped to [0, 0.999])."""
    rate = min(tolerance ** (1.0 / max(iterations, 1)), 0.999)
    return 2.0 / (1.0 + (1.0 - rate) ** 0.5)


@njit(cache=True)
def output_shares(gdp: np.ndarray) -> np.ndarray:
    """θ_i = Y_i / Y_w, summed over outputs scaled by the largest: the sum cannot overflow, and
    no share becomes 0 or NaN, however large the outputs."""
    scaled = gdp / gdp.max()
    return scaled / scaled.sum()


# error_model="numpy": a division by zero gives inf or NaN, as numpy's does, which the run's
# finiteness check then names, rather than raising ZeroDivisionError from inside a kernel.
@njit(cache=True, error_model="numpy")
def _resistance_update(
    rows: np.ndarray,
    theta: np.ndarray,
    other: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    acc: np.ndarray,
    relaxation: float,
) -> float:
    """target_k ← target_k^(1−ω)·(Σ_r rows[r, k]·θ_r / other_r)^ω, in place; returns the
    largest relative change.

    Summing whole contiguous rows keeps the inner loop free of a floating-point reduction, which
    numba would not vectorise.
    """
    n = theta.shape[0]
    for r in range(n):
        weight[r] = theta[r] / other[r]
    acc[:] = 0.0
    for r in range(n):
        w = weight[r]
        for k in range(n):
            acc[k] += rows[r, k] * w
    change = 0.0
    for k in range(n):
        new = acc[k] if relaxation == 1.0 else \
            target[k] ** (1.0 - relaxation) * acc[k] ** relaxation
        change = max(change, abs(new / target[k] - 1.0))
        target[k] = new
    return change


@njit(cache=True, error_model="numpy")
def gravity_flows(
    gdp: np.ndarray,
    phi: np.ndarray,
    outward_start: np.ndarray,
    inward_start: np.ndarray,
    tolerance: float,
    max_iterations: int,
    relaxation: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Trade flows X (n×n), outward a, inward b resistances and the iterations used.

    The iteration starts from the given resistances (ones, or the last step's solution) and
    stops when no a_i or b_j changes by more than `tolerance` relative to its last value;
    `relaxation` is ω (module docstring).
    Serial on purpose: for n ≤ a few hundred a sweep costs tens of microseconds, less
    than starting a parallel region, and serial sums keep results independent of thread count.
    """
    n = gdp.shape[0]
    flows = np.zeros((n, n))
    outward = outward_start.copy()
    inward = inward_start.copy()
    if n == 0:
        return flows, outward, inward, 0
    total = gdp.sum()
    theta = output_shares(gdp)
    phi_t = np.ascontiguousarray(phi.T)
    weight = np.empty(n)
    acc = np.empty(n)
    iterations = 0
    change = np.inf
    for _ in range(max_iterations):
        iterations += 1
        w = relaxation if change < RELAX_WITHIN else 1.0
        change = _resistance_update(phi_t, theta, inward, outward, weight, acc, w)  # a
        change = max(change, _resistance_update(phi, theta, outward, inward, weight, acc, w))
        if change < tolerance:
            break
    for i in range(n):
        for j in range(n):
            flows[i, j] = total * theta[i] * theta[j] * phi[i, j] / (outward[i] * inward[j])
    return flows, outward, inward, iterations


def gravity_flows_reference(
    gdp: np.ndarray,
    phi: np.ndarray,
    outward_start: np.ndarray,
    inward_start: np.ndarray,
    tolerance: float,
    max_iterations: int,
    relaxation: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Plain-numpy reference for `gravity_flows`: the same updates as matrix products."""
    n = gdp.shape[0]
    outward, inward = outward_start.copy(), inward_start.copy()
    if n == 0:
        return np.zeros((0, 0)), outward, inward, 0
    total = gdp.sum()
    theta = output_shares(gdp)
    iterations = 0
    change = np.inf
    for _ in range(max_iterations):
        iterations += 1
        w = relaxation if change < RELAX_WITHIN else 1.0
        new_outward = _relaxed(outward, phi @ (theta / inward), w)
        new_inward = _relaxed(inward, (theta / new_outward) @ phi, w)
        change = max(
            np.max(np.abs(new_outward / outward - 1.0)), np.max(np.abs(new_inward / inward - 1.0))
        )
        outward, inward = new_outward, new_inward
        if change < tolerance:
            break
    flows = total * np.outer(theta, theta) * phi / np.outer(outward, inward)
    return flows, outward, inward, iterations


def _relaxed(old: np.ndarray, new: np.ndarray, relaxation: float) -> np.ndarray:
    return new if relaxation == 1.0 else old ** (1.0 - relaxation) * new**relaxation


def gravity_flows_python_loop(
    gdp: np.ndarray,
    phi: np.ndarray,
    outward_start: np.ndarray,
    inward_start: np.ndarray,
    tolerance: float,
    max_iterations: int,
    relaxation: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The same fixed point state by state in plain Python: the baseline of `geopol bench`."""
    n = len(gdp)
    phi_rows = phi.tolist()
    total = float(sum(gdp.tolist()))
    theta = output_shares(gdp).tolist() if n else []
    outward, inward = outward_start.tolist(), inward_start.tolist()
    iterations = 0
    change = float("inf")
    for _ in range(max_iterations if n else 0):
        iterations += 1
        w = relaxation if change < RELAX_WITHIN else 1.0
        change = 0.0
        new_outward = []
        for i in range(n):
            row = phi_rows[i]
            s = sum(row[j] * theta[j] / inward[j] for j in range(n))
            s = s if w == 1.0 else outward[i] ** (1.0 - w) * s**w
            change = max(change, abs(s / outward[i] - 1.0))
            new_outward.append(s)
        outward = new_outward
        new_inward = []
        for j in range(n):
            s = sum(phi_rows[i][j] * theta[i] / outward[i] for i in range(n))
            s = s if w == 1.0 else inward[j] ** (1.0 - w) * s**w
            change = max(change, abs(s / inward[j] - 1.0))
            new_inward.append(s)
        inward = new_inward
        if change < tolerance:
            break
    flows = [[total * theta[i] * theta[j] * phi_rows[i][j] / (outward[i] * inward[j])
              for j in range(n)] for i in range(n)]
    return np.array(flows).reshape(n, n), np.array(outward), np.array(inward), iterations


def cost_factor(
    distance_km: np.ndarray,
    contiguity: np.ndarray,
    agreement: np.ndarray,
    sanction: np.ndarray,
    *,
    distance_elasticity: float,
    contiguity_effect: float,
    agreement_effect: float,
    sanction_effect: float,
    home_bias: np.ndarray,
    common_language: np.ndarray | None = None,
    language_effect: float = 0.0,
    colony: np.ndarray | None = None,
    colony_effect: float = 0.0,
    gains: np.ndarray | None = None,
) -> np.ndarray:
    """φ_ij = t_ij^(1−σ) = d_ij^(−ε_d) · exp(β_c c_ij + β_l l_ij + β_k k_ij + β_a a_ij
    − β_s s_ij + g_ij + h_i·[i = j]).

    The β are log-trade effects as the gravity literature estimates them (docs/model.md):
    contiguity c, common language l, colonial tie k, trade agreement a, sanctions s; g are other
    log-trade gains (customs facilitation, regional economic ties), 0 if None; h is each state's
    home bias, the log-advantage of its own producers in its own market (the diagonal). Only
    the ratio of the diagonal to the rest matters to the flows, so one h for every state is the
    same as a border effect −h on every flow between states.
    """
    log_phi = -distance_elasticity * np.log(distance_km)
    log_phi += contiguity_effect * contiguity + agreement_effect * agreement
    if common_language is not None:
        log_phi += language_effect * common_language
    if colony is not None:
        log_phi += colony_effect * colony
    log_phi -= sanction_effect * sanction
    if gains is not None:
        log_phi += gains
    log_phi[np.diag_indices(len(distance_km))] += home_bias
    return np.exp(log_phi)
