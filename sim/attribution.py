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


def trade_change(
    trade: pd.DataFrame, state_steps: pd.DataFrame, gdp: pd.DataFrame,
    exporter: str, importer: str, start: int, end: int,
) -> pd.Series:
    """The change in ln X (exporter → importer) from `start` to `end`, by channel, in log
    points (100 × Δln X); the channels add up to the total.

    `gdp` holds the states' GDP by step (columns step, state, gdp_usd)."""
    flows = trade[(trade["exporter"].astype(str) == exporter)
                  & (trade["importer"].astype(str) == importer)].set_index("step")
    gdp = gdp.assign(state=gdp["state"].astype(str))
    y = gdp.pivot(index="step", columns="state", values="gdp_usd")
    resistance = state_steps.assign(state=state_steps["state"].astype(str))
    resistance = resistance.set_index(["step", "state"])

    def delta(frame: pd.DataFrame | pd.Series, column: str | None = None) -> float:
        values = frame if column is None else frame[column]
        return float(values.loc[end] - values.loc[start])

    log_y = np.log(y)
    incomes = (delta(log_y, exporter) + delta(log_y, importer)
               - delta(np.log(y.sum(axis=1))))
    third = -(
        np.log(resistance.loc[(end, exporter), "outward_resistance"])
        - np.log(resistance.loc[(start, exporter), "outward_resistance"])
        + np.log(resistance.loc[(end, importer), "inward_resistance"])
        - np.log(resistance.loc[(start, importer), "inward_resistance"])
    )
    parts = {
        "incomes": incomes,
        "sanctions": delta(flows, "cost_sanctions"),
        "customs facilitation": delta(flows, "cost_facilitation"),
        "paradiplomacy": delta(flows, "cost_paradiplomacy"),
        "third countries": float(third),
    }
    total = delta(np.log(flows["trade_usd"]))
    parts["other"] = total - sum(parts.values())
    return 100.0 * pd.Series({"total": total, **parts})


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
    tables = {name: pd.read_parquet(run_dir / f"{name}.parquet")
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
    trade = pd.DataFrame({
        f"{x}→{y}": trade_change(tables["trade"], tables["state_steps"], gdp, x, y, start, end)
        for x, y in ((a, b), (b, a))
    })
    return relations, trade, start, end
