"""The sensitivity report warns when its numbers mean little: a metric that does not vary, an
index outside [0, 1] beyond its interval, an interval wider than 0.5, too few samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.report import index_warnings, relative_spread, report
from sim.sweep import run_sweep
from sim.sweep_spec import load_sweep

SPEC = """
[sweep]
name = "flat"
scenario = "eurasia"
steps = 2
design = "sobol"
samples = 4
seed = 3

[parameters]
"soft_power.attraction_rate" = { low = 0.5, high = 2.0 }
"technology.q" = { low = 0.2, high = 0.6 }

[[metrics]]
name = "gdp[KAZ]"   # attraction and technology move it: it varies

[[metrics]]
name = "blocs"      # the number of blocs: no parameter here changes it in two steps
"""


def test_the_relative_spread_of_a_metric():
    assert relative_spread(np.array([0.299, 0.299, 0.299])) == 0.0
    assert relative_spread(np.array([1.0, 2.0, 3.0])) == pytest.approx(1.0)
    assert relative_spread(np.zeros(4)) == 0.0
    assert np.isnan(relative_spread(np.array([1.0, np.nan])))


def sobol_table(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"metric": "m", "parameter": f"p{k}", "S1": s1, "S1_conf": c1,
                          "ST": st, "ST_conf": ct, "warning": None}
                         for k, (s1, c1, st, ct) in enumerate(rows)])


def test_indices_outside_the_unit_interval_and_wide_intervals_are_flagged():
    table = sobol_table([(0.6, 0.05, 0.62, 0.05),      # sound
                         (1.3, 0.1, 1.2, 0.1),         # above 1 beyond its interval
                         (-0.3, 0.1, 0.05, 0.02),      # below 0 beyond its interval
                         (0.5, 0.3, 0.5, 0.2)])        # ±0.3: an interval 0.6 wide
    warnings = index_warnings(table, "sobol", samples=32)
    assert table.loc[0, "warning"] is None
    assert "S1 1.30 ± 0.10 outside [0, 1]" in table.loc[1, "warning"]
    assert "ST 1.20 ± 0.10 outside [0, 1]" in table.loc[1, "warning"]
    assert "S1 -0.30 ± 0.10 outside [0, 1]" in table.loc[2, "warning"]
    assert "S1 interval ±0.30 wider than 0.5" in table.loc[3, "warning"]
    assert "ST" not in table.loc[3, "warning"]  # ±0.2: 0.4 wide
    # 32·(0.3/0.1)² = 288 base samples, rounded up to a power of 2.
    assert warnings[-1].startswith("Too few samples for this design: samples = 32 gives "
                                   "intervals up to ±0.30; about samples = 512")
    assert len(warnings) == 4


def test_an_interval_within_bounds_gives_no_sample_advice():
    table = sobol_table([(0.6, 0.2, 0.7, 0.25)])  # 0.4 and 0.5 wide: not wider than 0.5
    assert index_warnings(table, "sobol", samples=64) == []


def test_a_morris_interval_wider_than_its_estimate_is_flagged():
    table = pd.DataFrame([{"metric": "m", "parameter": "p", "mu_star": 0.1,
                           "mu_star_conf": 0.25, "sigma": 0.3, "warning": None},
                          {"metric": "m", "parameter": "q", "mu_star": 0.1,
                           "mu_star_conf": 0.05, "sigma": 0.3, "warning": None}])
    warnings = index_warnings(table, "morris", samples=8)
    assert len(warnings) == 1 and "interval wider than the estimate" in warnings[0]


def test_a_metric_that_does_not_vary_gets_no_indices_and_a_warning(tmp_path, geopol):
    path = tmp_path / "flat.toml"
    path.write_text(SPEC)
    out = tmp_path / "out"

    class Inline:
        def submit(self, fn, *args):
            from concurrent.futures import Future

            future = Future()
            future.set_result(fn(*args))
            return future

    run_sweep(load_sweep(path), out, Inline(), 1, "inline")
    written = report(out)
    assert any(w.startswith("blocs_final does not vary across the design (relative spread 0")
               for w in written.warnings), written.warnings
    indices = pd.read_csv(out / "report" / "sensitivity.csv")
    assert set(indices["metric"]) == {"gdp[KAZ]_final"}  # none for the flat metric
    assert "does not vary" in written.page.read_text()
    printed = geopol("report", out)
    assert printed.returncode == 0
    assert "warning: blocs_final does not vary" in printed.stdout
