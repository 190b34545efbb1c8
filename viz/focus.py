"""Which states the app's views are about. A scenario on the whole world names its focus
(eurasia: 24 of the world's 190 states); the views show those states and the ones the user's
events name, since a chart of the world's 6 largest economies or a 190×190 heatmap says
little about the scenario. Without a focus, every state is a candidate and the views keep to
the largest.
"""

from __future__ import annotations

import numpy as np

from sim import GeoModel


def scenario_focus(model: GeoModel) -> np.ndarray:
    """Rows of the scenario's focus states, in the scenario's order (empty without a focus)."""
    row = model.world_index.row
    return np.array([row[state] for state in model.setup.spec.scenario.focus], dtype=int)


def named_states(model: GeoModel) -> np.ndarray:
    """Rows of the states the user's events name, first named first (none for a plain run)."""
    return np.array(getattr(model, "focus_states", ()), dtype=int)


def in_view(model: GeoModel, rows: np.ndarray) -> np.ndarray:
    """Which of these state rows a view is about: the scenario's focus states and the states
    the user's events name; every state when the scenario has no focus."""
    focus = scenario_focus(model)
    if not len(focus):
        return np.ones(len(rows), dtype=bool)
    return np.isin(rows, focus) | np.isin(rows, named_states(model))


def states_in_view(model: GeoModel, limit: int) -> np.ndarray:
    """The states a view shows: those the user's events name, then the largest economies of
    the focus (or of the world, without a focus), `limit` in all unless more are named."""
    s = model.world.n_states
    named = named_states(model)
    states = np.arange(s)
    pool = states[in_view(model, states) & ~np.isin(states, named)]
    largest = pool[np.argsort(-model.world.actors.gdp[pool], kind="stable")]
    return np.concatenate([named, largest])[: max(limit, len(named))]


def view_name(model: GeoModel) -> str:
    """What `states_in_view` picks, in words (for a view's title)."""
    picked = "the scenario's focus" if len(scenario_focus(model)) else "the largest economies"
    return f"those your events name and {picked}" if len(named_states(model)) else picked
