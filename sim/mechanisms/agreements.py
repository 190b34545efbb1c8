"""States' deals and hedging (phase 2): who looks for a partner this step, what a trade
agreement or a customs facilitation with each state is worth to it, what a concluded one
changes, and how a multi-vector state evens out its relations with the blocs.

A state that looks this step proposes to the state it values most, if it values it at all;
the partner accepts if the agreement is worth something to it as well (agents/actors.py).
An agreement is worth the real income it brings (from the gravity solution, as for sanctions),
good relations and complementary economies, less a cost; a multi-vector state also values
spreading its trade across blocs (hedging). Equations: docs/model.md, "Decisions".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim import events
from sim.kernels.draws import stream_keys
from sim.mechanisms.decisions import Decision
from sim.params import Params
from sim.world import World

# Customs unions whose members have no trade policy of their own: the EU's common commercial
# policy (TFEU art. 207) and the EAEU's common customs territory (Treaty on the EAEU, 2014,
# art. 25 and 35) leave agreements to the union, which the model does not negotiate for them.
CUSTOMS_UNIONS = ("EU", "EAEU")


def in_customs_union(memberships: list, row: dict[str, int], n_states: int, year: int
                     ) -> np.ndarray:
    """(S,) bool: members of a CUSTOMS_UNIONS organisation in `year`."""
    out = np.zeros(n_states, dtype=bool)
    for m in memberships:
        if m.org in CUSTOMS_UNIONS and m.joined <= year and (m.left is None or year < m.left):
            out[row[m.state]] = True
    return out


AGREEMENT, CORRIDOR = "trade agreement", "customs facilitation"


@dataclass
class Offers:
    """This step's deals: the best deal of each state that looks for a partner, and, once
    the proposals are in (`receive`), the offers each partner has to answer.

    `best[i]` = (U + ε, partner, kind) of the deal state i values most this step; whether it
    proposes is its own decision (agents/actors.py). `terms(rows, cols, kind)` gives U of a
    deal for rows[k] with cols[k] and its parts: (G, R, K) as `deal_worth` gives them, and the
    cut in dependence (D − D'); `tastes(rows, cols)` the partners' own tastes for the offers
    they receive."""

    best: dict[int, tuple[float, int, str]]
    terms: Callable[[np.ndarray, np.ndarray, str], tuple[np.ndarray, tuple]]
    tastes: Callable[[np.ndarray, np.ndarray], np.ndarray]
    offered: dict[int, list[tuple[int, str, float]]] = field(default_factory=dict)

    def receive(self, proposals: list[tuple[int, int, str]]) -> None:
        """Put each proposal (proposer, partner, kind) to its partner with U + ε of the deal
        for the partner: `offered[partner]` = [(proposer, kind, U + ε), …], proposers in
        order, whatever the order the proposals came in."""
        self.offered = {}
        if not proposals:
            return
        proposals = sorted(proposals)
        proposer, partner = (np.array(c) for c in list(zip(*proposals, strict=True))[:2])
        worth = self.tastes(partner, proposer)
        for name in sorted({kind for _, _, kind in proposals}):
            these = [k for k, (_, _, kind) in enumerate(proposals) if kind == name]
            worth[these] += self.terms(partner[these], proposer[these], name)[0]
        for (a, b, k), u in zip(proposals, worth.tolist(), strict=True):
            self.offered.setdefault(b, []).append((a, k, u))

    def reasons(self, deals: list[tuple[int, int, str]]) -> list[tuple[float, str]]:
        """U of each deal (state, other, kind) for its state, and its parts as the decision
        log gives them; one valuation for each kind of deal."""
        out: list[tuple[float, str]] = [(0.0, "")] * len(deals)
        for kind in sorted({k for _, _, k in deals}):
            at = [n for n, deal in enumerate(deals) if deal[2] == kind]
            rows = np.array([deals[n][0] for n in at])
            cols = np.array([deals[n][1] for n in at])
            worth, (parts, hedge) = self.terms(rows, cols, kind)
            for n, u, (gain, ties, fit), cut in zip(at, worth.tolist(), parts.tolist(),
                                                    hedge.tolist(), strict=True):
                text = (f"utility {u:+.2f}: gains {100.0 * gain:.2f}% of real income, "
                        f"relations {ties:+.2f}, complementarity {fit:.2f}")
                if cut:
                    text += (f", cuts its dependence on one partner or bloc by "
                             f"{100.0 * cut:.2f} points")
                out[n] = (u, text)
        return out


def no_offers() -> Offers:
    """No state looks for a partner (agreements and hedging switched off)."""
    return Offers({}, lambda rows, cols, kind: (None, None),
                  lambda rows, cols: np.zeros(len(rows)))


def offers(world: World, params: Params, kernels, rng: np.random.Generator, dt: float,
           multi_vector: np.ndarray, bound: np.ndarray,
           totals: tuple[np.ndarray, np.ndarray]) -> Offers:
    """Who looks for a partner this step, what each deal open to it is worth, and its best one
    (docs/model.md, "Decisions"):

        U_ij = w·100·G_ij + p·R_ij + c·K_ij + h·100·(D_i − D_i') − cost_kind,

    G_ij the real income i gains as its trade with j grows by the deal's effect, R relations,
    K the complementarity of GDP per head (`deal_worth`), and for a multi-vector state (with
    hedging on) D_i its dependence (`dependence`: the largest share of its trade held by one
    partner or one bloc) before and after the deal.

    A trade agreement is negotiated between governments both open to one this step (each
    state outside a customs union, `bound`: CUSTOMS_UNIONS, with probability
    1 − exp(−`agreement_rate`·Δt)), not yet in one together. A customs facilitation (single
    windows, transit corridors) is what a multi-vector state, in a customs union or not, also
    seeks when hedging (with probability 1 − exp(−`facilitation_rate`·Δt)), with any state it
    does not yet facilitate trade with. No deal between states that sanction each other or are
    hostile.

    Draws come from `rng` in a fixed order and number: one uniform per state for who looks
    (the same for both kinds of deal), then two keys for the
    proposers' and the partners' tastes (`pair_tastes`, logistic with scale T), so that a
    scenario and its baseline draw alike whatever their deals.
    """
    p, s = params.decisions, world.n_states
    draw = rng.random(s)
    own_key, partner_key = stream_keys(rng, 2)
    hedgers = np.zeros(s, dtype=bool)
    if p.hedging:
        hedgers[multi_vector] = True
    free = ~bound if p.agreements else np.zeros(s, dtype=bool)
    negotiating = (draw < -math.expm1(-p.agreement_rate * dt)) & free
    facilitating = (draw < -math.expm1(-p.facilitation_rate * dt)) & hedgers
    pairs = world.pairs
    per_head = world.actors.gdp[:s] / world.actors.population[:s]
    output, spending = totals  # the states' output and spending (`output_and_spending`)
    # What closes a deal to a pair: the same deal already, and for a trade agreement a customs
    # union on either side.
    closed = {AGREEMENT: (pairs.agreement, bound)} if p.agreements else {}
    if p.hedging and len(multi_vector):
        closed[CORRIDOR] = (pairs.facilitation >= _log_gain(CORRIDOR, params),
                            np.zeros(s, dtype=bool))
    weights = {kind: np.array([p.deal_income, p.partner_relations, p.complementarity,
                               p.agreement_cost if kind == AGREEMENT else p.facilitation_cost])
               for kind in closed}
    hedging = bool(hedgers.any())
    dependence_cut: dict[tuple[int, str], np.ndarray] = {}

    def dependence_removed(i: int, kind: str) -> np.ndarray:
        """D − D' of a deal of hedger i with each state, once a step for each kind."""
        if (i, kind) not in dependence_cut:
            dependence_cut[i, kind] = _dependence_removed(
                pairs.trade, world.nations.bloc, np.array([i]),
                math.expm1(_log_gain(kind, params)))[0]
        return dependence_cut[i, kind]

    def terms(rows: np.ndarray, cols: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
        worth, parts = kernels.deal_worth(
            pairs.trade, output, spending, pairs.relations, pairs.sanction, *closed[kind],
            per_head, rows, cols, math.expm1(_log_gain(kind, params)), params.trade.sigma,
            params.relations.hostile_below, weights[kind])
        hedge = np.zeros(len(rows))
        for i in np.unique(rows[hedgers[rows]]).tolist() if hedging else ():
            mine = rows == i
            hedge[mine] = dependence_removed(i, kind)[cols[mine]]
            worth[mine] += p.hedge * 100.0 * hedge[mine]
        return worth, (parts, hedge)

    def tastes(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return kernels.pair_tastes(partner_key, rows, cols, s, p.temperature)

    best: dict[int, tuple[float, int, str]] = {}
    # A trade agreement is negotiated between governments that are both open to one this step;
    # a customs facilitation with any state (its agencies take up each one worth it).
    open_to_agreements = np.flatnonzero(negotiating)
    for kind, askers, partners in ((AGREEMENT, open_to_agreements, open_to_agreements),
                                   (CORRIDOR, np.flatnonzero(facilitating), np.arange(s))):
        if kind not in closed or not len(askers) or not len(partners):
            continue
        hedge = np.zeros((len(askers), s))
        for a in np.flatnonzero(hedgers[askers]).tolist():
            hedge[a] = p.hedge * 100.0 * dependence_removed(int(askers[a]), kind)
        worth, partner = kernels.best_deals(
            pairs.trade, output, spending, pairs.relations, pairs.sanction, *closed[kind],
            per_head, askers, partners, math.expm1(_log_gain(kind, params)),
            params.trade.sigma, params.relations.hostile_below, weights[kind], hedge, own_key,
            p.temperature)
        for i, j, u in zip(askers.tolist(), partner.tolist(), worth.tolist(), strict=True):
            if u > -np.inf and (i not in best or u > best[i][0]):
                best[i] = (u, j, kind)
    return Offers(best, terms, tastes)


def _log_gain(kind: str, params: Params) -> float:
    """The deal's log-trade gain: β_a for an agreement, −(σ − 1)·ln(1 − cut) for a customs
    facilitation (as the facilitation layer computes it, Events)."""
    if kind == AGREEMENT:
        return params.trade.agreement
    return -(params.trade.sigma - 1.0) * math.log1p(-params.decisions.hedge_cut)


def _largest(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry, the largest of the others (the runner-up for the largest itself)."""
    order = np.argsort(values)
    top = values[order[-1]]
    second = values[order[-2]] if len(values) > 1 else 0.0
    return top, np.where(np.arange(len(values)) == order[-1], second, top)


def _dependence_removed(trade: np.ndarray, bloc: np.ndarray, states: np.ndarray, growth: float,
                        before: bool = False) -> np.ndarray:
    """(len(states), S): D before minus D after a deal with each partner (D: `dependence`),
    the trade with the partner grown by `growth` (first order: other flows held); with
    `before`, D itself in every column."""
    labels = np.unique(bloc, return_inverse=True)[1]
    out = np.zeros((len(states), trade.shape[0]))
    for k, i in enumerate(states.tolist()):
        both = trade[i] + trade[:, i]
        both[i] = 0.0
        total = both.sum()
        if total <= 0.0:
            continue
        by_bloc = np.bincount(labels, weights=both)
        top, others = _largest(both)
        bloc_top, bloc_others = _largest(by_bloc)
        d = max(top, bloc_top) / total
        if before:
            out[k] = d
            continue
        added = growth * both
        partner = np.maximum(both + added, others)
        blocs = np.maximum(by_bloc[labels] + added, bloc_others[labels])
        out[k] = d - np.maximum(partner, blocs) / (total + added)
    return out


def enact(accepted: list[tuple[int, int, str]], world: World, params: Params, offers: Offers,
          timeline: list[events.Scheduled], index: events.WorldIndex, step: int,
          ids: np.ndarray) -> list[Decision]:
    """Conclude the accepted deals, (proposer, partner, kind). A trade agreement counts from
    this step's trade, and the pair's relations baseline gains the pull of an agreement, as
    for agreements in the data; a customs facilitation goes on the timeline from the next
    step, as a scripted one would."""
    pairs = world.pairs
    accepted = sorted(accepted)  # the order the agents answered in does not matter
    deals, seen = [], set()
    for a, b, kind in accepted:
        if (min(a, b), max(a, b), kind) not in seen:
            seen.add((min(a, b), max(a, b), kind))
            deals.append((a, b, kind))
    reasons = offers.reasons(deals)  # before any deal moves them
    log = []
    for (proposer, partner, kind), (utility, reason) in zip(deals, reasons, strict=True):
        a, b = str(ids[proposer]), str(ids[partner])
        name = f"{a}–{b} {kind}"
        if kind == AGREEMENT:
            pairs.agreement[proposer, partner] = pairs.agreement[partner, proposer] = True
            if math.isnan(pairs.listed_baseline[proposer, partner]):
                before = float(pairs.relations_baseline[proposer, partner])
                pull = math.atanh(min(max(before, -0.999999), 0.999999))
                pairs.relations_baseline[proposer, partner] = pairs.relations_baseline[
                    partner, proposer] = math.tanh(pull + params.relations.agreement_baseline)
            action = "concluded a trade agreement"
        else:
            event = events.CustomsFacilitation(name=name, states=[a, b],
                                               cost_cut=params.decisions.hedge_cut,
                                               source="decision")
            item = events.schedule(event, index, step + 1)
            item.decided = True
            timeline.append(item)
            action = "concluded a customs facilitation"
        log.append(Decision(step, a, action, b, name, utility, reason))
    return log


def hedge_relations(world: World, params: Params, multi_vector: np.ndarray, dt: float) -> None:
    """A multi-vector state keeps its relations with every bloc's leading state (its largest
    economy) from falling behind its best one: each is pulled up by
    `hedge_pull`·Δt·(R_best − R_iL), now, and the shift is kept in `relation_shock` for
    attribution (docs/model.md, "Decisions")."""
    pairs, s = world.pairs, world.n_states
    bloc, gdp = world.nations.bloc, world.actors.gdp[:s]
    leaders = np.array([np.flatnonzero(bloc == b)[np.argmax(gdp[bloc == b])]
                        for b in np.unique(bloc)])
    rate = -math.expm1(-params.decisions.hedge_pull * dt)
    for i in multi_vector.tolist():
        them = leaders[leaders != i]
        if not len(them):
            continue
        ties = pairs.relations[i, them]
        shift = rate * (ties.max() - ties)
        pairs.relations[i, them] = pairs.relations[them, i] = ties + shift
        pairs.relation_shock[i, them] += shift
        pairs.relation_shock[them, i] += shift
