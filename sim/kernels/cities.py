"""City diplomacy: diplomatic weight, summit ties and venues (docs/model.md, "City diplomacy").

A capital gains "diplomatic weight" by hosting summits and negotiations, and a neutral venue can
host talks between parties in conflict (paper 001, Astana). Weight decays slowly between events
and grows with each event by gain·ln(1 + size). Summits leave a memory of co-attendance between
the states that met, which feeds relations. A city's score as a venue for a meeting adds its
weight, a bonus for capitals and its state's mean relations with the parties; a city whose
state is hostile to a party, or a party's own city when the parties are in conflict, cannot host.

`city_diplomacy_step` moves a step's weights and ties in one call (its parts are
`diplomatic_weight_update` and `summit_ties`); `host_scores` ranks the venues of a meeting.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# ---------------------------------------------------------------- diplomatic weight


@njit(cache=True)
def diplomatic_weight_update(
    weight: np.ndarray, hosted: np.ndarray, gain: float, decay: float, dt: float
) -> np.ndarray:
    """Diplomatic weight (C,) of each city after one step of Δt = `dt` years:

        W'_c = W_c·exp(−λ·Δt) + g·ln(1 + h_c),

    h_c ≥ 0 the size of the event city c hosted this step (e.g. the number of participating
    states; 0 if none). The logarithm gives diminishing returns to size: a 56-state summit
    counts about 3.7 times a bilateral meeting (ln 57 / ln 3), not 28 times. The logarithmic
    form is a guess.
    """
    n = weight.shape[0]
    out = np.empty(n)
    keep = math.exp(-decay * dt)
    for c in range(n):
        out[c] = weight[c] * keep + gain * math.log1p(hosted[c])
    return out


def diplomatic_weight_update_reference(
    weight: np.ndarray, hosted: np.ndarray, gain: float, decay: float, dt: float
) -> np.ndarray:
    """Plain-numpy reference for `diplomatic_weight_update`."""
    return weight * math.exp(-decay * dt) + gain * np.log1p(hosted)


def diplomatic_weight_update_python_loop(
    weight: np.ndarray, hosted: np.ndarray, gain: float, decay: float, dt: float
) -> np.ndarray:
    """City-by-city plain Python over lists, the baseline for `geopol bench`."""
    out = []
    for w, h in zip(weight.tolist(), hosted.tolist(), strict=True):
        out.append(w * math.exp(-decay * dt) + gain * math.log1p(h))
    return np.array(out, dtype=np.float64)


# ---------------------------------------------------------------- summit ties


@njit(cache=True)
def summit_ties(
    ties: np.ndarray, participants: np.ndarray, decay: float, dt: float
) -> np.ndarray:
    """Co-attendance memory (S×S) between states after one step of Δt = `dt` years:

        M'_ij = (M_ij + M_ji)/2·exp(−λ_m·Δt) + [i ≠ j, both attended a summit this step],

    M'_ii = 0. `participants` (S,) bool flags the states at this step's summit; call once per
    summit (with Δt = 0 for the second and later summits of the same step).
    """
    n = participants.shape[0]
    out = np.zeros((n, n))
    keep = math.exp(-decay * dt)
    for i in range(n):
        for j in range(i + 1, n):
            v = (ties[i, j] + ties[j, i]) / 2.0 * keep
            if participants[i] and participants[j]:
                v += 1.0
            out[i, j] = v
            out[j, i] = v
    return out


def summit_ties_reference(
    ties: np.ndarray, participants: np.ndarray, decay: float, dt: float
) -> np.ndarray:
    """Plain-numpy reference for `summit_ties`."""
    met = np.outer(participants, participants).astype(np.float64)
    out = (ties + ties.T) / 2.0 * math.exp(-decay * dt) + met
    np.fill_diagonal(out, 0.0)
    return out


def summit_ties_python_loop(
    ties: np.ndarray, participants: np.ndarray, decay: float, dt: float
) -> np.ndarray:
    """Pair-by-pair plain Python, the baseline for `geopol bench`."""
    n = len(participants)
    memory, came = ties.tolist(), participants.tolist()
    out = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j:
                v = (memory[i][j] + memory[j][i]) / 2.0 * math.exp(-decay * dt)
                if came[i] and came[j]:
                    v += 1.0
                out[i][j] = v
    return np.array(out, dtype=np.float64).reshape(n, n)


# ---------------------------------------------------------------- one step: weight and ties


@njit(cache=True)
def city_diplomacy_step(
    weight: np.ndarray,
    hosted: np.ndarray,
    gain: float,
    decay: float,
    ties: np.ndarray,
    participants: np.ndarray,
    ties_decay: float,
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Diplomatic weight (C,) of each city and summit ties (S×S) after one step of Δt = `dt`:

        weight' = diplomatic_weight_update(weight, hosted, gain, decay, dt)
        ties'   = summit_ties(ties, participants, ties_decay, dt)
    """
    return (
        diplomatic_weight_update(weight, hosted, gain, decay, dt),
        summit_ties(ties, participants, ties_decay, dt),
    )


