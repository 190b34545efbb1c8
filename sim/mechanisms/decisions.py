"""States' decisions (phase 2): what each state is asked this step, and what its answers do.

`brief` puts the open questions to the states: stay in or out of each sanction coalition the
scenario started after the world's start, and, for a state such a coalition targets, whether
to counter-sanction each of its members. The utilities are read off the world (relations, and
the real income the choice costs, from the gravity solution); each `StateAgent` then makes its
own logit choice (agents/actors.py), all of them on the same briefing, so the order in which
they decide does not matter. `enact` turns the answers into sanctions on the timeline, from the
next step. Equations: docs/model.md, "Decisions".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim import events
from sim.mechanisms.events import trade_weights
from sim.params import DecisionsParams, Params
from sim.world import World

COALITION, RETALIATION = "coalition", "retaliation"


@dataclass
class Choice:
    """A question one state answered this step by changing course: to be in a sanction or not.

    `item` is the coalition's sanction (kind "coalition") or the counter-sanction in force
    (kind "retaliation"; None while there is none); `other` is the coalition's target or the
    member the counter-sanction would hit.
    """

    kind: str
    state: int
    other: int
    item: events.Scheduled | None
    utility: float
    inside: bool
    parts: tuple[float, float, float]  # the utility's inputs, for the reason (`reason`)

    def reason(self) -> str:
        """The utility and its parts, as the decision log gives them."""
        a, b, loss = self.parts
        if self.kind == COALITION:
            return (f"utility {self.utility:+.2f}: alignment with its members {a:+.2f}, "
                    f"relations with the target {b:+.2f}, costs {100.0 * loss:.2f}% of real "
                    "income")
        return (f"utility {self.utility:+.2f}: sanctioned at {a:.2f} by it, relations "
                f"{b:+.2f}, costs {100.0 * loss:.2f}% of real income")


@dataclass(frozen=True)
class Decision:
    """A choice that changed something, as the run's decision log lists it."""

    step: int
    state: str
    action: str  # joined, left, counter-sanctioned, lifted counter-sanction
    other: str
    sanction: str
    utility: float
    reason: str


def sanctions_in_force(timeline: list[events.Scheduled], step: int) -> list[events.Scheduled]:
    """The timeline's sanctions in force at `step`, scripted or decided."""
    return [item for item in timeline
            if isinstance(item.event, events.Sanction) and item.in_force(step)]


def coalitions(in_force: list[events.Scheduled]) -> list[events.Scheduled]:
    """Sanctions a state may join, among those in force now (`sanctions_in_force`): put on the
    timeline by the scenario, not answers to sanctions (counter-sanctions), and started after
    the world's start (those in force at the start are part of the world at rest). (Not "in
    force at the next step": whether a sanction is lifted next is not known to the states, and
    a run must ask the same questions whether a lifting was scripted or done live.)"""
    found = [item for item in in_force
             if not item.event.answers and not item.decided and item.at >= 1]
    # In an order that does not depend on where on the timeline they sit (a scenario's file
    # or a live run's injections), so that the same world asks the same questions.
    return sorted(found, key=lambda item: (item.at, item.rows["target"][0], item.event.name))


@dataclass
class Questions:
    """One question put to several states at once: arrays over the K entries reviewed this
    step (a state asked, or a target once for each member it may answer).

    `key` names the question for the tastes: ("coalition", start, name) for a coalition, whose
    askees are states; ("retaliation", target) for a target's answers, one per member.
    """

    kind: str
    key: tuple
    state: np.ndarray  # (K,) rows of the states asked
    other: np.ndarray  # (K,) the target, or the member to answer
    items: list  # (K,) the coalition's sanction, or the counter-sanction in force (or None)
    utility: list[float]  # (K,)
    inside: list[bool]  # (K,)
    parts: np.ndarray  # (K, 3) the utility's inputs
    taste: list[float]  # (K,) the state's own taste ε for the entry
    reviewed: dict[int, Sequence[int]]  # the entries each state answers, by state row

    def choice(self, q: int) -> Choice:
        """Entry q as one state's choice."""
        return Choice(self.kind, int(self.state[q]), int(self.other[q]), self.items[q],
                      self.utility[q], self.inside[q],
                      tuple(self.parts[q].tolist()))


