"""Per-actor and per-pair history, kept as arrays and turned into Arrow tables at the end.

Model-level series go through Mesa's DataCollector (a few scalars a step). Per-actor and
per-pair series would be far too large for it, so each step copies the arrays once here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from sim.world import KIND_NAMES, World

ActorSeries = dict[str, Callable[[World], np.ndarray]]

ACTOR_SERIES: ActorSeries = {
    "gdp_usd": lambda world: world.actors.gdp,
}


class Recorder:
    """Snapshots of per-actor columns and of state-pair trade, one per recorded step."""

    def __init__(self, world: World, actor_series: ActorSeries = ACTOR_SERIES) -> None:
        self.world = world
        self.actor_series = actor_series
        self.steps: list[int] = []
        self._actor: dict[str, list[np.ndarray]] = {name: [] for name in actor_series}
        self._trade: list[np.ndarray] = []

    def capture(self, step: int) -> None:
        self.steps.append(step)
        for name, column in self.actor_series.items():
            self._actor[name].append(np.array(column(self.world), copy=True))
        self._trade.append(self.world.pairs.trade.copy())

    def trade(self, index: int) -> np.ndarray:
        """The S×S trade matrix of the index-th recorded step (negative counts from the end)."""
        return self._trade[index]

    def actor(self, name: str, index: int) -> np.ndarray:
        """A per-actor series at the index-th recorded step (negative counts from the end)."""
        return self._actor[name][index]

    def actors_table(self) -> pa.Table:
        """Static attributes of every actor, one row each."""
        a = self.world.actors
        return pa.table({
            "actor": a.ids,
            "name": a.names,
            "kind": pa.DictionaryArray.from_arrays(a.kind.astype(np.int8), list(KIND_NAMES)),
            "state": a.ids[a.state],
            "is_capital": a.is_capital,
            "lat": a.lat,
            "lon": a.lon,
            "population": a.population,
        })

    def actor_steps_table(self) -> pa.Table:
        """Long table: one row per recorded step and actor."""
        n = len(self.world.actors)
        rows = np.tile(np.arange(n, dtype=np.int32), len(self.steps))
        columns = {
            "step": np.repeat(np.asarray(self.steps, dtype=np.int32), n),
            "actor": pa.DictionaryArray.from_arrays(rows, self.world.actors.ids),
        }
        for name, snapshots in self._actor.items():
            columns[name] = np.concatenate(snapshots) if snapshots else np.zeros(0)
        return pa.table(columns)

    def trade_table(self) -> pa.Table:
        """Long table of bilateral flows between different states, one row per step and pair."""
        s = self.world.n_states
        i, j = np.nonzero(~np.eye(s, dtype=bool))
        ids = self.world.actors.ids[:s]
        flows = [m[i, j] for m in self._trade]
        k = len(i)
        return pa.table({
            "step": np.repeat(np.asarray(self.steps, dtype=np.int32), k),
            "exporter": pa.DictionaryArray.from_arrays(
                np.tile(i.astype(np.int32), len(self.steps)), ids),
            "importer": pa.DictionaryArray.from_arrays(
                np.tile(j.astype(np.int32), len(self.steps)), ids),
            "trade_usd": np.concatenate(flows) if flows else np.zeros(0),
        })
