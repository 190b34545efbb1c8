"""Relations between states and trade interdependence: kernels against references, and the
behaviour of the mechanism (docs/model.md, "Relations"). Blocs: tests/test_blocs.py.

Each channel must move relations in its direction, relations must relax to their baseline at the
documented rate and stay in [−1, 1], symmetric, with a unit diagonal; the returned channel terms
must account for the change; the regions' "political plus" must matter most when relations are
bad (paper 002).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.kernels.cities import summit_ties
from sim.kernels.relations import (
    CHANNELS,
    interdependence,
    interdependence_python_loop,
    interdependence_reference,
    relations_update,
    relations_update_python_loop,
    relations_update_reference,
)

# The defaults proposed in docs/model.md (all guesses).
DRIFT = 0.23
WEIGHTS = np.array([0.05, 0.2, 0.01, 0.05, 0.2])
QUARTER = 0.25

UPDATES = pytest.mark.parametrize(
    "update",
    [relations_update, relations_update_reference, relations_update_python_loop],
    ids=["numba", "numpy", "python"],
)
INTERDEPENDENCE = pytest.mark.parametrize(
    "dependence",
    [interdependence, interdependence_reference, interdependence_python_loop],
    ids=["numba", "numpy", "python"],
)


def random_inputs(seed: int, n: int, push: float):
    """Arbitrary (not symmetric) inputs: relations and baseline in [−1, 1], channels in their
    ranges, sanctions with many zeros, weights up to `push` per year."""
    rng = np.random.default_rng(seed)
    return {
        "relations": rng.uniform(-1.0, 1.0, (n, n)),
        "baseline": rng.uniform(-1.0, 1.0, (n, n)),
        "drift": float(rng.uniform(0.0, 1.0)),
        "attraction": rng.uniform(0.0, 1.0, (n, n)),
        "interdependence": rng.uniform(0.0, 1.0, (n, n)),
        "summits": rng.exponential(2.0, (n, n)),
        "political_plus": rng.exponential(1.0, (n, n)),
        "sanction": np.where(rng.uniform(size=(n, n)) < 0.7, 0.0, rng.uniform(0.0, 1.0, (n, n))),
        "weights": rng.uniform(0.0, push, 5),
        "dt": float(rng.uniform(0.0, 1.0)),
    }


def quiet(n: int, relations=0.0, baseline=None, drift=0.0, weights=None, dt=QUARTER, **channels):
    """Inputs with every channel off unless given; relations and baseline constant or given."""
    zeros = np.zeros((n, n))
    rel = np.full((n, n), relations) if np.isscalar(relations) else np.asarray(relations, float)
    rel = rel.copy()
    np.fill_diagonal(rel, 1.0)
    base = rel.copy() if baseline is None else np.asarray(baseline, float)
    args = {
        "relations": rel, "baseline": base, "drift": drift,
        "attraction": zeros, "interdependence": zeros, "summits": zeros,
        "political_plus": zeros, "sanction": zeros,
        "weights": WEIGHTS.copy() if weights is None else np.asarray(weights, float), "dt": dt,
    }
    args.update({k: np.asarray(v, float) for k, v in channels.items()})
    return args


def pair(n: int, i: int, j: int, value: float) -> np.ndarray:
    out = np.zeros((n, n))
    out[i, j] = out[j, i] = value
    return out


# ---------------------------------------------------------------- kernels against references


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 25), push=st.floats(0.0, 5.0))
@example(seed=0, n=0, push=1.0)
@example(seed=1, n=1, push=1.0)
@example(seed=2, n=2, push=5.0)
def test_relations_update_numba_numpy_and_python_agree(seed, n, push):
    args = random_inputs(seed, n, push)
    new_nb, terms_nb = relations_update(**args)
    new_np, terms_np = relations_update_reference(**args)
    new_py, terms_py = relations_update_python_loop(**args)
    assert new_nb.shape == (n, n) and terms_nb.shape == (5, n, n)
    assert new_nb.dtype == terms_nb.dtype == np.float64
    for new, terms in ((new_np, terms_np), (new_py, terms_py)):
        assert new.shape == (n, n) and terms.shape == (5, n, n)
        np.testing.assert_allclose(new_nb, new, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(terms_nb, terms, rtol=1e-12, atol=1e-15)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 25), openness=st.floats(0.0, 2.0))
@example(seed=0, n=0, openness=0.3)
@example(seed=1, n=1, openness=0.3)
@example(seed=2, n=2, openness=2.0)
def test_interdependence_numba_numpy_and_python_agree(seed, n, openness):
    rng = np.random.default_rng(seed)
    gdp = 10.0 ** rng.uniform(9.0, 13.0, n)
    gdp[rng.uniform(size=n) < 0.1] = 0.0  # some economies of size 0
    trade = openness * np.outer(gdp, gdp) / max(gdp.sum(), 1.0) * rng.uniform(0.0, 3.0, (n, n))
    out = interdependence(trade, gdp)
    assert out.shape == (n, n) and out.dtype == np.float64
    for other in (interdependence_reference, interdependence_python_loop):
        np.testing.assert_allclose(out, other(trade, gdp), rtol=1e-12, atol=0)


# ---------------------------------------------------------------- relations: channels


@UPDATES
def test_sanction_lowers_relations_and_its_term_is_negative(update):
    n = 3
    args = quiet(n, relations=0.3, sanction=np.array([[0, 1.0, 0], [0, 0, 0], [0, 0, 0]]))
    new, terms = update(**args)
    # A sanction one way (0 → 1) counts for the pair, both ways.
    assert new[0, 1] < 0.3 and new[1, 0] == new[0, 1]
    assert terms[4, 0, 1] == pytest.approx(-QUARTER * WEIGHTS[4], rel=1e-14)
    assert terms[4, 1, 0] == terms[4, 0, 1]
    # The other pairs are untouched.
    assert new[0, 2] == pytest.approx(0.3, abs=1e-15) and new[1, 2] == pytest.approx(0.3, abs=1e-15)
    # A harsher sanction lowers relations more.
    harsher, _ = update(**quiet(n, relations=0.3, sanction=pair(n, 0, 1, 1.0)))
    milder, _ = update(**quiet(n, relations=0.3, sanction=pair(n, 0, 1, 0.4)))
    assert harsher[0, 1] < milder[0, 1] < 0.3


@UPDATES
@pytest.mark.parametrize("channel", ["attraction", "interdependence", "summits"])
def test_attraction_interdependence_and_summits_raise_relations(update, channel):
    n = 4
    new, terms = update(**quiet(n, relations=-0.2, **{channel: pair(n, 1, 3, 0.8)}))
    k = CHANNELS.index(channel)
    assert new[1, 3] > -0.2 and new[3, 1] == new[1, 3]
    assert terms[k, 1, 3] == pytest.approx(QUARTER * WEIGHTS[k] * 0.8, rel=1e-14)
    others = [c for c in range(5) if c != k]
    assert np.all(terms[others] == 0.0)
    assert new[0, 2] == pytest.approx(-0.2, abs=1e-15)


@UPDATES
def test_attraction_one_way_is_averaged_over_the_pair(update):
    """Attraction is symmetrised as (A + Aᵀ)/2: one-sided attraction counts half."""
    n = 2
    one_way = np.array([[0.0, 1.0], [0.0, 0.0]])
    _, terms = update(**quiet(n, attraction=one_way))
    assert terms[0, 0, 1] == terms[0, 1, 0] == pytest.approx(QUARTER * WEIGHTS[0] * 0.5)


def test_summit_coattendance_raises_relations():
    """States that met at a summit end up on better terms than states that did not."""
    n = 4
    ties = np.zeros((n, n))
    came = np.array([True, True, True, False])
    relations = np.full((n, n), 0.1)
    np.fill_diagonal(relations, 1.0)
    baseline = relations.copy()
    for step in range(8):  # a yearly summit for two years, quarterly steps
        ties = summit_ties(ties, came if step % 4 == 0 else np.zeros(n, bool), 0.35, QUARTER)
        args = quiet(n, relations=relations, baseline=baseline, drift=DRIFT, summits=ties)
        relations, _ = relations_update(**args)
    assert relations[0, 1] > 0.1 and relations[1, 2] > 0.1
    assert relations[0, 3] == pytest.approx(0.1, abs=1e-12)  # 3 stayed at home
    assert relations[0, 1] > relations[0, 3]


# ---------------------------------------------------------------- relations: drift and bounds


@UPDATES
@pytest.mark.parametrize("dt", [QUARTER, 1.0 / 12.0])
def test_relations_relax_to_the_baseline_with_the_documented_half_life(update, dt):
    """Without pushes the gap to the baseline shrinks by (1 − δ·Δt) a step, a half-life of about
    ln 2 / δ years (3.0 years at the default δ = 0.23)."""
    n = 3
    baseline = np.array([[1.0, 0.5, -0.4], [0.5, 1.0, 0.0], [-0.4, 0.0, 1.0]])
    relations = np.array([[1.0, -0.5, 0.6], [-0.5, 1.0, 0.9], [0.6, 0.9, 1.0]])
    gap0 = relations - baseline
    half_life = math.log(2.0) / DRIFT
    halved_at = None
    for step in range(1, int(20 / dt)):
        relations, terms = update(**quiet(n, relations, baseline, drift=DRIFT, dt=dt))
        assert np.all(terms == 0.0)
        np.testing.assert_allclose(relations - baseline, gap0 * (1 - DRIFT * dt) ** step,
                                   rtol=1e-9, atol=1e-14)
        if halved_at is None and abs(relations[0, 1] - 0.5) <= 0.5 * abs(gap0[0, 1]):
            halved_at = step * dt
    assert halved_at == pytest.approx(half_life, abs=dt)
    np.testing.assert_allclose(relations, baseline, atol=0.02)  # after 20 years, nearly there


@UPDATES
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_relations_stay_bounded_symmetric_with_unit_diagonal(update, seed, n):
    """Even with pushes far stronger than the defaults, over many steps."""
    args = random_inputs(seed, n, push=20.0)
    for _ in range(10):
        new, terms = update(**args)
        assert np.all(new >= -1.0) and np.all(new <= 1.0)
        np.testing.assert_array_equal(new, new.T)
        np.testing.assert_array_equal(terms, terms.transpose(0, 2, 1))
        np.testing.assert_array_equal(np.diag(new), np.ones(n))
        assert np.all(terms[:, np.arange(n), np.arange(n)] == 0.0)
        assert np.all(terms[:4] >= 0.0) and np.all(terms[4] <= 0.0)
        args["relations"] = new


@UPDATES
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_channel_terms_and_drift_add_up_to_the_change(update, seed, n):
    """With no clipping, R' − R = Δt·δ·(B − R) + Σ_k term_k for every pair (R symmetrised)."""
    args = random_inputs(seed, n, push=0.05)
    args["relations"] = 0.5 * args["relations"]
    args["baseline"] = 0.5 * args["baseline"]
    args["summits"] = np.minimum(args["summits"], 5.0)
    args["political_plus"] = np.minimum(args["political_plus"], 5.0)
    new, terms = update(**args)
    r = (args["relations"] + args["relations"].T) / 2
    b = (args["baseline"] + args["baseline"].T) / 2
    drift_term = args["dt"] * args["drift"] * (b - r)
    off = ~np.eye(n, dtype=bool)
    assert np.all(np.abs(new[off]) < 1.0)  # no clipping happened
    np.testing.assert_allclose(new[off] - r[off], (drift_term + terms.sum(axis=0))[off],
                               rtol=1e-10, atol=1e-14)


