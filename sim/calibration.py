"""How well a scenario's starting world matches its data: each state's exports/GDP at step 0
against the World Bank's figure (docs/model.md, "Trade").

`geopol validate SCENARIO --calibration` prints it; a test holds it to its target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model import GeoModel

TOLERANCE = 0.05  # ±5 percentage points
TARGET = 0.9  # of the states with a figure


@dataclass(frozen=True)
class Calibration:
    """Exports/GDP per state, model against data, and the share within TOLERANCE."""

    table: pd.DataFrame  # one row per state
    within: int  # states with a figure within TOLERANCE
    with_data: int  # states with a figure (not an estimate)

    @property
    def share(self) -> float:
        return self.within / self.with_data if self.with_data else float("nan")

    @property
    def meets_target(self) -> bool:
        return self.with_data > 0 and self.share >= TARGET

    @property
    def misses(self) -> pd.DataFrame:
        return self.table[self.table.status == "miss"]


def calibration(model: GeoModel) -> Calibration:
    """The calibration of `model` at its current step (step 0 right after building it).

    Each row: the state's id and name, the model's exports/GDP, the data's (NaN if none), the
    difference in percentage points, and a status: `within` or `miss` (a figure the model is
    more than TOLERANCE away from), `estimated` (the scenario's figure is an estimate, not the
    World Bank's), `no data`; with the reason for a miss.
    """
    world = model.world
    s = world.n_states
    gdp = world.actors.gdp[:s]
    flows = world.pairs.trade
    exported = (flows.sum(axis=1) - np.diag(flows)) / gdp
    data = world.nations.exports_share
    estimated = np.array([st.exports_estimated for st in model.setup.spec.states]
                         if model.setup.spec.states else np.zeros(s, dtype=bool))
    cap = model.params.trade.export_share_cap
    diff = exported - data
    status, reason = [], []
    for k in range(s):
        if np.isnan(data[k]):
            status.append("no data")
            reason.append(f"calibrated to trade.openness ({model.params.trade.openness:g})")
        elif estimated[k]:
            status.append("estimated")
            reason.append("the scenario's figure is an estimate")
        elif abs(diff[k]) <= TOLERANCE:
            status.append("within")
            reason.append("")
        else:
            status.append("miss")
            reason.append(f"above trade.export_share_cap ({cap:g})" if data[k] > cap
                          else "the calibration did not converge")
    table = pd.DataFrame({
        "state": world.actors.ids[:s],
        "name": world.actors.names[:s],
        "model": exported,
        "data": data,
        "difference_pp": 100.0 * diff,
        "status": status,
        "reason": reason,
    })
    counted = table.status.isin(("within", "miss"))
    return Calibration(table=table, within=int((table.status == "within").sum()),
                       with_data=int(counted.sum()))
