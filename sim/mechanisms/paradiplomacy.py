"""Phase 3: regions and cities form, strengthen and let decay their links across borders."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from sim.kernels.paradiplomacy import (
    DRIVE_DEFAULTS,
    FORMATION_DEFAULTS,
    ActorLinks,
    LinkSlots,
    actor_links,
    drive_coefficients,
    formation_coefficients,
    link_slots,
    link_totals,
    state_pairs,
    static_drives,
)
from sim.kernels.threads import LINKS_PARALLEL_FROM, serial_below
from sim.mechanisms.events import cushion
from sim.params import ParadiplomacyParams
from sim.schema import CHANNELS
from sim.world import World, haversine_km


@dataclass
class LinkGeometry:
    """Per-link quantities computed once per run, and the number of active links.

    The links' ends, potential channels, owning states and diaspora ties are fixed for a run
    (docs/model.md, "Paradiplomacy"), so their layout (`slots`) and the parts of β · x and γ · x
    that do not change (`drive_static` per slot, `formation_static` per link) are computed
    once (and the actors' sizes, `gdp`, which set their attention budgets), for the
    coefficients `drive_coef` and `formation_coef`; `update` recomputes the static parts if the
    parameters' coefficients change, from the links' features (`link_features`) as they were
    when the geometry was made (`per_head`, `proximity_km`); kept, ten million links' features
    would take 240 MB. `active_links` counts the links with any channel open after the last
    `update` (at first, as the world starts; `read_off` with this geometry recounts). `update`
    keeps the link totals it used, to write the next step's into when nothing else refers to
    them.
    """

    per_head: np.ndarray  # (N,) the actors' GDP per head when the geometry was made
    proximity_km: float
    slots: LinkSlots
    actors: ActorLinks
    gdp: np.ndarray  # (N,) the actors' GDP when the run started, which sets their attention
    drive_coef: np.ndarray
    formation_coef: np.ndarray
    drive_static: np.ndarray
    formation_static: np.ndarray
    active_links: int = 0
    budget: np.ndarray | None = None  # (N,) attention budgets, for the parameters `budget_key`
    budget_key: tuple | None = None
    link_total: np.ndarray | None = None


def link_geometry(world: World, params: ParadiplomacyParams, gdp: np.ndarray | None = None
                  ) -> LinkGeometry:
    """The links' slots and the static parts of the drives for `params`' coefficients, from the
    links' features now (`link_features`); sets the world's `pairs.link_capacity` to match the
    links. `gdp` (N,) sizes the actors' attention; None: their GDP now (a run keeps its
    starting sizes, so that a world at rest stays at rest as it grows).
    """
    links, act = world.links, world.actors
    none = np.zeros(0)
    geometry = LinkGeometry(
        per_head=act.gdp / act.population,
        proximity_km=params.proximity_km,
        slots=link_slots(links.channels, links.ends, act.state, world.n_states, len(CHANNELS)),
        actors=actor_links(links.ends, world.n_actors),
        gdp=act.gdp.copy() if gdp is None else gdp,
        drive_coef=none,
        formation_coef=none,
        drive_static=none,
        formation_static=none,
        active_links=int(np.count_nonzero(links.strength.any(axis=1))),
    )
    _static_parts(geometry, world, params)
    world.pairs.link_capacity = link_capacity(geometry.slots, len(CHANNELS))
    return geometry


def link_features(world: World, per_head: np.ndarray, proximity_km: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Complementarity, proximity and similarity of every link (docs/model.md,
    "Paradiplomacy"), for the actors' GDP per head `per_head`:

    - proximity = exp(−d / proximity_km);
    - complementarity = 1 − exp(−|ln(y_a / y_b)|), y = GDP per head: partners at different
      levels of development have more to exchange (a guess);
    - similarity = ½·exp(−|ln(pop_a / pop_b)|) + ½·[both capitals or neither] (size and
      prestige, paper 001; a guess).
    """
    links, act = world.links, world.actors
    a, b = links.ends[:, 0], links.ends[:, 1]
    distance = haversine_km(act.lat[a], act.lon[a], act.lat[b], act.lon[b])
    size = np.abs(np.log(act.population[a] / act.population[b]))
    return (1.0 - np.exp(-np.abs(np.log(per_head[a] / per_head[b]))),
            np.exp(-distance / proximity_km),
            0.5 * np.exp(-size) + 0.5 * (act.is_capital[a] == act.is_capital[b]))


