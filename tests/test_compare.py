"""Attribution, `geopol compare`, `geopol explain` and the bundled scenarios with events."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim import GeoModel
from sim.attribution import (
    RELATION_CHANNELS,
    TradeTables,
    changes_among,
    relations_change,
    trade_change,
)
from sim.compare import OUTCOMES, compare
from sim.output import run_tables
from sim.scenario import load, world_index

SANCTIONS = "eurasia-sanctions-2017"
IMPOSERS = ("USA", "POL", "FRA", "HUN")  # some of them: the US and EU members


def tables(model: GeoModel) -> dict[str, pd.DataFrame]:
    out = {name: table.to_pandas() for name, table in run_tables(model).items()}
    states = set(out["state_steps"]["state"].astype(str))
    gdp = out["actor_steps"].rename(columns={"actor": "state"})
    out["gdp"] = gdp[gdp["state"].astype(str).isin(states)]
    return out


@pytest.fixture(scope="module")
def sanctioned_run():
    model = GeoModel(scenario=SANCTIONS, rng=5)
    for _ in range(12):
        model.step()
    return model, tables(model)


# ---------------------------------------------------------------- attribution


@pytest.mark.parametrize("pair", [("RUS", "USA"), ("KAZ", "RUS"), ("POL", "FRA")])
def test_relations_change_adds_up_to_the_recorded_change(sanctioned_run, pair):
    model, t = sanctioned_run
    change = relations_change(t["relations"], *pair, 2, 12)
    i, j = (list(model.world.actors.ids).index(s) for s in pair)
    first = t["relations"]
    at = first[(first["state_a"].astype(str) == pair[0]) & (first["state_b"].astype(str) == pair[1])]
    if at.empty:
        at = first[(first["state_a"].astype(str) == pair[1])
                   & (first["state_b"].astype(str) == pair[0])]
    by_step = at.set_index("step")["relations"]
    assert change["total"] == pytest.approx(by_step[12] - by_step[2], abs=1e-15)
    assert change["total"] == pytest.approx(model.world.pairs.relations[i, j] - by_step[2])
    channels = [*RELATION_CHANNELS, "clipping"]
    assert sum(change[c] for c in channels) == pytest.approx(change["total"], abs=1e-12)
    assert abs(change["clipping"]) < 1e-12  # nothing near ±1 here


def test_relations_change_names_sanctions_as_the_cause_for_the_targets_pairs(sanctioned_run):
    _, t = sanctioned_run
    change = relations_change(t["relations"], "RUS", "USA", 0, 12)
    assert change["total"] < -0.1
    assert change["sanctions"] < -0.1
    assert change["sanctions"] == min(change[c] for c in RELATION_CHANNELS)
    # A pair the sanctions leave out has no sanctions term at all.
    assert relations_change(t["relations"], "KAZ", "CHN", 0, 12)["sanctions"] == 0.0


def test_trade_change_adds_up_and_the_sanction_part_is_the_cost_change(sanctioned_run):
    model, t = sanctioned_run
    tables_ = TradeTables(t["trade"], t["state_steps"], t["gdp"])
    for exporter, importer in (("USA", "RUS"), ("RUS", "USA"), ("KAZ", "RUS"), ("CHN", "RUS")):
        change = trade_change(tables_, exporter, importer, 0, 12)
        flows = t["trade"][(t["trade"]["exporter"].astype(str) == exporter)
                           & (t["trade"]["importer"].astype(str) == importer)].set_index("step")
        assert change["total"] == pytest.approx(
            100 * np.log(flows["trade_usd"][12] / flows["trade_usd"][0]), rel=1e-12)
        # The decomposition is exact up to the gravity solve's tolerance.
        assert abs(change["other"]) < 1e-6
        # The sanctions part is the change of −β_s·s since step 0 (the sanctions of 2014 are in
        # force from the start), and −β_s·s is what the trade costs hold at the end.
        i, j = (list(model.world.actors.ids).index(s) for s in (exporter, importer))
        now = -model.params.trade.sanction * model.world.pairs.trade_sanction[i, j]
        assert flows["cost_sanctions"][12] == pytest.approx(now, abs=1e-12)
        assert change["sanctions"] == pytest.approx(
            100 * (now - flows["cost_sanctions"][0]), abs=1e-9)
    # US exports to Russia: sanctioned, partly offset by diversion; China's to Russia: diverted.
    us = trade_change(tables_, "USA", "RUS", 0, 12)
    china = trade_change(tables_, "CHN", "RUS", 0, 12)
    assert us["sanctions"] < -50 and us["third countries"] > 0
    assert china["sanctions"] == 0 and china["third countries"] > 0


def test_attribution_from_the_recorder_is_the_attribution_from_the_tables(sanctioned_run):
    """`changes_among` (all pairs at once, from the recorder) gives what the per-pair
    functions give from the run's tables."""
    model, t = sanctioned_run
    states = ["KAZ", "RUS", "USA", "POL"]
    frame = changes_among(model.recorder, states, 2, 12).set_index(["measure", "pair"])
    trade_tables = TradeTables(t["trade"], t["state_steps"], t["gdp"])
    for k, a in enumerate(states):
        for b in states[k + 1:]:
            expected = relations_change(t["relations"], a, b, 2, 12)
            got = frame.loc[("relations", f"{a}–{b}"), expected.index]
            np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(), atol=1e-12)
            for x, y in ((a, b), (b, a)):
                expected = trade_change(trade_tables, x, y, 2, 12)
                got = frame.loc[("trade, log points", f"{x}→{y}"), expected.index]
                np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(),
                                           rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def sanction_comparison():
    return compare(SANCTIONS, "eurasia", replicates=4, seed=3, steps=12, focus=["KAZ"])


