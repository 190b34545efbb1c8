"""Paradiplomacy kernels: link layout, static drives, formation draws, link dynamics, activity
classes, state-pair sums, and the mechanism's glue.

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

from sim.bench import world_spec
from sim.kernels import BACKENDS
from sim.kernels import paradiplomacy as pd
from sim.kernels.threads import LINKS_PARALLEL_FROM, serial_below
from sim.mechanisms import paradiplomacy as mech
from sim.model import GeoModel
from sim.scenario import from_spec
from sim.schema import CHANNELS
from sim.world import csr_from_pairs

C, K = len(pd.CHANNELS), len(pd.FEATURES)
ECO, CUL, ENV, EMG, LOC = range(C)
ALL = np.uint8((1 << C) - 1)
BETA = pd.drive_coefficients()
GAMMA = pd.formation_coefficients()
D = pd.DEFAULTS
DT = 0.25  # a quarter
CERTAIN = 1e6  # a formation rate at which the hazard is 1: every dormant candidate forms
SEED_MAX = 2**63 - 1


def features(n=1, complementarity=0.5, proximity=0.5, relations=0.0, sanction=0.0,
             diaspora=0.0, similarity=0.5):
    """n identical feature rows (FEATURES order)."""
    row = [1.0, complementarity, proximity, relations, sanction, diaspora, similarity]
    return np.tile(np.array(row, dtype=np.float64), (n, 1))


def world_of(x, potential, beta=BETA, gamma=GAMMA):
    """Kernel inputs for links with feature rows x: each distinct (relations, sanction) gets
    its own two states, related by that value both ways; the links join them.

    Returns (slots, relations, sanction, drive_static, formation_static).
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    combos, which = np.unique(x[:, [pd.RELATIONS, pd.SANCTION]], axis=0, return_inverse=True)
    s = 2 * len(combos)
    relations, sanction = np.eye(s), np.zeros((s, s))
    for k, (r, q) in enumerate(combos):
        relations[2 * k, 2 * k + 1] = relations[2 * k + 1, 2 * k] = r
        sanction[2 * k, 2 * k + 1] = sanction[2 * k + 1, 2 * k] = q
    which = which.ravel()
    ends = np.column_stack([2 * which, 2 * which + 1]).astype(np.int32)
    owner = np.arange(s, dtype=np.int32)
    slots = pd.link_slots(np.asarray(potential, dtype=np.uint8), ends, owner, s)
    drive_static, formation_static = pd.static_drives(
        slots, x[:, pd.COMPLEMENTARITY], x[:, pd.PROXIMITY], x[:, pd.DIASPORA],
        x[:, pd.SIMILARITY], beta, gamma)
    return slots, relations, sanction, drive_static, formation_static


def step(strength, potential, x, seed=0, beta=BETA, gamma=GAMMA, dt=DT, kernel=None,
         dissolve_below=D["dissolve_below"], formation_rate=D["formation_rate"], effort=1.0):
    """One kernel step for links with feature rows x: (new strength, formed, dissolved). Checks
    on the way that the kernel's link totals are the channel sums of its new strengths."""
    kernel = kernel or pd.link_dynamics
    n = len(strength)
    potential = np.broadcast_to(np.asarray(potential, dtype=np.uint8), (n,))
    slots, relations, sanction, drive_static, formation_static = world_of(x, potential, beta,
                                                                          gamma)
    new, total, formed, dissolved = kernel(
        np.asarray(strength, dtype=np.float64), slots, relations, sanction, drive_static,
        formation_static, beta, gamma, formation_rate, np.full(C, D["growth"]),
        np.full(C, D["decay"]), D["start_strength"], dissolve_below, seed, dt, np.full(n, effort),
    )
    np.testing.assert_array_equal(total, pd.link_totals(new))
    return new, formed, dissolved


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


def hazard_of(x, formation_rate=D["formation_rate"], dt=DT):
    p = 1.0 / (1.0 + np.exp(-(np.atleast_2d(x) @ GAMMA)))
    return 1.0 - np.exp(-formation_rate * p * dt)


# ---------------------------------------------------------------- random inputs


def random_links(seed, e, n_actors, n_states):
    rng = np.random.default_rng(seed)
    n_actors = max(n_actors, 1)
    ends = rng.integers(0, n_actors, (e, 2)).astype(np.int32)
    owner = rng.integers(0, n_states, n_actors).astype(np.int32)
    return rng, ends, owner


def random_dynamics_args(seed, e, dormant_share, scale):
    rng = np.random.default_rng(seed)
    n_actors, n_states = int(rng.integers(1, 30)), int(rng.integers(1, 6))
    ends = rng.integers(0, n_actors, (e, 2)).astype(np.int32)
    owner = rng.integers(0, n_states, n_actors).astype(np.int32)
    strength = rng.random((e, C)) * (rng.random((e, C)) < 0.7)
    strength[rng.random(e) < dormant_share] = 0.0
    strength[rng.random((e, C)) < 0.05] = 1.0
    relations = rng.uniform(-1, 1, (n_states, n_states))
    sanction = rng.random((n_states, n_states)) * (rng.random((n_states, n_states)) < 0.5)
    beta, gamma = rng.normal(0, scale, (C, K)), rng.normal(0, scale, K)
    slots = pd.link_slots(rng.integers(0, 256, e).astype(np.uint8), ends, owner, n_states)
    drive_static, formation_static = pd.static_drives(
        slots, rng.random(e), rng.random(e), rng.random(e), rng.random(e), beta, gamma)
    growth = rng.uniform(0, 3, C) * (rng.random(C) < 0.8)
    decay = rng.uniform(0, 1, C) * (rng.random(C) < 0.8)
    return (
        strength, slots, relations, sanction, drive_static, formation_static, beta, gamma,
        float(rng.uniform(0, 5)), growth, decay, float(rng.uniform(0, 1)),
        float(rng.uniform(0, 0.6)), int(rng.integers(0, SEED_MAX, endpoint=True)),
        float(rng.uniform(0, 2)),
    )


