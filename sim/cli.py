"""The `geopol` command line.

Bad input ends with one line on stderr, `error: <where>: expected ..., found ...`, and exit
code 2; a run interrupted with Ctrl-C exits 130 and leaves no finished-looking output.
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from pathlib import Path
from typing import Annotated

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim import scenario as scenarios
from sim.errors import InputError, describe
from sim.params import PARAM_NAMES, Params, dotted
from sim.schema import first_error
from sim.summary import print_summary

app = typer.Typer(
    name="geopol",
    help="Geopol: an agent-based simulator of geopolitics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def parse_sets(pairs: list[str], base: Params | None = None) -> dict[str, object]:
    """`--set trade.sigma=6` options as `{"trade_sigma": 6.0}`, checked against `base`.

    Values are read as TOML, so `6`, `6.0`, `true` and `"text"` all mean what they say.
    """
    base = base or Params()
    out: dict[str, object] = {}
    given: dict[str, str] = {}
    for text in pairs:
        key, sep, raw = text.partition("=")
        name = key.strip().replace(".", "_")
        if not sep or name not in PARAM_NAMES:
            known = ", ".join(dotted(n) for n in PARAM_NAMES)
            raise InputError("--set", key.strip() or text, f"NAME=VALUE with NAME one of {known}",
                             describe(text))
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        is_float = isinstance(base.flat()[name], float)
        out[name] = float(value) if is_float and isinstance(value, int) else value
        given[name] = key.strip()
    try:
        base.with_flat(out)
    except ValidationError as exc:
        loc, expected, found = first_error(exc)
        name = "_".join(map(str, loc))
        # A check across a section's keys is located at the section: name the key given.
        key = given.get(name) or next(
            (text for flat, text in given.items() if flat.startswith(f"{name}_")), name
        )
        raise InputError("--set", key, expected, found) from None
    return out


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="bundled scenario or TOML file")] = "eurasia",
    steps: Annotated[
        int | None, typer.Option(help="steps to run [default: the scenario's steps]")
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the model's random generator")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="run directory [default: runs/NAME-seedS-TIME]")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override a parameter: trade.sigma=6")
    ] = None,
    backend: Annotated[str, typer.Option(help="kernels: numba or numpy")] = "numba",
    overwrite: Annotated[bool, typer.Option(help="replace an existing run directory")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar or summary")] = False,
) -> None:
    """Run a scenario and write its tables to a run directory."""
    from sim.model import GeoModel
    from sim.output import check_writable, default_run_dir, manifest_for, write_run

    if steps is not None and steps < 1:
        raise InputError("geopol run", "--steps", "a whole number ≥ 1", str(steps))
    if seed < 0:
        raise InputError("geopol run", "--seed", "a whole number ≥ 0", str(seed))
    loaded = scenarios.load(scenario)
    steps = steps or loaded.spec.scenario.steps
    overrides = parse_sets(set_ or [], loaded.spec.params)
    out = out or default_run_dir(loaded.name, seed)
    check_writable(out, overwrite)

    started = time.perf_counter()
    model = GeoModel(scenario=loaded, rng=seed, backend=backend, **overrides)
    with Progress(
        TextColumn(f"[bold]{loaded.name}[/] seed {seed}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("steps"), TimeRemainingColumn(), console=console, disable=quiet, transient=True,
    ) as progress:
        task = progress.add_task("run", total=steps)
        for _ in range(steps):
            model.step()
            progress.advance(task)
    wall = time.perf_counter() - started
    path = write_run(model, out, manifest_for(model, seed, steps, wall), overwrite=overwrite)
    if not quiet:
        print_summary(console, model)
    for note in model.diagnostics:
        errors.print(f"warning: {note}")
    console.print(f"wrote {path} in {wall:.2f} s", soft_wrap=True)


@app.command()
def explain(
    run_dir: Annotated[Path, typer.Argument(help="a run directory written by geopol run")],
    pair: Annotated[tuple[str, str], typer.Option(help="two states, e.g. --pair KAZ RUS")],
    from_: Annotated[int | None, typer.Option("--from", help="first step [default: 0]")] = None,
    to: Annotated[int | None, typer.Option(help="last step [default: the last]")] = None,
) -> None:
    """Why a pair's relations and trade moved in a run: the change, channel by channel."""
    from sim.attribution import explain_run, pair_decisions

    relations, trade, start, end = explain_run(run_dir, pair[0], pair[1], from_, to)
    title = f"{pair[0]}–{pair[1]}, step {start} to {end}"
    # Titles and notes as lines of their own: narrow tables would wrap them.
    console.print(f"Why relations moved: {title}", soft_wrap=True)
    table = Table()
    table.add_column("channel")
    table.add_column("change", justify="right")
    for channel, value in relations.items():
        table.add_row(channel, f"{value:+.4f}", end_section=channel == "total")
    console.print(table)
    console.print("The channels add up to the total. Drift: the pull back to the baseline; "
                  "clipping: what keeping relations in [-1, 1] removed.", soft_wrap=True)
    console.print(f"\nWhy trade moved: {title}, in log points (≈ %)", soft_wrap=True)
    table = Table()
    table.add_column("channel")
    for direction in trade.columns:
        table.add_column(direction, justify="right")
    for channel, row in trade.iterrows():
        table.add_row(channel, *[f"{v:+.2f}" for v in row], end_section=channel == "total")
    console.print(table)
    console.print("Incomes: the two GDPs against the world's. Third countries: multilateral "
                  "resistance, trade diverted to or from other partners.", soft_wrap=True)
    decided = pair_decisions(run_dir, pair[0], pair[1], start, end)
    if decided.empty:
        console.print(f"\nNo state decided anything about {pair[0]} or {pair[1]} in these "
                      "steps.", soft_wrap=True)
        return
    console.print(f"\nDecisions behind it: {len(decided)} about {pair[0]} or {pair[1]}, the "
                  "pair's own first", soft_wrap=True)
    table = Table()
    for col in ("from", "state", "action", "other", "why"):
        table.add_column(col)
    for row in decided.head(25).itertuples():
        table.add_row(row.date, row.state, row.action, row.other, row.reason)
    console.print(table)


