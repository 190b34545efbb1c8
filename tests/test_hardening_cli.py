"""The error promise at the command line (issue 14): bad input is one line on stderr and exit
code 2, a run stopped on non-finite state one line and exit code 3 with its output kept in its
staging directory, Ctrl-C one line and 130; no line longer than 300 characters or holding a
control character; nothing half-written, nothing failing only after the work is done.

Most cases call `sim.cli.main` in this process (with `sys.argv` set, as the `geopol` script
calls it), which is fast; a few run the installed executable, as a user does.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import LINE, InputError, NonFiniteState
from sim.model import GeoModel

GEOPOL = Path(sys.executable).parent / "geopol"
BIG = 2**70  # 1180591620717411303424


def geopol_main(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    """`geopol ARGS` through `main()`: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["geopol", *map(str, args)])
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def one_line(err: str, code: int = 2) -> str:
    """The one stderr line of a failed command, after checking the promise."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert len(lines[0]) <= LINE, len(lines[0])
    assert err.endswith("\n")
    assert lines[0].startswith("error: " if code != 130 else "interrupted: "), lines[0]
    return lines[0]


def failed(monkeypatch, capsys, *args: object, code: int = 2) -> str:
    got, _, err = geopol_main(monkeypatch, capsys, *args)
    assert got == code, err
    return one_line(err, code)


@pytest.fixture
def tiny(write_toml, tiny_text) -> Path:
    return write_toml("tiny.toml", tiny_text)


@pytest.fixture
def no_model_runs(monkeypatch):
    """Fail the test if a model is stepped: the error must come before any work."""

    def step(self):
        raise AssertionError("a model was stepped before the input was checked")

    monkeypatch.setattr(GeoModel, "step", step)


# ---------------------------------------------------------------- malformed command lines

MALFORMED = {  # input class: (arguments, what the line must name)
    "mistyped option": (["run", "--stpes", "3"], ["geopol run", "--stpes", "--steps"]),
    "value of the wrong type": (["run", "--steps", "abc"], ["--steps", "whole number", "abc"]),
    "missing argument": (["explain"], ["geopol explain", "RUN_DIR"]),
    "missing required option": (["explain", "somewhere"], ["--pair"]),
    "unknown command": (["fly"], ["COMMAND", "'fly'", "run"]),
    "option without its value": (["run", "--steps"], ["--steps"]),
    "flag given a value": (["run", "--overwrite=yes"], ["--overwrite", "flag", "'yes'"]),
    "extra argument": (["run", "eurasia", "again"], ["geopol run", "again"]),
    "unknown short option": (["run", "-x"], ["-x"]),
    "too few values for a pair": (["explain", "somewhere", "--pair", "KAZ"], ["--pair"]),
    "control characters in an option": (["run", "--st\x1b[2Jeps\n"], ["--st\\x1b[2Jeps\\n"]),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_command_line_is_one_line_and_exit_2(monkeypatch, capsys, case):
    args, named = MALFORMED[case]
    line = failed(monkeypatch, capsys, *args)
    for text in named:
        assert text in line, line
    assert "expected" in line and "found" in line, line


def test_no_command_is_the_help(monkeypatch, capsys):
    """A bare `geopol` is a user asking what it can do, not a mistake."""
    monkeypatch.setattr(sys, "argv", ["geopol"])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    assert done.value.code == 0 and out.err == ""
    assert "Usage" in out.out and "run" in out.out and "sweep" in out.out


def test_a_mistyped_option_is_one_line_and_exit_2():
    """Through the installed executable: typer's own usage errors never reach the user as a
    traceback or a boxed, many-line usage text."""
    proc = subprocess.run([str(GEOPOL), "run", "--stpes", "3"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    line = one_line(proc.stderr)
    assert line.startswith("error: geopol run: --stpes: expected an option of geopol run")
    assert "--steps" in line and proc.stdout == ""


def test_help_still_prints_and_exits_0(monkeypatch, capsys):
    code, out, err = geopol_main(monkeypatch, capsys, "run", "--help")
    assert code == 0 and "--steps" in out and err == ""


def test_help_shows_the_defaults_that_help_texts_name(monkeypatch, capsys):
    """Help texts say "[default: ...]" as plain text (rich markup would swallow it)."""
    code, out, _ = geopol_main(monkeypatch, capsys, "run", "--help")
    assert code == 0 and "[default: runs/NAME-seedS-TIME]" in out
    code, out, _ = geopol_main(monkeypatch, capsys, "--help")
    assert code == 0 and "--threads" in out and "[default: NUMBA_NUM_THREADS" in out


@pytest.mark.parametrize("threads", [0, 4096])
def test_threads_beyond_numbas_pool_are_one_line_and_exit_2(monkeypatch, capsys, threads,
                                                           no_model_runs):
    line = failed(monkeypatch, capsys, "--threads", threads, "run", "eurasia")
    assert line.startswith("error: geopol: --threads: expected 1 to "), line
    assert f"found {threads}" in line, line


# ---------------------------------------------------------------- --steps and other numbers


@pytest.mark.parametrize("command", [["run", "eurasia"], ["compare", "eurasia"], ["bench"]])
def test_steps_beyond_the_maximum_are_refused_on_every_command(monkeypatch, capsys, command,
                                                               no_model_runs):
    line = failed(monkeypatch, capsys, *command, "--steps", BIG)
    assert "--steps" in line and "100000" in line and str(BIG) in line, line


@pytest.mark.parametrize(("args", "option", "most"), [
    (["compare", "eurasia", "--replicates", BIG], "--replicates", "10000"),
    (["sweep", "spec.toml", "--workers", BIG], "--workers", "1024"),
    (["sweep", "spec.toml", "--dask-local", 10**6], "--dask-local", "1024"),
])
def test_a_count_beyond_its_maximum_is_refused_before_any_work(monkeypatch, capsys, args,
                                                                option, most, no_model_runs):
    line = failed(monkeypatch, capsys, *args)
    assert f"{option}: expected a number ≤ {most}" in line, line


def test_steps_beyond_the_calendar_are_refused_before_the_run(monkeypatch, capsys, tiny,
                                                              no_model_runs, tmp_path):
    line = failed(monkeypatch, capsys, "run", tiny, "--steps", 50_000, "--out", tmp_path / "o")
    assert "--steps" in line and "50000" in line, line
    assert not (tmp_path / "o").exists()


def test_bench_with_too_few_states_is_refused(monkeypatch, capsys):
    line = failed(monkeypatch, capsys, "bench", "--states", 0)
    assert "--states" in line and "≥ 2" in line and line.endswith("found 0"), line


def test_bench_app_with_a_negative_count_is_refused(monkeypatch, capsys):
    line = failed(monkeypatch, capsys, "bench", "--app", -1)
    assert "--app" in line and "≥ 0" in line and line.endswith("found -1"), line


# ---------------------------------------------------------------- long and strange text


def test_a_2mb_event_type_is_one_line_of_at_most_300_characters(monkeypatch, capsys, write_toml,
                                                                tiny_text, no_model_runs):
    path = write_toml("long.toml", tiny_text + textwrap.dedent(f"""
        [[events]]
        type = "{"x" * 2_000_000}"
        at = 2
        """))
    line = failed(monkeypatch, capsys, "run", path)
    assert str(path) in line or "long.toml" in line, line
    assert "events[0]" in line and "expected" in line and "found 'xxx" in line, line


def test_a_key_with_a_newline_is_escaped_on_one_line(monkeypatch, capsys, write_toml, tiny_text,
                                                     no_model_runs):
    path = write_toml("newline.toml", tiny_text.replace(
        '[scenario]\nname = "tiny"', '[scenario]\nname = "tiny"\n"bad\\nkey\\u001b" = 1'))
    line = failed(monkeypatch, capsys, "run", path)
    assert "newline.toml" in line and "bad\\nkey\\x1b" in line, line


def test_an_input_error_keeps_its_four_parts_within_the_line():
    err = InputError("f" * 10_000, "k\n" * 10_000, "e" * 10_000, "v\r" * 10_000)
    text = str(err)
    assert len("error: " + text) <= LINE
    assert "\n" not in text and "\r" not in text
    source, key, rest = text.split(": ", 2)
    expected, found = rest.removeprefix("expected ").split(", found ")
    assert source.startswith("fff") and key.startswith("k\\nk") and expected.startswith("eee")
    assert found.startswith("v\\r")
    # Short parts are kept whole, the long one gets what is left.
    short = str(InputError("scenario.toml", "events[0].type", "one of sanction, summit",
                           "x" * 1_000_000))
    assert short.startswith("scenario.toml: events[0].type: expected one of sanction, summit, "
                            "found xxx")
    assert len("error: " + short) <= LINE


# ---------------------------------------------------------------- pickling


def test_an_input_error_survives_pickling():
    err = InputError("tiny.toml", "states[0].gdp_usd", "a number ≥ 1e6", "-1.0")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is InputError and str(again) == str(err)
    assert (again.source, again.key, again.expected, again.found) == (
        err.source, err.key, err.expected, err.found)


def test_non_finite_state_survives_pickling():
    stop = NonFiniteState(17, "gdp_usd", "KAZ")
    again = pickle.loads(pickle.dumps(stop))
    assert (again.step, again.array, again.actor) == (17, "gdp_usd", "KAZ")
    assert str(again) == str(stop)


BATCH_RUN = """
import mesa
from sim import GeoModel
from sim.errors import InputError