def random_activity_args(seed, e, n_actors):
    """(ends, link totals, n_actors) with some dormant links and some self-links."""
    rng = np.random.default_rng(seed)
    n_actors = max(n_actors, 1) if e else n_actors
    ends = rng.integers(0, max(n_actors, 1), (e, 2)).astype(np.int32)
    strength = rng.random((e, C)) * (rng.random((e, C)) < 0.5)
    strength[rng.random(e) < 0.3] = 0.0
    return ends, pd.link_totals(strength), n_actors


def assert_dynamics_agree(got, want):
    s_a, t_a, f_a, d_a = got
    s_b, t_b, f_b, d_b = want
    assert s_a.shape == s_b.shape and t_a.shape == t_b.shape == f_a.shape == d_a.shape
    assert s_a.dtype == s_b.dtype == t_a.dtype == t_b.dtype == np.float64
    assert f_a.dtype == f_b.dtype == d_a.dtype == d_b.dtype == np.bool_
    np.testing.assert_allclose(s_a, s_b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t_a, t_b, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(f_a, f_b)
    np.testing.assert_array_equal(d_a, d_b)


# ---------------------------------------------------------------- kernels against references


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, SEED_MAX), n=st.integers(0, 300))
@example(seed=0, n=0)
@example(seed=0, n=1)
@example(seed=SEED_MAX, n=1)
def test_formation_uniforms_agree_to_the_bit(seed, n):
    u_nb = pd.formation_uniforms(seed, n)
    u_np = pd.formation_uniforms_reference(seed, n)
    u_py = pd.formation_uniforms_python_loop(seed, n)
    assert u_nb.shape == u_np.shape == u_py.shape == (n,)
    assert u_nb.dtype == u_np.dtype == u_py.dtype == np.float64
    np.testing.assert_array_equal(u_nb, u_np)
    np.testing.assert_array_equal(u_nb, u_py)
    # A link's draw depends on (seed, link) only, not on how many links there are.
    np.testing.assert_array_equal(pd.formation_uniforms(seed, n + 7)[:n], u_nb)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 80), dormant_share=st.floats(0, 1),
       scale=st.floats(0.1, 6.0))
@example(seed=0, e=0, dormant_share=0.5, scale=1.0)
@example(seed=1, e=1, dormant_share=0.0, scale=1.0)
@example(seed=2, e=1, dormant_share=1.0, scale=1.0)
def test_link_dynamics_numba_agrees_with_numpy(seed, e, dormant_share, scale):
    args = random_dynamics_args(seed, e, dormant_share, scale)
    got = pd.link_dynamics(*args)
    assert_dynamics_agree(got, pd.link_dynamics_reference(*args))
    s_nb, t_nb, f_nb, d_nb = got
    assert s_nb.shape == (e, C) and t_nb.shape == (e,)
    # The totals are the channel sums of the new strengths, to the bit.
    np.testing.assert_array_equal(t_nb, pd.link_totals(s_nb))
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
    ends, link_total, n = random_activity_args(seed, e, n_actors)
    leading = episodic + leading
    t_nb, a_nb = pd.activity_classes(ends, link_total, n, episodic, leading)
    t_np, a_np = pd.activity_classes_reference(ends, link_total, n, episodic, leading)
    assert t_nb.shape == t_np.shape == a_nb.shape == a_np.shape == (n,)
    assert a_nb.dtype == a_np.dtype == np.int8
    np.testing.assert_array_equal(t_nb, t_np)  # same additions in the same order
    np.testing.assert_array_equal(a_nb, a_np)
    # Each link counts at both ends: the totals are what the links' CSR (both directions)
    # gathers, up to the order of additions.
    indptr, _, edge = csr_from_pairs(ends, n)
    gathered = np.bincount(np.repeat(np.arange(n), np.diff(indptr)), weights=link_total[edge],
                           minlength=n)
    np.testing.assert_allclose(t_nb, gathered, rtol=1e-12, atol=1e-12)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 80), n_actors=st.integers(1, 30),
       n_states=st.integers(1, 6))
@example(seed=0, e=0, n_actors=1, n_states=1)
@example(seed=1, e=1, n_actors=2, n_states=2)
def test_state_pair_strength_numba_agrees_with_numpy(seed, e, n_actors, n_states):
    rng, ends, owner = random_links(seed, e, n_actors, n_states)
    strength = rng.random((e, C)) * (rng.random((e, C)) < 0.6)
    pair = pd.state_pairs(ends, owner, n_states)
    p_nb = pd.state_pair_strength(pair, strength, n_states)
    p_np = pd.state_pair_strength_reference(pair, strength, n_states)
    assert p_nb.shape == p_np.shape == (C, n_states, n_states)
    np.testing.assert_array_equal(p_nb, p_np)  # same additions in the same order


