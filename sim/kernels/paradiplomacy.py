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
Of the features only relations and sanction change during a run: `static_drives` computes the
rest of β · x and γ · x once per run, per slot (a link's potential channel, `link_slots`), and
`link_dynamics` adds relations and sanction from the state-pair matrices, so no E×K feature
array is ever built and channels a link may not carry cost nothing. The formation draws come
from a counter-based generator (splitmix64 of the step's seed and the link's index), so they do
not depend on the order in which links are visited or on the number of threads.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.kernels.draws import (
    counter_uniform,
    counter_uniform_python,
    counter_uniforms_reference,
)
from sim.kernels.threads import ATTENTION_PARALLEL_FROM, serial_below

CHANNELS = ("economic", "cultural", "environmental", "emergency", "local_authority")
FEATURES = (
    "constant", "complementarity", "proximity", "relations", "sanction", "diaspora", "similarity",
)
ECONOMIC, CULTURAL, ENVIRONMENTAL, EMERGENCY, LOCAL_AUTHORITY = range(5)
CONSTANT, COMPLEMENTARITY, PROXIMITY, RELATIONS, SANCTION, DIASPORA, SIMILARITY = range(7)
# Features fixed for a run (CONSTANT is 1); relations and sanction are read each step.
STATIC_FEATURES = (CONSTANT, COMPLEMENTARITY, PROXIMITY, DIASPORA, SIMILARITY)
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
    "episodic_below": 8.0,
    "leading_from": 50.0,
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


# ---------------------------------------------------------------- layout of the links


class LinkSlots(NamedTuple):
    """Where each link's channels and states sit, for `link_dynamics` (fixed for a run).

    A slot is one (link, channel) pair whose channel bit is set in the link's potential;
    slots run link by link, and within a link in channel order, so link e's slots are
    `start[e]:start[e + 1]`. Per-slot arrays (the static drive parts) have P
    entries. The states a, b owning a link's two ends are numbered as an unordered pair,
    min(a, b)·S + max(a, b) (`state_pairs`): a link's features are symmetric in a and b.
    """

    potential: np.ndarray  # (E,) uint8: the link's potential channels (bits ≥ C cleared)
    start: np.ndarray  # (E + 1,) int32 (int64 past 2^31 slots): first slot of each link
    channel: np.ndarray  # (P,) int8: channel of each slot
    link_pair: np.ndarray  # (E,) int32: state pair of each link
    n_states: int


def state_pairs(ends: np.ndarray, owner: np.ndarray, n_states: int) -> np.ndarray:
    """The unordered pair of states owning each link's two ends, min(a, b)·S + max(a, b) with
    a = owner[ends[e, 0]], b = owner[ends[e, 1]] (int32; plain numpy)."""
    ends = np.asarray(ends).reshape(-1, 2)
    owner = np.asarray(owner).astype(np.int64)
    a, b = owner[ends[:, 0]], owner[ends[:, 1]]
    return (np.minimum(a, b) * n_states + np.maximum(a, b)).astype(np.int32)


def link_slots(
    potential: np.ndarray, ends: np.ndarray, owner: np.ndarray, n_states: int,
    n_channels: int = len(CHANNELS),
) -> LinkSlots:
    """The slots of links with potential channels `potential` between actors `ends` owned by
    states `owner` (once per run)."""
    e = len(potential)
    bits = (np.asarray(potential).astype(np.int64) & ((1 << n_channels) - 1)).astype(np.uint8)
    # int32 while the slots fit (fewer than 2^31, C per link at most): 40 MB less at ten
    # million links.
    start = np.empty(e + 1, dtype=np.int32 if e * n_channels < 2**31 else np.int64)
    channel = _slot_layout(bits, n_channels, start)
    link_pair = state_pairs(np.asarray(ends).reshape(e, 2), owner, n_states)
    return LinkSlots(
        potential=bits,
        start=start,
        channel=channel,
        link_pair=link_pair,
        n_states=int(n_states),
    )


@njit(cache=True)
def _slot_layout(bits: np.ndarray, n_channels: int, start: np.ndarray) -> np.ndarray:
    """Each link's first slot into `start` (E + 1: cumulative counts of its set bits) and the
    channel of each slot (int8), link by link and in channel order within a link: what the
    row-major True cells of the E×C bit mask give, without making the mask (at ten million
    links numpy's version took 0.6 s and 0.8 GB)."""
    e_n = bits.shape[0]
    start[0] = 0
    for e in range(e_n):
        b = np.int64(bits[e])
        count = 0
        for c in range(n_channels):
            count += (b >> c) & 1
        start[e + 1] = start[e] + count
    channel = np.empty(start[e_n], dtype=np.int8)
    for e in range(e_n):
        b = np.int64(bits[e])
        j = start[e]
        for c in range(n_channels):
            if (b >> c) & 1:
                channel[j] = c
                j += 1
    return channel


def _slot_mask(slots: LinkSlots, n_channels: int) -> np.ndarray:
    """(E×C) bool: which (link, channel) cells are slots; True cells in row-major order are
    the slots in order."""
    return ((slots.potential.astype(np.int64)[:, None] >> np.arange(n_channels)) & 1).astype(bool)


def static_drives(
    slots: LinkSlots,
    complementarity: np.ndarray,
    proximity: np.ndarray,
    diaspora: np.ndarray,
    similarity: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The parts of β · x and γ · x that stay fixed during a run: per slot (P,) and per link (E,),

        Σ_k β_ck x_k  and  Σ_k γ_k x_k  over k in STATIC_FEATURES (x_constant = 1),

    added in that order (c is the slot's channel). `link_dynamics` adds
    β_c,relations·relations + β_c,sanction·sanction each step. Once per run, and again when the
    coefficients change (docs/model.md, "Paradiplomacy"): one parallel pass over the links,
    each writing its own slots, where numpy's array arithmetic would make and read back
    several arrays of E×C (two seconds at ten million links).
    """
    c_n = drive_coef.shape[0]
    drive = np.empty(len(slots.channel))
    formation = np.empty(len(slots.potential))
    features = [np.ascontiguousarray(x, dtype=np.float64)
                for x in (complementarity, proximity, diaspora, similarity)]
    _static_sums(slots.potential, slots.start, *features,
                  np.ascontiguousarray(drive_coef[:, list(STATIC_FEATURES)]),
                  np.ascontiguousarray(formation_coef[list(STATIC_FEATURES)]), c_n,
                  drive, formation)
    return drive, formation


@njit(cache=True, parallel=True)
def _static_sums(potential: np.ndarray, start: np.ndarray, complementarity: np.ndarray,
                 proximity: np.ndarray, diaspora: np.ndarray, similarity: np.ndarray,
                 beta: np.ndarray, gamma: np.ndarray, c_n: int, drive: np.ndarray,
                 formation: np.ndarray) -> None:
    """`static_drives` into `drive` and `formation`; `beta` (C×5) and `gamma` (5,) hold the
    coefficients of STATIC_FEATURES, in its order (constant, complementarity, proximity,
    diaspora, similarity), in which the products are added, from 0, as the reference adds."""
    for e in prange(potential.shape[0]):
        x = (1.0, complementarity[e], proximity[e], diaspora[e], similarity[e])
        bits = np.int64(potential[e])
        j = start[e]
        for c in range(c_n):
            if (bits >> c) & 1:
                acc = 0.0
                for k in range(5):
                    acc += x[k] * beta[c, k]
                drive[j] = acc
                j += 1
        acc = 0.0
        for k in range(5):
            acc += gamma[k] * x[k]
        formation[e] = acc


def static_drives_reference(
    slots: LinkSlots,
    complementarity: np.ndarray,
    proximity: np.ndarray,
    diaspora: np.ndarray,
    similarity: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `static_drives` (the same order of additions)."""
    e = len(slots.potential)
    column = {
        CONSTANT: np.ones(e),
        COMPLEMENTARITY: np.asarray(complementarity, dtype=np.float64),
        PROXIMITY: np.asarray(proximity, dtype=np.float64),
        DIASPORA: np.asarray(diaspora, dtype=np.float64),
        SIMILARITY: np.asarray(similarity, dtype=np.float64),
    }
    drive = np.zeros((e, drive_coef.shape[0]))
    formation = np.zeros(e)
    for k in STATIC_FEATURES:
        drive += column[k][:, None] * drive_coef[:, k]
        formation += formation_coef[k] * column[k]
    return drive[_slot_mask(slots, drive_coef.shape[0])], formation


def _pair_features(relations: np.ndarray, sanction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relations and sanction of every state pair a·S + b, flat: (R_ab + R_ba)/2, max(S_ab, S_ba)
    (symmetric in a and b, to the bit)."""
    return (0.5 * (relations + relations.T)).ravel(), np.maximum(sanction, sanction.T).ravel()


# ---------------------------------------------------------------- formation draws


@njit(cache=True, parallel=True)
def formation_uniforms(seed: int, n: int) -> np.ndarray:
    """u_e ∈ [0, 1) for links e = 0..n−1: the (e + 1)-th output of splitmix64 started from
    `seed` (0 ≤ seed < 2^63), i.e. mix(seed + (e + 1)·0x9E3779B97F4A7C15 mod 2^64), its top
    53 bits over 2^53.

    Counter-based: each link's draw depends only on (seed, e), so it is the same whichever
    thread computes it. `link_dynamics` computes the same draw for each dormant link.
    """
    key = np.uint64(seed)
    out = np.empty(max(n, 0))
    for e in prange(max(n, 0)):
        out[e] = counter_uniform(key, e)
    return out


def formation_uniforms_reference(seed: int, n: int) -> np.ndarray:
    """Plain-numpy reference for `formation_uniforms`."""
    return counter_uniforms_reference(seed, np.arange(max(n, 0)))


def formation_uniforms_python_loop(seed: int, n: int) -> np.ndarray:
    """Python-loop baseline for `formation_uniforms` (Python integers masked to 64 bits)."""
    return np.array([counter_uniform_python(seed, e) for e in range(max(n, 0))],
                    dtype=np.float64)


# ---------------------------------------------------------------- dynamics


@njit(cache=True)
def _logistic(z: float) -> float:
    """1/(1 + e^−z) without overflow."""
    e = math.exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@njit(cache=True, parallel=True)
def _advance(
    strength: np.ndarray,
    potential: np.ndarray,
    start: np.ndarray,
    link_pair: np.ndarray,
    rel: np.ndarray,
    san: np.ndarray,
    drive_static: np.ndarray,
    drive_coef: np.ndarray,
    formation_static: np.ndarray,
    formation_coef: np.ndarray,
    formation_rate: float,
    growth: np.ndarray,
    decay: np.ndarray,
    effort: np.ndarray,
    start_strength: float,
    dissolve_below: float,
    seed: int,
    dt: float,
    new: np.ndarray,
    total: np.ndarray,
    formed: np.ndarray,
    dissolved: np.ndarray,
    in_place: bool,
) -> None:
    """One pass per link (`link_dynamics`): an active link's drives, targets and exact update
    channel by channel, its total and dissolution; a dormant link's formation. `in_place`:
    `new` is `strength`, whose dormant rows are zeros already and are written only if the
    link forms."""
    n, c_n = strength.shape
    key = np.uint64(seed)
    beta_r = drive_coef[:, RELATIONS].copy()
    beta_s = drive_coef[:, SANCTION].copy()
    gamma_r = formation_coef[RELATIONS]
    gamma_s = formation_coef[SANCTION]
    for e in prange(n):
        bits = np.int64(potential[e])
        active = False
        for c in range(c_n):
            active |= strength[e, c] > 0.0
        formed[e] = False
        dissolved[e] = False
        q = link_pair[e]
        acc = 0.0
        if active:
            r, s_q, a = rel[q], san[q], effort[e]
            j = start[e]
            for c in range(c_n):
                v = 0.0
                if (bits >> c) & 1:
                    z = drive_static[j] + beta_r[c] * r + beta_s[c] * s_q
                    x = math.exp(-abs(z))
                    gd = growth[c] * a * ((1.0 if z >= 0.0 else x) / (1.0 + x))
                    rate = gd + decay[c]
                    s = strength[e, c]
                    # A channel with rate 0 keeps its strength: s* = 0 and a factor of 1.
                    t = gd / rate if rate > 0.0 else 0.0
                    factor = math.exp(-rate * dt) if rate > 0.0 else 1.0
                    v = min(max(t + (s - t) * factor, 0.0), 1.0)
                    j += 1
                new[e, c] = v
                acc += v
            if acc < dissolve_below:
                for c in range(c_n):
                    new[e, c] = 0.0
                acc = 0.0
                dissolved[e] = True
        else:
            grow = False
            if bits != 0:
                u = counter_uniform(key, e)
                ra = formation_rate * effort[e]
                # h = 1 − e^(−x) ≤ x ≤ r·a·Δt (logistic ≤ 1, and rounding keeps the order):
                # a draw at or above r·a·Δt cannot form, and most dormant links skip the exps.
                if u < ra * dt:
                    z = formation_static[e] + gamma_r * rel[q] + gamma_s * san[q]
                    grow = u < -math.expm1(-ra * _logistic(z) * dt)
            formed[e] = grow
            if grow or not in_place:
                for c in range(c_n):
                    v = 0.0
                    if grow and (bits >> c) & 1:
                        v = start_strength
                        acc += v
                    new[e, c] = v
        total[e] = acc


_SCRATCH = threading.local()


def _scratch(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 work arrays of `size`, kept per thread from call to call: fresh memory costs
    a page fault per page touched, which at a million links is several milliseconds a step.
    No result ever refers to them."""
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.shape[1] < size:
        buf = _SCRATCH.buf = np.empty((2, size))
    return buf[0, :size], buf[1, :size]


def link_dynamics(
    strength: np.ndarray,
    slots: LinkSlots,
    relations: np.ndarray,
    sanction: np.ndarray,
    drive_static: np.ndarray,
    formation_static: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
    formation_rate: float,
    growth: np.ndarray,
    decay: np.ndarray,
    start_strength: float,
    dissolve_below: float,
    seed: int,
    dt: float,
    effort: np.ndarray | None = None,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One step of Δt = `dt` years for every link: (new strength E×C, new total E, formed E,
    dissolved E), where total_e = Σ_c s'_ec (added in channel order).

    The link's features: with a, b the states owning its two ends (`slots`), R the state
    relations in [−1, 1] and S the sanction intensities in [0, 1],

        relations = (R_ab + R_ba)/2,   sanction = max(S_ab, S_ba),
        β_c · x = drive_static[j] + β_c,relations·relations + β_c,sanction·sanction,
        γ · x   = formation_static[e] + γ_relations·relations + γ_sanction·sanction,

    for slot j = (e, c), with the static parts from `static_drives` (β = `drive_coef`,
    γ = `formation_coef`). Active link (any s_c > 0): each channel c whose bit is set in the
    potential moves to

        s_c' = s*_c + (s_c − s*_c)·exp(−(g_c D_c + δ_c)·Δt),   s*_c = g_c D_c / (g_c D_c + δ_c),
        D_c = logistic(β_c · x),

    the exact solution of ds/dt = g D (1 − s) − δ s (clipped to [0, 1] against rounding; a
    channel with g_c D_c + δ_c = 0 keeps its strength); other channels are set to 0. If then
    Σ_c s_c' < `dissolve_below`, the link dissolves: all strengths 0, dissolved = True.
    Dormant link (all s_c = 0) with at least one potential channel: it forms if
    u_e < h = 1 − exp(−r·a_e·logistic(γ · x)·Δt), u_e the link's draw from
    `formation_uniforms(seed, E)`, and then every potential channel starts at `start_strength`
    (no growth in the step it forms). `effort` a_e ∈ [0, 1] is the attention its two ends give
    link e (`partner_effort`); it scales growth and formation, g_c → g_c·a_e and r → r·a_e
    (None: a = 1, every candidate on its own). Needs g, δ, r ≥ 0, strengths and
    `start_strength` in [0, 1], 0 ≤ seed < 2^63. docs/model.md, "Paradiplomacy".

    `out`, if given, is a pair of float64 arrays (E×C, E) that receive the new strengths and
    totals and are returned in their place, as with numpy's `out=`: nothing else changes. The
    first may be `strength` itself, which is then updated in place (each link's row is read
    before it is written, and a dormant link that does not form, a row of zeros, is not
    written at all); otherwise neither may overlap the inputs. A caller that updates in place
    and keeps last step's totals for this saves memory and time: at a million links the
    strengths are 400 MB, and fresh memory costs a page fault per page touched.

    One parallel pass over the links (`_advance`), each link in one iteration, so results do
    not depend on the thread count. An active link computes its drives, targets and update
    channel by channel, with the exponentials inside the loop; a dormant link (most, in a world
    of candidates) reads its draw first and computes its hazard only if the draw is below
    r·a_e·Δt, the hazard's bound, which decides the same as the hazard. No array the size of
    the slots is made: the step reads the strengths once and writes the results once.
    """
    n = strength.shape[0]
    effort = _full_effort(n) if effort is None else effort
    rel, san = _pair_features(relations, sanction)
    new, total = _outputs(strength, out)
    formed = np.empty(n, dtype=np.bool_)
    dissolved = np.empty(n, dtype=np.bool_)
    _advance(strength, slots.potential, slots.start, slots.link_pair, rel, san, drive_static,
             drive_coef, formation_static, formation_coef, formation_rate, growth, decay,
             effort, start_strength, dissolve_below, seed, dt, new, total, formed, dissolved,
             new is strength)
    return new, total, formed, dissolved


def _full_effort(n: int) -> np.ndarray:
    """a = 1 on n links (read-only, kept from call to call)."""
    ones = getattr(_SCRATCH, "ones", None)
    if ones is None or ones.shape[0] < n:
        ones = _SCRATCH.ones = np.ones(n)
        ones.flags.writeable = False
    return ones[:n]


def _outputs(
    strength: np.ndarray, out: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The arrays for the new strengths and totals: `out`, checked (its first may be `strength`
    itself), or new ones (allocated by numpy, which asks the system for huge pages: far fewer
    page faults than numba's)."""
    n, c_n = strength.shape
    if out is None:
        return np.empty((n, c_n)), np.empty(n)
    new, total = out
    for a, shape in ((new, (n, c_n)), (total, (n,))):
        if (a.shape != shape or a.dtype != np.float64 or not a.flags.c_contiguous
                or not a.flags.writeable):
            raise ValueError(f"out arrays must be writeable C-contiguous float64 of shapes "
                             f"{(n, c_n)} and {(n,)}")
    if np.may_share_memory(new, total) or np.may_share_memory(total, strength) or (
            new is not strength and np.may_share_memory(new, strength)):
        raise ValueError("out arrays must not overlap each other or the strengths, unless the "
                         "first is the strengths themselves")
    return new, total


def _logistic_reference(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _channel_sum(s: np.ndarray) -> np.ndarray:
    """Σ_c s[:, c] in channel order (as the kernels add)."""
    total = np.zeros(s.shape[0])
    for c in range(s.shape[1]):
        total += s[:, c]
    return total


def link_totals(strength: np.ndarray) -> np.ndarray:
    """Σ_c s_ec of each link, added in channel order as `link_dynamics` adds (plain numpy)."""
    return _channel_sum(strength)


def link_dynamics_reference(
    strength: np.ndarray,
    slots: LinkSlots,
    relations: np.ndarray,
    sanction: np.ndarray,
    drive_static: np.ndarray,
    formation_static: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
    formation_rate: float,
    growth: np.ndarray,
    decay: np.ndarray,
    start_strength: float,
    dissolve_below: float,
    seed: int,
    dt: float,
    effort: np.ndarray | None = None,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain-numpy reference for `link_dynamics`."""
    n, c_n = strength.shape
    effort = np.ones(n) if effort is None else np.asarray(effort, dtype=np.float64)
    pair_rel, pair_san = _pair_features(relations, sanction)
    rel, san = pair_rel[slots.link_pair], pair_san[slots.link_pair]
    mask = _slot_mask(slots, c_n)
    static = np.zeros((n, c_n))
    static[mask] = drive_static
    z = static + drive_coef[:, RELATIONS] * rel[:, None] + drive_coef[:, SANCTION] * san[:, None]
    gd = growth * effort[:, None] * _logistic_reference(z)
    rate = gd + decay
    positive = rate > 0.0
    safe = np.where(positive, rate, 1.0)
    target = gd / safe
    moved = np.clip(target + (strength - target) * np.exp(-safe * dt), 0.0, 1.0)
    updated = np.where(mask, np.where(positive, moved, strength), 0.0)
    active = (strength > 0.0).any(axis=1)
    dissolved = active & (_channel_sum(updated) < dissolve_below)
    new = np.where((active & ~dissolved)[:, None], updated, 0.0)
    odds = formation_static + formation_coef[RELATIONS] * rel + formation_coef[SANCTION] * san
    hazard = -np.expm1(-formation_rate * effort * _logistic_reference(odds) * dt)
    uniforms = formation_uniforms_reference(seed, n)
    formed = ~active & mask.any(axis=1) & (uniforms < hazard)
    new[formed] = np.where(mask[formed], start_strength, 0.0)
    new = new.reshape(n, c_n)
    total = _channel_sum(new)
    if out is not None:
        new_out, total_out = _outputs(strength, out)
        np.copyto(new_out, new)
        np.copyto(total_out, total)
        new, total = new_out, total_out
    return new, total, formed, dissolved


def _sequential_sum(values: list[float]) -> float:
    """Σ in order, one addition at a time (Python's `sum` compensates since 3.12)."""
    acc = 0.0
    for v in values:
        acc += v
    return acc


def link_dynamics_python_loop(
    strength: np.ndarray,
    slots: LinkSlots,
    relations: np.ndarray,
    sanction: np.ndarray,
    drive_static: np.ndarray,
    formation_static: np.ndarray,
    drive_coef: np.ndarray,
    formation_coef: np.ndarray,
    formation_rate: float,
    growth: np.ndarray,
    decay: np.ndarray,
    start_strength: float,
    dissolve_below: float,
    seed: int,
    dt: float,
    effort: np.ndarray | None = None,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Python-loop baseline for `link_dynamics` (one link, one channel at a time)."""
    s_l, pot, pair_l = strength.tolist(), slots.potential.tolist(), slots.link_pair.tolist()
    rel_l, san_l = relations.tolist(), sanction.tolist()
    static_l, fstatic_l = drive_static.tolist(), formation_static.tolist()
    beta_r = drive_coef[:, RELATIONS].tolist()
    beta_s = drive_coef[:, SANCTION].tolist()
    gamma_r, gamma_s = float(formation_coef[RELATIONS]), float(formation_coef[SANCTION])
    g_l, d_l = growth.tolist(), decay.tolist()
    a_l = [1.0] * len(s_l) if effort is None else effort.tolist()
    n_states, c_n = slots.n_states, strength.shape[1]
    new, total, formed, dissolved = [], [], [], []
    j = 0  # the next slot
    for e, (s_row, bits) in enumerate(zip(s_l, pot, strict=True)):
        sa, sb = divmod(pair_l[e], n_states)
        rel = 0.5 * (rel_l[sa][sb] + rel_l[sb][sa])
        san = max(san_l[sa][sb], san_l[sb][sa])
        row = [0.0] * c_n
        was_formed = was_dissolved = False
        if any(s > 0.0 for s in s_row):
            slot = j
            for c in range(c_n):
                if (bits >> c) & 1:
                    z = static_l[slot] + beta_r[c] * rel + beta_s[c] * san
                    slot += 1
                    gd = g_l[c] * a_l[e] / (1.0 + math.exp(-z)) if z > -700.0 else 0.0
                    rate = gd + d_l[c]
                    s = s_row[c]
                    if rate > 0.0:
                        target = gd / rate
                        s = min(max(target + (s - target) * math.exp(-rate * dt), 0.0), 1.0)
                    row[c] = s
            if _sequential_sum(row) < dissolve_below:
                row = [0.0] * c_n
                was_dissolved = True
        elif bits:
            z = fstatic_l[e] + gamma_r * rel + gamma_s * san
            p = 1.0 / (1.0 + math.exp(-z)) if z > -700.0 else 0.0
            hazard = 1.0 - math.exp(-formation_rate * a_l[e] * p * dt)
            if counter_uniform_python(seed, e) < hazard:
                was_formed = True
                row = [start_strength if (bits >> c) & 1 else 0.0 for c in range(c_n)]
        j += sum((bits >> c) & 1 for c in range(c_n))
        new.append(row)
        total.append(_sequential_sum(row))
        formed.append(was_formed)
        dissolved.append(was_dissolved)
    new_a = np.array(new, dtype=np.float64).reshape(len(s_l), c_n)
    total_a = np.array(total, dtype=np.float64)
    if out is not None:
        new_out, total_out = _outputs(strength, out)
        np.copyto(new_out, new_a)
        np.copyto(total_out, total_a)
        new_a, total_a = new_out, total_out
    return new_a, total_a, np.array(formed, dtype=bool), np.array(dissolved, dtype=bool)


# ---------------------------------------------------------------- attention of actors


class ActorLinks(NamedTuple):
    """Each actor's links, for `partner_effort` (fixed for a run): the links' `ends`, each
    actor's number of link ends `degree`, and its entries `start[r]:start[r + 1]` of `end`
    (2E: each link end once, as 2·link + side, the index of `ends.ravel()`; in link order
    within an actor). The link of an entry is end // 2."""

    ends: np.ndarray  # (E, 2) int32 (the world's own array when it is int32 already)
    degree: np.ndarray  # (N,) int64
    start: np.ndarray  # (N + 1,) int64
    end: np.ndarray  # (2E,) int32


def actor_links(ends: np.ndarray, n_actors: int) -> ActorLinks:
    """The links of every actor, from the links' `ends` (E×2 actor rows; once per run)."""
    # int32 rows and entries (fewer than 2^31 actors and link ends): at ten million links the
    # world's ends are shared rather than copied, and the entries take half the memory.
    ends = np.ascontiguousarray(ends, dtype=np.int32).reshape(-1, 2)
    degree = np.bincount(ends.ravel(), minlength=n_actors).astype(np.int64)
    start = np.zeros(n_actors + 1, dtype=np.int64)
    np.cumsum(degree, out=start[1:])
    return ActorLinks(ends=ends, degree=degree, start=start, end=_grouped(ends.ravel(), start))


@njit(cache=True)
def _grouped(ends: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The indices of the flattened `ends`, grouped by actor and in order within an actor:
    np.argsort(ends, kind="stable") as a counting sort, O(n) where a sort of twenty million is
    seconds. `start` is where each actor's group begins (cumulative degrees)."""
    slot = start[:-1].copy()
    grouped = np.empty(ends.shape[0], dtype=np.int32)
    for i in range(ends.shape[0]):
        k = ends[i]
        grouped[slot[k]] = i
        slot[k] += 1
    return grouped


@njit(cache=True, parallel=True)
def _promise(link_pair: np.ndarray, rel: np.ndarray, san: np.ndarray,
             formation_static: np.ndarray, gamma_r: float, gamma_s: float,
             link_total: np.ndarray, commitment: float) -> np.ndarray:
    out = np.empty(link_pair.shape[0])
    for e in prange(link_pair.shape[0]):
        q = link_pair[e]
        z = formation_static[e] + gamma_r * rel[q] + gamma_s * san[q]
        out[e] = z + commitment if link_total[e] > 0.0 else z
    return out


def link_promise(
    link_pair: np.ndarray, relations: np.ndarray, sanction: np.ndarray,
    formation_static: np.ndarray, formation_coef: np.ndarray, link_total: np.ndarray,
    commitment: float,
) -> np.ndarray:
    """What each link promises its ends (E,): π_e = γ · x_e, the formation odds as
    `link_dynamics` computes them (complementarity, proximity, relations, sanction, diaspora,
    similarity; `link_pair` the links' state pairs, `formation_static` their fixed part), plus
    `commitment` if the link is active (`link_total` > 0): an actor keeps up the partnerships it
    has before it seeks new ones. docs/model.md, "Paradiplomacy"."""
    rel, san = _pair_features(relations, sanction)
    with serial_below(link_pair.shape[0], ATTENTION_PARALLEL_FROM):
        return _promise(link_pair, rel, san, formation_static,
                        float(formation_coef[RELATIONS]), float(formation_coef[SANCTION]),
                        link_total, commitment)


def link_promise_reference(
    link_pair: np.ndarray, relations: np.ndarray, sanction: np.ndarray,
    formation_static: np.ndarray, formation_coef: np.ndarray, link_total: np.ndarray,
    commitment: float,
) -> np.ndarray:
    """Plain-numpy reference for `link_promise`."""
    rel, san = _pair_features(relations, sanction)
    odds = (formation_static + formation_coef[RELATIONS] * rel[link_pair]
            + formation_coef[SANCTION] * san[link_pair])
    return np.where(link_total > 0.0, odds + commitment, odds)


# The link ends are streamed in this many fixed parts (consecutive link ranges), in parallel,
# each into its own actor sums, then the parts are added in order: a fixed number, so the sums
# do not depend on the thread count (as for `activity_classes`).
ATTENTION_PARTS = 2


@njit(cache=True, parallel=True)
def _best_pay(ends: np.ndarray, pay: np.ndarray, n_actors: int) -> np.ndarray:
    """max π over each actor's links (−inf without links)."""
    e_n = pay.shape[0]
    part = np.full((ATTENTION_PARTS, n_actors), -np.inf)
    for k in prange(ATTENTION_PARTS):
        best = part[k]
        for e in range(k * e_n // ATTENTION_PARTS, (k + 1) * e_n // ATTENTION_PARTS):
            for side in range(2):
                a = ends[e, side]
                best[a] = max(best[a], pay[e])
    top = part[0].copy()
    for k in range(1, ATTENTION_PARTS):
        top = np.maximum(top, part[k])
    return top


@njit(cache=True, parallel=True)
def _weight_exponents(ends: np.ndarray, pay: np.ndarray, top: np.ndarray, temperature: float,
                      weight: np.ndarray) -> None:
    """(π_e − max π of the end's actor)/τ at each link end, into `weight` (E×2)."""
    for e in prange(pay.shape[0]):
        for side in range(2):
            weight[e, side] = (pay[e] - top[ends[e, side]]) / temperature


@njit(cache=True, parallel=True)
def _weight_sums(ends: np.ndarray, weight: np.ndarray, n_actors: int) -> np.ndarray:
    """Σ of the weights at each actor's link ends, in ATTENTION_PARTS fixed parts."""
    e_n = weight.shape[0]
    part = np.zeros((ATTENTION_PARTS, n_actors))
    for k in prange(ATTENTION_PARTS):
        acc = part[k]
        for e in range(k * e_n // ATTENTION_PARTS, (k + 1) * e_n // ATTENTION_PARTS):
            for side in range(2):
                acc[ends[e, side]] += weight[e, side]
    total = part[0].copy()
    for k in range(1, ATTENTION_PARTS):
        total += part[k]
    return total


def _weights(ends: np.ndarray, pay: np.ndarray, top: np.ndarray, temperature: float,
             weight: np.ndarray) -> np.ndarray:
    """w at each link end, into `weight` (E×2), and their sums per actor: the exponents in
    numba, their exp by numpy in bulk (vectorised, several times faster than the scalar exp
    numba calls), then the sums."""
    _weight_exponents(ends, pay, top, temperature, weight)
    np.exp(weight, out=weight)
    return _weight_sums(ends, weight, top.shape[0])


@njit(cache=True)
def _water_level(w: np.ndarray, b: float) -> float:
    """λ with Σ_i min(1, λ·w_i) = b, for weights `w` ≥ 0 whose largest is 1 and Σw < b < len(w).

    Cap the links that λ = (b − k)/Σ_{uncapped} w would take above 1 (k the number capped), and
    again with the larger λ that follows, until none is added: λ only grows, so the capped set
    is the smallest that is consistent, the k largest weights, as water-filling over the sorted
    weights finds (+inf if the uncapped weigh nothing). Each pass reads the weights once, and it
    takes k + 1 passes at most, a few here: far cheaper than sorting each actor's links.
    """
    n = w.shape[0]
    capped = 0
    while True:
        rest = 0.0
        for i in range(n):
            # Capped weights are marked by a sign flip. Selects, not branches: whether a weight
            # is capped is a coin toss the processor cannot predict.
            rest += max(w[i], 0.0)
        if rest <= 0.0:
            return np.inf
        level = (b - capped) / rest
        added = 0
        for i in range(n):
            x = w[i]
            cap = (x >= 0.0) & (level * x > 1.0)
            w[i] = -1.0 - x if cap else x
            added += cap
        if added == 0:
            return level
        capped += added


# Actors are taken in this many fixed parts (consecutive ranges), each with one work buffer:
# every actor's level is computed on its own, so the parts change nothing but the allocations.
LEVEL_PARTS = 64


@njit(cache=True, parallel=True)
def _levels(start: np.ndarray, end: np.ndarray, degree: np.ndarray, weight: np.ndarray,
            total: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """λ of each actor: +inf if it has room for all its links, b/Σw if its best link is not
    capped, else water-filling over its weights (`_water_level`), gathered from `weight` (2E,
    by link end) rather than computed again: numba's scalar exp would cost more than the
    gather."""
    n_actors = degree.shape[0]
    level = np.empty(n_actors)
    widest = 0
    for r in range(n_actors):
        widest = max(widest, degree[r])
    for part in prange(LEVEL_PARTS):
        work = np.empty(widest)
        for r in range(part * n_actors // LEVEL_PARTS, (part + 1) * n_actors // LEVEL_PARTS):
            b = budget[r]
            if b >= degree[r]:
                level[r] = np.inf
            elif b <= total[r]:  # the best link weighs 1
                level[r] = b / total[r]
            else:
                lo, hi = start[r], start[r + 1]
                w = work[: hi - lo]
                for i in range(lo, hi):
                    w[i - lo] = weight[end[i]]
                level[r] = _water_level(w, b)
    return level


@njit(cache=True, parallel=True)
def _weakest_end(ends: np.ndarray, weight: np.ndarray, level: np.ndarray,
                 effort: np.ndarray) -> None:
    for e in prange(ends.shape[0]):
        a = 1.0
        for side in range(2):
            lam = level[ends[e, side]]
            share = min(1.0, lam * weight[e, side])
            # λ = +inf: room for every link, even one that weighs nothing (where λ·w is NaN).
            # A select, not a branch: which actors have room is unpredictable.
            a = min(a, 1.0 if lam == np.inf else share)
        effort[e] = a


def partner_effort(
    actors: ActorLinks, pay: np.ndarray, budget: np.ndarray, temperature: float
) -> np.ndarray:
    """The effort a_e ∈ [0, 1] each link gets from its two ends (E,): each actor r spreads
    its attention budget B_r (links' worth of full effort) over its candidate links, in
    proportion to what they pay, none getting more than full effort:

        a_re = min(1, λ_r·w_e),   w_e = exp((π_e − max_{e'∋r} π_e')/τ),   Σ_{e∋r} a_re = B_r,

    λ_r found by water-filling (a_re = 1 for all its links if B_r ≥ its number of links), and a
    link gets the effort of the end that gives it less, a_e = min(a_ae, a_be). π = `pay` (E,),
    τ = `temperature` > 0, B = `budget` (N,) ≥ 0. docs/model.md, "Paradiplomacy".

    The links are streamed in order (each actor's best pay, then its weights and their sum,
    in ATTENTION_PARTS fixed parts), so that memory is read in order however the links are
    laid out; only an actor whose best link is capped gathers its links' weights, to water-fill
    them (`_water_level`). Nothing depends on the thread count.
    """
    n_actors = actors.degree.shape[0]
    with serial_below(pay.shape[0], ATTENTION_PARALLEL_FROM):
        top = _best_pay(actors.ends, pay, n_actors)
        weight = np.empty((pay.shape[0], 2))
        total = _weights(actors.ends, pay, top, temperature, weight)
        level = _levels(actors.start, actors.end, actors.degree, weight.ravel(), total, budget)
        effort = np.empty(pay.shape[0])
        _weakest_end(actors.ends, weight, level, effort)
    return effort


def partner_effort_reference(
    actors: ActorLinks, pay: np.ndarray, budget: np.ndarray, temperature: float
) -> np.ndarray:
    """Plain-numpy reference for `partner_effort` (actor by actor)."""
    share = np.empty(len(actors.end))
    for r in range(len(actors.start) - 1):
        lo, hi = actors.start[r], actors.start[r + 1]
        n = hi - lo
        if n == 0:
            continue
        if budget[r] >= n:
            share[lo:hi] = 1.0
            continue
        p = pay[actors.end[lo:hi] // 2]
        w = np.exp((p - p.max()) / temperature)
        if budget[r] <= w.sum():
            lam = budget[r] / w.sum()
        else:
            ws = np.sort(w)[::-1]
            tail = np.cumsum(ws[::-1])[::-1]
            k = int(np.argmax((budget[r] - np.arange(n)) * ws <= tail))
            lam = (budget[r] - k) / tail[k] if tail[k] > 0.0 else np.inf
        with np.errstate(invalid="ignore"):
            share[lo:hi] = np.where(w == 0.0, 0.0, np.minimum(1.0, lam * w))
    by_end = np.empty_like(share)
    by_end[actors.end] = share
    return np.minimum(by_end[0::2], by_end[1::2])


# ---------------------------------------------------------------- activity of actors


# Link totals are added up for the actors in this many fixed parts (consecutive link ranges), in
# parallel, then the parts are added in order: a fixed number, so the sums do not depend on the
# thread count.
ACTIVITY_PARTS = 2


@njit(cache=True)
def _classify(total: np.ndarray, episodic_below: float, leading_from: float) -> np.ndarray:
    activity = np.empty(total.shape[0], dtype=np.int8)
    for r in range(total.shape[0]):
        t = total[r]
        if t <= 0.0:
            activity[r] = INACTIVE
        elif t < episodic_below:
            activity[r] = EPISODIC
        elif t < leading_from:
            activity[r] = ACTIVE
        else:
            activity[r] = LEADING
    return activity


@njit(cache=True, parallel=True)
def activity_classes(
    ends: np.ndarray,
    link_total: np.ndarray,
    n_actors: int,
    episodic_below: float,
    leading_from: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each actor's total link strength T_r = Σ_{links ℓ of r} total_ℓ, with total_ℓ = Σ_c s_ℓc
    (as `link_dynamics` returns it), and activity class:

        0 inactive (T = 0), 1 episodic (0 < T < episodic_below),
        2 active (episodic_below ≤ T < leading_from), 3 leading (T ≥ leading_from)

    after paper 002's classification of regions by their international activity (docs/model.md,
    "Paradiplomacy"). A link counts at both its ends (`ends`, actor rows < n_actors; twice at
    an actor linked to itself).

    The links are split into ACTIVITY_PARTS consecutive ranges (part k: links
    k·E//ACTIVITY_PARTS up to (k + 1)·E//ACTIVITY_PARTS), each added up in link order in one
    parallel iteration (a link to its first end, then to its second), into its own array of
    actor sums; the parts are then added in order. Streaming the links in order keeps this
    fast however the links are ordered; gathering them actor by actor waits on memory.
    """
    e_n = link_total.shape[0]
    part = np.zeros((ACTIVITY_PARTS, n_actors))
    for k in prange(ACTIVITY_PARTS):
        acc = part[k]
        for e in range(k * e_n // ACTIVITY_PARTS, (k + 1) * e_n // ACTIVITY_PARTS):
            t = link_total[e]
            acc[ends[e, 0]] += t
            acc[ends[e, 1]] += t
    total = part[0].copy()
    for k in range(1, ACTIVITY_PARTS):
        total += part[k]
    return total, _classify(total, episodic_below, leading_from)


def activity_classes_reference(
    ends: np.ndarray,
    link_total: np.ndarray,
    n_actors: int,
    episodic_below: float,
    leading_from: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `activity_classes` (same order of additions)."""
    e_n = len(link_total)
    ends = np.asarray(ends).reshape(e_n, 2)
    total = None
    for k in range(ACTIVITY_PARTS):
        part = slice(k * e_n // ACTIVITY_PARTS, (k + 1) * e_n // ACTIVITY_PARTS)
        sums = np.bincount(ends[part].ravel(), weights=np.repeat(link_total[part], 2),
                           minlength=n_actors)
        total = sums if total is None else total + sums
    activity = np.select(
        [total <= 0.0, total < episodic_below, total < leading_from],
        [INACTIVE, EPISODIC, ACTIVE],
        LEADING,
    ).astype(np.int8)
    return total.astype(np.float64), activity


def activity_classes_python_loop(
    ends: np.ndarray,
    link_total: np.ndarray,
    n_actors: int,
    episodic_below: float,
    leading_from: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Python-loop baseline for `activity_classes` (one link at a time, the same parts)."""
    ends_l, t_l = ends.tolist(), link_total.tolist()
    e_n = len(t_l)
    total = [0.0] * n_actors
    for k in range(ACTIVITY_PARTS):
        acc = [0.0] * n_actors
        for e in range(k * e_n // ACTIVITY_PARTS, (k + 1) * e_n // ACTIVITY_PARTS):
            a, b = ends_l[e]
            acc[a] += t_l[e]
            acc[b] += t_l[e]
        total = acc if k == 0 else [x + y for x, y in zip(total, acc, strict=True)]
    activity = []
    for t in total:
        if t <= 0.0:
            activity.append(INACTIVE)
        elif t < episodic_below:
            activity.append(EPISODIC)
        elif t < leading_from:
            activity.append(ACTIVE)
        else:
            activity.append(LEADING)
    return np.array(total, dtype=np.float64), np.array(activity, dtype=np.int8)


# ---------------------------------------------------------------- state pairs


# The links are summed in this many fixed parts (consecutive link ranges), in parallel, then the
# parts are added in order: a fixed number, so the sums do not depend on the thread count.
PAIR_PARTS = 2


def state_pair_strength(link_pair: np.ndarray, strength: np.ndarray, n_states: int) -> np.ndarray:
    """P (C×S×S): P_cij = Σ of channel c's strength over the links between actors of states i
    and j (either way round), `link_pair` giving each link's unordered state pair
    min(a, b)·S + max(a, b) (`state_pairs`); each P_c is symmetric with diagonal 0: links within
    a state are left out (docs/model.md, "Paradiplomacy").

    The links are split into PAIR_PARTS consecutive ranges (part k: links k·E//PAIR_PARTS up to
    (k + 1)·E//PAIR_PARTS), each summed in link order in one parallel iteration, for all
    channels at once, into its own S×S×C block (a pair's channels side by side; P_cij and P_cji
    receive the same additions, so each sum is made once); the parts are then added in order.
    The blocks are work arrays kept from call to call (`_scratch`): at 190 states they are
    2.9 MB, whose fresh pages would cost more than the sums.
    """
    c_n = strength.shape[1]
    size = n_states * n_states * c_n
    blocks = _scratch(size)
    for block in blocks:
        block[:] = 0.0
    out = np.zeros((c_n, n_states, n_states))
    _pair_sums(link_pair, strength, n_states, blocks[0], blocks[1], out)
    return out


@njit(cache=True, parallel=True)
def _pair_sums(
    link_pair: np.ndarray, strength: np.ndarray, n_states: int, first: np.ndarray,
    second: np.ndarray, out: np.ndarray,
) -> None:
    """`state_pair_strength` into `out` (zeros), by way of the zeroed blocks `first` and
    `second` (PAIR_PARTS = 2)."""
    e_n, c_n = strength.shape
    part = (first, second)
    for k in prange(PAIR_PARTS):
        acc = part[k]
        for e in range(k * e_n // PAIR_PARTS, (k + 1) * e_n // PAIR_PARTS):
            base = link_pair[e] * c_n
            for c in range(c_n):
                acc[base + c] += strength[e, c]
    for a in range(n_states):
        for b in range(a + 1, n_states):
            base = (a * n_states + b) * c_n
            for c in range(c_n):
                v = first[base + c] + second[base + c]
                out[c, a, b] = out[c, b, a] = v


def state_pair_strength_reference(
    link_pair: np.ndarray, strength: np.ndarray, n_states: int
) -> np.ndarray:
    """Plain-numpy reference for `state_pair_strength` (same order of additions)."""
    e_n, c_n = strength.shape
    key = np.asarray(link_pair, dtype=np.int64)
    low, high = np.divmod(key, n_states)
    across = low != high
    out = np.zeros((c_n, n_states, n_states))
    for c in range(c_n):
        total = None
        for k in range(PAIR_PARTS):
            part = slice(k * e_n // PAIR_PARTS, (k + 1) * e_n // PAIR_PARTS)
            keep = across[part]
            flat = np.bincount(key[part][keep], weights=strength[part, c][keep],
                               minlength=n_states * n_states)
            total = flat if total is None else total + flat
        upper = total.reshape(n_states, n_states)
        out[c] = upper + upper.T  # one triangle is all zeros
    return out


def state_pair_strength_python_loop(
    link_pair: np.ndarray, strength: np.ndarray, n_states: int
) -> np.ndarray:
    """Python-loop baseline for `state_pair_strength` (the same parts, added in order)."""
    e_n, c_n = strength.shape
    pairs, s_l = link_pair.tolist(), strength.tolist()
    parts = []
    for k in range(PAIR_PARTS):
        acc = [[[0.0] * n_states for _ in range(n_states)] for _ in range(c_n)]
        for e in range(k * e_n // PAIR_PARTS, (k + 1) * e_n // PAIR_PARTS):
            a, b = divmod(pairs[e], n_states)
            if a != b:
                for c, v in enumerate(s_l[e]):
                    acc[c][a][b] += v
        parts.append(acc)
    out = [[[0.0] * n_states for _ in range(n_states)] for _ in range(c_n)]
    for c in range(c_n):
        for a in range(n_states):
            for b in range(a + 1, n_states):
                v = parts[0][c][a][b]
                for k in range(1, PAIR_PARTS):
                    v += parts[k][c][a][b]
                out[c][a][b] = out[c][b][a] = v
    return np.array(out, dtype=np.float64).reshape(c_n, n_states, n_states)