@UPDATES
def test_clipped_relations_still_report_the_unclipped_terms(update):
    n = 2
    new, terms = update(**quiet(n, relations=0.95, weights=[10, 0, 0, 0, 0],
                                attraction=pair(n, 0, 1, 1.0), dt=1.0))
    assert new[0, 1] == 1.0
    assert terms[0, 0, 1] == pytest.approx(10.0)


@UPDATES
def test_weights_scale_their_own_channel_only(update):
    n = 3
    rng = np.random.default_rng(5)
    channels = {c: rng.uniform(0.0, 1.0, (n, n)) for c in CHANNELS}
    _, terms = update(**quiet(n, relations=-0.1, **channels))
    doubled = WEIGHTS.copy()
    doubled[2] *= 2.0
    _, terms2 = update(**quiet(n, relations=-0.1, weights=doubled, **channels))
    np.testing.assert_allclose(terms2[2], 2.0 * terms[2], rtol=1e-14)
    np.testing.assert_array_equal(terms2[[0, 1, 3, 4]], terms[[0, 1, 3, 4]])


# ---------------------------------------------------------------- relations: political plus


@UPDATES
def test_political_plus_matters_more_when_relations_are_bad(update):
    """Regions carry political messages when state channels are blocked (paper 002): the term is
    scaled by (1 − R)/2, from 1 at R = −1 down to 0 at R = 1."""
    n = 2
    plus = pair(n, 0, 1, 1.0)
    gains = {}
    for r in (-1.0, -0.8, 0.0, 0.8, 1.0):
        new, terms = update(**quiet(n, relations=r, political_plus=plus))
        gains[r] = new[0, 1] - r
        assert terms[3, 0, 1] == pytest.approx(QUARTER * WEIGHTS[3] * (1 - r) / 2, abs=1e-16)
    assert gains[-1.0] > gains[-0.8] > gains[0.0] > gains[0.8] > 0.0
    assert gains[-0.8] == pytest.approx(9.0 * gains[0.8], rel=1e-9)  # (1.8/2) / (0.2/2)
    assert gains[-1.0] == pytest.approx(QUARTER * WEIGHTS[3], rel=1e-12)
    assert gains[1.0] == 0.0


