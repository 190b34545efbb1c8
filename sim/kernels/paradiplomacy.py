"""Paradiplomacy: links between regions and cities form, grow, decay and dissolve
(docs/model.md, "Paradiplomacy").

Each link carries a strength s_c ∈ [0, 1] on C = 5 channels (CHANNELS order: economic,
cultural, environmental, emergency, local_authority; paper 004) and has a feature vector x of
K = 7 features (FEATURES order). A channel's drive is D_c = logistic(β_c · x), and an active
link's strength follows

    ds_c/dt = g_c D_c (1 − s_c) − δ_c s_c,

solved exactly over a step of Δt years:

    s_c' = s*_c + (s_c − s*_c)·exp(−(g_c D_c + δ_c)·Δt),    s*_c = g_c D_c / (g_c D_c + δ_c).

A link whose total strength falls below `dissolve_below` dissolves and becomes dormant (all
strengths 0). A dormant link forms with probability h = 1 − exp(−r · logistic(γ · x) · Δt),
and then starts at `start_strength` on each channel it may carry. An actor's international
activity is the sum of its links' strengths, classified after paper 002.

Links are stored once each; the arrays never change size (dormant links are candidates).
Randomness comes in as uniforms drawn by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numba import njit, prange

CHANNELS = ("economic", "cultural", "environmental", "emergency", "local_authority")
FEATURES = (
    "constant", "complementarity", "proximity", "relations", "sanction", "diaspora", "similarity",
)
ECONOMIC, CULTURAL, ENVIRONMENTAL, EMERGENCY, LOCAL_AUTHORITY = range(5)
CONSTANT, COMPLEMENTARITY, PROXIMITY, RELATIONS, SANCTION, DIASPORA, SIMILARITY = range(7)
INACTIVE, EPISODIC, ACTIVE, LEADING = 0, 1, 2, 3

# The drive coefficients β (C×K) as named parameters: each name fills the cells listed; every
# other cell is 0 (that feature does not move that channel). All values are guesses with the
# signs the papers give (docs/model.md, "Paradiplomacy").
DRIVE_CELLS: dict[str, tuple[tuple[int, int], ...]] = {
    "constant_economic": ((ECONOMIC, CONSTANT),),
    "constant_cultural": ((CULTURAL, CONSTANT),),
    "constant_environmental": ((ENVIRONMENTAL, CONSTANT),),
    "constant_emergency": ((EMERGENCY, CONSTANT),),
    "constant_local_authority": ((LOCAL_AUTHORITY, CONSTANT),),
    "complementarity_economic": ((ECONOMIC, COMPLEMENTARITY),),
    "proximity_economic": ((ECONOMIC, PROXIMITY),),
    "proximity_cultural": ((CULTURAL, PROXIMITY),),
    "proximity_environmental": ((ENVIRONMENTAL, PROXIMITY),),
    "proximity_emergency": ((EMERGENCY, PROXIMITY),),
    "proximity_local_authority": ((LOCAL_AUTHORITY, PROXIMITY),),
    "relations": tuple((c, RELATIONS) for c in range(len(CHANNELS))),
    "sanction_economic": ((ECONOMIC, SANCTION),),
    "diaspora_cultural": ((CULTURAL, DIASPORA),),
    "similarity_cultural": ((CULTURAL, SIMILARITY),),
    "similarity_local_authority": ((LOCAL_AUTHORITY, SIMILARITY),),
}
DRIVE_DEFAULTS: dict[str, float] = {
    "constant_economic": 0.5,
    "constant_cultural": -1.5,
    "constant_environmental": -1.0,
    "constant_emergency": -1.5,
    "constant_local_authority": -1.0,
    "complementarity_economic": 1.5,
    "proximity_economic": 1.0,
    "proximity_cultural": 0.5,
    "proximity_environmental": 1.5,
    "proximity_emergency": 2.0,
    "proximity_local_authority": 0.5,
    "relations": 2.0,
    "sanction_economic": 1.0,
    "diaspora_cultural": 2.0,
    "similarity_cultural": 1.0,
    "similarity_local_authority": 1.0,
}
# The formation coefficients γ (K,), one named parameter per feature.
FORMATION_DEFAULTS: dict[str, float] = {
    "formation_constant": -2.0,
    "formation_complementarity": 1.0,
    "formation_proximity": 1.0,
    "formation_relations": 1.5,
    "formation_sanction": 0.5,
    "formation_diaspora": 0.5,
    "formation_similarity": 0.5,
}
# Scalars (rates per year).
DEFAULTS: dict[str, float] = {
    "formation_rate": 0.05,
    "growth": 1.0,
    "decay": 0.2,
    "start_strength": 0.25,
    "dissolve_below": 0.15,
    "episodic_below": 2.0,
    "leading_from": 15.0,
}


def drive_coefficients(values: Mapping[str, float] | None = None) -> np.ndarray:
    """β (C×K) from named coefficients (DRIVE_CELLS); names not given take their default."""
    named = {**DRIVE_DEFAULTS, **(values or {})}
    unknown = set(named) - set(DRIVE_CELLS)
    if unknown:
        raise KeyError(f"unknown drive coefficients: {sorted(unknown)}")
    beta = np.zeros((len(CHANNELS), len(FEATURES)))
    for name, cells in DRIVE_CELLS.items():
        for c, k in cells:
            beta[c, k] = named[name]
    return beta


def formation_coefficients(values: Mapping[str, float] | None = None) -> np.ndarray:
    """γ (K,) from `formation_<feature>` coefficients; names not given take their default."""
    named = {**FORMATION_DEFAULTS, **(values or {})}
    unknown = set(named) - set(FORMATION_DEFAULTS)
    if unknown:
        raise KeyError(f"unknown formation coefficients: {sorted(unknown)}")
    return np.array([named[f"formation_{feature}"] for feature in FEATURES])


# ---------------------------------------------------------------- features


@njit(cache=True, parallel=True)
def link_features(
    ends: np.ndarray,
    owner: np.ndarray,
    relations: np.ndarray,
    sanction: np.ndarray,
    complementarity: np.ndarray,
    proximity: np.ndarray,
    diaspora: np.ndarray,
    similarity: np.ndarray,
) -> np.ndarray:
    """x (E×7) of each link, in FEATURES order:

        x = (1, complementarity, proximity, (R_ab + R_ba)/2, max(S_ab, S_ba), diaspora, similarity)

    with a, b the states owning the link's two ends, R the state relations in [−1, 1] and S the
    sanction intensities in [0, 1] (docs/model.md, "Paradiplomacy").
    """
    e = ends.shape[0]
    x = np.empty((e, 7))
    for i in prange(e):
        sa = owner[ends[i, 0]]
        sb = owner[ends[i, 1]]
        x[i, 0] = 1.0
        x[i, 1] = complementarity[i]
        x[i, 2] = proximity[i]
        x[i, 3] = 0.5 * (relations[sa, sb] + relations[sb, sa])
        x[i, 4] = max(sanction[sa, sb], sanction[sb, sa])
        x[i, 5] = diaspora[i]
        x[i, 6] = similarity[i]
    return x


def link_features_reference(
    ends: np.ndarray,
    owner: np.ndarray,
    relations: np.ndarray,
    sanction: np.ndarray,
    complementarity: np.ndarray,
    proximity: np.ndarray,
    diaspora: np.ndarray,
    similarity: np.ndarray,
) -> np.ndarray:
    """Plain-numpy reference for `link_features`."""
    sa, sb = owner[ends[:, 0]], owner[ends[:, 1]]
    return np.column_stack([
        np.ones(len(ends)),
        complementarity,
        proximity,
        0.5 * (relations[sa, sb] + relations[sb, sa]),
        np.maximum(sanction[sa, sb], sanction[sb, sa]),
        diaspora,
        similarity,
    ]).astype(np.float64).reshape(len(ends), 7)


def link_features_python_loop(
    ends: np.ndarray,
    owner: np.ndarray,
    relations: np.ndarray,
    sanction: np.ndarray,
    complementarity: np.ndarray,
    proximity: np.ndarray,
    diaspora: np.ndarray,
    similarity: np.ndarray,
) -> np.ndarray:
    """Python-loop baseline for `link_features` (one link at a time, over Python lists)."""
    ends_l, owner_l = ends.tolist(), owner.tolist()
    rel, san = relations.tolist(), sanction.tolist()
    comp, prox, dias, sim = (
        complementarity.tolist(), proximity.tolist(), diaspora.tolist(), similarity.tolist()
    )
    rows = []
    for i, (a, b) in enumerate(ends_l):
        sa, sb = owner_l[a], owner_l[b]
        rows.append([1.0, comp[i], prox[i], 0.5 * (rel[sa][sb] + rel[sb][sa]),
                     max(san[sa][sb], san[sb][sa]), dias[i], sim[i]])
    return np.array(rows, dtype=np.float64).reshape(len(ends_l), 7)


# ---------------------------------------------------------------- dynamics


@njit(cache=True)
def _logistic(z: float) -> float:
    """1/(1 + e^−z) without overflow."""
    e = math.exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@njit(cache=True, parallel=True)
def link_dynamics(
    strength: np.ndarray,
    potential: np.ndarray,
    x: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
    formation_rate: float,
    growth: np.ndarray,
    decay: np.ndarray,
    start_strength: float,
    dissolve_below: float,
    uniforms: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of Δt = `dt` years for every link: (new strength E×C, formed E, dissolved E).

    Active link (any s_c > 0): each channel c whose bit is set in `potential` moves to

        s_c' = s*_c + (s_c − s*_c)·exp(−(g_c D_c + δ_c)·Δt),   s*_c = g_c D_c / (g_c D_c + δ_c),
        D_c = logistic(β_c · x),

    the exact solution of ds/dt = g D (1 − s) − δ s (clipped to [0, 1] against rounding; a
    channel with g_c D_c + δ_c = 0 keeps its strength); other channels are set to 0. If then
    Σ_c s_c' < `dissolve_below`, the link dissolves: all strengths 0, dissolved = True.
    Dormant link (all s_c = 0) with at least one potential channel: it forms if
    u < h = 1 − exp(−r·logistic(γ · x)·Δt), and then every potential channel starts at
    `start_strength` (no growth in the step it forms). Bits of `potential` at or above C are
    ignored. Needs g, δ, r ≥ 0 and strengths, `start_strength` in [0, 1]. docs/model.md,
    "Paradiplomacy". Parallel over links; no reduction crosses links.
    """
    n, c_n = strength.shape
    k_n = x.shape[1]
    new = np.zeros((n, c_n))
    formed = np.zeros(n, dtype=np.bool_)
    dissolved = np.zeros(n, dtype=np.bool_)
    for e in prange(n):
        bits = np.int64(potential[e])
        active = False
        for c in range(c_n):
            if strength[e, c] > 0.0:
                active = True
        if active:
            total = 0.0
            for c in range(c_n):
                if (bits >> c) & 1:
                    z = 0.0
                    for k in range(k_n):
                        z += drive_coef[c, k] * x[e, k]
                    gd = growth[c] * _logistic(z)
                    rate = gd + decay[c]
                    s = strength[e, c]
                    if rate > 0.0:
                        target = gd / rate
                        s = target + (s - target) * math.exp(-rate * dt)
                        s = min(max(s, 0.0), 1.0)
                    new[e, c] = s
                    total += s
            if total < dissolve_below:
                for c in range(c_n):
                    new[e, c] = 0.0
                dissolved[e] = True
        elif bits & ((1 << c_n) - 1):
            z = 0.0
            for k in range(k_n):
                z += formation_coef[k] * x[e, k]
            hazard = -math.expm1(-formation_rate * _logistic(z) * dt)
            if uniforms[e] < hazard:
                formed[e] = True
                for c in range(c_n):
                    if (bits >> c) & 1:
                        new[e, c] = start_strength
    return new, formed, dissolved


