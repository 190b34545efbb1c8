"""Hostile input (issue 14): each class of bad scenario, sweep spec or parameter that once gave a
traceback, a hang or a silent NaN is refused with one InputError line naming the file, the key,
what was expected and what was found; and the computations it broke stay finite on what passes."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import tomllib
import typing
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from sim import GeoModel, schema
from sim.errors import InputError
from sim.events import date_of, last_step
from sim.kernels.trade import gravity_flows, output_shares
from sim.params import PARAM_PATHS, Params
from sim.scenario import BUNDLED_DIR, Provenance, ScenarioSpec, load
from sim.schema import LAST_DATE, MAX_DEPTH, Within, too_deep
from sim.sweep_spec import SweepFile, load_sweep

ROOT = Path(__file__).resolve().parent.parent
MODEL_MD = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
SYNTHETIC = (BUNDLED_DIR / "synthetic.toml").read_text(encoding="utf-8")
SWEEP = (BUNDLED_DIR / "sweeps" / "example.toml").read_text(encoding="utf-8")


def refused(call: typing.Callable[[], object]) -> InputError:
    """The InputError `call` raises, checked to be one line."""
    with pytest.raises(InputError) as info:
        call()
    assert "\n" not in str(info.value), str(info.value)
    return info.value


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ---------------------------------------------------------------- nesting

def deep_toml(kind: str, depth: int) -> str:
    """A TOML fragment nested `depth` levels deep, in one of the four ways TOML nests."""
    if kind == "array":
        return "deep = " + "[" * depth + "]" * depth + "\n"
    if kind == "inline table":
        return "deep = " + "{a = " * depth + "1" + "}" * depth + "\n"
    if kind == "table header":
        return "[" + ".".join(["deep"] * depth) + "]\n"
    return ".".join(["deep"] * depth) + " = 1\n"  # a dotted key


KINDS = ("array", "inline table", "table header", "dotted key")


@pytest.mark.parametrize("depth", [1000, 50_000])
@pytest.mark.parametrize("kind", KINDS)
def test_a_scenario_nested_1000_or_50000_levels_deep_is_rejected_quickly(
        kind, depth, write_toml, tiny_text):
    path = write_toml("deep.toml", deep_toml(kind, depth) + "\n" + tiny_text)
    start = time.perf_counter()
    err = refused(lambda: load(path))
    assert time.perf_counter() - start < 0.5
    assert err.source == str(path.resolve())
    assert err.key.startswith("deep")
    assert f"{MAX_DEPTH} levels" in err.expected
    assert "line" in err.found


@pytest.mark.parametrize("kind", KINDS)
def test_a_sweep_spec_nested_50000_levels_deep_is_rejected_quickly(kind, write_toml):
    path = write_toml("deep.toml", deep_toml(kind, 50_000) + "\n" + SWEEP)
    start = time.perf_counter()
    err = refused(lambda: load_sweep(path))
    assert time.perf_counter() - start < 0.5
    assert err.source == str(path)
    assert err.key.startswith("deep")


def test_an_events_file_nested_1000_levels_deep_is_rejected(write_toml, tiny_text):
    write_toml("events.toml", "[[events]]\n" + deep_toml("array", 1000))
    path = write_toml("tiny.toml", edit(tiny_text, "[[states]]",
                                        '[data]\nevents = "events.toml"\n\n[[states]]'))
    err = refused(lambda: load(path))
    assert err.source == str((path.parent / "events.toml").resolve())
    assert err.key.startswith("events[0].deep[0][0]")


def test_nesting_up_to_the_limit_is_read():
    text = "deep = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert too_deep(text) is None
    assert too_deep("deep = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


def key_depth(value: object) -> int:
    """The most parts a key path into `value` has, an empty array counting as one level."""
    if isinstance(value, dict):
        return max((1 + key_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((key_depth(v) for v in value), default=0)
    return 0


SAMPLES = [
    'x = [[1], [2, [3]]]', 'x = [{a = [1]}, 2]', '"a.b".c = {d = {e = [1, 2]}}',
    "x = '''a\n[[[[\n'''\ny = 1", 'x = """a""""\ny.z = 2', '[a.b]\nc = [[1]]',
    'x = "[[[[" # [[[[\n', '[ a . "b" . c ]\nd = 1', 'x = [\n 1,\n [2,\n 3],\n]\n',
    '[[a]]\n[[a]]\nb = 1', 't = 2023-01-01T10:00:00.5\ny = [1.5, 2.5]',
    'x = {a.b.c = 1, d = [{}]}', 'a = """\\"""\n[[[[\n"""\nb = 1',
]


