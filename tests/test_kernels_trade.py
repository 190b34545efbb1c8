"""The structural-gravity kernel, its numpy reference, trade costs, border calibration, growth.

The numba kernel and the numpy reference must agree; both must satisfy the adding-up
constraints of structural gravity, and trade must respond to costs through multilateral
resistance (diversion), not just bilaterally.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim import load
from sim.kernels.trade import cost_factor, gravity_flows, gravity_flows_reference
from sim.mechanisms import trade as trade_phase
from sim.params import GrowthParams, TradeParams
from sim.scenario import SyntheticSpec
from sim.synthetic import synthetic_world
from sim.world import StatePairs

TOL = 1e-12
MAX_IT = 100_000
KERNELS = pytest.mark.parametrize(
    "solve", [gravity_flows, gravity_flows_reference], ids=["numba", "numpy"]
)


def run(solve, gdp, phi, start=None, tolerance=TOL):
    """Solve from ones (or a given start); check that the iteration converged."""
    n = len(gdp)
    a0, b0 = (np.ones(n), np.ones(n)) if start is None else start
    flows, a, b, iterations = solve(
        np.asarray(gdp, float), np.asarray(phi, float), a0.copy(), b0.copy(), tolerance, MAX_IT
    )
    assert iterations < MAX_IT, "fixed point did not converge"
    return flows, a, b, iterations


def random_world(seed: int, n: int, gdp_decades: float, phi_spread: float, symmetric: bool):
    """GDPs spanning `gdp_decades` orders of magnitude; φ in [exp(−phi_spread), 1]."""
    rng = np.random.default_rng(seed)
    gdp = 10.0 ** (9.0 + rng.uniform(0.0, gdp_decades, n))
    phi = np.exp(-rng.uniform(0.0, phi_spread, (n, n)))
    if symmetric:
        phi = np.sqrt(phi * phi.T)
    return gdp, phi


world_args = {
    "seed": st.integers(0, 2**32 - 1),
    "n": st.integers(0, 30),
    "gdp_decades": st.floats(0.0, 6.0),
    "phi_spread": st.floats(0.0, 8.0),
    "symmetric": st.booleans(),
}


# ---------------------------------------------------------------- kernel against reference


@settings(deadline=None, max_examples=60)
@given(**world_args)
@example(seed=0, n=0, gdp_decades=3.0, phi_spread=4.0, symmetric=True)
@example(seed=1, n=1, gdp_decades=3.0, phi_spread=4.0, symmetric=False)
@example(seed=2, n=2, gdp_decades=6.0, phi_spread=8.0, symmetric=False)
def test_numba_kernel_agrees_with_numpy_reference(seed, n, gdp_decades, phi_spread, symmetric):
    gdp, phi = random_world(seed, n, gdp_decades, phi_spread, symmetric)
    f_nb, a_nb, b_nb, _ = run(gravity_flows, gdp, phi)
    f_np, a_np, b_np, _ = run(gravity_flows_reference, gdp, phi)
    assert f_nb.shape == f_np.shape == (n, n)
    assert a_nb.shape == b_nb.shape == (n,)
    np.testing.assert_allclose(f_nb, f_np, rtol=1e-8, atol=0)
    # a and b are only defined up to a common factor (a·c, b/c): compare a_i·b_j.
    np.testing.assert_allclose(np.outer(a_nb, b_nb), np.outer(a_np, b_np), rtol=1e-8, atol=0)
    if n:
        np.testing.assert_allclose(a_nb / a_nb[0], a_np / a_np[0], rtol=1e-8)
    # Both are fixed points of the resistance equations (scale-free form).
    if n:
        theta = gdp / gdp.sum()
        for a, b in ((a_nb, b_nb), (a_np, b_np)):
            np.testing.assert_allclose(a, phi @ (theta / b), rtol=1e-9)
            np.testing.assert_allclose(b, (theta / a) @ phi, rtol=1e-9)


def test_empty_and_single_state_worlds():
    for solve in (gravity_flows, gravity_flows_reference):
        flows, a, b, it = solve(np.zeros(0), np.zeros((0, 0)), np.ones(0), np.ones(0), TOL, 10)
        assert flows.shape == (0, 0) and a.shape == (0,) and b.shape == (0,) and it == 0
        flows, a, b, _ = run(solve, np.array([7.5e12]), np.array([[0.3]]))
        # A closed economy sells everything to itself.
        np.testing.assert_allclose(flows, [[7.5e12]], rtol=1e-12)


@KERNELS
@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 15), spread=st.floats(0.5, 6.0))
def test_solution_does_not_depend_on_the_starting_point(solve, seed, n, spread):
    """The warm start only changes how fast the fixed point is reached, not where it is."""
    gdp, phi = random_world(seed, n, 4.0, spread, symmetric=False)
    flows, a, b, _ = run(solve, gdp, phi)
    rng = np.random.default_rng(seed + 1)
    start = (np.exp(rng.normal(0, 3, n)), np.exp(rng.normal(0, 3, n)))
    flows_other, *_ = run(solve, gdp, phi, start=start)
    np.testing.assert_allclose(flows_other, flows, rtol=1e-8)
    # Restarted at the solution, it stops at once and stays there.
    flows_warm, _, _, iterations = run(solve, gdp, phi, start=(a, b))
    assert iterations <= 2
    np.testing.assert_allclose(flows_warm, flows, rtol=1e-10)


# ---------------------------------------------------------------- structural gravity


@KERNELS
@settings(deadline=None, max_examples=40)
@given(**world_args)
@example(seed=3, n=1, gdp_decades=0.0, phi_spread=1.0, symmetric=True)
def test_flows_add_up_to_output_and_spending(solve, seed, n, gdp_decades, phi_spread, symmetric):
    gdp, phi = random_world(seed, n, gdp_decades, phi_spread, symmetric)
    flows, *_ = run(solve, gdp, phi)
    assert np.all(flows >= 0.0)
    np.testing.assert_allclose(flows.sum(axis=1), gdp, rtol=1e-8)  # each exporter sells Y_i
    np.testing.assert_allclose(flows.sum(axis=0), gdp, rtol=1e-8)  # each importer spends Y_j


@KERNELS
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), spread=st.floats(0.1, 8.0))
def test_symmetric_costs_give_symmetric_flows(solve, seed, n, spread):
    gdp, phi = random_world(seed, n, 5.0, spread, symmetric=True)
    flows, *_ = run(solve, gdp, phi)
    np.testing.assert_allclose(flows, flows.T, rtol=1e-8)


@KERNELS
def test_asymmetric_costs_give_asymmetric_flows(solve):
    gdp = np.array([1.0, 2.0, 3.0])
    phi = np.ones((3, 3))
    phi[0, 1] = 0.1  # 0 → 1 is costly, 1 → 0 is not
    flows, *_ = run(solve, gdp, phi)
    assert flows[0, 1] < 0.5 * flows[1, 0]


@KERNELS
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), decades=st.floats(0.0, 6.0))
def test_frictionless_world_trades_in_proportion_to_size(solve, seed, n, decades):
    """With φ = 1 everywhere, X_ij = Y_i·Y_j / Y_w."""
    gdp, _ = random_world(seed, n, decades, 0.0, symmetric=True)
    flows, *_ = run(solve, gdp, np.ones((n, n)))
    np.testing.assert_allclose(flows, np.outer(gdp, gdp) / gdp.sum(), rtol=1e-10)


@KERNELS
def test_gravity_bigger_and_nearer_partners_trade_more(solve):
    gdp = np.array([1.0, 1.0, 4.0, 1.0])
    phi = np.full((4, 4), 0.2)
    np.fill_diagonal(phi, 1.0)
    phi[0, 3] = phi[3, 0] = 0.4  # 3 is nearer to 0 than 1 is
    flows, *_ = run(solve, gdp, phi)
    assert flows[0, 2] > flows[0, 1]  # bigger partner
    assert flows[0, 3] > flows[0, 1]  # nearer partner


def _raise_cost(phi, i, j, factor):
    out = phi.copy()
    out[i, j] *= factor
    out[j, i] *= factor
    return out


@KERNELS
@settings(deadline=None, max_examples=30)
@given(
    n=st.integers(3, 12),
    tau=st.floats(0.01, 0.95),
    cut=st.floats(0.05, 0.9),
    pair=st.tuples(st.integers(0, 11), st.integers(0, 11)),
)
def test_trade_diversion_in_a_world_of_equal_states(solve, n, tau, cut, pair):
    """Raising the cost between i and j lowers their trade and raises each one's trade with
    every third partner (and at home): their multilateral resistance falls, so everyone else
    looks relatively cheaper. Third parties trade less among themselves."""
    i, j = pair[0] % n, pair[1] % n
    if i == j:
        j = (i + 1) % n
    gdp = np.full(n, 1e12)
    phi = np.full((n, n), tau)
    np.fill_diagonal(phi, 1.0)
    before, a0, _, _ = run(solve, gdp, phi)
    after, a1, _, _ = run(solve, gdp, _raise_cost(phi, i, j, cut))
    third = np.array([k for k in range(n) if k not in (i, j)])
    rise = 1 + 1e-9
    assert after[i, j] < before[i, j] and after[j, i] < before[j, i]
    for x in (i, j):
        assert after[x, x] > before[x, x] * rise
        assert np.all(after[x, third] > before[x, third] * rise)
        assert np.all(after[third, x] > before[third, x] * rise)
    if len(third) > 1:
        off = ~np.eye(len(third), dtype=bool)
        assert np.all(after[np.ix_(third, third)][off] < before[np.ix_(third, third)][off])
    # The outward resistance of i and j falls relative to that of third parties.
    k = third[0]
    assert a1[i] / a1[k] < a0[i] / a0[k] and a1[j] / a1[k] < a0[j] / a0[k]


@KERNELS
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 20), cut=st.floats(0.01, 0.95))
def test_own_cost_rise_always_lowers_bilateral_trade(solve, seed, n, cut):
    """In any world, higher bilateral costs lower bilateral trade and raise domestic sales."""
    gdp, phi = random_world(seed, n, 4.0, 6.0, symmetric=bool(seed % 2))
    before, *_ = run(solve, gdp, phi)
    after, *_ = run(solve, gdp, _raise_cost(phi, 0, 1, cut))
    assert after[0, 1] < before[0, 1] and after[1, 0] < before[1, 0]
    assert after[0, 0] > before[0, 0] and after[1, 1] > before[1, 1]


@KERNELS
def test_trade_diversion_kazakhstan_russia(solve):
    """On the Eurasia scenario, a complete sanction between Kazakhstan and Russia diverts
    both states' trade to every third partner."""
    scenario = load("eurasia")
    from sim.build import build_world

    world = build_world(scenario.spec)
    params = scenario.spec.params.trade
    gdp = world.actors.gdp[: world.n_states]
    border = trade_phase.calibrate_border(gdp, world.pairs, params, gravity_flows)
    phi = trade_phase.trade_costs(world.pairs, params, border)
    ids = list(world.actors.ids[: world.n_states])
    i, j = ids.index("KAZ"), ids.index("RUS")
    before, *_ = run(solve, gdp, phi)
    after, *_ = run(solve, gdp, _raise_cost(phi, i, j, np.exp(-params.sanction)))
    third = [k for k in range(len(ids)) if k not in (i, j)]
    assert after[i, j] < 0.5 * before[i, j] and after[j, i] < 0.5 * before[j, i]
    for x in (i, j):
        assert np.all(after[x, third] > before[x, third])
        assert np.all(after[third, x] > before[third, x])


