"""The paradiplomacy phase as plain Mesa would do it: the baseline `geopol bench` measures the
kernels against.

Every region and city is a Mesa agent; here each tends its own links through `AgentSet.do`,
one link and one channel at a time in Python, with the model's equations (docs/model.md,
"Paradiplomacy"): it prices its links, spreads its attention over them by water-filling, and
moves the links it owns (those where it is the first end), forming dormant ones from the same
counter-based draws; then each sums its links' strengths into its activity, and the owners add
theirs into the state pairs. `mesa_paradiplomacy` returns what the kernels' phase sets, so that
the two can be checked to agree (tests/test_bench.py) before they are timed against each other.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.kernels.draws import counter_uniform_python
from sim.kernels.paradiplomacy import (
    ACTIVE,
    EPISODIC,
    INACTIVE,
    LEADING,
    RELATIONS,
    SANCTION,
    _logistic,
    _water_level,
)
from sim.mechanisms import paradiplomacy as paradiplomacy_phase
from sim.mechanisms.events import cushion
from sim.model import GeoModel
from sim.schema import CHANNELS


@dataclass
class Ledger:
    """What the agents read and write: the links as Python lists, and the step's results."""

    ends: list[list[int]]
    strength: list[list[float]]
    potential: list[int]
    pair: list[tuple[int, int]]
    drive_static: list[list[float]]  # per link, its potential channels' static drive parts
    formation_static: list[float]
    links_of: dict[int, list[int]]  # each actor's links, in link order
    relations: list[list[float]] = field(default_factory=list)  # this step's, S×S
    sanction: list[list[float]] = field(default_factory=list)  # the cushion feature, S×S
    share: dict[tuple[int, int], float] = field(default_factory=dict)
    new: list[list[float]] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    formed: list[bool] = field(default_factory=list)
    dissolved: list[bool] = field(default_factory=list)


def ledger(model: GeoModel) -> Ledger:
    """The model's links as the agents see them (made once, as a model would hold them)."""
    world, geometry = model.world, model.link_geometry
    ends = world.links.ends.tolist()
    slots = geometry.slots
    static = geometry.drive_static.tolist()
    starts = slots.start.tolist()
    links_of: dict[int, list[int]] = {}
    for e, (a, b) in enumerate(ends):
        links_of.setdefault(a, []).append(e)
        if b != a:
            links_of.setdefault(b, []).append(e)
    n = len(ends)
    return Ledger(
        ends=ends,
        strength=world.links.strength.tolist(),
        potential=slots.potential.tolist(),
        pair=[divmod(q, slots.n_states) for q in slots.link_pair.tolist()],
        drive_static=[static[starts[e]:starts[e + 1]] for e in range(n)],
        formation_static=geometry.formation_static.tolist(),
        links_of=links_of,
        new=[[] for _ in range(n)],
        total=[0.0] * n,
        formed=[False] * n,
        dissolved=[False] * n,
    )


def _pair_features(book: Ledger, a: int, b: int) -> tuple[float, float]:
    return (0.5 * (book.relations[a][b] + book.relations[b][a]),
            max(book.sanction[a][b], book.sanction[b][a]))


# The kernels' own scalar helpers, run as the plain Python they are written in.
logistic, water_level = _logistic.py_func, _water_level.py_func


def spread_attention(agent: mesa.Agent, book: Ledger) -> None:
    """An actor prices its links and spreads its attention budget over them (water-filling)."""
    model = agent.model
    mine = book.links_of.get(agent.row, [])
    if not mine:
        return
    p = model.params.paradiplomacy
    gamma = model.link_geometry.formation_coef
    pay = []
    for e in mine:
        rel, san = _pair_features(book, *book.pair[e])
        odds = (book.formation_static[e] + float(gamma[RELATIONS]) * rel
                + float(gamma[SANCTION]) * san)
        pay.append(odds + p.attention_commitment if any(book.strength[e]) else odds)
    budget = float(model.link_geometry.budget[agent.row])
    top = max(pay)
    weights = [math.exp((x - top) / p.attention_temperature) for x in pay]
    level = math.inf
    if budget < len(mine):
        total = sum(weights)
        level = budget / total
        if budget > total:  # its best link would get more than full effort: water-fill
            level = water_level(np.array(weights), budget)
    for e, w in zip(mine, weights, strict=True):
        book.share[(agent.row, e)] = 1.0 if level == math.inf else (
            0.0 if w == 0.0 else min(1.0, level * w))


