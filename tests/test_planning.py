"""docs/planning.md runs: every command on the page, with fewer replicates, and the directions the
page claims for each outcome."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "planning.md"


def commands() -> list[list[str]]:
    """The `geopol` commands of the page's shell blocks, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [shlex.split(line) for block in blocks for line in block.splitlines()
            if line.startswith("geopol ")]


def test_the_page_has_the_four_commands():
    assert [c[1] for c in commands()] == ["validate", "compare", "sweep", "report"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> dict[str, object]:
    """Run the page's commands: the comparison with 4 replicates instead of 20, every output
    in a temporary directory."""
    import subprocess

    from conftest import GEOPOL

    tmp = tmp_path_factory.mktemp("planning")
    out = {}
    for command in commands():
        args = command[1:]
        if args[0] == "compare":
            args[args.index("--replicates") + 1] = "4"
            args += ["--out", str(tmp / "compare"), "--quiet"]
        if args[0] == "sweep":
            args[args.index("--out") + 1] = str(tmp / "sweep")
        if args[0] == "report":
            args[1] = str(tmp / "sweep")
        result = subprocess.run([str(GEOPOL), *args], capture_output=True, text=True,
                                check=False, timeout=900, cwd=PAGE.parents[1])  # the page's paths
        assert result.returncode == 0, (args, result.stderr)
        out[args[0]] = result
    out["dir"] = tmp
    return out


def test_validate_shows_the_eu_of_august_2017(ran):
    line = next(x for x in ran["validate"].stdout.splitlines() if "imposers: EU" in x)
    assert "EU on 2017-08-04" in line and "GBR" in line and "(28 states)" in line


def test_the_comparison_gives_the_directions_the_page_claims(ran):
    asked = pd.read_csv(ran["dir"] / "compare" / "outcomes_asked.csv").set_index("outcome")
    assert (asked["reduce"] == "mean_after 2018-01-01").all()
    # Lower in every replicate: Russia's trade with the EU, its exports and GDP, EU relations.
    for outcome in ("trade[EU,RUS]", "exports[RUS]", "gdp[RUS]", "relations[EU,RUS]"):
        assert asked.loc[outcome, "high"] < 0, outcome
    # "halves EU–Russia trade (−52%)", "cuts Russia's exports by 12%"
    eu = asked.loc["trade[EU,RUS]"]
    assert -0.60 < eu["difference"] / eu["baseline"] < -0.40
    russia = asked.loc["exports[RUS]"]
    assert -0.16 < russia["difference"] / russia["baseline"] < -0.08
    # Higher in every replicate: Russia–China and Kazakh–Russian trade, Kazakhstan's exports
    # and GDP, by about 1% for Kazakh–Russian trade and a fraction of a percent for the rest.
    for outcome in ("trade[RUS,CHN]", "trade[KAZ,RUS]", "exports[KAZ]", "gdp[KAZ]"):
        assert asked.loc[outcome, "low"] > 0, outcome
    kaz = asked.loc["trade[KAZ,RUS]"]
    assert 0.003 < kaz["difference"] / kaz["baseline"] < 0.03
    assert asked.loc["gdp[KAZ]", "difference"] / asked.loc["gdp[KAZ]", "baseline"] < 0.002
    # "Its trade with China does not move beyond noise, and its relations with Russia barely."
    china = asked.loc["trade[KAZ,CHN]"]
    assert abs(china["difference"]) < 0.01 * china["baseline"]
    assert abs(asked.loc["relations[KAZ,RUS]", "difference"]) < 0.01


def test_the_comparison_shows_the_decisions_the_page_describes(ran):
    decisions = pd.read_csv(ran["dir"] / "compare" / "decisions.csv")
    usa = decisions[(decisions["state"] == "USA") & (decisions["action"] == "joined")]
    assert usa["scenario_share"].iloc[0] == 1.0
    # "Russia counter-sanctions the EU's members in every replicate (Denmark and Hungary in 19
    # of 20), against a half to nine tenths of them under the partial ones"
    line = next(x for x in ran["validate"].stdout.splitlines() if "imposers: EU" in x)
    members = line.split(" = ")[1].split(" (")[0].split(", ")
    answered = decisions[(decisions["state"] == "RUS")
                         & (decisions["action"] == "counter-sanctioned")].set_index("other")
    shares = answered.loc[members]
    assert (shares["scenario_share"] == 1.0).sum() >= len(members) - 3
    assert shares["scenario_share"].mean() > shares["baseline_share"].mean() + 0.1


def test_the_sweep_shows_trade_diverted_more_the_harder_the_sanction(ran):
    summary = pd.read_csv(ran["dir"] / "sweep" / "report" / "summary.csv")
    summary = summary.sort_values("events.EU extension.intensity")
    assert summary["events.EU extension.intensity"].tolist() == [0.25, 0.5, 0.75, 1.0]
    eu = summary["trade[EU,RUS]_mean_after_2018-01-01_median"]
    kaz = summary["trade[KAZ,RUS]_mean_after_2018-01-01_median"]
    gdp = summary["gdp[RUS]_mean_after_2018-01-01_median"]
    assert eu.is_monotonic_decreasing and gdp.is_monotonic_decreasing
    assert kaz.is_monotonic_increasing
    assert 0.1 < (kaz.iloc[-1] - kaz.iloc[0]) / 3 < 0.4  # "about US$ 0.2 bn ... each quarter"
