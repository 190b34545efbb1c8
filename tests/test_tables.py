"""Data tables named in `[data]`: CSV rows and events files read into a scenario.

A tiny two-state scenario is written to tmp_path twice: once with its states, cities, regions,
state pairs, memberships and trade agreements in CSV tables and its events in an events file, and
once with the same entries inline. The tests check that both give the same scenario, that every
bad cell or file is one InputError naming the file, the row and column (or key), what was expected
and what was found, how table rows merge with a base and with a file's own entries, `focus` and
`regions_of`, the load cache, and `regional_links`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import sim.tables
from sim.errors import InputError
from sim.scenario import load

# ---------------------------------------------------------------- the tiny world, as data

# Columns of each table, in the order its CSV header lists them (a subset of the model's fields).
COLUMNS: dict[str, tuple[str, ...]] = {
    "states": ("id", "name", "capital", "area_km2", "borders", "gdp_usd", "population",
               "exports_share", "exports_estimated", "growth_trend", "note"),
    "cities": ("id", "name", "state", "capital", "lat", "lon", "population", "source"),
    "regions": ("id", "name", "state", "lat", "lon", "population", "gdp_usd"),
    "state_pairs": ("a", "b", "distance_km", "contiguity", "common_language", "rivalry",
                    "source"),
    "memberships": ("org", "state", "joined", "left", "note"),
    "trade_agreements": ("name", "members", "since", "source"),
}

# None is an empty cell (the field keeps its default) and a key left out of the inline entry.
ROWS: dict[str, list[dict]] = {
    "states": [
        {"id": "AAA", "name": "Aland", "capital": "acity", "area_km2": 1000.0,
         "borders": ["BBB"], "gdp_usd": 1e12, "population": 1e7, "exports_share": None,
         "exports_estimated": None, "growth_trend": 0.02, "note": "first"},
        {"id": "BBB", "name": "Bland", "capital": "bcity", "area_km2": 2000.0,
         "borders": ["AAA"], "gdp_usd": 2e12, "population": 2e7, "exports_share": 0.25,
         "exports_estimated": True, "growth_trend": None, "note": None},
    ],
    "cities": [  # rows 2-5
        {"id": "acity", "name": "A City", "state": "AAA", "capital": True, "lat": 10.0,
         "lon": 10.0, "population": 1e6, "source": None},
        {"id": "atown", "name": "A Town, Old Quarter", "state": "AAA", "capital": False,
         "lat": 10.5, "lon": 10.5, "population": 2e5, "source": 'the "old" census'},
        {"id": "bcity", "name": "B City", "state": "BBB", "capital": True, "lat": 12.0,
         "lon": 14.0, "population": 2e6, "source": "GeoNames 1; checked"},
        {"id": "btown", "name": "B Town", "state": "BBB", "capital": None, "lat": -12.5,
         "lon": -14.5, "population": 3e5, "source": None},
    ],
    "regions": [
        {"id": "A-1", "name": "A One", "state": "AAA", "lat": 11.0, "lon": 11.0,
         "population": 5e5, "gdp_usd": 1e10},
        {"id": "B-1", "name": "B One", "state": "BBB", "lat": 13.0, "lon": 13.0,
         "population": 6e5, "gdp_usd": None},
    ],
    "state_pairs": [
        {"a": "AAA", "b": "BBB", "distance_km": 500.0, "contiguity": True,
         "common_language": False, "rivalry": None, "source": "test"},
    ],
    "memberships": [
        {"org": "ORG", "state": "AAA", "joined": 1990, "left": None, "note": "founder"},
        {"org": "ORG", "state": "BBB", "joined": 1995, "left": 2010, "note": None},
    ],
    "trade_agreements": [
        {"name": "AB FTA", "members": ["AAA", "BBB"], "since": 2001, "source": "WTO; RTA"},
    ],
}

EVENTS = """\
[[events]]
type = "sanction"
name = "A on B"
at = 2023-06-01
imposers = ["AAA"]
target = "BBB"
kind = ["trade", "financial"]
intensity = 0.3
"""

LINK_CITIES = """
[[links]]
a = "acity"
b = "bcity"
kind = "twinning"
channels = ["cultural"]
"""

LINK_REGIONS = """
[[links]]
a = "A-1"
b = "B-1"
kind = "agreement"
channels = ["economic", "cultural"]
"""

META = '[scenario]\nname = "tiny-tables"\nstep_months = 3\n'


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return repr(value) if isinstance(value, float) else str(value)


def csv_text(table: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS[table])
    for row in ROWS[table]:
        writer.writerow([csv_cell(row[c]) for c in COLUMNS[table]])
    return out.getvalue()


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for this text
    return repr(value)


def inline_text(table: str) -> str:
    return "".join(
        f"\n[[{table}]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in row.items()
                                     if v is not None)
        for row in ROWS[table]
    )


def write_inline(directory: Path, meta: str = META, links: str = LINK_CITIES + LINK_REGIONS,
                 extra: str = "") -> Path:
    """The tiny world with every entry inline."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "inline.toml"
    path.write_text(meta + "".join(inline_text(t) for t in COLUMNS) + links + extra + "\n"
                    + EVENTS)
    return path