def row(summary: pd.DataFrame, outcome: str, key: str) -> pd.Series:
    """The summary row of an outcome for a state or an unordered pair (`A–B` or `B–A`)."""
    keys = {key, "–".join(reversed(key.split("–")))}
    found = summary[(summary["outcome"] == outcome) & summary["key"].isin(keys)]
    assert len(found) == 1, (outcome, key)
    return found.iloc[0]


def pair_row(attribution: pd.DataFrame, measure: str, a: str, b: str) -> pd.Series:
    """The attribution of relations between a and b (either order)."""
    found = attribution[(attribution["measure"] == measure)
                        & attribution["pair"].isin({f"{a}–{b}", f"{b}–{a}"})]
    assert len(found) == 1, (measure, a, b)
    return found.iloc[0]


def test_comparing_a_scenario_with_itself_gives_no_difference():
    result = compare("eurasia", "eurasia", replicates=2, seed=1, steps=6)
    assert (result.summary["difference"] == 0).all()
    assert (result.differences[["difference", "low", "high"]] == 0).all().all()
    assert result.focus == []


def test_the_same_seed_gives_the_same_comparison(sanction_comparison):
    again = compare(SANCTIONS, "eurasia", replicates=4, seed=3, steps=12, focus=["KAZ"])
    pd.testing.assert_frame_equal(again.summary, sanction_comparison.summary)
    pd.testing.assert_frame_equal(again.attribution, sanction_comparison.attribution)
    pd.testing.assert_frame_equal(again.decisions, sanction_comparison.decisions)
    other = compare(SANCTIONS, "eurasia", replicates=4, seed=4, steps=12)
    assert not np.array_equal(other.summary["scenario"], sanction_comparison.summary["scenario"])


def test_sanctions_show_in_every_outcome_with_bands_that_exclude_zero(sanction_comparison):
    s = sanction_comparison.summary
    # The focus: the states the scenario's own events name (not the world's timeline, which
    # the baseline shares), then --focus.
    focus = sanction_comparison.focus
    # The EU extension names the EU: its 28 members of August 2017.
    eu = world_index(load(SANCTIONS).spec).members("EU", date(2017, 8, 4))
    assert len(eu) == 28 and set(focus[:-1]) == {"RUS", "USA", *eu}
    assert focus[-1] == "KAZ"
    for imposer in IMPOSERS:
        trade = row(s, "trade", f"RUS–{imposer}")
        assert trade["high"] < 0 and trade["difference"] < -0.2 * trade["baseline"]
        assert row(s, "relations", f"RUS–{imposer}")["high"] < -0.1
    # Diverted trade: Russia's trade with China rises.
    assert row(s, "trade", "RUS–CHN")["low"] > 0
    # Russia exports less. The Kazakh–Russian links hold: the regions' agreements gain (the
    # cushion; tests/test_mechanisms.py shows it link by link), while Astana's twinning
    # attention drifts to partners whose own exposure rises, so the pair's sum barely moves.
    assert row(s, "exports", "RUS")["high"] < 0
    links = row(s, "regional_links", "KAZ–RUS")
    assert abs(links["difference"]) < 0.005 * links["baseline"]
    assert set(s["outcome"]) == set(OUTCOMES)