try:
    mesa.batch_run(GeoModel, parameters={{"scenario": {path!r}, "trade_sigma": -1.0}},
                   number_processes=2, iterations=1, max_steps=1, display_progress=False)
except InputError as exc:
    print("raised", exc.key)
"""


def test_batch_run_with_a_bad_parameter_raises_promptly(tiny, tmp_path):
    """With two processes, the worker's InputError comes back to the caller; it used to hang
    the pool for ever, as it could not be unpickled."""
    proc = subprocess.run([sys.executable, "-c", BATCH_RUN.format(path=str(tiny))],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "raised trade_sigma", proc.stdout


# ---------------------------------------------------------------- non-finite state


@pytest.fixture
def non_finite_at_step_2(monkeypatch):
    """GeoModel.step raises NonFiniteState at step 2, after recording steps 0 and 1."""
    real = GeoModel.step

    def step(self):
        if self.steps >= 2:
            raise NonFiniteState(2, "gdp_usd", "AAA")
        real(self)

    monkeypatch.setattr(GeoModel, "step", step)


def test_a_run_stopped_on_non_finite_state_exits_3_and_keeps_its_output(
        monkeypatch, capsys, tiny, tmp_path, non_finite_at_step_2):
    out = tmp_path / "run"
    line = failed(monkeypatch, capsys, "run", tiny, "--steps", 5, "--out", out, "--quiet",
                  code=3)
    staging = tmp_path / f".run.partial-{os.getpid()}"
    assert "tiny.toml" in line and "step 2" in line and "gdp_usd" in line and "AAA" in line
    assert line.endswith(f"what it recorded is in {staging}"), line
    assert not out.exists()  # never renamed into place as if complete
    manifest = json.loads((staging / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["stopped"] == {"step": 2, "array": "gdp_usd", "actor": "AAA",
                                   "error": str(NonFiniteState(2, "gdp_usd", "AAA"))}
    assert "model.parquet" in manifest["files"]
    assert (staging / "model.parquet").is_file()


def test_the_next_run_keeps_a_stopped_run_and_says_so(monkeypatch, capsys, tiny, tmp_path):
    """A stopped run's tables stay for a look, and `geopol run` into the same directory lists
    them; what a killed run left (no manifest) is removed."""
    gone = subprocess.Popen([sys.executable, "-c", ""])  # a process id no longer running
    gone.wait()
    stopped = tmp_path / f".old.partial-{gone.pid}"
    stopped.mkdir()
    (stopped / "manifest.json").write_text("{}")
    killed = tmp_path / f".other.partial-{gone.pid}"
    killed.mkdir()
    (killed / "model.parquet").write_bytes(b"half")
    code, _, err = geopol_main(monkeypatch, capsys, "run", tiny, "--steps", 2, "--out",
                               tmp_path / "new", "--quiet")
    assert code == 0, err
    assert stopped.is_dir() and not killed.exists()
    note = [line for line in err.splitlines() if line.startswith("note: ")]
    assert len(note) == 1 and stopped.name in note[0] and "remove them" in note[0], err


def test_compare_stopped_on_non_finite_state_exits_3_and_writes_nothing(
        monkeypatch, capsys, tiny, tmp_path, non_finite_at_step_2):
    out = tmp_path / "cmp"
    line = failed(monkeypatch, capsys, "compare", tiny, "--baseline", tiny, "--replicates", 1,
                  "--steps", 4, "--out", out, "--quiet", code=3)
    assert line.startswith("error: geopol compare: the run went non-finite at step 2"), line
    assert "nothing was written" in line
    assert list(tmp_path.iterdir()) == [tiny]


def test_a_sweep_records_a_non_finite_run_in_its_row(tiny, non_finite_at_step_2):
    from sim.sweep import RunTask, run_one

    row = run_one(RunTask(run_id=0, point=0, replicate=0, seed=1, params={},
                          scenario=str(tiny), steps=4, metrics=(("mean_relations", "final", 0, "mean_relations_final"),)))
    assert row["error"].startswith("NonFiniteState: the run went non-finite at step 2")


# ---------------------------------------------------------------- output paths


def test_a_scenario_name_too_long_for_the_file_system_fails_before_the_run(
        monkeypatch, capsys, write_toml, tiny_text, tmp_path, no_model_runs):
    name = "a" * 300
    path = write_toml("long-name.toml", tiny_text.replace('name = "tiny"', f'name = "{name}"'))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    line = failed(monkeypatch, capsys, "run", path, "--steps", 2)
    assert "--out" in line and "too long" in line, line
    line = failed(monkeypatch, capsys, "compare", path, "--baseline", path, "--steps", 2)
    assert "--out" in line and "too long" in line, line
    assert list((tmp_path / "runs").iterdir()) == []


def test_an_out_path_with_a_component_too_long_fails_before_the_run(monkeypatch, capsys, tiny,
                                                                     tmp_path, no_model_runs):
    out = tmp_path / ("b" * 256) / "run"
    line = failed(monkeypatch, capsys, "run", tiny, "--steps", 2, "--out", out)
    assert "--out" in line and "too long" in line, line
    line = failed(monkeypatch, capsys, "run", tiny, "--steps", 2, "--out", tmp_path / ("c" * 250))
    assert "--out" in line and "too long" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


# ---------------------------------------------------------------- commands that crashed


def test_compare_of_worlds_with_different_states_is_one_line_and_exit_2(monkeypatch, capsys,
                                                                         no_model_runs):
    line = failed(monkeypatch, capsys, "compare", "synthetic", "--baseline", "eurasia",
                  "--replicates", 1)
    assert "eurasia" in line and "states" in line and "the worlds differ" in line, line
    assert "synthetic world of 20 states" in line, line


SWEEP = """\
[sweep]
name = "t"
scenario = "{scenario}"
steps = {steps}
design = "grid"
replicates = {replicates}
chunk_runs = 1

