"""Soft power: pillars and index, attraction, familiarity, reputation (docs/model.md, "Soft power").

In the manner of the Soft Power 30 ranking, which paper 000 takes as its yardstick: each metric is
min–max normalised across states, a pillar is the mean of its normalised metrics, and the index is
a weighted mean of the six pillars (government, culture, education, engagement, enterprise,
digital). Attraction spreads through exposure (trade, cultural links, digital reach). Familiarity
(how widely a state is known) and reputation (how well it is liked) are separate quantities:
aggression and sanctions lower reputation, not familiarity.

Every kernel here loops over states, of which a scenario has at most a few hundred: serial on
purpose, since starting a parallel region would cost more than the loop, and serial sums keep the
results independent of the thread count. The S×S kernels spend their time in exp; numba calls the
scalar libm exp (about 3 ns), numpy a vectorised one, so at a few hundred states the numpy
reference is as fast. 1 − exp(−x) is used rather than expm1, which numba's libm makes 3–4 times
slower; the cancellation for tiny x costs at most about 1e-16 in absolute terms.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

PILLARS = ("government", "culture", "education", "engagement", "enterprise", "digital")
N_PILLARS = len(PILLARS)


# ---------------------------------------------------------------- pillars and index


@njit(cache=True)
def soft_power_pillars(
    metrics: np.ndarray, pillar_of: np.ndarray, pillar_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pillars (S×6) and index (S,) from metrics (S×M), all in [0, 1].

        x̂_sm = (x_sm − min_s x_sm) / (max_s x_sm − min_s x_sm)   (0.5 if the metric is constant)
        P_sp = mean of x̂_sm over the metrics m with pillar_of[m] = p   (0.5 if p has none)
        I_s  = Σ_p w_p P_sp / Σ_p w_p                          (equal weights if Σ_p w_p = 0)

    `pillar_of[m]` ∈ 0..5 names the pillar of metric m, in the order of `PILLARS` (ValueError
    otherwise). Min–max normalisation makes the result invariant to each metric's units (any
    increasing affine map).
    """
    n_states, n_metrics = metrics.shape
    pillars = np.empty((n_states, N_PILLARS))
    index = np.empty(n_states)
    sums = np.zeros((n_states, N_PILLARS))
    counts = np.zeros(N_PILLARS)
    for m in range(n_metrics):
        if pillar_of[m] < 0 or pillar_of[m] >= N_PILLARS:
            raise ValueError("pillar_of must lie in 0..5")
    for m in range(n_metrics):
        p = pillar_of[m]
        counts[p] += 1.0
        if n_states == 0:
            continue
        lo = metrics[0, m]
        hi = metrics[0, m]
        for s in range(1, n_states):
            lo = min(lo, metrics[s, m])
            hi = max(hi, metrics[s, m])
        span = hi - lo
        for s in range(n_states):
            sums[s, p] += (metrics[s, m] - lo) / span if span > 0.0 else 0.5
    weight_total = 0.0
    for p in range(N_PILLARS):
        weight_total += pillar_weights[p]
    for s in range(n_states):
        total = 0.0
        for p in range(N_PILLARS):
            pillars[s, p] = min(1.0, sums[s, p] / counts[p]) if counts[p] > 0.0 else 0.5
            w = pillar_weights[p] if weight_total > 0.0 else 1.0
            total += w * pillars[s, p]
        index[s] = min(1.0, total / (weight_total if weight_total > 0.0 else float(N_PILLARS)))
    return pillars, index