# ---------------------------------------------------------------- trade costs


COSTS = {
    "distance_elasticity": 1.1,
    "contiguity_effect": 0.52,
    "agreement_effect": 0.28,
    "sanction_effect": 1.47,
    "border_effect": 2.0,
}


def _phi(distance, contiguity=None, agreement=None, sanction=None, **overrides):
    n = len(distance)
    zeros = np.zeros((n, n))
    return cost_factor(
        distance,
        zeros if contiguity is None else contiguity,
        zeros if agreement is None else agreement,
        zeros if sanction is None else sanction,
        **{**COSTS, **overrides},
    )


def test_cost_factor_distance_and_border():
    distance = np.array([[100.0, 1000.0, 2000.0], [1000.0, 50.0, 4000.0], [2000.0, 4000.0, 10.0]])
    phi = _phi(distance)
    # Off the diagonal: d^−ε · exp(−β_b); on it: d^−ε only (no border with oneself).
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(phi[off], distance[off] ** -1.1 * np.exp(-2.0), rtol=1e-12)
    np.testing.assert_allclose(np.diag(phi), np.diag(distance) ** -1.1, rtol=1e-12)
    # Farther → lower φ.
    assert phi[0, 1] > phi[0, 2] > phi[1, 2]
    # The border effect moves only the off-diagonal.
    higher = _phi(distance, border_effect=3.0)
    np.testing.assert_allclose(np.diag(higher), np.diag(phi), rtol=1e-12)
    np.testing.assert_allclose(higher[off], phi[off] * np.exp(-1.0), rtol=1e-12)