def test_python_loop_baselines_compute_the_same():
    rng, ends, owner = random_links(5, 300, 60, 5)
    d_args = random_dynamics_args(5, 300, 0.4, 2.0)
    for got, want in zip(pd.link_dynamics_python_loop(*d_args), pd.link_dynamics(*d_args),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    a_args = random_activity_args(5, 300, 60)
    for got, want in zip(pd.activity_classes_python_loop(*a_args, 1.0, 3.0),
                         pd.activity_classes(*a_args, 1.0, 3.0), strict=True):
        np.testing.assert_array_equal(got, want)
    strength = rng.random((300, C))
    pair = pd.state_pairs(ends, owner, 5)
    np.testing.assert_array_equal(pd.state_pair_strength_python_loop(pair, strength, 5),
                                  pd.state_pair_strength(pair, strength, 5))
    np.testing.assert_array_equal(pd.formation_uniforms_python_loop(12345, 300),
                                  pd.formation_uniforms(12345, 300))
    empty = pd.link_dynamics_python_loop(*random_dynamics_args(5, 0, 0.4, 2.0))
    assert empty[0].shape == (0, C) and all(a.shape == (0,) for a in empty[1:])


def test_results_do_not_depend_on_the_thread_count():
    args = random_dynamics_args(9, 5000, 0.3, 2.0)
    a_args = random_activity_args(9, 5000, 700)
    rng, ends, owner = random_links(9, 5000, 700, 12)
    pair, strength = pd.state_pairs(ends, owner, 12), rng.random((5000, C))

    def run():
        return (pd.link_dynamics(*args), pd.activity_classes(*a_args, 1.0, 3.0),
                (pd.state_pair_strength(pair, strength, 12), pd.formation_uniforms(77, 5000)))

    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = run()
    finally:
        numba.set_num_threads(threads)
    parallel = run()
    for one, many in zip(serial, parallel, strict=True):
        for a, b in zip(one, many, strict=True):
            np.testing.assert_array_equal(a, b)


def test_kernels_do_not_mutate_their_inputs():
    args = random_dynamics_args(3, 200, 0.4, 2.0)

    def flat(values):
        out = []
        for a in values:
            out.extend(flat(a) if isinstance(a, tuple) else [np.copy(a)])
        return out

    before = flat(args)
    pd.link_dynamics(*args)
    for a, b in zip(flat(args), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kernel",
    [pd.link_dynamics, pd.link_dynamics_reference, pd.link_dynamics_python_loop],
    ids=["numba", "numpy", "loop"],
)
def test_out_arrays_receive_the_results_and_nothing_else_changes(kernel):
    args = random_dynamics_args(11, 300, 0.3, 2.0)
    want = kernel(*args)
    out = (np.full((300, C), np.nan), np.full(300, np.nan))
    got = kernel(*args, out=out)
    assert got[0] is out[0] and got[1] is out[1]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    strength = args[0]
    for bad in ((strength[:, ::-1], out[1]), (out[0], out[0][:, 0].copy()[:-1]),
                (np.zeros((300, C), dtype=np.float32), out[1]), (out[0], out[0][:, 1]),
                (out[0], strength[:, 2])):
        with pytest.raises(ValueError):
            kernel(*args, out=bad)


@pytest.mark.parametrize(
    "kernel",
    [pd.link_dynamics, pd.link_dynamics_reference, pd.link_dynamics_python_loop],
    ids=["numba", "numpy", "loop"],
)
def test_the_strengths_can_be_updated_in_place(kernel):
    """`out=(strength, totals)` updates the strengths in place, to the same results, whether
    dormant links form or not."""
    formed = stayed_dormant = 0
    for seed in range(12, 16):
        args = random_dynamics_args(seed, 300, 0.6, 2.0)
        dormant = ~args[0].any(axis=1)
        want = kernel(*args)
        strength = np.array(args[0])
        total = np.full(300, np.nan)
        got = kernel(strength, *args[1:], out=(strength, total))
        assert got[0] is strength and got[1] is total
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        formed += np.count_nonzero(got[2])
        stayed_dormant += np.count_nonzero(dormant & ~got[2])
    assert formed > 0 and stayed_dormant > 0


# ---------------------------------------------------------------- defaults


def test_channels_and_features_are_in_the_documented_order():
    assert pd.CHANNELS == CHANNELS
    assert pd.FEATURES[0] == "constant" and len(pd.FEATURES) == K == 7
    assert BETA.shape == (C, K) and GAMMA.shape == (K,)
    assert sorted(pd.STATIC_FEATURES + (pd.RELATIONS, pd.SANCTION)) == list(range(K))


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


# ---------------------------------------------------------------- layout and features


def test_link_slots_list_each_links_potential_channels_in_order():
    owner = np.array([0, 1, 2, 0, 1], dtype=np.int32)
    ends = np.array([[3, 4], [2, 3], [3, 0], [4, 1]], dtype=np.int32)
    potential = np.array([0b10011, 0b11100100, 0, 0b11111], dtype=np.uint8)  # bits ≥ C ignored
    slots = pd.link_slots(potential, ends, owner, 3)
    np.testing.assert_array_equal(slots.potential, [0b10011, 0b00100, 0, 0b11111])
    np.testing.assert_array_equal(slots.start, [0, 3, 4, 4, 9])
    np.testing.assert_array_equal(slots.channel, [0, 1, 4, 2, 0, 1, 2, 3, 4])
    # Unordered state pairs min·S + max: (0, 1), (2, 0) → (0, 2), (0, 0), (1, 1).
    np.testing.assert_array_equal(slots.link_pair, [1, 2, 0, 4])
    assert slots.n_states == 3
    empty = pd.link_slots(np.zeros(0, dtype=np.uint8), np.zeros((0, 2), np.int32), owner, 3)
    assert empty.start.tolist() == [0] and len(empty.channel) == len(empty.link_pair) == 0


@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 300))
@example(seed=0, e=0)
def test_static_drives_numba_agrees_with_numpy_to_the_bit(seed, e):
    rng, ends, owner = random_links(seed, e, 20, 5)
    features = [rng.random(e) * rng.choice([0.0, 1.0, 50.0]) for _ in range(4)]
    beta, gamma = rng.normal(0, 2, (C, K)), rng.normal(0, 2, K)
    slots = pd.link_slots(rng.integers(0, 256, e).astype(np.uint8), ends, owner, 5)
    got = pd.static_drives(slots, *features, beta, gamma)
    want = pd.static_drives_reference(slots, *features, beta, gamma)
    for a, b in zip(got, want, strict=True):
        assert a.shape == b.shape and a.dtype == np.float64
        np.testing.assert_array_equal(a, b)
    assert got[0].shape == (slots.start[-1],) and got[1].shape == (e,)


@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 300), n_channels=st.integers(1, 8))
@example(seed=0, e=0, n_channels=5)
def test_slot_layout_is_the_bit_masks_true_cells_in_row_major_order(seed, e, n_channels):
    rng, ends, owner = random_links(seed, e, 20, 5)
    potential = rng.integers(0, 256, e).astype(np.uint8)
    slots = pd.link_slots(potential, ends, owner, 5, n_channels)
    mask = ((potential.astype(np.int64)[:, None] >> np.arange(n_channels)) & 1).astype(bool)
    assert slots.start.tolist() == [0, *np.cumsum(mask.sum(axis=1)).tolist()]
    assert slots.channel.dtype == np.int8
    assert slots.channel.tolist() == np.nonzero(mask)[1].tolist()
    assert slots.potential.tolist() == (potential & ((1 << n_channels) - 1)).tolist()


