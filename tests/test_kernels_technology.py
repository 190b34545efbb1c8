"""Technology kernels: Bass diffusion of waves, technology level, capacity index, GDP factor,
and the step that does them all.

Numba kernels, numpy references and the plain-Python baselines must agree; adoption must follow
the Bass S-curve and spread through partners; the capacity index must stay in [0, 1], rise with
technology and ignore the units of each dimension; the step must be its parts, in order.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.kernels.technology import (
    DIMENSIONS,
    WAVES,
    bass_adoption,
    bass_adoption_python_loop,
    bass_adoption_reference,
    bass_closed_form,
    capacity_index,
    capacity_index_python_loop,
    capacity_index_reference,
    technology_growth,
    technology_growth_python_loop,
    technology_growth_reference,
    technology_level,
    technology_level_python_loop,
    technology_level_reference,
    technology_step,
    technology_step_python_loop,
    technology_step_reference,
)

P, Q = 0.03, 0.38  # Sultan, Farley & Lehmann (1990) mean Bass coefficients, per year
DT = 0.25
BASS = pytest.mark.parametrize(
    "step", [bass_adoption, bass_adoption_reference], ids=["numba", "numpy"]
)
CAPACITY = pytest.mark.parametrize(
    "index", [capacity_index, capacity_index_reference], ids=["numba", "numpy"]
)
K = len(DIMENSIONS)
STEPS = (technology_step, technology_step_reference, technology_step_python_loop)
STEP = pytest.mark.parametrize("step", STEPS, ids=["numba", "numpy", "loop"])


def isolated(n: int) -> np.ndarray:
    """Every state imitates only itself: n independent classic Bass markets."""
    return np.eye(n)


def run_bass(step, adoption, started, exposure, p, q, dt, steps):
    """The adoption path, (steps + 1, S, W), starting with the given adoption."""
    path = [np.asarray(adoption, float)]
    p, q = np.atleast_1d(np.asarray(p, float)), np.atleast_1d(np.asarray(q, float))
    for _ in range(steps):
        path.append(step(path[-1], started, exposure, p, q, dt))
    return np.array(path)


def single_state_path(step, p, q, dt, years):
    """Adoption of one wave by one isolated state, from 0, over `years`."""
    steps = round(years / dt)
    path = run_bass(step, np.zeros((1, 1)), np.ones(1, bool), isolated(1), p, q, dt, steps)
    return dt * np.arange(steps + 1), path[:, 0, 0]


def random_bass(seed, n, waves, started_share, isolated_share, zero_share):
    rng = np.random.default_rng(seed)
    adoption = rng.uniform(0.0, 1.0, (n, waves))
    adoption[rng.uniform(size=(n, waves)) < zero_share] = 0.0
    adoption[rng.uniform(size=(n, waves)) < 0.05] = 1.0
    started = rng.uniform(size=waves) < started_share
    exposure = rng.uniform(0.0, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < 0.6)
    exposure[rng.uniform(size=n) < isolated_share] = 0.0
    totals = exposure.sum(axis=1, keepdims=True)
    exposure = np.divide(exposure, totals, out=np.zeros_like(exposure), where=totals > 0)
    p = rng.uniform(0.0, 0.2, waves)
    q = rng.uniform(0.0, 2.0, waves)
    return adoption, started, exposure, p, q


def random_dimensions(seed, n, constant_share, scale_decades):
    rng = np.random.default_rng(seed)
    dims = 10.0 ** rng.uniform(0.0, scale_decades, (n, K)) * rng.uniform(0.0, 1.0, (n, K))
    constant = rng.uniform(size=K) < constant_share
    dims[:, constant] = rng.uniform(0.0, 5.0, K)[constant]
    technology = rng.uniform(0.0, 9.0, n)
    if n > 1 and seed % 3 == 0:
        technology[1] = technology[0]  # a tie, possibly at the top
    amplification = rng.uniform(0.0, 3.0, K)
    weights = rng.dirichlet(np.ones(K))
    return dims, technology, amplification, weights


# ---------------------------------------------------------------- kernels against references


@settings(deadline=None, max_examples=50)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 25),
    waves=st.integers(0, 10),
    started_share=st.floats(0.0, 1.0),
    isolated_share=st.floats(0.0, 1.0),
    zero_share=st.floats(0.0, 1.0),
    dt=st.floats(0.01, 3.0),
)
@example(seed=0, n=0, waves=9, started_share=1.0, isolated_share=0.0, zero_share=0.0, dt=0.25)
@example(seed=1, n=1, waves=9, started_share=0.5, isolated_share=0.0, zero_share=0.5, dt=0.25)
@example(seed=2, n=1, waves=1, started_share=1.0, isolated_share=1.0, zero_share=1.0, dt=1.0)
@example(seed=3, n=4, waves=0, started_share=1.0, isolated_share=0.0, zero_share=0.0, dt=0.25)
def test_bass_adoption_numba_numpy_and_loop_agree(
    seed, n, waves, started_share, isolated_share, zero_share, dt
):
    args = random_bass(seed, n, waves, started_share, isolated_share, zero_share)
    before = [a.copy() for a in args]
    out_nb = bass_adoption(*args, dt)
    out_np = bass_adoption_reference(*args, dt)
    out_py = bass_adoption_python_loop(*args, dt)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)  # inputs untouched
    assert out_nb.shape == out_np.shape == out_py.shape == (n, waves)
    assert out_nb.dtype == np.float64
    np.testing.assert_allclose(out_nb, out_np, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out_nb, out_py, rtol=1e-12, atol=1e-15)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40), waves=st.integers(0, 12))
@example(seed=0, n=0, waves=9)
@example(seed=1, n=1, waves=9)
@example(seed=2, n=1, waves=0)
def test_technology_level_numba_numpy_and_loop_agree(seed, n, waves):
    rng = np.random.default_rng(seed)
    adoption = rng.uniform(0.0, 1.0, (n, waves))
    strength = rng.uniform(0.0, 10.0, waves)
    out_nb = technology_level(adoption, strength)
    assert out_nb.shape == (n,) and out_nb.dtype == np.float64
    np.testing.assert_allclose(out_nb, technology_level_reference(adoption, strength),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out_nb, technology_level_python_loop(adoption, strength),
                               rtol=1e-12, atol=1e-15)


@settings(deadline=None, max_examples=50)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 40),
    constant_share=st.floats(0.0, 1.0),
    scale_decades=st.floats(0.0, 12.0),
)
@example(seed=0, n=0, constant_share=0.0, scale_decades=3.0)
@example(seed=1, n=1, constant_share=0.0, scale_decades=3.0)
@example(seed=3, n=2, constant_share=0.5, scale_decades=6.0)
def test_capacity_index_numba_numpy_and_loop_agree(seed, n, constant_share, scale_decades):
    args = random_dimensions(seed, n, constant_share, scale_decades)
    before = [a.copy() for a in args]
    index_nb, amp_nb = capacity_index(*args)
    index_np, amp_np = capacity_index_reference(*args)
    index_py, amp_py = capacity_index_python_loop(*args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert index_nb.shape == index_np.shape == index_py.shape == (n,)
    assert amp_nb.shape == amp_np.shape == amp_py.shape == (n, K)
    np.testing.assert_allclose(amp_nb, amp_np, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(amp_nb, amp_py, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(index_nb, index_np, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(index_nb, index_py, rtol=1e-12, atol=1e-15)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40), elasticity=st.floats(-1.0, 1.0))
@example(seed=0, n=0, elasticity=0.05)
@example(seed=1, n=1, elasticity=0.05)
def test_technology_growth_numba_numpy_and_loop_agree(seed, n, elasticity):
    rng = np.random.default_rng(seed)
    before = rng.uniform(0.0, 9.0, n)
    now = before + rng.uniform(-0.5, 1.0, n)
    out_nb = technology_growth(now, before, elasticity)
    assert out_nb.shape == (n,) and out_nb.dtype == np.float64
    np.testing.assert_allclose(out_nb, technology_growth_reference(now, before, elasticity),
                               rtol=1e-14)
    np.testing.assert_allclose(out_nb, technology_growth_python_loop(now, before, elasticity),
                               rtol=1e-14)


# ---------------------------------------------------------------- Bass diffusion


@BASS
def test_adoption_follows_an_s_curve(step):
    """F never falls and tends to 1; the adoption per step rises, peaks once, then falls, and
    the peak is where the Bass curve has it, t* = ln(q/p)/(p+q)."""
    t, f = single_state_path(step, P, Q, DT, 40.0)
    rate = np.diff(f)
    assert np.all(rate >= 0.0)
    assert np.all((f >= 0.0) & (f <= 1.0))
    assert f[-1] > 0.999
    peak = int(np.argmax(rate))
    assert 0 < peak < len(rate) - 1
    assert np.all(np.diff(rate[: peak + 1]) > 0.0)  # accelerating
    assert np.all(np.diff(rate[peak:]) < 0.0)  # then slowing down
    assert t[peak] == pytest.approx(np.log(Q / P) / (P + Q), abs=1.0)  # 6.2 years


@BASS
def test_time_to_half_adoption_falls_as_imitation_rises(step):
    """With more imitation, adoption takes off sooner; each time is close to the Bass one,
    t½ = ln(2 + q/p)/(p+q), behind it by less than two steps."""
    halves = []
    for q in (0.1, 0.2, 0.38, 0.8, 1.5):
        t, f = single_state_path(step, P, q, DT, 80.0)
        half = np.interp(0.5, f, t)
        halves.append(half)
        exact = np.log(2.0 + q / P) / (P + q)
        assert exact < half < exact + 2.0 * DT
    assert all(a > b for a, b in itertools.pairwise(halves))


@BASS
def test_adoption_matches_the_closed_form_bass_curve_and_converges_as_dt_shrinks(step):
    """Holding the hazard over a step lags the continuous curve by O(dt): close at a quarter
    (error under 0.03), not identical, and halving dt halves the error."""
    errors = []
    for dt in (0.5, 0.25, 0.125, 0.0625, 1 / 32):
        t, f = single_state_path(step, P, Q, dt, 30.0)
        error = np.abs(f - bass_closed_form(t, P, Q))
        assert np.all(f <= bass_closed_form(t, P, Q) + 1e-12)  # lags, never leads
        errors.append(error.max())
    assert 1e-3 < errors[1] < 0.03
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    np.testing.assert_allclose(ratios, 2.0, rtol=0.1)
    assert errors[-1] < 0.004


@BASS
def test_one_step_is_exact_for_a_constant_hazard(step):
    """With q = 0 the hazard is p throughout: F(t) = 1 − (1 − F0) e^(−p t), at any dt."""
    f0 = np.array([[0.0, 0.3], [0.9, 0.0]])
    out = step(f0, np.ones(2, bool), isolated(2), np.array([0.2, 0.05]), np.zeros(2), 3.0)
    expected = 1.0 - (1.0 - f0) * np.exp(-np.array([0.2, 0.05]) * 3.0)
    np.testing.assert_allclose(out, expected, rtol=1e-14)


@BASS
def test_partners_that_have_adopted_speed_adoption(step):
    """Network imitation: a state half of whose contact is with an adopter adopts faster than
    an isolated one; a state with no contacts at all adopts by innovation alone."""
    adoption = np.array([[0.01], [0.01], [0.9], [0.01]])
    exposure = np.array([
        [1.0, 0.0, 0.0, 0.0],  # isolated, imitates itself
        [0.0, 0.5, 0.5, 0.0],  # half its contact is with the adopter
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],  # no contact at all
    ])
    path = run_bass(step, adoption, np.ones(1, bool), exposure, P, Q, DT, 40)[:, :, 0]
    assert np.all(path[1:, 1] > path[1:, 0])
    half = [np.argmax(path[:, i] >= 0.5) for i in (0, 1)]
    assert 0 < half[1] < half[0]
    # Without contacts the hazard is p: 1 − F falls by e^(−p·dt) each step.
    np.testing.assert_allclose(1.0 - path[:, 3], 0.99 * np.exp(-P * DT * np.arange(41)),
                               rtol=1e-12)


@BASS
def test_first_adopter_stays_ahead(step):
    """Two states that see each other equally: the one that started with a share of the wave
    keeps its lead (paper 000: a new wave favours whoever adopts first)."""
    exposure = np.full((2, 2), 0.5)
    path = run_bass(step, np.array([[0.2], [0.0]]), np.ones(1, bool), exposure, P, Q, DT, 80)
    lead = path[:, 0, 0] - path[:, 1, 0]
    assert np.all(lead > 0.0)
    assert lead[-1] < lead[0]  # the follower catches up in the end


@BASS
def test_wave_not_started_stays_at_zero_and_earlier_waves_keep_their_level(step):
    rng = np.random.default_rng(5)
    n = 6
    exposure = rng.uniform(size=(n, n))
    exposure /= exposure.sum(axis=1, keepdims=True)
    adoption = np.zeros((n, 3))
    adoption[:, 0] = 1.0  # an old wave, fully adopted
    adoption[0, 1] = 0.3  # the current wave, started at state 0
    started = np.array([True, True, False])
    strength = np.ones(3)
    path = run_bass(step, adoption, started, exposure, np.full(3, P), np.full(3, Q), DT, 60)
    assert np.all(path[:, :, 2] == 0.0)  # the future wave has not arrived
    assert np.all(path[:, :, 0] == 1.0)  # the old wave keeps its level
    assert np.all(np.diff(path[:, :, 1], axis=0) >= 0.0)
    levels = np.array([technology_level(a, strength) for a in path])
    assert np.all(np.diff(levels, axis=0) >= 0.0)
    assert np.all(levels >= 1.0)
    # A wave not yet started keeps whatever it holds (it is copied, not reset).
    held = adoption.copy()
    held[:, 2] = 0.25
    out = step(held, started, exposure, np.full(3, P), np.full(3, Q), DT)
    np.testing.assert_array_equal(out[:, 2], held[:, 2])


@BASS
def test_adoption_stays_in_the_unit_interval_at_extreme_hazards(step):
    adoption = np.array([[0.0, 0.5, 1.0, 0.999999]])
    out = step(adoption, np.ones(4, bool), isolated(1), np.full(4, 50.0), np.full(4, 50.0), 5.0)
    assert np.all((out >= 0.0) & (out <= 1.0))
    assert out[0, 2] == 1.0


@BASS
@settings(deadline=None, max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 15))
def test_update_is_synchronous_so_the_order_of_states_does_not_matter(step, seed, n):
    """Relabelling the states relabels the result: every state reads the adoption at the
    start of the step (an in-place, state-by-state update would break this)."""
    adoption, started, exposure, p, q = random_bass(seed, n, 4, 1.0, 0.1, 0.3)
    perm = np.random.default_rng(seed + 1).permutation(n)
    out = step(adoption, started, exposure, p, q, DT)
    out_perm = step(adoption[perm], started, exposure[np.ix_(perm, perm)], p, q, DT)
    np.testing.assert_allclose(out_perm, out[perm], rtol=1e-12, atol=1e-15)


def test_closed_form_solves_the_bass_equation():
    t = np.linspace(0.0, 30.0, 3001)
    f = bass_closed_form(t, P, Q)
    assert f[0] == 0.0 and np.all(np.diff(f) > 0.0) and f[-1] > 0.99
    derivative = np.gradient(f, t)
    np.testing.assert_allclose(derivative[1:-1], ((P + Q * f) * (1.0 - f))[1:-1], atol=1e-4)
    assert bass_closed_form(-3.0, P, Q) == 0.0


def test_waves_and_dimensions_follow_paper_000():
    assert len(WAVES) == 9 and len(DIMENSIONS) == 10
    years = [year for _, year in WAVES]
    assert years == sorted(years) and years[0] == 1920 and years[-1] == 2020


# ---------------------------------------------------------------- technology level


def test_technology_level_adds_up_the_waves():
    adoption = np.array([[1.0, 1.0, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    strength = np.array([1.0, 2.0, 4.0])
    for level in (technology_level, technology_level_reference):
        np.testing.assert_allclose(level(adoption, strength), [5.0, 1.0, 0.0], rtol=1e-15)


# ---------------------------------------------------------------- capacity index


@CAPACITY
@settings(deadline=None, max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    constant_share=st.floats(0.0, 1.0),
)
def test_capacity_index_is_in_the_unit_interval(index, seed, n, constant_share):
    dims, technology, amplification, weights = random_dimensions(seed, n, constant_share, 6.0)
    idx, amplified = index(dims, technology, amplification, weights)
    assert np.all((idx >= 0.0) & (idx <= 1.0 + 1e-12))
    assert np.all((amplified >= 0.0) & (amplified <= 1.0 + 1e-12))
    # The most advanced state's amplified values are its normalised values.
    top = int(np.argmax(technology))
    plain, normalised = index(dims, technology, np.zeros(K), weights)
    np.testing.assert_allclose(amplified[top], normalised[top], rtol=1e-12)
    assert np.all(idx <= plain + 1e-12)  # technology never lifts anyone above the leader's scale


@CAPACITY
def test_capacity_index_rises_with_technology(index):
    """For a fixed state, more technology gives a higher index until it leads; when the leader
    advances further, the others fall behind (the index is relative)."""
    rng = np.random.default_rng(7)
    dims = rng.uniform(1.0, 100.0, (5, K))
    weights = np.full(K, 0.1)
    amplification = np.full(K, 0.5)
    technology = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    values = []
    for level in np.linspace(0.0, 6.0, 13):
        technology[0] = level
        values.append(index(dims, technology, amplification, weights)[0][0])
    assert all(a < b for a, b in itertools.pairwise(values))
    technology[0] = 1.0
    before, _ = index(dims, technology, amplification, weights)
    technology[4] = 8.0  # the leader advances
    after, _ = index(dims, technology, amplification, weights)
    assert after[4] == pytest.approx(before[4], rel=1e-12)
    assert np.all(after[:4] < before[:4])


@CAPACITY
@settings(deadline=None, max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 30),
    column=st.integers(0, K - 1),
    factor=st.floats(1e-6, 1e6),
    shift=st.floats(0.0, 100.0),
)
def test_capacity_index_is_invariant_to_the_units_of_a_dimension(
    index, seed, n, column, factor, shift
):
    """Min–max normalisation: km² or m², dollars or billions, or an offset origin (a shift up
    to `shift` times the column's largest value), give the same index."""
    dims, technology, amplification, weights = random_dimensions(seed, n, 0.2, 3.0)
    idx, amplified = index(dims, technology, amplification, weights)
    rescaled = dims.copy()
    rescaled[:, column] = (rescaled[:, column] + shift * dims[:, column].max()) * factor
    idx2, amplified2 = index(rescaled, technology, amplification, weights)
    np.testing.assert_allclose(amplified2, amplified, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(idx2, idx, rtol=1e-9, atol=1e-12)


@CAPACITY
def test_capacity_index_handles_empty_single_and_constant_columns(index):
    amplification = np.full(K, 0.5)
    weights = np.full(K, 0.1)
    idx, amplified = index(np.zeros((0, K)), np.zeros(0), amplification, weights)
    assert idx.shape == (0,) and amplified.shape == (0, K)
    # One state: every column is constant, normalises to 0.5, and it leads its own world.
    idx, amplified = index(np.arange(1.0, K + 1.0)[None, :], np.array([3.0]), amplification,
                           weights)
    np.testing.assert_allclose(amplified, 0.5, rtol=1e-15)
    np.testing.assert_allclose(idx, [0.5], rtol=1e-14)
    # A constant column is 0.5 before amplification; the others span [0, 1].
    dims = np.array([[1.0, 7.0], [3.0, 7.0], [2.0, 7.0]])
    technology = np.array([0.0, 2.0, 1.0])
    alpha = np.array([1.0, 1.0])
    idx, amplified = index(dims, technology, alpha, np.array([0.5, 0.5]))
    scale = (1.0 + technology) / 3.0
    np.testing.assert_allclose(amplified[:, 0], np.array([0.0, 1.0, 0.5]) * scale, rtol=1e-14)
    np.testing.assert_allclose(amplified[:, 1], 0.5 * scale, rtol=1e-14)
    np.testing.assert_allclose(idx, amplified.mean(axis=1), rtol=1e-14)


@CAPACITY
def test_capacity_index_without_amplification_is_the_weighted_normalised_mean(index):
    rng = np.random.default_rng(3)
    dims = rng.uniform(0.0, 50.0, (8, K))
    weights = rng.dirichlet(np.ones(K))
    norm = (dims - dims.min(axis=0)) / (dims.max(axis=0) - dims.min(axis=0))
    for technology in (np.zeros(8), rng.uniform(0.0, 9.0, 8)):
        idx, amplified = index(dims, technology, np.zeros(K), weights)
        np.testing.assert_allclose(amplified, norm, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(idx, norm @ weights, rtol=1e-12)
    # All weight on one dimension: the index is that amplified dimension.
    one = np.zeros(K)
    one[5] = 1.0
    idx, amplified = index(dims, rng.uniform(0.0, 9.0, 8), np.full(K, 0.5), one)
    np.testing.assert_allclose(idx, amplified[:, 5], rtol=1e-14)


# ---------------------------------------------------------------- technology growth


@pytest.mark.parametrize("growth", [technology_growth, technology_growth_reference],
                         ids=["numba", "numpy"])
def test_technology_growth_is_one_without_change_and_above_one_when_technology_rises(growth):
    before = np.array([0.0, 2.0, 5.0, 5.0])
    now = np.array([0.0, 2.5, 5.0, 4.0])
    factor = growth(now, before, 0.05)
    assert factor[0] == 1.0 and factor[2] == 1.0
    assert factor[1] > 1.0 and factor[3] < 1.0
    assert factor[1] == pytest.approx(np.exp(0.05 * 0.5), rel=1e-15)
    # Over many steps the factors compound to exp(ε · total change), whatever the path.
    levels = np.array([[0.0], [0.3], [0.9], [0.95], [1.0]])
    total = np.prod([growth(b, a, 0.05) for a, b in itertools.pairwise(levels)])
    assert total == pytest.approx(np.exp(0.05), rel=1e-14)


# ---------------------------------------------------------------- the whole step


def random_step(seed, n, waves, started_share, dt):
    """Arguments of `technology_step`, in order."""
    adoption, started, exposure, p, q = random_bass(seed, n, waves, started_share, 0.1, 0.3)
    dims, _, amplification, weights = random_dimensions(seed, n, 0.2, 3.0)
    rng = np.random.default_rng(seed + 7)
    strength = rng.uniform(0.0, 3.0, waves)
    level_before = adoption @ strength - rng.uniform(0.0, 0.1, n) * (rng.random(n) < 0.5)
    level_dimensions = rng.choice(K, int(rng.integers(0, 4)), replace=False).astype(np.int64)
    return (adoption, started, exposure, p, q, strength, level_before, rng.uniform(-0.2, 0.2),
            dims, level_dimensions, amplification, weights, dt)


@settings(deadline=None, max_examples=50)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 25),
    waves=st.integers(0, 10),
    started_share=st.floats(0.0, 1.0),
    dt=st.floats(0.01, 3.0),
)
@example(seed=0, n=0, waves=9, started_share=1.0, dt=0.25)
@example(seed=1, n=1, waves=9, started_share=0.5, dt=0.25)
@example(seed=2, n=1, waves=1, started_share=1.0, dt=0.25)
@example(seed=3, n=6, waves=0, started_share=1.0, dt=0.25)
def test_technology_step_numba_numpy_and_loop_agree(seed, n, waves, started_share, dt):
    args = random_step(seed, n, waves, started_share, dt)
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out_nb = technology_step(*args)
    out_np = technology_step_reference(*args)
    out_py = technology_step_python_loop(*args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)  # inputs untouched, dimensions included
    shapes = [(n, waves), (n,), (n,), (n,)]
    for a, b, c, shape in zip(out_nb, out_np, out_py, shapes, strict=True):
        assert a.shape == b.shape == c.shape == shape
        assert a.dtype == b.dtype == c.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(c, b, rtol=1e-12, atol=1e-15)


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 25), waves=st.integers(0, 10))
def test_technology_step_is_adoption_then_level_growth_and_capacity(seed, n, waves):
    """The step is its parts in the documented order, to the bit: adoption, the level of the
    new adoption, the GDP factor from the level's change, and the capacity index of the
    dimensions with the new level in the level's columns."""
    args = random_step(seed, n, waves, 0.7, 0.25)
    (adoption, started, exposure, p, q, strength, level_before, elasticity, dims, columns,
     amplification, weights, dt) = args
    parts = {
        "numba": (technology_step, bass_adoption, technology_level, technology_growth,
                  capacity_index),
        "numpy": (technology_step_reference, bass_adoption_reference, technology_level_reference,
                  technology_growth_reference, capacity_index_reference),
    }
    for step, bass, level_of, growth_of, index_of in parts.values():
        new = bass(adoption, started, exposure, p, q, dt)
        level = level_of(new, strength)
        measured = dims.copy()
        measured[:, columns] = level[:, None]
        expected = (new, level, growth_of(level, level_before, elasticity),
                    index_of(measured, level, amplification, weights)[0])
        for got, want in zip(step(*args), expected, strict=True):
            np.testing.assert_array_equal(got, want)