@app.command()
def sweep(
    spec_file: Annotated[Path, typer.Argument(help="sweep spec (TOML)")],
    workers: Annotated[
        int | None, typer.Option(help="local worker processes [default: all cores]")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="run on this Dask scheduler, e.g. tcp://host:8786")
    ] = None,
    dask_local: Annotated[
        int | None, typer.Option(help="run on a Dask LocalCluster of N workers (for testing)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="sweep directory [default: runs/sweep-NAME]")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Run every run of a sweep spec, resuming what an earlier attempt left undone.

    Exit code 0 if every run succeeded, 1 if any failed (they are recorded with their error),
    2 for bad input, 130 if interrupted (what finished is kept: run the command again).
    """
    from sim.sweep import dask_pool, local_pool, run_sweep
    from sim.sweep_spec import load_sweep, run_table

    spec = load_sweep(spec_file)
    if scheduler is not None and dask_local is not None:
        raise InputError("geopol sweep", "--scheduler/--dask-local", "one of the two, not both",
                         f"{scheduler!r} and {dask_local}")
    for option, value in (("--workers", workers), ("--dask-local", dask_local)):
        if value is not None and value < 1:
            raise InputError("geopol sweep", option, "a whole number ≥ 1", str(value))
    out = out or Path("runs") / f"sweep-{spec.meta.name}"
    total = len(run_table(spec))
    if scheduler is not None:
        pool, n, name = dask_pool(scheduler=scheduler), 1, f"dask {scheduler}"
    elif dask_local is not None:
        pool, n, name = dask_pool(local_workers=dask_local), dask_local, "dask LocalCluster"
    else:
        n = workers or os.cpu_count() or 1
        pool, name = local_pool(n), "process pool"
    with Progress(
        TextColumn(f"[bold]{spec.meta.name}[/]"), BarColumn(), MofNCompleteColumn(),
        TextColumn("runs, {task.fields[failed]} failed"), TimeRemainingColumn(),
        console=console, disable=quiet, transient=True,
    ) as progress:
        task = progress.add_task("sweep", total=total, failed=0)
        try:
            with pool as executor:
                if scheduler is not None:
                    n = max(1, len(executor._client.scheduler_info()["workers"]))
                result = run_sweep(
                    spec, out, executor, n, name,
                    progress=lambda done, failed: progress.update(task, completed=done,
                                                                  failed=failed),
                )
        except KeyboardInterrupt:
            errors.print(f"interrupted: the finished runs are in {out}; run the same command "
                         "again to run the rest")
            raise typer.Exit(130) from None
    console.print(
        f"{spec.meta.name}: {result.total} runs, {result.ran} run now, {result.skipped} done "
        f"before, {result.failed} failed; wrote {out} in {result.seconds:.1f} s ({name}, "
        f"{n} worker{'s' if n != 1 else ''})", soft_wrap=True)
    if result.failed:
        errors.print(f"warning: {result.failed} runs failed; their errors are in the `error` "
                     f"column of {out / 'runs'}")
        raise typer.Exit(1)


@app.command("report")
def report_command(
    directory: Annotated[Path, typer.Argument(help="a sweep or comparison directory")],
) -> None:
    """Summary tables, sensitivity indices, plots and an HTML page, in DIR/report/."""
    from sim.report import report

    page = report(directory)
    console.print(f"wrote {page}", soft_wrap=True)


@app.command("scenarios")
def list_scenarios() -> None:
    """List the bundled scenarios."""
    table = Table(title="Bundled scenarios")
    for col in ("name", "title", "actors"):
        table.add_column(col)
    for name in scenarios.bundled():
        spec = scenarios.load(name).spec
        if spec.synthetic:
            size = spec.synthetic
            actors = (f"synthetic: {size.states} states × {size.regions_per_state} regions, "
                      f"{size.links_per_region} links each")
        else:
            actors = (f"{len(spec.states)} states, {len(spec.cities)} cities, "
                      f"{len(spec.regions)} regions, {len(spec.links)} links")
        table.add_row(name, spec.scenario.title, actors)
    console.print(table)


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="scenario TOML file or name")],
    calibration: Annotated[
        bool, typer.Option(help="also build the world and compare its exports/GDP with the data")
    ] = False,
    csv: Annotated[
        Path | None, typer.Option(help="with --calibration: write the whole table to this CSV")
    ] = None,
) -> None:
    """Check a scenario file; exit 0 if it is valid, 2 with the first error if not.

    With --calibration, exit 1 if fewer than 90% of the states with a World Bank figure start
    within 5 percentage points of their exports/GDP.
    """
    loaded = scenarios.load(file)
    spec = loaded.spec
    what = (f"synthetic world of {spec.synthetic.states} states" if spec.synthetic else
            f"{len(spec.states)} states, {len(spec.cities)} cities, {len(spec.regions)} regions, "
            f"{len(spec.links)} links")
    console.print(f"ok: {file}: scenario {loaded.name!r}, {what}, {len(spec.events)} events",
                  soft_wrap=True)
    if csv is not None and not calibration:
        raise InputError("geopol validate", "--csv", "--calibration with it", "--csv alone")
    if calibration and not _print_calibration(loaded, csv):
        raise typer.Exit(1)


def _print_calibration(loaded: scenarios.Scenario, csv: Path | None) -> bool:
    """Print the calibration report of a scenario; whether it meets its target."""
    from sim.calibration import TARGET, TOLERANCE, calibration
    from sim.model import GeoModel
    from sim.output import check_file_writable, write_csv

    if csv is not None:
        check_file_writable(csv, "--csv")
    report = calibration(GeoModel(scenario=loaded, rng=0))
    table = report.table
    verdict = "meets" if report.meets_target else "misses"
    console.print(
        f"exports/GDP at step 0 against the World Bank: {report.within} of {report.with_data} "
        f"states with a figure within ±{TOLERANCE * 100:.0f} points ({report.share:.1%}; "
        f"target {TARGET:.0%}: {verdict} it); "
        f"{(table.status == 'estimated').sum()} estimated, {(table.status == 'no data').sum()} "
        "without data", soft_wrap=True)
    if len(report.misses):
        out = Table(title=f"States more than {TOLERANCE * 100:.0f} points off")
        for col in ("state", "name", "model", "World Bank", "points", "why"):
            out.add_column(col, justify="right" if col in ("model", "World Bank", "points")
                           else "left")
        for row in report.misses.itertuples():
            out.add_row(row.state, row.name, f"{row.model:.1%}", f"{row.data:.1%}",
                        f"{row.difference_pp:+.1f}", row.reason)
        console.print(out)
        console.print("The model counts exports against output, so no state can export more "
                      "than it makes; gross exports above GDP include re-exports and imported "
                      "inputs (docs/model.md, \"Trade\").", soft_wrap=True)
    estimated = table.state[table.status == "estimated"]
    if len(estimated):
        console.print(f"Estimated exports/GDP, not counted (no recent World Bank figure): "
                      f"{', '.join(estimated)}", soft_wrap=True)
    if csv is not None:
        write_csv(table, csv)
        console.print(f"wrote {csv}", soft_wrap=True)
    return report.meets_target


@app.command()
def compare(
    scenario: Annotated[str, typer.Argument(help="bundled scenario or TOML file")],
    baseline: Annotated[str, typer.Option(help="the scenario to compare against")] = "eurasia",
    replicates: Annotated[int, typer.Option(help="paired runs of each")] = 20,
    seed: Annotated[int, typer.Option(help="root seed; replicate seeds are spawned from it")] = 0,
    steps: Annotated[
        int | None, typer.Option(help="steps to run [default: the scenario's steps]")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="comparison directory [default: runs/compare-NAME-vs-BASE-TIME]"),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="replace an existing --out directory")] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="parameter override for both, e.g. --set trade.sigma=6"),
    ] = None,
    focus: Annotated[
        str, typer.Option(help="more states to show and explain, comma-separated, e.g. KAZ")
    ] = "",
    quiet: Annotated[bool, typer.Option(help="no progress bar or tables")] = False,
) -> None:
    """Run a scenario against a baseline with paired seeds and show what changes, and why."""
    from sim.compare import compare as run_comparison
    from sim.compare_report import default_dir, print_comparison, write_comparison
    from sim.output import check_writable

    for option, value, low in (("--replicates", replicates, 1), ("--seed", seed, 0)):
        if value < low:
            raise InputError("geopol compare", option, f"a whole number ≥ {low}", str(value))
    if steps is not None and steps < 1:
        raise InputError("geopol compare", "--steps", "a whole number ≥ 1", str(steps))
    treated, base = scenarios.load(scenario), scenarios.load(baseline)
    overrides = parse_sets(set_ or [], treated.spec.params)
    if out is not None:
        check_writable(out, overwrite)
    started = time.perf_counter()
    with Progress(
        TextColumn(f"[bold]{treated.name}[/] vs {base.name}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("runs"), TimeRemainingColumn(), console=console, disable=quiet,
        transient=True,
    ) as progress:
        task = progress.add_task("compare", total=2 * replicates)
        result = run_comparison(
            treated, base, replicates=replicates, seed=seed, steps=steps, params=overrides,
            focus=[state.strip() for state in focus.split(",") if state.strip()],
            progress=lambda done, total: progress.update(task, completed=done),
        )
    path = write_comparison(result, out or default_dir(result), overwrite=overwrite)
    if not quiet:
        wide = console if console.is_terminal else Console(width=160)
        print_comparison(wide, result)
    console.print(f"wrote {path} in {time.perf_counter() - started:.1f} s", soft_wrap=True)


@app.command("app")
def app_command(
    scenario: Annotated[str, typer.Argument(help="bundled scenario or TOML file")] = "eurasia",
    port: Annotated[int, typer.Option(help="port to serve the app on")] = 8765,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="the first run's seed")] = 1,
) -> None:
    """Start the browser app on a scenario and print its address."""
    from viz.serve import serve

    code = serve(scenario, host, port, seed, announce=lambda line: console.print(
        line, soft_wrap=True))
    raise typer.Exit(code)


@app.command()
def bench(
    sizes: Annotated[str, typer.Option(help="regions, comma-separated")] = "1000,10000,100000",
    steps: Annotated[int, typer.Option(help="timed steps per case")] = 20,
    states: Annotated[int, typer.Option(help="states in the synthetic world")] = 200,
    sweeps: Annotated[
        bool, typer.Option(help="time sweeps instead: workers, Dask overhead, memory")
    ] = False,
    app_steps: Annotated[
        int, typer.Option("--app", help="time N steps per tab in the browser app instead")
    ] = 0,
) -> None:
    """Time the step on synthetic worlds, numba kernels against the numpy reference."""
    from sim.bench import print_bench

    if app_steps:
        from sim.bench_app import print_app_bench

        print_app_bench(console, app_steps)
        return
    if sweeps:
        from sim.bench_sweeps import print_sweep_bench

        print_sweep_bench(console)
        return

    try:
        counts = [int(x) for x in sizes.split(",") if x.strip()]
    except ValueError:
        raise InputError("geopol bench", "--sizes", "comma-separated whole numbers",
                         describe(sizes)) from None
    if not counts or min(counts) < states or steps < 3:
        raise InputError("geopol bench", "--sizes/--steps",
                         f"sizes ≥ --states ({states}) and --steps ≥ 3", f"{sizes!r}, {steps}")
    wide = console if console.is_terminal else Console(width=120)
    print_bench(wide, counts, steps, states)


def main() -> None:
    """Entry point: run the app, turning bad input into one line and exit code 2."""
    command = " ".join(["geopol", *sys.argv[1:2]])
    try:
        code = app(standalone_mode=False)
    except InputError as exc:
        errors.print(f"error: {exc}")
        sys.exit(2)
    except click.ClickException as exc:
        errors.print(f"error: {command}: {exc.format_message()}")
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        errors.print("interrupted: nothing was written")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # python -m sim.cli, as the geopol command
    main()
