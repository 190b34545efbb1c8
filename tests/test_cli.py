"""The `geopol` command line, used as a user would: the installed executable in a subprocess."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.params import Params
from sim.scenario import load

STEPS = 3
SEED = 1
PILLARS = ["pillar_government", "pillar_culture", "pillar_education", "pillar_engagement",
           "pillar_enterprise", "pillar_digital"]
TERMS = ["term_attraction", "term_interdependence", "term_summits", "term_political_plus",
         "term_sanction"]
TABLES = {
    "model.parquet": ["step", "date", "world_gdp_usd", "world_exports_usd", "export_share",
                      "trade_iterations", "active_links", "links_formed", "links_dissolved",
                      "summit_host", "events", "mean_relations", "blocs", "mean_technology",
                      "digital_incidents", "decisions"],
    "actors.parquet": ["actor", "name", "kind", "state", "is_capital", "lat", "lon",
                       "population"],
    "actor_steps.parquet": ["step", "actor", "gdp_usd", "link_strength", "activity",
                            "diplomatic_weight"],
    "state_steps.parquet": ["step", "state", "technology", "capacity_index", *PILLARS,
                            "soft_power", "reputation", "familiarity", "digital_audience",
                            "digital_stage", "bloc", "outward_resistance", "inward_resistance",
                            "sanction_exposure"],
    "trade.parquet": ["step", "exporter", "importer", "trade_usd", "cost_sanctions",
                      "cost_facilitation", "cost_paradiplomacy"],
    "relations.parquet": ["step", "state_a", "state_b", "relations", "summit_ties", *TERMS,
                          "term_drift", "term_shock", "sanction", "attraction_ab",
                          "attraction_ba"],
    "links.parquet": ["step", "a", "b", "kind", "economic", "cultural", "environmental",
                      "emergency", "local_authority"],
    "decisions.parquet": ["step", "date", "state", "action", "other", "sanction", "utility",
                          "reason"],
}


def test_scenarios_lists_the_bundled_scenarios(geopol):
    proc = geopol("scenarios")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    names = [line.split("│")[1].strip() for line in proc.stdout.splitlines()
             if line.count("│") >= 3 and line.split("│")[1].strip()]
    assert names == ["astana-summits", "digital-kazakhstan", "eu-sanctions-harder",
                     "eurasia-sanctions-2017", "eurasia", "synthetic-100k", "synthetic", "world"]


def test_validate_eurasia_says_ok_with_its_counts(geopol):
    proc = geopol("validate", "eurasia")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    spec = load("eurasia").spec
    assert proc.stdout.startswith("ok: eurasia: scenario 'eurasia'")
    assert (f"{len(spec.states)} states, {len(spec.cities)} cities, "
            f"{len(spec.regions)} regions, {len(spec.links)} links") in proc.stdout


def test_validate_calibration_reports_exports_against_the_world_bank(tmp_path, geopol):
    """The calibration report: the share of states with a figure within ±5 points, the misses
    with their reason, the estimates; the whole table as CSV on request; exit 0 on target."""
    out = tmp_path / "calibration.csv"
    proc = geopol("validate", "world", "--calibration", "--csv", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "states with a figure within ±5 points" in proc.stdout
    assert "target 90%: meets it" in proc.stdout
    table = pd.read_csv(out, keep_default_na=False)
    assert len(table) == len(load("world").spec.states)
    counted = table[table.status.isin(["within", "miss"])]
    assert (counted.status == "within").mean() >= 0.9
    # Every miss is a state whose gross exports exceed what the model can hold, and is named.
    for miss in counted[counted.status == "miss"].itertuples():
        assert miss.data > 0.95 and miss.state in proc.stdout


def test_validate_csv_without_calibration_is_an_input_error(tmp_path, geopol):
    proc = geopol("validate", "eurasia", "--csv", tmp_path / "x.csv")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: geopol validate: --csv: expected --calibration with "
                                   "it, found --csv alone")
    assert not (tmp_path / "x.csv").exists()


def test_validate_a_variant_file_from_another_directory(write_toml, tmp_path, geopol):
    path = write_toml("variants/v.toml", """\
[scenario]
name = "variant"
extends = "eurasia"

