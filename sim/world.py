"""The world's state as arrays: one row per actor, dense state-pair layers, CSR actor links.

Rows are ordered states first, then cities, then regions, so a state's row is also its index
in every state×state matrix. Mesa agents hold a row and read their columns from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

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
    # Filled by the mechanisms each step:
    diplomatic_weight: np.ndarray = field(init=False)  # float64 ≥ 0 (cities)
    link_strength: np.ndarray = field(init=False)  # float64, Σ of its links' channel strengths
    activity: np.ndarray = field(init=False)  # int8: inactive, episodic, active, leading

    def __post_init__(self) -> None:
        n = len(self.ids)
        self.diplomatic_weight = np.zeros(n)
        self.link_strength = np.zeros(n)
        self.activity = np.zeros(n, dtype=np.int8)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class StatePairs:
    """Dense S×S layers between states."""

    distance_km: np.ndarray  # float64; the diagonal holds the internal distance
    contiguity: np.ndarray  # bool, a shared land border
    agreement: np.ndarray  # bool, a trade agreement in force
    sanction: np.ndarray  # float64 in [0, 1], sanctions of any kind by state i on state j
    trade: np.ndarray  # float64, flow X_ij from exporter i to importer j, US$ per year
    relations_baseline: np.ndarray  # float64 in [-1, 1], symmetric, the level relations drift to
    common_language: np.ndarray  # bool, a common official language
    colony: np.ndarray  # bool, a colonial tie, ever
    affinity: np.ndarray  # float64, symmetric: alliances, memberships, agreements, rivalries
    listed_baseline: np.ndarray  # float64: a baseline the scenario gives the pair, NaN if none
    relations: np.ndarray = field(init=False)  # float64 in [-1, 1], symmetric, diagonal 1
    attraction: np.ndarray = field(init=False)  # [i, j]: pull of state i on the public of j
    summit_ties: np.ndarray = field(init=False)  # co-attendance of summits, decaying
    relation_terms: np.ndarray = field(init=False)  # (5, S, S) last step's push per channel
    link_channels: np.ndarray = field(init=False)  # (C, S, S) paradiplomacy strength per channel
    link_capacity: np.ndarray = field(init=False)  # (C, S, S) links that may carry the channel
    regional_at_start: np.ndarray = field(init=False)  # share of economic ties held at step 0
    trade_sanction: np.ndarray = field(init=False)  # [0, 1], sanction on the flow i→j
    facilitation: np.ndarray = field(init=False)  # log-trade gain of customs facilitation
    relation_drift: np.ndarray = field(init=False)  # last step's pull towards the baseline
    relation_shock: np.ndarray = field(init=False)  # last step's relation shocks (events)

    def __post_init__(self) -> None:
        s = len(self.distance_km)
        self.relations = self.relations_baseline.copy()
        np.fill_diagonal(self.relations, 1.0)
        self.attraction = np.full((s, s), 0.5)
        self.summit_ties = np.zeros((s, s))
        self.relation_terms = np.zeros((5, s, s))
        self.link_channels = np.zeros((5, s, s))
        self.link_capacity = np.zeros((5, s, s))
        self.regional_at_start = np.zeros((s, s))
        self.trade_sanction = np.zeros((s, s))
        self.facilitation = np.zeros((s, s))
        self.relation_drift = np.zeros((s, s))
        self.relation_shock = np.zeros((s, s))


@dataclass
class ActorLinks:
    """Undirected links between actors (paradiplomacy agreements, twinning).

    Each link is stored once in `ends` and both ways in the CSR arrays, so that an actor's
    partners are `indices[indptr[r]:indptr[r + 1]]`. The CSR arrays are made on first use: only
    the agents' `partners` read them, and at ten million links they take seconds to sort.
    """

    ends: np.ndarray  # (E, 2) int32 actor rows
    kind: np.ndarray  # (E,) int8 index into LINK_KINDS
    since: np.ndarray  # (E,) int16 year signed, 0 if unknown
    channels: np.ndarray  # (E,) uint8 bit c set when the link carries or may carry channel c
    strength: np.ndarray  # (E, n_channels) float64 in [0, 1]; all 0: a dormant candidate
    diaspora: np.ndarray  # (E,) float64 in [0, 1], diaspora ties across the link
    n_actors: int = 0

    @cached_property
    def _csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return csr_from_pairs(self.ends, self.n_actors)

    @property
    def indptr(self) -> np.ndarray:
        """(N + 1,) int64: where each actor's entries start."""
        return self._csr[0]

    @property
    def indices(self) -> np.ndarray:
        """(2E,) int32: the partner row of each entry."""
        return self._csr[1]

    @property
    def edge(self) -> np.ndarray:
        """(2E,) int32: the link of each entry."""
        return self._csr[2]

    def __len__(self) -> int:
        return len(self.ends)