def test_cost_factor_contiguity_agreement_and_sanction():
    distance = np.array([[100.0, 1500.0], [1500.0, 200.0]])
    base = _phi(distance)
    flag = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(_phi(distance, contiguity=flag), base * np.exp(0.52 * flag))
    np.testing.assert_allclose(_phi(distance, agreement=flag), base * np.exp(0.28 * flag))
    # Boolean layers, as stored in StatePairs, work the same.
    np.testing.assert_allclose(_phi(distance, contiguity=flag.astype(bool)),
                               base * np.exp(0.52 * flag))
    sanction = np.array([[0.0, 1.0], [0.0, 0.0]])  # i→j only, complete
    sanctioned = _phi(distance, sanction=sanction)
    assert sanctioned[0, 1] == pytest.approx(base[0, 1] * np.exp(-1.47), rel=1e-12)
    assert sanctioned[1, 0] == pytest.approx(base[1, 0], rel=1e-12)
    half = _phi(distance, sanction=0.5 * sanction)
    assert half[0, 1] == pytest.approx(base[0, 1] * np.exp(-0.735), rel=1e-12)


def test_trade_costs_reads_the_state_pairs():
    distance = np.array([[100.0, 1500.0], [1500.0, 200.0]])
    pairs = StatePairs(
        distance_km=distance,
        contiguity=np.array([[False, True], [True, False]]),
        agreement=np.array([[False, True], [True, False]]),
        sanction=np.zeros((2, 2)),
        trade=np.zeros((2, 2)),
        relations_baseline=np.zeros((2, 2)),
    )
    pairs.trade_sanction = np.array([[0.0, 1.0], [0.0, 0.0]])
    params = TradeParams()
    phi = trade_phase.trade_costs(pairs, params, border=1.5)
    expected_01 = 1500.0**-params.distance_elasticity * np.exp(
        params.contiguity + params.agreement - params.sanction - 1.5
    )
    assert phi[0, 1] == pytest.approx(expected_01, rel=1e-12)
    assert phi[1, 1] == pytest.approx(200.0**-params.distance_elasticity, rel=1e-12)