def link_capacity(slots: LinkSlots, n_channels: int) -> np.ndarray:
    """(C, S, S): how many links between the actors of two states may carry each channel
    (symmetric; links within one state left out), the most their strength sums can reach."""
    s = slots.n_states
    out = np.zeros((n_channels, s, s))
    for c in range(n_channels):
        has = ((slots.potential >> c) & 1).astype(bool)
        counts = np.bincount(slots.link_pair[has], minlength=s * s).reshape(s, s).astype(float)
        np.fill_diagonal(counts, 0.0)
        out[c] = counts + counts.T
    return out


def coefficients(params: ParadiplomacyParams) -> tuple[np.ndarray, np.ndarray]:
    values = params.model_dump()
    drive = drive_coefficients({k: values[k] for k in DRIVE_DEFAULTS})
    formation = formation_coefficients({k: values[k] for k in FORMATION_DEFAULTS})
    return drive, formation


def _static_parts(geometry: LinkGeometry, world: World, params: ParadiplomacyParams) -> None:
    """Make `geometry`'s static drive parts those of `params`' coefficients (cheap if they are)."""
    drive, formation = coefficients(params)
    if np.array_equal(drive, geometry.drive_coef) and np.array_equal(
        formation, geometry.formation_coef
    ):
        return
    complementarity, proximity, similarity = link_features(world, geometry.per_head,
                                                           geometry.proximity_km)
    geometry.drive_static, geometry.formation_static = static_drives(
        geometry.slots, complementarity, proximity, world.links.diaspora, similarity, drive,
        formation,
    )
    geometry.drive_coef, geometry.formation_coef = drive, formation


def update(
    world: World,
    params: ParadiplomacyParams,
    geometry: LinkGeometry,
    kernels,
    seed: int,
    dt: float,
    favoured: list[list[int]] = (),
    favour: float = 0.0,
    choose: bool = False,
    parallel_from: int = LINKS_PARALLEL_FROM,
) -> tuple[int, int]:
    """One step of link dynamics and the activity classes; returns (formed, dissolved), and
    leaves the number of active links after the step in `geometry.active_links` (and each
    link's total strength in `geometry.link_total`).

    `seed` (0 ≤ seed < 2^63, drawn from the model's generator) gives this step's formation draws
    through a counter-based generator, so results do not depend on the number of threads.
    The sanction feature is `cushion(pairs.sanction)`: sanctions on either state count, from
    anyone. Links among the actors of each group in `favoured` (customs facilitation) get
    `favour` added to their economic drive. With `choose`, each region and city spreads its
    attention over its candidate links (`partner_effort`): a link grows at g·a_e and a
    candidate forms at the rate r·F·a_e, F = `attention_focus` (a candidate its ends seek out
    forms faster than one left to chance); without, every candidate moves on its own (a = 1,
    rate r). Below `parallel_from` links the phase's kernels run on one thread.
    """
    with serial_below(len(world.links.ends), parallel_from):
        return _update(world, params, geometry, kernels, seed, dt, favoured, favour, choose)


def _update(world: World, params: ParadiplomacyParams, geometry: LinkGeometry, kernels,
            seed: int, dt: float, favoured: list[list[int]], favour: float, choose: bool
            ) -> tuple[int, int]:
    links, pairs = world.links, world.pairs
    _static_parts(geometry, world, params)
    c = len(CHANNELS)
    drive_static = geometry.drive_static
    if favoured and favour:
        drive_static = drive_static + favour * favoured_slots(world, geometry, favoured)
    effort = partner_effort(world, params, geometry, kernels) if choose else None
    formation_rate = params.formation_rate * (params.attention_focus if choose else 1.0)
    out = _outputs_in_place(geometry, world)
    new, link_total, formed, dissolved = kernels.link_dynamics(
        links.strength,
        geometry.slots,
        pairs.relations,
        cushion(pairs.sanction),
        drive_static,
        geometry.formation_static,
        geometry.drive_coef,
        geometry.formation_coef,
        formation_rate,
        np.full(c, params.growth),
        np.full(c, params.decay),
        params.start_strength,
        params.dissolve_below,
        seed,
        dt,
        effort,
        out,  # positional: kernels may be wrapped
    )
    links.strength = new
    geometry.link_total = link_total
    _read_off(world, params, kernels, link_total, geometry.slots.link_pair)
    geometry.active_links = int(np.count_nonzero(link_total))
    return int(np.count_nonzero(formed)), int(np.count_nonzero(dissolved))