def test_comparison_attribution_blames_the_sanctions(sanction_comparison):
    a = sanction_comparison.attribution
    rel = pair_row(a, "relations", "RUS", "USA")
    assert rel["total"] < 0 and rel["sanctions"] < rel["total"] < 0  # drift pulls back up
    trade = a[(a["measure"] == "trade, log points") & (a["pair"] == "USA→RUS")].iloc[0]
    assert trade["sanctions"] < -50
    assert trade["total"] == pytest.approx(
        sum(trade[c] for c in ("incomes", "sanctions", "customs facilitation", "paradiplomacy",
                               "third countries", "other")), abs=1.0)
    kaz = a[(a["measure"] == "trade, log points") & (a["pair"] == "KAZ→RUS")].iloc[0]
    assert kaz["paradiplomacy"] > 0  # regional ties cushion Kazakh–Russian trade


def test_comparison_reports_who_joined_and_who_answered(sanction_comparison):
    """The US bill and the EU extension of 2017: Russia answers their imposers in most
    replicates, and nowhere in the baseline before 2022 (the baseline's first decisions answer
    the world's own sanctions of February 2022)."""
    d = sanction_comparison.decisions
    assert list(d.columns) == ["state", "action", "other", "scenario_share", "baseline_share",
                               "median_step"]
    answers = d[(d["state"] == "RUS") & (d["action"] == "counter-sanctioned")]
    assert (answers["scenario_share"] >= 0.5).sum() >= 5
    assert (answers["baseline_share"] == 0).all()  # 12 steps from 2017: before 2022
    assert ((d["scenario_share"] >= 0) & (d["scenario_share"] <= 1)).all()
    assert (d["scenario_share"] > 0).any()
    # The most frequent first.
    assert d["scenario_share"].is_monotonic_decreasing


