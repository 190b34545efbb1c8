"""Phase 1: the timeline's events act on the world (docs/model.md, "Events").

Sanctions and customs facilitation are layers recomputed every step from the events in force;
the other events act once, at their step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.events import (
    Agreement,
    CustomsFacilitation,
    DigitalIncident,
    RelationShock,
    Sanction,
    SanctionLayers,
    Scheduled,
    TechnologyShock,
    WorldIndex,
    facilitation_layer,
    level_changes,
    sanction_layers,
)
from sim.params import DigitalParams, EventsParams, ParadiplomacyParams, TradeParams
from sim.schema import CHANNELS
from sim.world import LINK_KINDS, ActorLinks, World


@dataclass
class LayerMemo:
    """The sanction layers of the last step, and the timeline they came from: a step at which
    no sanction's level changes (most steps: regimes in force for years) reuses them."""

    signature: tuple = ()
    step: int = -2
    layers: SanctionLayers | None = None


def update_layers(
    world: World,
    timeline: list[Scheduled],
    step: int,
    index: WorldIndex,
    params: EventsParams,
    trade: TradeParams,
    memo: LayerMemo | None = None,
) -> list[list[int]]:
    """Set the sanction and facilitation layers for `step`; returns the groups of regions whose
    links a facilitation in force favours."""
    pairs, s = world.pairs, world.n_states
    sanctions = [item for item in timeline if isinstance(item.event, Sanction)]
    facilitations = [item for item in timeline if isinstance(item.event, CustomsFacilitation)]
    signature = tuple((id(item), item.at, item.end) for item in sanctions)
    if memo is not None and memo.layers is not None and memo.signature == signature \
            and memo.step == step - 1 \
            and not any(level_changes(item, step, index.step_months) for item in sanctions):
        layers = memo.layers
    else:
        layers = sanction_layers(sanctions, step, s, index.step_months, params.partial,
                                 trade_weights(params))
    if memo is not None:
        memo.signature, memo.step, memo.layers = signature, step, layers
    pairs.sanction, pairs.trade_sanction = layers.political, layers.trade
    pairs.facilitation = facilitation_layer(facilitations, step, index, s, trade.sigma)
    return [
        item.rows["regions"]
        for item in facilitations
        if item.in_force(step) and len(item.rows["regions"]) >= 2
    ]


def trade_weights(params: EventsParams) -> dict[str, float]:
    """The weight of each non-trade kind of sanction on trade flows (docs/model.md, "Events")."""
    return {"financial": params.financial_trade, "travel": params.travel_trade,
            "arms": params.arms_trade}


def exposure(sanction: np.ndarray) -> np.ndarray:
    """How hard each state is sanctioned, from anyone: E_j = 1 − Π_i (1 − S_ij)."""
    return 1.0 - np.prod(1.0 - sanction, axis=0)


def cushion(sanction: np.ndarray) -> np.ndarray:
    """The sanction feature of a link between states a and b: max(S_ab, S_ba, E_a, E_b).

    Paper 004's safety cushion came from third parties' sanctions (the US and the EU on Russia)
    raising Kazakh–Russian regional links, so a state's exposure to anyone's sanctions counts,
    not only sanctions between the link's own two states.
    """
    e = exposure(sanction)
    return np.maximum(np.maximum(sanction, sanction.T), np.maximum(e[:, None], e[None, :]))


def sanction_reputation(
    sanction: np.ndarray, gdp: np.ndarray, params: EventsParams, dt: float
) -> np.ndarray:
    """This step's reputation penalty of sanctioned states, k · W_j · Δt (multiplicative), with
    W_j = Σ_i θ_i S_ij the share of the world's output whose states sanction j, each weighed
    by its sanction: sanctions by the world's largest economies say more about a state's
    standing than counter-sanctions by the state it sanctions."""
    weight = gdp / gdp.sum()
    return params.reputation * (weight @ sanction) * dt


def technology_shock(world: World, item: Scheduled, step: int) -> None:
    """A new wave, started now, adopted in part in its origin; earlier waves stay."""
    event: TechnologyShock = item.event
    nations = world.nations
    column = np.zeros((world.n_states, 1))
    column[item.rows["origin"], 0] = event.adoption
    nations.adoption = np.hstack([nations.adoption, column])
    nations.wave_start_step = np.append(nations.wave_start_step, step)
    nations.wave_strength = np.append(nations.wave_strength, event.strength)


def relation_shock(world: World, item: Scheduled) -> None:
    """Shift one pair's relations (clipped to [−1, 1]); the applied shift is kept for
    attribution in `relation_shock`."""
    event: RelationShock = item.event
    pairs = world.pairs
    a, b = item.rows["a"][0], item.rows["b"][0]
    new = float(np.clip(pairs.relations[a, b] + event.shift, -1.0, 1.0))
    shift = new - pairs.relations[a, b]
    pairs.relations[a, b] = pairs.relations[b, a] = new
    pairs.relation_shock[a, b] += shift
    pairs.relation_shock[b, a] += shift


def digital_incident(world: World, item: Scheduled, params: DigitalParams) -> float:
    """The ministry loses a share of its audience now; returns the reputation penalty."""
    event: DigitalIncident = item.event
    severity = params.incident_severity if event.severity is None else event.severity
    world.nations.audience[item.rows["state"][0]] *= 1.0 - severity
    return params.incident_reputation if event.reputation is None else event.reputation


def agreement(
    world: World, item: Scheduled, params: ParadiplomacyParams, year: int
) -> bool:
    """Open the named channels of the pair's link at `strength` (or `start_strength`), or raise
    them to it; a dormant candidate then carries only the named channels, an active link keeps
    its own as well. Add the link if the pair has none. Returns True if the links' layout changed
    (a new link or a new potential channel), so the caller must rebuild their geometry."""
    event: Agreement = item.event
    links = world.links
    a, b = item.rows["a"][0], item.rows["b"][0]
    strength = params.start_strength if event.strength is None else event.strength
    bits = 0
    for channel in event.channels:
        bits |= 1 << CHANNELS.index(channel)
    columns = [CHANNELS.index(c) for c in event.channels]
    ends = links.ends
    found = np.flatnonzero(((ends[:, 0] == a) & (ends[:, 1] == b))
                           | ((ends[:, 0] == b) & (ends[:, 1] == a)))
    if len(found):
        e = int(found[0])
        before = int(links.channels[e])
        # A dormant candidate may carry any channel; signed, it carries those it names. An
        # active link keeps its channels and gains the named ones.
        after = bits if not links.strength[e].any() else before | bits
        links.channels[e] = after
        links.strength[e, columns] = np.maximum(links.strength[e, columns], strength)
        return after != before
    row = np.zeros((1, len(CHANNELS)))
    row[0, columns] = strength
    world.links = ActorLinks(
        ends=np.vstack([ends, np.array([[a, b]], dtype=ends.dtype)]),
        kind=np.append(links.kind, np.int8(LINK_KINDS.index(event.kind))),
        since=np.append(links.since, np.int16(year)),
        channels=np.append(links.channels, np.uint8(bits)),
        strength=np.vstack([links.strength, row]),
        diaspora=np.append(links.diaspora, 0.0),
        n_actors=links.n_actors,
    )
    return True
