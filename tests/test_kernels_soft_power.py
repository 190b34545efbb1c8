"""Soft-power kernels and their numpy references: pillars and index, attraction, familiarity,
reputation, and the step that does them all.

The numba kernels and the references must agree. The behaviour tests pin the mechanism:
attraction moves only with exposure and towards the appeal, familiarity and reputation are
independent (aggression lowers one, not the other), reputation recovers gradually, and the index
is a unit-free composite in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.kernels.soft_power import (
    N_PILLARS,
    PILLARS,
    attraction_update,
    attraction_update_python_loop,
    attraction_update_reference,
    familiarity,
    familiarity_python_loop,
    familiarity_reference,
    reputation_update,
    reputation_update_python_loop,
    reputation_update_reference,
    soft_power_pillars,
    soft_power_pillars_python_loop,
    soft_power_pillars_reference,
    soft_power_step,
    soft_power_step_python_loop,
    soft_power_step_reference,
)

RTOL = 1e-12
PILLAR_KERNELS = pytest.mark.parametrize(
    "pillars_of",
    [soft_power_pillars, soft_power_pillars_reference, soft_power_pillars_python_loop],
    ids=["numba", "numpy", "loop"],
)


def exposed_attraction(kernel):
    """An attraction kernel called with the exposure, rate and step: the exponential
    stay = exp(−rate·E·Δt) computed with numpy, as `sim/mechanisms/soft_power.py` does."""

    def update(attraction, exposure, appeal, rate, dt):
        return kernel(attraction, np.exp(-rate * exposure * dt), appeal)

    return update


def exposed_familiarity(kernel):
    """A familiarity kernel called with the exposure: unreached = exp(−E) computed with numpy,
    as `sim/mechanisms/soft_power.py` does."""

    def known(exposure, population):
        return kernel(np.exp(-exposure), population)

    return known


ATTRACTION = pytest.mark.parametrize(
    "update",
    [exposed_attraction(k) for k in
     (attraction_update, attraction_update_reference, attraction_update_python_loop)],
    ids=["numba", "numpy", "loop"],
)
FAMILIARITY = pytest.mark.parametrize(
    "known",
    [exposed_familiarity(k) for k in
     (familiarity, familiarity_reference, familiarity_python_loop)],
    ids=["numba", "numpy", "loop"],
)
REPUTATION = pytest.mark.parametrize(
    "recover",
    [reputation_update, reputation_update_reference, reputation_update_python_loop],
    ids=["numba", "numpy", "loop"],
)

STEPS = (soft_power_step, soft_power_step_reference, soft_power_step_python_loop)
NONE_NATURAL = np.zeros(2, dtype=bool)  # no column other than reputation on a 0–1 scale
STEP_KERNELS = pytest.mark.parametrize("step", STEPS, ids=["numba", "numpy", "loop"])

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(0, 25)


def random_metrics(seed: int, n: int, m: int, constant: bool):
    """Metrics spanning many orders of magnitude, some columns constant if asked."""
    rng = np.random.default_rng(seed)
    metrics = rng.normal(0.0, 1.0, (n, m)) * 10.0 ** rng.uniform(-3, 6, m)
    if constant and m:
        metrics[:, rng.integers(0, m)] = rng.normal()
    pillar_of = rng.integers(0, N_PILLARS, m).astype(np.int64)
    weights = rng.uniform(0.0, 2.0, N_PILLARS) * (rng.random(N_PILLARS) < 0.8)
    return metrics, pillar_of, weights


def random_exposure(seed: int, n: int, sparsity: float):
    rng = np.random.default_rng(seed)
    exposure = rng.exponential(1.0, (n, n)) * (rng.random((n, n)) > sparsity)
    return exposure, rng


# ---------------------------------------------------------------- kernels against references


@settings(deadline=None, max_examples=50)
@given(seed=seeds, n=sizes, m=st.integers(0, 15), constant=st.booleans())
@example(seed=0, n=0, m=4, constant=False)
@example(seed=1, n=1, m=4, constant=False)
@example(seed=2, n=1, m=0, constant=False)
@example(seed=3, n=5, m=9, constant=True)
def test_pillars_numba_agrees_with_numpy_reference(seed, n, m, constant):
    metrics, pillar_of, weights = random_metrics(seed, n, m, constant)
    p_nb, i_nb = soft_power_pillars(metrics, pillar_of, weights)
    p_np, i_np = soft_power_pillars_reference(metrics, pillar_of, weights)
    p_py, i_py = soft_power_pillars_python_loop(metrics, pillar_of, weights)
    assert p_nb.shape == p_np.shape == (n, N_PILLARS) and i_nb.shape == i_np.shape == (n,)
    np.testing.assert_allclose(p_nb, p_np, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(i_nb, i_np, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(p_py, p_np, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(i_py, i_np, rtol=RTOL, atol=1e-15)


@settings(deadline=None, max_examples=50)
@given(seed=seeds, n=sizes, sparsity=st.floats(0.0, 1.0), rate=st.floats(0.0, 5.0),
       dt=st.floats(0.0, 1.0))
@example(seed=0, n=0, sparsity=0.5, rate=1.0, dt=0.25)
@example(seed=1, n=1, sparsity=0.0, rate=1.0, dt=0.25)
def test_attraction_numba_agrees_with_numpy_reference(seed, n, sparsity, rate, dt):
    exposure, rng = random_exposure(seed, n, sparsity)
    attraction, appeal = rng.random((n, n)), rng.random(n)
    stay = np.exp(-rate * exposure * dt)
    out_nb = attraction_update(attraction, stay, appeal)
    out_np = attraction_update_reference(attraction, stay, appeal)
    out_py = attraction_update_python_loop(attraction, stay, appeal)
    assert out_nb.shape == (n, n)
    np.testing.assert_allclose(out_nb, out_np, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(out_py, out_np, rtol=RTOL, atol=1e-15)


@settings(deadline=None, max_examples=50)
@given(seed=seeds, n=sizes, sparsity=st.floats(0.0, 1.0))
@example(seed=0, n=0, sparsity=0.5)
@example(seed=1, n=1, sparsity=0.0)
@example(seed=2, n=2, sparsity=0.0)
def test_familiarity_numba_agrees_with_numpy_reference(seed, n, sparsity):
    exposure, rng = random_exposure(seed, n, sparsity)
    population = 10.0 ** rng.uniform(5, 9, n)
    unreached = np.exp(-exposure)
    out_nb = familiarity(unreached, population)
    out_np = familiarity_reference(unreached, population)
    assert out_nb.shape == (n,)
    np.testing.assert_allclose(out_nb, out_np, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(familiarity_python_loop(unreached, population), out_np,
                               rtol=RTOL, atol=1e-15)


@settings(deadline=None, max_examples=50)
@given(seed=seeds, n=sizes, recovery=st.floats(0.0, 5.0), dt=st.floats(0.0, 1.0))
@example(seed=0, n=0, recovery=0.2, dt=0.25)
@example(seed=1, n=1, recovery=0.2, dt=0.25)
def test_reputation_numba_agrees_with_numpy_reference(seed, n, recovery, dt):
    rng = np.random.default_rng(seed)
    reputation, baseline = rng.random(n), rng.random(n)
    penalty = rng.exponential(0.2, n) * (rng.random(n) < 0.5)
    out_nb = reputation_update(reputation, baseline, penalty, recovery, dt)
    out_np = reputation_update_reference(reputation, baseline, penalty, recovery, dt)
    assert out_nb.shape == (n,)
    np.testing.assert_allclose(out_nb, out_np, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(
        reputation_update_python_loop(reputation, baseline, penalty, recovery, dt), out_np,
        rtol=RTOL, atol=1e-15,
    )


def test_kernels_do_not_mutate_their_inputs():
    metrics, pillar_of, weights = random_metrics(5, 6, 8, constant=True)
    exposure, rng = random_exposure(5, 6, 0.3)
    stay, unreached = np.exp(-0.25 * exposure), np.exp(-exposure)
    attraction, appeal, population = rng.random((6, 6)), rng.random(6), rng.random(6)
    reputation, baseline, penalty = rng.random(6), rng.random(6), rng.random(6)
    arrays = (metrics, pillar_of, weights, stay, unreached, attraction, appeal, population,
              reputation, baseline, penalty)
    copies = [a.copy() for a in arrays]
    soft_power_pillars(metrics, pillar_of, weights)
    attraction_update(attraction, stay, appeal)
    familiarity(unreached, population)
    reputation_update(reputation, baseline, penalty, 0.2, 0.25)
    for step in STEPS:
        step(reputation, baseline, penalty, 0.2, metrics, 0, np.zeros(8, dtype=bool), pillar_of,
             weights, attraction, stay, unreached, population, 0.25)
    for array, copy in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(array, copy)


# ---------------------------------------------------------------- pillars and index


@PILLAR_KERNELS
@settings(deadline=None, max_examples=30)
@given(seed=seeds, n=st.integers(0, 25), m=st.integers(0, 15), constant=st.booleans())
def test_pillars_and_index_lie_in_the_unit_interval(pillars_of, seed, n, m, constant):
    metrics, pillar_of, weights = random_metrics(seed, n, m, constant)
    pillars, index = pillars_of(metrics, pillar_of, weights)
    assert np.all((pillars >= 0.0) & (pillars <= 1.0))
    assert np.all((index >= 0.0) & (index <= 1.0))


@PILLAR_KERNELS
@settings(deadline=None, max_examples=30)
@given(seed=seeds, n=st.integers(2, 25), m=st.integers(1, 15))
def test_pillars_and_index_are_invariant_to_metric_units(pillars_of, seed, n, m):
    """Dollars or thousands of dollars, log audience or log audience + 3: same ranking values."""
    metrics, pillar_of, weights = random_metrics(seed, n, m, constant=False)
    rng = np.random.default_rng(seed + 1)
    scale = 10.0 ** rng.uniform(-4, 4, m)
    shift = rng.normal(0.0, 10.0, m) * np.abs(metrics).max(axis=0)  # within the metric's range
    pillars, index = pillars_of(metrics, pillar_of, weights)
    pillars_u, index_u = pillars_of((metrics + shift) * scale, pillar_of, weights)
    np.testing.assert_allclose(pillars_u, pillars, atol=1e-9)
    np.testing.assert_allclose(index_u, index, atol=1e-9)


@PILLAR_KERNELS
@settings(deadline=None, max_examples=30)
@given(seed=seeds, n=st.integers(2, 25), m=st.integers(1, 15))
def test_the_state_best_on_every_metric_has_index_one(pillars_of, seed, n, m):
    rng = np.random.default_rng(seed)
    metrics = rng.normal(0.0, 1.0, (n, m)) * 10.0 ** rng.uniform(-3, 6, m)
    best, worst = rng.choice(n, 2, replace=False)
    metrics[best] = metrics.max(axis=0) + 1.0
    metrics[worst] = metrics.min(axis=0) - 1.0
    pillar_of = rng.integers(0, N_PILLARS, m).astype(np.int64)
    weights = rng.uniform(0.1, 2.0, N_PILLARS)
    _, index = pillars_of(metrics, pillar_of, weights)
    # Pillars with no metric sit at 0.5 for everyone; only the others can reach 1 or 0.
    covered = np.isin(np.arange(N_PILLARS), pillar_of)
    neutral = 0.5 * weights[~covered].sum() / weights.sum()
    assert index[best] == pytest.approx(1.0 - neutral, abs=1e-12)
    assert index[worst] == pytest.approx(neutral, abs=1e-12)
    assert np.all(index <= index[best]) and np.all(index >= index[worst])
    # With every pillar fed, the best state's index is exactly 1.
    full = np.arange(m + N_PILLARS) % N_PILLARS
    more = np.hstack([metrics, metrics[:, :1] * np.ones(N_PILLARS)])
    _, index_full = pillars_of(more, full.astype(np.int64), weights)
    assert index_full[best] == 1.0 and index_full[worst] == 0.0


@PILLAR_KERNELS
def test_pillars_average_min_max_normalised_metrics(pillars_of):
    metrics = np.array([
        [0.0, 10.0, 5.0, 7.0],
        [1.0, 30.0, 5.0, 7.0],
        [4.0, 20.0, 5.0, 7.0],
    ])
    pillar_of = np.array([0, 0, 1, 2], dtype=np.int64)  # metric 2 and 3 constant
    weights = np.array([2.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    pillars, index = pillars_of(metrics, pillar_of, weights)
    government = np.array([(0.0 + 0.0) / 2, (0.25 + 1.0) / 2, (1.0 + 0.5) / 2])
    np.testing.assert_allclose(pillars[:, 0], government, rtol=1e-14)
    np.testing.assert_allclose(pillars[:, 1:], 0.5)  # constant metrics and empty pillars
    np.testing.assert_allclose(index, (2.0 * government + 0.5 + 0.5) / 4.0, rtol=1e-14)


@PILLAR_KERNELS
def test_index_weights_are_normalised_and_select_pillars(pillars_of):
    rng = np.random.default_rng(4)
    metrics = rng.random((7, 12))
    pillar_of = (np.arange(12) % N_PILLARS).astype(np.int64)
    weights = rng.uniform(0.5, 2.0, N_PILLARS)
    pillars, index = pillars_of(metrics, pillar_of, weights)
    _, scaled = pillars_of(metrics, pillar_of, 37.0 * weights)
    np.testing.assert_allclose(scaled, index, rtol=1e-13)
    for p in range(N_PILLARS):
        only = np.eye(N_PILLARS)[p]
        _, single = pillars_of(metrics, pillar_of, only)
        np.testing.assert_allclose(single, pillars[:, p], rtol=1e-14)
    # No weight at all: an unweighted mean of the pillars.
    _, unweighted = pillars_of(metrics, pillar_of, np.zeros(N_PILLARS))
    np.testing.assert_allclose(unweighted, pillars.mean(axis=1), rtol=1e-14)


@PILLAR_KERNELS
def test_one_state_and_no_state(pillars_of):
    pillars, index = pillars_of(np.array([[3.0, -1.0]]), np.array([0, 5]), np.ones(N_PILLARS))
    np.testing.assert_array_equal(pillars, np.full((1, N_PILLARS), 0.5))
    np.testing.assert_array_equal(index, [0.5])
    pillars, index = pillars_of(np.zeros((0, 3)), np.array([0, 1, 2]), np.ones(N_PILLARS))
    assert pillars.shape == (0, N_PILLARS) and index.shape == (0,)


@PILLAR_KERNELS
def test_a_metric_outside_the_six_pillars_is_refused(pillars_of):
    for bad in (6, -1):
        with pytest.raises(ValueError, match="pillar_of"):
            pillars_of(np.ones((3, 2)), np.array([0, bad], dtype=np.int64), np.ones(N_PILLARS))


def test_pillar_names_in_order():
    assert PILLARS == ("government", "culture", "education", "engagement", "enterprise",
                       "digital")


# ---------------------------------------------------------------- attraction


@ATTRACTION
def test_cultural_link_raises_partner_attraction_towards_the_more_appealing_state(update):
    """State 0 is appealing, 1 is not. A cultural link exposes 1's public to 0: it warms to 0.
    0's public is not exposed to 1, so its attraction to 1 stays where it was."""
    appeal = np.array([0.9, 0.3])
    attraction = np.full((2, 2), 0.5)
    exposure = np.array([[0.0, 1.0], [0.0, 0.0]])  # exposure[i, j]: j's public exposed to i
    after = update(attraction, exposure, appeal, 1.0, 0.25)
    assert 0.5 < after[0, 1] < 0.9
    assert after[0, 1] == pytest.approx(0.5 + (1.0 - np.exp(-0.25)) * 0.4, rel=1e-14)
    assert after[1, 0] == 0.5  # no exposure, no change
    # A stronger link pulls harder; the less appealing state would pull attraction down.
    stronger = update(attraction, 3.0 * exposure, appeal, 1.0, 0.25)
    assert stronger[0, 1] > after[0, 1]
    down = update(attraction, exposure.T, appeal, 1.0, 0.25)
    assert 0.3 < down[1, 0] < 0.5 and down[0, 1] == 0.5


