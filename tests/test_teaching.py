"""docs/teaching.md's three lessons, checked on the model the app runs (seed 1, as `geopol app`
starts): each claim the page makes about what students will see, in direction and rough size.
tests/test_app_browser.py clicks each lesson through in a browser."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import row, run

from viz.live import LiveModel
from viz.why import action_log, pair_sentences, state_sentence

SEED = 1


def largest_channel(sentence: str) -> str:
    """The first (largest) channel a Why? sentence names."""
    return re.match(r"([a-z ]+) [+−]", sentence.split(": ", 1)[1]).group(1)


@pytest.fixture(scope="module")
def lesson1() -> LiveModel:
    return run(LiveModel(scenario_name="eurasia-sanctions-2017", seed=SEED), 8)


def test_lesson_1_the_target_pays(lesson1):
    assert lesson1.baseline_label == "without the scenario's events"
    assert str(lesson1.date) == "2019-01-01"
    rus = row(lesson1, "RUS")
    ratio = lesson1.world.actors.gdp[rus] / lesson1.baseline.world.actors.gdp[rus]
    assert 0.98 < ratio < 0.995  # "about 1% by 2019"
    _, _, german = pair_sentences(lesson1, "RUS", "DEU", 0)
    fall = float(re.search(r"Germany's exports to Russia fell (\d+\.\d)%", german).group(1))
    assert 30 < fall < 50 and largest_channel(german) == "sanctions"


def test_lesson_1_a_neighbour_outside_the_coalition_is_the_cushion(lesson1):
    _, kazakh, _ = pair_sentences(lesson1, "KAZ", "RUS", 0)
    rise = float(re.search(r"Kazakhstan's exports to Russia rose (\d+\.\d)%", kazakh).group(1))
    assert 5 < rise < 20 and largest_channel(kazakh) == "third countries"
    assert "KAZ" not in {d.state for d in lesson1.decisions if d.action == "joined"}


def test_lesson_2_summits_raise_astanas_weight():
    model = LiveModel(scenario_name="astana-summits", seed=SEED)
    actors = model.world.actors
    astana = row(model, "astana")
    capitals = np.flatnonzero(actors.is_capital)
    for _ in range(24):
        model.step()
        if model.steps > 3:  # from the SCO summit of 2005 (step 3) on
            assert capitals[actors.diplomatic_weight[capitals].argmax()] == astana
    assert str(model.date) == "2011-01-01"
    gap = actors.diplomatic_weight[astana] - model.baseline.world.actors.diplomatic_weight[astana]
    assert 0.05 < gap < 0.2  # "by about 0.1"
    log = action_log(model)
    assert "summit 'OSCE summit'" in log[log["step"] == 24]["what"].tolist()


def test_lesson_3_a_technology_wave_buys_soft_power_slowly():
    model = LiveModel(scenario_name="digital-kazakhstan", seed=SEED)
    while model.running:
        model.step()
    assert model.steps == 20 and str(model.date) == "2023-01-01"
    kaz = row(model, "KAZ")
    live, twin = (m.world.nations.soft_power[kaz] for m in (model, model.baseline))
    assert live == pytest.approx(0.56, abs=0.03) and twin == pytest.approx(0.48, abs=0.03)
    sentence = state_sentence(model, "KAZ", 0)
    assert re.search(r"soft power rose 0\.1\d", sentence)
    leading = re.findall(r"([a-z]+) [+−]", sentence.split(": ", 1)[1])[:3]
    assert set(leading) == {"education", "enterprise", "digital"}
