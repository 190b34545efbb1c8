"""What `geopol compare` prints and writes: the outcome table, why relations and trade moved,
and a comparison directory (CSV, Parquet, PNG plots, manifest), written atomically."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table

from sim.attribution import RELATION_CHANNELS, TRADE_CHANNELS
from sim.compare import BAND, OUTCOMES, Comparison
from sim.output import staged_dir, stamped_dir, versions, write_json, write_table

# What the tables print: each arm's median, and the median of the paired differences with its
# band; the two need not agree, as the note says.
HEADINGS = (("outcome", "left"), ("who", "left"), ("baseline: median", "right"),
            ("scenario: median", "right"), ("paired difference: median", "right"),
            (f"its {BAND[0]}–{BAND[1]}% band", "right"), ("change", "right"))
PAIRED_NOTE = (
    "Baseline and scenario: the median over replicates of each arm. Paired difference: "
    "scenario − baseline in each replicate (both runs with one seed), then its median and "
    f"{BAND[0]}th–{BAND[1]}th percentiles; the median of differences need not equal the "
    "difference of medians (medians of 14 and 10 in the two arms can come with a median "
    "paired difference of 0, when most pairs move together)."
)
FOCUS_ROWS = 6  # per outcome, the focus keys that moved most
OTHER_ROWS = 3  # per outcome, the other keys that moved most
FORMATS = {
    "trade": "{:,.1f}",
    "exports": "{:,.1f}",
    "relations": "{:+.3f}",
    "soft_power_rank": "{:.0f}",
    "regional_links": "{:.3f}",
}
DIFFERENCE_FORMATS = {
    "trade": "{:+,.1f}",
    "exports": "{:+,.1f}",
    "relations": "{:+.3f}",
    "soft_power_rank": "{:+.1f}",  # a median of rank differences may be a half
    "regional_links": "{:+.3f}",
}


def default_dir(scenario: str, baseline: str, root: Path = Path("runs")) -> Path:
    return stamped_dir(f"compare-{scenario}-vs-{baseline}", root)


def shown_rows(comparison: Comparison) -> pd.DataFrame:
    """The rows the printed table shows: per outcome, the focus keys that moved most, then the
    other keys that moved most (by the size of the median difference)."""
    parts = []
    for name in OUTCOMES:
        rows = comparison.summary[comparison.summary["outcome"] == name]
        rows = rows.assign(size=rows["difference"].abs()).sort_values("size", ascending=False)
        moved = rows[rows["size"] > 0]
        parts.append(moved[moved["focus"]].head(FOCUS_ROWS))
        parts.append(moved[~moved["focus"]].head(OTHER_ROWS))
    return pd.concat(parts).drop(columns="size")


def print_comparison(console: Console, comparison: Comparison) -> None:
    c = comparison
    title = (f"{c.scenario} against {c.baseline}: {c.replicates} paired replicates (seed {c.seed}),"
             f" {c.steps} steps, {c.dates[0]} to {c.dates[-1]}")
    table = Table(title=title, caption=(
        f"Values at {c.dates[-1]}. {PAIRED_NOTE} "
        f"Focus (*): {', '.join(c.focus) or 'none'} (named by the scenario's events or "
        f"--focus)."
    ))
    for column, justify in HEADINGS:
        table.add_column(column, justify=justify)
    shown = shown_rows(c)
    last = None
    for row in shown.itertuples():
        fmt, diff = FORMATS[row.outcome], DIFFERENCE_FORMATS[row.outcome]
        what = f"{row.what} ({row.unit})" if row.outcome != last else ""
        change = (f"{100 * row.difference / abs(row.baseline):+.1f}%"
                  if row.outcome in ("trade", "exports") and row.baseline else "")
        table.add_row(
            what,
            f"{row.key}{' *' if row.focus else ''}",
            fmt.format(row.baseline),
            fmt.format(row.scenario),
            diff.format(row.difference),
            f"{diff.format(row.low)} … {diff.format(row.high)}",
            change,
            end_section=False,
        )
        last = row.outcome
    if shown.empty:
        table.add_row("no outcome differs between the scenario and the baseline", *[""] * 6)
    console.print(table)
    _print_asked(console, c)
    _print_decisions(console, c)
    _print_attribution(console, c)
    for note in c.notes:
        console.print(f"note: {note}", soft_wrap=True)


def _print_asked(console: Console, c: Comparison) -> None:
    """The outcomes asked for with --outcome, reduced per run, then compared pair by pair."""
    if c.asked.empty:
        return
    table = Table(title="Outcomes asked for (--outcome)", caption=(
        f"{PAIRED_NOTE} Higher: the share of replicates in which the scenario's run is above "
        "its baseline's."))
    for column, justify in (("outcome", "left"), ("reduced", "left"), *HEADINGS[2:6],
                            ("higher", "right")):
        table.add_column(column, justify=justify)
    for row in c.asked.itertuples():
        unit = f" ({row.unit})" if row.unit else ""
        table.add_row(f"{row.outcome}{unit}", row.reduce, _number(row.baseline),
                      _number(row.scenario), _number(row.difference, sign=True),
                      f"{_number(row.low, sign=True)} … {_number(row.high, sign=True)}",
                      f"{row.higher_share:.0%}")
    console.print(table)


def _number(value: float, sign: bool = False) -> str:
    """A value with about four significant figures, thousands separated."""
    size = abs(value)
    decimals = 0 if size >= 1000 else 1 if size >= 100 else 2 if size >= 10 else 3 if size >= 1 \
        else 4
    return f"{value:{'+' if sign else ''},.{decimals}f}"


def _print_decisions(console: Console, c: Comparison, limit: int = 12) -> None:
    """Who joined, who left and who answered, in how many replicates, against the baseline;
    grouped by action and by how often, so that a counter-sanction on 28 states is a line."""
    d = c.decisions
    if d.empty:
        return
    table = Table(title="What states decided: share of replicates, scenario (baseline)",
                  caption="Reasons per decision: each run's decisions table (geopol run).")
    for col in ("state", "action", "concerning", "scenario", "baseline", "median date"):
        table.add_column(col, justify="right" if col in ("scenario", "baseline") else "left")
    groups = d.groupby(["state", "action", "scenario_share", "baseline_share"], sort=False)
    for (state, action, share, base_share), rows in list(groups)[:limit]:
        others = sorted(rows["other"])
        step = round(float(rows["median_step"].median()))
        table.add_row(state, action, ", ".join(others[:10]) + (
            f" and {len(others) - 10} more" if len(others) > 10 else ""),
            f"{share:.0%}", f"{base_share:.0%}", c.dates[min(step + 1, len(c.dates) - 1)])
    console.print(table)


def _print_attribution(console: Console, c: Comparison) -> None:
    if c.attribution.empty:
        return
    for measure, channels, title, fmt, limit in (
        ("relations", list(RELATION_CHANNELS) + ["clipping"],
         "Why relations moved: change from the start, scenario − baseline, by channel", "{:+.3f}",
         6),
        ("trade, log points", list(TRADE_CHANNELS),
         ("Why trade moved: change in log points (≈ %) from the start, scenario − baseline, "
          "by channel"), "{:+.1f}", 8),
    ):
        rows = c.attribution[c.attribution["measure"] == measure]
        rows = rows.assign(size=rows["total"].abs()).sort_values("size", ascending=False)
        rows = rows[rows["size"] > 1e-9].head(limit)
        if rows.empty:
            continue
        used = [ch for ch in channels if rows[ch].abs().max() > 1e-9]
        table = Table(title=title, caption="Medians over replicates of paired differences; "
                      "the channels of one replicate add up to its total exactly.")
        table.add_column("pair")
        table.add_column("total", justify="right")
        for ch in used:
            table.add_column(ch, justify="right")
        for row in rows.to_dict("records"):
            table.add_row(row["pair"], fmt.format(row["total"]),
                          *[fmt.format(row[ch]) for ch in used])
        console.print(table)


def write_comparison(comparison: Comparison, out: Path, overwrite: bool = False) -> Path:
    """Tables (CSV and Parquet), plots of the differences over time, and a manifest."""
    c = comparison
    with staged_dir(out, overwrite) as staging:
        files = {}
        for name, frame in (("summary", c.summary), ("differences", c.differences),
                            ("attribution", c.attribution), ("decisions", c.decisions),
                            ("outcomes_asked", c.asked)):
            write_table(pa.Table.from_pandas(frame, preserve_index=False),
                        staging / f"{name}.parquet")
            frame.to_csv(staging / f"{name}.csv", index=False)
            files[name] = {"rows": len(frame), "columns": list(frame.columns)}
        (staging / "plots").mkdir()
        plots = [_plot(c, name, staging / "plots" / f"{name}.png") for name in OUTCOMES]
        plots += [_plot_asked(c, row, staging / "plots") for row in c.asked.itertuples()]
        write_json({
            "scenario": c.scenario,
            "baseline": c.baseline,
            "hashes": c.hashes,
            "replicates": c.replicates,
            "seed": c.seed,
            "seeds": "numpy SeedSequence(seed).spawn(replicates); one seed for both runs",
            "steps": c.steps,
            "dates": [c.dates[0], c.dates[-1]],
            "focus": c.focus,
            "band": list(BAND),
            "notes": c.notes,
            "outcomes_asked": c.asked["outcome"].tolist(),
            "files": {**files, "plots": [f"plots/{p}" for p in plots if p]},
            "versions": versions(),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }, staging / "manifest.json")
    return Path(out)


def _plot(c: Comparison, outcome: str, path: Path) -> str | None:
    """The difference over time of the keys that moved most (focus first), with bands."""
    keys = shown_rows(c)
    keys = keys[keys["outcome"] == outcome]["key"].tolist()[:FOCUS_ROWS]
    what, unit, _ = OUTCOMES[outcome]
    # A bare Figure draws with Agg and needs no display or global pyplot state.
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    dates = pd.to_datetime(pd.Series(c.dates))
    for key in keys:
        rows = c.differences[(c.differences["outcome"] == outcome)
                             & (c.differences["key"] == key)].sort_values("step")
        line, = ax.plot(dates, rows["difference"], label=key)
        ax.fill_between(dates, rows["low"], rows["high"], color=line.get_color(), alpha=0.2)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_title(f"{what}: {c.scenario} − {c.baseline}")
    ax.set_ylabel(f"difference ({unit})")
    if keys:
        ax.legend(loc="best", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no difference", ha="center", transform=ax.transAxes)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path.name


def _plot_asked(c: Comparison, row, folder: Path) -> str:
    """The paired difference of one outcome asked for, step by step, with its band."""
    rows = c.differences[(c.differences["outcome"] == row.outcome)
                         & (c.differences["key"] == "")].sort_values("step")
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    dates = pd.to_datetime(pd.Series(c.dates))
    line, = ax.plot(dates, rows["difference"], label="median")
    ax.fill_between(dates, rows["low"], rows["high"], color=line.get_color(), alpha=0.2,
                    label=f"{BAND[0]}–{BAND[1]}% band")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_title(f"{row.outcome}: {c.scenario} − {c.baseline}, paired by seed")
    ax.set_ylabel(f"difference ({row.unit})" if row.unit else "difference")
    ax.legend(loc="best", fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    path = folder / f"outcome-{re.sub(r'[^A-Za-z0-9_.-]+', '-', row.outcome)}.png"
    fig.savefig(path, dpi=100)
    return path.name