@ATTRACTION
@settings(deadline=None, max_examples=30)
@given(seed=seeds, n=st.integers(1, 12))
def test_without_exposure_attraction_does_not_move(update, seed, n):
    rng = np.random.default_rng(seed)
    attraction = rng.random((n, n))
    after = update(attraction, np.zeros((n, n)), rng.random(n), 2.0, 0.25)
    np.testing.assert_array_equal(after, attraction)
    # Nor with a zero rate or a zero step.
    exposure = rng.exponential(1.0, (n, n))
    np.testing.assert_array_equal(update(attraction, exposure, rng.random(n), 0.0, 0.25),
                                  attraction)
    np.testing.assert_array_equal(update(attraction, exposure, rng.random(n), 2.0, 0.0),
                                  attraction)


@ATTRACTION
@settings(deadline=None, max_examples=30)
@given(seed=seeds, n=st.integers(1, 12))
def test_attraction_stays_in_the_unit_interval_and_converges_to_the_appeal(update, seed, n):
    rng = np.random.default_rng(seed)
    attraction = rng.choice([0.0, 1.0, 0.5], (n, n)) if seed % 2 else rng.random((n, n))
    appeal = rng.choice([0.0, 1.0], n) if seed % 3 == 0 else rng.random(n)
    exposure = rng.uniform(0.5, 3.0, (n, n))
    off = ~np.eye(n, dtype=bool)
    target = np.broadcast_to(appeal[:, None], (n, n))
    gap = np.abs(attraction - target)
    current = attraction
    for _ in range(400):
        current = update(current, exposure, appeal, 1.0, 0.25)
        assert np.all((current >= 0.0) & (current <= 1.0))
        new_gap = np.abs(current - target)
        assert np.all(new_gap[off] <= gap[off])  # never overshoots, never moves away
        gap = new_gap
    np.testing.assert_allclose(current[off], target[off], atol=1e-4)
    np.testing.assert_array_equal(np.diag(current), np.diag(attraction))  # diagonal kept


