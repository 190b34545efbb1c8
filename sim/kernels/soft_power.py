"""Soft power: pillars and index, reputation, attraction, familiarity (docs/model.md, "Soft power").

In the manner of the Soft Power 30 ranking, which paper 000 takes as its yardstick: each metric is
min–max normalised across states, a pillar is the mean of its normalised metrics, and the index is
a weighted mean of the six pillars (government, culture, education, engagement, enterprise,
digital). Attraction spreads through exposure (trade, cultural links, digital reach). Familiarity
(how widely a state is known) and reputation (how well it is liked) are separate quantities:
aggression and sanctions lower reputation, not familiarity.

`soft_power_step` does a step in one call: reputation, then the pillars and index (which include
it), then attraction and familiarity; the other kernels are its parts, and `soft_power_pillars`
alone reads the pillars off a world. Every kernel here loops over states, of which a scenario
has at most a few hundred: serial on purpose, since starting a parallel region would cost more
than the loop, and serial sums keep the results independent of the thread count.

The S×S part needs two exponentials per pair, exp(−k_A·E_ij·Δt) for attraction and exp(−E_ij)
for familiarity, which differ unless k_A·Δt = 1. numba calls the scalar libm exp (about 3.5 ns),
numpy a vectorised one (under 1 ns), so the caller computes both matrices with numpy and passes
them in, and the kernels do only arithmetic: at 200 states, attraction and familiarity take
about 30 µs rather than 300 µs with the exponentials inside. They use 1 − exp(−x) rather than
−expm1(−x); the cancellation for tiny x costs at most about 1e-16 in absolute terms.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

PILLARS = ("government", "culture", "education", "engagement", "enterprise", "digital")
N_PILLARS = len(PILLARS)


# ---------------------------------------------------------------- pillars and index


# A metric whose spread across states is within this fraction of its size is the same for
# every state: rounding must not rank states (0.5 for all, as for an exactly constant metric).
SAME_WITHIN = 1e-9

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
        flat = span <= SAME_WITHIN * max(abs(lo), abs(hi))
        for s in range(n_states):
            sums[s, p] += 0.5 if flat else (metrics[s, m] - lo) / span
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
    constant = span <= SAME_WITHIN * np.maximum(np.abs(lo), np.abs(hi))
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


def _pillars_over_lists(
    rows: list[list[float]], n_metrics: int, pillar_of: list[int], pillar_weights: list[float]
) -> tuple[list[list[float]], list[float]]:
    """`soft_power_pillars` in plain Python over lists: metrics as rows, one per state."""
    for p in pillar_of:
        if not 0 <= p < N_PILLARS:
            raise ValueError("pillar_of must lie in 0..5")
    lows, highs = [], []
    for m in range(n_metrics):
        column = [row[m] for row in rows]
        lows.append(min(column) if column else 0.0)
        highs.append(max(column) if column else 0.0)
    weight_total = 0.0
    for w in pillar_weights:
        weight_total += w
    pillars, index = [], []
    for row in rows:
        values, total = [], 0.0
        for p in range(N_PILLARS):
            total_p, count = 0.0, 0
            for m in range(n_metrics):
                if pillar_of[m] == p:
                    span = highs[m] - lows[m]
                    flat = span <= SAME_WITHIN * max(abs(lows[m]), abs(highs[m]))
                    total_p += 0.5 if flat else (row[m] - lows[m]) / span
                    count += 1
            value = min(1.0, total_p / count) if count else 0.5
            values.append(value)
            total += (pillar_weights[p] if weight_total > 0.0 else 1.0) * value
        pillars.append(values)
        index.append(min(1.0, total / (weight_total if weight_total > 0.0 else N_PILLARS)))
    return pillars, index


def soft_power_pillars_python_loop(
    metrics: np.ndarray, pillar_of: np.ndarray, pillar_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Naive baseline for `geopol bench`: state by state, metric by metric, over lists."""
    n_states, n_metrics = metrics.shape
    pillars, index = _pillars_over_lists(
        metrics.tolist(), n_metrics, pillar_of.tolist(), pillar_weights.tolist()
    )
    return (
        np.array(pillars, dtype=np.float64).reshape(n_states, N_PILLARS),
        np.array(index, dtype=np.float64),
    )