@dataclass
class Nations:
    """Per-state columns of the mechanisms: technology, soft power, digital diplomacy, blocs."""

    adoption: np.ndarray  # (S, W) share of each wave adopted
    wave_start_step: np.ndarray  # (W,) int, the step at which each wave starts spreading
    wave_strength: np.ndarray  # (W,) weight of each wave in the technology level
    audience: np.ndarray  # (S,) followers of the foreign ministry's accounts
    audience_ceiling: np.ndarray  # (S,)
    digital_capacity: np.ndarray  # (S,) in [0, 1]
    content_quality: np.ndarray  # (S,) in [0, 1]
    digital_investment: np.ndarray  # (S,) ≥ 0
    risk_management: np.ndarray  # (S,) in [0, 1]
    reputation_baseline: np.ndarray  # (S,) in [0, 1]
    ties: np.ndarray  # (S,) organisations it belongs to and states it has alliance ties with
    exports_share: np.ndarray  # (S,) exports/GDP to calibrate trade to, NaN if none
    growth_trend: np.ndarray  # (S,) trend growth of GDP per year, NaN if none (growth.trend)
    technology: np.ndarray = field(init=False)  # (S,) Σ_w strength_w · adoption_w
    capacity_index: np.ndarray = field(init=False)  # (S,) technological capacity index
    pillars: np.ndarray = field(init=False)  # (S, 6) soft-power pillars
    soft_power: np.ndarray = field(init=False)  # (S,)
    reputation: np.ndarray = field(init=False)  # (S,) in [0, 1]
    familiarity: np.ndarray = field(init=False)  # (S,) in [0, 1]
    digital_stage: np.ndarray = field(init=False)  # (S,) int8
    bloc: np.ndarray = field(init=False)  # (S,) int32
    # Multilateral resistances a = Π^(1−σ), b = P^(1−σ) of the last trade solve (docs/model.md).
    outward_resistance: np.ndarray = field(init=False)  # (S,)
    inward_resistance: np.ndarray = field(init=False)  # (S,)

    def __post_init__(self) -> None:
        s = len(self.audience)
        self.technology = self.adoption @ self.wave_strength
        self.capacity_index = np.zeros(s)
        self.pillars = np.full((s, 6), 0.5)
        self.soft_power = np.full(s, 0.5)
        self.reputation = self.reputation_baseline.copy()
        self.familiarity = np.zeros(s)
        self.digital_stage = np.zeros(s, dtype=np.int8)
        self.bloc = np.arange(s, dtype=np.int32)
        self.outward_resistance = np.ones(s)
        self.inward_resistance = np.ones(s)


@dataclass
class World:
    actors: Actors
    pairs: StatePairs
    links: ActorLinks
    nations: Nations
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


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance (km) between points given in degrees, element by element
    (broadcasting, so it also gives whole distance matrices)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances (km) between points given in degrees."""
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def state_distances(lat: np.ndarray, lon: np.ndarray, area_km2: np.ndarray) -> np.ndarray:
    """Capital-to-capital distances, with the internal distance 0.67·√(area/π) on the diagonal.

    The internal distance follows Head & Mayer (2002); see docs/model.md, "Trade". Distances are
    floored at 1 km so that two capitals placed at one point still have a finite trade cost.
    """
    d = np.maximum(great_circle_km(lat, lon), 1.0)
    np.fill_diagonal(d, 0.67 * np.sqrt(area_km2 / np.pi))
    return d