@ATTRACTION
def test_attraction_step_is_exact_over_dt(update):
    """Two half steps give one whole step: the exponential approach does not depend on Δt."""
    rng = np.random.default_rng(8)
    attraction, appeal, exposure = rng.random((5, 5)), rng.random(5), rng.exponential(1, (5, 5))
    whole = update(attraction, exposure, appeal, 0.7, 0.5)
    halves = update(update(attraction, exposure, appeal, 0.7, 0.25), exposure, appeal, 0.7, 0.25)
    np.testing.assert_allclose(halves, whole, rtol=1e-12)


# ---------------------------------------------------------------- familiarity and reputation


@FAMILIARITY
def test_familiarity_is_the_population_weighted_share_of_foreign_publics_reached(known):
    exposure = np.array([
        [5.0, 1.0, 0.0],
        [0.0, 0.0, 0.0],
        [2.0, 0.5, 9.0],
    ])
    population = np.array([10.0, 30.0, 60.0])
    out = known(exposure, population)
    reach = 1.0 - np.exp(-exposure)
    expected = [
        (30.0 * reach[0, 1] + 60.0 * reach[0, 2]) / 90.0,  # its own public does not count
        0.0,  # unknown abroad
        (10.0 * reach[2, 0] + 30.0 * reach[2, 1]) / 40.0,
    ]
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    # Being known to the populous public counts more than to the small one.
    a = known(np.array([[0.0, 0.0, 1.0], [0, 0, 0], [0, 0, 0]]), population)
    b = known(np.array([[0.0, 1.0, 0.0], [0, 0, 0], [0, 0, 0]]), population)
    assert a[0] > b[0]
    # Saturating exposure everywhere makes a state known to everyone.
    assert known(np.full((3, 3), 50.0), population) == pytest.approx(np.ones(3))


