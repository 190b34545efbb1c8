"""Technology waves, the technology level and the capacity index (docs/model.md, "Technology").

Paper 000 makes technology the main causal variable of power. History runs in Kondratieff-like
waves; a new wave favours whoever adopts it first and spreads through cooperation and trade.
Each wave w spreads among the states by a network Bass diffusion (Bass 1969): the share F_iw of
state i that has adopted it grows at the hazard

    h_iw = p_w + q_w · Σ_j E_ij F_jw

where p_w is innovation (adoption on one's own), q_w imitation, and E_ij ≥ 0 the weight of
partner j in i's contacts (rows sum to 1, or to 0 for an isolated state). The technology level is
T_i = Σ_w s_w F_iw, and it amplifies each of the ten dimensions of state power in the capacity
index. A rise in T raises GDP by the factor exp(ε ΔT).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# The waves of paper 000, with the first year of the decade in which the paper places each.
WAVES: tuple[tuple[str, int], ...] = (
    ("electronics", 1920),
    ("atomic", 1940),
    ("aviation and engines", 1950),
    ("space", 1970),
    ("microelectronics", 1980),
    ("information and telecoms", 1990),
    ("civilian R&D", 2000),
    ("nano and bio", 2010),
    ("AI and cognitive technology", 2020),
)

# The ten dimensions of state power of paper 000, in the column order of `capacity_index`.
DIMENSIONS: tuple[str, ...] = (
    "population",
    "territory",
    "governance",
    "foreign_policy",
    "military",
    "economy",
    "natural_resources",
    "science",
    "education",
    "culture",
)


# ---------------------------------------------------------------- Bass diffusion


@njit(cache=True)
def bass_adoption(
    adoption: np.ndarray,
    started: np.ndarray,
    exposure: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Adoption shares after one step of network Bass diffusion, (S, W).

    adoption (S, W) shares F in [0, 1]; started (W,) bool; exposure (S, S) E ≥ 0, rows summing
    to 1 or 0; p, q (W,) innovation and imitation per year (≥ 0); dt the step in years.

    The hazard h_iw = p_w + q_w · Σ_j E_ij F_jw is computed from the adoption at the start of
    the step for every state (a synchronous update) and held fixed over the step, so

        F'_iw = 1 − (1 − F_iw) · exp(−h_iw · dt)  =  F_iw − (1 − F_iw) · expm1(−h_iw · dt)

    exactly, for a constant hazard: F' stays in [0, 1] and never falls. Since the hazard rises
    within a step as F rises, this lags the continuous Bass curve slightly; the error is of
    order dt. Waves not started are copied unchanged. With E_ii = 1 and no other partners a
    state follows the classic Bass (1969) equation dF/dt = (p + qF)(1 − F).

    Serial on purpose. The partner sums are built as W rows of S values (for each partner j
    and wave w, add E_·j F_jw to row w), so the inner loop runs over contiguous values and numba
    vectorises it; terms with F_jw = 0 are skipped, and each sum runs over j in a fixed order.
    At S = 200, W = 9 (360,000 multiply-adds) a step takes about 40 µs; prange over the waves
    took twice as long on two cores, since starting a parallel region costs more than the work.
    """
    n, waves = adoption.shape
    out = adoption.copy()
    exposure_t = np.ascontiguousarray(exposure.T)  # row j: how much every state sees of j
    pressure = np.zeros((waves, n))  # pressure[w, i] = Σ_j E_ij F_jw
    for j in range(n):
        for w in range(waves):
            f = adoption[j, w]
            if f != 0.0 and started[w]:
                row = pressure[w]
                for i in range(n):
                    row[i] += exposure_t[j, i] * f
    for i in range(n):
        for w in range(waves):
            if started[w]:
                f = adoption[i, w]
                hazard = p[w] + q[w] * pressure[w, i]
                out[i, w] = min(1.0, f - (1.0 - f) * math.expm1(-hazard * dt))
    return out


