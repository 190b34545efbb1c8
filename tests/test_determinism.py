"""Reproducibility (same scenario and seed → same tables, in and across processes) and atomic
run directories (a failed or killed run leaves nothing that looks complete)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim.output
from sim import GeoModel
from sim.output import TABLES, run_tables, write_run

GEOPOL = Path(sys.executable).parent / "geopol"


def run(scenario, seed, steps, **kwargs):
    model = GeoModel(scenario=scenario, rng=seed, **kwargs)
    for _ in range(steps):
        model.step()
    return model


def gdp_series(tables) -> np.ndarray:
    return tables["actor_steps"].column("gdp_usd").to_numpy()


# ---------------------------------------------------------------- in one process


@pytest.mark.parametrize("scenario, steps", [("eurasia-sanctions-2017", 12), ("synthetic", 8)])
def test_same_seed_same_tables(scenario, steps):
    """Every table, the states' decisions among them (in the scenario with new sanctions to
    join or answer; the synthetic world has none)."""
    first = run_tables(run(scenario, 11, steps))
    second = run_tables(run(scenario, 11, steps))
    assert set(first) == set(TABLES)
    for name in TABLES:
        assert first[name].num_rows > 0 or (name, scenario) == ("decisions", "synthetic"), name
        assert first[name].equals(second[name]), name
    assert first["model"].num_rows == steps + 1


def test_eurasia_other_seed_other_gdp_same_actors():
    a = run_tables(run("eurasia", 11, 12))
    b = run_tables(run("eurasia", 12, 12))
    # The listed world does not depend on the seed ...
    assert a["actors"].equals(b["actors"])
    # ... but the GDP shocks do: step 0 is the data, every later step differs.
    ga = gdp_series(a).reshape(13, -1)
    gb = gdp_series(b).reshape(13, -1)
    np.testing.assert_array_equal(ga[0], gb[0])
    assert np.all(np.any(ga[1:] != gb[1:], axis=1))
    assert not a["model"].equals(b["model"])
    assert not a["trade"].equals(b["trade"])


# Every place where randomness enters, switched off: GDP shocks, link formation, summits,
# digital incidents, deals (who looks for a partner) and digital programmes. States decide nothing else in a world
# without new sanctions.
NO_CHANCE = {"growth_volatility": 0.0, "paradiplomacy_formation_rate": 0.0,
             "cities_summit_rate": 0.0, "digital_incident_hazard": 0.0,
             "decisions_agreements": False, "decisions_hedging": False,
             "decisions_digital": False}


def test_eurasia_without_chance_does_not_depend_on_the_seed():
    """With every random mechanism switched off, two seeds give the same run."""
    a = run_tables(run("eurasia", 11, 6, **NO_CHANCE))
    b = run_tables(run("eurasia", 12, 6, **NO_CHANCE))
    for name in TABLES:
        assert a[name].equals(b[name]), name


def test_synthetic_other_seed_other_world():
    a = run_tables(run("synthetic", 11, 3))
    b = run_tables(run("synthetic", 12, 3))
    assert a["actors"].num_rows == b["actors"].num_rows  # same sizes
    assert not a["actors"].equals(b["actors"])
    assert not np.array_equal(a["actors"].column("lat").to_numpy(),
                              b["actors"].column("lat").to_numpy())
    assert not np.array_equal(gdp_series(a), gdp_series(b))


# ---------------------------------------------------------------- across processes


def geopol(*args, timeout=120):
    return subprocess.run([str(GEOPOL), *map(str, args)], check=False, capture_output=True,
                          text=True, timeout=timeout)


def read_run(path: Path) -> dict[str, pd.DataFrame]:
    return {name: pq.read_table(path / f"{name}.parquet").to_pandas() for name in TABLES}


def test_same_seed_same_tables_across_processes(tmp_path):
    """In the scenario with new sanctions, so that the states' decisions are compared too."""
    scenario, steps = "eurasia-sanctions-2017", 8
    outs = [tmp_path / "one", tmp_path / "two"]
    for out in outs:
        done = geopol("run", scenario, "--steps", steps, "--seed", 3, "--out", out, "--quiet")
        assert done.returncode == 0, done.stderr
        assert (out / "manifest.json").is_file()
    one, two = read_run(outs[0]), read_run(outs[1])
    here = {name: t.to_pandas() for name, t in run_tables(run(scenario, 3, steps)).items()}
    for name in TABLES:
        assert len(one[name]) > 0, name
        pd.testing.assert_frame_equal(one[name], two[name], check_exact=True)
        pd.testing.assert_frame_equal(one[name], here[name], check_exact=True)
    # And a different seed in another process gives a different run.
    other = tmp_path / "other"
    assert geopol("run", scenario, "--steps", steps, "--seed", 4, "--out", other,
                  "--quiet").returncode == 0
    assert not read_run(other)["actor_steps"].equals(one["actor_steps"])


# ---------------------------------------------------------------- atomic run directories


def test_failed_write_leaves_no_run_directory(tmp_path, monkeypatch):
    model = run("synthetic", 1, 2)
    out = tmp_path / "runs" / "failed"
    real = sim.output.write_table
    written = []

    def write_then_fail(table, path):
        if written:
            raise OSError("disk full")
        real(table, path)
        written.append(path)

    monkeypatch.setattr(sim.output, "write_table", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_run(model, out, {"seed": 1})
    assert len(written) == 1 and not written[0].exists()  # the first file was written ...
    assert not out.exists()  # ... but never under the final name
    assert not list(tmp_path.rglob("manifest.json"))
    assert not list(tmp_path.rglob("*.parquet"))  # the staging directory was removed

    # The same call without the fault writes a complete run.
    monkeypatch.setattr(sim.output, "write_table", real)
    assert write_run(model, out, {"seed": 1}) == out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLES] + ["manifest.json"])
    assert [p.name for p in out.parent.iterdir()] == ["failed"]  # nothing left beside it


def test_failed_overwrite_keeps_the_previous_run(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write_run(run("synthetic", 1, 1), out, {"seed": 1})
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail(table, path):
        raise OSError("disk full")

    monkeypatch.setattr(sim.output, "write_table", fail)
    with pytest.raises(OSError):
        write_run(run("synthetic", 2, 1), out, {"seed": 2}, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# Large enough that the run goes on for minutes; steep distance costs and big shocks make each
# trade solve take many sweeps, so the steps are slow without piling up much history in memory.
BIG_SYNTHETIC = """\
[scenario]
name = "big-synthetic"
extends = "synthetic"

[synthetic]
states = 300
regions_per_state = 10

[params.trade]
distance_elasticity = 3.0

[params.growth]
volatility = 0.5
"""


def test_killed_run_leaves_nothing_that_looks_complete(tmp_path):
    scenario = tmp_path / "big.toml"
    scenario.write_text(BIG_SYNTHETIC)
    out = tmp_path / "runs" / "killed"
    proc = subprocess.Popen(
        [str(GEOPOL), "run", str(scenario), "--steps", "1000", "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        time.sleep(2.5)
        assert proc.poll() is None, proc.communicate()[1]  # still running: killed mid-run
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    assert not list(tmp_path.rglob("manifest.json"))
    assert not list(tmp_path.rglob("*.parquet"))