@FAMILIARITY
def test_familiarity_without_foreign_publics_is_zero(known):
    np.testing.assert_array_equal(known(np.array([[4.0]]), np.array([1e7])), [0.0])
    assert known(np.zeros((0, 0)), np.zeros(0)).shape == (0,)
    np.testing.assert_array_equal(known(np.ones((2, 2)), np.array([5.0, 0.0])), [0.0, 1 - np.exp(-1)])


@REPUTATION
def test_reputation_recovers_gradually_not_at_once(recover):
    baseline = np.array([0.8, 0.3])
    reputation = np.array([0.2, 0.9])  # one below its baseline, one above
    path = [reputation]
    for _ in range(200):
        path.append(recover(path[-1], baseline, np.zeros(2), 0.2, 0.25))
    path = np.array(path)
    first = path[1]
    assert 0.2 < first[0] < 0.3 and 0.8 < first[1] < 0.9  # a small move, not a jump
    assert np.all(np.diff(path[:, 0]) > 0) and np.all(np.diff(path[:, 1]) < 0)
    # Half the gap closes in ln 2 / recovery years.
    half = round(np.log(2) / 0.2 / 0.25)
    gap = np.abs(path - baseline)
    np.testing.assert_allclose(gap[half] / gap[0], np.exp(-0.2 * 0.25 * half), rtol=1e-10)
    assert 0.45 < gap[half, 0] / gap[0, 0] < 0.55
    np.testing.assert_allclose(path[-1], baseline, atol=1e-3)