[parameters]
"relations.drift" = {{ values = [0.2, 0.3] }}

[[metrics]]
name = "mean_relations"
reduce = "final"
"""


@pytest.fixture
def sweep_spec(tiny, write_toml) -> Path:
    return write_toml("spec.toml", SWEEP.format(scenario=tiny, steps=3, replicates=1))


def test_sweep_out_onto_an_existing_file_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path,
                                                                sweep_spec, no_model_runs):
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    line = failed(monkeypatch, capsys, "sweep", sweep_spec, "--out", blocker, "--workers", 1)
    assert line.startswith("error: --out: ") and "an existing file" in line, line
    assert blocker.read_text() == "keep me"


def test_sweep_out_onto_an_unwritable_path_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path,
                                                                  sweep_spec, no_model_runs):
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    for out in (blocker / "sweep", Path("/proc/geopol-sweep"), tmp_path / ("d" * 300)):
        line = failed(monkeypatch, capsys, "sweep", sweep_spec, "--out", out, "--workers", 1)
        assert line.startswith("error: --out: ") and "written" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "spec.toml", "tiny.toml"]


def test_sweep_scheduler_that_is_not_an_address_is_one_line_and_exit_2(
        monkeypatch, capsys, tmp_path, sweep_spec, no_model_runs):
    pytest.importorskip("distributed")
    line = failed(monkeypatch, capsys, "sweep", sweep_spec, "--scheduler", "not a url",
                  "--out", tmp_path / "out")
    assert "--scheduler" in line and "'not a url'" in line, line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text", ['{"spec_hash": ', "[1, 2]", '{"spec_hash": "x"}', "\x00\xff"])
def test_report_on_a_corrupt_manifest_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path,
                                                             text):
    (tmp_path / "manifest.json").write_text(text, encoding="latin-1")
    line = failed(monkeypatch, capsys, "report", tmp_path)
    assert "manifest.json" in line, line
    assert not (tmp_path / "report").exists()


@pytest.fixture
def run_dir(monkeypatch, capsys, tiny, tmp_path) -> Path:
    out = tmp_path / "run"
    code, _, err = geopol_main(monkeypatch, capsys, "run", tiny, "--steps", 3, "--out", out,
                               "--quiet")
    assert code == 0, err
    return out


def test_explain_on_a_truncated_parquet_file_is_one_line_and_exit_2(monkeypatch, capsys,
                                                                    run_dir):
    table = run_dir / "relations.parquet"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    line = failed(monkeypatch, capsys, "explain", run_dir, "--pair", "AAA", "BBB")
    assert "relations.parquet" in line and "expected a Parquet table" in line, line


# ---------------------------------------------------------------- Ctrl-C


def test_ctrl_c_during_a_run_is_one_line_and_exit_130(monkeypatch, capsys, tiny, tmp_path):
    def step(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(GeoModel, "step", step)
    out = tmp_path / "run"
    line = failed(monkeypatch, capsys, "run", tiny, "--steps", 3, "--out", out, code=130)
    assert line == "interrupted: nothing was written"
    assert list(tmp_path.iterdir()) == [tiny]


CTRL_C_AT_START_UP = """
import builtins, sys
import sim  # the package: what the `geopol` script imports before sim.cli

