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

`technology_step` does a step of the mechanism in one call: adoption, then the level, the GDP
factor and the capacity index; the other kernels are its parts.
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


# A dimension whose spread across states is within this fraction of its size is the same for
# every state: rounding must not rank states.
SAME_WITHIN = 1e-9

@njit(cache=True)
def _partner_sums_by_rows(
    adoption: np.ndarray, started: np.ndarray, exposure: np.ndarray, pressure: np.ndarray
) -> None:
    """pressure[w, i] = Σ_j E_ij F_jw for the started waves, four rows of E at a time: four
    independent sums keep the adder busy, and E is read as it lies, with no transposed copy."""
    n, waves = adoption.shape
    for w in range(waves):
        if not started[w]:
            continue
        i = 0
        while i + 4 <= n:
            e0, e1, e2, e3 = exposure[i], exposure[i + 1], exposure[i + 2], exposure[i + 3]
            s0 = s1 = s2 = s3 = 0.0
            for j in range(n):
                f = adoption[j, w]
                if f != 0.0:
                    s0 += e0[j] * f
                    s1 += e1[j] * f
                    s2 += e2[j] * f
                    s3 += e3[j] * f
            pressure[w, i] = s0
            pressure[w, i + 1] = s1
            pressure[w, i + 2] = s2
            pressure[w, i + 3] = s3
            i += 4
        for k in range(i, n):
            row = exposure[k]
            total = 0.0
            for j in range(n):
                f = adoption[j, w]
                if f != 0.0:
                    total += row[j] * f
            pressure[w, k] = total


@njit(cache=True)
def _partner_sums_by_columns(
    adoption: np.ndarray, started: np.ndarray, exposure: np.ndarray, pressure: np.ndarray
) -> None:
    """pressure[w, i] = Σ_j E_ij F_jw for the started waves, from a transposed copy of E: for
    each partner j and wave w, add E_·j F_jw to row w, an inner loop over contiguous values
    that numba vectorises."""
    n, waves = adoption.shape
    exposure_t = np.ascontiguousarray(exposure.T)  # row j: how much every state sees of j
    for j in range(n):
        for w in range(waves):
            f = adoption[j, w]
            if f != 0.0 and started[w]:
                row = pressure[w]
                for i in range(n):
                    row[i] += exposure_t[j, i] * f


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

    Serial on purpose. Each partner sum runs over j in a fixed order, skipping the terms with
    F_jw = 0, so both ways of building them give the same bits. With one or two waves under way
    the sums are built row by row of E, four rows at a time (S = 200, one wave: about 8 µs a
    step); with more, from a transposed copy of E, whose cost the waves share and whose inner
    loop numba vectorises (S = 200, W = 9, 360,000 multiply-adds: about 40 µs). prange over the
    waves took twice as long on two cores, since starting a parallel region costs more than the
    work.
    """
    n, waves = adoption.shape
    out = adoption.copy()
    pressure = np.zeros((waves, n))  # pressure[w, i] = Σ_j E_ij F_jw
    under_way = 0
    for w in range(waves):
        if started[w]:
            under_way += 1
    if under_way <= 2:
        _partner_sums_by_rows(adoption, started, exposure, pressure)
    else:
        _partner_sums_by_columns(adoption, started, exposure, pressure)
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
    """Baseline for `geopol bench`: over lists, state by state, wave by wave, partner by
    partner."""
    shares, contact = adoption.tolist(), exposure.tolist()
    on, innovation, imitation = started.tolist(), p.tolist(), q.tolist()
    out = []
    for i, row in enumerate(shares):
        new = []
        for w, f in enumerate(row):
            if not on[w]:
                new.append(f)
                continue
            pressure = 0.0
            for j, e in enumerate(contact[i]):
                pressure += e * shares[j][w]
            hazard = innovation[w] + imitation[w] * pressure
            new.append(min(1.0, f - (1.0 - f) * math.expm1(-hazard * dt)))
        out.append(new)
    return np.array(out, dtype=np.float64).reshape(adoption.shape)


def bass_closed_form(years: np.ndarray, p: float, q: float) -> np.ndarray:
    """The Bass (1969) share adopted `years` after a wave starts, for one isolated state:

        F(t) = (1 − e^(−(p+q)t)) / (1 + (q/p) e^(−(p+q)t)),   0 for t ≤ 0; p > 0.

    For tests of `bass_adoption`, and to set a wave's adoption at a scenario's start.
    """
    t = np.maximum(np.asarray(years, dtype=float), 0.0)
    decay = np.exp(-(p + q) * t)
    return -np.expm1(-(p + q) * t) / (1.0 + (q / p) * decay)


# ---------------------------------------------------------------- technology level and growth


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
    """Baseline for `geopol bench`: over lists, state by state, wave by wave."""
    weights = strength.tolist()
    level = []
    for row in adoption.tolist():
        total = 0.0
        for s_w, f in zip(weights, row, strict=True):
            total += s_w * f
        level.append(total)
    return np.array(level, dtype=np.float64)


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
    """Baseline for `geopol bench`: over lists, state by state."""
    return np.array(
        [
            math.exp(elasticity * (now - before))
            for now, before in zip(level_now.tolist(), level_before.tolist(), strict=True)
        ],
        dtype=np.float64,
    )


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
        flat = span <= SAME_WITHIN * max(abs(low), abs(high))
        scale = 1.0 + amplification[c] * top
        for s in range(n):
            norm = 0.5 if flat else (dimensions[s, c] - low) / span
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
    high = dimensions.max(axis=0)
    span = high - low
    constant = span <= SAME_WITHIN * np.maximum(np.abs(low), np.abs(high))
    norm = (dimensions - low) / np.where(constant, 1.0, span)
    norm[:, constant] = 0.5
    amplified = norm * (1.0 + amplification * technology[:, None]) / (
        1.0 + amplification * technology.max()
    )
    return amplified @ weights, amplified


def _capacity_over_lists(
    rows: list[list[float]], level: list[float], alpha: list[float], weight: list[float]
) -> tuple[list[float], list[list[float]]]:
    """`capacity_index` in plain Python over lists: dimensions as rows, one per state."""
    n, k = len(rows), len(alpha)
    if n == 0:
        return [], []
    top = max(level)
    amplified = [[0.0] * k for _ in range(n)]
    for c in range(k):
        column = [row[c] for row in rows]
        low, high = min(column), max(column)
        for s in range(n):
            flat = high - low <= SAME_WITHIN * max(abs(low), abs(high))
            norm = 0.5 if flat else (column[s] - low) / (high - low)
            amplified[s][c] = norm * (1.0 + alpha[c] * level[s]) / (1.0 + alpha[c] * top)
    index = []
    for row in amplified:
        total = 0.0
        for c in range(k):
            total += weight[c] * row[c]
        index.append(total)
    return index, amplified


def capacity_index_python_loop(
    dimensions: np.ndarray,
    technology: np.ndarray,
    amplification: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline for `geopol bench`: over lists, dimension by dimension, state by state."""
    n, k = dimensions.shape
    index, amplified = _capacity_over_lists(
        dimensions.tolist(), technology.tolist(), amplification.tolist(), weights.tolist()
    )
    return np.array(index, dtype=np.float64), np.array(amplified, dtype=np.float64).reshape(n, k)