def brief(world: World, timeline: list[events.Scheduled], step: int, params: Params,
          kernels, rng: np.random.Generator, dt: float, tastes: dict,
          totals: tuple[np.ndarray, np.ndarray]) -> list[Questions]:
    """This step's questions, each with the entries every state reviews (`reviewed`: state row
    → entries; docs/model.md, "Decisions").

    Every open question is reviewed with probability 1 − exp(−review_rate·Δt), drawn for every
    state (or for a target, every member it may answer) before anything is valued, so that only
    the questions reviewed are valued. A state's taste
    ε for a question is drawn the first time the question is put (for every state at once) and
    kept in `tastes`, so that a state is consistent from step to step and changes its mind only
    when the world changes its utility. Draws come from `rng` in a fixed order (coalitions by
    start, target and name, then answers by target), whatever order the agents decide in.
    `totals` are the states' output and spending (`output_and_spending` of the trade flows).
    """
    p = params.decisions
    in_force = sanctions_in_force(timeline, step) if p.coalitions or p.retaliation else []
    open_items = coalitions(in_force)
    members = [events.taking_part(item, step) for item in open_items]
    review = 1.0 - math.exp(-p.review_rate * dt)

    def reviewing(key: tuple, n: int) -> np.ndarray:
        """The tastes for question `key` (drawn for every state the first time it is put), and
        which of its n entries are reviewed this step."""
        if key not in tastes:
            u = rng.random(world.n_states)
            with np.errstate(divide="ignore"):
                tastes[key] = p.temperature * (np.log(u) - np.log1p(-u))
        return rng.random(n) < review

    blocks: list[Questions] = []
    if p.coalitions:
        blocks += _coalition_questions(world, open_items, members, params, kernels, totals,
                                       reviewing, tastes)
    if p.retaliation:
        blocks += _retaliation_questions(world, in_force, open_items, members, params,
                                         kernels, totals, reviewing, tastes)
    return blocks


def _cuts(event: events.Sanction, intensity: float, params: Params) -> tuple[float, float]:
    """Shares of the imposer's exports to the target and of its imports from it that a
    sanction at `intensity` removes: its kinds compound on each flow as in the trade layer,
    1 − Π(1 − w_k·x), and the flow falls by exp(−β_s·layer) (docs/model.md, "Events")."""
    kept_out = kept_back = 1.0
    for out, back in events.flow_weights(event, trade_weights(params.events)):
        kept_out *= 1.0 - out * intensity
        kept_back *= 1.0 - back * intensity
    beta = params.trade.sanction
    return (1.0 - math.exp(-beta * (1.0 - kept_out)),
            1.0 - math.exp(-beta * (1.0 - kept_back)))


def _coalition_questions(world: World, items: list[events.Scheduled],
                         taking_part: list[list[int]], params: Params, kernels,
                         totals: tuple[np.ndarray, np.ndarray],
                         reviewing: Callable[[tuple, int], np.ndarray], tastes: dict
                         ) -> list[Questions]:
    """Stay in or out of each open coalition, for every state reviewing it that the scenario
    did not script and that does not already sanction the target at least as hard."""
    s, p = world.n_states, params.decisions
    relations = world.pairs.relations
    weights = np.array([p.alignment, p.target_relations, p.income, p.join_cost])
    out: list[Questions] = []
    for item, part in zip(items, taking_part, strict=True):
        target = item.rows["target"][0]
        changes = [row for row, _ in item.joins + item.leaves if row not in item.decided_members]
        # A state that already sanctions the target as hard (the EU's members, under their own
        # measures on Russia, and a US bill) is not asked: joining would change nothing. A
        # state alone in the coalition has no one to align with, and a state with no tie to the
        # imposers has no stake in their coalition and is not asked (Tonga is not asked to join
        # India's duties on Pakistan); one already in stays under review.
        x = events.sanction_intensity(item.event, params.events.partial)
        key = (COALITION, item.at, item.event.name)
        looks = reviewing(key, s)
        cut_out, cut_back = _cuts(item.event, x, params)
        deciders, utility, parts, inside = kernels.coalition_utilities(
            relations, world.pairs.trade, *totals, world.pairs.sanction,
            np.array(part, dtype=np.int64), np.array(list(item.decided_members), dtype=np.int64),
            np.array([*item.rows["imposers"], *changes, target], dtype=np.int64), looks,
            target, x, cut_out, cut_back, params.trade.sigma, weights)
        k = len(deciders)
        if not k:
            continue
        states = deciders.tolist()
        out.append(Questions(COALITION, key, deciders, np.full(k, target), [item] * k,
                             utility.tolist(), inside.tolist(), parts,
                             tastes[key][deciders].tolist(), dict(zip(states, zip(range(k))))))
    return out