real = builtins.__import__

def interrupted(name, *args, **kwargs):
    if name == "typer":
        raise KeyboardInterrupt
    return real(name, *args, **kwargs)

builtins.__import__ = interrupted
sys.argv = ["geopol", "scenarios"]
from sim.cli import main
main()
"""


def test_ctrl_c_while_the_command_line_loads_is_one_line_and_exit_130():
    proc = subprocess.run([sys.executable, "-c", CTRL_C_AT_START_UP], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 130, proc.stderr
    assert one_line(proc.stderr, 130) == "interrupted: nothing was written"


CTRL_C_LOST_IN_A_CALLBACK = """
import os, signal, sys, weakref
from sim.cli import main

class Module:  # as importlib's weak caches: a callback runs when an object goes
    pass

def callback(ref):
    os.kill(os.getpid(), signal.SIGINT)  # Python runs the handler here, and drops its exception

held = Module()
ref = weakref.ref(held, callback)
del held
print("went on", flush=True)
sys.argv = ["geopol", "run", "eurasia", "--steps", "3", "--out", sys.argv[1]]
main()
"""


def test_ctrl_c_lost_in_a_weakref_callback_still_stops_the_run(tmp_path):
    """Python drops a KeyboardInterrupt raised in a weakref callback (as during imports) and
    prints "Exception ignored": the run must still stop, with one line and exit code 130."""
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", CTRL_C_LOST_IN_A_CALLBACK, str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.stdout == "went on\n"  # the exception was lost: the script went on
    assert proc.returncode == 130, proc.stderr
    assert one_line(proc.stderr, 130) == "interrupted: nothing was written"
    assert not out.exists()


def test_ctrl_c_during_start_up_of_the_installed_command_is_one_line(tmp_path):
    # As from a terminal: an ignored SIGINT would stay ignored in the child (see test_sweep).
    # A whole run, so that the command is still starting or running when the signal comes.
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for delay in (0.3, 0.8):
            proc = subprocess.Popen([str(GEOPOL), "run", "eurasia", "--out", str(tmp_path)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 130, err
            assert one_line(err, 130) == "interrupted: nothing was written"
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