def test_static_drives_plus_the_daily_part_is_beta_dot_x():
    """β_c · x and γ · x, split into the part fixed for a run and relations and sanction."""
    rng, ends, owner = random_links(6, 400, 50, 7)
    relations, sanction = rng.uniform(-1, 1, (7, 7)), rng.random((7, 7))
    comp, prox, dias, sim = (rng.random(400) for _ in range(4))
    beta, gamma = rng.normal(0, 2, (C, K)), rng.normal(0, 2, K)
    potential = rng.integers(0, 32, 400).astype(np.uint8)
    slots = pd.link_slots(potential, ends, owner, 7)
    drive_static, formation_static = pd.static_drives(slots, comp, prox, dias, sim, beta, gamma)
    sa, sb = owner[ends[:, 0]], owner[ends[:, 1]]
    x = np.column_stack([np.ones(400), comp, prox,
                         0.5 * (relations[sa, sb] + relations[sb, sa]),
                         np.maximum(sanction[sa, sb], sanction[sb, sa]), dias, sim])
    link = np.repeat(np.arange(400), np.diff(slots.start))
    c = slots.channel
    z = drive_static + beta[c, pd.RELATIONS] * x[link, 3] + beta[c, pd.SANCTION] * x[link, 4]
    np.testing.assert_allclose(z, np.einsum("jk,jk->j", beta[c], x[link]), rtol=1e-12,
                               atol=1e-12)
    odds = formation_static + gamma[pd.RELATIONS] * x[:, 3] + gamma[pd.SANCTION] * x[:, 4]
    np.testing.assert_allclose(odds, x @ gamma, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "kernel",
    [pd.link_dynamics, pd.link_dynamics_reference, pd.link_dynamics_python_loop],
    ids=["numba", "numpy", "loop"],
)
def test_links_average_relations_and_take_the_larger_sanction(kernel):
    """One step against the closed form with x = (1, complementarity, proximity,
    (R_ab + R_ba)/2, max(S_ab, S_ba), diaspora, similarity), a, b the owning states."""
    owner = np.array([0, 1, 2, 0, 1], dtype=np.int32)  # actors 3, 4 belong to states 0, 1
    relations = np.array([[1.0, 0.2, -0.4], [0.6, 1.0, 0.0], [-1.0, 0.3, 1.0]])
    sanction = np.array([[0.0, 0.0, 0.9], [0.5, 0.0, 0.0], [0.1, 0.0, 0.0]])
    ends = np.array([[3, 4], [2, 3], [3, 0], [4, 3], [0, 2], [1, 0]], dtype=np.int32)
    comp, prox = np.array([0.1, 0.2, 0.3, 0.1, 0.2, 0.3]), np.array([0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    dias, sim = np.array([0.7, 0.8, 0.9, 0.0, 0.5, 1.0]), np.array([0.05, 0.15, 0.25, 1, 0, 0.5])
    x = np.column_stack([np.ones(6), comp, prox, [0.4, -0.7, 1.0, 0.4, -0.7, 0.4],
                         [0.5, 0.9, 0.0, 0.5, 0.9, 0.5], dias, sim])
    potential = np.full(6, ALL)
    strength = np.full((6, C), 0.5)
    strength[3:] = 0.0  # three dormant links, which form for sure
    slots = pd.link_slots(potential, ends, owner, 3)
    drive_static, formation_static = pd.static_drives(slots, comp, prox, dias, sim, BETA, GAMMA)
    for rate, dt in ((D["formation_rate"], 0.7), (CERTAIN, 0.7)):
        new, _, formed, dissolved = kernel(
            strength, slots, relations, sanction, drive_static, formation_static, BETA, GAMMA,
            rate, np.full(C, D["growth"]), np.full(C, D["decay"]), D["start_strength"],
            D["dissolve_below"], 99, dt)
        drive = 1.0 / (1.0 + np.exp(-(x[:3] @ BETA.T)))
        speed = D["growth"] * drive + D["decay"]
        target = D["growth"] * drive / speed
        np.testing.assert_allclose(new[:3], target + (0.5 - target) * np.exp(-speed * dt),
                                   rtol=1e-13)
        hazard = hazard_of(x[3:], rate, dt)
        u = pd.formation_uniforms(99, 6)[3:]
        np.testing.assert_array_equal(formed[3:], u < hazard)
        assert not formed[:3].any() and not dissolved.any()
    assert formed[3:].all()  # at the certain rate


# ---------------------------------------------------------------- formation draws


@pytest.mark.parametrize("seed", [0, 1, 2**62 + 12345, SEED_MAX])
def test_formation_uniforms_are_uniform_on_the_unit_interval(seed):
    n = 1_000_000
    u = pd.formation_uniforms(seed, n)
    np.testing.assert_array_equal(u, pd.formation_uniforms_reference(seed, n))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=5 / np.sqrt(12 * n))  # 5 standard errors
    assert u.var() == pytest.approx(1 / 12, abs=1e-3)
    # Chi-square over 100 equal buckets (99 degrees of freedom; the 0.999 quantile is 148.2).
    counts = np.bincount((u * 100).astype(np.int64), minlength=100)
    assert ((counts - n / 100) ** 2 / (n / 100)).sum() < 148.2
    # The low bits are as even as the high ones (64 buckets; the 0.999 quantile of χ²(63)
    # is 103.4), and neighbouring links' draws are uncorrelated.
    low = np.bincount((u * 2.0**53).astype(np.int64) & 63, minlength=64)
    assert ((low - n / 64) ** 2 / (n / 64)).sum() < 103.4
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / np.sqrt(n)


def test_formation_uniforms_differ_between_seeds():
    n = 1_000_000
    a, b, c = (pd.formation_uniforms(s, n) for s in (7, 8, 2**40 + 7))
    for x, y in ((a, b), (a, c), (b, c)):
        assert np.count_nonzero(x == y) < 10
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 / np.sqrt(n)


def test_formation_uniforms_follow_splitmix64():
    """The first outputs of splitmix64 from state 0 (Vigna's reference sequence), top 53 bits."""
    first = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    np.testing.assert_array_equal(pd.formation_uniforms(0, 3), [(v >> 11) / 2.0**53 for v in first])


# ---------------------------------------------------------------- link dynamics


@pytest.mark.parametrize("kernel", [pd.link_dynamics, pd.link_dynamics_reference],
                         ids=["numba", "numpy"])
def test_better_relations_form_sooner_and_settle_stronger(kernel):
    n = 2000
    good, bad = features(n, relations=0.8), features(n, relations=-0.2)
    rng = np.random.default_rng(0)
    strength = {"good": np.zeros((n, C)), "bad": np.zeros((n, C))}
    first = {"good": np.full(n, np.inf), "bad": np.full(n, np.inf)}
    for t in range(400):  # yearly steps
        seed = int(rng.integers(SEED_MAX))  # the same draws for link i of either set
        for name, x in (("good", good), ("bad", bad)):
            strength[name], formed, _ = step(strength[name], np.full(n, ALL), x, seed,
                                             kernel=kernel, dt=1.0)
            first[name][formed & np.isinf(first[name])] = t
    # The same draw forms the better-related link no later, and on average much sooner
    # (hazards about 3% and 1.3% a year).
    assert np.all(first["good"] <= first["bad"])
    assert np.mean(np.minimum(first["good"], 400)) < 0.75 * np.mean(np.minimum(first["bad"], 400))
    settled = settle(np.vstack([features(relations=0.8), features(relations=-0.2)]),
                     kernel=kernel)
    assert np.all(settled[0] > settled[1] + 0.01)


def test_sanction_cushions_the_economic_channel_but_not_the_cultural_one():
    """Paper 004: after the 2017 sanctions regional paradiplomacy cushioned trade."""
    calm, sanctioned = settle(np.vstack([features(sanction=0.0), features(sanction=1.0)]))
    assert sanctioned[ECO] > calm[ECO] + 0.01
    assert sanctioned[CUL] <= calm[CUL]
    assert np.all(sanctioned[1:] <= calm[1:])
    # And a sanction raises the odds that a dormant economic link forms: with a draw between
    # the two hazards, the sanctioned link forms and the calm one does not.
    rate, dt = 2.0, 1.0
    low = float(hazard_of(features(sanction=0.0), rate, dt)[0])
    high = float(hazard_of(features(sanction=1.0), rate, dt)[0])
    seed = next(s for s in range(10_000) if low < pd.formation_uniforms(s, 1)[0] < high)
    formed = [step(np.zeros((1, C)), [1], features(sanction=q), seed, formation_rate=rate,
                   dt=dt)[1][0] for q in (0.0, 1.0)]
    assert formed == [False, True]


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


@pytest.mark.parametrize(
    "kernel",
    [pd.link_dynamics, pd.link_dynamics_reference, pd.link_dynamics_python_loop],
    ids=["numba", "numpy", "loop"],
)
def test_a_channel_with_no_growth_and_no_decay_keeps_its_strength(kernel):
    x = features(2)
    slots, relations, sanction, drive_static, formation_static = world_of(x, [ALL, ALL])
    s = np.array([[0.3, 0.7, 0.0, 1.0, 0.45], [0.2, 0.0, 0.0, 0.0, 0.0]])
    growth, decay = np.array([0.0, 0.0, 1.0, 0.0, 2.0]), np.array([0.0, 0.0, 0.5, 0.0, 0.0])
    new, total, _, _ = kernel(s, slots, relations, sanction, drive_static, formation_static,
                              BETA, GAMMA, 0.0, growth, decay, 0.25, 0.0, 0, 0.5)
    np.testing.assert_array_equal(new[:, [0, 1, 3]], s[:, [0, 1, 3]])
    assert new[0, 2] > 0.0 and new[0, 4] > s[0, 4]
    np.testing.assert_array_equal(total, pd.link_totals(new))


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
    for t in range(100):
        s, formed, dissolved = step(s, potential, x, seed=t, beta=beta)
        assert not formed.any() and not dissolved[1]
        history.append((s.copy(), dissolved.copy()))
        if dissolved[0]:
            break
    assert dissolved[0], "a link whose drive collapsed did not dissolve"
    assert np.all(s[0] == 0.0) and s[1, CUL] > 0.5
    # Before, the link stayed above the threshold; the step before it went below, it did not.
    assert all(h[0][0].sum() >= D["dissolve_below"] for h in history[:-1])
    # Now it is dormant: it neither dissolves again nor grows back, unless it forms anew.
    s2, formed, dissolved = step(s, potential, x, beta=beta, formation_rate=0.0)
    assert not dissolved[0] and not formed[0] and np.all(s2[0] == 0.0)
    s3, formed, _ = step(s, potential, x, beta=beta, formation_rate=CERTAIN)
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
    for t in range(100):
        s, _, dissolved = step(s, potential, x, seed=t, formation_rate=0.0)
        gone |= dissolved
    assert list(gone) == [True, True, False, False]
    assert s[2, ECO] > 0.3 and s[3, CUL] > D["dissolve_below"]


@pytest.mark.parametrize(
    "kernel",
    [pd.link_dynamics, pd.link_dynamics_reference, pd.link_dynamics_python_loop],
    ids=["numba", "numpy", "loop"],
)
def test_zero_hazard_forms_nothing_certain_hazard_forms_every_dormant_candidate(kernel):
    rng = np.random.default_rng(4)
    e = 500
    strength = np.zeros((e, C))
    strength[:100] = rng.random((100, C))  # active
    potential = rng.integers(0, 32, e).astype(np.uint8)
    potential[100:110] = 0  # dormant, no channel to carry: cannot form
    potential[110:120] = 0b11100000  # bits beyond the channels do not count
    x = np.column_stack([np.ones(e), rng.random((e, 6))])
    dormant = np.arange(e) >= 100
    # With a zero formation rate the hazard is 0: nothing forms, whatever the draws.
    for seed in (0, 1, SEED_MAX):
        _, formed, _ = step(strength, potential, x, seed, kernel=kernel, formation_rate=0.0)
        assert not formed.any()
    # With a hazard of 1 every dormant link with a channel to carry forms (u < 1 always).
    new, formed, _ = step(strength, potential, x, 5, kernel=kernel, formation_rate=CERTAIN)
    can = dormant & ((potential & ALL) != 0)
    np.testing.assert_array_equal(formed, can)
    bits = ((potential[:, None] >> np.arange(C)) & 1).astype(bool)
    np.testing.assert_array_equal(new[formed], np.where(bits[formed], D["start_strength"], 0.0))


def test_formation_follows_the_hazard_exactly():
    rng = np.random.default_rng(8)
    e, s = 20_000, 150
    owner = np.arange(s, dtype=np.int32)
    ends = rng.integers(0, s, (e, 2)).astype(np.int32)
    relations, sanction = rng.uniform(-1, 1, (s, s)), rng.random((s, s))
    comp, prox, dias, sim = (rng.random(e) for _ in range(4))
    slots = pd.link_slots(np.full(e, ALL), ends, owner, s)
    drive_static, formation_static = pd.static_drives(slots, comp, prox, dias, sim, BETA, GAMMA)
    sa, sb = ends[:, 0], ends[:, 1]
    x = np.column_stack([np.ones(e), comp, prox, 0.5 * (relations[sa, sb] + relations[sb, sa]),
                         np.maximum(sanction[sa, sb], sanction[sb, sa]), dias, sim])
    for seed in (3, 2**50 + 3):
        _, _, formed, _ = pd.link_dynamics(
            np.zeros((e, C)), slots, relations, sanction, drive_static, formation_static, BETA,
            GAMMA, D["formation_rate"], np.full(C, D["growth"]), np.full(C, D["decay"]),
            D["start_strength"], D["dissolve_below"], seed, 2.0)
        hazard = hazard_of(x, dt=2.0)
        u = pd.formation_uniforms(seed, e)
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
    total, activity = kernel(np.array(ends, dtype=np.int32), pd.link_totals(np.array(strength)),
                             9, episodic, leading)
    np.testing.assert_array_equal(total[:7], [0.0, 0.0, 0.75, 1.0, 2.25, 2.5, 4.0])
    np.testing.assert_array_equal(activity[:7], [0, 0, 1, 2, 2, 3, 3])
    # A link counts at both ends: actor 7 holds all of them; actor 8 has none.
    assert total[7] == sum(totals.values()) and activity[7] == pd.LEADING
    assert total[8] == 0.0 and activity[8] == pd.INACTIVE
    assert total.dtype == np.float64 and activity.dtype == np.int8
    # A link of an actor with itself counts at both its ends.
    total, _ = kernel(np.array([[3, 3], [3, 4]], dtype=np.int32), np.array([0.5, 0.25]), 5,
                      episodic, leading)
    np.testing.assert_array_equal(total, [0.0, 0.0, 0.0, 1.25, 0.25])


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
    strength = np.zeros((6, C))
    strength[:, ECO], strength[:, LOC] = w, 2 * w  # each channel summed on its own
    pair = kernel(pd.state_pairs(ends, owner, 3), strength, 3)
    expected = np.zeros((3, 3))
    expected[0, 1] = expected[1, 0] = 0.75  # both orientations of a 0–1 link add up
    expected[1, 2] = expected[2, 1] = 0.125
    expected[0, 2] = expected[2, 0] = 1.0
    assert pair.shape == (C, 3, 3)
    np.testing.assert_array_equal(pair[ECO], expected)  # links within state 0 are left out
    np.testing.assert_array_equal(pair[LOC], 2 * expected)
    assert np.all(pair[[CUL, ENV, EMG]] == 0.0)
    np.testing.assert_array_equal(pair, pair.transpose(0, 2, 1))
    assert np.all(np.diagonal(pair, axis1=1, axis2=2) == 0.0)
    # A state with no cross-border links has a zero row.
    assert np.all(kernel(pd.state_pairs(ends, owner, 4), strength, 4)[:, 3] == 0.0)


# ---------------------------------------------------------------- the mechanism's glue


@pytest.fixture(scope="module")
def small_model():
    return GeoModel(scenario=from_spec(world_spec(6, 600)), rng=3)


def test_update_sets_the_read_off_quantities_from_the_links(small_model):
    model = small_model
    world, geometry = model.world, model.link_geometry
    links, actors = world.links, world.actors
    links.strength[::5] = 0.0  # some dormant candidates
    for seed in range(4):
        formed, dissolved = mech.update(world, model.params.paradiplomacy, geometry,
                                        model.kernels, seed, model.dt)
        assert isinstance(formed, int) and isinstance(dissolved, int)
        assert geometry.active_links == np.count_nonzero(links.strength.any(axis=1))
        link_total = links.strength.sum(axis=1)
        np.testing.assert_allclose(
            actors.link_strength,
            np.bincount(np.repeat(np.arange(world.n_actors), np.diff(links.indptr)),
                        weights=link_total[links.edge], minlength=world.n_actors),
            rtol=1e-12)
        sa, sb = actors.state[links.ends[:, 0]], actors.state[links.ends[:, 1]]
        across = sa != sb
        for c in range(C):
            want = np.zeros((world.n_states, world.n_states))
            np.add.at(want, (sa[across], sb[across]), links.strength[across, c])
            np.add.at(want, (sb[across], sa[across]), links.strength[across, c])
            np.testing.assert_allclose(world.pairs.link_channels[c], want, rtol=1e-12)
    before = (actors.link_strength.copy(), actors.activity.copy(),
              world.pairs.link_channels.copy())
    mech.read_off(world, model.params.paradiplomacy, model.kernels)
    for a, b in zip(before, (actors.link_strength, actors.activity, world.pairs.link_channels),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_update_gives_the_same_step_with_either_backend():
    results = []
    for backend in ("numba", "numpy"):
        model = GeoModel(scenario=from_spec(world_spec(6, 600)), rng=5, backend=backend)
        model.world.links.strength[::4] = 0.0
        counts = mech.update(model.world, model.params.paradiplomacy, model.link_geometry,
                             BACKENDS[backend], 2**40 + 1, 1.0)
        results.append((counts, model.world.links.strength, model.world.pairs.link_channels,
                        model.world.actors.activity))
    (c_nb, s_nb, p_nb, a_nb), (c_np, s_np, p_np, a_np) = results
    assert c_nb == c_np and c_nb[0] > 0
    np.testing.assert_allclose(s_nb, s_np, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p_nb, p_np, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(a_nb, a_np)


def test_update_reuses_only_arrays_nobody_else_holds():
    model = GeoModel(scenario=from_spec(world_spec(6, 600)), rng=7)
    world, params, geometry = model.world, model.params.paradiplomacy, model.link_geometry
    links = world.links

    def update(seed):
        return mech.update(world, params, geometry, model.kernels, seed, model.dt)

    update(0)
    # From the second update on, the strengths are updated in place and the last step's link
    # totals take the new ones.
    strength_id, total_id = id(links.strength), id(geometry.link_total)
    update(1)
    assert id(links.strength) == strength_id and id(geometry.link_total) == total_id
    # A caller that keeps the strengths (or a view of them) keeps them as they were.
    kept, view = links.strength, links.strength[:10]
    kept_copy = kept.copy()
    for seed in range(2, 7):
        update(seed)
        assert links.strength is not kept
    np.testing.assert_array_equal(kept, kept_copy)
    np.testing.assert_array_equal(view, kept_copy[:10])
    # In place or not, the step is the same: a geometry without last step's totals, whose
    # update allocates every time, agrees.
    fresh = GeoModel(scenario=from_spec(world_spec(6, 600)), rng=7)
    for seed in range(7):
        mech.update(fresh.world, fresh.params.paradiplomacy, fresh.link_geometry, fresh.kernels,
                    seed, fresh.dt)
        fresh.link_geometry.link_total = None
    np.testing.assert_array_equal(fresh.world.links.strength, links.strength)
    np.testing.assert_array_equal(fresh.world.pairs.link_channels, world.pairs.link_channels)


def test_read_off_with_the_geometry_recounts_active_links(small_model):
    model = small_model
    world, geometry = model.world, model.link_geometry
    saved = world.links.strength.copy()
    try:
        world.links.strength[: len(saved) // 2] = 0.0
        mech.read_off(world, model.params.paradiplomacy, model.kernels, geometry)
        assert geometry.active_links == np.count_nonzero(world.links.strength.any(axis=1))
    finally:
        world.links.strength[:] = saved
        mech.read_off(world, model.params.paradiplomacy, model.kernels, geometry)


def test_changed_coefficients_reach_the_cached_static_drives(small_model):
    model = small_model
    params, geometry = model.params.paradiplomacy, model.link_geometry
    old = params.constant_cultural
    try:
        params.constant_cultural = old + 1.0
        mech.update(model.world, params, geometry, model.kernels, 1, model.dt)
        drive, formation = mech.coefficients(params)
        np.testing.assert_array_equal(geometry.drive_coef, drive)
        complementarity, proximity, similarity = mech.link_features(
            model.world, geometry.per_head, geometry.proximity_km)
        want, _ = pd.static_drives(geometry.slots, complementarity, proximity,
                                   model.world.links.diaspora, similarity, drive, formation)
        np.testing.assert_array_equal(geometry.drive_static, want)
    finally:
        params.constant_cultural = old


# ---------------------------------------------------------------- attention: partner effort


def star(pay, budget, temperature=0.5):
    """Actor 0 linked to n leaves that give each link full effort: the efforts are actor 0's
    shares of its budget."""
    n = len(pay)
    ends = np.column_stack([np.zeros(n), np.arange(1, n + 1)]).astype(np.int64)
    budgets = np.full(n + 1, float(n + 1))
    budgets[0] = budget
    return pd.partner_effort(pd.actor_links(ends, n + 1), np.asarray(pay, dtype=np.float64),
                             budgets, temperature)


@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 200), n_actors=st.integers(1, 30))
def test_actor_links_group_each_actors_links_in_link_order(seed, e, n_actors):
    """The counting sort behind `actor_links` is numpy's stable argsort of the link ends, and
    each actor's entries are the ends (2·link + side) it holds, in link order."""
    ends = np.random.default_rng(seed).integers(0, n_actors, (e, 2))
    links = pd.actor_links(ends, n_actors)
    np.testing.assert_array_equal(links.end, np.argsort(ends.ravel(), kind="stable"))
    for r in range(n_actors):
        mine = links.end[links.start[r]:links.start[r + 1]]
        assert mine.tolist() == [2 * k + side for k in range(e) for side in (0, 1)
                                 if ends[k, side] == r]
        assert links.degree[r] == len(mine)


def random_attention_args(seed, e, n_actors):
    rng = np.random.default_rng(seed)
    ends = rng.integers(0, n_actors, (e, 2))
    pay = rng.normal(0.0, rng.uniform(0.1, 4.0), e)
    pay[rng.random(e) < 0.2] = 0.0  # ties
    budget = rng.uniform(0.0, 6.0, n_actors) * (rng.random(n_actors) < 0.9)
    return pd.actor_links(ends, n_actors), pay, budget, float(rng.uniform(0.05, 3.0))


@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 120), n_actors=st.integers(1, 25))
@example(seed=0, e=0, n_actors=1)
@example(seed=1, e=1, n_actors=1)  # a link from an actor to itself
def test_partner_effort_numba_agrees_with_numpy(seed, e, n_actors):
    args = random_attention_args(seed, e, n_actors)
    got, want = pd.partner_effort(*args), pd.partner_effort_reference(*args)
    assert got.shape == want.shape == (e,) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.all((got >= 0.0) & (got <= 1.0))