# ---------------------------------------------------------------- attraction


@njit(cache=True)
def attraction_update(attraction: np.ndarray, stay: np.ndarray, appeal: np.ndarray) -> np.ndarray:
    """A'_ij = A_ij + (1 − stay_ij)·(appeal_i − A_ij), diagonal kept, with
    stay_ij = exp(−rate·E_ij·Δt) ∈ (0, 1] computed by the caller.

    A_ij ∈ [0, 1] is how attracted the public of state j is to state i, E_ij ≥ 0 how exposed
    it is to i. Attraction moves towards i's appeal, faster with more exposure; without exposure
    (stay = 1) it does not move. The result lies between A_ij and appeal_i.
    """
    n = attraction.shape[0]
    out = np.empty((n, n))
    for i in range(n):
        target = appeal[i]
        for j in range(n):
            a = attraction[i, j]
            moved = a + (1.0 - stay[i, j]) * (target - a)
            out[i, j] = min(max(moved, min(a, target)), max(a, target))
        out[i, i] = attraction[i, i]
    return out


def attraction_update_reference(
    attraction: np.ndarray, stay: np.ndarray, appeal: np.ndarray
) -> np.ndarray:
    """Plain-numpy reference for `attraction_update`."""
    target = appeal[:, None]
    moved = attraction + (1.0 - stay) * (target - attraction)
    out = np.clip(moved, np.minimum(attraction, target), np.maximum(attraction, target))
    diagonal = np.arange(attraction.shape[0])
    out[diagonal, diagonal] = attraction[diagonal, diagonal]
    return out


def attraction_update_python_loop(
    attraction: np.ndarray, stay: np.ndarray, appeal: np.ndarray
) -> np.ndarray:
    """Naive baseline for `geopol bench`: pair by pair, over lists, in plain Python."""
    out = []
    for i, (row, kept, target) in enumerate(
        zip(attraction.tolist(), stay.tolist(), appeal.tolist(), strict=True)
    ):
        new = []
        for j, (a, s) in enumerate(zip(row, kept, strict=True)):
            if i == j:
                new.append(a)
                continue
            moved = a + (1.0 - s) * (target - a)
            new.append(min(max(moved, min(a, target)), max(a, target)))
        out.append(new)
    return np.array(out, dtype=np.float64).reshape(attraction.shape)


# ---------------------------------------------------------------- familiarity


@njit(cache=True)
def familiarity(unreached: np.ndarray, population: np.ndarray) -> np.ndarray:
    """F_i = Σ_{j≠i} pop_j·(1 − unreached_ij) / Σ_{j≠i} pop_j, in [0, 1]; 0 if no one is abroad,
    with unreached_ij = exp(−E_ij) ∈ (0, 1] computed by the caller.

    How widely state i is known abroad: the population-weighted share of foreign publics reached
    by its exposure E_ij ≥ 0. It does not depend on reputation.
    """
    n = unreached.shape[0]
    out = np.zeros(n)
    for i in range(n):
        known = 0.0
        people = 0.0
        for j in range(n):
            if j != i:
                known += population[j] * (1.0 - unreached[i, j])
                people += population[j]
        if people > 0.0:
            out[i] = min(1.0, known / people)
    return out