@REPUTATION
def test_reputation_penalty_is_multiplicative_and_recovered_from(recover):
    reputation = np.array([0.7, 0.7])
    baseline = np.array([0.7, 0.7])
    hit = recover(reputation, baseline, np.array([0.3, 0.0]), 0.2, 0.25)
    assert hit[0] == pytest.approx(0.7 * np.exp(-0.3), rel=1e-14)
    assert hit[1] == pytest.approx(0.7, rel=1e-14)
    later = recover(hit, baseline, np.zeros(2), 0.2, 0.25)
    assert hit[0] < later[0] < 0.7
    assert np.all(recover(np.ones(2), np.ones(2), np.array([50.0, 0.0]), 0.2, 0.25) >= 0.0)


def test_russia_2023_pattern_reputation_falls_while_familiarity_rises():
    """After Brand Finance's Global Soft Power Index 2023: an aggressor's exposure abroad rises
    (news, sanctions debates), its reputation falls, its familiarity rises. The two quantities
    are computed from disjoint inputs, so a penalty cannot move familiarity and exposure cannot
    move reputation."""
    population = np.array([1.4e8, 8e7, 3e8, 2e7])
    exposure_before = np.array([
        [0.0, 0.4, 0.2, 0.8],
        [0.3, 0.0, 0.5, 0.1],
        [0.6, 0.7, 0.0, 0.4],
        [0.2, 0.1, 0.1, 0.0],
    ])
    exposure_after = exposure_before.copy()
    exposure_after[0, 1:] *= 3.0  # state 0 is in everyone's news
    baseline = np.array([0.5, 0.7, 0.6, 0.55])
    reputation = baseline.copy()
    penalty = np.array([0.4, 0.0, 0.0, 0.0])  # aggression
    for known, recover in ((exposed_familiarity(familiarity), reputation_update),
                           (exposed_familiarity(familiarity_reference),
                            reputation_update_reference)):
        fam_before = known(exposure_before, population)
        fam_after = known(exposure_after, population)
        rep_after = recover(reputation, baseline, penalty, 0.2, 0.25)
        assert fam_after[0] > fam_before[0]  # better known
        assert rep_after[0] < reputation[0]  # less liked
        np.testing.assert_array_equal(rep_after[1:], reputation[1:])
        # Independence: the penalty leaves familiarity as it was, exposure leaves reputation.
        unpunished = recover(reputation, baseline, np.zeros(4), 0.2, 0.25)
        np.testing.assert_array_equal(unpunished, reputation)
        np.testing.assert_array_equal(known(exposure_after, population), fam_after)


