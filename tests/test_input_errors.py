"""Bad input: every error names where it came from, what was expected and what was found.

Each case is checked twice: through the API (`sim.scenario.load` and friends raise `InputError`
with the right fields) and through the `geopol` executable (exit code 2, exactly one line on
stderr starting with "error: ", no traceback, and nothing written at the --out path).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli import parse_sets
from sim.errors import PARTS, InputError
from sim.model import GeoModel
from sim.output import check_writable
from sim.scenario import load

# ---------------------------------------------------------------- helpers


def error_line(proc) -> str:
    """The one stderr line of a failed `geopol` call, after checking the error contract."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    assert "expected" in line, line
    return line


def assert_nothing_written(out: Path, before: set[str] | None = None) -> None:
    """No run directory, no staging directory, no probe file, no stray sibling."""
    if before is None:
        assert not out.exists(), sorted(p.name for p in out.parent.iterdir())
        before = set()
    else:
        assert {p.name for p in out.iterdir()} == before
    leftovers = [p.name for p in out.parent.iterdir()
                 if p.name.startswith((f".{out.name}.", ".geopol-probe"))]
    assert leftovers == []


@dataclass
class Case:
    target: str | Path      # what is loaded: a file path or a bundled name
    source: str | Path      # the file (or "scenario") the error must be attributed to
    key: str                # the key path
    expected: str           # a substring of InputError.expected
    found: tuple[str, ...]  # acceptable values of InputError.found
    command: str = "run"    # "run" or "validate" for the CLI check


def tiny_with(tiny: str, old: str, new: str) -> str:
    assert old in tiny, old
    return tiny.replace(old, new, 1)


ECONOMY = "[data]\neconomy = \"econ.csv\"\n\n[[states]]"
CSV_HEADER = "iso3,name,year,gdp_usd,population\n"


def economy_scenario(tmp: Path, tiny: str, rows: str) -> Path:
    """The tiny scenario with its GDP and population read from tmp/econ.csv."""
    text = tiny_with(tiny, "[[states]]", ECONOMY)
    text = text.replace("gdp_usd = 1e12\npopulation = 1e7\n", "")
    text = text.replace("gdp_usd = 2e12\npopulation = 2e7\n", "")
    (tmp / "econ.csv").write_text(CSV_HEADER + rows)
    path = tmp / "tiny.toml"
    path.write_text(text)
    return path


def variant(tmp: Path, base_text: str, body: str, extends: str = "base.toml") -> Path:
    (tmp / "base.toml").write_text(base_text)
    path = tmp / "variant.toml"
    path.write_text(f'[scenario]\nname = "variant"\nextends = "{extends}"\n\n{body}')
    return path


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


# Each builder writes its files into a fresh directory and says what the error must be.
CASES: dict[str, Callable[[Path, str], Case]] = {}


def case(fn: Callable[[Path, str], Case]) -> Callable[[Path, str], Case]:
    CASES[fn.__name__] = fn
    return fn


@case
def malformed_toml(tmp, tiny):
    path = write(tmp, "broken.toml", '[scenario]\nname = "x"\nfoo = = 1\n')
    return Case(path, path, "line 3, column 7", "valid TOML", ("invalid value",))


@case
def unknown_top_level_key(tmp, tiny):
    path = write(tmp, "tiny.toml", 'colour = "red"\n' + tiny)
    return Case(path, path, "colour", "unknown key", ("key 'colour'",), command="validate")


@case
def unknown_key_in_a_state(tmp, tiny):
    path = write(tmp, "tiny.toml",
                 tiny_with(tiny, "area_km2 = 2000.0", 'area_km2 = 2000.0\ncolour = "red"'))
    return Case(path, path, "states[1].colour", "unknown key", ("key 'colour'",))


@case
def area_not_a_number(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny_with(tiny, "area_km2 = 1000.0", 'area_km2 = "big"'))
    return Case(path, path, "states[0].area_km2", "number", ("'big'",))


@case
def lat_not_a_number(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny_with(tiny, "lat = 12.0", 'lat = "north"'))
    return Case(path, path, "cities[1].lat", "number", ("'north'",), command="validate")


@case
def area_string_that_looks_like_markup(tmp, tiny):
    # A found value is user text: it must be shown as written, not interpreted.
    path = write(tmp, "tiny.toml", tiny_with(tiny, "area_km2 = 1000.0", 'area_km2 = "[big]"'))
    return Case(path, path, "states[0].area_km2", "number", ("'[big]'",), command="validate")