@STEP
def test_technology_step_gdp_factor_follows_the_level_it_computes(step):
    """Three states see the one started wave: the first adopter's level and GDP factor rise
    most; the factor is exp(ε·(T' − T_before)), and 1 for a state whose level did not move."""
    adoption = np.array([[0.3, 1.0], [0.0, 1.0], [0.0, 0.0]])  # wave 1 fully adopted, not started
    started = np.array([True, False])
    exposure = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    strength = np.array([2.0, 1.0])
    before = adoption @ strength
    dims = np.arange(30.0).reshape(3, K)
    new, level, growth, index = step(adoption, started, exposure, np.array([0.0, 0.0]),
                                     np.array([Q, Q]), strength, before, 0.05, dims,
                                     np.array([7, 8]), np.full(K, 0.5), np.full(K, 0.1), DT)
    np.testing.assert_array_equal(new[:, 1], adoption[:, 1])
    assert new[0, 0] > 0.3 and new[1, 0] > 0.0 and new[2, 0] == 0.0  # no contact, no p
    np.testing.assert_allclose(level, new @ strength, rtol=1e-15)
    np.testing.assert_allclose(growth, np.exp(0.05 * (level - before)), rtol=1e-15)
    assert growth[0] > growth[1] > growth[2] == 1.0
    assert index.shape == (3,) and np.all((index >= 0.0) & (index <= 1.0))