[[links]]
a = "almaty"
b = "moscow"
kind = "twinning"
channels = ["cultural"]
""")
    proc = geopol("validate", path.name, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr
    assert "scenario 'variant'" in proc.stdout
    assert f"{len(load('eurasia').spec.links) + 1} links" in proc.stdout


# ---------------------------------------------------------------- a finished run


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory, geopol):
    """`geopol run synthetic --steps 3 --seed 1 --out DIR`, run once for the tests below."""
    root = tmp_path_factory.mktemp("runs")
    out = root / "synthetic-run"
    proc = geopol("run", "synthetic", "--steps", STEPS, "--seed", SEED, "--out", out, cwd=root)
    return proc, out


def test_run_exits_0_and_writes_the_tables_and_manifest(synthetic_run):
    proc, out = synthetic_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "wrote" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted([*TABLES, "manifest.json"])


def test_run_leaves_no_partial_or_probe_files_behind(synthetic_run):
    _, out = synthetic_run
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_run_tables_have_the_expected_columns_and_rows(synthetic_run):
    _, out = synthetic_run
    size = load("synthetic").spec.synthetic
    s = size.states
    actors = s * (1 + size.cities_per_state + size.regions_per_state)
    frames = {name: pd.read_parquet(out / name) for name in TABLES}
    for name, columns in TABLES.items():
        assert list(frames[name].columns) == columns, name

    model = frames["model.parquet"]
    assert len(model) == STEPS + 1
    assert model["step"].tolist() == list(range(STEPS + 1))
    assert model["date"].tolist() == ["2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01"]
    assert (model["world_gdp_usd"] > 0).all()

    table = frames["actors.parquet"]
    assert len(table) == actors
    assert table["actor"].is_unique
    assert (table["kind"].astype(str) == "state").sum() == s

    steps = frames["actor_steps.parquet"]
    assert len(steps) == (STEPS + 1) * actors
    assert steps.groupby("step").size().tolist() == [actors] * (STEPS + 1)

    states = frames["state_steps.parquet"]
    assert len(states) == (STEPS + 1) * s
    assert states[["technology", "soft_power", "reputation", *PILLARS]].notna().all().all()

    relations = frames["relations.parquet"]
    assert len(relations) == (STEPS + 1) * s * (s - 1) // 2
    assert relations["relations"].between(-1, 1).all()

    links = frames["links.parquet"]
    assert links["step"].unique().tolist() == [0, STEPS]

    trade = frames["trade.parquet"]
    assert len(trade) == (STEPS + 1) * s * (s - 1)
    assert (trade["exporter"].astype(str) != trade["importer"].astype(str)).all()
    assert (trade["trade_usd"] > 0).all()


def test_run_manifest_describes_the_run(synthetic_run):
    _, out = synthetic_run
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("scenario", "scenario_hash", "seed", "steps", "parameters", "versions",
                "wall_seconds"):
        assert key in manifest, key
    assert manifest["scenario"] == "synthetic"
    assert manifest["scenario_hash"] == load("synthetic").content_hash
    assert manifest["seed"] == SEED
    assert manifest["steps"] == STEPS
    assert manifest["parameters"] == load("synthetic").spec.params.flat()  # the file's, no --set
    assert {"python", "numpy", "pandas", "mesa", "pyarrow"} <= set(manifest["versions"])
    assert isinstance(manifest["wall_seconds"], float | int) and manifest["wall_seconds"] >= 0
    # The manifest's file list agrees with what is on disk.
    for name, columns in TABLES.items():
        assert manifest["files"][name]["columns"] == columns
        assert manifest["files"][name]["rows"] == len(pd.read_parquet(out / name))


def test_run_with_set_records_the_overrides_in_the_manifest(write_toml, tiny_text, tmp_path,
                                                            geopol):
    scenario = write_toml("tiny.toml", tiny_text)
    out = tmp_path / "run"
    proc = geopol("run", scenario, "--steps", 2, "--out", out, "--quiet",
                  "--set", "trade.sigma=6", "--set", "growth.trend=0.01")
    assert proc.returncode == 0, proc.stderr
    parameters = json.loads((out / "manifest.json").read_text())["parameters"]
    expected = {**Params().flat(), "trade_sigma": 6.0, "growth_trend": 0.01}
    assert parameters == expected
    assert isinstance(parameters["trade_sigma"], float)


def test_run_with_overwrite_replaces_an_existing_run_directory(write_toml, tiny_text, tmp_path,
                                                               geopol):
    scenario = write_toml("tiny.toml", tiny_text)
    out = tmp_path / "run"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier run")
    (out / "manifest.json").write_text('{"steps": 99}')
    proc = geopol("run", scenario, "--steps", 2, "--seed", 5, "--out", out, "--quiet",
                  "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*TABLES, "manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["scenario"], manifest["steps"], manifest["seed"]) == ("tiny", 2, 5)
    assert len(pd.read_parquet(out / "model.parquet")) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "tiny.toml"]