def soft_power_pillars_reference(
    metrics: np.ndarray, pillar_of: np.ndarray, pillar_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `soft_power_pillars`."""
    n_states, n_metrics = metrics.shape
    if np.any((pillar_of < 0) | (pillar_of >= N_PILLARS)):
        raise ValueError("pillar_of must lie in 0..5")
    if n_states == 0:
        return np.empty((0, N_PILLARS)), np.empty(0)
    lo, hi = metrics.min(axis=0), metrics.max(axis=0)
    span = hi - lo
    constant = span <= 0.0
    normed = np.where(constant, 0.5, (metrics - lo) / np.where(constant, 1.0, span))
    member = np.zeros((n_metrics, N_PILLARS))
    member[np.arange(n_metrics), pillar_of] = 1.0
    counts = member.sum(axis=0)
    sums = normed @ member
    pillars = np.where(
        counts > 0.0, np.minimum(1.0, sums / np.where(counts > 0.0, counts, 1.0)), 0.5
    )
    weights = pillar_weights if pillar_weights.sum() > 0.0 else np.ones(N_PILLARS)
    index = np.minimum(1.0, (pillars * weights).sum(axis=1) / weights.sum())
    return pillars, index


def soft_power_pillars_python_loop(
    metrics: np.ndarray, pillar_of: np.ndarray, pillar_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Naive baseline for `geopol bench`: state by state, metric by metric, in plain Python."""
    n_states, n_metrics = metrics.shape
    for m in range(n_metrics):
        if not 0 <= pillar_of[m] < N_PILLARS:
            raise ValueError("pillar_of must lie in 0..5")
    lows, highs = [], []
    for m in range(n_metrics):
        column = [float(metrics[s, m]) for s in range(n_states)]
        lows.append(min(column) if column else 0.0)
        highs.append(max(column) if column else 0.0)
    weight_total = 0.0
    for w in pillar_weights:
        weight_total += w
    pillars = np.empty((n_states, N_PILLARS))
    index = np.empty(n_states)
    for s in range(n_states):
        total = 0.0
        for p in range(N_PILLARS):
            total_p, count = 0.0, 0
            for m in range(n_metrics):
                if pillar_of[m] == p:
                    span = highs[m] - lows[m]
                    total_p += (metrics[s, m] - lows[m]) / span if span > 0.0 else 0.5
                    count += 1
            pillars[s, p] = min(1.0, total_p / count) if count else 0.5
            total += (pillar_weights[p] if weight_total > 0.0 else 1.0) * pillars[s, p]
        index[s] = min(1.0, total / (weight_total if weight_total > 0.0 else N_PILLARS))
    return pillars, index


# ---------------------------------------------------------------- attraction


@njit(cache=True)
def attraction_update(
    attraction: np.ndarray, exposure: np.ndarray, appeal: np.ndarray, rate: float, dt: float
) -> np.ndarray:
    """A'_ij = A_ij + (1 − exp(−rate·E_ij·Δt))·(appeal_i − A_ij), diagonal kept.

    A_ij ∈ [0, 1] is how attracted the public of state j is to state i, E_ij ≥ 0 how exposed
    it is to i. Attraction moves towards i's appeal, faster with more exposure; without exposure
    it does not move. The result lies between A_ij and appeal_i.
    """
    n = attraction.shape[0]
    out = np.empty((n, n))
    for i in range(n):
        target = appeal[i]
        for j in range(n):
            a = attraction[i, j]
            if i == j:
                out[i, j] = a
                continue
            x = rate * exposure[i, j] * dt
            pull = 1.0 - math.exp(-x) if x > 0.0 else 0.0
            out[i, j] = min(max(a + pull * (target - a), min(a, target)), max(a, target))
    return out


def attraction_update_reference(
    attraction: np.ndarray, exposure: np.ndarray, appeal: np.ndarray, rate: float, dt: float
) -> np.ndarray:
    """Plain-numpy reference for `attraction_update`."""
    target = appeal[:, None]
    pull = 1.0 - np.exp(-rate * exposure * dt)
    moved = attraction + pull * (target - attraction)
    out = np.clip(moved, np.minimum(attraction, target), np.maximum(attraction, target))
    diagonal = np.arange(attraction.shape[0])
    out[diagonal, diagonal] = attraction[diagonal, diagonal]
    return out


def attraction_update_python_loop(
    attraction: np.ndarray, exposure: np.ndarray, appeal: np.ndarray, rate: float, dt: float
) -> np.ndarray:
    """Naive baseline for `geopol bench`: pair by pair, in plain Python."""
    n = attraction.shape[0]
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            a = attraction[i, j]
            if i == j:
                out[i, j] = a
                continue
            target = appeal[i]
            x = rate * exposure[i, j] * dt
            pull = 1.0 - math.exp(-x) if x > 0.0 else 0.0
            out[i, j] = min(max(a + pull * (target - a), min(a, target)), max(a, target))
    return out


# ---------------------------------------------------------------- familiarity


@njit(cache=True)
def familiarity(exposure: np.ndarray, population: np.ndarray) -> np.ndarray:
    """F_i = Σ_{j≠i} pop_j·(1 − exp(−E_ij)) / Σ_{j≠i} pop_j, in [0, 1]; 0 if no one is abroad.

    How widely state i is known abroad: the population-weighted share of foreign publics reached
    by its exposure. It does not depend on reputation.
    """
    n = exposure.shape[0]
    out = np.zeros(n)
    for i in range(n):
        known = 0.0
        people = 0.0
        for j in range(n):
            if j != i:
                e = exposure[i, j]
                if e > 0.0:
                    known += population[j] * (1.0 - math.exp(-e))
                people += population[j]
        if people > 0.0:
            out[i] = min(1.0, known / people)
    return out


def familiarity_reference(exposure: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Plain-numpy reference for `familiarity`."""
    n = exposure.shape[0]
    reach = 1.0 - np.exp(-exposure)
    np.fill_diagonal(reach, 0.0)
    known = reach @ population
    people = population.sum() - population
    if n <= 1:
        return np.zeros(n)
    return np.where(people > 0.0, np.minimum(1.0, known / np.where(people > 0.0, people, 1.0)), 0.0)


def familiarity_python_loop(exposure: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Naive baseline for `geopol bench`: state by state, partner by partner, in plain Python."""
    n = exposure.shape[0]
    out = np.zeros(n)
    for i in range(n):
        known = 0.0
        people = 0.0
        for j in range(n):
            if j != i:
                e = exposure[i, j]
                if e > 0.0:
                    known += population[j] * (1.0 - math.exp(-e))
                people += population[j]
        if people > 0.0:
            out[i] = min(1.0, known / people)
    return out


# ---------------------------------------------------------------- reputation


@njit(cache=True)
def reputation_update(
    reputation: np.ndarray, baseline: np.ndarray, penalty: np.ndarray, recovery: float, dt: float
) -> np.ndarray:
    """r' = (b + (r − b)·exp(−recovery·Δt))·exp(−penalty), clipped to [0, 1].

    Reputation recovers exponentially towards its baseline b and takes this step's
    multiplicative penalties (aggression, sanctions; ≥ 0).
    """
    n = reputation.shape[0]
    out = np.empty(n)
    decay = math.exp(-recovery * dt)
    for s in range(n):
        recovered = baseline[s] + (reputation[s] - baseline[s]) * decay
        out[s] = min(1.0, max(0.0, recovered * math.exp(-penalty[s])))
    return out


def reputation_update_reference(
    reputation: np.ndarray, baseline: np.ndarray, penalty: np.ndarray, recovery: float, dt: float
) -> np.ndarray:
    """Plain-numpy reference for `reputation_update`."""
    recovered = baseline + (reputation - baseline) * np.exp(-recovery * dt)
    return np.clip(recovered * np.exp(-penalty), 0.0, 1.0)


def reputation_update_python_loop(
    reputation: np.ndarray, baseline: np.ndarray, penalty: np.ndarray, recovery: float, dt: float
) -> np.ndarray:
    """Naive baseline for `geopol bench`: state by state, in plain Python."""
    out = np.empty(len(reputation))
    for s in range(len(reputation)):
        recovered = baseline[s] + (reputation[s] - baseline[s]) * math.exp(-recovery * dt)
        out[s] = min(1.0, max(0.0, recovered * math.exp(-penalty[s])))
    return out