# ---------------------------------------------------------------- the whole step


def random_step(seed: int, n: int, m: int, sparsity: float) -> tuple:
    """Arguments of `soft_power_step`, in order, with the exponentials from an exposure."""
    metrics, pillar_of, weights = random_metrics(seed, n, m, constant=bool(seed % 2))
    exposure, rng = random_exposure(seed + 1, n, sparsity)
    rate, dt = rng.uniform(0.0, 3.0), rng.uniform(0.0, 1.0)
    return (
        rng.random(n),  # reputation
        rng.random(n),  # baseline
        rng.exponential(0.2, n) * (rng.random(n) < 0.5),  # penalty
        rng.uniform(0.0, 2.0),  # recovery
        metrics,
        int(rng.integers(-1, m)) if m else -1,  # reputation_metric
        rng.random(m) < 0.3,  # natural: columns on their own 0–1 scale
        pillar_of,
        weights,
        rng.random((n, n)),  # attraction
        np.exp(-rate * exposure * dt),  # stay
        np.exp(-exposure),  # unreached
        10.0 ** rng.uniform(5, 9, n),  # population
        dt,
    )


@settings(deadline=None, max_examples=50)
@given(seed=seeds, n=sizes, m=st.integers(0, 12), sparsity=st.floats(0.0, 1.0))
@example(seed=0, n=0, m=9, sparsity=0.5)
@example(seed=1, n=1, m=9, sparsity=0.0)
@example(seed=2, n=1, m=0, sparsity=0.0)
@example(seed=3, n=2, m=9, sparsity=0.0)
def test_step_numba_numpy_and_loop_agree(seed, n, m, sparsity):
    args = random_step(seed, n, m, sparsity)
    out_nb = soft_power_step(*args)
    out_np = soft_power_step_reference(*args)
    out_py = soft_power_step_python_loop(*args)
    shapes = [(n,), (n, N_PILLARS), (n,), (n, n), (n,)]
    for a, b, c, shape in zip(out_nb, out_np, out_py, shapes, strict=True):
        assert a.shape == b.shape == c.shape == shape
        assert a.dtype == b.dtype == c.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(c, b, rtol=RTOL, atol=1e-15)