def test_geopol_compare_writes_a_comparison_directory(geopol, tmp_path):
    out = tmp_path / "cmp"
    proc = geopol("compare", SANCTIONS, "--baseline", "eurasia", "--replicates", "3",
                  "--steps", "8", "--seed", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert ("RUS–USA" in proc.stdout or "USA–RUS" in proc.stdout)
    assert "Why relations moved" in proc.stdout
    assert "runs on the scenario's calendar" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replicates"] == 3 and manifest["steps"] == 8 and manifest["seed"] == 2
    assert manifest["scenario"] == SANCTIONS and manifest["baseline"] == "eurasia"
    assert "What states decided" in proc.stdout
    for name in ("summary", "differences", "attribution", "decisions"):
        csv = pd.read_csv(out / f"{name}.csv")
        parquet = pd.read_parquet(out / f"{name}.parquet")
        assert len(csv) == len(parquet) == manifest["files"][name]["rows"] > 0
    differences = pd.read_parquet(out / "differences.parquet")
    assert sorted(set(differences["step"])) == list(range(9))
    for outcome in OUTCOMES:
        png = out / "plots" / f"{outcome}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("args, key", [
    (["--replicates", "0"], "--replicates"),
    (["--baseline", "nowhere"], "name"),
    (["--focus", "ATLANTIS"], "--focus"),
    (["--steps", "0"], "--steps"),
])
def test_geopol_compare_rejects_bad_input_in_one_line(geopol, tmp_path, args, key):
    proc = geopol("compare", SANCTIONS, "--out", str(tmp_path / "x"), *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- explain


def test_geopol_explain_prints_channels_that_add_up(geopol, tmp_path):
    run = tmp_path / "run"
    assert geopol("run", SANCTIONS, "--steps", "10", "--seed", "1", "--out", str(run),
                  "--quiet").returncode == 0
    proc = geopol("explain", str(run), "--pair", "RUS", "USA", "--from", "2", "--to", "10")
    assert proc.returncode == 0, proc.stderr
    assert "Why relations moved: RUS–USA, step 2 to 10" in proc.stdout
    assert "sanctions" in proc.stdout and "third countries" in proc.stdout
    # The states' decisions about either, the pair's own first (Russia answering the USA).
    decided = pd.read_parquet(run / "decisions.parquet")
    about = decided[decided["state"].isin(["RUS", "USA"]) | decided["other"].isin(["RUS", "USA"])]
    about = about[(about["step"] >= 2) & (about["step"] < 10)]
    assert not about.empty
    assert f"Decisions behind it: {len(about)} about RUS or USA" in proc.stdout
    bad = geopol("explain", str(run), "--pair", "RUS", "XYZ")
    assert bad.returncode == 2 and "XYZ" in bad.stderr and len(bad.stderr.splitlines()) == 1
    bad = geopol("explain", str(run), "--pair", "RUS", "USA", "--from", "10", "--to", "2")
    assert bad.returncode == 2 and "--from/--to" in bad.stderr
    bad = geopol("explain", str(tmp_path), "--pair", "RUS", "USA")
    assert bad.returncode == 2 and "manifest.json" in bad.stderr


# ---------------------------------------------------------------- bundled scenarios


def test_bundled_event_scenarios_extend_eurasia_and_cite_their_papers():
    for name, paper in ((SANCTIONS, "004"), ("digital-kazakhstan", "003"),
                        ("astana-summits", "001")):
        spec = load(name).spec
        assert spec.scenario.focus == load("eurasia").spec.scenario.focus and spec.events
        assert any(source.startswith(paper) for source in spec.scenario.sources)
        assert all(event.source for event in spec.events)


def test_sanction_dates_map_to_their_steps():
    # The scripted model for sanctions: a state joining the scenario's own (the USA may join
    # the EU extension) would add to the pair's intensity.
    model = GeoModel(scenario=SANCTIONS, rng=1, decisions_coalitions=False,
                     decisions_retaliation=False)
    own = {"US sanctions bill", "EU extension"}
    # Aug 2017: Jul–Oct 2017, step 3.
    assert [item.at for item in model.timeline if item.event.name in own] == [3, 3]
    usa, rus = (list(model.world.actors.ids).index(s) for s in ("USA", "RUS"))
    before = 0.3  # the sanctions of 2014 (the world's timeline), in force from the start
    for _ in range(2):
        model.step()
        assert model.world.pairs.sanction[usa, rus] == pytest.approx(before)
    model.step()
    # Partial (0.5), ramped in over two quarters: half of it in the first; compounded with
    # the sanctions of 2014 as 1 − (1 − 0.3)(1 − x).
    assert model.world.pairs.sanction[usa, rus] == pytest.approx(1 - 0.7 * 0.75)
    model.step()
    assert model.world.pairs.sanction[usa, rus] == pytest.approx(1 - 0.7 * 0.5)


def test_astana_hosts_the_summits_of_paper_001_on_their_dates():
    # The scripted model for sanctions and facilitation: the events of the step are the
    # timeline's alone (states answer the 2010 sanctions on Iran otherwise, Iran
    # counter-sanctioning some that step, and Kazakhstan, hedging, concludes customs
    # facilitation with its partners).
    model = GeoModel(scenario="astana-summits", rng=1, cities_summit_rate=0.0,
                     decisions_coalitions=False, decisions_retaliation=False,
                     decisions_hedging=False)
    steps = {item.event.name: item.at for item in model.timeline}
    assert steps["OSCE summit"] == 24  # 1 Dec 2010: Oct 2010–Jan 2011
    assert steps["CIS summit"] == steps["CICA summit"] == 72
    astana = list(model.world.actors.ids).index("astana")
    weights = []
    for _ in range(24):
        model.step()
        weights.append(model.world.actors.diplomatic_weight[astana])
    assert model.summit_host_id == "astana"
    assert weights[-1] > weights[-2]  # the OSCE summit adds weight
    assert model.datacollector.get_model_vars_dataframe()["events"].iloc[-1] == (
        "summit 'OSCE summit'")


def test_digital_kazakhstan_grows_the_audience_and_the_technology_of_kazakhstan():
    result = compare("digital-kazakhstan", "eurasia", replicates=2, seed=1, steps=8)
    assert result.focus == ["KAZ"]
    programme = GeoModel(scenario="digital-kazakhstan", rng=1)
    kaz = list(programme.world.actors.ids).index("KAZ")
    for _ in range(8):
        programme.step()
    nations = programme.world.nations
    assert nations.adoption.shape[1] == 2  # the eurasia wave and the programme's
    assert nations.adoption[kaz, 1] == nations.adoption[:, 1].max()
    rank = row(result.summary, "soft_power_rank", "KAZ")
    assert rank["scenario"] <= rank["baseline"]
