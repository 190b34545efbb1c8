"""The `geopol` command line.

Bad input ends with one line on stderr, `error: <where>: expected ..., found ...`, and exit
code 2; a run stopped on non-finite state with one line and exit code 3, its output so far kept
in its staging directory; Ctrl-C with one line and exit code 130, leaving no finished-looking
output. No line is longer than 300 characters or holds a control character.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings

INTERRUPTED = 130
NOTHING_WRITTEN = "interrupted: nothing was written"
_ctrl_c = False


def _on_ctrl_c(signum: int, frame: object) -> None:
    # Python drops a KeyboardInterrupt raised inside a weakref callback or __del__ (it only
    # prints "Exception ignored"), as imports sometimes run; the flag lets `check_ctrl_c` raise
    # it again at the next step, so that the run still stops.
    global _ctrl_c
    _ctrl_c = True
    raise KeyboardInterrupt


def check_ctrl_c() -> None:
    """Raise KeyboardInterrupt if Ctrl-C came and its exception was lost on the way."""
    if _ctrl_c:
        raise KeyboardInterrupt


def _unraisable(info: object) -> None:
    if not isinstance(getattr(info, "exc_value", None), KeyboardInterrupt):
        sys.__unraisablehook__(info)


if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if the shell ignores it
    signal.signal(signal.SIGINT, _on_ctrl_c)
    sys.unraisablehook = _unraisable  # the lost Ctrl-C's "Exception ignored": one line is ours

try:  # Ctrl-C while the libraries load is one line too, not a traceback
    import datetime as dt
    import time
    import tomllib
    from pathlib import Path
    from typing import Annotated

    import typer
    from pydantic import ValidationError
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from sim import scenario as scenarios
    from sim.errors import LINE, InputError, NonFiniteState, describe, escape, fit, one_line
    from sim.params import PARAM_NAMES, Params, dotted
    from sim.schema import MAX_STEPS, check_nesting, first_error
    from sim.summary import print_summary
except KeyboardInterrupt:
    sys.stderr.write(f"{NOTHING_WRITTEN}\n")
    raise SystemExit(INTERRUPTED) from None

app = typer.Typer(
    name="geopol",
    help="Geopol: an agent-based simulator of geopolitics.",
    no_args_is_help=False,  # `main` answers a bare `geopol` with the help
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts say "[default: ...]": plain text, not rich markup
)
console = Console()
errors = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
MAX_WORKERS = 1024  # processes on one machine; more would only exhaust it
MAX_REPLICATES = 10_000  # as many as a sweep's
STEPS_HELP = (f"steps to run, at most {MAX_STEPS:,} and as far as the scenario's calendar goes "
              "[default: the scenario's steps]")


@app.callback()
def everything(
    threads: Annotated[int | None, typer.Option(
        help="numba threads for the kernels [default: NUMBA_NUM_THREADS, else every core]; "
             "results do not depend on it")] = None,
) -> None:
    """Geopol: an agent-based simulator of geopolitics."""
    if threads is not None:
        from sim.kernels.threads import use_threads

        try:
            use_threads(threads)
        except ValueError as exc:
            raise InputError("geopol", "--threads", str(exc), describe(threads)) from None


class Stopped(Exception):
    """A command that stops before its end: the one line it prints, and its exit code."""

    def __init__(self, line: str, code: int) -> None:
        super().__init__(line)
        self.line = line
        self.code = code


def say(line: str) -> None:
    """Print one line on stderr: escaped, and cut to `LINE` characters."""
    errors.print(one_line(line))


def check_steps(command: str, steps: int | None, meta: scenarios.ScenarioMeta) -> int:
    """`--steps`, or the scenario's steps: no more than the scenario's calendar allows."""
    if steps is None:
        return meta.steps
    try:
        type(meta).model_validate({**meta.model_dump(), "steps": steps})
    except ValidationError as exc:
        _, expected, found = first_error(exc)
        raise InputError(command, "--steps", expected, found) from None
    return steps


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
            check_nesting(f"v = {raw.strip()}", "--set")
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
    steps: Annotated[int | None, typer.Option(min=1, max=MAX_STEPS, help=STEPS_HELP)] = None,
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
    record_every: Annotated[int | None, typer.Option(
        min=1, max=MAX_STEPS,
        help="keep the regions' rows of actor_steps every K steps (states' and cities' every "
             "step) [default: 1, or what keeps them within 512 MiB in a very large world]")
    ] = None,
) -> None:
    """Run a scenario and write its tables to a run directory.

    Exit code 3 if the run's state goes non-finite: what it recorded stays in a hidden
    `.NAME.partial-PID` directory next to the run directory, with the step, array and actor
    in its manifest.
    """
    from sim.model import GeoModel
    from sim.output import (
        check_writable,
        default_run_dir,
        keep_stopped_run,
        manifest_for,
        tidy,
        write_run,
    )
    from sim.recording import region_every_for

    if seed < 0:
        raise InputError("geopol run", "--seed", "a whole number ≥ 0", str(seed))
    loaded = scenarios.load(scenario)
    steps = check_steps("geopol run", steps, loaded.spec.scenario)
    overrides = parse_sets(set_ or [], loaded.spec.params)
    out = out or default_run_dir(loaded.name, seed)
    check_writable(out, overwrite)
    parent = Path(os.path.abspath(out)).parent
    if kept := tidy(parent):
        say(f"note: {parent} holds {len(kept)} stopped runs' output kept for a look "
            f"({', '.join(p.name for p in kept)}): remove them when done")

    started = time.perf_counter()
    model = GeoModel(scenario=loaded, rng=seed, backend=backend, **overrides)
    model.recorder.region_every = record_every or region_every_for(len(model.regions), steps)
    try:
        with Progress(
            TextColumn(f"[bold]{loaded.name}[/] seed {seed}"), BarColumn(),
            MofNCompleteColumn(), TextColumn("steps"), TimeRemainingColumn(), console=console,
            disable=quiet, transient=True,
        ) as progress:
            task = progress.add_task("run", total=steps)
            for _ in range(steps):
                check_ctrl_c()
                model.step()
                progress.advance(task)
        check_ctrl_c()
    except NonFiniteState as stop:
        manifest = manifest_for(model, seed, steps, time.perf_counter() - started)
        kept = keep_stopped_run(model, out, manifest, stop)
        raise Stopped(stopped_line(loaded.path or loaded.name, stop, kept), 3) from None
    wall = time.perf_counter() - started
    path = write_run(model, out, manifest_for(model, seed, steps, wall), overwrite=overwrite)
    if not quiet:
        print_summary(console, model)
    for note in model.diagnostics:
        say(f"warning: {note}")
    console.print(f"wrote {path} in {wall:.2f} s", soft_wrap=True)


def stopped_line(source: object, stop: NonFiniteState, kept: Path) -> str:
    """The one line of a run stopped on non-finite state: where, why, and where its output is,
    each part cut to its share of the line, so that a long one cannot push the others out."""
    frame = "error: : ; what it recorded is in "
    parts = fit([escape(str(p)) for p in (source, stop, kept)], LINE - len(frame))
    return "error: {}: {}; what it recorded is in {}".format(*parts)


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
    workers: Annotated[int | None, typer.Option(
        max=MAX_WORKERS, help="local worker processes [default: all cores]")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="run on this Dask scheduler, e.g. tcp://host:8786")
    ] = None,
    dask_local: Annotated[int | None, typer.Option(
        max=MAX_WORKERS, help="run on a Dask LocalCluster of N workers (for testing)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="sweep directory [default: runs/sweep-NAME]")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Run every run of a sweep spec, resuming what an earlier attempt left undone.

    Exit code 0 if every run succeeded, 1 if any failed (they are recorded with their error,
    a run whose state went non-finite among them), 2 for bad input, 130 if interrupted (what
    finished is kept: run the command again). The workers end with the sweep, however it ends.
    """
    from sim.sweep import check_sweep_dir, dask_pool, local_pool, run_sweep
    from sim.sweep_spec import load_sweep, run_table

    spec = load_sweep(spec_file)
    if scheduler is not None and dask_local is not None:
        raise InputError("geopol sweep", "--scheduler/--dask-local", "one of the two, not both",
                         f"{scheduler!r} and {dask_local}")
    for option, value in (("--workers", workers), ("--dask-local", dask_local)):
        if value is not None and value < 1:
            raise InputError("geopol sweep", option, "a whole number ≥ 1", str(value))
    out = out or Path("runs") / f"sweep-{spec.meta.name}"
    check_sweep_dir(spec, out)  # before a pool or a cluster is started for nothing
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
            raise Stopped(f"interrupted: the finished runs are in {out}; run the same command "
                          "again to run the rest", INTERRUPTED) from None
    console.print(
        f"{spec.meta.name}: {result.total} runs, {result.ran} run now, {result.skipped} done "
        f"before, {result.failed} failed; wrote {out} in {result.seconds:.1f} s ({name}, "
        f"{n} worker{'s' if n != 1 else ''})", soft_wrap=True)
    if result.failed:
        say(f"warning: {result.failed} runs failed; their errors are in the `error` column of "
            f"{out / 'runs'}")
        raise typer.Exit(1)