def tend_links(agent: mesa.Agent, book: Ledger, seed: int) -> None:
    """An actor moves the links it owns a step: drives, exact update, dissolution, formation."""
    model = agent.model
    p = model.params.paradiplomacy
    beta = model.link_geometry.drive_coef
    gamma = model.link_geometry.formation_coef
    dt = model.dt
    for e in book.links_of.get(agent.row, []):
        a, b = book.ends[e]
        if a != agent.row:
            continue
        effort = min(book.share[(a, e)], book.share[(b, e)]) if book.share else 1.0
        rel, san = _pair_features(book, *book.pair[e])
        bits, row = book.potential[e], [0.0] * len(CHANNELS)
        if any(s > 0.0 for s in book.strength[e]):
            drives = iter(book.drive_static[e])
            for c in range(len(CHANNELS)):
                if not (bits >> c) & 1:
                    continue
                z = next(drives) + float(beta[c, RELATIONS]) * rel + float(beta[c, SANCTION]) * san
                gd = p.growth * effort * logistic(z)
                rate = gd + p.decay
                s = book.strength[e][c]
                target = gd / rate if rate > 0.0 else 0.0
                factor = math.exp(-rate * dt) if rate > 0.0 else 1.0
                row[c] = min(max(target + (s - target) * factor, 0.0), 1.0)
            if sum(row) < p.dissolve_below:
                row = [0.0] * len(CHANNELS)
                book.dissolved[e] = True
        elif bits:
            z = book.formation_static[e] + float(gamma[RELATIONS]) * rel + float(
                gamma[SANCTION]) * san
            rate = p.formation_rate * (p.attention_focus if model.params.decisions.partners
                                       else 1.0)
            hazard = -math.expm1(-rate * effort * logistic(z) * dt)
            if counter_uniform_python(seed, e) < hazard:
                book.formed[e] = True
                row = [p.start_strength if (bits >> c) & 1 else 0.0 for c in range(len(CHANNELS))]
        book.new[e] = row
        book.total[e] = sum(row)


def sum_activity(agent: mesa.Agent, book: Ledger, activity: list[int]) -> None:
    """An actor's international activity: the sum of its links' strengths, classified."""
    p = agent.model.params.paradiplomacy
    t = sum(book.total[e] for e in book.links_of.get(agent.row, []))
    activity[agent.row] = (INACTIVE if t <= 0.0 else EPISODIC if t < p.episodic_below
                           else ACTIVE if t < p.leading_from else LEADING)


def add_to_state_pairs(agent: mesa.Agent, book: Ledger, sums: np.ndarray) -> None:
    """The links an actor owns, added to the channel strength between their two states."""
    for e in book.links_of.get(agent.row, []):
        if book.ends[e][0] != agent.row:
            continue
        a, b = book.pair[e]
        if a != b:
            for c, v in enumerate(book.new[e]):
                sums[c][a][b] += v


@dataclass
class PhaseResult:
    strength: np.ndarray  # E×C after the step
    formed: int
    dissolved: int
    activity: np.ndarray  # N, int8 classes
    link_channels: np.ndarray  # C×S×S