@STEP
def test_technology_step_puts_the_new_level_in_the_level_dimensions(step):
    """Science and education are the level itself: whatever the caller had in those columns,
    the index is computed with the level after this step's adoption."""
    rng = np.random.default_rng(9)
    n = 6
    adoption, started, exposure, p, q = random_bass(9, n, 2, 1.0, 0.0, 0.0)
    strength = np.array([1.0, 2.0])
    dims = rng.uniform(1.0, 10.0, (n, K))
    science, education = DIMENSIONS.index("science"), DIMENSIONS.index("education")
    columns = np.array([science, education])
    stale, garbage = dims.copy(), dims.copy()
    stale[:, columns] = (adoption @ strength)[:, None]  # the level at the start of the step
    garbage[:, columns] = -1e9
    out = [step(adoption, started, exposure, p, q, strength, adoption @ strength, 0.05, d,
                columns, np.full(K, 0.5), np.full(K, 0.1), DT) for d in (stale, garbage)]
    np.testing.assert_array_equal(out[0][3], out[1][3])
    fresh = dims.copy()
    fresh[:, columns] = out[0][1][:, None]
    index, _ = capacity_index_reference(fresh, out[0][1], np.full(K, 0.5), np.full(K, 0.1))
    np.testing.assert_allclose(out[0][3], index, rtol=1e-12)


@STEP
def test_technology_step_refuses_level_dimensions_outside_the_dimensions(step):
    args = list(random_step(5, 4, 2, 1.0, DT))
    for bad in ([K], [-1], [0, K + 3]):
        args[9] = np.array(bad, dtype=np.int64)
        with pytest.raises(ValueError, match="level_dimensions"):
            step(*args)


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30), waves=st.integers(3, 8),
       zero_share=st.floats(0.0, 1.0))
def test_partner_sums_are_the_same_bits_however_many_waves_are_under_way(
    seed, n, waves, zero_share
):
    """With more than two waves under way the partner sums come from a transposed copy of E,
    with one or two row by row: each wave's result must not depend on which way it was summed."""
    adoption, _, exposure, p, q = random_bass(seed, n, waves, 1.0, 0.2, zero_share)
    together = bass_adoption(adoption, np.ones(waves, bool), exposure, p, q, DT)
    for w in range(waves):
        alone = np.zeros(waves, bool)
        alone[w] = True
        np.testing.assert_array_equal(
            bass_adoption(adoption, alone, exposure, p, q, DT)[:, w], together[:, w]
        )
