"""Scenario loading: the bundled files, the economy join, content hashes, and `extends`."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from sim.errors import InputError
from sim.params import Params
from sim.scenario import BUNDLED_DIR, bundled, content_hash, load

EURASIA = BUNDLED_DIR / "eurasia.toml"
SYNTHETIC = BUNDLED_DIR / "synthetic.toml"
WORLDBANK = BUNDLED_DIR / "data" / "worldbank.csv"


@pytest.fixture(scope="module")
def eurasia():
    return load("eurasia")


@pytest.fixture(scope="module")
def eurasia_raw() -> dict:
    return tomllib.loads(EURASIA.read_text())


@pytest.fixture(scope="module")
def worldbank() -> pd.DataFrame:
    return pd.read_csv(WORLDBANK).set_index("iso3")


def link_keys(links) -> list[tuple[str, str, str]]:
    return [(lk.a, lk.b, lk.kind) for lk in links]


# ---------------------------------------------------------------- bundled scenarios


def test_bundled_names_are_the_toml_files_in_scenarios():
    assert set(bundled()) == {"eurasia", "synthetic", "eurasia-sanctions-2017", "digital-kazakhstan",
                              "astana-summits", "synthetic-100k"}
    assert bundled()["eurasia"] == EURASIA


def test_eurasia_loads_by_name_and_by_path_to_the_same_scenario(eurasia):
    by_path = load(EURASIA)
    assert eurasia.name == by_path.name == "eurasia"
    assert eurasia.path == EURASIA.resolve()
    assert by_path.spec == eurasia.spec
    assert eurasia.files == (EURASIA.resolve(), WORLDBANK.resolve())


def test_synthetic_loads_with_the_sizes_in_its_file():
    raw = tomllib.loads(SYNTHETIC.read_text())["synthetic"]
    scenario = load("synthetic")
    assert scenario.name == "synthetic"
    assert scenario.spec.synthetic is not None
    assert scenario.spec.synthetic.model_dump() == raw
    assert scenario.spec.states == [] and scenario.spec.links == []
    assert scenario.files == (SYNTHETIC.resolve(),)


def test_eurasia_has_exactly_the_actors_and_links_its_file_lists(eurasia, eurasia_raw):
    spec = eurasia.spec
    for section in ("states", "cities", "regions"):
        assert [a.id for a in getattr(spec, section)] == [a["id"] for a in eurasia_raw[section]]
    assert link_keys(spec.links) == [(lk["a"], lk["b"], lk["kind"]) for lk in eurasia_raw["links"]]
    assert [t.name for t in spec.trade_agreements] == [
        t["name"] for t in eurasia_raw["trade_agreements"]
    ]
    # A few spot checks on the values that came through validation.
    assert len(spec.states) == 24 and len(spec.links) == 26
    kaz = next(s for s in spec.states if s.id == "KAZ")
    assert kaz.area_km2 == 2724900.0
    assert kaz.borders == ["CHN", "KGZ", "RUS", "TKM", "UZB"]
    doha = next(lk for lk in spec.links if lk.b == "doha")
    assert (doha.a, doha.kind, doha.since) == ("astana", "twinning", 2022)
    assert doha.channels == ["cultural", "local_authority"]


def test_every_eurasia_state_takes_gdp_and_population_from_the_worldbank_csv(eurasia, worldbank):
    for state in eurasia.spec.states:
        assert state.gdp_usd == pytest.approx(worldbank.loc[state.id, "gdp_usd"], rel=1e-12)
        assert state.population == pytest.approx(worldbank.loc[state.id, "population"])
    by_id = {s.id: s for s in eurasia.spec.states}
    assert by_id["KAZ"].gdp_usd == pytest.approx(261421121085.57208)
    assert by_id["KAZ"].population == 20330104
    assert by_id["CHN"].population == worldbank.loc["CHN", "population"]
    assert by_id["QAT"].gdp_usd == pytest.approx(worldbank.loc["QAT", "gdp_usd"])


def test_kazakhstan_capital_is_astana_marked_capital(eurasia):
    kaz = next(s for s in eurasia.spec.states if s.id == "KAZ")
    assert kaz.capital == "astana"
    astana = next(c for c in eurasia.spec.cities if c.id == "astana")
    assert astana.capital is True
    assert astana.state == "KAZ"
    assert astana.name == "Astana"
    # Almaty is in Kazakhstan but is not its capital.
    almaty = next(c for c in eurasia.spec.cities if c.id == "almaty")
    assert almaty.state == "KAZ" and almaty.capital is False


def test_content_hash_is_stable_across_loads(eurasia):
    again = load("eurasia")
    assert again.content_hash == eurasia.content_hash
    assert len(eurasia.content_hash) == 64
    assert eurasia.content_hash == content_hash(eurasia.spec)
    assert load("synthetic").content_hash == load("synthetic").content_hash
    assert load("synthetic").content_hash != eurasia.content_hash


def test_content_hash_changes_when_a_value_changes(write_toml, tiny_text):
    first = load(write_toml("one/tiny.toml", tiny_text))
    same = load(write_toml("two/tiny.toml", tiny_text))
    changed = load(write_toml("three/tiny.toml",
                              tiny_text.replace("area_km2 = 2000.0", "area_km2 = 2001.0")))
    assert first.content_hash == same.content_hash  # where the file lives does not matter
    assert changed.content_hash != first.content_hash


def test_content_hash_includes_the_joined_economy_table(tmp_path, write_toml, tiny_text):
    text = tiny_text.replace('name = "tiny"', 'name = "tiny"\n\n[data]\neconomy = "econ.csv"')
    text = text.replace("gdp_usd = 2e12\npopulation = 2e7\n", "")
    path = write_toml("tiny.toml", text)
    csv = tmp_path / "econ.csv"
    csv.write_text("iso3,name,year,gdp_usd,population\nBBB,Bland,2023,2e12,2e7\n")
    before = load(path)
    assert before.spec.states[1].gdp_usd == 2e12
    assert before.files == (path.resolve(), csv.resolve())
    csv.write_text("iso3,name,year,gdp_usd,population\nBBB,Bland,2023,3e12,2e7\n")
    after = load(path)
    assert after.spec.states[1].gdp_usd == 3e12
    assert after.content_hash != before.content_hash


# ---------------------------------------------------------------- inheritance


VARIANT_OF_TINY = """\
[scenario]
name = "variant"
extends = "{base}"

