"""Structural gravity with multilateral resistance (docs/model.md, "Trade").

With output shares θ_i = Y_i/Y_w and the cost factor φ_ij = t_ij^(1−σ), the outward and inward
resistances a_i = Π_i^(1−σ) and b_j = P_j^(1−σ) solve

    a_i = Σ_j φ_ij θ_j / b_j        b_j = Σ_i φ_ij θ_i / a_i

(Anderson & van Wincoop 2003), and the flows are X_ij = Y_i Y_j / Y_w · φ_ij / (a_i b_j),
so that every exporter sells its whole output (Σ_j X_ij = Y_i) and every importer spends its
income (Σ_i X_ij = Y_j). (a, b) is defined only up to a scale (c·a, b/c), which the flows do
not see.

A plain sweep applies the two updates in turn: a' from b, then b' from a'. It is a map of b
alone, and the plain alternation, sweep after sweep, converges slowly where most of a state's
output stays at home (`eurasia` from ones: 636 sweeps to 1e-10). Two things make it fast:

- Each state's step is stretched: log b_j moves by ω_j·log(b'_j/b_j), with
  ω_j = 1/(1 − s_j m_j), where s_j = θ_j φ_jj/(a'_j b_j) is the share of j's sales that stays at
  home and m_j = θ_j φ_jj/(a'_j b'_j) the share of its spending, both read off the sweep. A rise
  in b_j lowers a_j, which raises b_j again by s_j m_j of the rise: the sweep undershoots its own
  feedback, and ω_j sums the series (a Newton step on the own-state part of the sweep's
  Jacobian J, whose diagonal is at least s_j m_j). As s_j m_j ≤ J_jj, the stretched sweep's
  Jacobian I − diag(ω)(I − J) near the fixed point keeps non-negative weights that sum to one,
  as J's do: it averages, and cannot overshoot. ω_j ≤ MAX_STRETCH keeps a state that trades
  with no one finite.
- Anderson acceleration, type II (Walker & Ni 2011), of that map in log b, with the last
  ANDERSON_MEMORY differences: with f = the stretched step and g = log b + f, the next
  log b is g − ΔG·γ, γ minimising ‖f − ΔF·γ‖ (normal equations, regularised by REGULARISATION
  times their mean diagonal). The sweep does not see the scale, so neither can the least
  squares: the part of the correction along it (its mean) is dropped, leaving the scale to the
  stretched steps.

If the accelerated point's sweep changes some b_j by more than GUARD times the largest change
at the point before, the accelerated point is dropped for the stretched step without
acceleration, and the history restarts. An accelerated point that is not finite is not taken
either.

It stops when a plain sweep changes no b_j by more than `tolerance` relative, and returns that
sweep's (a', b'): b' is exact given a', and since each a_i is a sum of the 1/b_j with positive
weights (and each b_j of the 1/a_i), a further sweep would change no a_i or b_j by more than
about `tolerance` either, as with the plain alternation. In `eurasia`, 13–14 sweeps a step
from the last step's solution instead of 51–75 with the geometric over-relaxation used before,
and 16 from ones instead of 108. Anderson on the plain sweep took 62 and 91; SQUAREM (Varadhan
& Roland 2008) on the stretched sweep 23 and 31 (bench/RESULTS.md).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

ANDERSON_MEMORY = 5
REGULARISATION = 1e-10
GUARD = 2.0
MAX_STRETCH = 1e6


@njit(cache=True)
def output_shares(gdp: np.ndarray) -> np.ndarray:
    """θ_i = Y_i / Y_w, summed over outputs scaled by the largest: the sum cannot overflow, and
    no share becomes 0 or NaN, however large the outputs."""
    scaled = gdp / gdp.max()
    return scaled / scaled.sum()


# error_model="numpy": a division by zero gives inf or NaN, as numpy's does, which the run's
# finiteness check then names, rather than raising ZeroDivisionError from inside a kernel.
@njit(cache=True, error_model="numpy")
def _row_sums(
    rows: np.ndarray, theta: np.ndarray, other: np.ndarray, out: np.ndarray, weight: np.ndarray
) -> None:
    """out_k = Σ_r rows[r, k]·θ_r / other_r, in place.

    Summing whole contiguous rows keeps the inner loop free of a floating-point reduction, which
    numba would not vectorise.
    """
    n = theta.shape[0]
    for r in range(n):
        weight[r] = theta[r] / other[r]
    out[:] = 0.0
    for r in range(n):
        w = weight[r]
        for k in range(n):
            out[k] += rows[r, k] * w


@njit(cache=True, error_model="numpy")
def _anderson_point(
    d_g: np.ndarray,
    d_f: np.ndarray,
    stored: int,
    g: np.ndarray,
    f: np.ndarray,
    gram: np.ndarray,
    gamma: np.ndarray,
    out: np.ndarray,
) -> bool:
    """out = g − ΔG·γ, γ minimising ‖f − ΔF·γ‖ over the first `stored` rows of d_g and d_f,
    less the correction's mean (module docstring); False if there is no finite such point."""
    n = g.shape[0]
    trace = 0.0
    for p in range(stored):
        for q in range(p, stored):
            s = 0.0
            for j in range(n):
                s += d_f[p, j] * d_f[q, j]
            gram[p, q] = s
            gram[q, p] = s
        s = 0.0
        for j in range(n):
            s += d_f[p, j] * f[j]
        gamma[p] = s
        trace += gram[p, p]
    # Differences that are all 0 (a sweep that moved nothing) leave nothing to combine.
    if not (trace > 0.0 and np.isfinite(trace)):
        return False
    for p in range(stored):
        gram[p, p] += REGULARISATION * trace / stored
    try:
        solution = np.linalg.solve(gram[:stored, :stored], gamma[:stored])
    except Exception:  # noqa: BLE001 (numba can catch no narrower class than Exception)
        return False
    for p in range(stored):
        if not np.isfinite(solution[p]):
            return False
        gamma[p] = solution[p]
    mean = 0.0
    for j in range(n):
        s = 0.0
        for p in range(stored):
            s += gamma[p] * d_g[p, j]
        out[j] = s
        mean += s
    mean /= n
    for j in range(n):
        out[j] = g[j] - (out[j] - mean)
        if not np.isfinite(out[j]):
            return False
    return True