@settings(deadline=None, max_examples=30)
@given(seed=seeds, n=st.integers(0, 15), m=st.integers(0, 12))
def test_step_is_reputation_then_pillars_then_attraction_and_familiarity(seed, n, m):
    """The step is its parts in the documented order, to the bit: reputation, the pillars of
    the metrics with this step's reputation in its column (normalised, like the natural
    columns, on its own 0–1 scale by two anchor rows holding 0 and 1 there and every other
    metric's own minimum and maximum),
    attraction towards index times reputation, familiarity."""
    args = random_step(seed, n, m, 0.3)
    (reputation, baseline, penalty, recovery, metrics, column, natural, pillar_of, weights,
     attraction, stay, unreached, population, dt) = args
    parts = {
        "numba": (soft_power_step, reputation_update, soft_power_pillars, attraction_update,
                  familiarity),
        "numpy": (soft_power_step_reference, reputation_update_reference,
                  soft_power_pillars_reference, attraction_update_reference,
                  familiarity_reference),
    }
    for step, recover, pillars_of, attract, known in parts.values():
        liked = recover(reputation, baseline, penalty, recovery, dt)
        scored = metrics.copy()
        if (column >= 0 or natural.any()) and len(metrics):
            low, high = metrics.min(axis=0), metrics.max(axis=0)
            low[natural], high[natural] = 0.0, 1.0
            if column >= 0:
                scored[:, column] = liked
                low[column], high[column] = 0.0, 1.0
            scored = np.vstack([scored, low, high])
        pillars, index = pillars_of(scored, pillar_of, weights)
        pillars, index = pillars[: len(metrics)], index[: len(metrics)]
        expected = (liked, pillars, index, attract(attraction, stay, index * liked),
                    known(unreached, population))
        for got, want in zip(step(*args), expected, strict=True):
            np.testing.assert_array_equal(got, want)


@STEP_KERNELS
def test_the_pillars_and_the_appeal_see_this_steps_reputation(step):
    """An incident's penalty lowers the state's reputation, then its government pillar (fed by
    reputation), then its appeal, index × reputation, towards which attraction moves."""
    reputation = baseline = np.array([0.6, 0.6, 0.6])
    penalty = np.array([0.5, 0.0, 0.0])
    metrics = np.column_stack([reputation, [1.0, 2.0, 3.0]])  # reputation, then another metric
    pillar_of = np.array([0, 4], dtype=np.int64)  # government, enterprise
    weights = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    attraction = np.full((3, 3), 0.5)
    stay = np.full((3, 3), 0.25)  # three quarters of the gap close
    liked, pillars, index, attracted, _ = step(
        reputation, baseline, penalty, 0.2, metrics, 0, NONE_NATURAL, pillar_of, weights,
        attraction, stay,
        np.ones((3, 3)), np.ones(3), 0.25,
    )
    assert liked[0] == pytest.approx(0.6 * np.exp(-0.5), rel=1e-14)
    np.testing.assert_array_equal(liked[1:], [0.6, 0.6])
    # Reputation is normalised on its own 0–1 scale: the government pillar is the reputation
    # itself (not the 0.5 of equals, nor stretched to 0 and 1 by min–max).
    np.testing.assert_allclose(pillars[:, 0], liked, rtol=1e-14)
    np.testing.assert_allclose(index, (liked + [0.0, 0.5, 1.0]) / 2, rtol=1e-14)
    appeal = index * liked
    for i in range(3):
        for j in range(3):
            expected = 0.5 if i == j else 0.5 + 0.75 * (appeal[i] - 0.5)
            assert attracted[i, j] == pytest.approx(expected, rel=1e-14)
    # Without the reputation column the pillars would have seen the old, equal reputations.
    _, pillars, _, _, _ = step(
        reputation, baseline, penalty, 0.2, metrics, -1, NONE_NATURAL, pillar_of, weights,
        attraction, stay,
        np.ones((3, 3)), np.ones(3), 0.25,
    )
    np.testing.assert_array_equal(pillars[:, 0], [0.5, 0.5, 0.5])