@app.command("report")
def report_command(
    directory: Annotated[Path, typer.Argument(help="a sweep or comparison directory")],
) -> None:
    """Summary tables, sensitivity indices, plots and an HTML page, in DIR/report/."""
    from sim.report import report

    written = report(directory)
    for warning in written.warnings:
        console.print(f"warning: {warning}", soft_wrap=True, highlight=False, markup=False)
    console.print(f"wrote {written.page}", soft_wrap=True)


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
    for group in scenarios.group_expansions(spec):
        console.print(f"  {group['event']}, {group['field']}: {group['group']} on "
                      f"{group['date']} = {', '.join(group['members'])} "
                      f"({len(group['members'])} states)", soft_wrap=True, highlight=False)
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
    replicates: Annotated[
        int, typer.Option(max=MAX_REPLICATES, help="paired runs of each")
    ] = 20,
    seed: Annotated[int, typer.Option(help="root seed; replicate seeds are spawned from it")] = 0,
    steps: Annotated[int | None, typer.Option(min=1, max=MAX_STEPS, help=STEPS_HELP)] = None,
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
    outcome: Annotated[
        list[str] | None,
        typer.Option(metavar="SELECTOR",
                     help="an outcome to compare, repeatable: exports[RUS], trade[KAZ,CHN], "
                     "relations[RUS,USA], soft_power_rank[KAZ], gdp[KAZ], exports[EU], or a "
                     "world series"),
    ] = None,
    reduce: Annotated[
        str, typer.Option(help="how each run's --outcome values become one number: final, "
                          "mean, min, max, change, min_after, mean_after, max_after")
    ] = "final",
    after: Annotated[
        str | None, typer.Option(metavar="STEP|DATE",
                                 help="with min_after, mean_after, max_after: the first step "
                                 "or date (YYYY-MM-DD) counted")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar or tables")] = False,
) -> None:
    """Run a scenario against a baseline with paired seeds and show what changes, and why."""
    from sim.compare import compare as run_comparison
    from sim.compare_report import default_dir, print_comparison, write_comparison
    from sim.output import check_writable

    for option, value, low in (("--replicates", replicates, 1), ("--seed", seed, 0)):
        if value < low:
            raise InputError("geopol compare", option, f"a whole number ≥ {low}", str(value))
    treated, base = scenarios.load(scenario), scenarios.load(baseline)
    steps = check_steps("geopol compare", steps, treated.spec.scenario)
    overrides = parse_sets(set_ or [], treated.spec.params)
    when = parse_when("--after", after)
    out = out or default_dir(treated.name, base.name)
    check_writable(out, overwrite)  # a name too long fails now, not after the runs
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
            outcomes_asked=outcome or [], reduction=reduce, after=when,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    path = write_comparison(result, out, overwrite=overwrite)
    if not quiet:
        wide = console if console.is_terminal else Console(width=160)
        print_comparison(wide, result)
    console.print(f"wrote {path} in {time.perf_counter() - started:.1f} s", soft_wrap=True)


