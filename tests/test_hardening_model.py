"""A run never records a non-finite number silently: the step that would stops the run with
NonFiniteState, naming the step, the series and the actor or pair (exit 3 in the CLI)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from sim import GeoModel
from sim.errors import NonFiniteState


@pytest.fixture()
def model() -> GeoModel:
    model = GeoModel(scenario="eurasia", rng=0)
    model.step()
    return model


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN spreads before the stop
def test_a_gdp_gone_nan_stops_the_run_at_that_step(model):
    model.world.actors.gdp[5] = np.nan
    with pytest.raises(NonFiniteState) as stop:
        model.step()
    assert stop.value.step == 2 and stop.value.array == "gdp_usd"
    assert stop.value.actor in set(model.world.actors.ids.tolist())
    assert "step 2" in str(stop.value) and "\n" not in str(stop.value)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN spreads before the stop
def test_a_stopped_step_is_recorded_nowhere(model):
    """Every series, and the model's own table, end at the last finite step."""
    model.step()
    model.world.actors.gdp[2] = np.inf
    with pytest.raises(NonFiniteState):
        model.step()
    recorder = model.recorder
    assert recorder.steps == [0, 1, 2]
    lengths = {len(v) for group in recorder._series.values() for v in group.values()}
    assert lengths == {3} and len(recorder._trade["trade_usd"]) == 3
    assert len(model.datacollector.get_model_vars_dataframe()) == 3


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN spreads before the stop
def test_relations_gone_infinite_name_the_pair(model):
    model.world.pairs.relations[3, 7] = model.world.pairs.relations[7, 3] = np.inf
    with pytest.raises(NonFiniteState) as stop:
        model.step()
    assert stop.value.array in ("relations", "attraction") or stop.value.array.startswith("term_")
    a, b = stop.value.actor.split("–")
    ids = model.world.actors.ids.tolist()
    assert ids.index(a) < model.world.n_states and ids.index(b) < model.world.n_states


def test_large_finite_numbers_whose_sum_overflows_are_not_a_stop(model):
    """The cheap test is a sum; an overflowing sum of finite numbers is searched, not
    reported."""
    recorder = model.recorder
    recorder._check_finite(3, "gdp_usd", np.array([1e308, 1e308, 1.0]), "actor")
    with pytest.raises(NonFiniteState) as stop:
        recorder._check_finite(3, "gdp_usd", np.array([1e308, 1.0, np.nan]), "actor")
    assert stop.value.actor == str(model.world.actors.ids[2])


def test_a_finite_run_is_not_stopped(model):
    for _ in range(4):
        model.step()
    assert model.steps == 5


def test_the_stop_pickles_for_process_pools():
    stop = pickle.loads(pickle.dumps(NonFiniteState(4, "relations", "RUS–USA")))
    assert (stop.step, stop.array, stop.actor) == (4, "relations", "RUS–USA")
