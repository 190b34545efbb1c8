"""Outcomes for any state, pair or group (sim/selectors.py), in sweeps and in `geopol compare`:
values read against the world arrays by hand, reductions, and the bad input each can get."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from helpers import row, run

from sim import GeoModel
from sim.compare import compare
from sim.errors import InputError
from sim.model import NUMERIC_SERIES
from sim.selectors import SelectorError, after_step, parse, reduce, world_keys
from sim.sweep_spec import load_sweep


@pytest.fixture(scope="module")
def model() -> GeoModel:
    return run(GeoModel(scenario="eurasia-sanctions-2017", rng=2), 3)


def value(model: GeoModel, text: str) -> float:
    return parse(text, NUMERIC_SERIES).bind(model)()


def test_state_and_pair_values_are_the_world_arrays(model):
    trade, rel = model.world.pairs.trade, model.world.pairs.relations
    kaz, rus, chn, usa = (row(model, s) for s in ("KAZ", "RUS", "CHN", "USA"))
    assert value(model, "exports[RUS]") == pytest.approx(
        (trade[rus].sum() - trade[rus, rus]) / 1e9, rel=1e-12)
    assert value(model, "imports[RUS]") == pytest.approx(
        (trade[:, rus].sum() - trade[rus, rus]) / 1e9, rel=1e-12)
    assert value(model, "trade[KAZ,CHN]") == pytest.approx(
        (trade[kaz, chn] + trade[chn, kaz]) / 1e9, rel=1e-12)
    assert value(model, "trade[KAZ,CHN]") == value(model, "trade[CHN,KAZ]")
    assert value(model, "relations[RUS,USA]") == rel[rus, usa]
    assert value(model, "gdp[KAZ]") == pytest.approx(model.world.actors.gdp[kaz] / 1e9)
    assert value(model, "world_gdp_usd") == model.world_gdp


def test_soft_power_rank_is_one_for_the_first(model):
    power = model.world.nations.soft_power
    first = str(model.world.actors.ids[int(np.argmax(power))])
    assert value(model, f"soft_power_rank[{first}]") == 1.0
    kaz = row(model, "KAZ")
    assert value(model, "soft_power_rank[KAZ]") == 1 + np.count_nonzero(power > power[kaz])


def test_a_group_sums_its_members_on_the_start_date(model):
    members = model.world_index.members("EU", model.start_date)
    assert "GBR" in members and len(members) == 28  # the run starts in 2017
    rows = [row(model, s) for s in members]
    trade = model.world.pairs.trade
    exports = sum(trade[i].sum() - trade[i, i] for i in rows) / 1e9
    assert value(model, "exports[EU]") == pytest.approx(exports, rel=1e-12)
    rus = row(model, "RUS")
    assert value(model, "trade[EU,RUS]") == pytest.approx(
        sum(trade[i, rus] + trade[rus, i] for i in rows) / 1e9, rel=1e-12)
    assert value(model, "relations[EU,RUS]") == pytest.approx(
        np.mean([model.world.pairs.relations[i, rus] for i in rows]), rel=1e-12)


def test_reductions_count_from_the_step_asked():
    values = np.array([10.0, 4.0, 6.0, 8.0])
    assert reduce(values, "min") == 4.0
    assert reduce(values, "min_after", 2) == 6.0
    assert reduce(values, "mean_after", 2) == 7.0
    assert reduce(values, "change") == -2.0
    start = dt.date(2017, 1, 1)
    assert after_step(dt.date(2017, 9, 1), "min_after", start, 3, 24) == 3  # Q3 2017
    assert after_step(5, "mean_after", start, 3, 24) == 5


@pytest.mark.parametrize(("text", "expected"), [
    ("exports[XYZ]", "a state of the scenario or a group"),
    ("trade[KAZ]", "two states or groups, comma-separated"),
    ("trade[KAZ,RUS,CHN]", "two states or groups, comma-separated"),
    ("wealth[KAZ]", "a measure (exports"),
    ("soft_power_rank[EU]", "soft_power_rank is not combined over a group"),
    ("exports", "a world series"),
    ("exports[]", "one state or group"),
])
def test_bad_selectors_say_what_was_expected(model, text, expected):
    states, groups = world_keys(model.setup.spec)
    with pytest.raises(SelectorError) as caught:
        parse(text, NUMERIC_SERIES).check(states, groups)
    assert expected in caught.value.expected


def test_a_group_with_no_members_on_the_start_date_is_refused(model):
    states, groups = world_keys(model.setup.spec)  # starts 2017; BRICS had 5, EAEU 5
    groups = {**groups, "G0": []}
    with pytest.raises(SelectorError) as caught:
        parse("exports[G0]", NUMERIC_SERIES).check(states, groups)
    assert "a group with members on the run's start date" in caught.value.expected


def test_after_outside_the_run_or_with_the_wrong_reduction_is_refused():
    start = dt.date(2017, 1, 1)
    with pytest.raises(SelectorError, match="within the run"):
        after_step(dt.date(2030, 1, 1), "min_after", start, 3, 24)
    with pytest.raises(SelectorError, match="no `after` with reduction final"):
        after_step(3, "final", start, 3, 24)
    with pytest.raises(SelectorError, match="a step or date `after`"):
        after_step(None, "min_after", start, 3, 24)


# ---------------------------------------------------------------- sweeps

SPEC = """
[sweep]
name = "selectors"
scenario = "eurasia-sanctions-2017"
steps = 6
design = "grid"
seed = 3