def familiarity_reference(unreached: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Plain-numpy reference for `familiarity`: the partner sums as one matrix product."""
    n = unreached.shape[0]
    reach = 1.0 - unreached
    np.fill_diagonal(reach, 0.0)
    known = reach @ population
    people = population.sum() - population
    if n <= 1:
        return np.zeros(n)
    return np.where(people > 0.0, np.minimum(1.0, known / np.where(people > 0.0, people, 1.0)), 0.0)


def familiarity_python_loop(unreached: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Naive baseline for `geopol bench`: state by state, partner by partner, over lists."""
    people_of = population.tolist()
    out = []
    for i, row in enumerate(unreached.tolist()):
        known = 0.0
        people = 0.0
        for j, (u, pop) in enumerate(zip(row, people_of, strict=True)):
            if j != i:
                known += pop * (1.0 - u)
                people += pop
        out.append(min(1.0, known / people) if people > 0.0 else 0.0)
    return np.array(out, dtype=np.float64)


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
    """Naive baseline for `geopol bench`: state by state, over lists, in plain Python."""
    out = []
    for r, b, pi in zip(reputation.tolist(), baseline.tolist(), penalty.tolist(), strict=True):
        recovered = b + (r - b) * math.exp(-recovery * dt)
        out.append(min(1.0, max(0.0, recovered * math.exp(-pi))))
    return np.array(out, dtype=np.float64)


# ---------------------------------------------------------------- one step


def _check_columns(reputation_metric: int, natural: np.ndarray, n_metrics: int) -> None:
    if not -1 <= reputation_metric < n_metrics:
        raise ValueError("reputation_metric must be -1 or a column of metrics")
    if len(natural) != n_metrics:
        raise ValueError("natural must have one entry per column of metrics")


@njit(cache=True)
def soft_power_step(
    reputation: np.ndarray,
    baseline: np.ndarray,
    penalty: np.ndarray,
    recovery: float,
    metrics: np.ndarray,
    reputation_metric: int,
    natural: np.ndarray,
    pillar_of: np.ndarray,
    pillar_weights: np.ndarray,
    attraction: np.ndarray,
    stay: np.ndarray,
    unreached: np.ndarray,
    population: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One step of soft power, each part from the ones before: reputation (S,), pillars (S×6),
    index (S,), attraction (S×S) and familiarity (S,).

        r'              = reputation_update(reputation, baseline, penalty, recovery, dt)
        pillars, index  = soft_power_pillars(metrics with r' in its column reputation_metric,
                                             the natural columns on their own 0–1 scale,
                                             pillar_of, pillar_weights)
        attraction'     = attraction_update(attraction, stay, index · r')
        familiarity     = familiarity(unreached, population)

    The appeal of a state is its index times its reputation. `reputation_metric` is the column
    of `metrics` (S×M) that holds reputation, −1 if none (ValueError outside −1..M−1), and is
    always natural; `natural` (M,) marks the other columns already on a 0–1 scale (ValueError
    if its length is not M); stay = exp(−k_A·E·Δt) and unreached = exp(−E), from the
    exposure E (S×S).
    """
    n_metrics = metrics.shape[1]
    if reputation_metric < -1 or reputation_metric >= n_metrics:
        raise ValueError("reputation_metric must be -1 or a column of metrics")
    if natural.shape[0] != n_metrics:
        raise ValueError("natural must have one entry per column of metrics")
    liked = reputation_update(reputation, baseline, penalty, recovery, dt)
    n = metrics.shape[0]
    scored = _with_natural_anchors(metrics, reputation_metric, natural, liked)
    pillars, index = soft_power_pillars(scored, pillar_of, pillar_weights)
    pillars, index = pillars[:n].copy(), index[:n].copy()
    attracted = attraction_update(attraction, stay, index * liked)
    return liked, pillars, index, attracted, familiarity(unreached, population)


@njit(cache=True)
def _with_natural_anchors(
    metrics: np.ndarray, reputation_metric: int, natural: np.ndarray, reputation: np.ndarray
) -> np.ndarray:
    """The metrics with this step's reputation in its column and two anchor rows below them.

    The anchors hold every other metric's own minimum and maximum (so min–max normalisation of
    those is unchanged) and 0 and 1 in the reputation column and the natural columns, so that
    metrics already on a 0–1 scale are normalised on that scale: a 2% penalty moves the
    government pillar by 2%, not from the top of the ranking to its bottom, and one state's
    few links do not make it the best on a metric where every other state has none. The
    pillars of the anchor rows are dropped. Without any natural column, the metrics as given.
    """
    n, m = metrics.shape
    any_natural = reputation_metric >= 0
    for c in range(m):
        any_natural = any_natural or natural[c]
    if n == 0 or not any_natural:
        return metrics.copy()
    out = np.empty((n + 2, m))
    out[:n] = metrics
    for c in range(m):
        lo = metrics[0, c]
        hi = metrics[0, c]
        for s in range(1, n):
            lo = min(lo, metrics[s, c])
            hi = max(hi, metrics[s, c])
        out[n, c] = 0.0 if natural[c] else lo
        out[n + 1, c] = 1.0 if natural[c] else hi
    if reputation_metric >= 0:
        for s in range(n):
            out[s, reputation_metric] = reputation[s]
        out[n, reputation_metric] = 0.0
        out[n + 1, reputation_metric] = 1.0
    return out


def _with_natural_anchors_reference(
    metrics: np.ndarray, reputation_metric: int, natural: np.ndarray, reputation: np.ndarray
) -> np.ndarray:
    """Plain-numpy reference for `_with_natural_anchors`."""
    if len(metrics) == 0 or (reputation_metric < 0 and not natural.any()):
        return metrics.copy()
    out = np.vstack([metrics, np.where(natural, 0.0, metrics.min(axis=0)),
                     np.where(natural, 1.0, metrics.max(axis=0))])
    if reputation_metric >= 0:
        out[:-2, reputation_metric] = reputation
        out[-2:, reputation_metric] = (0.0, 1.0)
    return out


def soft_power_step_reference(
    reputation: np.ndarray,
    baseline: np.ndarray,
    penalty: np.ndarray,
    recovery: float,
    metrics: np.ndarray,
    reputation_metric: int,
    natural: np.ndarray,
    pillar_of: np.ndarray,
    pillar_weights: np.ndarray,
    attraction: np.ndarray,
    stay: np.ndarray,
    unreached: np.ndarray,
    population: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain-numpy reference for `soft_power_step`: the references of its parts."""
    _check_columns(reputation_metric, natural, metrics.shape[1])
    liked = reputation_update_reference(reputation, baseline, penalty, recovery, dt)
    n = len(metrics)
    scored = _with_natural_anchors_reference(metrics, reputation_metric, natural, liked)
    pillars, index = soft_power_pillars_reference(scored, pillar_of, pillar_weights)
    pillars, index = pillars[:n], index[:n]
    attracted = attraction_update_reference(attraction, stay, index * liked)
    return liked, pillars, index, attracted, familiarity_reference(unreached, population)