# ---------------------------------------------------------------- border calibration


def _share(gdp, pairs, params, border):
    phi = trade_phase.trade_costs(pairs, params, border)
    flows, *_ = run(gravity_flows, gdp, phi, tolerance=params.tolerance)
    return trade_phase.export_share(flows, gdp)


@pytest.fixture(scope="module")
def eurasia_world():
    from sim.build import build_world

    scenario = load("eurasia")
    return build_world(scenario.spec), scenario.spec.params.trade


@pytest.mark.parametrize("openness", [0.1, 0.3, 0.38])
def test_calibrated_border_hits_the_openness_target_eurasia(eurasia_world, openness):
    world, params = eurasia_world
    params = params.model_copy(update={"openness": openness})
    gdp = world.actors.gdp[: world.n_states]
    border = trade_phase.calibrate_border(gdp, world.pairs, params, gravity_flows)
    assert border > 0.0
    assert _share(gdp, world.pairs, params, border) == pytest.approx(openness, abs=1e-6)


def test_calibrated_border_hits_the_openness_target_synthetic():
    world = synthetic_world(SyntheticSpec(states=30), np.random.default_rng(11))
    gdp = world.actors.gdp[: world.n_states]
    params = TradeParams()
    free = _share(gdp, world.pairs, params, 0.0)
    target = 0.6 * free  # a target a positive border effect can reach
    params = params.model_copy(update={"openness": target})
    border = trade_phase.calibrate_border(gdp, world.pairs, params, gravity_flows_reference)
    assert border > 0.0
    assert _share(gdp, world.pairs, params, border) == pytest.approx(target, abs=1e-6)


