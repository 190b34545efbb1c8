"""Event settings as sweep parameters (sim/sweep_events.py): a sweep varies a scenario's event
by its name, every value is checked as the event's own field when the spec is loaded, and
each run gets the event as its design point says."""

from __future__ import annotations

import datetime as dt

import pytest

from sim import GeoModel
from sim.errors import InputError
from sim.scenario import load
from sim.sweep import run_one, run_task
from sim.sweep_events import apply
from sim.sweep_spec import design_points, load_sweep, run_table

SPEC = """
[sweep]
name = "events"
scenario = "eurasia-sanctions-2017"
steps = 6
design = "{design}"
samples = 4
seed = 5

[parameters]
{parameters}

[[metrics]]
name = "trade[EU,RUS]"
"""


def spec(tmp_path, parameters: str, design: str = "grid"):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(design=design, parameters=parameters))
    return path


def test_a_grid_over_an_events_intensity_date_and_imposers(tmp_path):
    loaded = load_sweep(spec(tmp_path, '''
"events.EU extension.intensity" = { values = [0.2, 1.0] }
"events.EU extension.at" = { low = 2017-08-04, high = 2018-08-04, levels = 2 }
"events.EU extension.imposers" = { choices = [["EU"], ["EU", "USA"]] }'''))
    points = design_points(loaded)
    assert len(points) == 8
    assert sorted(set(points["events.EU extension.at"])) == ["2017-08-04", "2018-08-04"]
    assert sorted(set(points["events.EU extension.imposers"])) == [0, 1]
    record = run_table(loaded).iloc[7].to_dict()
    task = run_task(loaded, record)
    assert dict(task.events) == {"events.EU extension.intensity": 1.0,
                                 "events.EU extension.at": dt.date(2018, 8, 4),
                                 "events.EU extension.imposers": ["EU", "USA"]}
    assert task.params == {}  # no model parameter: the events carry the point
    row = run_one(task)
    assert row["error"] is None and row["events.EU extension.imposers"] == 1


def test_the_run_gets_the_event_as_set(tmp_path):
    setup = load("eurasia-sanctions-2017")
    changed = apply(setup, {"events.EU extension.intensity": 0.9,
                            "events.EU extension.at": dt.date(2018, 2, 1)})
    assert changed.content_hash != setup.content_hash
    eu = next(e for e in changed.spec.events if e.name == "EU extension")
    assert eu.intensity == 0.9 and eu.at == dt.date(2018, 2, 1)
    assert next(e for e in setup.spec.events if e.name == "EU extension").intensity is None
    # A harder EU extension cuts EU–Russia trade further than the scenario's own, same seed.
    trade = []
    for scenario in (setup, apply(setup, {"events.EU extension.intensity": 1.0})):
        model = GeoModel(scenario=scenario, rng=7)
        for _ in range(8):
            model.step()
        eu_rows = [model.world_index.row[s]
                   for s in model.world_index.members("EU", model.start_date)]
        rus = model.world_index.row["RUS"]
        trade.append(model.world.pairs.trade[eu_rows, rus].sum())
    assert trade[1] < 0.9 * trade[0]


def test_a_sampled_design_draws_choices_and_dates_within_their_range(tmp_path):
    loaded = load_sweep(spec(tmp_path, '''
"events.EU extension.at" = { low = 2017-08-04, high = 2018-08-04 }
"events.EU extension.imposers" = { choices = [["EU"], ["EU", "USA"], ["NATO"]] }
"events.EU extension.ramp_months" = { low = 0, high = 12 }''', design="lhs"))
    points = design_points(loaded)
    dates = [dt.date.fromisoformat(d) for d in points["events.EU extension.at"]]
    assert all(dt.date(2017, 8, 4) <= d <= dt.date(2018, 8, 4) for d in dates)
    assert set(points["events.EU extension.imposers"]) <= {0, 1, 2}
    assert points["events.EU extension.ramp_months"].dtype.kind == "i"  # whole months


@pytest.mark.parametrize(("parameters", "key", "expected"), [
    ('"events.EU enlargement.intensity" = { values = [0.5] }',
     'parameters."events.EU enlargement.intensity"', "with NAME an event of"),
    ('"events.EU extension.colour" = { values = [0.5] }',
     'parameters."events.EU extension.colour"', "a field of the sanction 'EU extension'"),
    ('"events.EU extension.intensity" = { values = [0.5, 1.5] }',
     'parameters."events.EU extension.intensity".values[1]', "a number ≤ 1"),
    ('"events.EU extension.imposers" = { choices = [["EU"], ["EU", "XYZ"]] }',
     'parameters."events.EU extension.imposers".choices[1]', "a state of the scenario"),
    ('"events.EU extension.imposers" = { choices = [["EU"], "EU"] }',
     'parameters."events.EU extension.imposers".choices[1]', "a valid list"),
    ('"events.EU extension.at" = { low = 2017-08-04, high = 2.5 }',
     'parameters."events.EU extension.at"', "both numbers or both dates"),
    ('"trade.sigma" = { choices = [4.0, 6.0] }', "parameters.trade.sigma",
     "a range of numbers, or values"),
])
def test_bad_event_settings_are_one_line_naming_the_key(tmp_path, parameters, key, expected):
    with pytest.raises(InputError) as caught:
        load_sweep(spec(tmp_path, parameters))
    error = caught.value
    assert expected in error.expected, error
    assert error.key == key, error
    assert "\n" not in str(error)


def test_geopol_sweep_with_an_unknown_event_is_one_line_and_exit_2(tmp_path, geopol):
    path = spec(tmp_path, '"events.EU enlargement.intensity" = { values = [0.5] }')
    result = geopol("sweep", path, "--out", tmp_path / "out", "--quiet")
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert 'parameters."events.EU enlargement.intensity": expected "events.NAME.FIELD" with NAME' \
           " an event of eurasia-sanctions-2017" in lines[0]
