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
from dataclasses import dataclass

import numpy as np

from sim import events
from sim.params import DecisionsParams, Params
from sim.world import World

COALITION, RETALIATION = "coalition", "retaliation"


@dataclass
class Choice:
    """A question one state answers this step: to be in a sanction or not.

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
    taste: float  # the state's own reasons, ε: logistic with scale T, drawn once a question
    reason: str


@dataclass(frozen=True)
class Decision:
    """A choice that changed something, as the run's decision log lists it."""

    step: int
    state: str
    action: str  # joined, left, counter-sanctioned, lifted counter-sanction
    other: str
    sanction: str
    reason: str


def coalitions(timeline: list[events.Scheduled], step: int) -> list[events.Scheduled]:
    """Sanctions a state may join at `step`: put on the timeline by the scenario, not answers
    to sanctions (counter-sanctions), started after the world's start (those in force at the
    start are part of the world at rest), and in
    force now. (Not "at the next step": whether a sanction is lifted next is not known to the
    states, and a run must ask the same questions whether a lifting was scripted or done live.)"""
    found = [item for item in timeline
             if isinstance(item.event, events.Sanction) and not item.event.answers
             and not item.decided and item.at >= 1 and item.in_force(step)]
    # In an order that does not depend on where on the timeline they sit (a scenario's file
    # or a live run's injections), so that the same world asks the same questions.
    return sorted(found, key=lambda item: (item.at, item.rows["target"][0], item.event.name))


def brief(world: World, timeline: list[events.Scheduled], step: int, params: Params,
          kernels, rng: np.random.Generator, dt: float, tastes: dict) -> dict[int, list[Choice]]:
    """The choices each state reviews this step, by state row (docs/model.md, "Decisions").

    Every open question is reviewed with probability 1 − exp(−review_rate·Δt). A state's taste
    ε for a question is drawn the first time the question is put and kept in `tastes`, so that
    a state is consistent from step to step and changes its mind only when the world changes
    its utility. Draws come from `rng` in a fixed order (coalitions by start, target and name,
    then counter-sanctions by target and member), whatever order the agents decide in.
    """
    p = params.decisions
    review = 1.0 - math.exp(-p.review_rate * dt)
    choices: list[Choice] = []
    open_items = coalitions(timeline, step) if p.coalitions or p.retaliation else []
    if p.coalitions:
        choices += _coalition_choices(world, open_items, step, params, kernels)
    if p.retaliation:
        choices += _retaliation_choices(world, timeline, open_items, step, params, kernels)
    if not choices:
        return {}
    keys = [(c.kind, c.state, c.other,
             (c.item.at, c.item.event.name) if c.kind == COALITION else None) for c in choices]
    new = [key for key in keys if key not in tastes]
    u = rng.random(len(new))
    for key, draw in zip(new, u, strict=True):
        tastes[key] = p.temperature * math.log(draw / (1.0 - draw)) if 0.0 < draw else -700.0
    reviewed = rng.random(len(choices)) < review
    by_state: dict[int, list[Choice]] = {}
    for choice, key, seen in zip(choices, keys, reviewed, strict=True):
        if seen:
            choice.taste = tastes[key]
            by_state.setdefault(choice.state, []).append(choice)
    return by_state


def _cut(intensity: np.ndarray | float, weight: float, beta: float) -> np.ndarray:
    """Share of a flow a sanction of this intensity and trade weight removes."""
    return 1.0 - np.exp(-beta * weight * np.asarray(intensity, dtype=float))


def _trade_weights(event: events.Sanction, params: Params) -> tuple[float, float]:
    """(on the imposer's exports, on its imports) of one unit of the sanction's intensity."""
    other = {"financial": params.events.financial_trade, "travel": params.events.travel_trade,
             "arms": params.events.arms_trade}
    out = back = 0.0
    for kind in event.kinds:
        if kind == "trade":
            out = max(out, float(event.direction in ("export", "both")))
            back = max(back, float(event.direction in ("import", "both")))
        else:
            out, back = max(out, other[kind]), max(back, other[kind])
    return out, back


def _intensity(event: events.Sanction, params: Params) -> float:
    if event.intensity is not None:
        return event.intensity
    return 1.0 if event.scope == "complete" else params.events.partial


