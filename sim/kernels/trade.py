"""Structural gravity with multilateral resistance (docs/model.md, "Trade").

With output shares θ_i = Y_i/Y_w and the cost factor φ_ij = t_ij^(1−σ), the outward and inward
resistances a_i = Π_i^(1−σ) and b_j = P_j^(1−σ) solve

    a_i = Σ_j φ_ij θ_j / b_j        b_j = Σ_i φ_ij θ_i / a_i

(Anderson & van Wincoop 2003), and the flows are X_ij = Y_i Y_j / Y_w · φ_ij / (a_i b_j),
so that every exporter sells its whole output (Σ_j X_ij = Y_i) and every importer spends its
income (Σ_i X_ij = Y_j). The fixed point is found by alternating the two updates.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _resistance_update(
    rows: np.ndarray,
    theta: np.ndarray,
    other: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    acc: np.ndarray,
) -> float:
    """target_k ← Σ_r rows[r, k]·θ_r / other_r, in place; returns the largest relative change.

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
        change = max(change, abs(acc[k] / target[k] - 1.0))
        target[k] = acc[k]
    return change


@njit(cache=True)
def gravity_flows(
    gdp: np.ndarray,
    phi: np.ndarray,
    outward_start: np.ndarray,
    inward_start: np.ndarray,
    tolerance: float,
    max_iterations: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Trade flows X (n×n), outward a, inward b resistances and the iterations used.

    The iteration starts from the given resistances (ones, or the last step's solution) and
    stops when no a_i or b_j changes by more than `tolerance` relative to its last value.
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
    theta = gdp / total
    phi_t = np.ascontiguousarray(phi.T)
    weight = np.empty(n)
    acc = np.empty(n)
    iterations = 0
    for _ in range(max_iterations):
        iterations += 1
        change = _resistance_update(phi_t, theta, inward, outward, weight, acc)  # a
        change = max(change, _resistance_update(phi, theta, outward, inward, weight, acc))  # b
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Plain-numpy reference for `gravity_flows`: the same updates as matrix products."""
    n = gdp.shape[0]
    outward, inward = outward_start.copy(), inward_start.copy()
    if n == 0:
        return np.zeros((0, 0)), outward, inward, 0
    total = gdp.sum()
    theta = gdp / total
    iterations = 0
    for _ in range(max_iterations):
        iterations += 1
        new_outward = phi @ (theta / inward)
        new_inward = (theta / new_outward) @ phi
        change = max(
            np.max(np.abs(new_outward / outward - 1.0)), np.max(np.abs(new_inward / inward - 1.0))
        )
        outward, inward = new_outward, new_inward
        if change < tolerance:
            break
    flows = total * np.outer(theta, theta) * phi / np.outer(outward, inward)
    return flows, outward, inward, iterations


def gravity_flows_python_loop(
    gdp: np.ndarray,
    phi: np.ndarray,
    outward_start: np.ndarray,
    inward_start: np.ndarray,
    tolerance: float,
    max_iterations: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The same fixed point state by state in plain Python: the baseline of `geopol bench`."""
    n = len(gdp)
    phi_rows = phi.tolist()
    total = float(sum(gdp.tolist()))
    theta = [g / total for g in gdp.tolist()] if n else []
    outward, inward = outward_start.tolist(), inward_start.tolist()
    iterations = 0
    for _ in range(max_iterations if n else 0):
        iterations += 1
        change = 0.0
        new_outward = []
        for i in range(n):
            row = phi_rows[i]
            s = sum(row[j] * theta[j] / inward[j] for j in range(n))
            change = max(change, abs(s / outward[i] - 1.0))
            new_outward.append(s)
        outward = new_outward
        new_inward = []
        for j in range(n):
            s = sum(phi_rows[i][j] * theta[i] / outward[i] for i in range(n))
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
    border_effect: float,
    gains: np.ndarray | None = None,
) -> np.ndarray:
    """φ_ij = t_ij^(1−σ) = d_ij^(−ε_d) · exp(β_c c_ij + β_a a_ij − β_s s_ij − β_b [i≠j] + g_ij).

    The β are log-trade effects as the gravity literature estimates them (docs/model.md);
    g are other log-trade gains (customs facilitation, regional economic ties), 0 if None.
    """
    log_phi = -distance_elasticity * np.log(distance_km)
    log_phi += contiguity_effect * contiguity + agreement_effect * agreement
    log_phi -= sanction_effect * sanction
    log_phi -= border_effect * (1.0 - np.eye(len(distance_km)))
    if gains is not None:
        log_phi += gains
    return np.exp(log_phi)