def partner_effort(world: World, params: ParadiplomacyParams, geometry: LinkGeometry, kernels
                   ) -> np.ndarray:
    """The effort each link gets from its ends (E,): every region and city spreads an attention
    budget B_r = attention·(Y_r / GDP_ref)^ε (links' worth of full effort; Y_r its GDP at the
    start, GDP_ref and ε as for the partner slots) over its candidate links, favouring those that promise more, the
    formation odds γ · x, and a link already active by `attention_commitment` more: it keeps
    up the partnerships it has before it seeks new ones (docs/model.md, "Paradiplomacy")."""
    pairs = world.pairs
    total = geometry.link_total
    pay = kernels.link_promise(
        geometry.slots.link_pair, pairs.relations, cushion(pairs.sanction),
        geometry.formation_static, geometry.formation_coef,
        total if total is not None else link_totals(world.links.strength),
        params.attention_commitment,
    )
    key = (params.attention, params.partners_reference_gdp, params.partners_gdp_elasticity)
    if geometry.budget_key != key:
        geometry.budget = params.attention * (geometry.gdp / params.partners_reference_gdp) ** (
            params.partners_gdp_elasticity)
        geometry.budget_key = key
    return kernels.partner_effort(geometry.actors, pay, geometry.budget,
                                  params.attention_temperature)


def favoured_slots(world: World, geometry: LinkGeometry, groups: list[list[int]]) -> np.ndarray:
    """1.0 on the economic slots of links with both ends in one of `groups`, else 0.0 (P,)."""
    slots, ends = geometry.slots, world.links.ends
    inside = np.zeros(len(ends), dtype=bool)
    for group in groups:
        member = np.zeros(world.n_actors, dtype=bool)
        member[group] = True
        inside |= member[ends[:, 0]] & member[ends[:, 1]]
    link_of_slot = np.repeat(np.arange(len(ends)), np.diff(slots.start))
    return (inside[link_of_slot] & (slots.channel == CHANNELS.index("economic"))).astype(float)


def _outputs_in_place(
    geometry: LinkGeometry, world: World
) -> tuple[np.ndarray, np.ndarray] | None:
    """Where the step's results go: over the world's own strengths (updated in place) and the
    last step's link totals, if nothing but the world and the geometry refers to either
    (CPython reference counts: a caller that kept the strengths, or a view of them, keeps them
    as they were); else None, and the kernel allocates. At a million links this saves 400 MB
    (no second strength array) and the writes of the dormant links' rows.
    """
    links = world.links
    total = geometry.link_total
    geometry.link_total = None
    # The strengths: the links' attribute and getrefcount's argument; the totals: the local
    # name and getrefcount's argument.
    if total is None or sys.getrefcount(links.strength) != 2 or sys.getrefcount(total) != 2:
        return None
    strength = links.strength
    for a, shape in ((strength, strength.shape), (total, strength.shape[:1])):
        flags = a.flags
        if not (flags.owndata and flags.c_contiguous and flags.writeable) or a.shape != shape \
                or a.dtype != np.float64:
            return None
    if np.may_share_memory(total, strength):
        return None
    return strength, total


def read_off(
    world: World, params: ParadiplomacyParams, kernels, geometry: LinkGeometry | None = None
) -> None:
    """Activity classes of the actors and channel strengths between states, from the links;
    with `geometry`, also recount its `active_links` (after strengths were set by hand)."""
    links = world.links
    link_pair = geometry.slots.link_pair if geometry is not None else state_pairs(
        links.ends, world.actors.state, world.n_states)
    link_total = link_totals(links.strength)
    _read_off(world, params, kernels, link_total, link_pair)
    if geometry is not None:
        geometry.active_links = int(np.count_nonzero(link_total))


def _read_off(
    world: World,
    params: ParadiplomacyParams,
    kernels,
    link_total: np.ndarray,
    link_pair: np.ndarray,
) -> None:
    links, actors = world.links, world.actors
    actors.link_strength, actors.activity = kernels.activity_classes(
        links.ends, link_total, world.n_actors, params.episodic_below, params.leading_from
    )
    world.pairs.link_channels = kernels.state_pair_strength(
        link_pair, links.strength, world.n_states
    )
