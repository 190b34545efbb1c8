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
from dataclasses import dataclass

import numpy as np

from sim import events
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
    """This step's deal questions: the states looking for a partner, what each deal with each
    state is worth to them, and every state's tastes. `value(rows, kind)` gives what a deal of
    `kind` is worth to other states (U and its parts), for partners answering an offer."""

    seeking: np.ndarray  # (K,) rows of the states that look for a partner
    worth: dict[str, np.ndarray]  # kind → (K, S) U of that deal with each state, −inf if closed
    taste: np.ndarray  # (S, S) each state's taste ε for a deal with each other one
    value: Callable[[np.ndarray, str], tuple[np.ndarray, np.ndarray]]

    def proposal(self, state: int) -> tuple[int, str] | None:
        """The partner and the deal `state` proposes: its best U + ε over partners and kinds,
        if it looks this step and that is positive."""
        k = np.searchsorted(self.seeking, state)
        if k == len(self.seeking) or self.seeking[k] != state:
            return None
        best = None
        for kind, worth in self.worth.items():
            row = worth[k] + self.taste[state]
            j = int(np.argmax(row))
            if row[j] > 0.0 and (best is None or row[j] > best[0]):
                best = (row[j], j, kind)
        return None if best is None else (best[1], best[2])

    def answer(self, state: int, offered: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """The offers (proposer, kind) `state` accepts, each worth U + ε > 0 to it too. A
        government negotiates one trade agreement at a time: it takes up the best offered,
        and only while it looks for a partner itself. A customs facilitation is the customs
        and transport agencies' business, and each one worth it is accepted."""
        taken, best = [], None
        for proposer, kind in offered:
            worth, _ = self.value(np.array([state]), kind)
            u = worth[0, proposer] + self.taste[state, proposer]
            if u <= 0.0:
                continue
            if kind == CORRIDOR:
                taken.append((proposer, kind))
            elif state in self.seeking and (best is None or u > best[0]):
                best = (u, proposer, kind)
        return taken + ([] if best is None else [(best[1], best[2])])

    def reason(self, state: int, other: int, kind: str) -> tuple[float, str]:
        """U of `state`'s deal with `other`, and its parts as the decision log gives them."""
        worth, parts = self.value(np.array([state]), kind)
        gain, ties, fit, hedge = parts[0, other]
        text = (f"utility {worth[0, other]:+.2f}: gains {gain:.2f}% of real income, "
                f"relations {ties:+.2f}, complementarity {fit:.2f}")
        if hedge:
            text += f", cuts its dependence on one partner or bloc by {hedge:.2f} points"
        return float(worth[0, other]), text


def no_offers(n_states: int) -> Offers:
    """No state looks for a partner (agreements and hedging switched off)."""
    return Offers(np.zeros(0, dtype=np.int64), {}, np.zeros((n_states, n_states)),
                  lambda rows, kind: (None, None))


def offers(world: World, params: Params, kernels, rng: np.random.Generator, dt: float,
           multi_vector: np.ndarray, bound: np.ndarray) -> Offers:
    """Who looks for a partner this step (each state with probability 1 − exp(−rate·Δt)) and
    what a deal is worth (docs/model.md, "Decisions"):

        U_ij = w·100·G_ij + p·R_ij + c·K_ij + h·100·(D_i − D_i') − cost_kind,

    G_ij the real income i gains as its trade with j grows by the deal's effect
    (`sanction_loss` with a negative cut), R relations, K the complementarity of GDP per head,
    and for a multi-vector state (with hedging on) D_i its dependence (`dependence`: the
    largest share of its trade held by one partner or one bloc) before and after the deal. A trade agreement is open to states outside a customs
    union (`bound`, (S,) bool: CUSTOMS_UNIONS) not yet in one together; a customs facilitation
    (single windows, transit corridors) is what a multi-vector state, in a customs union or
    not, also seeks when hedging, with states it does not yet facilitate trade with. No deal
    between states that sanction each other or are hostile. Draws come from `rng` in a fixed
    order: who looks, then every state's tastes (logistic, scale T).
    """
    p, s = params.decisions, world.n_states
    review = 1.0 - math.exp(-p.agreement_rate * dt)
    looks = rng.random(s) < review
    taste = rng.logistic(0.0, p.temperature, (s, s))
    hedgers = np.zeros(s, dtype=bool)
    if p.hedging:
        hedgers[multi_vector] = True
    free = ~bound if p.agreements else np.zeros(s, dtype=bool)
    seeking = np.flatnonzero(looks & (free | hedgers))
    known: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def value(rows: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
        # Each state's row is worked out once a step, when first asked for.
        if kind not in known:
            known[kind] = (np.zeros(s, dtype=bool), np.empty((s, s)), np.empty((s, s, 4)))
        done, worth, parts = known[kind]
        missing = np.unique(rows[~done[rows]])
        if len(missing):
            worth[missing], parts[missing] = _worth(world, params, kernels, hedgers, bound,
                                                    missing, kind)
            done[missing] = True
        return worth[rows], parts[rows]

    worth = {}
    if p.agreements:
        worth[AGREEMENT] = value(seeking, AGREEMENT)[0]
        worth[AGREEMENT][bound[seeking]] = -np.inf
    if hedgers.any():
        worth[CORRIDOR] = value(seeking, CORRIDOR)[0]
        worth[CORRIDOR][~hedgers[seeking]] = -np.inf
    return Offers(seeking, worth, taste, value)


def _log_gain(kind: str, params: Params) -> float:
    """The deal's log-trade gain: β_a for an agreement, −(σ − 1)·ln(1 − cut) for a customs
    facilitation (as the facilitation layer computes it, Events)."""
    if kind == AGREEMENT:
        return params.trade.agreement
    return -(params.trade.sigma - 1.0) * math.log1p(-params.decisions.hedge_cut)


def _worth(world: World, params: Params, kernels, hedgers: np.ndarray, bound: np.ndarray,
           rows: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """U of a deal of `kind` for the states `rows` with every state ((K, S), −inf where none
    is open), and its parts ((K, S, 4): gain in % of real income, relations, complementarity,
    hedge in points of dependence)."""
    p, s, k = params.decisions, world.n_states, len(rows)
    pairs = world.pairs
    log_gain = _log_gain(kind, params)
    grow = -math.expm1(log_gain)  # a negative cut: flows grow by e^gain − 1
    gain = -kernels.sanction_loss(pairs.trade, np.repeat(rows, s), np.tile(np.arange(s), k),
                                  np.full(k * s, grow), np.full(k * s, grow),
                                  params.trade.sigma).reshape(k, s)
    per_head = world.actors.gdp[:s] / world.actors.population[:s]
    fit = 1.0 - np.exp(-np.abs(np.log(per_head[rows, None] / per_head[None, :])))
    hedge = np.zeros((k, s))
    eager = hedgers[rows]
    if eager.any():
        hedge[eager] = _dependence_removed(pairs.trade, world.nations.bloc, rows[eager],
                                           math.expm1(log_gain))
    relations = pairs.relations[rows]
    worth = (p.deal_income * 100.0 * gain + p.partner_relations * relations
             + p.complementarity * fit + p.hedge * 100.0 * hedge
             - (p.agreement_cost if kind == AGREEMENT else p.facilitation_cost))
    hostile = params.relations.hostile_below
    closed = ((pairs.sanction[rows] > 0.0) | (pairs.sanction[:, rows].T > 0.0)
              | (relations < hostile) | (pairs.relations[:, rows].T < hostile))
    if kind == AGREEMENT:
        closed |= pairs.agreement[rows] | bound[None, :]
    else:
        closed |= pairs.facilitation[rows] >= log_gain
    closed[np.arange(k), rows] = True
    worth = np.where(closed, -np.inf, worth)
    return worth, np.stack([100.0 * gain, relations, fit, 100.0 * hedge], axis=-1)


def dependence(trade: np.ndarray, bloc: np.ndarray, state: int) -> float:
    """D = the largest share of a state's foreign trade (both ways) held by one partner or by
    one bloc, whichever is larger."""
    return float(_dependence_removed(trade, bloc, np.array([state]), 0.0, before=True)[0, 0])


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
    reasons = [offers.reason(a, b, kind) for a, b, kind in deals]  # before any deal moves them
    log = []
    for (proposer, partner, kind), (utility, reason) in zip(deals, reasons, strict=True):
        a, b = str(ids[proposer]), str(ids[partner])
        name = f"{a}–{b} {kind}"
        if kind == AGREEMENT:
            pairs.agreement[proposer, partner] = pairs.agreement[partner, proposer] = True
            if np.isnan(pairs.listed_baseline[proposer, partner]):
                pull = np.arctanh(np.clip(pairs.relations_baseline[proposer, partner],
                                          -0.999999, 0.999999))
                pairs.relations_baseline[proposer, partner] = np.tanh(
                    pull + params.relations.agreement_baseline)
                pairs.relations_baseline[partner, proposer] = pairs.relations_baseline[
                    proposer, partner]
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