def _coalition_choices(world: World, items: list[events.Scheduled], step: int, params: Params,
                       kernels) -> list[Choice]:
    """Stay in or out of each open coalition, for every state the scenario did not script and
    that does not already sanction the target at least as hard."""
    s, p = world.n_states, params.decisions
    relations = world.pairs.relations
    out: list[Choice] = []
    for item in items:
        target = item.rows["target"][0]
        changes = [row for row, _ in item.joins + item.leaves if row not in item.decided_members]
        scripted = {*item.rows["imposers"], *changes, target}
        # A state that already sanctions the target as hard (the EU's members, under their own
        # measures on Russia, and a US bill) is not asked: joining would change nothing.
        x = _intensity(item.event, params)
        already = np.flatnonzero(world.pairs.sanction[:, target] >= x)
        scripted |= set(already.tolist()) - item.decided_members
        members = np.zeros(s, dtype=bool)
        members[[m for m in item.rows["members"] if events.takes_part(item, m, step)]] = True
        deciders = np.array([r for r in range(s) if r not in scripted], dtype=np.int64)
        if not len(deciders) or not members.any():
            continue
        # Alignment: mean relations with the members (each government counts once), the
        # decider left out.
        weight = members.astype(float)
        total = weight.sum() - weight[deciders]
        align = (relations[deciders] @ weight - weight[deciders]) / np.where(total > 0, total, 1)
        hostile = relations[deciders, target]
        out_w, back_w = _trade_weights(item.event, params)
        k = len(deciders)
        loss = kernels.sanction_loss(
            world.pairs.trade, deciders, np.full(k, target, dtype=np.int64),
            np.full(k, float(_cut(x, out_w, params.trade.sanction))),
            np.full(k, float(_cut(x, back_w, params.trade.sanction))),
            params.trade.sigma,
        )
        utility = (p.alignment * align - p.target_relations * hostile - p.income * 100.0 * loss
                   - p.join_cost)
        for q, row in enumerate(deciders.tolist()):
            if total[q] <= 0.0:
                continue
            reason = (f"utility {utility[q]:+.2f}: alignment with its members {align[q]:+.2f}, "
                      f"relations with the target {hostile[q]:+.2f}, costs {100.0 * loss[q]:.2f}%"
                      " of real income")
            out.append(Choice(COALITION, row, target, item, float(utility[q]),
                              bool(members[row]), 0.0, reason))
    return out


def _retaliation_choices(world: World, timeline: list[events.Scheduled],
                         open_items: list[events.Scheduled], step: int, params: Params,
                         kernels) -> list[Choice]:
    """For each target of an open coalition, counter-sanction each member or not; a
    counter-sanction in force is reviewed even after the coalition has gone."""
    p = params.decisions
    counters = {(item.rows["imposers"][0], item.rows["target"][0]): item for item in timeline
                if item.decided and item.in_force(step)}
    pairs: dict[tuple[int, int], float] = {key: 0.0 for key in counters}
    for item in open_items:
        target = item.rows["target"][0]
        x = _intensity(item.event, params)
        for member in item.rows["members"]:
            if events.takes_part(item, member, step):
                key = (target, member)
                pairs[key] = 1.0 - (1.0 - pairs.get(key, 0.0)) * (1.0 - x)
    if not pairs:
        return []
    keys = sorted(pairs)
    t = np.array([k[0] for k in keys], dtype=np.int64)
    m = np.array([k[1] for k in keys], dtype=np.int64)
    loss = kernels.sanction_loss(
        world.pairs.trade, t, m, np.zeros(len(keys)),
        np.full(len(keys), float(_cut(p.retaliation_intensity, 1.0, params.trade.sanction))),
        params.trade.sigma,
    )
    relations = world.pairs.relations
    out = []
    for k, (target, member) in enumerate(keys):
        suffered = pairs[(target, member)]
        hostility = -float(relations[target, member])
        utility = (p.hostility * hostility + p.severity * suffered
                   - p.income * 100.0 * loss[k] - p.retaliation_cost)
        reason = (f"utility {utility:+.2f}: sanctioned at {suffered:.2f} by it, relations "
                  f"{-hostility:+.2f}, costs {100.0 * loss[k]:.2f}% of real income")
        item = counters.get((target, member))
        out.append(Choice(RETALIATION, target, member, item, utility, item is not None, 0.0,
                          reason))
    return out


def enact(chosen: list[Choice], timeline: list[events.Scheduled], index: events.WorldIndex,
          step: int, params: DecisionsParams, ids: np.ndarray) -> list[Decision]:
    """Put the changed choices on the timeline, from the next step; the decision log's rows."""
    log = []
    for choice in sorted(chosen, key=lambda c: (c.kind, c.state, c.other)):
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
        log.append(Decision(step, state, action, other, name, choice.reason))
    return log