def city_diplomacy_step_reference(
    weight: np.ndarray,
    hosted: np.ndarray,
    gain: float,
    decay: float,
    ties: np.ndarray,
    participants: np.ndarray,
    ties_decay: float,
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `city_diplomacy_step`: the references of its parts."""
    return (
        diplomatic_weight_update_reference(weight, hosted, gain, decay, dt),
        summit_ties_reference(ties, participants, ties_decay, dt),
    )


def city_diplomacy_step_python_loop(
    weight: np.ndarray,
    hosted: np.ndarray,
    gain: float,
    decay: float,
    ties: np.ndarray,
    participants: np.ndarray,
    ties_decay: float,
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline for `geopol bench`: the baselines of its parts, over lists."""
    return (
        diplomatic_weight_update_python_loop(weight, hosted, gain, decay, dt),
        summit_ties_python_loop(ties, participants, ties_decay, dt),
    )


# ---------------------------------------------------------------- venues


@njit(cache=True)
def host_scores(
    weight: np.ndarray,
    city_state: np.ndarray,
    is_capital: np.ndarray,
    relations: np.ndarray,
    parties: np.ndarray,
    capital_bonus: float,
    hostile_below: float = 0.0,
) -> np.ndarray:
    """Score (C,) of each city as the venue of a meeting between the states `parties` (K,):

        score_c = W_c + b·[c is a capital] + (1/K)·Σ_p R[s_c, p]      (0 if K = 0)

    with s_c the city's state, or −inf if the city cannot host: its state is hostile to a
    party (R[s_c, p] < h for a party p ≠ s_c, h = `hostile_below`), or the parties are in
    conflict (R[p, q] < h for two distinct parties) and s_c is one of them: a party's own city
    is not a neutral venue (paper 001). A city of a party's state counts R[s_c, s_c] = 1 for
    that party in the mean.
    """
    n = weight.shape[0]
    k = parties.shape[0]
    conflict = False
    for a in range(k):
        for b in range(k):
            p, q = parties[a], parties[b]
            if p != q and relations[p, q] < hostile_below:
                conflict = True
    out = np.empty(n)
    for c in range(n):
        s = city_state[c]
        allowed = True
        total = 0.0
        for a in range(k):
            p = parties[a]
            if p == s:
                if conflict:
                    allowed = False
            elif relations[s, p] < hostile_below:
                allowed = False
            total += relations[s, p]
        if not allowed:
            out[c] = -np.inf
            continue
        mean = total / k if k > 0 else 0.0
        out[c] = weight[c] + (capital_bonus if is_capital[c] else 0.0) + mean
    return out


def host_scores_reference(
    weight: np.ndarray,
    city_state: np.ndarray,
    is_capital: np.ndarray,
    relations: np.ndarray,
    parties: np.ndarray,
    capital_bonus: float,
    hostile_below: float = 0.0,
) -> np.ndarray:
    """Plain-numpy reference for `host_scores`."""
    toward = relations[np.ix_(city_state, parties)]  # (C, K): R[s_c, p]
    own = city_state[:, None] == parties[None, :]
    distinct = parties[:, None] != parties[None, :]
    conflict = bool(np.any((relations[np.ix_(parties, parties)] < hostile_below) & distinct))
    hostile = np.any((toward < hostile_below) & ~own, axis=1)
    if conflict:
        hostile |= np.any(own, axis=1)
    mean = toward.sum(axis=1) / len(parties) if len(parties) else np.zeros(len(weight))
    score = weight + capital_bonus * is_capital + mean
    return np.where(hostile, -np.inf, score)


def host_scores_python_loop(
    weight: np.ndarray,
    city_state: np.ndarray,
    is_capital: np.ndarray,
    relations: np.ndarray,
    parties: np.ndarray,
    capital_bonus: float,
    hostile_below: float = 0.0,
) -> np.ndarray:
    """City-by-city plain Python, the baseline for `geopol bench`."""
    rel, meeting = relations.tolist(), parties.tolist()
    conflict = any(p != q and rel[p][q] < hostile_below for p in meeting for q in meeting)
    out = []
    for w, s, capital in zip(weight.tolist(), city_state.tolist(), is_capital.tolist(),
                             strict=True):
        allowed = True
        total = 0.0
        for p in meeting:
            if (p == s and conflict) or (p != s and rel[s][p] < hostile_below):
                allowed = False
            total += rel[s][p]
        if not allowed:
            out.append(-math.inf)
            continue
        mean = total / len(meeting) if meeting else 0.0
        out.append(w + (capital_bonus if capital else 0.0) + mean)
    return np.array(out, dtype=np.float64)