@case
def lat_string_that_looks_like_a_closing_tag(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny_with(tiny, "lat = 10.0", 'lat = "[/north]"'))
    return Case(path, path, "cities[0].lat", "number", ("'[/north]'",), command="validate")


@case
def link_to_a_missing_actor(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny_with(tiny, 'b = "bcity"', 'b = "nowhere"'))
    return Case(path, path, "links[0].b", "actor", ("'nowhere'",))


@case
def negative_gdp_inline(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny_with(tiny, "gdp_usd = 1e12", "gdp_usd = -5"))
    return Case(path, path, "states[0].gdp_usd", "> 0", ("-5",))


@case
def negative_population_of_a_region(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny_with(tiny, "population = 5e5", "population = -5"))
    return Case(path, path, "regions[0].population", "> 0", ("-5",), command="validate")


@case
def negative_gdp_in_the_economy_csv(tmp, tiny):
    path = economy_scenario(tmp, tiny, "AAA,Aland,2023,1e12,1e7\nBBB,Bland,2023,-3,2e7\n")
    return Case(path, tmp / "econ.csv", "row 3, column gdp_usd", "> 0", ("-3", "-3.0"))


@case
def zero_population_in_the_economy_csv(tmp, tiny):
    path = economy_scenario(tmp, tiny, "AAA,Aland,2023,1e12,0\nBBB,Bland,2023,2e12,2e7\n")
    return Case(path, tmp / "econ.csv", "row 2, column population", "> 0", ("0", "0.0"),
                command="validate")


@case
def error_in_a_variant_is_the_variants(tmp, tiny):
    path = variant(tmp, tiny, '[[states]]\nid = "AAA"\narea_km2 = -1.0\n')
    return Case(path, path, "states[0].area_km2", "> 0", ("-1.0",))


@case
def bad_parameter_in_a_variant_is_the_variants(tmp, tiny):
    path = variant(tmp, tiny, "[params.trade]\nsigma = -1.0\n")
    return Case(path, path, "params.trade.sigma", "3", ("-1.0",), command="validate")


@case
def error_in_a_base_is_the_bases(tmp, tiny):
    base = tiny_with(tiny, "area_km2 = 2000.0", 'area_km2 = "x"')
    path = variant(tmp, base, '[[states]]\nid = "AAA"\narea_km2 = 5.0\n')
    return Case(path, tmp / "base.toml", "states[1].area_km2", "number", ("'x'",))


@case
def bad_link_in_a_base_is_the_bases(tmp, tiny):
    base = tiny_with(tiny, 'b = "bcity"', 'b = "nowhere"')
    path = variant(tmp, base, '[[states]]\nid = "AAA"\narea_km2 = 5.0\n')
    return Case(path, tmp / "base.toml", "links[0].b", "actor", ("'nowhere'",),
                command="validate")


@case
def extends_a_missing_file(tmp, tiny):
    path = write(tmp, "variant.toml",
                 '[scenario]\nname = "variant"\nextends = "missing.toml"\n')
    return Case(path, path, "scenario.extends", ".toml file", ("'missing.toml'",))


@case
def extends_cycle(tmp, tiny):
    a = write(tmp, "a.toml", '[scenario]\nname = "a"\nextends = "b.toml"\n')
    b = write(tmp, "b.toml", '[scenario]\nname = "b"\nextends = "a.toml"\n')
    return Case(a, b, "scenario.extends", "no cycle", ("a.toml -> b.toml -> a.toml",),
                command="validate")


@case
def unknown_scenario_name(tmp, tiny):
    return Case("no_such_scenario", "scenario", "name", "bundled scenario",
                ("'no_such_scenario'",))


FORUM = '[[forums]]\nname = "Pair"\nmembers = ["AAA", "BBB"]\nevery_years = 1.0\n'


@case
def forum_member_not_in_the_scenario(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny + "\n" + FORUM.replace('"BBB"]', '"ZZZ"]'))
    return Case(path, path, "forums[0].members[1]",
                "a state of the scenario or an organisation of its memberships", ("'ZZZ'",))


@case
def forum_meeting_every_zero_years(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny + "\n" + FORUM.replace("= 1.0", "= 0.0"))
    return Case(path, path, "forums[0].every_years", "> 0", ("0.0",), command="validate")


