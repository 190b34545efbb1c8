"""Paradiplomacy kernels: link features, link dynamics, activity classes, state-pair sums.

The numba kernels, the numpy references and the Python-loop baselines must agree; the default
coefficients must carry the signs the papers give; and the dynamics must behave as the papers
describe: better relations form links sooner and make them stronger, a sanction cushions the
economic channel only, diaspora carries culture, twinning prefers similar partners.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.kernels import paradiplomacy as pd
from sim.scenario import CHANNELS
from sim.world import csr_from_pairs

C, K = len(pd.CHANNELS), len(pd.FEATURES)
ECO, CUL, ENV, EMG, LOC = range(C)
ALL = np.uint8((1 << C) - 1)
BETA = pd.drive_coefficients()
GAMMA = pd.formation_coefficients()
D = pd.DEFAULTS
DT = 0.25  # a quarter


def features(n=1, complementarity=0.5, proximity=0.5, relations=0.0, sanction=0.0,
             diaspora=0.0, similarity=0.5):
    """n identical feature rows (FEATURES order)."""
    row = [1.0, complementarity, proximity, relations, sanction, diaspora, similarity]
    return np.tile(np.array(row, dtype=np.float64), (n, 1))


def step(strength, potential, x, uniforms=None, beta=BETA, gamma=GAMMA, dt=DT, kernel=None,
         dissolve_below=D["dissolve_below"], formation_rate=D["formation_rate"]):
    kernel = kernel or pd.link_dynamics
    n = len(strength)
    return kernel(
        np.asarray(strength, dtype=np.float64), np.asarray(potential, dtype=np.uint8), x, beta,
        gamma, formation_rate, np.full(C, D["growth"]), np.full(C, D["decay"]),
        D["start_strength"], dissolve_below, np.ones(n) if uniforms is None else uniforms, dt,
    )


def settle(x, potential=ALL, start=0.5, steps=40, **kw):
    """Strengths after `steps` steps of 2.5 years (converged) from `start` on every channel."""
    x = np.atleast_2d(x)
    s = np.where(((potential >> np.arange(C)) & 1).astype(bool), start, 0.0)
    s = np.tile(s, (len(x), 1))
    for _ in range(steps):
        s, _, dissolved = step(s, np.full(len(x), potential), x, dt=2.5, **kw)
        assert not dissolved.any()
    return s


def fixed_point(x, beta=BETA):
    """s* = gD/(gD + δ) for each channel."""
    drive = 1.0 / (1.0 + np.exp(-(x @ beta.T)))
    return D["growth"] * drive / (D["growth"] * drive + D["decay"])


# ---------------------------------------------------------------- random inputs


def random_links(seed, e, n_actors, n_states):
    rng = np.random.default_rng(seed)
    n_actors = max(n_actors, 1)
    ends = rng.integers(0, n_actors, (e, 2)).astype(np.int32)
    owner = rng.integers(0, n_states, n_actors).astype(np.int32)
    return rng, ends, owner


def random_dynamics_args(seed, e, dormant_share, scale):
    rng = np.random.default_rng(seed)
    strength = rng.random((e, C)) * (rng.random((e, C)) < 0.7)
    strength[rng.random(e) < dormant_share] = 0.0
    strength[rng.random((e, C)) < 0.05] = 1.0
    x = np.column_stack([np.ones(e), rng.random(e), rng.random(e), rng.uniform(-1, 1, e),
                         rng.random(e) * (rng.random(e) < 0.5), rng.random(e), rng.random(e)])
    growth = rng.uniform(0, 3, C) * (rng.random(C) < 0.8)
    decay = rng.uniform(0, 1, C) * (rng.random(C) < 0.8)
    return (
        strength, rng.integers(0, 256, e).astype(np.uint8), x.reshape(e, K),
        rng.normal(0, scale, (C, K)), rng.normal(0, scale, K), float(rng.uniform(0, 5)),
        growth, decay, float(rng.uniform(0, 1)), float(rng.uniform(0, 0.6)), rng.random(e),
        float(rng.uniform(0, 2)),
    )


def random_csr(seed, e, n_actors):
    rng = np.random.default_rng(seed)
    n_actors = max(n_actors, 1) if e else n_actors
    ends = rng.integers(0, max(n_actors, 1), (e, 2)).astype(np.int32)
    indptr, _, edge = csr_from_pairs(ends, n_actors)
    strength = rng.random((e, C)) * (rng.random((e, C)) < 0.5)
    strength[rng.random(e) < 0.3] = 0.0
    return indptr, edge, strength


# ---------------------------------------------------------------- kernels against references


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 60), n_actors=st.integers(1, 30),
       n_states=st.integers(1, 6))
@example(seed=0, e=0, n_actors=1, n_states=1)
@example(seed=1, e=1, n_actors=2, n_states=2)
def test_link_features_numba_agrees_with_numpy(seed, e, n_actors, n_states):
    rng, ends, owner = random_links(seed, e, n_actors, n_states)
    args = (ends, owner, rng.uniform(-1, 1, (n_states, n_states)),
            rng.random((n_states, n_states)), rng.random(e), rng.random(e), rng.random(e),
            rng.random(e))
    x_nb = pd.link_features(*args)
    x_np = pd.link_features_reference(*args)
    assert x_nb.shape == x_np.shape == (e, K) and x_nb.dtype == x_np.dtype == np.float64
    np.testing.assert_array_equal(x_nb, x_np)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 80), dormant_share=st.floats(0, 1),
       scale=st.floats(0.1, 6.0))
@example(seed=0, e=0, dormant_share=0.5, scale=1.0)
@example(seed=1, e=1, dormant_share=0.0, scale=1.0)
@example(seed=2, e=1, dormant_share=1.0, scale=1.0)
def test_link_dynamics_numba_agrees_with_numpy(seed, e, dormant_share, scale):
    args = random_dynamics_args(seed, e, dormant_share, scale)
    s_nb, f_nb, d_nb = pd.link_dynamics(*args)
    s_np, f_np, d_np = pd.link_dynamics_reference(*args)
    assert s_nb.shape == s_np.shape == (e, C) and s_nb.dtype == s_np.dtype == np.float64
    assert f_nb.dtype == f_np.dtype == d_nb.dtype == d_np.dtype == np.bool_
    np.testing.assert_allclose(s_nb, s_np, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(f_nb, f_np)
    np.testing.assert_array_equal(d_nb, d_np)
    # Whatever the coefficients, strengths stay in [0, 1] and a link never both forms and
    # dissolves.
    assert np.all((s_nb >= 0.0) & (s_nb <= 1.0))
    assert not np.any(f_nb & d_nb)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 80), n_actors=st.integers(0, 30),
       episodic=st.floats(0.0, 2.0), leading=st.floats(0.0, 5.0))
@example(seed=0, e=0, n_actors=0, episodic=1.0, leading=2.0)
@example(seed=1, e=0, n_actors=1, episodic=1.0, leading=2.0)
@example(seed=2, e=1, n_actors=1, episodic=0.5, leading=1.0)
def test_activity_classes_numba_agrees_with_numpy(seed, e, n_actors, episodic, leading):
    indptr, edge, strength = random_csr(seed, e, n_actors)
    leading = episodic + leading
    t_nb, a_nb = pd.activity_classes(indptr, edge, strength, episodic, leading)
    t_np, a_np = pd.activity_classes_reference(indptr, edge, strength, episodic, leading)
    n = len(indptr) - 1
    assert t_nb.shape == t_np.shape == a_nb.shape == a_np.shape == (n,)
    assert a_nb.dtype == a_np.dtype == np.int8
    np.testing.assert_array_equal(t_nb, t_np)  # same additions in the same order
    np.testing.assert_array_equal(a_nb, a_np)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 80), n_actors=st.integers(1, 30),
       n_states=st.integers(1, 6))
@example(seed=0, e=0, n_actors=1, n_states=1)
@example(seed=1, e=1, n_actors=2, n_states=2)
def test_state_pair_strength_numba_agrees_with_numpy(seed, e, n_actors, n_states):
    rng, ends, owner = random_links(seed, e, n_actors, n_states)
    w = rng.random(e)
    p_nb = pd.state_pair_strength(ends, owner, w, n_states)
    p_np = pd.state_pair_strength_reference(ends, owner, w, n_states)
    assert p_nb.shape == p_np.shape == (n_states, n_states)
    np.testing.assert_array_equal(p_nb, p_np)  # same additions in the same order


def test_python_loop_baselines_compute_the_same():
    rng, ends, owner = random_links(5, 300, 60, 5)
    f_args = (ends, owner, rng.uniform(-1, 1, (5, 5)), rng.random((5, 5)), rng.random(300),
              rng.random(300), rng.random(300), rng.random(300))
    np.testing.assert_array_equal(pd.link_features_python_loop(*f_args),
                                  pd.link_features(*f_args))
    d_args = random_dynamics_args(5, 300, 0.4, 2.0)
    for got, want in zip(pd.link_dynamics_python_loop(*d_args), pd.link_dynamics(*d_args),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    indptr, edge, strength = random_csr(5, 300, 60)
    for got, want in zip(pd.activity_classes_python_loop(indptr, edge, strength, 1.0, 3.0),
                         pd.activity_classes(indptr, edge, strength, 1.0, 3.0), strict=True):
        np.testing.assert_array_equal(got, want)
    w = rng.random(300)
    np.testing.assert_array_equal(pd.state_pair_strength_python_loop(ends, owner, w, 5),
                                  pd.state_pair_strength(ends, owner, w, 5))
    empty = pd.link_dynamics_python_loop(*random_dynamics_args(5, 0, 0.4, 2.0))
    assert empty[0].shape == (0, C) and empty[1].shape == empty[2].shape == (0,)


def test_results_do_not_depend_on_the_thread_count():
    args = random_dynamics_args(9, 5000, 0.3, 2.0)
    indptr, edge, strength = random_csr(9, 5000, 700)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = (pd.link_dynamics(*args), pd.activity_classes(indptr, edge, strength, 1.0, 3.0))
    finally:
        numba.set_num_threads(threads)
    parallel = (pd.link_dynamics(*args), pd.activity_classes(indptr, edge, strength, 1.0, 3.0))
    for one, many in zip(serial, parallel, strict=True):
        for a, b in zip(one, many, strict=True):
            np.testing.assert_array_equal(a, b)


def test_kernels_do_not_mutate_their_inputs():
    args = random_dynamics_args(3, 200, 0.4, 2.0)
    before = [np.copy(a) for a in args]
    pd.link_dynamics(*args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- defaults


def test_channels_and_features_are_in_the_documented_order():
    assert pd.CHANNELS == CHANNELS
    assert pd.FEATURES[0] == "constant" and len(pd.FEATURES) == K == 7
    assert BETA.shape == (C, K) and GAMMA.shape == (K,)


def test_default_coefficients_carry_the_papers_signs():
    f = {name: k for k, name in enumerate(pd.FEATURES)}
    # Relations raise every channel's drive and the formation odds (paper 004, paper 002).
    assert np.all(BETA[:, f["relations"]] > 0) and GAMMA[f["relations"]] > 0
    # A sanction raises the economic drive and formation (safety cushion, paper 004) and does
    # not raise any other channel.
    assert BETA[ECO, f["sanction"]] > 0 and GAMMA[f["sanction"]] > 0
    assert np.all(BETA[1:, f["sanction"]] <= 0)
    assert BETA[ECO, f["complementarity"]] > 0 and BETA[ECO, f["proximity"]] > 0
    # Diaspora carries culture (paper 004), and nothing else.
    assert BETA[CUL, f["diaspora"]] > 0
    assert np.all(np.delete(BETA[:, f["diaspora"]], CUL) == 0)
    # Twinning prefers similar partners over near ones (paper 001).
    assert BETA[CUL, f["similarity"]] > BETA[CUL, f["proximity"]] > 0
    assert BETA[LOC, f["similarity"]] > 0
    # Economic paradiplomacy develops on its own (paper 004): the largest constant.
    assert BETA[ECO, f["constant"]] == BETA[:, f["constant"]].max()
    assert np.all(BETA[1:, f["constant"]] < BETA[ECO, f["constant"]])
    # Formed links start above the dissolution threshold, thresholds are ordered.
    assert D["start_strength"] > D["dissolve_below"] > 0
    assert 0 < D["episodic_below"] <= D["leading_from"]


def test_named_coefficients_fill_the_matrices():
    beta = pd.drive_coefficients({"relations": 3.0, "diaspora_cultural": -1.0})
    assert np.all(beta[:, pd.RELATIONS] == 3.0)
    assert beta[CUL, pd.DIASPORA] == -1.0
    assert beta[ECO, pd.CONSTANT] == pd.DRIVE_DEFAULTS["constant_economic"]
    gamma = pd.formation_coefficients({"formation_sanction": 2.0})
    assert gamma[pd.SANCTION] == 2.0 and gamma[pd.CONSTANT] == GAMMA[pd.CONSTANT]
    with pytest.raises(KeyError):
        pd.drive_coefficients({"sanction_cultural": 1.0})
    with pytest.raises(KeyError):
        pd.formation_coefficients({"formation_size": 1.0})


# ---------------------------------------------------------------- link features


def test_link_features_average_relations_and_take_the_larger_sanction():
    owner = np.array([0, 1, 2, 0, 1], dtype=np.int32)  # actors 3, 4 belong to states 0, 1
    relations = np.array([[1.0, 0.2, -0.4], [0.6, 1.0, 0.0], [-1.0, 0.3, 1.0]])
    sanction = np.array([[0.0, 0.0, 0.9], [0.5, 0.0, 0.0], [0.1, 0.0, 0.0]])
    ends = np.array([[3, 4], [2, 3], [3, 0]], dtype=np.int32)
    args = (np.array([0.1, 0.2, 0.3]), np.array([0.4, 0.5, 0.6]), np.array([0.7, 0.8, 0.9]),
            np.array([0.05, 0.15, 0.25]))
    for kernel in (pd.link_features, pd.link_features_reference, pd.link_features_python_loop):
        x = kernel(ends, owner, relations, sanction, *args)
        np.testing.assert_allclose(x[:, 0], 1.0)
        np.testing.assert_allclose(x[:, 3], [0.4, -0.7, 1.0])  # mean of both directions
        np.testing.assert_allclose(x[:, 4], [0.5, 0.9, 0.0])  # max of both directions
        for col, value in zip((1, 2, 5, 6), args, strict=True):
            np.testing.assert_array_equal(x[:, col], value)


# ---------------------------------------------------------------- link dynamics


@pytest.mark.parametrize("kernel", [pd.link_dynamics, pd.link_dynamics_reference],
                         ids=["numba", "numpy"])
def test_better_relations_form_sooner_and_settle_stronger(kernel):
    n = 2000
    x = np.vstack([features(n, relations=0.8), features(n, relations=-0.2)])
    rng = np.random.default_rng(0)
    strength = np.zeros((2 * n, C))
    first = np.full(2 * n, np.inf)
    for t in range(400):  # yearly steps
        u = rng.random(n)
        strength, formed, _ = step(strength, np.full(2 * n, ALL), x, np.concatenate([u, u]),
                                   kernel=kernel, dt=1.0)
        first[formed] = t
    good, bad = first[:n], first[n:]
    # The same draw forms the better-related link no later, and on average much sooner
    # (hazards about 3% and 1.3% a year).
    assert np.all(good <= bad)
    assert np.mean(np.minimum(good, 400)) < 0.75 * np.mean(np.minimum(bad, 400))
    settled = settle(np.vstack([features(relations=0.8), features(relations=-0.2)]),
                     kernel=kernel)
    assert np.all(settled[0] > settled[1] + 0.01)


def test_sanction_cushions_the_economic_channel_but_not_the_cultural_one():
    """Paper 004: after the 2017 sanctions regional paradiplomacy cushioned trade."""
    calm, sanctioned = settle(np.vstack([features(sanction=0.0), features(sanction=1.0)]))
    assert sanctioned[ECO] > calm[ECO] + 0.01
    assert sanctioned[CUL] <= calm[CUL]
    assert np.all(sanctioned[1:] <= calm[1:])
    # And a sanction raises the odds that a dormant economic link forms.
    u = np.full(2, 0.5 * (_hazard(features(sanction=0.0)) + _hazard(features(sanction=1.0))))
    _, formed, _ = step(np.zeros((2, C)), [1, 1],
                        np.vstack([features(sanction=0.0), features(sanction=1.0)]), u)
    assert list(formed) == [False, True]


def _hazard(x):
    p = 1.0 / (1.0 + np.exp(-(x[0] @ GAMMA)))
    return 1.0 - np.exp(-D["formation_rate"] * p * DT)


def test_diaspora_raises_only_the_cultural_channel():
    without, with_ = settle(np.vstack([features(diaspora=0.0), features(diaspora=1.0)]))
    assert with_[CUL] > without[CUL] + 0.05
    np.testing.assert_array_equal(np.delete(with_, CUL), np.delete(without, CUL))


def test_similarity_outweighs_proximity_for_twinning_when_the_coefficients_say_so():
    """Twinning prefers similar partners over near ones (paper 001): with the default
    coefficients a similar, distant partner gets a stronger cultural channel than a near,
    dissimilar one; swap the two coefficients and the order swaps."""
    x = np.vstack([features(similarity=1.0, proximity=0.0),
                   features(similarity=0.0, proximity=1.0)])
    similar, near = settle(x, potential=np.uint8(1 << CUL))
    assert similar[CUL] > near[CUL] + 0.01
    swapped = pd.drive_coefficients({"similarity_cultural": pd.DRIVE_DEFAULTS["proximity_cultural"],
                                     "proximity_cultural": pd.DRIVE_DEFAULTS["similarity_cultural"]})
    similar, near = settle(x, potential=np.uint8(1 << CUL), beta=swapped)
    assert similar[CUL] < near[CUL] - 0.01


@pytest.mark.parametrize("kernel", [pd.link_dynamics, pd.link_dynamics_reference],
                         ids=["numba", "numpy"])
def test_strength_converges_to_the_fixed_point_from_above_and_below(kernel):
    x = features(2, relations=0.3)
    target = fixed_point(x[0])
    s = np.array([np.ones(C), np.full(C, 1e-3)])  # above and below s* on every channel
    assert np.all(s[0] > target) and np.all(s[1] < target)
    gap = np.abs(s - target)
    for _ in range(150):  # yearly steps: the gap shrinks by at least e^−δ = e^−0.2 a year
        s_new, _, _ = step(s, [ALL, ALL], x, dt=1.0, kernel=kernel)
        assert np.all((s_new >= 0.0) & (s_new <= 1.0))
        assert np.all(s_new[0] >= target - 1e-15) and np.all(s_new[1] <= target + 1e-15)
        new_gap = np.abs(s_new - target)
        assert np.all(new_gap <= gap + 1e-15)  # monotone, no overshoot (up to rounding)
        s, gap = s_new, new_gap
    np.testing.assert_allclose(s, np.tile(target, (2, 1)), rtol=1e-12)


def test_one_step_is_the_exact_solution_of_the_ode():
    """Exact: two steps of Δt land where one step of 2Δt does, and a step matches the closed
    form s* + (s − s*)·exp(−(gD + δ)Δt)."""
    x = features(3, relations=-0.4, sanction=0.6, diaspora=0.3)
    s0 = np.array([[0.9, 0.2, 0.5, 0.05, 0.7], [0.3] * 5, [1.0, 1.0, 0.0, 0.0, 0.1]])
    two, _, _ = step(step(s0, [ALL] * 3, x, dt=0.3)[0], [ALL] * 3, x, dt=0.3)
    one, _, _ = step(s0, [ALL] * 3, x, dt=0.6)
    np.testing.assert_allclose(two, one, rtol=1e-13)
    drive = 1.0 / (1.0 + np.exp(-(x @ BETA.T)))
    rate = D["growth"] * drive + D["decay"]
    target = D["growth"] * drive / rate
    np.testing.assert_allclose(one, target + (s0 - target) * np.exp(-rate * 0.6), rtol=1e-13)


def test_channels_outside_the_potential_stay_zero():
    s = np.full((2, C), 0.5)
    potential = [1 << ECO | 1 << LOC, 1 << CUL]
    new, _, _ = step(s, potential, features(2))
    assert np.all(new[0, [CUL, ENV, EMG]] == 0) and np.all(new[0, [ECO, LOC]] > 0)
    assert np.all(np.delete(new[1], CUL) == 0) and new[1, CUL] > 0


def test_collapsed_drive_dissolves_the_link_which_becomes_dormant():
    beta = pd.drive_coefficients({"relations": 6.0})
    x = np.vstack([features(relations=-1.0, proximity=0.0, similarity=0.0),
                   features(relations=1.0)])
    s = np.zeros((2, C))
    s[:, CUL] = 0.5  # cultural-only links
    potential = [1 << CUL, 1 << CUL]
    history = []
    for _ in range(100):
        s, formed, dissolved = step(s, potential, x, beta=beta)
        assert not formed.any() and not dissolved[1]
        history.append((s.copy(), dissolved.copy()))
        if dissolved[0]:
            break
    assert dissolved[0], "a link whose drive collapsed did not dissolve"
    assert np.all(s[0] == 0.0) and s[1, CUL] > 0.5
    # Before, the link stayed above the threshold; the step before it went below, it did not.
    assert all(h[0][0].sum() >= D["dissolve_below"] for h in history[:-1])
    # Now it is dormant: it neither dissolves again nor grows back, unless it forms anew.
    s2, formed, dissolved = step(s, potential, x, beta=beta)
    assert not dissolved[0] and not formed[0] and np.all(s2[0] == 0.0)
    s3, formed, _ = step(s, potential, x, uniforms=np.zeros(2), beta=beta)
    assert formed[0] and s3[0, CUL] == D["start_strength"]


def test_at_the_defaults_very_bad_relations_dissolve_a_lone_cultural_link_not_an_economic_one():
    """Economic paradiplomacy develops on its own (paper 004); a cultural or emergency link with
    nothing else to hold it (no proximity, diaspora or similarity) does not survive relations
    at −1. With relations at 0 it does."""
    lone = {"proximity": 0.0, "similarity": 0.0, "complementarity": 0.0}
    x = np.vstack([features(relations=-1.0, **lone)] * 3 + [features(relations=0.0, **lone)])
    potential = [1 << CUL, 1 << EMG, 1 << ECO, 1 << CUL]
    s = np.zeros((4, C))
    for i, c in enumerate([CUL, EMG, ECO, CUL]):
        s[i, c] = 0.5
    gone = np.zeros(4, dtype=bool)
    for _ in range(100):
        s, _, dissolved = step(s, potential, x)
        gone |= dissolved
    assert list(gone) == [True, True, False, False]
    assert s[2, ECO] > 0.3 and s[3, CUL] > D["dissolve_below"]


@pytest.mark.parametrize("kernel", [pd.link_dynamics, pd.link_dynamics_reference],
                         ids=["numba", "numpy"])
def test_uniforms_one_form_nothing_uniforms_zero_form_every_link_with_positive_hazard(kernel):
    rng = np.random.default_rng(4)
    e = 500
    strength = np.zeros((e, C))
    strength[:100] = rng.random((100, C))  # active
    potential = rng.integers(0, 32, e).astype(np.uint8)
    potential[100:110] = 0  # dormant, no channel to carry: cannot form
    potential[110:120] = 0b11100000  # bits beyond the channels do not count
    x = np.column_stack([np.ones(e), rng.random((e, 6))])
    dormant = np.arange(e) >= 100
    _, formed, _ = step(strength, potential, x, np.ones(e), kernel=kernel)
    assert not formed.any()
    new, formed, _ = step(strength, potential, x, np.zeros(e), kernel=kernel)
    can = dormant & ((potential & ALL) != 0)
    np.testing.assert_array_equal(formed, can)
    bits = ((potential[:, None] >> np.arange(C)) & 1).astype(bool)
    np.testing.assert_array_equal(new[formed], np.where(bits[formed], D["start_strength"], 0.0))
    # With a zero formation rate the hazard is 0: nothing forms even at u = 0.
    _, formed, _ = step(strength, potential, x, np.zeros(e), kernel=kernel, formation_rate=0.0)
    assert not formed.any()


def test_formation_follows_the_hazard_exactly():
    rng = np.random.default_rng(8)
    e = 20_000
    x = np.column_stack([np.ones(e), rng.random((e, 2)), rng.uniform(-1, 1, e),
                         rng.random((e, 3))])
    u = rng.random(e)
    _, formed, _ = step(np.zeros((e, C)), np.full(e, ALL), x, u, dt=2.0)
    p = 1.0 / (1.0 + np.exp(-(x @ GAMMA)))
    hazard = 1.0 - np.exp(-D["formation_rate"] * p * 2.0)
    np.testing.assert_array_equal(formed, u < hazard)
    assert formed.mean() == pytest.approx(hazard.mean(), abs=0.01)


# ---------------------------------------------------------------- activity classes


@pytest.mark.parametrize(
    "kernel",
    [pd.activity_classes, pd.activity_classes_reference, pd.activity_classes_python_loop],
    ids=["numba", "numpy", "loop"],
)
def test_activity_classes_follow_the_thresholds_exactly(kernel):
    # Totals (exact in binary): actor 0 none; 1 only a dormant link; 2 just under episodic;
    # 3 exactly episodic_below; 4 just under leading; 5 exactly leading_from; 6 above.
    # Actor 7 is every link's other end.
    episodic, leading = 1.0, 2.5
    totals = {2: 0.75, 3: 1.0, 4: 2.25, 5: 2.5, 6: 4.0}
    ends, strength = [[1, 7]], [np.zeros(C)]
    for actor, t in totals.items():
        ends.append([7, actor])
        row = np.zeros(C)
        row[ECO], row[CUL] = t / 2, t / 2  # split over two channels
        strength.append(row)
    indptr, _, edge = csr_from_pairs(np.array(ends, dtype=np.int32), 9)
    total, activity = kernel(indptr, edge, np.array(strength), episodic, leading)
    np.testing.assert_array_equal(total[:7], [0.0, 0.0, 0.75, 1.0, 2.25, 2.5, 4.0])
    np.testing.assert_array_equal(activity[:7], [0, 0, 1, 2, 2, 3, 3])
    # A link counts at both ends: actor 7 holds all of them; actor 8 has none.
    assert total[7] == sum(totals.values()) and activity[7] == pd.LEADING
    assert total[8] == 0.0 and activity[8] == pd.INACTIVE
    assert total.dtype == np.float64 and activity.dtype == np.int8


# ---------------------------------------------------------------- state pairs


@pytest.mark.parametrize(
    "kernel",
    [pd.state_pair_strength, pd.state_pair_strength_reference,
     pd.state_pair_strength_python_loop],
    ids=["numba", "numpy", "loop"],
)
def test_state_pair_strength_is_symmetric_and_ignores_intra_state_links(kernel):
    owner = np.array([0, 1, 2, 0, 1, 2, 0], dtype=np.int32)
    ends = np.array([[3, 4], [4, 3], [0, 6], [3, 6], [5, 1], [2, 3]], dtype=np.int32)
    w = np.array([0.5, 0.25, 0.9, 0.8, 0.125, 1.0])
    pair = kernel(ends, owner, w, 3)
    expected = np.zeros((3, 3))
    expected[0, 1] = expected[1, 0] = 0.75  # both orientations of a 0–1 link add up
    expected[1, 2] = expected[2, 1] = 0.125
    expected[0, 2] = expected[2, 0] = 1.0
    np.testing.assert_array_equal(pair, expected)  # links within state 0 are left out
    np.testing.assert_array_equal(pair, pair.T)
    assert np.all(np.diag(pair) == 0.0)
    # A state with no cross-border links has a zero row.
    assert np.all(kernel(ends, owner, w, 4)[3] == 0.0)