@STEP_KERNELS
def test_step_penalty_and_exposure_move_reputation_and_familiarity_apart(step):
    """Through the whole step, as in the Russia 2023 test above: a penalty lowers reputation
    and leaves familiarity as it was; more exposure raises familiarity and leaves reputation."""
    rng = np.random.default_rng(11)
    n = 5
    exposure = rng.uniform(0.1, 1.0, (n, n))
    louder = exposure.copy()
    louder[0] *= 3.0
    metrics, pillar_of, weights = rng.random((n, 4)), np.array([0, 1, 3, 5]), np.ones(N_PILLARS)
    population = rng.uniform(1e6, 1e8, n)

    def run(penalty, seen):
        return step(np.full(n, 0.5), np.full(n, 0.5), penalty, 0.2, metrics, 0,
                    np.zeros(4, dtype=bool), pillar_of,
                    weights, np.full((n, n), 0.5), np.exp(-seen * 0.25), np.exp(-seen),
                    population, 0.25)

    quiet = run(np.zeros(n), exposure)
    punished = run(np.array([0.4, 0, 0, 0, 0]), exposure)
    loud = run(np.zeros(n), louder)
    assert punished[0][0] < quiet[0][0]
    np.testing.assert_array_equal(punished[4], quiet[4])  # familiarity untouched by the penalty
    assert loud[4][0] > quiet[4][0]
    np.testing.assert_array_equal(loud[0], quiet[0])  # reputation untouched by exposure


@STEP_KERNELS
def test_step_refuses_a_reputation_column_outside_the_metrics(step):
    args = list(random_step(4, 3, 2, 0.0))
    for bad in (2, -2):
        args[5] = bad
        with pytest.raises(ValueError, match="reputation_metric"):
            step(*args)


@STEP_KERNELS
def test_step_refuses_natural_flags_that_do_not_match_the_metrics(step):
    args = list(random_step(4, 3, 2, 0.0))
    args[6] = np.zeros(3, dtype=bool)
    with pytest.raises(ValueError, match="natural"):
        step(*args)


@STEP_KERNELS
def test_a_natural_metric_is_scored_on_its_own_scale(step):
    """One state with a few links and the rest with none: min–max would give it the whole
    pillar (1 against 0); on the metric's own 0–1 scale it gets only its small share."""
    n = 4
    shares = np.array([0.02, 0.0, 0.0, 0.0])  # e.g. the share of its cultural potential used
    metrics = np.column_stack([np.full(n, 0.5), shares])
    pillar_of = np.array([0, 1], dtype=np.int64)  # government, culture
    args = {"attraction": np.full((n, n), 0.5), "stay": np.ones((n, n)),
            "unreached": np.ones((n, n)), "population": np.ones(n), "dt": 0.25}

    def culture(natural: bool) -> np.ndarray:
        _, pillars, _, _, _ = step(np.full(n, 0.5), np.full(n, 0.5), np.zeros(n), 0.2, metrics,
                                   0, np.array([False, natural]), pillar_of, np.ones(6), **args)
        return pillars[:, 1]

    np.testing.assert_allclose(culture(natural=False), [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(culture(natural=True), shares, atol=1e-15)
