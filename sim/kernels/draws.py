"""Counter-based uniform draws: splitmix64 (Steele, Lea & Flood 2014).

The draw with index e under a key is a pure function of (key, e): the key's state advanced by
e + 1 golden gammas, through splitmix64's 64-bit finaliser, its top 53 bits over 2^53. Kernels
that draw per link or per pair use it so that a draw does not depend on the order in which
items are visited, on the number of threads, or on how many other items were drawn. Keys
come from a model's random streams, one per step. All arithmetic is on uint64 and wraps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
UNIT = 1.0 / 9007199254740992.0  # 2^−53
MASK64 = (1 << 64) - 1


def stream_keys(rng: np.random.Generator, n: int) -> list[int]:
    """n keys in [0, 2^63) for counter-based draws, from a model's random stream: the top 63
    bits of the next n raw 64-bit outputs of its bit generator (what `rng.integers(0, 2**63)`
    draws too, without its general-purpose path, which costs tens of microseconds a call)."""
    return [raw >> 1 for raw in rng.bit_generator.random_raw(n).tolist()]


@njit(cache=True)
def counter_uniform(key: np.uint64, e: int) -> float:
    """u ∈ [0, 1): mix(key + (e + 1)·0x9E3779B97F4A7C15 mod 2^64), top 53 bits over 2^53."""
    z = key + np.uint64(e + 1) * GAMMA
    z = (z ^ (z >> _S30)) * MIX1
    z = (z ^ (z >> _S27)) * MIX2
    z = z ^ (z >> _S31)
    return np.float64(z >> _S11) * UNIT


def counter_uniforms_reference(key: int, e: np.ndarray) -> np.ndarray:
    """Plain-numpy `counter_uniform` for every index in `e` (uint64 arrays, which wrap
    silently)."""
    z = (np.asarray(e, dtype=np.uint64) + np.uint64(1)) * GAMMA + np.uint64(key)
    z = (z ^ (z >> _S30)) * MIX1
    z = (z ^ (z >> _S27)) * MIX2
    z ^= z >> _S31
    return (z >> _S11).astype(np.float64) * UNIT


def counter_uniform_python(key: int, e: int) -> float:
    """`counter_uniform` in Python integers masked to 64 bits: the baseline the others are
    checked against."""
    z = (key + (e + 1) * int(GAMMA)) & MASK64
    z = ((z ^ (z >> 30)) * int(MIX1)) & MASK64
    z = ((z ^ (z >> 27)) * int(MIX2)) & MASK64
    z ^= z >> 31
    return (z >> 11) * UNIT
