"""The summary `geopol run` prints at the end of a run: trade, growth, soft power, diplomacy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.table import Table

from sim.recording import ACTIVITY_NAMES, PILLARS
from sim.world import CITY, REGION

if TYPE_CHECKING:
    from sim.model import GeoModel


def print_summary(console: Console, model: GeoModel) -> None:
    trade_and_growth(console, model)
    soft_power(console, model)
    diplomacy(console, model)


def trade_and_growth(console: Console, model: GeoModel) -> None:
    """Largest trade flows and GDP change per state, start against end."""
    recorder, world = model.recorder, model.world
    s = world.n_states
    ids = world.actors.names[:s]
    first, last = recorder.trade(0), recorder.trade(-1)
    both0, both1 = first + first.T, last + last.T  # trade in both directions
    i_up, j_up = np.triu_indices(s, k=1)
    top = np.argsort(both1[i_up, j_up])[::-1][:10]
    start_date, end_date = model.date_of(recorder.steps[0]), model.date_of(recorder.steps[-1])
    flows = Table(title=f"Largest bilateral trade, US$ bn per year ({start_date} → {end_date})")
    for col in ("partners", "start", "end", "change"):
        flows.add_column(col, justify="left" if col == "partners" else "right")
    for k in top:
        i, j = i_up[k], j_up[k]
        flows.add_row(f"{ids[i]} – {ids[j]}", f"{both0[i, j] / 1e9:,.1f}",
                      f"{both1[i, j] / 1e9:,.1f}", f"{both1[i, j] / both0[i, j] - 1:+.1%}")
    console.print(flows)

    gdp0 = recorder.actor("gdp_usd", 0)[:s]
    gdp1 = recorder.actor("gdp_usd", -1)[:s]
    show = np.argsort(gdp1)[::-1]
    table = Table(title=f"GDP per state, US$ bn ({start_date} → {end_date})")
    for col in ("state", "start", "end", "change"):
        table.add_column(col, justify="left" if col == "state" else "right")
    for i in show[:20]:
        table.add_row(ids[i], f"{gdp0[i] / 1e9:,.1f}", f"{gdp1[i] / 1e9:,.1f}",
                      f"{gdp1[i] / gdp0[i] - 1:+.1%}")
    if s > 20:
        table.caption = f"… and {s - 20} smaller states"
    console.print(table)



def soft_power(console: Console, model: GeoModel) -> None:
    """Soft-power ranking at the end, with its pillars and the digital audience."""
    world, recorder = model.world, model.recorder
    s, nations = world.n_states, world.nations
    names = world.actors.names[:s]
    start = recorder.state("soft_power", 0)
    rank_then = np.argsort(np.argsort(-start))
    order = np.argsort(-nations.soft_power)
    table = Table(title=f"Soft power at {model.date} (0–1; pillars in state_steps.parquet)")
    for col in ("rank", "state", "index", "strongest pillar", "reputation", "familiarity",
                "digital audience"):
        table.add_column(col, justify="left" if col in ("state", "strongest pillar") else "right")
    for rank, i in enumerate(order[:12], start=1):
        best = int(np.argmax(nations.pillars[i]))
        table.add_row(f"{rank_then[i] + 1}→{rank}", names[i], f"{nations.soft_power[i]:.2f}",
                      f"{PILLARS[best]} {nations.pillars[i, best]:.2f}",
                      f"{nations.reputation[i]:.2f}", f"{nations.familiarity[i]:.2f}",
                      f"{nations.audience[i]:,.0f}")
    if s > 12:
        table.caption = f"… and {s - 12} more states"
    console.print(table)


def diplomacy(console: Console, model: GeoModel) -> None:
    """Cities by diplomatic weight, the most active regions, and the blocs."""
    world = model.world
    actors, s = world.actors, world.n_states
    frame = model.datacollector.get_model_vars_dataframe()
    hosts = frame["summit_host"][frame["summit_host"] != ""]
    table = Table(title=f"City and regional diplomacy: {len(hosts)} summits or talks held, "
                        f"{int(frame['links_formed'].sum())} links formed, "
                        f"{int(frame['links_dissolved'].sum())} dissolved")
    for col in ("city", "weight", "hosted", "region", "activity", "links"):
        table.add_column(col, justify="left" if col in ("city", "region", "activity") else "right")
    cities = np.flatnonzero(actors.kind == CITY)
    cities = cities[np.argsort(-actors.diplomatic_weight[cities])][:8]
    regions = np.flatnonzero(actors.kind == REGION)
    regions = regions[np.argsort(-actors.link_strength[regions])][:8]
    counts = hosts.value_counts()
    for k in range(max(len(cities), len(regions))):
        city = [actors.names[cities[k]], f"{actors.diplomatic_weight[cities[k]]:.2f}",
                str(counts.get(actors.ids[cities[k]], 0))] if k < len(cities) else [""] * 3
        region = [actors.names[regions[k]], ACTIVITY_NAMES[actors.activity[regions[k]]],
                  f"{actors.link_strength[regions[k]]:.2f}"] if k < len(regions) else [""] * 3
        table.add_row(*city, *region)
    console.print(table)
    bloc = world.nations.bloc
    groups = [np.flatnonzero(bloc == b) for b in np.unique(bloc)]
    groups = sorted((g for g in groups if len(g) > 1), key=len, reverse=True)
    names = world.actors.ids[:s]
    lines = [f"  {', '.join(names[g])}" for g in groups[:6]]
    alone = sum(1 for b in np.unique(bloc) if (bloc == b).sum() == 1)
    console.print(f"Blocs (relations above {model.params.relations.bloc_threshold:g}), "
                  f"{len(groups)} of two or more states and {alone} states alone:")
    for line in lines:
        console.print(line, soft_wrap=True)