@pytest.mark.parametrize("path", sorted(BUNDLED_DIR.rglob("*.toml")), ids=lambda p: p.name)
def test_the_scan_measures_bundled_files_as_deep_as_they_are(path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    depth = key_depth(tomllib.loads(text))
    monkeypatch.setattr(schema, "MAX_DEPTH", depth)
    assert too_deep(text) is None
    monkeypatch.setattr(schema, "MAX_DEPTH", depth - 1)
    assert too_deep(text) is not None


@pytest.mark.parametrize("text", SAMPLES)
def test_the_scan_measures_strings_comments_and_inline_tables_as_tomllib_reads_them(
        text, monkeypatch):
    depth = key_depth(tomllib.loads(text))
    monkeypatch.setattr(schema, "MAX_DEPTH", depth)
    assert too_deep(text) is None
    monkeypatch.setattr(schema, "MAX_DEPTH", depth - 1)
    assert too_deep(text) is not None


def test_provenance_marks_a_value_deeper_than_the_stack_without_recursion(tmp_path):
    value: list = []
    for _ in range(3000):  # Python's recursion limit is 1000
        value = [value]
    prov = Provenance()
    prov.mark(value, tmp_path / "x.toml", ("deep",))
    assert prov.source(("deep", *[0] * 3000), tmp_path) == tmp_path / "x.toml"


# ---------------------------------------------------------------- the calendar

def test_a_start_near_year_9999_is_rejected(write_toml, tiny_text):
    path = write_toml("late.toml", edit(tiny_text, 'name = "tiny"',
                                        'name = "tiny"\nstart = 9999-10-01'))
    err = refused(lambda: load(path))
    assert err.key == "scenario.start"
    assert str(LAST_DATE) in err.expected and err.found == "9999-10-01"


def test_steps_that_run_past_the_calendar_are_rejected(write_toml, tiny_text):
    path = write_toml("late.toml", edit(tiny_text, 'name = "tiny"',
                                        'name = "tiny"\nstart = 2299-01-01\nsteps = 40'))
    err = refused(lambda: load(path))
    assert err.key == "scenario.steps"
    assert "at most 7 steps" in err.expected and str(LAST_DATE) in err.expected
    assert err.found == "40"


@pytest.mark.parametrize("at", ["9999-12-31", "1066-10-14", "1000000000"])
def test_an_event_outside_the_calendar_is_rejected(at, write_toml, tiny_text):
    path = write_toml("event.toml", tiny_text + f'\n[[events]]\ntype = "relation_shock"\n'
                      f'a = "AAA"\nb = "BBB"\nshift = 0.1\nat = {at}\n')
    err = refused(lambda: load(path))
    assert err.key == "events[0] (relation_shock).at"
    assert err.found == at


def test_a_technology_wave_starting_after_the_calendar_is_rejected(write_toml, tiny_text):
    path = write_toml("wave.toml", tiny_text + '\n[[technology_waves]]\nname = "w"\n'
                      "start = 9999-12-31\n")
    assert refused(lambda: load(path)).key == "technology_waves[0].start"


def test_a_sweep_whose_steps_run_past_the_calendar_is_rejected(write_toml):
    write_toml("late.toml", '[scenario]\nname = "late"\nextends = "synthetic"\n'
               "start = 2290-01-01\nsteps = 4\n")
    path = write_toml("spec.toml", edit(edit(SWEEP, 'scenario = "eurasia-sanctions-2017"',
                                                        'scenario = "late.toml"'),
                                        "steps = 20", "steps = 100"))
    err = refused(lambda: load_sweep(path))
    assert err.key == "sweep.steps" and err.found == "100"


@pytest.mark.parametrize("start", [dt.date(1800, 1, 1), dt.date(2023, 1, 31), dt.date(2300, 12, 1)])
@pytest.mark.parametrize("months", [1, 3, 12])
def test_the_last_step_is_the_last_within_the_calendar(start, months):
    last = last_step(start, months)
    assert date_of(start, months, last) <= LAST_DATE < date_of(start, months, last + 1)


# ---------------------------------------------------------------- merge keys

@pytest.mark.parametrize(("body", "key"), [
    ('[[digital]]\nstate = {}\naudience = 1.0\n', "digital[0].state"),
    ('[[digital]]\nstate = ["KAZ"]\naudience = 1.0\n', "digital[0].state"),
    ('[[states]]\nid = {}\n', "states[0].id"),
    ('[[links]]\na = {}\nb = "Astana"\nkind = "twinning"\nchannels = ["cultural"]\n', "links[0].a"),
    ('[[events]]\ntype = {}\nname = "x"\n', "events[0] (event 'x').type"),
])
def test_a_table_where_a_merge_key_should_be_is_rejected(body, key, write_toml):
    path = write_toml("variant.toml", f'[scenario]\nname = "variant"\nextends = "eurasia"\n\n{body}')
    err = refused(lambda: load(path))
    assert err.source == str(path.resolve())
    assert err.key == key


# ---------------------------------------------------------------- physical ranges

@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e308", "5e-324"])
@pytest.mark.parametrize(("old", "new", "key"), [
    ("area_km2 = 1000.0", "area_km2 = {}", "states[0].area_km2"),
    ("gdp_usd = 1e12", "gdp_usd = {}", "states[0].gdp_usd"),
    ("population = 1e7", "population = {}", "states[0].population"),
    ("population = 5e5", "population = {}", "regions[0].population"),
    ("population = 5e5", "population = 5e5\ngdp_usd = {}", "regions[0].gdp_usd"),
])
def test_a_non_finite_or_absurd_number_is_rejected(old, new, key, value, write_toml, tiny_text):
    path = write_toml("bad.toml", edit(tiny_text, old, new.format(value)))
    err = refused(lambda: load(path))
    assert err.key == key


def test_gdp_of_1e308_is_rejected(write_toml, tiny_text):
    text = tiny_text.replace("gdp_usd = 1e12", "gdp_usd = 1e308").replace("gdp_usd = 2e12",
                                                                           "gdp_usd = 1e308")
    err = refused(lambda: load(write_toml("rich.toml", text)))
    assert err.key == "states[0].gdp_usd"
    assert "1e+15" in err.expected and err.found == "1e+308"


@pytest.mark.parametrize("value", ["inf", "1e308", "5e-324", "-1.0"])
def test_an_absurd_audience_is_rejected(value, write_toml, tiny_text):
    path = write_toml("bad.toml", tiny_text + f'\n[[digital]]\nstate = "AAA"\naudience = {value}\n')
    assert refused(lambda: load(path)).key == "digital[0].audience"


@pytest.mark.parametrize("cell", ["inf", "nan", "1e308", "5e-324"])
def test_a_non_finite_or_absurd_number_in_the_economy_csv_is_rejected(cell, write_toml,
                                                                       tiny_text):
    text = edit(tiny_text, "[[states]]", '[data]\neconomy = "econ.csv"\n\n[[states]]')
    text = text.replace("gdp_usd = 1e12\n", "").replace("gdp_usd = 2e12\n", "")
    csv = write_toml("econ.csv", f"iso3,name,year,gdp_usd,population\nAAA,Aland,2023,{cell},1e7\n"
                     "BBB,Bland,2023,2e12,2e7\n")
    err = refused(lambda: load(write_toml("tiny.toml", text)))
    assert err.source == str(csv.resolve())
    assert err.key == "row 2, column gdp_usd"


def test_the_largest_economies_allowed_calibrate_and_trade_finitely(write_toml, tiny_text):
    text = tiny_text.replace("gdp_usd = 1e12", "gdp_usd = 1e15").replace("gdp_usd = 2e12",
                                                                          "gdp_usd = 1e15")
    model = GeoModel(scenario=load(write_toml("rich.toml", text)), rng=0)
    model.step()
    assert np.isfinite(model.home_bias).all()
    assert np.isfinite(model.world.pairs.trade).all()
    assert np.isfinite(model.world.actors.gdp).all()


def test_output_shares_and_gravity_never_divide_by_zero():
    gdp = np.array([1e308, 1e308, 1e6])  # a sum that overflows
    theta = output_shares(gdp)
    assert np.isfinite(theta).all() and (theta > 0).all() and math.isclose(theta.sum(), 1.0)
    ones = np.ones(3)
    flows, *_ = gravity_flows(np.array([1e308, 1e308]), np.ones((2, 2)), ones[:2], ones[:2],
                              1e-10, 100)  # no ZeroDivisionError from the kernel
    assert flows.shape == (2, 2)


def float_fields(model: type[BaseModel], seen: set | None = None) -> typing.Iterator[tuple]:
    """(model, field name, metadata) of every float field reachable from `model`."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        stack = [(field.annotation, list(field.metadata))]
        while stack:
            annotation, metadata = stack.pop()
            if typing.get_origin(annotation) is typing.Annotated:
                inner, *more = typing.get_args(annotation)
                stack.append((inner, metadata + more))
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                yield from float_fields(annotation, seen)
            elif typing.get_args(annotation):
                stack.extend((arg, metadata) for arg in typing.get_args(annotation))
            elif annotation is float:
                yield model, name, metadata


def bounds(metadata: list) -> tuple[float | None, float | None]:
    low = high = None
    for item in metadata:
        for part in getattr(item, "metadata", [item]):
            low = next((getattr(part, a) for a in ("ge", "gt") if getattr(part, a, None)
                        is not None), low)
            high = next((getattr(part, a) for a in ("le", "lt") if getattr(part, a, None)
                         is not None), high)
        within = getattr(item, "func", None)
        if isinstance(within, Within):
            low, high = within.low, within.high
    return low, high


@pytest.mark.parametrize("root", [ScenarioSpec, SweepFile], ids=lambda m: m.__name__)
def test_every_float_of_a_scenario_has_finite_bounds(root):
    fields = list(float_fields(root))
    assert len(fields) > (50 if root is ScenarioSpec else 2)
    for model, name, metadata in fields:
        if root is SweepFile and name in ("low", "high", "values"):
            continue  # checked against the parameter's own field (test below)
        low, high = bounds(metadata)
        assert low is not None and high is not None, f"{model.__name__}.{name} is unbounded"
        assert math.isfinite(low) and math.isfinite(high), f"{model.__name__}.{name}"


def documented_range(key: str) -> tuple[float, float, bool, bool]:
    """(low, high, low excluded, high excluded) of a parameter in docs/model.md."""
    row = re.search(rf"^\| `{re.escape(key)}` \| [^|]+ \| ([^|]+) \|", MODEL_MD, re.MULTILINE)
    assert row, f"docs/model.md has no row for {key}"
    text = row.group(1).strip().replace("−", "-").replace(",", "")
    found = re.fullmatch(r"(-?[\d.e-]+)–(-?[\d.e-]+)(?: \((not -?[\d.]+|neither end)\))?", text)
    assert found, f"{key}: {text!r} is not a range low–high"
    low, high, note = float(found[1]), float(found[2]), found[3] or ""
    excluded = float(note[4:]) if note.startswith("not ") else None
    return low, high, note == "neither end" or excluded == low, note == "neither end" or \
        excluded == high


@pytest.mark.parametrize("name", [n for n, v in Params().flat().items()
                                  if not isinstance(v, bool)])
def test_docs_give_each_parameter_the_range_validation_enforces(name):
    section, key = PARAM_PATHS[name]
    field = Params.model_fields[section].annotation.model_fields[key]
    given = {a: getattr(m, a) for m in field.metadata for a in ("ge", "gt", "le", "lt")
             if getattr(m, a, None) is not None}
    low, high, low_open, high_open = documented_range(f"{section}.{key}")
    assert given.get("gt" if low_open else "ge") == low, (given, low)
    assert given.get("lt" if high_open else "le") == high, (given, high)


def test_docs_give_the_input_ranges_validation_enforces():
    def row(key: str) -> str:
        found = re.search(rf"^\| [^|]*`{re.escape(key)}`[^|]* \| ([^|]+) \|", MODEL_MD,
                          re.MULTILINE)
        assert found, key
        return found.group(1).replace(",", "")

    for key, kind in [("states.population", schema.Population), ("states.gdp_usd", schema.StateGdp),
                      ("regions.gdp_usd", schema.LocalGdp), ("states.area_km2", schema.AreaKm2),
                      ("state_pairs.distance_km", schema.DistanceKm),
                      ("digital.audience", schema.Audience)]:
        within = next(m.func for m in typing.get_args(kind)[1:] if hasattr(m, "func"))
        low, high = re.search(r"([\d.e]+)–([\d.e]+)", row(key)).groups()
        assert (float(low), float(high)) == (within.low, within.high), key
    assert f"{schema.FIRST_DATE} to {LAST_DATE}" in MODEL_MD
    assert f"nest at most {MAX_DEPTH} levels" in MODEL_MD


# ---------------------------------------------------------------- synthetic worlds

@pytest.mark.parametrize(("body", "key"), [
    ('[[digital]]\nstate = "XX"\naudience = 1000.0\n', "digital[0].state"),
    ('[[technology_waves]]\nname = "w"\norigin = ["S0001", "XX"]\n', "technology_waves[0].origin[1]"),
    ('[[relations]]\na = "XX"\nb = "S0001"\nbaseline = 0.5\n', "relations[0].a"),
    ('[[relations]]\na = "S0001"\nb = "S0020"\nbaseline = 0.5\n', "relations[0].b"),
])
def test_an_unknown_state_in_a_synthetic_world_is_rejected(body, key, write_toml):
    err = refused(lambda: load(write_toml("syn.toml", SYNTHETIC + "\n" + body)))
    assert err.key == key
    assert "S0000 to S0019" in err.expected  # the states there are


def test_the_same_state_twice_in_a_synthetic_worlds_relations_is_rejected(write_toml):
    body = '[[relations]]\na = "S0001"\nb = "S0001"\nbaseline = 0.5\n'
    err = refused(lambda: load(write_toml("syn.toml", SYNTHETIC + "\n" + body)))
    assert (err.key, err.found) == ("relations[0].b", "'S0001'")


def test_a_synthetic_worlds_relations_and_digital_entries_act(write_toml):
    body = ('[[relations]]\na = "S0002"\nb = "S0005"\nbaseline = -0.9\n\n'
            '[[digital]]\nstate = "S0003"\naudience = 12345.0\n')
    model = GeoModel(scenario=load(write_toml("syn.toml", SYNTHETIC + "\n" + body)), rng=0)
    pairs = model.world.pairs
    assert pairs.listed_baseline[2, 5] == pairs.listed_baseline[5, 2] == -0.9
    assert pairs.relations_baseline[2, 5] == -0.9
    assert np.isnan(pairs.listed_baseline[1, 2])
    assert model.world.nations.audience[3] == 12345.0


# ---------------------------------------------------------------- σ and other parameters

def test_sigma_below_its_range_is_rejected():
    err = refused(lambda: GeoModel(scenario="synthetic", rng=0, trade_sigma=1.5))
    assert err.key == "trade_sigma" and "≥ 3" in err.expected


@pytest.mark.parametrize("sigma", [3.0, 20.0])
def test_sigma_at_the_ends_of_its_range_stays_finite(sigma):
    model = GeoModel(scenario="eurasia", rng=0, trade_sigma=sigma)
    s = model.world.n_states
    start = model.world.actors.gdp[:s].sum()
    for _ in range(80):  # twenty years
        model.step()
    gdp = model.world.actors.gdp[:s]
    assert np.isfinite(model.world.actors.gdp).all()
    assert np.isfinite(model.world.pairs.trade).all()
    # As at the default σ: about 3.6% a year, no state over a third of the world.
    assert 1.5 < gdp.sum() / start < 3.0
    assert gdp.max() / gdp.sum() < 0.35


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e308, "abc", True])
def test_geomodel_rejects_a_bad_parameter_value_in_one_line(value):
    err = refused(lambda: GeoModel(scenario="synthetic", rng=0, trade_sigma=value))
    assert err.source == "GeoModel" and err.key == "trade_sigma"


def test_geomodel_rejects_an_unknown_parameter_name_in_one_line():
    err = refused(lambda: GeoModel(scenario="synthetic", rng=0, trade_sigmaa=5.0))
    assert err.key == "trade_sigmaa" and "trade_sigma" in err.expected


@pytest.mark.parametrize(("given", "key"), [
    ("{ low = 1.5, high = 8.0 }", "parameters.trade.sigma.low"),
    ("{ low = 3.0, high = inf }", "parameters.trade.sigma.high"),
    ("{ low = nan, high = 8.0 }", "parameters.trade.sigma.low"),
    ("{ low = 3.0, high = 1e308 }", "parameters.trade.sigma.high"),
])
def test_a_swept_range_outside_the_parameters_range_is_rejected(given, key, write_toml):
    text = edit(SWEEP, '"relations.drift" = { low = 0.1, high = 0.5 }', f'"trade.sigma" = {given}')
    err = refused(lambda: load_sweep(write_toml("spec.toml", text)))
    assert err.key == key


def test_a_data_file_name_too_long_for_the_file_system_is_rejected(tmp_path):
    """Found by the fuzzer (seed 2026, case 558): a 400-character `data.events` raised
    OSError ("File name too long") instead of saying the file does not exist."""
    from pathlib import Path

    from sim.errors import InputError
    from sim.scenario import load

    world = Path(__file__).resolve().parents[1] / "scenarios" / "world.toml"
    path = tmp_path / "long.toml"
    path.write_text(f'[scenario]\nname = "long"\nextends = "{world}"\n'
                    f'[data]\nevents = "{"x" * 400}"\n')
    with pytest.raises(InputError) as error:
        load(path)
    assert error.value.key == "data.events" and "\n" not in str(error.value)
