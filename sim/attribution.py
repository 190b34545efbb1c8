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

import numpy as np
import pandas as pd

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