@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(1, 120), n_actors=st.integers(2, 25))
def test_each_actor_spends_its_budget_and_a_link_gets_its_weaker_ends_effort(seed, e, n_actors):
    """Water-filling: an actor's shares add up to its budget (or to one per link if it has
    fewer links than that), none exceeds one, and they rise with pay; a link's effort is the
    smaller of its two ends' shares."""
    links, pay, budget, temperature = random_attention_args(seed, e, n_actors)
    share_of = {}
    for r in range(n_actors):
        mine = links.end[links.start[r]:links.start[r + 1]] // 2
        if not len(mine):
            continue
        # Actor r alone, its partners' attention unlimited.
        ends = np.column_stack([np.zeros(len(mine)), np.arange(1, len(mine) + 1)])
        budgets = np.full(len(mine) + 1, np.inf)
        budgets[0] = budget[r]
        share = pd.partner_effort(pd.actor_links(ends, len(mine) + 1), pay[mine], budgets,
                                  temperature)
        assert share.sum() == pytest.approx(min(budget[r], len(mine)), rel=1e-9, abs=1e-12)
        assert np.all(share <= 1.0)
        order = np.argsort(pay[mine], kind="stable")
        assert np.all(np.diff(share[order]) >= -1e-12)
        share_of.update({(r, int(k)): v for k, v in zip(mine, share, strict=True)})
    effort = pd.partner_effort(links, pay, budget, temperature)
    for k in range(e):
        a, b = links.ends[k]
        assert effort[k] == pytest.approx(min(share_of[(a, k)], share_of[(b, k)]), rel=1e-9,
                                          abs=1e-12)


