"""Paired comparison of a scenario against a baseline: what changes, how surely, and why.

Replicate r runs both worlds with the same seed (spawned from one SeedSequence), so they draw
the same growth shocks, summits, link formations and incidents (the model keeps one random
stream per mechanism), and the difference isolates what the scenario changes. Outcomes and
their channels: docs/model.md, "Comparison" and "Attribution".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import attribution
from sim.errors import InputError, describe
from sim.model import NUMERIC_SERIES, GeoModel, spawned_seeds
from sim.scenario import Scenario, from_spec, load
from sim.selectors import (
    MEASURES,
    REDUCTIONS,
    Selector,
    SelectorError,
    after_step,
    parse,
    reduce,
    world_keys,
)

# Outcome → (what it is, its unit, whether it is per pair of states or per state).
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "trade": ("bilateral trade (both ways)", "US$ bn/yr", "pair"),
    "exports": ("total exports", "US$ bn/yr", "state"),
    "relations": ("relations", "[-1, 1]", "pair"),
    "soft_power_rank": ("soft-power rank (1 = first)", "rank", "state"),
    "regional_links": ("regional link strength", "Σ channels", "pair"),
}
BAND = (5, 95)


def soft_power_rank(soft_power: np.ndarray) -> np.ndarray:
    """Each state's rank by soft power, 1 for the first (ties in row order)."""
    rank = np.empty(len(soft_power), dtype=int)
    rank[np.argsort(-soft_power, kind="stable")] = np.arange(1, len(soft_power) + 1)
    return rank


def outcomes(model: GeoModel) -> dict[str, np.ndarray]:
    """The main outcomes of the world as it is now: per state (S,) or per pair i < j."""
    world, s = model.world, model.world.n_states
    upper = np.triu_indices(s, k=1)
    trade = world.pairs.trade
    links = world.pairs.link_channels.sum(axis=0)
    return {
        "trade": ((trade + trade.T) / 1e9)[upper],
        "exports": (trade.sum(axis=1) - np.diag(trade)) / 1e9,
        "relations": world.pairs.relations[upper],
        "soft_power_rank": soft_power_rank(world.nations.soft_power).astype(float),
        "regional_links": ((links + links.T) / 2.0)[upper],
    }


def world_states(setup: Scenario) -> tuple[str, ...] | int:
    """The states of a scenario's world, in order: their ids, or a synthetic world's number."""
    size = setup.spec.synthetic
    return size.states if size is not None else tuple(state.id for state in setup.spec.states)


def _world(states: tuple[str, ...] | int) -> str:
    if isinstance(states, int):
        return f"a synthetic world of {states} states"
    return f"{len(states)} listed states"


def _difference(ours: tuple[str, ...] | int, theirs: tuple[str, ...] | int) -> str:
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs):
        k = next(k for k, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
        return f"{theirs[k]!r} where it has {ours[k]!r}"
    return _world(theirs)


@dataclass
class Comparison:
    """The result of `compare`: tables a planner reads, and what made them."""

    scenario: str
    baseline: str
    replicates: int
    seed: int
    steps: int
    dates: list[str]
    summary: pd.DataFrame  # one row per outcome and key, at the last step
    differences: pd.DataFrame  # median and band of the paired difference, per step
    attribution: pd.DataFrame  # relations and trade changes by channel, focus pairs
    focus: list[str]  # the states the scenario's events name
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # who joined, who answered
    asked: pd.DataFrame = field(default_factory=pd.DataFrame)  # the --outcome selectors, reduced
    notes: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)


