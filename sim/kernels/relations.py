"""Relations between states and trade interdependence (docs/model.md, "Relations").

Relations R_ij ∈ [−1, 1] are symmetric, with R_ii = 1. Each step they relax towards a baseline
and are pushed by five channels (soft-power attraction, trade interdependence, summit
co-attendance, the "political plus" of regions (paper 002), sanctions):

    P_ij  = w0·A_ij + w1·I_ij + w2·M_ij + w3·G_ij·(1 − R_ij)/2 − w4·S_ij
    R'_ij = clip(R_ij + Δt·(δ·(B_ij − R_ij) + P_ij), −1, 1)

Interdependence is a pair's two-way trade relative to the smaller economy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

CHANNELS = ("attraction", "interdependence", "summits", "political_plus", "sanction")
"""The order of the five push channels in `weights` and in the `terms` that
`relations_update` returns."""


# ---------------------------------------------------------------- relations update


@njit(cache=True)
def relations_update(
    relations: np.ndarray,
    baseline: np.ndarray,
    drift: float,
    attraction: np.ndarray,
    interdependence: np.ndarray,
    summits: np.ndarray,
    political_plus: np.ndarray,
    sanction: np.ndarray,
    weights: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """New relations (S×S) and the five channel terms (5×S×S) of one step of Δt = `dt` years.

    Every input is symmetrised first: sanction as S_ij = max(s_ij, s_ji) (a sanction either way
    counts), every other matrix X as (X_ij + X_ji)/2. With the symmetrised pre-step R_ij:

        term_0 = Δt·w0·A_ij                   attraction, A ∈ [0, 1]
        term_1 = Δt·w1·I_ij                   trade interdependence, I ∈ [0, 1]
        term_2 = Δt·w2·M_ij                   summit co-attendance, M ≥ 0
        term_3 = Δt·w3·G_ij·(1 − R_ij)/2      political plus, G ≥ 0 (paper 002)
        term_4 = −Δt·w4·S_ij                  sanction, S ∈ [0, 1]
        R'_ij  = clip(R_ij + Δt·δ·(B_ij − R_ij) + Σ_k term_k, −1, 1)

    The factor (1 − R)/2 (0 at R = 1, 1 at R = −1) makes the regions' channel matter most when
    relations are bad and state channels blocked (paper 002, "political plus"). The terms are
    the unclipped contributions, so that a caller can attribute a change to its channels; the
    drift term Δt·δ·(B − R) is not among them. R'_ii = 1, and every term is 0 on the diagonal.
    Without pushes R − B shrinks by the factor (1 − δ·Δt) per step (needs δ·Δt ≤ 1).
    Each entry is computed from both (i, j) and (j, i) by commutative operations, so the
    result is exactly symmetric; rows are written contiguously. Serial: S is at most a few
    hundred states.
    """
    n = relations.shape[0]
    new = np.empty((n, n))
    terms = np.empty((5, n, n))
    w0, w1, w2, w3, w4 = weights[0], weights[1], weights[2], weights[3], weights[4]
    for i in range(n):
        for j in range(n):
            r = (relations[i, j] + relations[j, i]) / 2.0
            b = (baseline[i, j] + baseline[j, i]) / 2.0
            a = (attraction[i, j] + attraction[j, i]) / 2.0
            x = (interdependence[i, j] + interdependence[j, i]) / 2.0
            m = (summits[i, j] + summits[j, i]) / 2.0
            g = (political_plus[i, j] + political_plus[j, i]) / 2.0
            s = max(sanction[i, j], sanction[j, i])
            terms[0, i, j] = dt * w0 * a
            terms[1, i, j] = dt * w1 * x
            terms[2, i, j] = dt * w2 * m
            terms[3, i, j] = dt * w3 * g * ((1.0 - r) / 2.0)
            terms[4, i, j] = -(dt * w4 * s)
            push = w0 * a + w1 * x + w2 * m + w3 * g * ((1.0 - r) / 2.0) - w4 * s
            new[i, j] = min(max(r + dt * (drift * (b - r) + push), -1.0), 1.0)
        new[i, i] = 1.0
        for k in range(5):
            terms[k, i, i] = 0.0
    return new, terms


def _mean_sym(x: np.ndarray) -> np.ndarray:
    return (x + x.T) / 2.0


def relations_update_reference(
    relations: np.ndarray,
    baseline: np.ndarray,
    drift: float,
    attraction: np.ndarray,
    interdependence: np.ndarray,
    summits: np.ndarray,
    political_plus: np.ndarray,
    sanction: np.ndarray,
    weights: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `relations_update`."""
    n = relations.shape[0]
    r = _mean_sym(relations)
    b = _mean_sym(baseline)
    a = _mean_sym(attraction)
    x = _mean_sym(interdependence)
    m = _mean_sym(summits)
    g = _mean_sym(political_plus)
    s = np.maximum(sanction, sanction.T)
    w0, w1, w2, w3, w4 = (float(w) for w in weights)
    bad = (1.0 - r) / 2.0
    terms = np.stack(
        [dt * w0 * a, dt * w1 * x, dt * w2 * m, dt * w3 * g * bad, -(dt * w4 * s)]
    )
    push = w0 * a + w1 * x + w2 * m + w3 * g * bad - w4 * s
    new = np.clip(r + dt * (drift * (b - r) + push), -1.0, 1.0)
    diagonal = np.eye(n, dtype=bool)
    new[diagonal] = 1.0
    terms[:, diagonal] = 0.0
    return new, terms