def test_effort_follows_pay_and_the_temperature():
    """Six candidates, two links' worth of attention: equal pay shares it equally; a cold actor
    gives its two best almost all of it; an actor with room for every link gives each its all."""
    np.testing.assert_allclose(star(np.zeros(6), 2.0), np.full(6, 2.0 / 6.0), rtol=1e-12)
    pay = np.array([0.0, 1.0, 3.0, 0.5, 2.5, -1.0])
    cold = star(pay, 2.0, temperature=0.05)
    np.testing.assert_allclose(cold[[2, 4]], 1.0, rtol=1e-12)
    assert cold[[0, 1, 3, 5]].max() < 1e-6
    warm = star(pay, 2.0, temperature=3.0)
    assert np.all(np.diff(warm[np.argsort(pay)]) > 0.0) and warm.max() < 1.0
    np.testing.assert_array_equal(star(pay, 6.0), np.ones(6))
    np.testing.assert_array_equal(star(pay, 0.0), np.zeros(6))
    # A link the actor's partner cannot attend to gets the partner's share, not the actor's.
    ends = np.array([[0, 1], [0, 2]])
    effort = pd.partner_effort(pd.actor_links(ends, 3), np.zeros(2), np.array([2.0, 0.3, 5.0]),
                               0.5)
    np.testing.assert_array_equal(effort, [0.3, 1.0])


