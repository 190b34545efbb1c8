"""Why did a pair's relations or trade move? Exact decompositions by channel (docs/model.md,
"Attribution").

Relations: each step adds a term per channel, the pull to the baseline and any shock, then
clips to [−1, 1]; summed over the steps these add up to the change exactly:

    R(t1) − R(t0) = Σ_{t0 < t ≤ t1} (Σ_k term_k(t) + drift(t) + shock(t)) + clipping

Trade: structural gravity X_ij = Y_i·Y_j/Y_w · φ_ij/(a_i·b_j) is a product, so the change in
ln X_ij is a sum: incomes (Δln Y_i + Δln Y_j − Δln Y_w), the parts of ln φ_ij that events and
links move (sanctions, customs facilitation, paradiplomacy), and third countries, −Δln(a_i·b_j)
(multilateral resistance: trade diverted to or from other partners). What is left (fixed-point
tolerance) is reported as "other".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError, describe
from sim.output import read_parquet
from sim.recording import Recorder

# Relations: channel → column of the relations table.
RELATION_CHANNELS: dict[str, str] = {
    "soft power": "term_attraction",
    "trade": "term_interdependence",
    "summits": "term_summits",
    "paradiplomacy": "term_political_plus",
    "sanctions": "term_sanction",
    "shocks": "term_shock",
    "drift to baseline": "term_drift",
}
TRADE_CHANNELS: tuple[str, ...] = (
    "incomes", "sanctions", "customs facilitation", "paradiplomacy", "third countries", "other",
)


def relations_change(
    relations: pd.DataFrame, a: str, b: str, start: int, end: int
) -> pd.Series:
    """The change in relations of a and b from step `start` to `end`, by channel, with the
    total first and "clipping" last; the channels add up to the total exactly."""
    rows = _pair_rows(relations, a, b).set_index("step").sort_index()
    span = rows.loc[(rows.index > start) & (rows.index <= end)]
    total = float(rows.loc[end, "relations"] - rows.loc[start, "relations"])
    parts = {name: float(span[column].sum()) for name, column in RELATION_CHANNELS.items()}
    return pd.Series({"total": total, **parts, "clipping": total - sum(parts.values())})


class TradeTables:
    """The tables a trade attribution reads, indexed once for many pairs: flows and their
    cost parts by (exporter, importer, step), GDP by step and state, resistances by (step,
    state). `gdp` holds every state's GDP by step (columns step, state, gdp_usd): the world's
    total enters the incomes channel."""

    def __init__(self, trade: pd.DataFrame, state_steps: pd.DataFrame, gdp: pd.DataFrame) -> None:
        self.flows = trade.assign(exporter=trade["exporter"].astype(str),
                                  importer=trade["importer"].astype(str)
                                  ).set_index(["exporter", "importer", "step"]).sort_index()
        gdp = gdp.assign(state=gdp["state"].astype(str))
        self.log_y = np.log(gdp.pivot(index="step", columns="state", values="gdp_usd"))
        self.log_world = np.log(np.exp(self.log_y).sum(axis=1))
        self.resistance = state_steps.assign(state=state_steps["state"].astype(str)
                                             ).set_index(["step", "state"])


def trade_change(
    tables: TradeTables, exporter: str, importer: str, start: int, end: int
) -> pd.Series:
    """The change in ln X (exporter → importer) from `start` to `end`, by channel, in log
    points (100 × Δln X); the channels add up to the total."""
    flows = tables.flows.loc[(exporter, importer)]
    log_y, res = tables.log_y, tables.resistance

    def delta(values: pd.Series) -> float:
        return float(values.loc[end] - values.loc[start])

    incomes = delta(log_y[exporter]) + delta(log_y[importer]) - delta(tables.log_world)
    third = -(
        np.log(res.loc[(end, exporter), "outward_resistance"])
        - np.log(res.loc[(start, exporter), "outward_resistance"])
        + np.log(res.loc[(end, importer), "inward_resistance"])
        - np.log(res.loc[(start, importer), "inward_resistance"])
    )
    parts = {
        "incomes": incomes,
        "sanctions": delta(flows["cost_sanctions"]),
        "customs facilitation": delta(flows["cost_facilitation"]),
        "paradiplomacy": delta(flows["cost_paradiplomacy"]),
        "third countries": float(third),
    }
    total = delta(np.log(flows["trade_usd"]))
    parts["other"] = total - sum(parts.values())
    return 100.0 * pd.Series({"total": total, **parts})


def changes_among(recorder: Recorder, states: list[str], start: int, end: int
                  ) -> pd.DataFrame:
    """`relations_change` for every pair of `states` (in their order) and `trade_change` for
    both of its directions, from the recorder's arrays at once (the same sums, without a
    table per pair): one row per pair and measure, the channels as columns."""
    world = recorder.world
    s = world.n_states
    row = {str(ident): k for k, ident in enumerate(world.actors.ids[:s])}
    t0, t1 = recorder.steps.index(start), recorder.steps.index(end)
    pairs = [(a, b) for k, a in enumerate(states) for b in states[k + 1:]]
    if not pairs:
        return pd.DataFrame()
    a_rows = np.array([row[a] for a, _ in pairs])
    b_rows = np.array([row[b] for _, b in pairs])
    low, high = np.minimum(a_rows, b_rows), np.maximum(a_rows, b_rows)
    upper = low * s - low * (low + 1) // 2 + (high - low - 1)  # position among i < j

    def pair_series(name: str) -> np.ndarray:
        return recorder.history("pair", name, upper)

    relations = pair_series("relations")
    total = relations[t1] - relations[t0]
    parts = {name: pair_series(column)[t0 + 1: t1 + 1].sum(axis=0)
             for name, column in RELATION_CHANNELS.items()}
    rel = pd.DataFrame({"measure": "relations", "pair": [f"{a}–{b}" for a, b in pairs],
                        "total": total, **parts})
    rel["clipping"] = total - sum(parts.values())

    x = np.concatenate([a_rows, b_rows])
    y = np.concatenate([b_rows, a_rows])
    labels = [f"{a}→{b}" for a, b in pairs] + [f"{b}→{a}" for a, b in pairs]
    log_y = np.log(recorder.history("actor", "gdp_usd", slice(0, s)))
    log_world = np.log(np.exp(log_y).sum(axis=1))
    outward = np.log(recorder.history("state", "outward_resistance"))
    inward = np.log(recorder.history("state", "inward_resistance"))

    def change(values: np.ndarray) -> np.ndarray:
        return values[t1] - values[t0]

    trade = {
        "incomes": change(log_y[:, x]) + change(log_y[:, y]) - change(log_world),
        "sanctions": change(recorder.trade_history("cost_sanctions", x, y)),
        "customs facilitation": change(recorder.trade_history("cost_facilitation", x, y)),
        "paradiplomacy": change(recorder.trade_history("cost_paradiplomacy", x, y)),
        "third countries": -(change(outward[:, x]) + change(inward[:, y])),
    }
    flows = change(np.log(recorder.trade_history("trade_usd", x, y)))
    trade["other"] = flows - sum(trade.values())
    tra = pd.DataFrame({"measure": "trade, log points", "pair": labels, "total": 100.0 * flows,
                        **{name: 100.0 * value for name, value in trade.items()}})
    return pd.concat([rel, tra], ignore_index=True)


def _pair_rows(relations: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    first, second = relations["state_a"].astype(str), relations["state_b"].astype(str)
    return relations[((first == a) & (second == b)) | ((first == b) & (second == a))]


def explain_run(run_dir: Path, a: str, b: str, start: int | None = None,
                end: int | None = None) -> tuple[pd.Series, pd.DataFrame, int, int]:
    """Read a run directory and attribute the change in relations of a and b, and in their
    trade both ways, from `start` (default: the first step) to `end` (default: the last).
    Returns the relations change, the trade changes (a column per direction) and the steps."""
    run_dir = Path(run_dir)
    if not (run_dir / "manifest.json").is_file():
        raise InputError(run_dir, "manifest.json", "a finished run directory (geopol run)",
                         "no manifest.json")
    tables = {name: read_parquet(run_dir / f"{name}.parquet")
              for name in ("relations", "trade", "state_steps", "actor_steps")}
    states = set(tables["state_steps"]["state"].astype(str))
    for option, state in (("--pair[0]", a), ("--pair[1]", b)):
        if state not in states:
            raise InputError(run_dir, option, "a state of the run", describe(state))
    if a == b:
        raise InputError(run_dir, "--pair[1]", "a state other than the first", describe(b))
    steps = sorted(set(tables["relations"]["step"]))
    start = steps[0] if start is None else start
    end = steps[-1] if end is None else end
    if start not in steps or end not in steps or end <= start:
        raise InputError(run_dir, "--from/--to",
                         f"recorded steps {steps[0]} ≤ from < to ≤ {steps[-1]}",
                         f"{start} and {end}")
    gdp = tables["actor_steps"].rename(columns={"actor": "state"})
    gdp = gdp[gdp["state"].astype(str).isin(states)]
    relations = relations_change(tables["relations"], a, b, start, end)
    trade_tables = TradeTables(tables["trade"], tables["state_steps"], gdp)
    trade = pd.DataFrame({
        f"{x}→{y}": trade_change(trade_tables, x, y, start, end) for x, y in ((a, b), (b, a))
    })
    return relations, trade, start, end


def pair_decisions(run_dir: Path, a: str, b: str, start: int, end: int) -> pd.DataFrame:
    """The states' decisions of a run that concern a or b, taken from `start` up to `end`
    (in force by then): the pair's own first (one deciding about the other), then those of
    other states about either (joining a sanction on one diverts trade from the pair)."""
    path = Path(run_dir) / "decisions.parquet"
    if not path.is_file():
        return pd.DataFrame(columns=["step", "date", "state", "action", "other", "sanction",
                                     "utility", "reason"])
    log = read_parquet(path)
    log = log[(log["step"] >= start) & (log["step"] < end)]
    ends = log[["state", "other"]].astype(str)
    own = (ends["state"].isin([a, b]) & ends["other"].isin([a, b]))
    either = ends["state"].isin([a, b]) | ends["other"].isin([a, b])
    return pd.concat([log[own], log[either & ~own]], ignore_index=True)