def _retaliation_questions(world: World, in_force: list[events.Scheduled],
                           open_items: list[events.Scheduled], taking_part: list[list[int]],
                           params: Params, kernels, totals: tuple[np.ndarray, np.ndarray],
                           reviewing: Callable[[tuple, int], np.ndarray], tastes: dict
                           ) -> list[Questions]:
    """For each target of an open coalition, counter-sanction each member it reviews or not;
    a counter-sanction in force is reviewed even after the coalition has gone."""
    p = params.decisions
    counters = {(item.rows["imposers"][0], item.rows["target"][0]): item for item in in_force
                if item.decided}
    pairs: dict[tuple[int, int], float] = {key: 0.0 for key in counters}
    for item, part in zip(open_items, taking_part, strict=True):
        target = item.rows["target"][0]
        x = events.sanction_intensity(item.event, params.events.partial)
        for member in part:
            key = (target, member)
            pairs[key] = 1.0 - (1.0 - pairs.get(key, 0.0)) * (1.0 - x)
    out = []
    relations = world.pairs.relations
    cut = 1.0 - math.exp(-params.trade.sanction * p.retaliation_intensity)  # a ban on imports
    weights = np.array([p.hostility, p.severity, p.income, p.retaliation_cost])
    for target in sorted({t for t, _ in pairs}):
        member = sorted(m for t, m in pairs if t == target)
        key = (RETALIATION, target)
        member = [m for m, looks in zip(member, reviewing(key, len(member)).tolist(),
                                        strict=True) if looks]
        if not member:
            continue
        suffered = np.array([pairs[(target, m)] for m in member])
        rows = np.array(member, dtype=np.int64)
        utility, parts = kernels.retaliation_utilities(
            relations, world.pairs.trade, *totals, target, rows, suffered, cut,
            params.trade.sigma, weights)
        items = [counters.get((target, m)) for m in member]
        out.append(Questions(RETALIATION, key, np.full(len(rows), target), rows, items,
                             utility.tolist(), [i is not None for i in items], parts,
                             tastes[key][rows].tolist(), {target: range(len(rows))}))
    return out


def enact(chosen: list[tuple[Questions, int]], timeline: list[events.Scheduled],
          index: events.WorldIndex, step: int, params: DecisionsParams, ids: np.ndarray
          ) -> list[Decision]:
    """Put the changed choices on the timeline, from the next step; the decision log's rows."""
    log = []
    choices = [block.choice(q) for block, q in chosen]
    for choice in sorted(choices, key=lambda c: (c.kind, c.state, c.other)):
        state, other = str(ids[choice.state]), str(ids[choice.other])
        if choice.kind == COALITION:
            item = choice.item
            name = item.event.name or f"sanction on {other}"
            if choice.inside:
                item.leaves.append((choice.state, step + 1))
                action = "left"
            else:
                item.joins.append((choice.state, step + 1))
                if choice.state not in item.rows["members"]:
                    item.rows["members"] = sorted([*item.rows["members"], choice.state])
                item.decided_members.add(choice.state)
                action = "joined"
        elif choice.inside:
            choice.item.end = step + 1
            name, action = choice.item.event.name, "lifted counter-sanction"
        else:
            name = f"{state} counter-sanction on {other}"
            event = events.Sanction(
                name=name, imposers=[state], target=other, kind="trade", direction="import",
                intensity=params.retaliation_intensity, regime=f"{state} counter-sanctions",
                answers=True, source="decision",
            )
            item = events.schedule(event, index, step + 1)
            item.decided = True
            timeline.append(item)
            action = "counter-sanctioned"
        log.append(Decision(step, state, action, other, name, choice.utility,
                            choice.reason()))
    return log