def compare(
    scenario: str | Path | Scenario,
    baseline: str | Path | Scenario,
    *,
    replicates: int = 20,
    seed: int = 0,
    steps: int | None = None,
    params: dict | None = None,
    focus: list[str] | None = None,
    outcomes_asked: list[str] | None = None,
    reduction: str = "final",
    after: int | dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run `replicates` paired runs of both and summarise the differences (scenario − base).

    The baseline runs on the scenario's calendar (start date and step length), so that step t
    is the same date in both. `params` are flat overrides for both runs. The focus states
    (shown first, and whose pairs' changes are attributed) are those the scenario's events
    name, plus `focus`. `outcomes_asked` are selectors (`trade[KAZ,CHN]`, `exports[EU]`,
    sim/selectors.py), each reduced per run by `reduction` (from `after`, for the `*_after`
    ones) and compared pair by pair. `progress(done, total)` is called after each run.
    """
    treated = scenario if isinstance(scenario, Scenario) else load(scenario)
    base = baseline if isinstance(baseline, Scenario) else load(baseline)
    ours, theirs = world_states(treated), world_states(base)
    if ours != theirs:  # their outcomes could not be paired state by state
        raise InputError(base.path or base.name, "states",
                         f"the states of {treated.name} in its order ({_world(ours)})",
                         f"{_difference(ours, theirs)}: the worlds differ")
    notes = []
    meta, base_meta = treated.spec.scenario, base.spec.scenario
    if (meta.start, meta.step_months) != (base_meta.start, base_meta.step_months):
        notes.append(
            f"the baseline {base.name} runs on the scenario's calendar: from {meta.start} in "
            f"steps of {meta.step_months} months (its own: from {base_meta.start}, "
            f"{base_meta.step_months} months)"
        )
        dated = base_meta.model_copy(update={"start": meta.start, "step_months": meta.step_months})
        base = from_spec(base.spec.model_copy(update={"scenario": dated}))
    steps = steps or meta.steps
    params = params or {}
    asked = _check_asked(treated, outcomes_asked or [], reduction, after, steps)
    first = after_step(after, reduction, meta.start, meta.step_months, steps) if asked else 0
    seeds = spawned_seeds(np.random.SeedSequence(seed), replicates)

    series: dict[str, dict[str, list[np.ndarray]]] = {"base": {}, "treated": {}}
    asked_values: dict[str, list[np.ndarray]] = {"base": [], "treated": []}  # (T + 1, A) a run
    changes: list[pd.DataFrame] = []
    decided: list[dict] = []
    model = None
    extra = list(focus or [])
    states = {s.id for s in treated.spec.states}
    for k, state in enumerate(extra):
        if states and state not in states:
            raise InputError("--focus", f"[{k}]", f"a state of {treated.name}", describe(state))
    for r, run_seed in enumerate(seeds):
        for arm, setup in (("treated", treated), ("base", base)):
            model = GeoModel(scenario=setup, rng=run_seed, **params)
            if arm == "treated":
                named = _focus(model, base.spec.events)
                focus = named + [state for state in extra if state not in named]
            read = [selector.bind(model) for selector in asked]
            history = [outcomes(model)]
            values = [[f() for f in read]]
            for _ in range(steps):
                model.step()
                history.append(outcomes(model))
                values.append([f() for f in read])
            asked_values[arm].append(np.array(values).reshape(steps + 1, len(asked)))
            for name in OUTCOMES:
                series[arm].setdefault(name, []).append(np.stack([h[name] for h in history]))
            changes.append(_changes(model, steps, r, arm, focus))
            decided += [{"replicate": r, "arm": arm, "step": d.step, "state": d.state,
                         "action": d.action, "other": d.other} for d in model.decisions]
            if progress is not None:
                progress(2 * r + (arm == "base") + 1, 2 * replicates)

    ids = [str(i) for i in model.world.actors.ids[: model.world.n_states]]
    keys = _keys(ids)
    dates = [model.date_of(t).isoformat() for t in range(steps + 1)]
    summary, differences = _summaries(series, keys, dates)
    asked_table, asked_over_time = _asked(asked, asked_values, reduction, first, after, dates)
    differences = pd.concat([differences, asked_over_time], ignore_index=True)
    return Comparison(
        scenario=treated.name,
        baseline=base.name,
        replicates=replicates,
        seed=seed,
        steps=steps,
        dates=dates,
        summary=_mark_focus(summary, focus),
        differences=differences,
        attribution=_attribution_table(pd.concat(changes, ignore_index=True)),
        focus=focus,
        decisions=decision_table(pd.DataFrame(decided), replicates),
        asked=asked_table,
        notes=notes,
        hashes={"scenario": treated.content_hash, "baseline": base.content_hash},
    )


def _check_asked(setup: Scenario, texts: list[str], reduction: str,
                 after: int | dt.date | None, steps: int) -> list[Selector]:
    """The selectors asked for, checked against the scenario's states and groups, with the
    reduction and its `after`; bad ones are InputErrors naming the option."""
    states, groups = world_keys(setup.spec)
    meta = setup.spec.scenario
    out = []
    for k, text in enumerate(texts):
        try:
            selector = parse(text, NUMERIC_SERIES)
            selector.check(states, groups)
        except SelectorError as exc:
            raise InputError("--outcome", f"[{k}]", exc.expected, exc.found) from None
        out.append(selector)
    if reduction not in REDUCTIONS:
        raise InputError("--reduce", reduction, f"a reduction ({', '.join(REDUCTIONS)})",
                         describe(reduction))
    try:
        after_step(after, reduction, meta.start, meta.step_months, steps)
    except SelectorError as exc:
        raise InputError("--after", str(after), exc.expected, exc.found) from None
    return out


def _asked(asked: list[Selector], values: dict[str, list[np.ndarray]], reduction: str,
           first: int, after: int | dt.date | None, dates: list[str]
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per selector asked for: the median of each arm's reduced values, the median of the
    paired differences and its band; and the paired differences step by step."""
    columns = ["outcome", "what", "unit", "reduce", "baseline", "scenario", "difference", "low",
               "high", "higher_share"]
    if not asked:
        return pd.DataFrame(columns=columns), pd.DataFrame()
    base, treated = np.stack(values["base"]), np.stack(values["treated"])  # (R, T + 1, A)
    rows, over_time = [], []
    how = reduction if after is None else f"{reduction} {after}"
    for k, selector in enumerate(asked):
        b = np.array([reduce(run[:, k], reduction, first) for run in base])
        t = np.array([reduce(run[:, k], reduction, first) for run in treated])
        low, mid, high = np.percentile(t - b, [BAND[0], 50, BAND[1]])
        what = MEASURES[selector.measure][0] if selector.keys else "world series"
        rows.append({"outcome": selector.text, "what": what, "unit": selector.unit,
                     "reduce": how, "baseline": float(np.median(b)),
                     "scenario": float(np.median(t)), "difference": float(mid),
                     "low": float(low), "high": float(high),
                     "higher_share": float(np.mean(t > b))})
        step_low, step_mid, step_high = np.percentile(treated[:, :, k] - base[:, :, k],
                                                      [BAND[0], 50, BAND[1]], axis=0)
        over_time.append(pd.DataFrame({"outcome": selector.text, "key": "",
                                       "step": np.arange(len(dates)), "date": dates,
                                       "difference": step_mid, "low": step_low,
                                       "high": step_high}))
    return pd.DataFrame(rows, columns=columns), pd.concat(over_time, ignore_index=True)


def decision_table(decided: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """Each (state, action, other) the states decided: the share of replicates in which it
    happened in the scenario and in the baseline, and the median step it happened at (in the
    scenario, else the baseline); the most frequent in the scenario first."""
    columns = ["state", "action", "other", "scenario_share", "baseline_share", "median_step"]
    if decided.empty:
        return pd.DataFrame(columns=columns)
    keys = ["state", "action", "other"]
    share = (decided.drop_duplicates([*keys, "arm", "replicate"])
             .groupby([*keys, "arm"]).size().unstack("arm", fill_value=0) / replicates)
    for arm in ("treated", "base"):
        if arm not in share:
            share[arm] = 0.0
    first = decided.sort_values("step").drop_duplicates([*keys, "arm", "replicate"])
    when = first.groupby([*keys, "arm"])["step"].median().unstack("arm")
    step = when.get("treated", pd.Series(dtype=float)).reindex(share.index)
    step = step.fillna(when.get("base", pd.Series(dtype=float)).reindex(share.index))
    table = pd.DataFrame({"scenario_share": share["treated"], "baseline_share": share["base"],
                          "median_step": step}).reset_index()
    table = table.sort_values(["scenario_share", "baseline_share", "state"],
                              ascending=[False, True, True], kind="stable")
    return table[columns].reset_index(drop=True)


def _keys(ids: list[str]) -> dict[str, list[str]]:
    i, j = np.triu_indices(len(ids), k=1)
    return {"state": ids, "pair": [f"{ids[a]}–{ids[b]}" for a, b in zip(i, j, strict=True)]}


def _focus(model: GeoModel, baseline_events: list) -> list[str]:
    """The states the scenario's own events name (directly, or through their cities and
    regions): its events that the baseline does not have too (both may extend a world with a
    timeline of its own)."""
    rows: set[int] = set()
    for item in model.timeline:
        if item.event in baseline_events:
            continue
        for named in item.rows.values():
            rows.update(int(model.world.actors.state[r]) for r in named)
    return [str(model.world.actors.ids[r]) for r in sorted(rows)]


def _summaries(
    series: dict[str, dict[str, list[np.ndarray]]], keys: dict[str, list[str]], dates: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    last, over_time = [], []
    for name, (what, unit, per) in OUTCOMES.items():
        base = np.stack(series["base"][name])  # (R, T + 1, K)
        treated = np.stack(series["treated"][name])
        diff = treated - base
        low, mid, high = np.percentile(diff, [BAND[0], 50, BAND[1]], axis=0)
        last.append(pd.DataFrame({
            "outcome": name,
            "what": what,
            "unit": unit,
            "key": keys[per],
            "baseline": np.median(base[:, -1], axis=0),
            "scenario": np.median(treated[:, -1], axis=0),
            "difference": mid[-1],
            "low": low[-1],
            "high": high[-1],
        }))
        t, k = np.meshgrid(np.arange(len(dates)), np.arange(len(keys[per])), indexing="ij")
        over_time.append(pd.DataFrame({
            "outcome": name,
            "key": np.array(keys[per])[k.ravel()],
            "step": t.ravel(),
            "date": np.array(dates)[t.ravel()],
            "difference": mid.ravel(),
            "low": low.ravel(),
            "high": high.ravel(),
        }))
    return pd.concat(last, ignore_index=True), pd.concat(over_time, ignore_index=True)


def _mark_focus(summary: pd.DataFrame, focus: list[str]) -> pd.DataFrame:
    parts = summary["key"].str.split("–")
    summary["focus"] = parts.map(lambda p: all(x in focus for x in p)) if focus else False
    return summary


def _changes(
    model: GeoModel, steps: int, replicate: int, arm: str, focus: list[str]
) -> pd.DataFrame:
    """Relations and trade changes from step 0 to the end, by channel, for the pairs among the
    focus states (both directions of trade)."""
    frame = attribution.changes_among(model.recorder, focus, 0, steps)
    frame.insert(0, "arm", arm)
    frame.insert(0, "replicate", replicate)
    return frame


def _attribution_table(changes: pd.DataFrame) -> pd.DataFrame:
    """Median over replicates of each channel's contribution, scenario, baseline and their
    difference (the differences of medians need not add up; the median of differences of
    exact decompositions is what is shown)."""
    if changes.empty:
        return changes
    channels = [c for c in changes.columns if c not in ("replicate", "arm", "measure", "pair")]
    wide = changes.pivot_table(index=["replicate", "measure", "pair"], columns="arm",
                               values=channels)
    diff = pd.DataFrame({c: wide[(c, "treated")] - wide[(c, "base")] for c in channels})
    out = diff.groupby(level=["measure", "pair"]).median().reset_index()
    return out[["measure", "pair", *channels]]