# ---------------------------------------------------------------- one step of the mechanism


@njit(cache=True)
def technology_step(
    adoption: np.ndarray,
    started: np.ndarray,
    exposure: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    strength: np.ndarray,
    level_before: np.ndarray,
    elasticity: float,
    dimensions: np.ndarray,
    level_dimensions: np.ndarray,
    amplification: np.ndarray,
    weights: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One step of the technology mechanism, each part from the ones before: adoption (S, W),
    level (S,), GDP factor (S,) and capacity index (S,).

        F'     = bass_adoption(adoption, started, exposure, p, q, dt)
        T'     = technology_level(F', strength)
        g      = technology_growth(T', level_before, elasticity)
        index  = capacity_index(dimensions with T' in its columns level_dimensions, T',
                                amplification, weights)[0]

    level_before (S,) is the level at the start of the step; `level_dimensions` names the
    columns of `dimensions` (S, K) that are the level itself (science, education), ints in
    0..K−1 (ValueError otherwise).
    """
    k = dimensions.shape[1]
    for c in level_dimensions:
        if c < 0 or c >= k:
            raise ValueError("level_dimensions must lie in 0..K-1")
    new = bass_adoption(adoption, started, exposure, p, q, dt)
    level = technology_level(new, strength)
    growth = technology_growth(level, level_before, elasticity)
    measured = dimensions.copy()
    for c in level_dimensions:
        measured[:, c] = level
    index, _ = capacity_index(measured, level, amplification, weights)
    return new, level, growth, index


def technology_step_reference(
    adoption: np.ndarray,
    started: np.ndarray,
    exposure: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    strength: np.ndarray,
    level_before: np.ndarray,
    elasticity: float,
    dimensions: np.ndarray,
    level_dimensions: np.ndarray,
    amplification: np.ndarray,
    weights: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain-numpy reference for `technology_step`: the references of its parts."""
    if np.any((level_dimensions < 0) | (level_dimensions >= dimensions.shape[1])):
        raise ValueError("level_dimensions must lie in 0..K-1")
    new = bass_adoption_reference(adoption, started, exposure, p, q, dt)
    level = technology_level_reference(new, strength)
    growth = technology_growth_reference(level, level_before, elasticity)
    measured = dimensions.copy()
    measured[:, level_dimensions] = level[:, None]
    index, _ = capacity_index_reference(measured, level, amplification, weights)
    return new, level, growth, index


def technology_step_python_loop(
    adoption: np.ndarray,
    started: np.ndarray,
    exposure: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    strength: np.ndarray,
    level_before: np.ndarray,
    elasticity: float,
    dimensions: np.ndarray,
    level_dimensions: np.ndarray,
    amplification: np.ndarray,
    weights: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Baseline for `geopol bench`: the baselines of its parts, over lists."""
    k = dimensions.shape[1]
    replaced = level_dimensions.tolist()
    if any(not 0 <= c < k for c in replaced):
        raise ValueError("level_dimensions must lie in 0..K-1")
    new = bass_adoption_python_loop(adoption, started, exposure, p, q, dt)
    level = technology_level_python_loop(new, strength)
    growth = technology_growth_python_loop(level, level_before, elasticity)
    rows, now = dimensions.tolist(), level.tolist()
    for row, t in zip(rows, now, strict=True):
        for c in replaced:
            row[c] = t
    index, _ = _capacity_over_lists(rows, now, amplification.tolist(), weights.tolist())
    return new, level, growth, np.array(index, dtype=np.float64)