[[states]]
id = "AAA"
area_km2 = 1500.0

[[states]]
id = "CCC"
name = "Cland"
capital = "ccity"
area_km2 = 3000.0
gdp_usd = 3e12
population = 3e7

[[cities]]
id = "ccity"
name = "C City"
state = "CCC"
capital = true
lat = -5.0
lon = 20.0
population = 3e6

[[links]]
a = "acity"
b = "bcity"
kind = "twinning"
channels = ["economic"]
strength = 0.9

[[links]]
a = "acity"
b = "bcity"
kind = "agreement"
channels = ["local_authority"]

[[links]]
a = "A-1"
b = "ccity"
kind = "agreement"
channels = ["environmental"]
"""


def test_variant_overrides_by_id_appends_new_ids_and_keeps_the_rest(write_toml, tiny_text):
    base_path = write_toml("base.toml", tiny_text)
    base = load(base_path)
    variant_path = write_toml("variant.toml", VARIANT_OF_TINY.format(base="base.toml"))
    variant = load(variant_path)
    spec, old = variant.spec, base.spec

    assert variant.name == "variant"
    assert spec.scenario.extends == "base.toml"
    assert variant.files == (base_path.resolve(), variant_path.resolve())
    # States: AAA changed only in area, BBB untouched, CCC appended.
    assert [s.id for s in spec.states] == ["AAA", "BBB", "CCC"]
    assert spec.states[0].area_km2 == 1500.0
    assert spec.states[0].model_dump(exclude={"area_km2"}) == old.states[0].model_dump(
        exclude={"area_km2"})
    assert spec.states[1] == old.states[1]
    assert spec.states[2].name == "Cland" and spec.states[2].gdp_usd == 3e12
    # Cities and regions: base ones kept in order, the new one appended.
    assert [c.id for c in spec.cities] == ["acity", "bcity", "ccity"]
    assert spec.cities[:2] == old.cities
    assert spec.regions == old.regions
    # Links merge by (a, b, kind): same triple overrides, a different kind is a new link.
    assert link_keys(spec.links) == [
        ("acity", "bcity", "twinning"),
        ("acity", "bcity", "agreement"),
        ("A-1", "ccity", "agreement"),
    ]
    assert spec.links[0].channels == ["economic"]
    assert spec.links[0].strength == 0.9
    assert spec.links[1].channels == ["local_authority"]
    assert spec.params == old.params
    assert variant.content_hash != base.content_hash


def test_variant_of_bundled_eurasia_by_name(write_toml, eurasia):
    path = write_toml("elsewhere/more_trade.toml", """\
[scenario]
name = "variant"
extends = "eurasia"

[params.trade]
sigma = 6.0

[[states]]
id = "KAZ"
area_km2 = 3000000.0

[[links]]
a = "almaty"
b = "moscow"
kind = "twinning"
channels = ["cultural"]
since = 2001
""")
    variant = load(path)
    spec, old = variant.spec, eurasia.spec
    assert variant.name == "variant"
    assert variant.files == (EURASIA.resolve(), path.resolve(), WORLDBANK.resolve())

    # Parameters: the one override, all else the defaults of the base.
    assert spec.params.trade.sigma == 6.0
    assert spec.params.trade.model_dump(exclude={"sigma"}) == old.params.trade.model_dump(
        exclude={"sigma"})
    assert spec.params.growth == old.params.growth == Params().growth

    # States: same ids and order; KAZ changed only in area (GDP still joined from the CSV).
    assert [s.id for s in spec.states] == [s.id for s in old.states]
    kaz, old_kaz = spec.states[0], old.states[0]
    assert kaz.id == "KAZ" and kaz.area_km2 == 3000000.0
    assert kaz.model_dump(exclude={"area_km2"}) == old_kaz.model_dump(exclude={"area_km2"})
    assert spec.states[1:] == old.states[1:]
    assert spec.cities == old.cities
    assert spec.regions == old.regions
    assert spec.trade_agreements == old.trade_agreements
    assert spec.scenario.start == old.scenario.start
    assert spec.scenario.title == old.scenario.title

    # Links: the base's 26, then the new one.
    assert spec.links[:-1] == old.links
    assert len(spec.links) == len(old.links) + 1
    new = spec.links[-1]
    assert (new.a, new.b, new.kind, new.channels, new.since) == (
        "almaty", "moscow", "twinning", ["cultural"], 2001)


def test_inline_gdp_in_a_variant_wins_over_the_csv(write_toml, worldbank):
    spec = load(write_toml("v.toml", """\
