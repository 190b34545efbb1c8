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
    relations(console, model)
    diplomacy(console, model)
    decisions(console, model)


def focus_rows(model: GeoModel, size: int = 20) -> np.ndarray:
    """The rows of the scenario's focus states, or of its `size` largest economies."""
    ids = list(model.world.actors.ids[: model.world.n_states])
    focus = model.setup.spec.scenario.focus
    if focus:
        return np.array([ids.index(state) for state in focus])
    return np.argsort(-model.world.actors.gdp[: model.world.n_states])[:size]


def _focus_name(model: GeoModel) -> str:
    return "the focus states" if model.setup.spec.scenario.focus else "the 20 largest economies"


def _among(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i < j in row order) among the given rows."""
    rows = np.sort(rows)
    a, b = np.triu_indices(len(rows), k=1)
    return rows[a], rows[b]


def trade_and_growth(console: Console, model: GeoModel) -> None:
    """Largest trade flows among the focus states and GDP change per state, start against end."""
    recorder, world = model.recorder, model.world
    s = world.n_states
    ids = world.actors.names[:s]
    first, last = recorder.trade(0), recorder.trade(-1)
    both0, both1 = first + first.T, last + last.T  # trade in both directions
    i_up, j_up = _among(focus_rows(model))
    top = np.argsort(both1[i_up, j_up])[::-1][:10]
    among = _focus_name(model)
    start_date, end_date = model.date_of(recorder.steps[0]), model.date_of(recorder.steps[-1])
    flows = Table(title=f"Largest bilateral trade among {among}, US$ bn per year "
                        f"({start_date} → {end_date})")
    for col in ("partners", "start", "end", "change"):
        flows.add_column(col, justify="left" if col == "partners" else "right")
    for k in top:
        i, j = i_up[k], j_up[k]
        flows.add_row(f"{ids[i]} – {ids[j]}", f"{both0[i, j] / 1e9:,.1f}",
                      f"{both1[i, j] / 1e9:,.1f}", f"{both1[i, j] / both0[i, j] - 1:+.1%}")
    console.print(flows)

    gdp0 = recorder.actor("gdp_usd", 0)[:s]
    gdp1 = recorder.actor("gdp_usd", -1)[:s]
    rows = focus_rows(model)
    show = rows[np.argsort(-gdp1[rows])]
    table = Table(title=f"GDP of {among}, US$ bn ({start_date} → {end_date})")
    for col in ("state", "start", "end", "change"):
        table.add_column(col, justify="left" if col == "state" else "right")
    for i in show:
        table.add_row(ids[i], f"{gdp0[i] / 1e9:,.1f}", f"{gdp1[i] / 1e9:,.1f}",
                      f"{gdp1[i] / gdp0[i] - 1:+.1%}")
    if s > len(show):
        table.caption = f"{len(show)} of {s} states"
    console.print(table)



def relations(console: Console, model: GeoModel) -> None:
    """The coldest and the warmest relations among the focus states, start against end."""
    world, recorder = model.world, model.recorder
    names = world.actors.names[: world.n_states]
    i, j = _among(focus_rows(model))
    now = world.pairs.relations[i, j]
    upper = world.n_states * i - i * (i + 1) // 2 + (j - i - 1)  # position among pairs i < j
    start = recorder.history("pair", "relations", upper)[0]
    order = np.argsort(now)
    shown = [*order[:8], *order[::-1][:8]]
    among = _focus_name(model)
    table = Table(title=f"Relations among {among}: the coldest and the warmest (−1 to 1)")
    for col in ("pair", "start", "end", "change"):
        table.add_column(col, justify="left" if col == "pair" else "right")
    for k, pos in enumerate(shown):
        table.add_row(f"{names[i[pos]]} – {names[j[pos]]}", f"{start[pos]:+.2f}",
                      f"{now[pos]:+.2f}", f"{now[pos] - start[pos]:+.2f}",
                      end_section=k == 7)
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
    rank_now = np.argsort(order)
    focus = [i for i in focus_rows(model) if rank_now[i] >= 12] \
        if model.setup.spec.scenario.focus else []
    shown = [*order[:12], *sorted(focus, key=lambda i: rank_now[i])[:12]]
    for k, i in enumerate(shown):
        best = int(np.argmax(nations.pillars[i]))
        table.add_row(f"{rank_then[i] + 1}→{rank_now[i] + 1}", names[i],
                      f"{nations.soft_power[i]:.2f}",
                      f"{PILLARS[best]} {nations.pillars[i, best]:.2f}",
                      f"{nations.reputation[i]:.2f}", f"{nations.familiarity[i]:.2f}",
                      f"{nations.audience[i]:,.0f}", end_section=k == 11 and len(shown) > 12)
    table.caption = (f"the 12 highest of {s} states" + (", then the focus states below them"
                                                         if focus else ""))
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
    console.print(f"Blocs (communities of ties above {model.params.relations.bloc_threshold:g}, "
                  f"no hostile pair inside), {len(groups)} of two or more states and {alone} "
                  "states alone:", soft_wrap=True)
    for line in lines:
        console.print(line, soft_wrap=True)


def decisions(console: Console, model: GeoModel, shown: int = 20) -> None:
    """The states' decisions, a line per state, step and action (the others it concerns
    together); the reasons of each are in the run's decisions table."""
    log = model.decisions
    if not log:
        switches = model.params.decisions
        state = "on" if switches.coalitions or switches.retaliation else "off"
        console.print(f"Decisions ({state}): no state changed course.")
        return
    groups: dict[tuple[int, str, str], list] = {}
    for d in log:
        groups.setdefault((d.step, d.state, d.action), []).append(d)
    table = Table(title=f"Decisions: {len(log)} taken by states themselves"
                        + (f", the first {shown} lines" if len(groups) > shown else "")
                        + " (reasons: decisions.parquet)")
    for col in ("from", "state", "action", "concerning", "why"):
        table.add_column(col)
    for (step, state, action), rows in list(groups.items())[:shown]:
        others = sorted({d.other for d in rows})
        if len(rows) == 1:
            why = f"{rows[0].sanction}: {rows[0].reason}"
        else:
            utilities = [d.utility for d in rows]
            why = f"{len(rows)} decisions, utility {min(utilities):+.2f} to {max(utilities):+.2f}"
        shown_others = ", ".join(others[:8]) + (f" and {len(others) - 8} more"
                                                 if len(others) > 8 else "")
        table.add_row(model.date_of(step + 1).isoformat(), state, action, shown_others, why)
    console.print(table)
