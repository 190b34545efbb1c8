"""Groups of states as actors: an event may name an organisation of the memberships (EU, NATO,
EAEU, ...) wherever it names states, and it stands for its members on the event's date."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sim import GeoModel
from sim.errors import InputError
from sim.scenario import load

EU_2017 = ["AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
           "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
           "SVN", "ESP", "SWE", "GBR"]


@pytest.fixture(scope="module")
def model() -> GeoModel:
    return GeoModel(scenario="eurasia", rng=0)


def ids(model: GeoModel, rows: list[int]) -> list[str]:
    return sorted(str(model.world.actors.ids[r]) for r in rows)


def sanction(imposers: list[str], **more) -> dict:
    return {"type": "sanction", "target": "RUS", "imposers": imposers, **more}


def test_a_group_stands_for_its_members_on_the_events_date(model):
    before = model.inject(sanction(["EU"], at=dt.date(2030, 1, 1)))
    # The United Kingdom left the EU in 2020 (memberships table): not a member in 2030.
    assert ids(model, before.rows["imposers"]) == sorted(set(EU_2017) - {"GBR"})
    day, members = before.groups["imposers"]["EU"]
    assert day == dt.date(2030, 1, 1) and "GBR" not in members and len(members) == 27


def test_a_group_on_a_date_before_a_members_exit_includes_it():
    spec = load("eurasia-sanctions-2017")
    m = GeoModel(scenario=spec, rng=0)
    eu = next(item for item in m.timeline if item.event.name == "EU extension")
    assert ids(m, eu.rows["imposers"]) == sorted(EU_2017)


def test_a_group_gives_the_same_run_as_its_members_listed():
    spec = load("eurasia-sanctions-2017")
    listed = [e.model_copy(update={"imposers": EU_2017}) if e.name == "EU extension" else e
              for e in spec.spec.events]
    from sim.scenario import from_spec

    explicit = from_spec(spec.spec.model_copy(update={"events": listed}))
    runs = []
    for setup in (spec, explicit):
        m = GeoModel(scenario=setup, rng=5)
        for _ in range(12):
            m.step()
        runs.append((m.world.pairs.trade.copy(), m.world.pairs.relations.copy(),
                     [d.state for d in m.decisions]))
    assert (runs[0][0] == runs[1][0]).all() and (runs[0][1] == runs[1][1]).all()
    assert runs[0][2] == runs[1][2]


def test_a_sanction_by_a_group_leaves_its_target_out(model):
    item = model.inject({"type": "sanction", "target": "TUR", "imposers": ["NATO"]})
    named = ids(model, item.rows["imposers"])
    assert "TUR" not in named and {"USA", "DEU", "POL"} <= set(named)


def test_a_state_named_and_in_a_group_counts_once(model):
    item = model.inject(sanction(["USA", "NATO"]))
    rows = item.rows["imposers"]
    assert len(rows) == len(set(rows)) and "USA" in ids(model, rows)


def test_groups_in_every_field_that_takes_states(model):
    summit = model.inject({"type": "summit", "host": "astana", "participants": ["SCO"]})
    assert {"CHN", "RUS", "KAZ", "IND"} <= set(ids(model, summit.rows["participants"]))
    corridor = model.inject({"type": "customs_facilitation", "states": ["EAEU"]})
    assert ids(model, corridor.rows["states"]) == ["ARM", "BLR", "KAZ", "KGZ", "RUS"]
    wave = model.inject({"type": "technology_shock", "origin": ["BRICS"]})
    assert {"BRA", "CHN", "IND", "ZAF"} <= set(ids(model, wave.rows["origin"]))
    joining = model.inject(sanction(["USA"], join=[{"state": "CSTO", "at": 8}]))
    joined = {str(model.world.actors.ids[r]) for r, step in joining.joins if step == 8}
    assert joined == {"ARM", "BLR", "KAZ", "KGZ", "TJK"}  # Russia, the target, left out


VARIANT = """
[scenario]
name = "eaeu-variant"
extends = "eurasia-sanctions-2017"

[[events]]
type = "sanction"
name = "union duties"
at = {at}
imposers = ["EAEU"]
target = "UKR"
kind = "trade"
"""


def test_a_group_without_members_on_the_date_is_one_line_naming_both(geopol, write_toml):
    # The Eurasian Economic Union dates from 2015: in 2012 it has no members.
    path = write_toml("variant.toml", VARIANT.format(at="2012-01-01"))
    result = geopol("validate", path)
    assert result.returncode == 2 and not result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "events[" in lines[0] and "imposers[0]" in lines[0] and "'EAEU'" in lines[0]
    assert "a group with member states on 2012-01-01 (EAEU has none in 2012)" in lines[0]


def test_validate_and_the_manifest_show_the_expansion(geopol, write_toml, tmp_path):
    path = write_toml("variant.toml", VARIANT.format(at="2018-06-01"))
    checked = geopol("validate", path)
    assert checked.returncode == 0, checked.stderr
    assert ("sanction 'union duties', imposers: EAEU on 2018-06-01 = RUS, BLR, KAZ, ARM, KGZ "
            "(5 states)") in checked.stdout.replace("\n", " ")
    assert "sanction 'EU extension', imposers: EU on 2017-08-04" in checked.stdout
    out = tmp_path / "run"
    ran = geopol("run", path, "--steps", "2", "--out", out)
    assert ran.returncode == 0, ran.stderr
    groups = json.loads((out / "manifest.json").read_text())["groups"]
    union = next(g for g in groups if g["event"] == "sanction 'union duties'")
    assert union == {"event": "sanction 'union duties'", "field": "imposers", "group": "EAEU",
                     "date": "2018-06-01", "members": ["RUS", "BLR", "KAZ", "ARM", "KGZ"]}


def test_an_unknown_group_lists_the_groups(model):
    with pytest.raises(InputError) as caught:
        model.inject(sanction(["G77"]))
    message = str(caught.value)
    assert "imposers[0]" in message and "'G77'" in message
    assert "a group (ASEAN, BRICS, CSTO, EAEU, EU, NATO, SCO)" in message