@njit(cache=True, error_model="numpy")
def gravity_flows(
    gdp: np.ndarray,
    phi: np.ndarray,
    outward_start: np.ndarray,
    inward_start: np.ndarray,
    tolerance: float,
    max_iterations: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Trade flows X (n×n), outward a, inward b resistances and the sweeps used.

    The iteration starts from the given resistances (ones, or the last step's solution), and
    stops when a plain sweep changes no b_j by more than `tolerance` relative to its value, or
    after `max_iterations` sweeps (module docstring).
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
    home = np.empty(n)
    for j in range(n):
        home[j] = theta[j] * phi[j, j]
    memory = ANDERSON_MEMORY
    weight = np.empty(n)
    b = inward_start.copy()
    x = np.log(b)  # the iterate: b = exp(x)
    g = np.empty(n)
    f = np.empty(n)
    g_last = np.empty(n)
    f_last = np.empty(n)
    candidate = np.empty(n)
    unaccelerated = np.empty(n)
    # The last `memory` differences of g and f, as a ring: the least squares do not depend on
    # their order.
    d_g = np.zeros((memory, n))
    d_f = np.zeros((memory, n))
    gram = np.empty((memory, memory))
    gamma = np.empty(memory)
    stored = 0
    newest = -1
    has_last = False
    accelerated = False
    last_change = np.inf
    iterations = 0
    for _ in range(max_iterations):
        iterations += 1
        _row_sums(phi_t, theta, b, outward, weight)
        _row_sums(phi, theta, outward, inward, weight)
        change = 0.0
        for j in range(n):
            c = abs(inward[j] / b[j] - 1.0)
            if c > change or np.isnan(c):  # once NaN, it stays: NaN never converges
                change = c
        if change < tolerance:
            break
        if accelerated and not change <= GUARD * last_change:
            # The extrapolation made things worse: take the step it replaced, and forget the
            # differences that misled it.
            x[:] = unaccelerated
            for j in range(n):
                b[j] = np.exp(x[j])
            stored = 0
            newest = -1
            has_last = accelerated = False
            continue
        last_change = change
        for j in range(n):
            own = home[j] * home[j] / (outward[j] * outward[j] * b[j] * inward[j])
            f[j] = np.log(inward[j] / b[j]) / max(1.0 - own, 1.0 / MAX_STRETCH)
            g[j] = x[j] + f[j]
        if has_last:
            newest = (newest + 1) % memory
            for j in range(n):
                d_g[newest, j] = g[j] - g_last[j]
                d_f[newest, j] = f[j] - f_last[j]
            stored = min(stored + 1, memory)
        g_last[:] = g
        f_last[:] = f
        has_last = True
        accelerated = stored > 0 and _anderson_point(d_g, d_f, stored, g, f, gram, gamma,
                                                     candidate)
        if accelerated:
            unaccelerated[:] = g
            x[:] = candidate
        else:
            x[:] = g
        for j in range(n):
            b[j] = np.exp(x[j])
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
    """Plain-numpy reference for `gravity_flows`: the same steps as array operations."""
    n = gdp.shape[0]
    outward, inward = outward_start.copy(), inward_start.copy()
    if n == 0:
        return np.zeros((0, 0)), outward, inward, 0
    total = gdp.sum()
    theta = output_shares(gdp)
    home = theta * np.diag(phi)
    b = inward_start.copy()
    x = np.log(b)
    d_g: list[np.ndarray] = []
    d_f: list[np.ndarray] = []
    last = unaccelerated = None
    last_change = np.inf
    iterations = 0
    for _ in range(max_iterations):
        iterations += 1
        outward = phi @ (theta / b)
        inward = (theta / outward) @ phi
        change = np.max(np.abs(inward / b - 1.0))
        if change < tolerance:
            break
        if unaccelerated is not None and not change <= GUARD * last_change:
            # As in the kernel: back to the step the extrapolation replaced, history forgotten.
            x, unaccelerated, last = unaccelerated, None, None
            d_g.clear()
            d_f.clear()
            b = np.exp(x)
            continue
        last_change = change
        own = home * home / (outward * outward * b * inward)
        f = np.log(inward / b) / np.maximum(1.0 - own, 1.0 / MAX_STRETCH)
        g = x + f
        if last is not None:
            d_g.append(g - last[0])
            d_f.append(f - last[1])
            del d_g[:-ANDERSON_MEMORY], d_f[:-ANDERSON_MEMORY]
        last, x, unaccelerated = (g, f), g, None
        if d_f:
            x, unaccelerated = _anderson_step(np.array(d_g), np.array(d_f), g, f)
        b = np.exp(x)
    flows = total * np.outer(theta, theta) * phi / np.outer(outward, inward)
    return flows, outward, inward, iterations


def _anderson_step(
    d_g: np.ndarray, d_f: np.ndarray, g: np.ndarray, f: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The accelerated point and the step it replaces, or (g, None) if it cannot be had."""
    gram = d_f @ d_f.T
    trace = np.trace(gram)
    if not (trace > 0.0 and np.isfinite(trace)):
        return g, None
    gram += REGULARISATION * trace / len(d_f) * np.eye(len(d_f))
    try:
        gamma = np.linalg.solve(gram, d_f @ f)
    except np.linalg.LinAlgError:
        return g, None
    correction = gamma @ d_g
    point = g - (correction - correction.mean())
    return (point, g) if np.isfinite(point).all() else (g, None)


def gravity_flows_python_loop(
    gdp: np.ndarray,
    phi: np.ndarray,
    outward_start: np.ndarray,
    inward_start: np.ndarray,
    tolerance: float,
    max_iterations: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The same solve state by state in plain Python: the baseline of `geopol bench`."""
    n = len(gdp)
    phi_rows = phi.tolist()
    total = float(sum(gdp.tolist()))
    theta = output_shares(gdp).tolist() if n else []
    home = [theta[j] * phi_rows[j][j] for j in range(n)]
    outward, inward = outward_start.tolist(), inward_start.tolist()
    b = inward_start.tolist()
    x = [math.log(v) for v in b]
    d_g: list[list[float]] = []
    d_f: list[list[float]] = []
    last = unaccelerated = None
    last_change = math.inf
    iterations = 0
    for _ in range(max_iterations if n else 0):
        iterations += 1
        outward = [sum(phi_rows[i][j] * theta[j] / b[j] for j in range(n)) for i in range(n)]
        inward = [sum(phi_rows[i][j] * theta[i] / outward[i] for i in range(n))
                  for j in range(n)]
        change = 0.0
        for j in range(n):
            c = abs(inward[j] / b[j] - 1.0)
            if c > change or math.isnan(c):
                change = c
        if change < tolerance:
            break
        if unaccelerated is not None and not change <= GUARD * last_change:
            x, unaccelerated, last = unaccelerated, None, None
            d_g, d_f = [], []
            b = [math.exp(v) for v in x]
            continue
        last_change = change
        f = []
        for j in range(n):
            own = home[j] * home[j] / (outward[j] * outward[j] * b[j] * inward[j])
            f.append(math.log(inward[j] / b[j]) / max(1.0 - own, 1.0 / MAX_STRETCH))
        g = [x[j] + f[j] for j in range(n)]
        if last is not None:
            d_g = [*d_g, [g[j] - last[0][j] for j in range(n)]][-ANDERSON_MEMORY:]
            d_f = [*d_f, [f[j] - last[1][j] for j in range(n)]][-ANDERSON_MEMORY:]
        last, x, unaccelerated = (g, f), g, None
        if d_f:
            # The small least-squares step as the reference takes it: the sweeps above, n² each,
            # are the loop's cost, not this.
            point, replaced = _anderson_step(np.array(d_g), np.array(d_f), np.array(g),
                                             np.array(f))
            if replaced is not None:
                x, unaccelerated = point.tolist(), g
        b = [math.exp(v) for v in x]
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
