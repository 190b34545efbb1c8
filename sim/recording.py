"""Per-actor, per-state and per-pair history, kept as arrays, written as Arrow tables at the end.

Model-level series go through Mesa's DataCollector (a few scalars a step). Everything else would
be far too large for it, so each step copies the arrays once here. Link strengths are kept for
the first recorded step only, and read from the world for the last: a million links times
every step would not fit, and copying them each step would cost more than the step itself.
Symmetric pair series are kept for i < j only, and a series that often stands still (sanctions,
shocks, blocs) keeps the last snapshot's array again when nothing changed: at 190 states a
step's snapshot is then about 2 MB instead of 4, and fresh memory costs a page fault a page.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from sim.errors import NonFiniteState
from sim.mechanisms.events import exposure as sanction_exposure
from sim.mechanisms.trade import cost_changes
from sim.params import TradeParams
from sim.schema import CHANNELS
from sim.world import KIND_NAMES, LINK_KINDS, REGION, World

Series = dict[str, Callable[[World], np.ndarray]]

PILLARS = ("government", "culture", "education", "engagement", "enterprise", "digital")
RELATION_TERMS = ("attraction", "interdependence", "summits", "political_plus", "sanction")

ACTOR_SERIES: Series = {
    "gdp_usd": lambda w: w.actors.gdp,
    "link_strength": lambda w: w.actors.link_strength,
    "activity": lambda w: w.actors.activity,
    "diplomatic_weight": lambda w: w.actors.diplomatic_weight,
}

STATE_SERIES: Series = {
    "technology": lambda w: w.nations.technology,
    "capacity_index": lambda w: w.nations.capacity_index,
    **{
        f"pillar_{name}": (lambda w, k=k: w.nations.pillars[:, k]) for k, name in enumerate(PILLARS)
    },
    "soft_power": lambda w: w.nations.soft_power,
    "reputation": lambda w: w.nations.reputation,
    "familiarity": lambda w: w.nations.familiarity,
    "digital_audience": lambda w: w.nations.audience,
    "digital_stage": lambda w: w.nations.digital_stage,
    "bloc": lambda w: w.nations.bloc,
    "outward_resistance": lambda w: w.nations.outward_resistance,
    "inward_resistance": lambda w: w.nations.inward_resistance,
    "sanction_exposure": lambda w: sanction_exposure(w.pairs.sanction),
}

# Symmetric pair series, kept for i < j.
PAIR_SERIES: Series = {
    "relations": lambda w: w.pairs.relations,
    "summit_ties": lambda w: w.pairs.summit_ties,
    **{
        f"term_{name}": (lambda w, k=k: w.pairs.relation_terms[k])
        for k, name in enumerate(RELATION_TERMS)
    },
    "term_drift": lambda w: w.pairs.relation_drift,
    "term_shock": lambda w: w.pairs.relation_shock,
    "sanction": lambda w: np.maximum(w.pairs.sanction, w.pairs.sanction.T),
}

# Directed pair series (exporter i, importer j): the flows and the parts of ln φ_ij that
# events and links move (`sim.mechanisms.trade.cost_changes`).
TRADE_SERIES = ("trade_usd", "cost_sanctions", "cost_facilitation", "cost_paradiplomacy")

# Series that often keep their values from one step to the next: an unchanged snapshot shares
# the last one's array.
STILL = {"sanction_exposure", "digital_stage", "bloc", "sanction", "term_shock",
         "term_sanction", "cost_sanctions", "cost_facilitation"}

ACTIVITY_NAMES = ("inactive", "episodic", "active", "leading")
STAGE_NAMES = ("none", "presence", "audience", "engagement")


# What a run may keep of its regions' per-step series (`region_every_for`): 512 MiB, a million
# regions' for 21 steps.
REGION_SERIES_BUDGET = 2**29
REGION_BYTES_PER_STEP = 3 * 8 + 1  # three float64 series and the int8 activity class


def region_every_for(regions: int, steps: int, budget: int = REGION_SERIES_BUDGET) -> int:
    """Every how many steps a run of `steps` steps keeps its `regions` regions' series so that
    they fit in `budget` bytes: 1 (every step) unless the world is very large."""
    kept = max(regions * REGION_BYTES_PER_STEP * (steps + 1), 1)
    return max(1, -(-kept // budget))


class Recorder:
    """Snapshots of the world's arrays, one per recorded step.

    The regions' rows of the per-actor series are kept every `region_every` steps only (the
    first recorded step, then every K-th; the last recorded step is read from the world when
    the table is written): at a million regions they are 25 MB a step, the rest of a step's
    snapshot a few. States' and cities' rows, and every other series, are kept each step.
    `region_every` may be changed between steps (`geopol run --record-every`).
    """

    def __init__(self, world: World, trade_params: TradeParams) -> None:
        self.world = world
        self.trade_params = trade_params
        self.region_every = 1
        self.steps: list[int] = []
        # The steps whose regions' rows were kept, in order, each to its position in _regions.
        self._region_index: dict[int, int] = {}
        # Actors are states, then cities, then regions (as `GeoModel.agent_at` relies on).
        self._first_region = int(np.searchsorted(world.actors.kind, REGION))
        self._regions: dict[str, list[np.ndarray]] = {name: [] for name in ACTOR_SERIES}
        self._series: dict[str, dict[str, list[np.ndarray]]] = {
            "actor": {name: [] for name in ACTOR_SERIES},
            "state": {name: [] for name in STATE_SERIES},
            "pair": {name: [] for name in PAIR_SERIES},
        }
        self._trade: dict[str, list[np.ndarray]] = {name: [] for name in TRADE_SERIES}
        self._attraction: list[np.ndarray] = []
        # The first step's link strengths, of the active links only (most candidates are
        # dormant): their rows and their strengths.
        self._first_links: tuple[np.ndarray, np.ndarray] | None = None
        # Flat positions of the pairs i < j in an S×S matrix, for the symmetric series.
        s = world.n_states
        self._upper = np.ravel_multi_index(np.triu_indices(s, k=1), (s, s))

    def capture(self, step: int) -> None:
        """Keep this step's arrays; a step with a non-finite number keeps nothing, so every
        series stops at the same step (see `_check_finite`)."""
        w = self.world
        values: list[tuple[str, str, np.ndarray]] = []
        for group, registry in (
            ("actor", ACTOR_SERIES),
            ("state", STATE_SERIES),
            ("pair", PAIR_SERIES),
        ):
            for name, column in registry.items():
                value = column(w)
                values.append((group, name, value.take(self._upper) if group == "pair"
                               else value))
        values += [("matrix", "trade_usd", w.pairs.trade),
                   ("matrix", "attraction", w.pairs.attraction)]
        for group, name, value in values:
            self._check_finite(step, name, value, group)
        sample_regions = len(self.steps) % self.region_every == 0
        self.steps.append(step)
        if sample_regions:
            self._region_index[step] = len(self._region_index)
        head = self._first_region
        for group, name, value in values[:-2]:
            if group == "actor":
                if sample_regions:
                    self._regions[name].append(np.array(value[head:], copy=True))
                value = value[:head]
            self._keep(self._series[group][name], name, value)
        self._trade["trade_usd"].append(w.pairs.trade.copy())
        for name, value in cost_changes(w.pairs, self.trade_params).items():
            self._keep(self._trade[f"cost_{name}"], f"cost_{name}", value)
        self._attraction.append(w.pairs.attraction.copy())
        if self._first_links is None:  # the last step's are the world's own (links_table)
            active = np.flatnonzero(w.links.strength.any(axis=1))
            self._first_links = active, w.links.strength[active]

    def _check_finite(self, step: int, name: str, value: np.ndarray, group: str) -> None:
        """Stop the run at the first non-finite number it would record (NonFiniteState),
        naming the step, the series and the actor or pair. Link strengths are covered by
        their actors' totals (`link_strength`). One sum is the cheap test: it is finite when
        every term is, barring an overflow, which the search then rules out."""
        if value.dtype.kind != "f":
            return
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(value.sum()):
                return
        bad = np.flatnonzero(~np.isfinite(value.ravel()))
        if not len(bad):
            return
        ids, s = self.world.actors.ids, self.world.n_states
        first = int(bad[0])
        if group == "pair":
            first = int(self._upper[first])
        if group in ("pair", "matrix"):
            who = f"{ids[first // s]}–{ids[first % s]}"
        else:
            who = str(ids[first])
        raise NonFiniteState(step, name, who)

    @staticmethod
    def _keep(snapshots: list[np.ndarray], name: str, value: np.ndarray) -> None:
        """Append a copy of `value`, or the last snapshot again if a still series has not
        changed (snapshots are never written to, so sharing is safe)."""
        if name in STILL and snapshots and np.array_equal(snapshots[-1], value):
            snapshots.append(snapshots[-1])
        else:
            snapshots.append(np.array(value, copy=True))

    def trade(self, index: int) -> np.ndarray:
        """The S×S trade matrix of the index-th recorded step (negative counts from the end)."""
        return self._trade["trade_usd"][index]

    def actor(self, name: str, index: int) -> np.ndarray:
        """A per-actor series at the index-th recorded step (negative counts from the end); its
        regions' rows need a step at which they were kept (every step, by default)."""
        return np.concatenate([self._series["actor"][name][index], self._region_rows(name, index)])

    def _region_rows(self, name: str, index: int) -> np.ndarray:
        step = self.steps[index]
        if step not in self._region_index:
            raise ValueError(f"the regions' {name} was recorded every {self.region_every} "
                             f"steps, not at step {step}")
        return self._regions[name][self._region_index[step]]

    def _actor_rows(self, name: str, index: int, rows: np.ndarray) -> np.ndarray:
        head = self._series["actor"][name][index]
        if not len(rows) or rows.max() < self._first_region:
            return head[rows]
        regions = self._region_rows(name, index)
        if rows.min() >= self._first_region:
            return regions[rows - self._first_region]
        return np.concatenate([head, regions])[rows]

    def state(self, name: str, index: int) -> np.ndarray:
        """A per-state series at the index-th recorded step (negative counts from the end)."""
        return self._series["state"][name][index]

    def history(self, group: str, name: str, rows: np.ndarray | slice = slice(None)
                ) -> np.ndarray:
        """A series over every recorded step, shape (steps, rows): group is "actor", "state"
        or "pair" (then rows index the pairs i < j in the order of np.triu_indices)."""
        if group == "actor":
            index = np.arange(len(self.world.actors))[rows]
            return np.stack([self._actor_rows(name, k, index) for k in range(len(self.steps))])
        return np.stack([snapshot[rows] for snapshot in self._series[group][name]])

    def trade_history(self, name: str, exporter: np.ndarray, importer: np.ndarray
                      ) -> np.ndarray:
        """A directed pair series (`TRADE_SERIES`) over every recorded step, shape
        (steps, pairs), for the flows exporter[k] → importer[k]."""
        return np.stack([snapshot[exporter, importer] for snapshot in self._trade[name]])

    # ---------------------------------------------------------------- tables

    def actors_table(self) -> pa.Table:
        """Static attributes of every actor, one row each."""
        a = self.world.actors
        return pa.table(
            {
                "actor": a.ids,
                "name": a.names,
                "kind": pa.DictionaryArray.from_arrays(a.kind.astype(np.int8), list(KIND_NAMES)),
                "state": a.ids[a.state],
                "is_capital": a.is_capital,
                "lat": a.lat,
                "lon": a.lon,
                "population": a.population,
            }
        )

    def _long(self, n: int, ids: np.ndarray, key: str, group: str) -> dict:
        rows = np.tile(np.arange(n, dtype=np.int32), len(self.steps))
        columns = {
            "step": np.repeat(np.asarray(self.steps, dtype=np.int32), n),
            key: pa.DictionaryArray.from_arrays(rows, ids),
        }
        for name, snapshots in self._series[group].items():
            columns[name] = np.concatenate(snapshots) if snapshots else np.zeros(0)
        return columns

    def actor_steps_table(self) -> pa.Table:
        """Long table: one row per recorded step and actor (regions only at the steps they were
        kept, and at the last recorded step)."""
        n, head = len(self.world.actors), self._first_region
        regions = {name: list(snapshots) for name, snapshots in self._regions.items()}
        region_steps = list(self._region_index)
        if self.steps and region_steps[-1] != self.steps[-1]:
            # The world holds the last recorded step's values: nothing moves them between the
            # end of a step (`capture`) and the next.
            region_steps.append(self.steps[-1])
            for name, column in ACTOR_SERIES.items():
                regions[name].append(column(self.world)[head:])
        sampled = set(region_steps)
        width = np.array([n if step in sampled else head for step in self.steps], dtype=np.int64)
        rows = np.concatenate([np.arange(k, dtype=np.int32) for k in width]) if self.steps \
            else np.zeros(0, dtype=np.int32)
        columns = {
            "step": np.repeat(np.asarray(self.steps, dtype=np.int32), width),
            "actor": pa.DictionaryArray.from_arrays(rows, self.world.actors.ids),
        }
        for name, snapshots in self._series["actor"].items():
            parts, k = [], 0
            for step, snapshot in zip(self.steps, snapshots, strict=True):
                parts.append(snapshot)
                if step in sampled:
                    parts.append(regions[name][k])
                    k += 1
            columns[name] = np.concatenate(parts) if parts else np.zeros(0)
        columns["activity"] = pa.DictionaryArray.from_arrays(
            columns["activity"].astype(np.int8), list(ACTIVITY_NAMES)
        )
        return pa.table(columns)

    def state_steps_table(self) -> pa.Table:
        """Long table: one row per recorded step and state."""
        s = self.world.n_states
        columns = self._long(s, self.world.actors.ids[:s], "state", "state")
        columns["digital_stage"] = pa.DictionaryArray.from_arrays(
            columns["digital_stage"].astype(np.int8), list(STAGE_NAMES)
        )
        return pa.table(columns)

    def trade_table(self) -> pa.Table:
        """Long table of bilateral flows between different states, one row per step and pair."""
        s = self.world.n_states
        i, j = np.nonzero(~np.eye(s, dtype=bool))
        return self._pairs_table(i, j, "exporter", "importer", self._trade)

    def relations_table(self) -> pa.Table:
        """Long table of unordered pairs of states (i < j): relations and their drivers."""
        i, j = np.triu_indices(self.world.n_states, k=1)
        series = dict(self._series["pair"])
        series["attraction_ab"] = [m[i, j] for m in self._attraction]  # pull of a on b's public
        table = self._pairs_table(i, j, "state_a", "state_b", series, indexed=True)
        attraction_ba = [m[j, i] for m in self._attraction]
        return table.append_column(
            "attraction_ba", pa.array(np.concatenate(attraction_ba) if attraction_ba else [])
        )

    def _pairs_table(self, i, j, first: str, second: str, series: dict,
                     indexed: bool = False) -> pa.Table:
        """A long table of the pairs (i, j): each series' snapshots are S×S matrices, or, if
        `indexed`, already the values of those pairs in order."""
        ids = self.world.actors.ids[: self.world.n_states]
        t = len(self.steps)
        columns = {
            "step": np.repeat(np.asarray(self.steps, dtype=np.int32), len(i)),
            first: pa.DictionaryArray.from_arrays(np.tile(i.astype(np.int32), t), ids),
            second: pa.DictionaryArray.from_arrays(np.tile(j.astype(np.int32), t), ids),
        }
        for name, snapshots in series.items():
            values = snapshots if indexed else [m[i, j] for m in snapshots]
            columns[name] = np.concatenate(values) if values else np.zeros(0)
        return pa.table(columns)

    def links_table(self) -> pa.Table:
        """Every link (and dormant candidate) at the first and the last recorded step."""
        links, ids = self.world.links, self.world.actors.ids
        which = [0, len(self.steps) - 1] if len(self.steps) > 1 else [0]
        e = len(links)
        edge = np.tile(np.arange(e, dtype=np.int32), len(which))
        columns = {
            "step": np.repeat(np.asarray([self.steps[k] for k in which], dtype=np.int32), e),
            "a": pa.DictionaryArray.from_arrays(np.tile(links.ends[:, 0], len(which)), ids),
            "b": pa.DictionaryArray.from_arrays(np.tile(links.ends[:, 1], len(which)), ids),
            "kind": pa.DictionaryArray.from_arrays(links.kind[edge], list(LINK_KINDS)),
        }
        # Links an agreement added mid-run come last; they had no strength at the first step.
        first = np.zeros((e, len(CHANNELS)))
        rows, values = self._first_links
        first[rows] = values
        # The last recorded step's strengths are the world's: nothing moves them between the
        # end of a step (`capture`) and the next step.
        snapshots = [first, links.strength][: len(which)]
        strength = np.concatenate(snapshots) if e else np.zeros((0, len(CHANNELS)))
        for c, name in enumerate(CHANNELS):
            columns[name] = strength[:, c]
        return pa.table(columns)
