"""The Why? tab: the model's own account of a change, as sentences with numbers, and the log of
what happened when.

For a pair of states: the change in their relations split by channel, and in each direction's
exports (`sim.attribution.changes_among`, the same exact sums as `geopol explain`). For one
state: the change in its soft power split by pillar (the index is the pillars' mean, so their
changes add up to its change).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from sim.attribution import changes_among
from sim.events import label
from sim.recording import PILLARS
from viz.events_panel import listed
from viz.live import LiveModel
from viz.picker import Picker, named

SHOWN_BELOW = {"relations": 0.005, "trade, log points": 0.05, "soft power": 0.0005}
RELATION_PARTS = ("soft power", "trade", "summits", "paradiplomacy", "sanctions", "shocks",
                  "drift to baseline", "clipping")
TRADE_PARTS = ("incomes", "sanctions", "customs facilitation", "paradiplomacy",
               "third countries", "other")


def _signed(value: float, decimals: int) -> str:
    """A number with its sign, and a true minus."""
    return f"{value:+.{decimals}f}".replace("-", "−")


def _parts(values: dict[str, float], smallest: float, decimals: int) -> str:
    """The parts of a change, largest first, those too small to show left out."""
    shown = sorted(((name, value) for name, value in values.items() if abs(value) >= smallest),
                   key=lambda part: -abs(part[1]))
    if not shown:
        return "no channel moved it by much"
    return ", ".join(f"{name} {_signed(value, decimals)}" for name, value in shown)


def _moved(change: float, decimals: int, unit: str = "") -> str:
    """"rose 0.12", "fell 3.4%", or "hardly moved" for a change that rounds to nothing."""
    if round(abs(change), decimals) == 0:
        return "hardly moved"
    return f"{'rose' if change > 0 else 'fell'} {abs(change):.{decimals}f}{unit}"


def pair_sentences(model: LiveModel, a: str, b: str, start: int) -> list[str]:
    """Why the relations of states a and b, and their trade each way, moved since `start`."""
    if start >= model.steps:
        return [f"Take a step past step {start} first."]
    names = _names(model)
    since = f"Since step {start} ({model.date_of(start)})"
    rows = changes_among(model.recorder, [a, b], start, model.steps)
    relations = rows[rows["measure"] == "relations"].iloc[0]
    parts = {name: float(relations[name]) for name in RELATION_PARTS}
    out = [(f"{since}, {names[a]}–{names[b]} relations {_moved(relations['total'], 2)}: "
           f"{_parts(parts, SHOWN_BELOW['relations'], 2)}.")]
    for pair, exporter, importer in ((f"{a}→{b}", a, b), (f"{b}→{a}", b, a)):
        trade = rows[(rows["measure"] == "trade, log points") & (rows["pair"] == pair)].iloc[0]
        percent = 100.0 * math.expm1(trade["total"] / 100.0)
        parts = {name: float(trade[name]) for name in TRADE_PARTS}
        out.append(f"{_possessive(names[exporter])} exports to {names[importer]} "
                   f"{_moved(percent, 1, '%')} ({_signed(trade['total'], 1)} log points): "
                   f"{_parts(parts, SHOWN_BELOW['trade, log points'], 1)}.")
    return out


def state_sentence(model: LiveModel, state: str, start: int) -> str:
    """Why a state's soft power moved since `start`: each pillar's change over six (the index
    is the pillars' mean)."""
    if start >= model.steps:
        return f"Take a step past step {start} first."
    row = _rows(model)[state]
    t0, t1 = model.recorder.steps.index(start), model.recorder.steps.index(model.steps)
    index = model.recorder.history("state", "soft_power", [row])[:, 0]
    parts = {name: float(np.diff(model.recorder.history("state", f"pillar_{name}",
                                                        [row])[[t0, t1], 0])[0]) / len(PILLARS)
             for name in PILLARS}
    return (f"Since step {start} ({model.date_of(start)}), {_possessive(_names(model)[state])} "
            "soft power "
            f"{_moved(index[t1] - index[t0], 3)} (from {index[t0]:.3f} to {index[t1]:.3f}): "
            f"{_parts(parts, SHOWN_BELOW['soft power'], 3)} (each pillar's change over six).")


def action_log(model: LiveModel) -> pd.DataFrame:
    """What happened when: the user's actions and the scenario's own events, by the step they
    act at, up to now."""
    rows = [{"step": step, "who": "you", "what": text}
            for step, text in model.actions if step <= model.steps]
    yours = {text for _, text in model.actions}
    rows += [{"step": item.at, "who": "scenario", "what": label(item.event)}
             for item in model.timeline
             if not item.decided and 0 < item.at <= model.steps and label(item.event) not in yours]
    table = pd.DataFrame(rows, columns=["step", "who", "what"]).sort_values(
        ["step", "who"], kind="stable")
    table.insert(1, "date", [model.date_of(step).isoformat() for step in table["step"]])
    return table.reset_index(drop=True)


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _rows(model: LiveModel) -> dict[str, int]:
    ids = model.world.actors.ids[: model.world.n_states]
    return {str(ident): k for k, ident in enumerate(ids)}


def _names(model: LiveModel) -> dict[str, str]:
    actors = model.world.actors
    return {str(actors.ids[k]): str(actors.names[k]) for k in range(model.world.n_states)}


@solara.component
def Why(model: LiveModel):
    update_counter.get()
    states = solara.use_memo(
        lambda: [str(i) for i in model.world.actors.ids[listed(
            model, np.arange(model.world.n_states))]], [model])
    items = solara.use_memo(lambda: named(model, states), [model])
    first = solara.use_reactive(states[0])
    second = solara.use_reactive(states[1] if len(states) > 1 else "")
    start = solara.use_reactive(0)
    with model.lock:
        steps = model.steps
        since = min(start.value, max(steps - 1, 0))
        if not second.value or second.value == first.value:
            sentences = [state_sentence(model, first.value, since)]
        else:
            sentences = pair_sentences(model, first.value, second.value, since)
        log = action_log(model)
    solara.v.Html(tag="h3", children=["Why did this change?"], class_="my-2")
    with solara.Row():
        Picker("State", items, first.value, first.set)
        Picker("…and state (none: that state's soft power)",
               [{"code": "", "name": "none"}, *items], second.value, second.set)
    solara.SliderInt(f"Since step {since} ({model.date_of(since)})", value=start, min=0,
                     max=max(steps - 1, 0), disabled=steps == 0)
    for sentence in sentences:
        solara.v.Html(tag="p", children=[sentence], class_="my-2 geopol-why")
    solara.v.Html(tag="h4", children=["What happened when"], class_="mt-4 mb-1")
    if log.empty:
        solara.Info("Nothing has happened yet: no event of yours or the scenario's has acted.",
                    dense=True)
    else:
        solara.DataFrame(log, items_per_page=15)