def soft_power_step_python_loop(
    reputation: np.ndarray,
    baseline: np.ndarray,
    penalty: np.ndarray,
    recovery: float,
    metrics: np.ndarray,
    reputation_metric: int,
    natural: np.ndarray,
    pillar_of: np.ndarray,
    pillar_weights: np.ndarray,
    attraction: np.ndarray,
    stay: np.ndarray,
    unreached: np.ndarray,
    population: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Baseline for `geopol bench`: the baselines of its parts, over lists."""
    n, n_metrics = metrics.shape
    _check_columns(reputation_metric, natural, n_metrics)
    liked = reputation_update_python_loop(reputation, baseline, penalty, recovery, dt)
    rows = metrics.tolist()
    flags = natural.tolist()
    if (reputation_metric >= 0 or any(flags)) and rows:
        anchors = [[0.0 if flag else min(col) for col, flag in zip(zip(*rows), flags)],
                   [1.0 if flag else max(col) for col, flag in zip(zip(*rows), flags)]]
        if reputation_metric >= 0:
            for row, r in zip(rows, liked.tolist(), strict=True):
                row[reputation_metric] = r
            anchors[0][reputation_metric], anchors[1][reputation_metric] = 0.0, 1.0
        rows = rows + anchors
    pillars, index = _pillars_over_lists(
        rows, n_metrics, pillar_of.tolist(), pillar_weights.tolist()
    )
    pillars, index = pillars[:n], index[:n]
    appeal = [i * r for i, r in zip(index, liked.tolist(), strict=True)]
    attracted = attraction_update_python_loop(attraction, stay, np.array(appeal, dtype=np.float64))
    return (
        liked,
        np.array(pillars, dtype=np.float64).reshape(n, N_PILLARS),
        np.array(index, dtype=np.float64),
        attracted,
        familiarity_python_loop(unreached, population),
    )
