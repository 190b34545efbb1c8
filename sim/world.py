"""The world's state as arrays: one row per actor, dense state-pair layers, CSR actor links.

Rows are ordered states first, then cities, then regions, so a state's row is also its index
in every state×state matrix. Mesa agents hold a row and read their columns from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STATE, CITY, REGION = 0, 1, 2
KIND_NAMES = ("state", "city", "region")
LINK_KINDS = ("agreement", "twinning")
EARTH_RADIUS_KM = 6371.0


@dataclass
class Actors:
    """Columns of per-actor state. Length N = states + cities + regions."""

    ids: np.ndarray  # str, unique
    names: np.ndarray  # str
    kind: np.ndarray  # int8: STATE, CITY or REGION
    state: np.ndarray  # int32: owning state's row (a state owns itself)
    lat: np.ndarray  # float64, degrees
    lon: np.ndarray  # float64, degrees
    population: np.ndarray  # float64, people
    gdp: np.ndarray  # float64, current US$ per year
    is_capital: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class StatePairs:
    """Dense S×S layers between states."""

    distance_km: np.ndarray  # float64; the diagonal holds the internal distance
    contiguity: np.ndarray  # bool, a shared land border
    agreement: np.ndarray  # bool, a trade agreement in force
    sanction: np.ndarray  # float64 in [0, 1], intensity of a trade sanction i→j
    trade: np.ndarray  # float64, flow X_ij from exporter i to importer j, US$ per year


@dataclass
class ActorLinks:
    """Undirected links between actors (paradiplomacy agreements, twinning).

    Each link is stored once in `ends` and both ways in the CSR arrays, so that a kernel can
    gather an actor's partners as `indices[indptr[r]:indptr[r + 1]]`.
    """

    ends: np.ndarray  # (E, 2) int32 actor rows
    kind: np.ndarray  # (E,) int8 index into LINK_KINDS
    since: np.ndarray  # (E,) int16 year signed, 0 if unknown
    channels: np.ndarray  # (E,) uint8 bit c set when channel c (CHANNELS order) is open
    strength: np.ndarray  # (E, n_channels) float32 in [0, 1]
    indptr: np.ndarray = field(init=False)  # (N + 1,) int64
    indices: np.ndarray = field(init=False)  # (2E,) int32 partner row
    edge: np.ndarray = field(init=False)  # (2E,) int32 link id of each CSR entry
    n_actors: int = 0

    def __post_init__(self) -> None:
        self.indptr, self.indices, self.edge = csr_from_pairs(self.ends, self.n_actors)

    def __len__(self) -> int:
        return len(self.ends)


@dataclass
class World:
    actors: Actors
    pairs: StatePairs
    links: ActorLinks
    n_states: int

    @property
    def n_actors(self) -> int:
        return len(self.actors)


def csr_from_pairs(ends: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR adjacency (both directions) of undirected pairs over n nodes."""
    ends = np.asarray(ends, dtype=np.int32).reshape(-1, 2)
    src = np.concatenate([ends[:, 0], ends[:, 1]])
    dst = np.concatenate([ends[:, 1], ends[:, 0]])
    edge = np.tile(np.arange(len(ends), dtype=np.int32), 2)
    order = np.argsort(src.astype(np.int64) * max(n, 1) + dst, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order].astype(np.int32), edge[order]


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise haversine distances (km) between points given in degrees."""
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def state_distances(lat: np.ndarray, lon: np.ndarray, area_km2: np.ndarray) -> np.ndarray:
    """Capital-to-capital distances, with the internal distance 0.67·√(area/π) on the diagonal.

    The internal distance follows Head & Mayer (2002); see docs/model.md, "Trade". Distances are
    floored at 1 km so that two capitals placed at one point still have a finite trade cost.
    """
    d = np.maximum(great_circle_km(lat, lon), 1.0)
    np.fill_diagonal(d, 0.67 * np.sqrt(area_km2 / np.pi))
    return d