def test_unreachable_openness_gives_a_free_border():
    """Documented: if even β_b = 0 exports less than the target, β_b = 0."""
    world = synthetic_world(SyntheticSpec(states=30), np.random.default_rng(11))
    gdp = world.actors.gdp[: world.n_states]
    params = TradeParams()
    free = _share(gdp, world.pairs, params, 0.0)
    params = params.model_copy(update={"openness": min(0.99, free + 0.05)})
    assert trade_phase.calibrate_border(gdp, world.pairs, params, gravity_flows) == 0.0


def test_higher_openness_needs_a_lower_border_effect(eurasia_world):
    world, params = eurasia_world
    gdp = world.actors.gdp[: world.n_states]
    borders = [
        trade_phase.calibrate_border(gdp, world.pairs, params.model_copy(update={"openness": o}),
                                 gravity_flows)
        for o in (0.05, 0.15, 0.3, 0.38)
    ]
    assert all(b > 0 for b in borders)
    assert all(earlier > later for earlier, later in itertools.pairwise(borders))


def test_export_share():
    flows = np.array([[5.0, 1.0], [2.0, 8.0]])
    assert trade_phase.export_share(flows, np.array([6.0, 10.0])) == pytest.approx(3.0 / 16.0)


# ---------------------------------------------------------------- growth


def test_growth_factor_without_shocks_or_trade_change_is_the_trend():
    params = GrowthParams(trend=0.03, volatility=0.0)
    share = np.array([0.5, 0.7, 0.9])
    shocks = np.array([2.0, -1.0, 0.5])  # ignored at zero volatility
    factor = trade_phase.growth_factor(params, shocks, 0.25, share, share, sigma=5.0)
    np.testing.assert_allclose(factor, np.exp(0.03 * 0.25), rtol=1e-14)


@pytest.mark.parametrize("sigma", [1.5, 4.0, 5.0, 9.0])
def test_growth_factor_gains_from_trade_exponent(sigma):
    """ACR: a rise in the domestic share (trade costs went up) lowers real income by
    (λ/λ_prev)^(−1/(σ−1)); a fall raises it."""
    params = GrowthParams(trend=0.02, volatility=0.0)
    previous = np.array([0.6, 0.6, 0.6])
    current = np.array([0.66, 0.6, 0.54])
    factor = trade_phase.growth_factor(params, np.zeros(3), 1.0, current, previous, sigma)
    trend = np.exp(0.02)
    assert factor[0] < trend  # gains from trade lost
    assert factor[1] == pytest.approx(trend, rel=1e-14)
    assert factor[2] > trend  # gains from trade won
    moved = [0, 2]
    exponent = np.log(factor[moved] / trend) / np.log(current[moved] / previous[moved])
    np.testing.assert_allclose(exponent, -1.0 / (sigma - 1.0), rtol=1e-10)


def test_growth_factor_shocks_are_log_normal_with_mean_trend():
    """The −v²/2 drift correction makes μ the expected growth: E[g] = exp(μ·Δt)."""
    params = GrowthParams(trend=0.05, volatility=0.3)
    years = 0.25
    nodes, weights = np.polynomial.hermite.hermgauss(60)
    shocks = np.sqrt(2.0) * nodes  # Gauss–Hermite nodes for a standard normal
    share = np.full(len(shocks), 0.7)
    factor = trade_phase.growth_factor(params, shocks, years, share, share, sigma=5.0)
    mean = float(weights @ factor / np.sqrt(np.pi))
    assert mean == pytest.approx(np.exp(0.05 * years), rel=1e-12)
    # And each factor is exp(drift + v·√Δt·ε).
    expected = np.exp((0.05 - 0.5 * 0.3**2) * years + 0.3 * np.sqrt(years) * shocks)
    np.testing.assert_allclose(factor, expected, rtol=1e-13)


def test_python_loop_baseline_computes_the_same_flows():
    """The baseline `geopol bench` times against must do the same work."""
    from sim.kernels.trade import gravity_flows_python_loop

    gdp, phi = random_world(7, 9, 4.0, 6.0, symmetric=False)
    ones = np.ones(9)
    fast = gravity_flows(gdp, phi, ones, ones, TOL, MAX_IT)
    slow = gravity_flows_python_loop(gdp, phi, ones, ones, TOL, MAX_IT)
    np.testing.assert_allclose(slow[0], fast[0], rtol=1e-9)
    assert abs(slow[3] - fast[3]) <= 1