[scenario]
name = "variant"
extends = "eurasia"

[[states]]
id = "KAZ"
gdp_usd = 1e12
""")).spec
    assert spec.states[0].gdp_usd == 1e12
    assert spec.states[0].population == worldbank.loc["KAZ", "population"]


def test_variant_of_a_variant_applies_both_in_order(write_toml, tiny_text):
    write_toml("base.toml", tiny_text)
    write_toml("mid.toml", """\
[scenario]
name = "mid"
extends = "base.toml"

[params.growth]
trend = 0.05

[[states]]
id = "BBB"
area_km2 = 2500.0
""")
    top = load(write_toml("top.toml", """\
[scenario]
name = "top"
extends = "mid.toml"

[params.growth]
volatility = 0.1

[[states]]
id = "BBB"
name = "Bland Republic"
"""))
    bbb = top.spec.states[1]
    assert (bbb.id, bbb.name, bbb.area_km2, bbb.capital) == ("BBB", "Bland Republic", 2500.0, "bcity")
    assert top.spec.params.growth.trend == 0.05
    assert top.spec.params.growth.volatility == 0.1
    assert top.name == "top"
    assert [p.name for p in top.files] == ["base.toml", "mid.toml", "top.toml"]


def test_extends_cycle_is_an_input_error(write_toml):
    a = write_toml("a.toml", '[scenario]\nname = "a"\nextends = "b.toml"\n')
    b = write_toml("b.toml", '[scenario]\nname = "b"\nextends = "a.toml"\n')
    with pytest.raises(InputError) as info:
        load(a)
    err = info.value
    assert err.key == "scenario.extends"
    assert err.source in (str(a.resolve()), str(b.resolve()))
    assert "cycle" in err.expected
    assert "a.toml" in err.found and "b.toml" in err.found


def test_a_file_extending_itself_is_an_input_error(write_toml):
    path = write_toml("self.toml", '[scenario]\nname = "me"\nextends = "self.toml"\n')
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.key == "scenario.extends"
    assert info.value.source == str(path.resolve())
    assert "cycle" in info.value.expected


ECON_BASE = """\
[scenario]
name = "base"

[data]
economy = "data/econ.csv"

[[states]]
id = "AAA"
name = "Aland"
capital = "acity"
area_km2 = 1000.0

[[cities]]
id = "acity"
name = "A City"
state = "AAA"
capital = true
lat = 10.0
lon = 10.0
population = 1e6
"""

ECON_HEADER = "iso3,name,year,gdp_usd,population\n"


def test_relative_economy_path_in_a_base_resolves_next_to_the_base(tmp_path, write_toml,
                                                                   monkeypatch):
    base = write_toml("basedir/base.toml", ECON_BASE)
    (tmp_path / "basedir/data").mkdir()
    (tmp_path / "basedir/data/econ.csv").write_text(ECON_HEADER + "AAA,Aland,2023,4e11,5e6\n")
    # A decoy table at the same relative path next to the variant must not be used.
    (tmp_path / "other/data").mkdir(parents=True)
    (tmp_path / "other/data/econ.csv").write_text(ECON_HEADER + "AAA,Aland,2023,9e11,9e6\n")
    variant = write_toml("other/variant.toml",
                         '[scenario]\nname = "variant"\nextends = "../basedir/base.toml"\n')
    monkeypatch.chdir(tmp_path / "other")  # the working directory must not matter either
    loaded = load(variant)
    state = loaded.spec.states[0]
    assert (state.gdp_usd, state.population) == (4e11, 5e6)
    assert loaded.files == (base.resolve(), variant.resolve(),
                            (tmp_path / "basedir/data/econ.csv").resolve())


def test_economy_path_set_in_a_variant_resolves_next_to_the_variant(tmp_path, write_toml):
    write_toml("basedir/base.toml", ECON_BASE)
    (tmp_path / "basedir/data").mkdir()
    (tmp_path / "basedir/data/econ.csv").write_text(ECON_HEADER + "AAA,Aland,2023,4e11,5e6\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other/mine.csv").write_text(ECON_HEADER + "AAA,Aland,2023,9e11,9e6\n")
    variant = write_toml("other/variant.toml", """\
[scenario]
name = "variant"
extends = "../basedir/base.toml"

[data]
economy = "mine.csv"
""")
    state = load(variant).spec.states[0]
    assert (state.gdp_usd, state.population) == (9e11, 9e6)