def parse_when(option: str, text: str | None) -> int | dt.date | None:
    """A step (a whole number) or a date (YYYY-MM-DD) given on the command line."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("geopol", option, "a step (a whole number) or a date YYYY-MM-DD",
                         describe(text)) from None


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
    steps: Annotated[int, typer.Option(min=3, max=MAX_STEPS, help="timed steps per case")] = 20,
    states: Annotated[int, typer.Option(help="states in the synthetic world")] = 200,
    sweeps: Annotated[
        bool, typer.Option(help="time sweeps instead: workers, Dask overhead, memory")
    ] = False,
    app_steps: Annotated[int, typer.Option(
        "--app", min=0, max=MAX_STEPS, help="time N steps per tab in the browser app instead")
    ] = 0,
) -> None:
    """Time the step on synthetic worlds, numba kernels against the numpy reference."""
    from sim.bench import print_bench, world_spec

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
    if not counts or min(counts) < states:
        raise InputError("geopol bench", "--sizes", f"sizes ≥ --states ({states})",
                         describe(sizes))
    try:
        world = world_spec(states, max(counts))
    except ValidationError as exc:  # a synthetic world's size out of its range
        loc, expected, found = first_error(exc)
        option = "--states" if loc[-1] == "states" else "--sizes"
        raise InputError("geopol bench", option, expected, found) from None
    check_steps("geopol bench", steps, world.scenario)
    wide = console if console.is_terminal else Console(width=120)
    print_bench(wide, counts, steps, states)


# What a value of each type of option is, for pydantic's error types when typer reads one.
KINDS = {"int_parsing": "a whole number", "int_from_float": "a whole number",
         "float_parsing": "a number", "bool_parsing": "true or false"}


def usage_error(exc: typer.TyperException, args: list[str]) -> InputError:
    """A usage error of typer's parser as an InputError: the command, the option or argument,
    what it takes and what it was given. typer raises its own copies of click's exceptions
    (typer ≥ 0.26), which are told apart here by what they carry, not by their private class."""
    ctx = getattr(exc, "ctx", None)
    named = [arg for arg in args[:1] if not arg.startswith("-")]
    command = ctx.command_path if ctx is not None else " ".join(["geopol", *named])
    usage = f"what '{command} --help' shows"
    option = getattr(exc, "option_name", None)
    param = getattr(exc, "param", None)
    if hasattr(exc, "possibilities"):  # an option the command does not have
        near = ", ".join(sorted(exc.possibilities or ()))
        options = f"such as {near}" if near else f"see '{command} --help'"
        return InputError(command, option, f"an option of {command} ({options})",
                          describe(option))
    if option is not None:  # a flag given a value, or an option without its values
        value = next((arg.split("=", 1)[1] for arg in args if arg.startswith(f"{option}=")),
                     None)
        if value is not None:
            return InputError(command, option, "no value: it is a flag", describe(value))
        return InputError(command, option, f"its value after it ({usage})", "too few")
    if param is not None:  # a value that is missing or not of its type
        key = param.opts[0] if param.param_type_name == "option" else param.name.upper()
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            loc, expected, _ = first_error(cause)
            error = cause.errors(include_url=False)[0]
            given = error["input"]
            found = given if isinstance(given, str) and given else describe(given)
            return InputError(command, key + "".join(f"[{p}]" for p in loc),
                              KINDS.get(error["type"], expected), found)
        if hasattr(exc, "param_type"):  # missing
            return InputError(command, key, getattr(param, "help", None) or usage, "none")
        return InputError(command, key, usage, exc.format_message())
    if ctx is not None and ctx.parent is None:  # no command, or one that does not exist
        names = ", ".join(ctx.command.list_commands(ctx))
        given = next((arg for arg in args if not arg.startswith("-")), None)
        return InputError(command, "COMMAND", f"one of {names}",
                          describe(given) if given else "none")
    return InputError(command, "arguments", usage,
                      exc.format_message().removeprefix("Got unexpected "))


def main() -> None:
    """Entry point: bad input is one line and exit code 2, a run stopped on non-finite state
    one line and 3, Ctrl-C one line and 130; never a traceback."""
    args = sys.argv[1:] or ["--help"]  # `geopol` alone: what it can do
    command = " ".join(["geopol", *args[:1]])
    # numpy warns where a number first goes non-finite; the run then stops with one line of
    # its own (exit code 3), which the warnings' lines would bury.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"sim\.")
    try:
        check_ctrl_c()
        # Not standalone: typer would print its own many-line usage errors and answer Ctrl-C
        # with a bare exit code; here each becomes one line.
        code = app(args=args, prog_name="geopol", standalone_mode=False)
        if code == INTERRUPTED:  # typer's answer to a KeyboardInterrupt inside a command
            say(NOTHING_WRITTEN)
    except InputError as exc:
        say(f"error: {exc}")
        code = 2
    except typer.TyperException as exc:  # typer's parser: an unknown option, a bad value...
        say(f"error: {usage_error(exc, args)}")
        code = 2
    except NonFiniteState as exc:  # before any step, or in a command that writes at its end
        say(f"error: {command}: {exc}; nothing was written")
        code = 3
    except Stopped as exc:
        say(exc.line)
        code = exc.code
    except (KeyboardInterrupt, typer.Abort):
        say(NOTHING_WRITTEN)
        code = INTERRUPTED
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # python -m sim.cli, as the geopol command
    main()