def write_tables(directory: Path, meta: str = META, links: str = LINK_CITIES + LINK_REGIONS,
                 extra: str = "", edit: dict[str, Callable[[str], str]] | None = None,
                 data: dict[str, str] | None = None) -> Path:
    """The tiny world with its entries in data/*.csv and data/events.toml: `edit` rewrites a
    table's text (or "events"), `data` overrides the names `[data]` gives."""
    edit = edit or {}
    (directory / "data").mkdir(parents=True, exist_ok=True)
    names = {t: f"data/{t}.csv" for t in COLUMNS} | {"events": "data/events.toml"}
    for table in COLUMNS:
        text = csv_text(table)
        (directory / "data" / f"{table}.csv").write_text(edit.get(table, str)(text))
    (directory / "data" / "events.toml").write_text(edit.get("events", str)(EVENTS))
    names |= data or {}
    data_section = "\n[data]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in names.items())
    path = directory / "tiny.toml"
    path.write_text(meta + data_section + links + extra)
    return path


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, (old, text)
        return text.replace(old, new)

    return edit


def drop_column(name: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        records = list(csv.reader(io.StringIO(text)))
        k = records[0].index(name)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r[:k] + r[k + 1:] for r in records])
        return out.getvalue()

    return edit


def add_column(name: str, value: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.splitlines()
        return "\n".join([f"{lines[0]},{name}", *(f"{line},{value}" for line in lines[1:])]) + "\n"

    return edit


def bump_mtime(path: Path) -> None:
    """As an edit a moment later does: the file's mtime moves on (by a second, so that a coarse
    file-system clock cannot hide it)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    bump_mtime(path)


def one_line_error(call: Callable[[], object]) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    err = info.value
    assert "\n" not in str(err), str(err)
    where = f"{err.source}: {err.key}" if err.key else err.source
    assert str(err) == f"{where}: expected {err.expected}, found {err.found}", err
    return err


def content(spec) -> dict:
    """A spec's content without `[data]` (which names the tables, not what is in them)."""
    return spec.model_dump(mode="json", exclude={"data"})


# ---------------------------------------------------------------- 1. each table kind loads


def test_tables_give_the_same_scenario_as_inline_entries(tmp_path):
    tabled = load(write_tables(tmp_path / "tables"))
    inline = load(write_inline(tmp_path / "inline"))
    assert content(tabled.spec) == content(inline.spec)
    spec = tabled.spec
    # Each kind of table was read, cell types included (not merely both sides empty).
    assert [s.id for s in spec.states] == ["AAA", "BBB"]
    assert spec.states[1].exports_estimated is True and spec.states[0].exports_estimated is False
    assert spec.states[0].borders == ["BBB"] and spec.states[0].growth_trend == 0.02
    assert spec.states[1].growth_trend is None and spec.states[1].note == ""
    assert [c.id for c in spec.cities] == ["acity", "atown", "bcity", "btown"]
    assert spec.cities[1].name == "A Town, Old Quarter"  # a quoted cell with a comma
    assert spec.cities[1].source == 'the "old" census'
    assert spec.cities[3].capital is False and spec.cities[3].lat == -12.5  # empty: default
    assert [(r.id, r.gdp_usd) for r in spec.regions] == [("A-1", 1e10), ("B-1", None)]
    pair = spec.state_pairs[0]
    assert (pair.a, pair.b, pair.distance_km, pair.contiguity, pair.rivalry) == (
        "AAA", "BBB", 500.0, True, False)
    assert [(m.state, m.joined, m.left) for m in spec.memberships] == [
        ("AAA", 1990, None), ("BBB", 1995, 2010)]
    agreement = spec.trade_agreements[0]
    assert (agreement.members, agreement.since, agreement.source) == (
        ["AAA", "BBB"], 2001, "WTO; RTA")  # ';' splits a list column only
    assert [(e.type, e.name, e.intensity) for e in spec.events] == [("sanction", "A on B", 0.3)]
    assert spec.scenario.regional_links == "dormant"
    # Every table is one of the files the scenario came from, in the order they are read.
    data = (tmp_path / "tables" / "data").resolve()
    assert tabled.files == (
        *(data / f"{t}.csv" for t in COLUMNS), data / "events.toml",
        (tmp_path / "tables" / "tiny.toml").resolve())


def test_a_row_after_a_multi_line_cell_is_numbered_as_a_spreadsheet_shows_it(tmp_path):
    # AAA's note spans two lines of the file, so BBB is line 4 of the file but row 3 of the table.
    path = write_tables(tmp_path, edit={"states": lambda text: text.replace(
        ",first\n", ',"first\nsecond line"\n').replace("2000.0", "big")})
    err = one_line_error(lambda: load(path))
    assert err.source == str((tmp_path / "data/states.csv").resolve())
    assert err.key == "row 3, column area_km2"
    assert err.found == "'big'"


# ---------------------------------------------------------------- 2. one-line errors


@dataclass
class Case:
    edit: dict[str, Callable[[str], str]]
    source: str  # relative to tmp_path
    key: str
    expected: str  # a substring of InputError.expected
    found: str
    data: dict[str, str] | None = None
    meta: str = META


ERRORS: dict[str, Case] = {
    "non_number_in_a_float_column": Case(
        {"states": replace("2000.0", "big")},
        "data/states.csv", "row 3, column area_km2", "a finite number", "'big'"),
    "nan_in_a_float_column": Case(
        {"cities": replace("12.0", "nan")},
        "data/cities.csv", "row 4, column lat", "a finite number", "'nan'"),
    "inf_in_a_float_column": Case(
        {"regions": replace("600000.0", "inf")},
        "data/regions.csv", "row 3, column population", "a finite number", "'inf'"),
    "missing_required_column": Case(
        {"states": drop_column("capital")},
        "data/states.csv", "row 2, column capital", "required", "nothing"),
    "unknown_column": Case(
        {"memberships": add_column("colour", "red")},
        "data/memberships.csv", "header", "columns among org, state", "column 'colour'"),
    "empty_required_cell": Case(
        {"cities": replace("300000.0", "")},
        "data/cities.csv", "row 5, column population", "required", "nothing"),
    "bad_boolean": Case(
        {"state_pairs": replace("true", "yes")},
        "data/state_pairs.csv", "row 2, column contiguity", "true or false", "'yes'"),
    "fraction_in_a_whole_number_column": Case(
        {"memberships": replace("1995", "1995.5")},
        "data/memberships.csv", "row 3, column joined", "a whole number", "'1995.5'"),
    "value_out_of_range": Case(
        {"trade_agreements": replace("2001", "1800")},
        "data/trade_agreements.csv", "row 2, column since", "≥ 1900", "1800"),
    "row_with_an_extra_cell": Case(
        {"regions": replace("600000.0,", "600000.0,,")},
        "data/regions.csv", "row 3", "7 cells", "8"),
    "missing_table_file": Case(
        {}, "tiny.toml", "data.regions", "an existing file", "'data/nope.csv'",
        data={"regions": "data/nope.csv"}),
    "missing_events_file": Case(
        {}, "tiny.toml", "data.events", "an existing file", "'data/nope.toml'",
        data={"events": "data/nope.toml"}),
    "events_file_with_another_top_level_key": Case(
        {"events": lambda text: 'title = "sanctions"\n\n' + text},
        "data/events.toml", "title", "only [[events]]", "key 'title'"),
    "event_with_a_bad_field": Case(
        {"events": replace("intensity = 0.3", "intensity = 2.0")},
        "data/events.toml", "events[0] (sanction 'A on B').intensity", "≤ 1", "2.0"),
    "event_naming_an_unknown_state": Case(
        {"events": replace('target = "BBB"', 'target = "QQQ"')},
        "data/events.toml", "events[0] (sanction 'A on B').target", "", "'QQQ'"),
    "regional_links_not_a_choice": Case(
        {}, "tiny.toml", "scenario.regional_links", "'dormant'", "'frozen'",
        meta=META + 'regional_links = "frozen"\n'),
}


@pytest.mark.parametrize("name", ERRORS)
def test_bad_table_or_events_file_is_a_one_line_input_error(name, tmp_path):
    case = ERRORS[name]
    path = write_tables(tmp_path, meta=case.meta, edit=case.edit, data=case.data)
    err = one_line_error(lambda: load(path))
    assert err.source == str((tmp_path / case.source).resolve())
    assert err.key == case.key
    assert case.expected in err.expected
    if case.found:
        assert err.found == case.found


def test_an_events_file_that_is_not_toml_names_the_events_file(tmp_path):
    path = write_tables(tmp_path, edit={"events": lambda text: text + "intensity = \n"})
    err = one_line_error(lambda: load(path))
    assert err.source == str((tmp_path / "data/events.toml").resolve())
    assert err.expected == "valid TOML"
    assert "line 9" in err.found, err.found


@pytest.mark.parametrize("name", ["non_number_in_a_float_column", "missing_table_file",
                                  "events_file_with_another_top_level_key"])
def test_cli_validate_prints_one_line_for_a_bad_table(name, tmp_path, geopol):
    case = ERRORS[name]
    path = write_tables(tmp_path, meta=case.meta, edit=case.edit, data=case.data)
    proc = geopol("validate", path)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith(f"error: {(tmp_path / case.source).resolve()}: {case.key}: "), line
    assert f"found {case.found}" in line, line
    assert proc.stdout == ""


def test_cli_validate_accepts_the_tables(tmp_path, geopol):
    proc = geopol("validate", write_tables(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "2 states, 4 cities, 2 regions, 2 links, 1 events" in proc.stdout


# ---------------------------------------------------------------- 3. order and override

VARIANT = """\
[scenario]
name = "variant"
extends = "base/tiny.toml"

[data]
states = "override.csv"

[[states]]
id = "BBB"
population = 3e7
"""


def test_a_variant_table_overrides_base_rows_by_key_and_its_inline_entries_win(tmp_path):
    write_tables(tmp_path / "base")
    (tmp_path / "override.csv").write_text("id,gdp_usd,population\nBBB,5e12,4e7\n")
    variant = tmp_path / "variant.toml"
    variant.write_text(VARIANT)
    spec = load(variant).spec
    assert [s.id for s in spec.states] == ["AAA", "BBB"]  # merged by id, not appended
    aaa, bbb = spec.states
    assert bbb.gdp_usd == 5e12  # from the variant's table
    assert bbb.population == 3e7  # the variant's inline entry wins over its table (4e7)
    assert (bbb.name, bbb.area_km2, bbb.exports_share) == ("Bland", 2000.0, 0.25)  # from base
    assert (aaa.gdp_usd, aaa.population) == (1e12, 1e7)
    assert [c.id for c in spec.cities] == ["acity", "atown", "bcity", "btown"]  # base tables kept
    assert [e.name for e in spec.events] == ["A on B"]


def test_an_error_in_a_variant_table_names_its_own_row(tmp_path):
    # BBB is the base's second state, and the first row of the variant's table.
    write_tables(tmp_path / "base")
    (tmp_path / "override.csv").write_text("id,area_km2\nBBB,-1.0\n")
    variant = tmp_path / "variant.toml"
    variant.write_text(VARIANT)
    err = one_line_error(lambda: load(variant))
    assert err.source == str((tmp_path / "override.csv").resolve())
    assert err.key == "row 2, column area_km2"
    assert "> 0" in err.expected and err.found == "-1.0"


def test_a_files_inline_entries_merge_over_its_own_tables_and_follow_them(tmp_path):
    extra = """
[[states]]
id = "AAA"
gdp_usd = 7e12

[[cities]]
id = "ctown"
name = "C Town"
state = "AAA"
lat = 1.0
lon = 1.0
population = 1e5
"""
    spec = load(write_tables(tmp_path, extra=extra)).spec
    aaa = spec.states[0]
    assert (aaa.id, aaa.gdp_usd, aaa.area_km2) == ("AAA", 7e12, 1000.0)
    assert [s.id for s in spec.states] == ["AAA", "BBB"]
    assert [c.id for c in spec.cities] == ["acity", "atown", "bcity", "btown", "ctown"]


def test_a_repeated_id_in_one_table_is_an_error_as_inline(tmp_path):
    repeat = "acity,A City Again,AAA,true,10.0,10.0,1000000.0,\n"
    inline = write_inline(tmp_path / "inline",
                          extra='\n[[cities]]\nid = "acity"\nname = "A City Again"\nstate = "AAA"'
                                '\ncapital = true\nlat = 10.0\nlon = 10.0\npopulation = 1e6\n')
    err = one_line_error(lambda: load(inline))
    assert (err.key, err.found) == ("cities[4].id", "'acity'")  # inline: an error
    path = write_tables(tmp_path / "tables", edit={"cities": lambda text: text + repeat})
    err = one_line_error(lambda: load(path))
    assert err.source == str((tmp_path / "tables/data/cities.csv").resolve())
    assert err.key == "row 6, column id" and err.found == "'acity'"


def test_a_table_saved_with_a_byte_order_mark_loads(tmp_path):
    path = write_tables(tmp_path, edit={"states": lambda text: "\ufeff" + text})
    assert [s.id for s in load(path).spec.states] == ["AAA", "BBB"]


# ---------------------------------------------------------------- 4. focus and regions_of


def test_an_unknown_state_in_focus_is_an_error_naming_its_index(tmp_path):
    path = write_tables(tmp_path, meta=META + 'focus = ["AAA", "QQQ"]\n')
    err = one_line_error(lambda: load(path))
    assert err.source == str(path.resolve())
    assert (err.key, err.found) == ("scenario.focus[1]", "'QQQ'")
    assert "a state of the scenario" in err.expected


def test_regions_of_focus_needs_a_focus(tmp_path):
    path = write_tables(tmp_path, meta=META + 'regions_of = "focus"\n')
    err = one_line_error(lambda: load(path))
    assert err.source == str(path.resolve())
    assert (err.key, err.found) == ("scenario.regions_of", "an empty focus")


def test_regions_of_focus_keeps_the_focus_regions_and_every_state_and_capital(tmp_path):
    meta = META + 'focus = ["AAA"]\nregions_of = "focus"\n'
    spec = load(write_tables(tmp_path / "focus", meta=meta, links=LINK_CITIES)).spec
    assert [s.id for s in spec.states] == ["AAA", "BBB"]
    assert [c.id for c in spec.cities] == ["acity", "atown", "bcity"]  # btown dropped
    assert [r.id for r in spec.regions] == ["A-1"]  # B-1 dropped
    assert spec.scenario.focus == ["AAA"]
    # With regions_of = "all" the same focus drops nothing.
    meta = META + 'focus = ["AAA"]\nregions_of = "all"\n'
    spec = load(write_tables(tmp_path / "all", meta=meta, links=LINK_CITIES)).spec
    assert [c.id for c in spec.cities] == ["acity", "atown", "bcity", "btown"]
    assert [r.id for r in spec.regions] == ["A-1", "B-1"]


@pytest.mark.parametrize(("link", "key", "found"), [
    (LINK_REGIONS, "links[1].b", "'B-1'"),
    ('\n[[links]]\na = "btown"\nb = "atown"\nkind = "twinning"\nchannels = ["cultural"]\n',
     "links[1].a", "'btown'"),
])
def test_a_link_to_an_actor_dropped_by_the_focus_is_an_error_naming_the_focus(
        tmp_path, link, key, found):
    meta = META + 'focus = ["AAA"]\nregions_of = "focus"\n'
    path = write_tables(tmp_path, meta=meta, links=LINK_CITIES + link)
    err = one_line_error(lambda: load(path))
    assert err.source == str(path.resolve())
    assert (err.key, err.found) == (key, found)
    assert "an actor of the scenario" in err.expected and "scenario.focus" in err.expected
    # Without regions_of = "focus" the same link is fine.
    other = write_tables(tmp_path / "all", meta=META + 'focus = ["AAA"]\n',
                         links=LINK_CITIES + link)
    assert len(load(other).spec.links) == 2


def test_an_error_after_dropped_rows_names_the_right_row(tmp_path):
    # zcity (row 6) is a capital whose state does not exist; btown (row 5) is dropped first.
    meta = META + 'focus = ["AAA"]\nregions_of = "focus"\n'
    zcity = "zcity,Z City,ZZZ,true,1.0,1.0,1000.0,\n"
    path = write_tables(tmp_path, meta=meta, links=LINK_CITIES,
                        edit={"cities": lambda text: text + zcity})
    err = one_line_error(lambda: load(path))
    assert err.source == str((tmp_path / "data/cities.csv").resolve())
    assert err.found == "'ZZZ'"
    assert err.key == "row 6, column state"


# ---------------------------------------------------------------- 5. the load cache


def test_a_second_load_returns_the_cached_scenario_without_reading_the_tables(
        tmp_path, monkeypatch):
    reads: list[str] = []
    read_rows, read_events = sim.tables.read_rows, sim.tables.read_events

    def counting_rows(path, model):
        reads.append(Path(path).name)
        return read_rows(path, model)

    def counting_events(path):
        reads.append(Path(path).name)
        return read_events(path)

    monkeypatch.setattr(sim.tables, "read_rows", counting_rows)
    monkeypatch.setattr(sim.tables, "read_events", counting_events)
    path = write_tables(tmp_path)
    first = load(path)
    assert sorted(reads) == sorted([f"{t}.csv" for t in COLUMNS] + ["events.toml"])
    again = load(path)
    assert again is first
    assert len(reads) == 7  # nothing read again
    assert load(str(path)) is first  # the same file named another way


# Which file to edit (relative to tmp_path), the text to change (same size: only the mtime
# tells), and what the next load must show.
TOUCHES = {
    "states_table": ("data/states.csv", "2000000000000.0", "3000000000000.0",
                     lambda spec: spec.states[1].gdp_usd == 3e12),
    "cities_table": ("data/cities.csv", "B Town", "C Town",
                     lambda spec: spec.cities[3].name == "C Town"),
    "events_file": ("data/events.toml", "intensity = 0.3", "intensity = 0.4",
                    lambda spec: spec.events[0].intensity == 0.4),
    "scenario_file": ("tiny.toml", "step_months = 3", "step_months = 6",
                      lambda spec: spec.scenario.step_months == 6),
}


@pytest.mark.parametrize("name", TOUCHES)
def test_the_next_load_sees_an_edited_file(name, tmp_path):
    file, old, new, changed = TOUCHES[name]
    path = write_tables(tmp_path)
    before = load(path)
    assert not changed(before.spec)
    rewrite(tmp_path / file, old, new)
    after = load(path)
    assert changed(after.spec)
    assert after.content_hash != before.content_hash
    assert load(path) is after  # and caches the new one


@pytest.mark.parametrize("file", ["base/data/states.csv", "base/tiny.toml", "override.csv"])
def test_a_variant_sees_an_edit_to_its_base_or_its_tables(file, tmp_path):
    write_tables(tmp_path / "base")
    (tmp_path / "override.csv").write_text("id,gdp_usd\nBBB,5e12\n")
    variant = tmp_path / "variant.toml"
    variant.write_text(VARIANT.replace("population = 3e7\n", ""))
    before = load(variant)
    old, new = {"base/data/states.csv": ("Aland", "Bland"),
                "base/tiny.toml": ("step_months = 3", "step_months = 6"),
                "override.csv": ("BBB,5e12", "AAA,5e12")}[file]
    rewrite(tmp_path / file, old, new)
    after = load(variant)
    assert after.content_hash != before.content_hash
    if file == "override.csv":
        assert (after.spec.states[0].gdp_usd, after.spec.states[1].gdp_usd) == (5e12, 2e12)
    elif file == "base/data/states.csv":
        assert after.spec.states[0].name == "Bland"
    else:
        assert after.spec.scenario.step_months == 6


def test_a_table_made_bad_or_removed_after_a_load_is_an_error_on_the_next(tmp_path):
    path = write_tables(tmp_path)
    load(path)
    rewrite(tmp_path / "data/states.csv", "2000.0", "twok.0")
    err = one_line_error(lambda: load(path))
    assert (err.key, err.found) == ("row 3, column area_km2", "'twok.0'")
    (tmp_path / "data/states.csv").unlink()
    err = one_line_error(lambda: load(path))
    assert err.source == str(path.resolve())
    assert (err.key, err.found) == ("data.states", "'data/states.csv'")


# ---------------------------------------------------------------- 6. regional_links


@pytest.mark.parametrize("value", ["dormant", "settled"])
def test_regional_links_accepts_its_two_values(value, tmp_path):
    path = write_tables(tmp_path, meta=META + f'regional_links = "{value}"\n')
    assert load(path).spec.scenario.regional_links == value


def test_regional_links_rejects_another_value_naming_the_key(tmp_path):
    path = write_tables(tmp_path, meta=META + 'regional_links = "settle"\n')
    err = one_line_error(lambda: load(path))
    assert err.source == str(path.resolve())
    assert (err.key, err.found) == ("scenario.regional_links", "'settle'")
    assert "'dormant'" in err.expected and "'settled'" in err.expected