def test_effort_scales_growth_and_formation_and_full_effort_changes_nothing():
    """a_e = 1 is every candidate on its own, to the bit; a_e = 0 neither forms nor grows (the
    link only decays); in between, the link settles lower and forms at a lower hazard."""
    args = random_dynamics_args(11, 60, 0.4, 1.0)
    e = len(args[0])
    on_its_own = pd.link_dynamics(*args)
    for kernel in (pd.link_dynamics, pd.link_dynamics_reference, pd.link_dynamics_python_loop):
        full = kernel(*args, np.ones(e))
        for got, want in zip(full, kernel(*args), strict=True):
            np.testing.assert_array_equal(got, want)
    assert_dynamics_agree(pd.link_dynamics(*args, np.ones(e)), on_its_own)
    effort = np.random.default_rng(3).random(e)
    assert_dynamics_agree(pd.link_dynamics(*args, effort),
                          pd.link_dynamics_reference(*args, effort))
    new, _, _, _ = pd.link_dynamics_python_loop(*args, effort)
    np.testing.assert_allclose(new, pd.link_dynamics(*args, effort)[0], rtol=1e-12, atol=1e-15)

    x = features(relations=0.5)
    half = settle(x, effort=0.5)
    whole = settle(x)
    assert np.all(half < whole)
    drive = 1.0 / (1.0 + np.exp(-(x @ BETA.T)))
    gd = 0.5 * D["growth"] * drive
    np.testing.assert_allclose(half, gd / (gd + D["decay"]), rtol=1e-9)
    dormant = np.zeros((1, C))
    _, formed, _ = step(dormant, ALL, x, formation_rate=CERTAIN, effort=0.0)
    assert not formed.any()
    s = np.full((1, C), 0.6)
    decayed, _, _ = step(s, ALL, x, effort=0.0)
    np.testing.assert_allclose(decayed, 0.6 * np.exp(-D["decay"] * DT), rtol=1e-12)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), e=st.integers(0, 80))
