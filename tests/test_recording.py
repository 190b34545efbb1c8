"""What a run keeps of its regions' per-step series (sim/recording.py, `region_every`).

At a million regions the per-actor series are 25 MB a step; a run keeps the regions' rows every
K steps (and the last step's from the world), the states' and cities' every step, and writes an
actor_steps table whose rows at the kept steps are exactly those of a run that kept every step.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import GeoModel
from sim.output import run_tables
from sim.recording import REGION_SERIES_BUDGET, region_every_for
from sim.world import REGION

STEPS = 7


def synthetic_model(region_every: int) -> GeoModel:
    model = GeoModel(scenario="synthetic", rng=5)
    model.recorder.region_every = region_every
    for _ in range(STEPS):
        model.step()
    return model


@pytest.fixture(scope="module")
def every_step() -> GeoModel:
    return synthetic_model(1)


@pytest.fixture(scope="module")
def every_third() -> GeoModel:
    return synthetic_model(3)


def actor_steps(model: GeoModel) -> pd.DataFrame:
    return run_tables(model)["actor_steps"].to_pandas()


def test_regions_are_kept_every_k_steps_and_at_the_last(every_step, every_third):
    full, sampled = actor_steps(every_step), actor_steps(every_third)
    regions = set(every_third.world.actors.ids[every_third.world.actors.kind == REGION])
    kept = sorted(set(sampled.loc[sampled["actor"].isin(regions), "step"]))
    assert kept == [0, 3, 6, 7]  # every third recorded step, and the last
    # States and cities at every step.
    others = sampled[~sampled["actor"].isin(regions)]
    assert sorted(set(others["step"])) == list(range(STEPS + 1))
    # The rows kept are those of the run that kept everything, in the same order.
    wanted = full[~full["actor"].isin(regions) | full["step"].isin(kept)].reset_index(drop=True)
    pd.testing.assert_frame_equal(sampled, wanted, check_exact=True)


def test_every_step_is_the_default_and_keeps_every_row(every_step):
    table = actor_steps(every_step)
    n = len(every_step.world.actors)
    assert every_step.recorder.region_every == 1
    assert len(table) == n * (STEPS + 1)
    assert (table.groupby("step").size() == n).all()


def test_the_regions_memory_grows_only_at_the_steps_kept(every_step, every_third):
    def region_bytes(model: GeoModel) -> int:
        return sum(a.nbytes for series in model.recorder._regions.values() for a in series)

    per_step = region_bytes(every_step) / (STEPS + 1)
    assert region_bytes(every_third) == pytest.approx(3 * per_step)  # steps 0, 3 and 6


def test_states_history_is_whole_but_regions_history_needs_their_steps(every_step, every_third):
    s = every_third.world.n_states
    np.testing.assert_array_equal(
        every_third.recorder.history("actor", "gdp_usd", slice(0, s)),
        every_step.recorder.history("actor", "gdp_usd", slice(0, s)))
    assert every_third.recorder.history("actor", "gdp_usd", slice(0, s)).shape == (STEPS + 1, s)
    regions = np.flatnonzero(every_third.world.actors.kind == REGION)
    np.testing.assert_array_equal(every_step.recorder.actor("activity", 3)[regions],
                                  every_third.recorder.actor("activity", 3)[regions])
    with pytest.raises(ValueError, match="every 3 steps, not at step 1"):
        every_third.recorder.history("actor", "activity", regions)


def test_region_every_for_keeps_a_large_world_within_the_budget():
    assert region_every_for(200, 100) == 1  # the synthetic world, eurasia: every step
    assert region_every_for(100_000, 100) == 1  # 250 MB
    k = region_every_for(1_000_000, 200)  # 5 GB were every step kept
    assert k == 10
    kept = 1_000_000 * 25 * (200 // k + 1)
    assert kept <= REGION_SERIES_BUDGET * 1.05


def test_geopol_run_record_every_writes_the_sampled_table_and_says_so(tmp_path, geopol):
    out = tmp_path / "run"
    proc = geopol("run", "synthetic", "--steps", 4, "--record-every", 2, "--out", out,
                  "--quiet")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["regions_recorded_every"] == 2
    table = pd.read_parquet(out / "actor_steps.parquet")
    regions = manifest["actors"]["regions"]
    n = regions + manifest["actors"]["states"] + manifest["actors"]["cities"]
    assert table.groupby("step").size().to_dict() == {0: n, 1: n - regions, 2: n,
                                                      3: n - regions, 4: n}


def test_geopol_run_record_every_0_is_one_line_and_exit_2(tmp_path, geopol):
    proc = geopol("run", "synthetic", "--steps", 2, "--record-every", 0, "--out",
                  tmp_path / "run")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--record-every" in lines[0], proc.stderr
    assert not (tmp_path / "run").exists()