# ---------------------------------------------------------------- interdependence


@INTERDEPENDENCE
def test_interdependence_is_relative_to_the_smaller_economy(dependence):
    gdp = np.array([100.0, 1000.0, 2000.0])
    trade = np.array([[0.0, 6.0, 0.0], [4.0, 0.0, 10.0], [1.0, 30.0, 500.0]])
    out = dependence(trade, gdp)
    expected = np.array([[0.0, 0.1, 0.01], [0.1, 0.0, 0.04], [0.01, 0.04, 0.0]])
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    # The same trade weighs more on a smaller economy; the bigger partner's size does not matter.
    smaller = dependence(trade, np.array([50.0, 1000.0, 2000.0]))
    assert smaller[0, 1] == pytest.approx(0.2)
    bigger_partner = dependence(trade, np.array([100.0, 5000.0, 2000.0]))
    assert bigger_partner[0, 1] == pytest.approx(0.1)


@INTERDEPENDENCE
def test_interdependence_is_clipped_to_one_and_zero_without_an_economy(dependence):
    gdp = np.array([10.0, 1000.0, 0.0])
    trade = np.array([[0.0, 30.0, 5.0], [0.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    out = dependence(trade, gdp)
    assert out[0, 1] == 1.0  # trade three times the smaller economy
    assert out[0, 2] == 0.0 and out[1, 2] == 0.0  # a partner with no GDP


@INTERDEPENDENCE
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20))
def test_interdependence_is_symmetric_in_unit_interval_with_zero_diagonal(dependence, seed, n):
    rng = np.random.default_rng(seed)
    gdp = 10.0 ** rng.uniform(9.0, 13.0, n)
    trade = np.outer(gdp, gdp) / gdp.sum() * rng.uniform(0.0, 3.0, (n, n))  # asymmetric flows
    out = dependence(trade, gdp)
    np.testing.assert_array_equal(out, out.T)
    assert np.all(out >= 0.0) and np.all(out <= 1.0)
    np.testing.assert_array_equal(np.diag(out), np.zeros(n))


def test_interdependence_raises_relations():
    """More trade between two states, through interdependence, means better relations."""
    gdp = np.array([1e11, 1e12, 1e12])
    relations = np.zeros((3, 3))
    np.fill_diagonal(relations, 1.0)
    outcomes = []
    for flow in (0.0, 1e9, 1e10):
        trade = pair(3, 0, 1, flow)
        args = quiet(3, relations=relations, interdependence=interdependence(trade, gdp))
        outcomes.append(relations_update(**args)[0][0, 1])
    assert outcomes[0] == 0.0 and outcomes[0] < outcomes[1] < outcomes[2]