def relations_update_python_loop(
    relations: np.ndarray,
    baseline: np.ndarray,
    drift: float,
    attraction: np.ndarray,
    interdependence: np.ndarray,
    summits: np.ndarray,
    political_plus: np.ndarray,
    sanction: np.ndarray,
    weights: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair-by-pair plain Python, the baseline for `geopol bench`."""
    n = len(relations)
    rel, base, att = relations.tolist(), baseline.tolist(), attraction.tolist()
    dep, summ, pplus, sanc = (
        interdependence.tolist(), summits.tolist(), political_plus.tolist(), sanction.tolist()
    )
    w0, w1, w2, w3, w4 = (float(w) for w in weights)
    new = [[1.0] * n for _ in range(n)]
    terms = [[[0.0] * n for _ in range(n)] for _ in range(5)]
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            r = (rel[i][j] + rel[j][i]) / 2.0
            b = (base[i][j] + base[j][i]) / 2.0
            a = (att[i][j] + att[j][i]) / 2.0
            x = (dep[i][j] + dep[j][i]) / 2.0
            m = (summ[i][j] + summ[j][i]) / 2.0
            g = (pplus[i][j] + pplus[j][i]) / 2.0
            s = max(sanc[i][j], sanc[j][i])
            terms[0][i][j] = dt * w0 * a
            terms[1][i][j] = dt * w1 * x
            terms[2][i][j] = dt * w2 * m
            terms[3][i][j] = dt * w3 * g * ((1.0 - r) / 2.0)
            terms[4][i][j] = -(dt * w4 * s)
            push = w0 * a + w1 * x + w2 * m + w3 * g * ((1.0 - r) / 2.0) - w4 * s
            new[i][j] = min(max(r + dt * (drift * (b - r) + push), -1.0), 1.0)
    return np.array(new, dtype=np.float64).reshape(n, n), np.array(terms).reshape(5, n, n)


# ---------------------------------------------------------------- interdependence


@njit(cache=True)
def interdependence(trade: np.ndarray, gdp: np.ndarray) -> np.ndarray:
    """Trade interdependence (S×S) in [0, 1] of each pair, relative to the smaller economy:

        I_ij = clip((X_ij + X_ji) / min(Y_i, Y_j), 0, 1),   I_ii = 0,

    with X_ij the flow from exporter i to importer j and Y the GDPs (same currency). A pair with
    a non-positive GDP gets 0.
    """
    n = gdp.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            smaller = min(gdp[i], gdp[j])
            if smaller > 0.0:
                v = min(max((trade[i, j] + trade[j, i]) / smaller, 0.0), 1.0)
                out[i, j] = v
                out[j, i] = v
    return out


def interdependence_reference(trade: np.ndarray, gdp: np.ndarray) -> np.ndarray:
    """Plain-numpy reference for `interdependence`."""
    smaller = np.minimum(gdp[:, None], gdp[None, :])
    out = np.zeros(smaller.shape)
    np.divide(trade + trade.T, smaller, out=out, where=smaller > 0.0)
    out = np.clip(out, 0.0, 1.0)
    np.fill_diagonal(out, 0.0)
    return out


def interdependence_python_loop(trade: np.ndarray, gdp: np.ndarray) -> np.ndarray:
    """Pair-by-pair plain Python, the baseline for `geopol bench`."""
    n = len(gdp)
    flows, y = trade.tolist(), gdp.tolist()
    out = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            smaller = min(y[i], y[j])
            if i != j and smaller > 0.0:
                out[i][j] = min(max((flows[i][j] + flows[j][i]) / smaller, 0.0), 1.0)
    return np.array(out, dtype=np.float64).reshape(n, n)