@case
def forum_joined_by_a_state_it_does_not_list(tmp, tiny):
    path = write(tmp, "tiny.toml", tiny + "\n" + FORUM + "joined = { CCC = 2020 }\n")
    return Case(path, path, "forums[0].joined.CCC", "a state listed in members", ("'CCC'",))


@case
def forum_in_a_variant_scripting_a_summit_not_on_the_timeline(tmp, tiny):
    path = variant(tmp, tiny + "\n" + FORUM,
                   '[[forums]]\nname = "Pair"\nscripted = ["Pair summit 2024"]\n')
    return Case(path, path, "forums[0].scripted[0]", "a summit on the scenario's timeline",
                ("'Pair summit 2024'",), command="validate")


def resolved(source: str | Path) -> str:
    return str(source.resolve()) if isinstance(source, Path) else source


# ---------------------------------------------------------------- scenario errors: API


@pytest.mark.parametrize("name", CASES)
def test_load_raises_input_error_naming_file_key_expected_found(name, tmp_path, tiny_text):
    c = CASES[name](tmp_path, tiny_text)
    with pytest.raises(InputError) as info:
        load(c.target)
    err = info.value
    assert err.source == resolved(c.source)
    assert err.key == c.key
    assert c.expected in err.expected
    assert err.found in c.found
    # One line in that form, a long expected part (a list of the bundled scenarios after a
    # long temporary path) cut to fit the line.
    line = str(err)
    assert line.startswith(f"{err.source}: {err.key}: expected ")
    assert line.endswith(f", found {err.found}") and "\n" not in line
    if sum(map(len, (err.source, err.key, err.expected, err.found))) <= PARTS:  # nothing cut
        assert line == f"{err.source}: {err.key}: expected {err.expected}, found {err.found}"


# ---------------------------------------------------------------- scenario errors: CLI

CLI_TEST = "test_cli_prints_one_line_naming_file_key_expected_found"


@pytest.fixture(scope="module")
def cli_outcome(request, tmp_path_factory, tiny_text, geopol):
    """`geopol` run on a case's files: (case, completed process, --out path).

    Each call spends about a second importing, so in a plain (non-xdist) session the selected
    cases all run at once, a few in parallel, on the first request; under xdist each test runs
    its own case.
    """
    done: dict[str, tuple] = {}

    def one(name: str) -> tuple:
        tmp = tmp_path_factory.mktemp(name)
        c = CASES[name](tmp, tiny_text)
        out = tmp / "out"
        if c.command == "run":
            return c, geopol("run", c.target, "--steps", 2, "--out", out), out
        return c, geopol("validate", c.target), out

    def get(name: str) -> tuple:
        if name not in done:
            names = [name]
            if not os.environ.get("PYTEST_XDIST_WORKER"):
                selected = [item.callspec.params["name"] for item in request.session.items
                            if item.originalname == CLI_TEST]
                names += [n for n in selected if n != name and n not in done]
            with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
                done.update(zip(names, pool.map(one, names)))
        return done[name]

    return get


@pytest.mark.parametrize("name", CASES)
def test_cli_prints_one_line_naming_file_key_expected_found(name, cli_outcome):
    c, proc, out = cli_outcome(name)
    line = error_line(proc)
    assert resolved(c.source) in line
    assert c.key in line
    assert c.expected in line
    assert any(f"found {found}" in line for found in c.found), line
    assert proc.stdout == ""
    assert_nothing_written(out)


# ---------------------------------------------------------------- key path of a merged entry


VARIANT_OF_SECOND_STATE = '[[states]]\nid = "BBB"\narea_km2 = -1.0\n'


def test_key_path_of_a_variant_entry_points_into_the_variant_file(tmp_path, tiny_text):
    # The variant's only [[states]] entry overrides BBB, the base's second state. An error
    # attributed to variant.toml must not cite a key path that does not exist in that file
    # ("states[1]"): it names the entry as the variant has it (states[0]) or by its id.
    path = variant(tmp_path, tiny_text, VARIANT_OF_SECOND_STATE)
    with pytest.raises(InputError) as info:
        load(path)
    err = info.value
    assert err.source == str(path.resolve())
    assert err.key == "states[0].area_km2" or "BBB" in str(err), str(err)


# ---------------------------------------------------------------- command-line options


@pytest.fixture
def tiny_file(write_toml, tiny_text) -> Path:
    return write_toml("tiny.toml", tiny_text)


