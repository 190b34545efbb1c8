"""City diplomacy: diplomatic weight, summit ties and venues (docs/model.md, "City diplomacy").

A capital gains "diplomatic weight" by hosting summits and negotiations, and a neutral venue can
host talks between parties in conflict (paper 001, Astana). Weight decays slowly between events
and grows with each event by gain·ln(1 + size), less as it nears a ceiling. Summits leave a
memory of co-attendance between the states that met, which feeds relations. A city's bid to host
a meeting adds its weight, a bonus for capitals, its state's worst relation with the parties and
its state's wish for prestige; a city whose state is hostile to a party, or a party's own city
when the parties are in conflict, cannot host.

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
    weight: np.ndarray, hosted: np.ndarray, gain: float, decay: float, dt: float,
    ceiling: float = math.inf,
) -> np.ndarray:
    """Diplomatic weight (C,) of each city after one step of Δt = `dt` years:

        W'_c = W_c·exp(−λ·Δt) + g·ln(1 + h_c)·max(0, 1 − W_c/W_max),

    h_c ≥ 0 the size of the event city c hosted this step (e.g. the number of participating
    states; 0 if none). The logarithm gives diminishing returns to size: a 56-state summit
    counts about 3.7 times a bilateral meeting (ln 57 / ln 3), not 28 times. The gains saturate
    towards W_max = `ceiling`, so that the first host does not lock the venue in for ever. Both
    forms are guesses.
    """
    n = weight.shape[0]
    out = np.empty(n)
    keep = math.exp(-decay * dt)
    for c in range(n):
        room = max(0.0, 1.0 - weight[c] / ceiling)
        out[c] = weight[c] * keep + gain * math.log1p(hosted[c]) * room
    return out


def diplomatic_weight_update_reference(
    weight: np.ndarray, hosted: np.ndarray, gain: float, decay: float, dt: float,
    ceiling: float = math.inf,
) -> np.ndarray:
    """Plain-numpy reference for `diplomatic_weight_update`."""
    room = np.maximum(0.0, 1.0 - weight / ceiling)
    return weight * math.exp(-decay * dt) + gain * np.log1p(hosted) * room


def diplomatic_weight_update_python_loop(
    weight: np.ndarray, hosted: np.ndarray, gain: float, decay: float, dt: float,
    ceiling: float = math.inf,
) -> np.ndarray:
    """City-by-city plain Python over lists, the baseline for `geopol bench`."""
    out = []
    for w, h in zip(weight.tolist(), hosted.tolist(), strict=True):
        room = max(0.0, 1.0 - w / ceiling)
        out.append(w * math.exp(-decay * dt) + gain * math.log1p(h) * room)
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
    ceiling: float = math.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Diplomatic weight (C,) of each city and summit ties (S×S) after one step of Δt = `dt`:

        weight' = diplomatic_weight_update(weight, hosted, gain, decay, dt, ceiling)
        ties'   = summit_ties(ties, participants, ties_decay, dt)
    """
    return (
        diplomatic_weight_update(weight, hosted, gain, decay, dt, ceiling),
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
    ceiling: float = math.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `city_diplomacy_step`: the references of its parts."""
    return (
        diplomatic_weight_update_reference(weight, hosted, gain, decay, dt, ceiling),
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
    ceiling: float = math.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline for `geopol bench`: the baselines of its parts, over lists."""
    return (
        diplomatic_weight_update_python_loop(weight, hosted, gain, decay, dt, ceiling),
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
    hostile_below: float,
    prestige: np.ndarray,
) -> np.ndarray:
    """Bid (C,) of each city to host a meeting between the states `parties` (K,):

        bid_c = W_c + b·[c is a capital] + min_p R[s_c, p] + π_c      (min = 0 if K = 0)

    with s_c the city's state and π_c its state's wish for prestige, or −inf if the city
    cannot host: its state is hostile to a party (R[s_c, p] < h for a party p ≠ s_c,
    h = `hostile_below`), or the parties are in conflict (R[p, q] < h for two distinct
    parties) and s_c is one of them: a party's own city is not a neutral venue (paper 001).
    Neutrality is the worst relation to the parties, not the mean: a venue is as neutral as
    it is towards the party it likes least. A city of a party's state counts R[s_c, s_c] = 1.
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
        worst = 1.0
        for a in range(k):
            p = parties[a]
            if p == s:
                if conflict:
                    allowed = False
            elif relations[s, p] < hostile_below:
                allowed = False
            worst = min(worst, relations[s, p])
        if not allowed:
            out[c] = -np.inf
            continue
        neutrality = worst if k > 0 else 0.0
        out[c] = weight[c] + (capital_bonus if is_capital[c] else 0.0) + neutrality + prestige[c]
    return out


def host_scores_reference(
    weight: np.ndarray,
    city_state: np.ndarray,
    is_capital: np.ndarray,
    relations: np.ndarray,
    parties: np.ndarray,
    capital_bonus: float,
    hostile_below: float,
    prestige: np.ndarray,
) -> np.ndarray:
    """Plain-numpy reference for `host_scores`."""
    toward = relations[np.ix_(city_state, parties)]  # (C, K): R[s_c, p]
    own = city_state[:, None] == parties[None, :]
    distinct = parties[:, None] != parties[None, :]
    conflict = bool(np.any((relations[np.ix_(parties, parties)] < hostile_below) & distinct))
    hostile = np.any((toward < hostile_below) & ~own, axis=1)
    if conflict:
        hostile |= np.any(own, axis=1)
    worst = np.minimum(toward.min(axis=1), 1.0) if len(parties) else np.zeros(len(weight))
    score = weight + capital_bonus * is_capital + worst + prestige
    return np.where(hostile, -np.inf, score)


def host_scores_python_loop(
    weight: np.ndarray,
    city_state: np.ndarray,
    is_capital: np.ndarray,
    relations: np.ndarray,
    parties: np.ndarray,
    capital_bonus: float,
    hostile_below: float,
    prestige: np.ndarray,
) -> np.ndarray:
    """City-by-city plain Python, the baseline for `geopol bench`."""
    rel, meeting = relations.tolist(), parties.tolist()
    conflict = any(p != q and rel[p][q] < hostile_below for p in meeting for q in meeting)
    out = []
    for w, s, capital, wish in zip(weight.tolist(), city_state.tolist(), is_capital.tolist(),
                                   prestige.tolist(), strict=True):
        allowed = True
        worst = 1.0
        for p in meeting:
            if (p == s and conflict) or (p != s and rel[s][p] < hostile_below):
                allowed = False
            worst = min(worst, rel[s][p])
        if not allowed:
            out.append(-math.inf)
            continue
        out.append(w + (capital_bonus if capital else 0.0) + (worst if meeting else 0.0) + wish)
    return np.array(out, dtype=np.float64)
