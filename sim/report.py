"""`geopol report DIR`: tables, sensitivity indices, plots and one static HTML page for a sweep
or a comparison directory, written to DIR/report/ (docs/sweeps.md)."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure

from sim.errors import InputError
from sim.output import read_manifest, read_parquet, staged_dir, write_table
from sim.selectors import column
from sim.sweep_spec import bounds_of, column_of

BAND = (5, 95)
CONFIDENCE = 0.95
FLAT = 1e-6  # a metric whose relative spread across the design is below this does not vary
WIDE = 0.5  # a Sobol index's 95% interval wider than this says little
TARGET = 0.1  # the half-width a warning's sample count aims at
# What a report reads from each kind of manifest.
SWEEP_KEYS = ("sweep", "scenario", "steps", "runs", "executor", "workers", "spec.sweep",
              "spec.parameters", "spec.metrics")
COMPARE_KEYS = ("scenario", "baseline", "replicates", "seed", "steps", "dates", "focus")


@dataclass(frozen=True)
class Report:
    page: Path  # DIR/report/index.html
    warnings: list[str]  # where the sensitivity indices mean little


def report(directory: Path) -> Report:
    """Write DIR/report/ for a sweep or a comparison directory; returns the HTML page's path
    and the warnings the page gives."""
    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(directory, "manifest.json",
                         "a sweep or comparison directory (geopol sweep, geopol compare)",
                         "no manifest.json")
    manifest = read_manifest(manifest_path)
    if "spec_hash" in manifest:
        require(manifest_path, manifest, SWEEP_KEYS)
        write_page = _sweep_report
    elif "baseline" in manifest:
        require(manifest_path, manifest, COMPARE_KEYS)
        write_page = _compare_report
    else:
        raise InputError(manifest_path, "", "the manifest of a sweep or a comparison", "neither")
    with staged_dir(directory / "report", overwrite=True) as staging:
        page, warnings = write_page(directory, manifest, staging)
        (staging / "index.html").write_text(page, encoding="utf-8")
    return Report(directory / "report" / "index.html", warnings)


def require(path: Path, manifest: dict, keys: tuple[str, ...]) -> None:
    """Fail on the first of `keys` (dotted paths) a manifest lacks: it is not what geopol wrote."""
    for key in keys:
        value = manifest
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                raise InputError(path, key, "the manifest geopol wrote", "no such key")
            value = value[part]


# ---------------------------------------------------------------- sweeps


def point_summary(runs: pd.DataFrame, names: list[str], metrics: list[str]) -> pd.DataFrame:
    """Per design point: its parameters, the number of successful replicates, and each metric's
    median and 5th–95th percentile band across them."""
    ok = runs[runs["error"].isna()]
    grouped = ok.groupby("point")
    out = grouped[names].first()
    out["replicates"] = grouped.size()
    for metric in metrics:
        values = grouped[metric]
        out[f"{metric}_median"] = values.median()
        out[f"{metric}_p{BAND[0]}"] = values.quantile(BAND[0] / 100)
        out[f"{metric}_p{BAND[1]}"] = values.quantile(BAND[1] / 100)
    return out.reset_index()


def sensitivity(manifest: dict, runs: pd.DataFrame, names: list[str], metrics: list[str]
                ) -> tuple[pd.DataFrame, str, list[str]]:
    """Sobol first-order and total indices, or Morris μ* and σ, with 95% confidence intervals,
    of each metric's mean over replicates at each design point. Returns the table, a note, and
    warnings where the indices mean little (`index_warnings`)."""
    sweep = manifest["spec"]["sweep"]
    design = sweep["design"]
    if design not in ("sobol", "morris"):
        return pd.DataFrame(), (f"A {design} design gives no sensitivity indices; use design "
                                f"sobol or morris for them."), []
    ok = runs[runs["error"].isna()]
    means = ok.groupby("point")[metrics].mean()
    n_points = int(runs["point"].max()) + 1 if len(runs) else 0
    expected = manifest["runs"] // sweep["replicates"]
    if len(means) < expected or n_points < expected:
        missing = expected - len(means)
        return pd.DataFrame(), (f"Sensitivity indices need every design point; {missing} of "
                                f"{expected} have no successful run."), []
    warnings: list[str] = []
    given = manifest["spec"]["parameters"]
    problem = {"num_vars": len(names), "names": names,
               "bounds": [bounds_of(given[key]) for key in given]}
    rows = []
    seed = int(sweep["seed"])
    for metric in metrics:
        y = means[metric].to_numpy(float)
        spread = relative_spread(y)
        if not spread >= FLAT:
            warnings.append(f"{metric} does not vary across the design (relative spread "
                            f"{spread:.1g}, below {FLAT:g}): its indices are not computed, as "
                            "they would share out rounding noise.")
            continue
        if design == "sobol":
            from SALib.analyze import sobol

            result = sobol.analyze(problem, y, calc_second_order=False, conf_level=CONFIDENCE,
                                   seed=seed)
            for k, name in enumerate(names):
                rows.append({"metric": metric, "parameter": name,
                             "S1": result["S1"][k], "S1_conf": result["S1_conf"][k],
                             "ST": result["ST"][k], "ST_conf": result["ST_conf"][k]})
        else:
            from SALib.analyze import morris

            x = np.column_stack([_numeric(ok.groupby("point")[n].first()) for n in names])
            result = morris.analyze(problem, x, y, conf_level=CONFIDENCE,
                                    num_levels=int(sweep["morris_levels"]), seed=seed)
            for k, name in enumerate(names):
                rows.append({"metric": metric, "parameter": name,
                             "mu_star": result["mu_star"][k],
                             "mu_star_conf": result["mu_star_conf"][k],
                             "sigma": result["sigma"][k]})
    note = ("Sobol indices (Saltelli sampling, Jansen estimators, SALib): S1 is the share of a "
            "metric's variance a parameter explains alone, ST with its interactions; "
            if design == "sobol" else
            "Morris elementary effects (SALib): μ* is a parameter's mean absolute effect, σ the "
            "spread of its effects (interactions, non-linearity); ")
    note += (f"confidence intervals at {CONFIDENCE:.0%} by bootstrap. Indices are of each "
             f"metric's mean over replicates.")
    table = pd.DataFrame(rows)
    if not table.empty:
        table["warning"] = None  # empty in the CSV, null in Parquet
        warnings += index_warnings(table, design, int(sweep["samples"]))
    return table, note, warnings


def relative_spread(values: np.ndarray) -> float:
    """(max − min) / mean |value|: how much a metric varies across the design (0 if it is 0
    everywhere, NaN if any value is not finite)."""
    if not np.isfinite(values).all():
        return float("nan")
    size = np.abs(values).mean()
    return float((values.max() - values.min()) / size) if size > 0 else 0.0


def index_warnings(table: pd.DataFrame, design: str, samples: int) -> list[str]:
    """Mark in `table`'s warning column, and list, the indices that mean little:
    - outside [0, 1] beyond their confidence interval (a Sobol index is a share of variance:
      the estimate has not converged);
    - with an interval wider than `WIDE` (Sobol), or wider than the estimate itself (Morris);
    and, if any interval is wide, how many base samples would bring the widest to ±`TARGET`
    (intervals shrink as 1/√N; Sobol designs want a power of 2)."""
    out: list[str] = []
    widest = 0.0
    for k, row in table.iterrows():
        marks = []
        indices = (("S1", "S1_conf"), ("ST", "ST_conf")) if design == "sobol" else ()
        for index, conf in indices:
            value, half = row[index], row[conf]
            if value - half > 1.0 or value + half < 0.0:
                marks.append(f"{index} {value:.2f} ± {half:.2f} outside [0, 1]")
            if 2 * half > WIDE:
                marks.append(f"{index} interval ±{half:.2f} wider than {WIDE:g}")
                widest = max(widest, half)
        if design == "morris" and row["mu_star_conf"] > row["mu_star"]:
            marks.append(f"μ* {row['mu_star']:.3g} ± {row['mu_star_conf']:.3g}: interval "
                         "wider than the estimate")
        if marks:
            table.loc[k, "warning"] = "; ".join(marks)
            out.append(f"{row['metric']}, {row['parameter']}: {'; '.join(marks)}.")
    if widest > 0.0:
        need = samples * (widest / TARGET) ** 2
        need = int(2 ** np.ceil(np.log2(need)))
        out.append(f"Too few samples for this design: samples = {samples} gives intervals up to "
                   f"±{widest:.2f}; about samples = {need} would bring them to ±{TARGET:g} "
                   "(intervals shrink as 1/√samples).")
    return out


def _sweep_report(directory: Path, manifest: dict, staging: Path) -> tuple[str, list[str]]:
    from sim.sweep import read_runs

    runs = read_runs(directory)
    names = [column_of(key) for key in manifest["spec"]["parameters"]]
    metrics = [column(m["name"], m["reduce"], m.get("after")) for m in manifest["spec"]["metrics"]]
    summary = point_summary(runs, names, metrics)
    indices, note, warnings = sensitivity(manifest, runs, names, metrics)
    tables = {"summary": summary, "sensitivity": indices}
    for name, frame in tables.items():
        frame.to_csv(staging / f"{name}.csv", index=False)
        write_table(pa.Table.from_pandas(frame, preserve_index=False), staging / f"{name}.parquet")
    images = []
    for metric in metrics:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", metric)  # trade[KAZ,RUS]_final: a file name
        images.append(_metric_plot(summary, names, metric, staging / f"{stem}.png"))
        if not indices.empty and (indices["metric"] == metric).any():
            images.append(_sensitivity_plot(indices, metric, staging / f"{stem}-sensitivity.png"))
    failed = runs[runs["error"].notna()]
    sweep = manifest["spec"]["sweep"]
    facts = {
        "scenario": f"{manifest['scenario']} ({manifest['steps']} steps)",
        "design": f"{sweep['design']}, {len(summary)} points × {sweep['replicates']} replicates",
        "runs": f"{len(runs)} of {manifest['runs']} finished, {len(failed)} failed",
        "seed": sweep["seed"],
        "parameters": ", ".join(f"{k} {_describe_range(v)}"
                                for k, v in manifest["spec"]["parameters"].items()),
        "executor": f"{manifest['executor']}, {manifest['workers']} workers",
    }
    body = [_facts(facts), f"<p>{html.escape(sweep.get('description') or '')}</p>"]
    body.append("<h2>Sensitivity</h2>")
    body.append(f"<p>{html.escape(note)}</p>")
    if warnings:
        body.append("<h3>Warnings</h3><ul>" + "".join(f"<li>{html.escape(w)}</li>"
                                                       for w in warnings) + "</ul>")
    if not indices.empty:
        body.append(indices.to_html(index=False, float_format=lambda v: f"{v:.3f}"))
    body.append("<h2>Metrics against parameters</h2><p>Each dot is a design point (median over "
                f"replicates, bars: {BAND[0]}th–{BAND[1]}th percentile); the line and band are "
                "the median and percentiles of the points in bins of the parameter.</p>")
    body += [f'<img src="{img}" alt="{img}">' for img in images]
    body.append(f"<h2>Design points</h2><p>The first 50 of {len(summary)}; all in "
                '<a href="summary.csv">summary.csv</a>.</p>')
    body.append(summary.head(50).to_html(index=False, float_format=lambda v: f"{v:.4g}"))
    if len(failed):
        body.append("<h2>Failed runs</h2>")
        body.append(failed[["run_id", "point", "replicate", "seed", *names, "error"]].head(50)
                    .to_html(index=False))
    return _page(f"Sweep {manifest['sweep']}", body), warnings


def _numeric(values: pd.Series) -> np.ndarray:
    """A design column as numbers: dates (ISO text) as day numbers."""
    if not pd.api.types.is_numeric_dtype(values):
        return np.array([dt.date.fromisoformat(v).toordinal() for v in values], dtype=float)
    return values.to_numpy(float)


def _describe_range(given: dict) -> str:
    if "values" in given:
        return f"in {given['values']}"
    if "choices" in given:
        return "one of " + "; ".join(f"{k}: {c}" for k, c in enumerate(given["choices"]))
    return f"in [{given['low']}, {given['high']}]"


def _metric_plot(summary: pd.DataFrame, names: list[str], metric: str, path: Path) -> str:
    fig = Figure(figsize=(4 * len(names), 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(names), sharey=True))
    low, mid, high = (f"{metric}_p{BAND[0]}", f"{metric}_median", f"{metric}_p{BAND[1]}")
    for ax, name in zip(axes, names, strict=True):
        frame = summary.sort_values(name)
        dates = not pd.api.types.is_numeric_dtype(frame[name])
        # A date setting on a date axis (matplotlib's day numbers), anything else as a number.
        x = _numeric(frame[name]) - (dt.date(1970, 1, 1).toordinal() if dates else 0.0)
        frame = frame.assign(_x=x)
        if dates:
            ax.xaxis_date()
            ax.tick_params(axis="x", labelrotation=30)
        ax.errorbar(x, frame[mid], yerr=[frame[mid] - frame[low], frame[high] - frame[mid]],
                    fmt="o", markersize=3, alpha=0.5, linewidth=0.8)
        bins = min(8, len(np.unique(x)))
        if bins >= 2:
            groups = pd.qcut(x, bins, duplicates="drop") if len(np.unique(x)) > bins else x
            by = frame.groupby(groups, observed=True)
            centre = by["_x"].median()
            ax.plot(centre, by[mid].median(), color="black")
            ax.fill_between(centre, by[mid].quantile(BAND[0] / 100),
                            by[mid].quantile(BAND[1] / 100), color="grey", alpha=0.3)
        ax.set_xlabel(name)
    axes[0].set_ylabel(metric)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return path.name


def _sensitivity_plot(indices: pd.DataFrame, metric: str, path: Path) -> str:
    rows = indices[indices["metric"] == metric]
    fig = Figure(figsize=(6, 3.6))
    ax = fig.subplots()
    x = np.arange(len(rows))
    if "S1" in rows:
        ax.bar(x - 0.2, rows["S1"], 0.4, yerr=rows["S1_conf"], label="first order S1")
        ax.bar(x + 0.2, rows["ST"], 0.4, yerr=rows["ST_conf"], label="total ST")
        ax.set_ylabel("Sobol index")
    else:
        ax.bar(x, rows["mu_star"], 0.6, yerr=rows["mu_star_conf"], label="μ*")
        ax.set_ylabel("Morris μ*")
    ax.set_xticks(x, rows["parameter"], rotation=15)
    ax.set_title(metric)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return path.name


# ---------------------------------------------------------------- comparisons


def _compare_report(directory: Path, manifest: dict, staging: Path
                    ) -> tuple[str, list[str]]:
    summary = read_parquet(directory / "summary.parquet")
    attribution = read_parquet(directory / "attribution.parquet")
    shown = summary[summary["focus"]] if summary["focus"].any() else summary
    shown = shown.assign(size=shown["difference"].abs()).sort_values(
        ["outcome", "size"], ascending=[True, False]).groupby("outcome").head(8)
    shown = shown.drop(columns="size")
    shown.to_csv(staging / "summary-focus.csv", index=False)
    facts = {
        "scenario": manifest["scenario"],
        "baseline": manifest["baseline"],
        "replicates": f"{manifest['replicates']} paired (seed {manifest['seed']})",
        "steps": f"{manifest['steps']} ({manifest['dates'][0]} to {manifest['dates'][1]})",
        "focus": ", ".join(manifest["focus"]) or "none",
    }
    body = [_facts(facts)]
    body += [f"<p>note: {html.escape(n)}</p>" for n in manifest.get("notes", [])]
    body.append(f"<h2>Outcomes at the last step</h2><p>Medians over replicates; difference = "
                f"scenario − baseline, paired by seed, with its {BAND[0]}th–{BAND[1]}th "
                "percentile band. All rows in <a href=\"../summary.csv\">summary.csv</a>.</p>")
    body.append(shown.to_html(index=False, float_format=lambda v: f"{v:.4g}"))
    if not attribution.empty:
        body.append("<h2>Why relations and trade moved</h2><p>Change from the start, scenario − "
                    "baseline, by channel (relations in [−1, 1]; trade in log points); medians "
                    "over replicates.</p>")
        body.append(attribution.to_html(index=False, float_format=lambda v: f"{v:+.3f}",
                                        na_rep=""))
    body.append("<h2>Differences over time</h2>")
    body += [f'<img src="../plots/{p.name}" alt="{p.name}">'
             for p in sorted((directory / "plots").glob("*.png"))]
    return _page(f"{manifest['scenario']} against {manifest['baseline']}", body), []


# ---------------------------------------------------------------- HTML


def _facts(facts: dict) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in facts.items())
    return f"<table class=facts>{rows}</table>"


def _page(title: str, body: list[str]) -> str:
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;font-size:90%;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
             ".facts th,.facts td{text-align:left}img{max-width:100%;display:block;margin:1em 0}")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
            + "\n".join(body) + "</body></html>\n")
