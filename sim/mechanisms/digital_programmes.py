"""States' digital-diplomacy programmes (phase 2): whether each state runs one, and what one
does to its foreign ministry's digital capacity and investment (paper 003).

A state reviews its choice as it reviews its sanction questions; it runs a programme if
U + ι·[runs one now] + ε > 0, with ε its own taste, drawn once (docs/model.md, "Decisions").
A programme spends `digital_budget` (the investment v of the audience's growth rate) and builds
capacity (a digital unit, trained staff, risk management: paper 003's conditions of success).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.mechanisms.decisions import Decision
from sim.params import Params
from sim.world import World

LAUNCHED, ENDED = "launched a digital programme", "ended its digital programme"


def utility(world: World, params: Params, kernels) -> tuple[np.ndarray, np.ndarray]:
    """U (S,) of running a programme, and its parts (S, 2): the share of the reachable audience
    not yet reached, 1 − a/K, and income, ln(y / median y) with y GDP per head
    (`programme_utility`)."""
    p, s, n = params.decisions, world.n_states, world.nations
    weights = np.array([p.digital_gap, p.digital_income, p.digital_cost])
    return kernels.programme_utility(n.audience, n.audience_ceiling, world.actors.gdp[:s],
                                     world.actors.population[:s], weights)


@dataclass
class Review:
    """This step's review of the programmes, as plain numbers for each state's own decision
    (agents/actors.py): whether it reviews its choice, U, its taste ε and whether it runs one
    now; U and its parts as arrays, for the log."""

    reviews: list[bool]
    utility: list[float]
    taste: list[float]
    running: list[bool]
    utilities: np.ndarray  # (S,)
    parts: np.ndarray  # (S, 2)


def no_review(n_states: int) -> Review:
    nothing = [False] * n_states
    return Review(nothing, [0.0] * n_states, [0.0] * n_states, nothing, np.zeros(n_states),
                  np.zeros((n_states, 2)))


def review(world: World, params: Params, kernels, rng: np.random.Generator, dt: float,
           taste: np.ndarray, running: np.ndarray) -> Review:
    """Who reviews its choice this step (each state with probability 1 − exp(−review_rate·Δt),
    drawn from `rng` for every state at once), with U for every state."""
    looks = rng.random(world.n_states) < 1.0 - math.exp(-params.decisions.review_rate * dt)
    u, parts = utility(world, params, kernels)
    return Review(looks.tolist(), u.tolist(), taste.tolist(), running.tolist(), u, parts)


def enact(changes: list[int], running: np.ndarray, u: np.ndarray, parts: np.ndarray,
          step: int, ids: np.ndarray) -> list[Decision]:
    """Start or end the programmes of the states that changed course; the decision log's
    rows."""
    log = []
    for row in sorted(changes):
        running[row] = not running[row]
        reason = (f"utility {u[row]:+.2f}: {100.0 * parts[row, 0]:.0f}% of its reachable "
                  f"audience not reached, income {parts[row, 1]:+.2f} (log of GDP per head "
                  "over the median)")
        action = LAUNCHED if running[row] else ENDED
        log.append(Decision(step, str(ids[row]), action, "", "digital programme",
                            float(u[row]), reason))
    return log


def invest(world: World, params: Params, running: np.ndarray, scripted: np.ndarray,
           dt: float) -> None:
    """A programme's investment, on top of what the scenario gives (the larger counts), and
    the capacity it builds: c' = c + (1 − exp(−g·Δt))·(1 − c), g = `digital_capacity_rate`."""
    p, n = params.decisions, world.nations
    n.digital_investment = np.where(running, np.maximum(scripted, p.digital_budget), scripted)
    built = -math.expm1(-p.digital_capacity_rate * dt)
    n.digital_capacity = np.where(running, n.digital_capacity
                                  + built * (1.0 - n.digital_capacity), n.digital_capacity)