def test_link_promise_numba_agrees_with_numpy(seed, e):
    """π = γ · x as `link_dynamics` computes the formation odds, plus the commitment on active
    links: a dormant link promises exactly its formation odds."""
    args = random_dynamics_args(seed, e, 0.5, 1.0)
    strength, slots, relations, sanction, _, formation_static, _, gamma = args[:8]
    total = pd.link_totals(strength)
    promise = (slots.link_pair, relations, sanction, formation_static, gamma, total, 1.7)
    got, want = pd.link_promise(*promise), pd.link_promise_reference(*promise)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    bare = pd.link_promise(*promise[:-1], 0.0)
    active = total > 0.0
    np.testing.assert_allclose(got[active], bare[active] + 1.7, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got[~active], bare[~active])
    rel = 0.5 * (relations + relations.T)
    san = np.maximum(sanction, sanction.T)
    a, b = np.divmod(slots.link_pair, slots.n_states)
    odds = formation_static + gamma[pd.RELATIONS] * rel[a, b] + gamma[pd.SANCTION] * san[a, b]
    np.testing.assert_allclose(bare, odds, rtol=1e-12, atol=1e-12)


def test_small_inputs_run_on_one_thread_and_large_ones_on_the_pool():
    """`serial_below` runs a block on one thread below its threshold and restores the pool
    after it, even when the block raises; at or above it the pool is left as it is."""
    pool = numba.get_num_threads()
    with serial_below(99, 100):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == pool
    with pytest.raises(RuntimeError), serial_below(5, 100):
        raise RuntimeError
    assert numba.get_num_threads() == pool
    with serial_below(100, 100):
        assert numba.get_num_threads() == pool


def test_the_paradiplomacy_phase_is_the_same_on_one_thread_as_on_the_pool():
    """The phase's thread policy changes speed, not results: a world above the threshold,
    stepped with the pool and with one thread, gives the same links and classes."""
    def run(threads: int):
        pool = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            model = GeoModel(scenario=from_spec(world_spec(20, 3000)), rng=4)
            assert len(model.world.links.ends) >= LINKS_PARALLEL_FROM
            for _ in range(3):
                model.step()
            return model.world.links.strength.copy(), model.world.actors.activity.copy()
        finally:
            numba.set_num_threads(pool)

    for one, pool in zip(run(1), run(numba.config.NUMBA_NUM_THREADS), strict=True):
        np.testing.assert_array_equal(one, pool)