def _logistic_reference(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _channel_sum(s: np.ndarray) -> np.ndarray:
    """Σ_c s[:, c] in channel order (as the kernel adds)."""
    total = np.zeros(s.shape[0])
    for c in range(s.shape[1]):
        total += s[:, c]
    return total


def link_dynamics_reference(
    strength: np.ndarray,
    potential: np.ndarray,
    x: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
    formation_rate: float,
    growth: np.ndarray,
    decay: np.ndarray,
    start_strength: float,
    dissolve_below: float,
    uniforms: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain-numpy reference for `link_dynamics`."""
    n, c_n = strength.shape
    mask = ((potential.astype(np.int64)[:, None] >> np.arange(c_n)) & 1).astype(bool)
    gd = growth * _logistic_reference(x @ drive_coef.T)
    rate = gd + decay
    positive = rate > 0.0
    safe = np.where(positive, rate, 1.0)
    target = gd / safe
    moved = np.clip(target + (strength - target) * np.exp(-safe * dt), 0.0, 1.0)
    updated = np.where(mask, np.where(positive, moved, strength), 0.0)
    active = (strength > 0.0).any(axis=1)
    dissolved = active & (_channel_sum(updated) < dissolve_below)
    new = np.where((active & ~dissolved)[:, None], updated, 0.0)
    hazard = -np.expm1(-formation_rate * _logistic_reference(x @ formation_coef) * dt)
    formed = ~active & mask.any(axis=1) & (uniforms < hazard)
    new[formed] = np.where(mask[formed], start_strength, 0.0)
    return new.reshape(n, c_n), formed, dissolved


def link_dynamics_python_loop(
    strength: np.ndarray,
    potential: np.ndarray,
    x: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
    formation_rate: float,
    growth: np.ndarray,
    decay: np.ndarray,
    start_strength: float,
    dissolve_below: float,
    uniforms: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Python-loop baseline for `link_dynamics` (one link, one channel at a time)."""
    s_l, pot, x_l, u_l = strength.tolist(), potential.tolist(), x.tolist(), uniforms.tolist()
    beta, gamma = drive_coef.tolist(), formation_coef.tolist()
    g_l, d_l = growth.tolist(), decay.tolist()
    c_n = strength.shape[1]
    new, formed, dissolved = [], [], []
    for s_row, bits, x_row, u in zip(s_l, pot, x_l, u_l, strict=True):
        row = [0.0] * c_n
        was_formed = was_dissolved = False
        if any(s > 0.0 for s in s_row):
            for c in range(c_n):
                if (bits >> c) & 1:
                    z = sum(b * xk for b, xk in zip(beta[c], x_row, strict=True))
                    gd = g_l[c] / (1.0 + math.exp(-z)) if z > -700.0 else 0.0
                    rate = gd + d_l[c]
                    s = s_row[c]
                    if rate > 0.0:
                        target = gd / rate
                        s = min(max(target + (s - target) * math.exp(-rate * dt), 0.0), 1.0)
                    row[c] = s
            if sum(row) < dissolve_below:
                row = [0.0] * c_n
                was_dissolved = True
        elif bits & ((1 << c_n) - 1):
            z = sum(b * xk for b, xk in zip(gamma, x_row, strict=True))
            p = 1.0 / (1.0 + math.exp(-z)) if z > -700.0 else 0.0
            if u < 1.0 - math.exp(-formation_rate * p * dt):
                was_formed = True
                row = [start_strength if (bits >> c) & 1 else 0.0 for c in range(c_n)]
        new.append(row)
        formed.append(was_formed)
        dissolved.append(was_dissolved)
    return (np.array(new, dtype=np.float64).reshape(len(s_l), c_n),
            np.array(formed, dtype=bool), np.array(dissolved, dtype=bool))


# ---------------------------------------------------------------- activity of actors


@njit(cache=True, parallel=True)
def activity_classes(
    indptr: np.ndarray,
    edge: np.ndarray,
    strength: np.ndarray,
    episodic_below: float,
    leading_from: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each actor's total link strength T_r = Σ_{links ℓ of r} Σ_c s_ℓc and activity class:

        0 inactive (T = 0), 1 episodic (0 < T < episodic_below),
        2 active (episodic_below ≤ T < leading_from), 3 leading (T ≥ leading_from)

    after paper 002's classification of regions by their international activity (docs/model.md,
    "Paradiplomacy"). Reads the CSR of the links (both directions), so a link counts at both
    ends. Parallel over links (their channel sums), then over actors; each sum stays in one
    iteration.
    """
    n = indptr.shape[0] - 1
    e_n, c_n = strength.shape
    link = np.empty(e_n)  # each link's Σ_c s_c, read twice below (once per end)
    for e in prange(e_n):
        acc = 0.0
        for c in range(c_n):
            acc += strength[e, c]
        link[e] = acc
    total = np.zeros(max(n, 0))
    activity = np.zeros(max(n, 0), dtype=np.int8)
    for r in prange(n):
        acc = 0.0
        for j in range(indptr[r], indptr[r + 1]):
            acc += link[edge[j]]
        total[r] = acc
        if acc <= 0.0:
            activity[r] = INACTIVE
        elif acc < episodic_below:
            activity[r] = EPISODIC
        elif acc < leading_from:
            activity[r] = ACTIVE
        else:
            activity[r] = LEADING
    return total, activity


def activity_classes_reference(
    indptr: np.ndarray,
    edge: np.ndarray,
    strength: np.ndarray,
    episodic_below: float,
    leading_from: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `activity_classes` (same order of additions)."""
    n = max(len(indptr) - 1, 0)
    row = np.repeat(np.arange(n), np.diff(indptr))
    total = np.bincount(row, weights=_channel_sum(strength)[edge[: len(row)]], minlength=n)
    activity = np.select(
        [total <= 0.0, total < episodic_below, total < leading_from],
        [INACTIVE, EPISODIC, ACTIVE],
        LEADING,
    ).astype(np.int8)
    return total.astype(np.float64), activity


def activity_classes_python_loop(
    indptr: np.ndarray,
    edge: np.ndarray,
    strength: np.ndarray,
    episodic_below: float,
    leading_from: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Python-loop baseline for `activity_classes` (one actor, one link at a time)."""
    ptr, edge_l, s_l = indptr.tolist(), edge.tolist(), strength.tolist()
    total, activity = [], []
    for r in range(len(ptr) - 1):
        acc = 0.0
        for j in range(ptr[r], ptr[r + 1]):
            link = 0.0
            for s in s_l[edge_l[j]]:
                link += s
            acc += link
        total.append(acc)
        if acc <= 0.0:
            activity.append(INACTIVE)
        elif acc < episodic_below:
            activity.append(EPISODIC)
        elif acc < leading_from:
            activity.append(ACTIVE)
        else:
            activity.append(LEADING)
    return np.array(total, dtype=np.float64), np.array(activity, dtype=np.int8)


# ---------------------------------------------------------------- state pairs


@njit(cache=True)
def state_pair_strength(
    ends: np.ndarray, owner: np.ndarray, strength_c: np.ndarray, n_states: int
) -> np.ndarray:
    """P (S×S): P_ij = Σ of one channel's strength over the links between actors of states i
    and j (either way round); symmetric, diagonal 0: links within a state are left out
    (docs/model.md, "Paradiplomacy"). Serial: a scatter-add, in link order.
    """
    out = np.zeros((n_states, n_states))
    for e in range(ends.shape[0]):
        sa = owner[ends[e, 0]]
        sb = owner[ends[e, 1]]
        if sa != sb:
            out[sa, sb] += strength_c[e]
            out[sb, sa] += strength_c[e]
    return out


def state_pair_strength_reference(
    ends: np.ndarray, owner: np.ndarray, strength_c: np.ndarray, n_states: int
) -> np.ndarray:
    """Plain-numpy reference for `state_pair_strength` (same order of additions)."""
    sa, sb = owner[ends[:, 0]].astype(np.int64), owner[ends[:, 1]].astype(np.int64)
    across = sa != sb
    sa, sb, w = sa[across], sb[across], strength_c[across]
    keys = np.column_stack([sa * n_states + sb, sb * n_states + sa]).ravel()
    weights = np.column_stack([w, w]).ravel()
    flat = np.bincount(keys, weights=weights, minlength=n_states * n_states)
    return flat.astype(np.float64).reshape(n_states, n_states)


def state_pair_strength_python_loop(
    ends: np.ndarray, owner: np.ndarray, strength_c: np.ndarray, n_states: int
) -> np.ndarray:
    """Python-loop baseline for `state_pair_strength`."""
    owner_l, w = owner.tolist(), strength_c.tolist()
    out = [[0.0] * n_states for _ in range(n_states)]
    for (a, b), v in zip(ends.tolist(), w, strict=True):
        sa, sb = owner_l[a], owner_l[b]
        if sa != sb:
            out[sa][sb] += v
            out[sb][sa] += v
    return np.array(out, dtype=np.float64).reshape(n_states, n_states)