[parameters]
"trade.sanction" = {{ values = [1.0, 4.0] }}

{metrics}
"""


def metric(name: str, reduce: str = "final", after: str | None = None) -> str:
    text = f'[[metrics]]\nname = "{name}"\nreduce = "{reduce}"\n'
    return text + (f"after = {after}\n" if after is not None else "")


def test_a_sweep_keeps_selectors_reduced_as_asked(tmp_path):
    from sim.sweep import RunTask, metric_tasks, run_one

    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(metrics=metric("exports[RUS]", "min_after", "2017-09-01")
                                + metric("trade[KAZ,RUS]", "change") + metric("exports[EU]")))
    spec = load_sweep(path)
    tasks = metric_tasks(spec)
    assert [t[3] for t in tasks] == ["exports[RUS]_min_after_2017-09-01",
                                     "trade[KAZ,RUS]_change", "exports[EU]_final"]
    result = run_one(RunTask(run_id=0, point=0, replicate=0, seed=11,
                             params={"trade_sanction": 4.0}, scenario=str(spec.scenario.path),
                             steps=6, metrics=tasks))
    assert result["error"] is None
    m = GeoModel(scenario=spec.scenario, rng=11, trade_sanction=4.0)
    exports, trade = [value(m, "exports[RUS]")], [value(m, "trade[KAZ,RUS]")]
    for _ in range(6):
        m.step()
        exports.append(value(m, "exports[RUS]"))
        trade.append(value(m, "trade[KAZ,RUS]"))
    assert result["exports[RUS]_min_after_2017-09-01"] == min(exports[3:])
    assert result["trade[KAZ,RUS]_change"] == trade[-1] - trade[0]
    assert result["exports[EU]_final"] == value(m, "exports[EU]")
    # The US bill and the EU extension (Aug 2017) cut Russia's exports below where they start.
    assert min(exports[3:]) < exports[0]


@pytest.mark.parametrize(("metrics", "key", "expected"), [
    (metric("exports[XYZ]"), "metrics[0].name", "a state of the scenario or a group"),
    (metric("exports[RUS]", "min_after"), "metrics[0].after", "a step or date `after`"),
    (metric("exports[RUS]", "min_after", "2031-01-01"), "metrics[0].after", "within the run"),
    (metric("exports[RUS]", "final", "3"), "metrics[0].after", "no `after` with reduction"),
    (metric("soft_power_rank[NATO]"), "metrics[0].name", "not combined over a group"),
])
def test_bad_sweep_metrics_are_one_line_naming_the_key(tmp_path, metrics, key, expected):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(metrics=metrics))
    with pytest.raises(InputError) as caught:
        load_sweep(path)
    assert caught.value.key == key and expected in caught.value.expected
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- compare


def test_compare_reports_the_outcomes_asked_pair_by_pair():
    result = compare("eurasia-sanctions-2017", "eurasia", replicates=3, seed=4, steps=6,
                     outcomes_asked=["exports[RUS]", "trade[EU,RUS]", "relations[RUS,USA]"],
                     reduction="min_after", after=dt.date(2017, 9, 1))
    asked = result.asked.set_index("outcome")
    assert list(asked.index) == ["exports[RUS]", "trade[EU,RUS]", "relations[RUS,USA]"]
    assert (asked["reduce"] == "min_after 2017-09-01").all()
    # Sanctions by the USA and the EU: Russia's exports, its trade with the EU and its
    # relations with the USA are lower in every replicate.
    for outcome in asked.index:
        assert asked.loc[outcome, "high"] < 0 and asked.loc[outcome, "higher_share"] == 0.0
    over_time = result.differences[result.differences["outcome"] == "trade[EU,RUS]"]
    assert len(over_time) == 7 and over_time["difference"].iloc[0] == 0.0
    # The medians of each arm and the median of the paired differences are what they say.
    assert asked.loc["exports[RUS]", "baseline"] > asked.loc["exports[RUS]", "scenario"]


def test_compare_outcome_errors_are_one_line(geopol):
    for args, needle in (
        (["--outcome", "trade[KAZ,XYZ]"], "--outcome: [0]: expected a state of the scenario"),
        (["--outcome", "exports[RUS]", "--reduce", "median"], "--reduce"),
        (["--outcome", "exports[RUS]", "--reduce", "min_after"], "--after"),
        (["--outcome", "exports[RUS]", "--reduce", "min_after", "--after", "soon"],
         "--after: expected a step (a whole number) or a date YYYY-MM-DD"),
    ):
        result = geopol("compare", "eurasia-sanctions-2017", "--baseline", "eurasia",
                        "--replicates", "1", "--steps", "2", "--quiet", *args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], lines


def test_compare_writes_the_outcomes_asked(geopol, tmp_path):
    out = tmp_path / "cmp"
    result = geopol("compare", "eurasia-sanctions-2017", "--baseline", "eurasia",
                    "--replicates", "2", "--steps", "4", "--outcome", "trade[KAZ,CHN]",
                    "--outcome", "exports[EU]", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Outcomes asked for" in result.stdout and "paired difference: median" in result.stdout
    table = pd.read_csv(out / "outcomes_asked.csv")
    assert table["outcome"].tolist() == ["trade[KAZ,CHN]", "exports[EU]"]
    assert (out / "plots" / "outcome-trade-KAZ-CHN-.png").is_file()