def mesa_paradiplomacy(model: GeoModel, book: Ledger, seed: int) -> PhaseResult:
    """One paradiplomacy step by the agents, from the strengths in `book` (no favoured groups:
    the benchmark's worlds have no events)."""
    book.relations = model.world.pairs.relations.tolist()
    book.sanction = cushion(model.world.pairs.sanction).tolist()
    book.share.clear()
    book.formed = [False] * len(book.ends)
    book.dissolved = [False] * len(book.ends)
    actors = [model.cities, model.regions]
    if model.params.decisions.partners:
        for agents in actors:
            agents.do(spread_attention, book)
    for agents in actors:
        agents.do(tend_links, book, seed)
    activity = [INACTIVE] * model.world.n_actors
    s = model.world.n_states
    sums = [[[0.0] * s for _ in range(s)] for _ in CHANNELS]
    for agents in actors:
        agents.do(sum_activity, book, activity)
        agents.do(add_to_state_pairs, book, sums)
    pairs = np.array(sums).reshape(len(CHANNELS), s, s)
    return PhaseResult(
        strength=np.array(book.new, dtype=np.float64).reshape(-1, len(CHANNELS)),
        formed=sum(book.formed), dissolved=sum(book.dissolved),
        activity=np.array(activity, dtype=np.int8),
        link_channels=pairs + pairs.transpose(0, 2, 1))


def kernel_paradiplomacy(model: GeoModel, seed: int) -> PhaseResult:
    """The same step by the kernels (`sim.mechanisms.paradiplomacy.update`), leaving the model
    as it was."""
    world, p, geometry = model.world, model.params, model.link_geometry
    kept = (world.links.strength.copy(), world.actors.activity.copy(),
            world.actors.link_strength.copy(), world.pairs.link_channels.copy(),
            geometry.link_total, geometry.active_links)
    formed, dissolved = paradiplomacy_phase.update(
        world, p.paradiplomacy, geometry, model.kernels, seed, model.dt,
        choose=p.decisions.partners)
    result = PhaseResult(world.links.strength.copy(), formed, dissolved,
                         world.actors.activity.copy(), world.pairs.link_channels.copy())
    (world.links.strength, world.actors.activity, world.actors.link_strength,
     world.pairs.link_channels, geometry.link_total, geometry.active_links) = kept
    return result


def bench_mesa(states: int, regions: int, rounds: int = 3) -> dict[str, float]:
    """The paradiplomacy phase by the agents on a synthetic world, checked to agree with the
    kernels' step, against the kernels' phase as the model's steps run it (medians of
    `rounds`, alternated): seconds, and the ratios of the phase and of the whole step were the
    phase done by the agents."""
    from sim.bench import timed_phases, world_spec
    from sim.scenario import from_spec

    model = GeoModel(scenario=from_spec(world_spec(states, regions)), rng=0)
    for _ in range(2):
        model.step()
    seed = 12345
    phases = timed_phases(model)
    mesa_times, step_times = [], []
    difference = 0.0
    for _ in range(rounds):
        book = ledger(model)
        start = time.perf_counter()
        agents = mesa_paradiplomacy(model, book, seed)
        mesa_times.append(time.perf_counter() - start)
        difference = max(difference, agreement(agents, kernel_paradiplomacy(model, seed)))
        start = time.perf_counter()
        model.step()
        step_times.append(time.perf_counter() - start)
    mesa_s, step_s = statistics.median(mesa_times), statistics.median(step_times)
    kernel_s = statistics.median(phases["paradiplomacy"])
    return {"regions": len(model.regions), "links": len(model.world.links), "mesa_s": mesa_s,
            "kernels_s": kernel_s, "step_s": step_s, "difference": difference,
            "phase_ratio": mesa_s / kernel_s,
            "step_ratio": (step_s - kernel_s + mesa_s) / step_s}


def agreement(agents: PhaseResult, kernels: PhaseResult) -> float:
    """The largest difference between the two results' strengths and state-pair sums; raises
    AssertionError if any link formed or dissolved differently or any actor's class differs."""
    if (agents.formed, agents.dissolved) != (kernels.formed, kernels.dissolved):
        raise AssertionError(f"formed and dissolved {agents.formed}, {agents.dissolved} by the "
                             f"agents, {kernels.formed}, {kernels.dissolved} by the kernels")
    if not np.array_equal(agents.activity, kernels.activity):
        raise AssertionError("activity classes differ")
    return max(float(np.max(np.abs(agents.strength - kernels.strength), initial=0.0)),
               float(np.max(np.abs(agents.link_channels - kernels.link_channels), initial=0.0)))