def bass_adoption_reference(
    adoption: np.ndarray,
    started: np.ndarray,
    exposure: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Plain-numpy reference for `bass_adoption`: the partner sums as one matrix product."""
    hazard = p + q * (exposure @ adoption)
    new = np.minimum(1.0, adoption - (1.0 - adoption) * np.expm1(-hazard * dt))
    return np.where(started, new, adoption)


def bass_adoption_python_loop(
    adoption: np.ndarray,
    started: np.ndarray,
    exposure: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Baseline for `geopol bench`: state by state, wave by wave, partner by partner."""
    n, waves = adoption.shape
    out = adoption.copy()
    for i in range(n):
        for w in range(waves):
            if not started[w]:
                continue
            pressure = 0.0
            for j in range(n):
                pressure += exposure[i, j] * adoption[j, w]
            f = adoption[i, w]
            hazard = p[w] + q[w] * pressure
            out[i, w] = min(1.0, f - (1.0 - f) * math.expm1(-hazard * dt))
    return out


def bass_closed_form(years: np.ndarray, p: float, q: float) -> np.ndarray:
    """The Bass (1969) share adopted `years` after a wave starts, for one isolated state:

        F(t) = (1 − e^(−(p+q)t)) / (1 + (q/p) e^(−(p+q)t)),   0 for t ≤ 0; p > 0.

    For tests of `bass_adoption`, and to set a wave's adoption at a scenario's start.
    """
    t = np.maximum(np.asarray(years, dtype=float), 0.0)
    decay = np.exp(-(p + q) * t)
    return -np.expm1(-(p + q) * t) / (1.0 + (q / p) * decay)


# ---------------------------------------------------------------- technology level


@njit(cache=True)
def technology_level(adoption: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """T_s = Σ_w strength_w · F_sw, (S,): every wave adopted keeps adding to the level."""
    n, waves = adoption.shape
    level = np.zeros(n)
    for s in range(n):
        acc = 0.0
        for w in range(waves):
            acc += strength[w] * adoption[s, w]
        level[s] = acc
    return level


def technology_level_reference(adoption: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Plain-numpy reference for `technology_level`."""
    return adoption @ strength


def technology_level_python_loop(adoption: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Baseline for `geopol bench`."""
    n, waves = adoption.shape
    level = np.zeros(n)
    for s in range(n):
        for w in range(waves):
            level[s] += strength[w] * adoption[s, w]
    return level


# ---------------------------------------------------------------- capacity index


@njit(cache=True)
def capacity_index(
    dimensions: np.ndarray,
    technology: np.ndarray,
    amplification: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Technological capacity index (S,) in [0, 1] and the amplified dimensions (S, K).

    dimensions (S, K) raw values ≥ 0 (K = 10, in the order of DIMENSIONS); technology (S,) the
    level T ≥ 0; amplification (K,) α ≥ 0; weights (K,) ≥ 0 summing to 1.

    Each dimension is min–max normalised across the states, n_sk = (x_sk − min_k)/(max_k −
    min_k), so its units do not matter; a column with one value (and any column when S = 1)
    normalises to 0.5. Technology amplifies it, relative to the most advanced state,

        a_sk = n_sk · (1 + α_k T_s) / (1 + α_k max_s T_s)       index_s = Σ_k w_k a_sk

    so the leader's a equals its n, everyone's a lies in [0, n], and the index in [0, 1]. The
    index is relative: when the leader advances, the others fall behind.
    """
    n, k = dimensions.shape
    amplified = np.empty((n, k))
    index = np.zeros(n)
    if n == 0:
        return index, amplified
    top = technology.max()
    for c in range(k):
        low = dimensions[0, c]
        high = low
        for s in range(1, n):
            low = min(low, dimensions[s, c])
            high = max(high, dimensions[s, c])
        span = high - low
        scale = 1.0 + amplification[c] * top
        for s in range(n):
            norm = 0.5 if span == 0.0 else (dimensions[s, c] - low) / span
            amplified[s, c] = norm * (1.0 + amplification[c] * technology[s]) / scale
    for s in range(n):
        acc = 0.0
        for c in range(k):
            acc += weights[c] * amplified[s, c]
        index[s] = acc
    return index, amplified


def capacity_index_reference(
    dimensions: np.ndarray,
    technology: np.ndarray,
    amplification: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `capacity_index`."""
    n, k = dimensions.shape
    if n == 0:
        return np.zeros(0), np.empty((0, k))
    low = dimensions.min(axis=0)
    span = dimensions.max(axis=0) - low
    constant = span == 0.0
    norm = (dimensions - low) / np.where(constant, 1.0, span)
    norm[:, constant] = 0.5
    amplified = norm * (1.0 + amplification * technology[:, None]) / (
        1.0 + amplification * technology.max()
    )
    return amplified @ weights, amplified


def capacity_index_python_loop(
    dimensions: np.ndarray,
    technology: np.ndarray,
    amplification: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline for `geopol bench`: dimension by dimension, state by state."""
    n, k = dimensions.shape
    amplified = np.empty((n, k))
    index = np.zeros(n)
    if n == 0:
        return index, amplified
    top = max(technology)
    for c in range(k):
        column = [dimensions[s, c] for s in range(n)]
        low, high = min(column), max(column)
        for s in range(n):
            norm = 0.5 if high == low else (column[s] - low) / (high - low)
            amplified[s, c] = (
                norm * (1.0 + amplification[c] * technology[s]) / (1.0 + amplification[c] * top)
            )
    for s in range(n):
        for c in range(k):
            index[s] += weights[c] * amplified[s, c]
    return index, amplified


# ---------------------------------------------------------------- growth


@njit(cache=True)
def technology_growth(
    level_now: np.ndarray, level_before: np.ndarray, elasticity: float
) -> np.ndarray:
    """GDP factor from technology over a step, (S,): g_s = exp(ε · (T_s − T_s,before)).

    ε is the log-GDP gained per unit of technology level (one full wave of strength 1).
    """
    n = level_now.shape[0]
    factor = np.empty(n)
    for s in range(n):
        factor[s] = math.exp(elasticity * (level_now[s] - level_before[s]))
    return factor


def technology_growth_reference(
    level_now: np.ndarray, level_before: np.ndarray, elasticity: float
) -> np.ndarray:
    """Plain-numpy reference for `technology_growth`."""
    return np.exp(elasticity * (level_now - level_before))


def technology_growth_python_loop(
    level_now: np.ndarray, level_before: np.ndarray, elasticity: float
) -> np.ndarray:
    """Baseline for `geopol bench`."""
    return np.array(
        [math.exp(elasticity * (now - before)) for now, before in zip(level_now, level_before,
                                                                      strict=True)]
    )
