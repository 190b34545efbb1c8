"""Tables the app shows: the soft-power ranking, regions' activity by state, and one actor's
values (pure functions: a model in, a DataFrame or a dict out)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import GeoModel
from sim.compare import Comparison, soft_power_rank
from sim.compare_report import shown_rows
from sim.recording import ACTIVITY_NAMES, PILLARS, STAGE_NAMES
from sim.world import CITY, KIND_NAMES, REGION, STATE
from viz.focus import in_view, scenario_focus


def soft_power_ranking(model: GeoModel) -> pd.DataFrame:
    """States by soft power now, with its six pillars and reputation; once the user has acted,
    the rank the same seed's run without their events gives, and the change."""
    world, s = model.world, model.world.n_states
    nations = world.nations
    table = pd.DataFrame({
        "rank": soft_power_rank(nations.soft_power),
        "state": [str(world.actors.names[k]) for k in range(s)],
        "soft power": nations.soft_power.round(3),
        **{name: nations.pillars[:, k].round(3) for k, name in enumerate(PILLARS)},
        "reputation": nations.reputation.round(3),
    })
    baseline = getattr(model, "baseline", None)
    if baseline is not None:
        without = f"rank {model.baseline_label}"
        table[without] = soft_power_rank(baseline.world.nations.soft_power)
        table["rank change"] = table[without] - table["rank"]
    return table.sort_values("rank", kind="stable").reset_index(drop=True)


TOP_STATES = 20  # rows of the activity table without a scenario focus


def activity_by_state(model: GeoModel, top: int | None = None) -> pd.DataFrame:
    """Each state's regions by international-activity class now (paper 002's classes), the
    states with the most leading, then active, regions first. With a scenario focus, every
    focus state (and every state the user's events name) that has regions; without one, the
    `TOP_STATES` first. `top` caps the rows."""
    actors = model.world.actors
    regions = np.flatnonzero(actors.kind == REGION)
    s = model.world.n_states
    counts = np.zeros((s, len(ACTIVITY_NAMES)), dtype=int)
    np.add.at(counts, (actors.state[regions], actors.activity[regions]), 1)
    table = pd.DataFrame(counts, columns=list(ACTIVITY_NAMES))
    table.insert(0, "state", actors.names[:s].astype(str))
    table = table[(counts.sum(axis=1) > 0) & in_view(model, np.arange(s))]
    order = np.lexsort((-table["active"].to_numpy(), -table["leading"].to_numpy()))
    if top is None:
        top = len(table) if len(scenario_focus(model)) else TOP_STATES
    return table.iloc[order].head(top).reset_index(drop=True)


def actor_values(model: GeoModel, row: int) -> dict[str, str]:
    """What the app shows about one actor when it is clicked or chosen."""
    world = model.world
    actors, nations = world.actors, world.nations
    state = int(actors.state[row])
    kind = int(actors.kind[row])
    values = {
        "name": str(actors.names[row]),
        "id": str(actors.ids[row]),
        "kind": KIND_NAMES[kind] + (" (capital)" if actors.is_capital[row] and kind == CITY
                                    else ""),
        "state": str(actors.names[state]),
        "population": f"{actors.population[row] / 1e6:,.2f} million",
        "GDP": f"US$ {actors.gdp[row] / 1e9:,.1f} bn",
        "bloc": str(int(nations.bloc[state])),
    }
    if kind == STATE:
        rank = soft_power_rank(nations.soft_power)
        trade = world.pairs.trade
        relations = world.pairs.relations[row].copy()
        relations[row] = np.nan
        values |= {
            "soft power": f"{nations.soft_power[row]:.3f} (rank {int(rank[row])})",
            "reputation": f"{nations.reputation[row]:.3f}",
            "technology": f"{nations.technology[row]:.3f}",
            "digital audience": f"{nations.audience[row]:,.0f} "
                                f"({STAGE_NAMES[int(nations.digital_stage[row])]})",
            "exports": f"US$ {(trade[row].sum() - trade[row, row]) / 1e9:,.1f} bn",
            "sanction exposure": f"{model.recorder.state('sanction_exposure', -1)[row]:.2f}",
        }
        if world.n_states > 1:
            best, worst = int(np.nanargmax(relations)), int(np.nanargmin(relations))
            values["best relations"] = f"{actors.names[best]} ({relations[best]:+.2f})"
            values["worst relations"] = f"{actors.names[worst]} ({relations[worst]:+.2f})"
    else:
        values["links' strength"] = f"{actors.link_strength[row]:.2f}"
        values["activity"] = ACTIVITY_NAMES[int(actors.activity[row])]
        if kind == CITY:
            values["diplomatic weight"] = f"{actors.diplomatic_weight[row]:.2f}"
    return values


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    """`geopol compare`'s rows (focus first, then the largest movers), rounded for reading."""
    rows = shown_rows(comparison)
    return pd.DataFrame({
        "outcome": rows["what"] + " (" + rows["unit"] + ")",
        "who": rows["key"] + np.where(rows["focus"], " *", ""),
        "without your events": rows["baseline"].round(3),
        "with them": rows["scenario"].round(3),
        "difference": rows["difference"].round(3),
        "band 5%": rows["low"].round(3),
        "band 95%": rows["high"].round(3),
    }).reset_index(drop=True)
