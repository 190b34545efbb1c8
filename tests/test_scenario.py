"""Scenario loading: the bundled files, the economy join, content hashes, and `extends`."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from sim.errors import InputError
from sim.params import Params
from sim.scenario import BUNDLED_DIR, bundled, content_hash, load

EURASIA = BUNDLED_DIR / "eurasia.toml"
WORLD = BUNDLED_DIR / "world.toml"
SYNTHETIC = BUNDLED_DIR / "synthetic.toml"
WORLD_DATA = BUNDLED_DIR / "data" / "world"
# The tables world.toml names, in the order they are read.
WORLD_TABLES = tuple((WORLD_DATA / name).resolve() for name in (
    "states.csv", "cities.csv", "regions.csv", "state_pairs.csv", "memberships.csv",
    "trade_agreements.csv", "sanctions.toml"))


@pytest.fixture(scope="module")
def eurasia():
    return load("eurasia")


@pytest.fixture(scope="module")
def eurasia_raw() -> dict:
    return tomllib.loads(EURASIA.read_text())


@pytest.fixture(scope="module")
def world_states() -> pd.DataFrame:
    return pd.read_csv(WORLD_DATA / "states.csv", keep_default_na=False).set_index("id")


def link_keys(links) -> list[tuple[str, str, str]]:
    return [(lk.a, lk.b, lk.kind) for lk in links]


# ---------------------------------------------------------------- bundled scenarios


def test_bundled_names_are_the_toml_files_in_scenarios():
    assert set(bundled()) == {"world", "eurasia", "synthetic", "eurasia-sanctions-2017",
                              "digital-kazakhstan", "astana-summits", "synthetic-100k",
                              "eu-sanctions-harder"}
    assert bundled()["eurasia"] == EURASIA


def test_eurasia_loads_by_name_and_by_path_to_the_same_scenario(eurasia):
    by_path = load(EURASIA)
    assert eurasia.name == by_path.name == "eurasia"
    assert eurasia.path == EURASIA.resolve()
    assert by_path.spec == eurasia.spec
    assert eurasia.files == (*WORLD_TABLES, WORLD.resolve(), EURASIA.resolve())


def test_synthetic_loads_with_the_sizes_in_its_file():
    raw = tomllib.loads(SYNTHETIC.read_text())["synthetic"]
    scenario = load("synthetic")
    assert scenario.name == "synthetic"
    assert scenario.spec.synthetic is not None
    assert scenario.spec.synthetic.model_dump() == raw
    assert scenario.spec.states == [] and scenario.spec.links == []
    assert scenario.files == (SYNTHETIC.resolve(),)


def test_eurasia_is_the_world_with_the_papers_detail(eurasia, eurasia_raw):
    """Every state of the world with its data; the regions of the focus states only; the
    capitals and the cities the papers name; the links the papers name."""
    world, spec = load("world").spec, eurasia.spec
    assert [s.id for s in spec.states] == [s.id for s in world.states]
    focus = set(spec.scenario.focus)
    assert len(focus) == 24 and spec.scenario.regions_of == "focus"
    assert [r.id for r in spec.regions] == [r.id for r in world.regions if r.state in focus]
    capitals = {c.id for c in world.cities}
    named = [c["id"] for c in eurasia_raw["cities"] if c["id"] not in capitals]
    assert [c.id for c in spec.cities] == [c.id for c in world.cities] + named
    assert link_keys(spec.links) == [(lk["a"], lk["b"], lk["kind"]) for lk in eurasia_raw["links"]]
    assert len(spec.links) == 26 and not world.links
    assert spec.trade_agreements == world.trade_agreements
    # A state keeps the world's data and gains the papers' note.
    kaz = next(s for s in spec.states if s.id == "KAZ")
    world_kaz = next(s for s in world.states if s.id == "KAZ")
    assert kaz.model_dump(exclude={"note"}) == world_kaz.model_dump(exclude={"note"})
    assert "paper 001" in kaz.note
    doha = next(lk for lk in spec.links if lk.b == "doha")
    assert (doha.a, doha.kind, doha.since) == ("astana", "twinning", 2022)
    assert doha.channels == ["cultural", "local_authority"]
    # Astana's population is the paper's (1.2 million, 2022), its coordinates the world's.
    astana = next(c for c in spec.cities if c.id == "astana")
    world_astana = next(c for c in world.cities if c.id == "astana")
    assert astana.population == 1.2e6 and astana.lat == world_astana.lat


def test_every_state_takes_its_data_from_the_world_tables(eurasia, world_states):
    for state in eurasia.spec.states:
        row = world_states.loc[state.id]
        assert state.gdp_usd == pytest.approx(row["gdp_usd"], rel=1e-12)
        assert state.population == row["population"]
        assert state.exports_share == pytest.approx(row["exports_share"])
        assert state.growth_trend == pytest.approx(row["growth_trend"])
    by_id = {s.id: s for s in eurasia.spec.states}
    # World Bank, 2023: Kazakhstan's GDP and population.
    assert by_id["KAZ"].gdp_usd == pytest.approx(261421121085.57208)
    assert by_id["KAZ"].population == 20330104
    assert 0.35 < by_id["KAZ"].exports_share < 0.5  # WDI: 41.8% in 2022
    assert len(eurasia.spec.states) == 190


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
    assert variant.files == (*WORLD_TABLES, WORLD.resolve(), EURASIA.resolve(), path.resolve())

    # Parameters: the one override, all else the defaults of the base.
    assert spec.params.trade.sigma == 6.0
    assert spec.params.trade.model_dump(exclude={"sigma"}) == old.params.trade.model_dump(
        exclude={"sigma"})
    assert spec.params.growth == old.params.growth == Params().growth

    # States: same ids and order; KAZ changed only in area (its data still the world's).
    assert [s.id for s in spec.states] == [s.id for s in old.states]
    k = [s.id for s in spec.states].index("KAZ")
    kaz, old_kaz = spec.states[k], old.states[k]
    assert kaz.area_km2 == 3000000.0
    assert kaz.model_dump(exclude={"area_km2"}) == old_kaz.model_dump(exclude={"area_km2"})
    assert spec.states[:k] + spec.states[k + 1:] == old.states[:k] + old.states[k + 1:]
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


def test_inline_gdp_in_a_variant_wins_over_the_table(write_toml, world_states):
    spec = load(write_toml("v.toml", """\
[scenario]
name = "variant"
extends = "eurasia"

[[states]]
id = "KAZ"
gdp_usd = 1e12
""")).spec
    kaz = next(s for s in spec.states if s.id == "KAZ")
    assert kaz.gdp_usd == 1e12
    assert kaz.population == world_states.loc["KAZ", "population"]


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


def test_the_scenarios_kept_in_memory_are_bounded(tmp_path, tiny_text):
    """Found by the fuzzer (seed 1, 10,000 cases): a process that read a new file for every
    case kept every scenario it read, and was killed by the kernel at 12 GB. The most recent
    MAX_LOADED are kept; one read again is the same object while its files are unchanged."""
    from sim import scenario as scenarios

    scenarios.forget_loaded()
    paths = []
    for k in range(scenarios.MAX_LOADED + 10):
        path = tmp_path / f"tiny-{k}.toml"
        path.write_text(tiny_text)
        paths.append(path)
        load(path)
    assert len(scenarios._LOADED) == scenarios.MAX_LOADED
    assert paths[0].resolve() not in scenarios._LOADED  # the oldest went first
    kept = load(paths[-1])
    assert load(paths[-1]) is kept
    paths[-1].write_text(tiny_text + "\n# changed\n")  # another size: read again
    assert load(paths[-1]) is not kept