def test_cli_steps_zero(tiny_file, tmp_path, geopol):
    out = tmp_path / "out"
    line = error_line(geopol("run", tiny_file, "--steps", 0, "--out", out))
    assert "--steps" in line and "≥ 1" in line and line.endswith("found 0")
    assert_nothing_written(out)


def test_cli_negative_seed(tiny_file, tmp_path, geopol):
    out = tmp_path / "out"
    line = error_line(geopol("run", tiny_file, "--steps", 2, "--seed", -1, "--out", out))
    assert "--seed" in line and "≥ 0" in line and line.endswith("found -1")
    assert_nothing_written(out)


def test_out_under_a_regular_file_is_an_input_error(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    out = blocker / "run"
    with pytest.raises(InputError) as info:
        check_writable(out, overwrite=False)
    err = info.value
    assert (err.source, err.key) == ("--out", str(out))
    assert "written" in err.expected
    assert err.found  # the OS's reason, e.g. "File exists" or "Not a directory"
    assert blocker.read_text() == "keep me"


def test_cli_out_under_a_regular_file(tiny_file, tmp_path, geopol):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    out = blocker / "run"
    line = error_line(geopol("run", tiny_file, "--steps", 2, "--out", out))
    assert "--out" in line and str(out) in line and "written" in line
    assert blocker.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "tiny.toml"]


def test_out_that_is_a_regular_file_is_an_input_error(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    with pytest.raises(InputError) as info:
        check_writable(blocker, overwrite=True)
    assert (info.value.source, info.value.key) == ("--out", str(blocker))
    assert info.value.found == "an existing file"


def test_cli_out_that_is_a_regular_file(tiny_file, tmp_path, geopol):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    line = error_line(geopol("run", tiny_file, "--steps", 2, "--out", blocker, "--overwrite"))
    assert "--out" in line and str(blocker) in line and "found an existing file" in line
    assert blocker.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "tiny.toml"]


def test_non_empty_out_without_overwrite_is_an_input_error(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("keep me")
    with pytest.raises(InputError) as info:
        check_writable(out, overwrite=False)
    assert (info.value.source, info.value.key) == ("--out", str(out))
    assert "--overwrite" in info.value.expected
    check_writable(out, overwrite=True)  # allowed with --overwrite
    check_writable(tmp_path / "empty", overwrite=False)  # a new directory is fine


def test_cli_non_empty_out_without_overwrite(tiny_file, tmp_path, geopol):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("keep me")
    line = error_line(geopol("run", tiny_file, "--steps", 2, "--out", out))
    assert "--out" in line and str(out) in line and "--overwrite" in line
    assert_nothing_written(out, before={"keep.txt"})
    assert (out / "keep.txt").read_text() == "keep me"


def test_unknown_set_name_is_an_input_error():
    with pytest.raises(InputError) as info:
        parse_sets(["trade.nosuch=1"])
    err = info.value
    assert (err.source, err.key) == ("--set", "trade.nosuch")
    assert "trade.sigma" in err.expected  # lists the names that exist
    assert "trade.nosuch=1" in err.found


def test_cli_unknown_set_name(tiny_file, tmp_path, geopol):
    out = tmp_path / "out"
    line = error_line(geopol("run", tiny_file, "--steps", 2, "--out", out,
                             "--set", "trade.nosuch=1"))
    assert "--set" in line and "trade.nosuch" in line and "trade.sigma" in line
    assert_nothing_written(out)


def test_bad_parameter_value_is_an_input_error(tiny_file):
    with pytest.raises(InputError) as info:
        GeoModel(scenario=tiny_file, trade_sigma=-1.0)
    err = info.value
    assert err.key == "trade_sigma"
    assert "3" in err.expected
    assert err.found == "-1.0"


def test_cli_bad_set_value(tiny_file, tmp_path, geopol):
    out = tmp_path / "out"
    line = error_line(geopol("run", tiny_file, "--steps", 2, "--out", out,
                             "--set", "trade.sigma=-1"))
    assert "3" in line and "-1" in line
    # The parameter is named as the user wrote it on the command line.
    assert "trade.sigma" in line, line
    assert_nothing_written(out)


def test_geomodel_rejects_an_unknown_parameter_by_name(tiny_file):
    with pytest.raises(InputError) as info:
        GeoModel(scenario=load(tiny_file), no_such_param=1)
    err = info.value
    assert err.key == "no_such_param"
    assert "no_such_param" in str(err)
    assert "trade_sigma" in err.expected  # lists the parameters that exist
    assert err.found == "'no_such_param'"
