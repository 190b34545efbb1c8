"""City diplomacy: kernels against references, and the behaviour of the mechanism
(docs/model.md, "City diplomacy").

A city must gain diplomatic weight by hosting (more for a bigger summit, with diminishing
returns) and keep it for years; summits must leave symmetric ties between participants only;
a capital neutral towards two states in conflict must be able to host their talks while their
own capitals cannot, and a city hostile to a party must never qualify (paper 001).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.kernels.cities import (
    city_diplomacy_step,
    city_diplomacy_step_python_loop,
    city_diplomacy_step_reference,
    diplomatic_weight_update,
    diplomatic_weight_update_python_loop,
    diplomatic_weight_update_reference,
    host_scores,
    host_scores_python_loop,
    host_scores_reference,
    summit_ties,
    summit_ties_python_loop,
    summit_ties_reference,
)

# The defaults proposed in docs/model.md (all guesses).
GAIN = 0.1
DECAY = 0.07
TIE_DECAY = 0.35
CAPITAL_BONUS = 0.25
QUARTER = 0.25

WEIGHTS = pytest.mark.parametrize(
    "update",
    [diplomatic_weight_update, diplomatic_weight_update_reference,
     diplomatic_weight_update_python_loop],
    ids=["numba", "numpy", "python"],
)
TIES = pytest.mark.parametrize(
    "ties_after", [summit_ties, summit_ties_reference, summit_ties_python_loop],
    ids=["numba", "numpy", "python"],
)
SCORES = pytest.mark.parametrize(
    "score", [host_scores, host_scores_reference, host_scores_python_loop],
    ids=["numba", "numpy", "python"],
)


# ---------------------------------------------------------------- kernels against references


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 50))
@example(seed=0, n=0)
@example(seed=1, n=1)
def test_diplomatic_weight_numba_numpy_and_python_agree(seed, n):
    rng = np.random.default_rng(seed)
    weight = rng.exponential(1.0, n)
    hosted = np.where(rng.uniform(size=n) < 0.5, 0.0, rng.integers(1, 60, n).astype(float))
    gain, decay, dt = rng.uniform(0.0, 1.0), rng.uniform(0.0, 1.0), rng.uniform(0.0, 1.0)
    ceiling = float(rng.choice([math.inf, 0.5, 2.0]))
    out = diplomatic_weight_update(weight, hosted, gain, decay, dt, ceiling)
    assert out.shape == (n,) and out.dtype == np.float64
    for other in (diplomatic_weight_update_reference, diplomatic_weight_update_python_loop):
        np.testing.assert_allclose(out, other(weight, hosted, gain, decay, dt, ceiling),
                                   rtol=1e-12, atol=0)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30))
@example(seed=0, n=0)
@example(seed=1, n=1)
def test_summit_ties_numba_numpy_and_python_agree(seed, n):
    rng = np.random.default_rng(seed)
    ties = rng.exponential(1.0, (n, n))  # not symmetric: the kernels symmetrise
    came = rng.uniform(size=n) < 0.4
    decay, dt = rng.uniform(0.0, 2.0), rng.uniform(0.0, 1.0)
    out = summit_ties(ties, came, decay, dt)
    assert out.shape == (n, n) and out.dtype == np.float64
    for other in (summit_ties_reference, summit_ties_python_loop):
        np.testing.assert_allclose(out, other(ties, came, decay, dt), rtol=1e-12, atol=0)


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), cities=st.integers(0, 50), states=st.integers(0, 30))
@example(seed=0, cities=0, states=0)
@example(seed=1, cities=1, states=1)
@example(seed=2, cities=2, states=1)
def test_city_diplomacy_step_numba_numpy_and_python_agree(seed, cities, states):
    rng = np.random.default_rng(seed)
    args = (
        rng.exponential(1.0, cities),
        np.where(rng.uniform(size=cities) < 0.5, 0.0, rng.integers(1, 60, cities).astype(float)),
        rng.uniform(0.0, 1.0),
        rng.uniform(0.0, 1.0),
        rng.exponential(1.0, (states, states)),
        rng.uniform(size=states) < 0.4,
        rng.uniform(0.0, 2.0),
        rng.uniform(0.0, 1.0),
    )
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    weight, ties = city_diplomacy_step(*args)
    assert weight.shape == (cities,) and ties.shape == (states, states)
    assert weight.dtype == ties.dtype == np.float64
    for other in (city_diplomacy_step_reference, city_diplomacy_step_python_loop):
        their_weight, their_ties = other(*args)
        np.testing.assert_allclose(weight, their_weight, rtol=1e-12, atol=0)
        np.testing.assert_allclose(ties, their_ties, rtol=1e-12, atol=0)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)
    # The step is its two parts, to the bit.
    weight_args, ties_args = (*args[:4], args[7]), args[4:]
    for step, update, ties_after in (
        (city_diplomacy_step, diplomatic_weight_update, summit_ties),
        (city_diplomacy_step_reference, diplomatic_weight_update_reference,
         summit_ties_reference),
        (city_diplomacy_step_python_loop, diplomatic_weight_update_python_loop,
         summit_ties_python_loop),
    ):
        got = step(*args)
        np.testing.assert_array_equal(got[0], update(*weight_args))
        np.testing.assert_array_equal(got[1], ties_after(*ties_args))


def random_venues(seed: int, cities: int, states: int, parties: int):
    rng = np.random.default_rng(seed)
    relations = rng.uniform(-1.0, 1.0, (states, states))
    relations = (relations + relations.T) / 2 + rng.uniform(0.0, 0.6)  # some meetings at peace
    relations = np.clip(relations, -1.0, 1.0)
    np.fill_diagonal(relations, 1.0)
    return {
        "weight": rng.exponential(0.5, cities),
        "city_state": rng.integers(0, states, cities).astype(np.int32),
        "is_capital": rng.uniform(size=cities) < 0.3,
        "relations": relations,
        "parties": rng.integers(0, states, parties).astype(np.int32),
        "capital_bonus": float(rng.uniform(0.0, 1.0)),
        "hostile_below": float(rng.choice([0.0, -0.05, -0.3])),
        "prestige": rng.uniform(0.0, 0.5, cities) * (rng.uniform(size=cities) < 0.3),
    }


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), cities=st.integers(0, 40), states=st.integers(1, 10),
       parties=st.integers(0, 4))
@example(seed=0, cities=0, states=1, parties=0)
@example(seed=1, cities=1, states=1, parties=1)
@example(seed=2, cities=1, states=3, parties=2)
def test_host_scores_numba_numpy_and_python_agree(seed, cities, states, parties):
    args = random_venues(seed, cities, states, parties)
    out = host_scores(**args)
    assert out.shape == (cities,) and out.dtype == np.float64
    for other in (host_scores_reference, host_scores_python_loop):
        theirs = other(**args)
        np.testing.assert_array_equal(np.isinf(out), np.isinf(theirs))
        np.testing.assert_allclose(out, theirs, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- diplomatic weight


@WEIGHTS
def test_hosting_raises_weight_more_for_a_bigger_summit_with_diminishing_returns(update):
    weight = np.array([1.0, 1.0, 1.0, 1.0])
    hosted = np.array([0.0, 2.0, 56.0, 112.0])  # nothing, bilateral talks, OSCE-sized summit, ×2
    after = update(weight, hosted, GAIN, DECAY, QUARTER)
    gain = after - after[0]
    assert gain[0] == 0.0 and 0.0 < gain[1] < gain[2] < gain[3]
    assert gain[2] < 28.0 * gain[1] / 5.0  # 28 times the participants, well under 28 times
    assert gain[2] == pytest.approx(GAIN * math.log(57.0), rel=1e-12)
    assert gain[3] - gain[2] < gain[2] - gain[1]  # doubling a big summit adds less


@WEIGHTS
def test_gains_saturate_so_that_the_first_host_does_not_lock_the_venue_in(update):
    """A city hosting every quarter stays below the ceiling, and a newcomer gains more from
    the same summit than the leader does."""
    ceiling = 1.0
    weight = np.array([0.0, 0.0])
    for _ in range(200):
        weight = update(weight, np.array([10.0, 0.0]), GAIN, DECAY, QUARTER, ceiling)
    assert 0.9 < weight[0] < ceiling
    quiet = update(weight, np.zeros(2), GAIN, DECAY, QUARTER, ceiling)
    gained = update(weight, np.array([10.0, 10.0]), GAIN, DECAY, QUARTER, ceiling) - quiet
    assert gained[1] > 5 * gained[0] > 0.0
    # Without a ceiling a summit adds the same to the leader and the newcomer.
    quiet = update(weight, np.zeros(2), GAIN, DECAY, QUARTER)
    free = update(weight, np.array([10.0, 10.0]), GAIN, DECAY, QUARTER) - quiet
    assert free[0] == pytest.approx(free[1]) == pytest.approx(GAIN * math.log(11.0))


@SCORES
def test_a_wish_for_prestige_raises_the_bid(score):
    world = conflict_world()
    plain = score(**world, parties=np.array([0, 1], dtype=np.int32))
    world["prestige"] = np.array([0.0, 0.0, 0.0, 0.0, 0.4])
    eager = score(**world, parties=np.array([0, 1], dtype=np.int32))
    assert eager[4] == pytest.approx(plain[4] + 0.4)
    assert int(np.argmax(eager)) == 4  # C's other city now outbids its capital
    np.testing.assert_array_equal(eager[:4], plain[:4])


@WEIGHTS
def test_weight_decays_slowly_without_hosting(update):
    """At the default decay a city keeps about half its weight over a decade without hosting
    (Astana kept hosting summits over more than a decade, paper 001)."""
    weight = np.array([2.0, 0.5])
    quiet = np.zeros(2)
    after_one = update(weight, quiet, GAIN, DECAY, QUARTER)
    assert np.all(after_one < weight) and np.all(after_one > 0.98 * weight)
    current = weight
    for _ in range(40):  # ten years of quarters
        current = update(current, quiet, GAIN, DECAY, QUARTER)
    np.testing.assert_allclose(current, weight * math.exp(-DECAY * 10.0), rtol=1e-12)
    assert np.all(current > 0.45 * weight) and np.all(current < 0.55 * weight)


@WEIGHTS
def test_a_regular_host_outweighs_an_occasional_one(update):
    """A city hosting a summit every year ends with more weight than one hosting every five."""
    weight = np.zeros(2)
    for quarter in range(40):
        hosted = np.array([10.0 if quarter % 4 == 0 else 0.0, 10.0 if quarter % 20 == 0 else 0.0])
        weight = update(weight, hosted, GAIN, DECAY, QUARTER)
    assert weight[0] > 2.0 * weight[1] > 0.0


# ---------------------------------------------------------------- summit ties


@TIES
def test_summit_ties_are_symmetric_and_count_only_participants(ties_after):
    n = 5
    came = np.array([True, False, True, True, False])
    ties = ties_after(np.zeros((n, n)), came, TIE_DECAY, QUARTER)
    met = np.outer(came, came) & ~np.eye(n, dtype=bool)
    np.testing.assert_array_equal(ties, met.astype(float))
    np.testing.assert_array_equal(ties, ties.T)
    # A second summit of the same step (Δt = 0) adds one more tie to its participants only.
    again = ties_after(ties, np.array([True, True, False, False, False]), TIE_DECAY, 0.0)
    assert again[0, 1] == 1.0 and again[0, 2] == 1.0 and again[0, 3] == 1.0
    assert again[1, 0] == 1.0 and again[1, 2] == 0.0


@TIES
def test_summit_ties_fade_without_meetings(ties_after):
    n = 3
    came = np.ones(n, bool)
    ties = ties_after(np.zeros((n, n)), came, TIE_DECAY, QUARTER)
    for _ in range(8):  # two years without summits: the memory halves (half-life ≈ 2 years)
        ties = ties_after(ties, np.zeros(n, bool), TIE_DECAY, QUARTER)
    assert ties[0, 1] == pytest.approx(math.exp(-TIE_DECAY * 2.0), rel=1e-12)
    assert 0.45 < ties[0, 1] < 0.55
    np.testing.assert_array_equal(np.diag(ties), np.zeros(n))


@TIES
@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 15))
def test_summit_ties_stay_symmetric_nonnegative_with_zero_diagonal(ties_after, seed, n):
    rng = np.random.default_rng(seed)
    ties = rng.exponential(1.0, (n, n))
    for _ in range(5):
        came = rng.uniform(size=n) < 0.5
        before = (ties + ties.T) / 2
        ties = ties_after(ties, came, TIE_DECAY, QUARTER)
        np.testing.assert_array_equal(ties, ties.T)
        assert np.all(ties >= 0.0)
        np.testing.assert_array_equal(np.diag(ties), np.zeros(n))
        off = ~np.eye(n, dtype=bool)
        rose = ties > before * math.exp(-TIE_DECAY * QUARTER) + 0.5
        np.testing.assert_array_equal(rose[off], (np.outer(came, came))[off])


# ---------------------------------------------------------------- venues


def conflict_world():
    """States A (0) and B (1) in conflict (−0.8); C (2) neutral towards both; D (3) hostile to B.
    One capital each, and one more, non-capital city in C."""
    relations = np.array([
        [1.0, -0.8, 0.2, 0.5],
        [-0.8, 1.0, 0.1, -0.3],
        [0.2, 0.1, 1.0, 0.0],
        [0.5, -0.3, 0.0, 1.0],
    ])
    return {
        "weight": np.array([0.5, 0.5, 0.3, 0.9, 0.3]),
        "city_state": np.array([0, 1, 2, 3, 2], dtype=np.int32),
        "is_capital": np.array([True, True, True, True, False]),
        "relations": relations,
        "capital_bonus": CAPITAL_BONUS,
        "hostile_below": 0.0,
        "prestige": np.zeros(5),
    }


@SCORES
def test_a_neutral_capital_hosts_talks_between_states_in_conflict(score):
    """Like Astana for the Iranian and Syrian talks (paper 001): the neutral third capital
    qualifies and wins; the parties' own capitals and a city hostile to one party do not."""
    world = conflict_world()
    scores = score(**world, parties=np.array([0, 1], dtype=np.int32))
    assert scores[0] == -np.inf and scores[1] == -np.inf  # the parties' own capitals
    assert scores[3] == -np.inf  # D is hostile to B, despite its greater weight
    assert np.isfinite(scores[2]) and np.isfinite(scores[4])
    assert int(np.argmax(scores)) == 2  # the capital beats the other city of C
    # Neutrality is C's worst relation with the parties (0.1 with B), not the mean.
    assert scores[2] == pytest.approx(0.3 + CAPITAL_BONUS + 0.1, rel=1e-14)
    assert scores[4] == pytest.approx(0.3 + 0.1, rel=1e-14)


@SCORES
def test_a_party_capital_can_host_when_the_parties_are_friends(score):
    world = conflict_world()
    scores = score(**world, parties=np.array([0, 3], dtype=np.int32))  # A and D, at 0.5
    assert np.all(np.isfinite(scores[[0, 2, 3, 4]]))
    assert scores[1] == -np.inf  # B is hostile to D
    assert scores[3] == pytest.approx(0.9 + CAPITAL_BONUS + 0.5, rel=1e-14)
    assert int(np.argmax(scores)) == 3


@SCORES
def test_a_party_city_cannot_host_when_two_other_parties_are_in_conflict(score):
    """Three-way talks between A, B (in conflict) and C: C is a party, so not neutral."""
    world = conflict_world()
    world["relations"][2, 3] = world["relations"][3, 2] = 0.4
    scores = score(**world, parties=np.array([0, 1, 2], dtype=np.int32))
    assert np.all(scores == -np.inf)


@SCORES
def test_weight_capital_bonus_and_relations_raise_the_score(score):
    relations = np.array([[1.0, 0.3, 0.6], [0.3, 1.0, 0.6], [0.6, 0.6, 1.0]])
    parties = np.array([0, 1], dtype=np.int32)
    base = {"city_state": np.array([2, 2], dtype=np.int32), "relations": relations,
            "parties": parties, "capital_bonus": CAPITAL_BONUS, "hostile_below": 0.0,
            "prestige": np.zeros(2)}
    heavier = score(weight=np.array([0.2, 0.7]), is_capital=np.array([False, False]), **base)
    assert heavier[1] - heavier[0] == pytest.approx(0.5)
    capital = score(weight=np.array([0.2, 0.2]), is_capital=np.array([False, True]), **base)
    assert capital[1] - capital[0] == pytest.approx(CAPITAL_BONUS)
    friendlier = relations.copy()
    friendlier[2, :2] = 0.9
    base["relations"] = friendlier
    closer = score(weight=np.array([0.2, 0.2]), is_capital=np.array([False, False]), **base)
    assert closer[0] - heavier[0] == pytest.approx(0.3)


@SCORES
@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), cities=st.integers(1, 40), states=st.integers(2, 10),
       parties=st.integers(1, 4))
def test_a_city_hostile_to_a_party_never_qualifies(score, seed, cities, states, parties):
    args = random_venues(seed, cities, states, parties)
    scores = score(**args)
    rel, meeting, h = args["relations"], args["parties"], args["hostile_below"]
    conflict = any(p != q and rel[p, q] < h for p in meeting for q in meeting)
    for c, s in enumerate(args["city_state"]):
        hostile = any(p != s and rel[s, p] < h for p in meeting)
        own = s in meeting
        assert (scores[c] == -np.inf) == (hostile or (own and conflict))
        if np.isfinite(scores[c]):
            expected = (args["weight"][c] + args["capital_bonus"] * args["is_capital"][c]
                        + min(rel[s, meeting].min(), 1.0) + args["prestige"][c])
            assert scores[c] == pytest.approx(expected, rel=1e-12, abs=1e-15)


@SCORES
def test_with_no_parties_every_city_qualifies_on_weight_and_bonus(score):
    world = conflict_world()
    scores = score(**world, parties=np.zeros(0, dtype=np.int32))
    np.testing.assert_allclose(scores, world["weight"] + CAPITAL_BONUS * world["is_capital"])


def test_hosting_a_summit_end_to_end():
    """The best venue hosts; its weight rises by gain·ln(1 + participants), the participants
    gain ties, and the next ranking favours the host more."""
    world = conflict_world()
    parties = np.array([0, 1], dtype=np.int32)
    scores = host_scores(**world, parties=parties)
    venue = int(np.argmax(scores))
    hosted = np.zeros(len(world["weight"]))
    hosted[venue] = len(parties)
    weight = diplomatic_weight_update(world["weight"], hosted, GAIN, DECAY, QUARTER)
    assert weight[venue] > world["weight"][venue]
    came = np.zeros(4, bool)
    came[parties] = True
    ties = summit_ties(np.zeros((4, 4)), came, TIE_DECAY, QUARTER)
    assert ties[0, 1] == 1.0 and ties.sum() == 2.0
    rescored = host_scores(**{**world, "weight": weight}, parties=parties)
    assert rescored[venue] - rescored[4] > scores[venue] - scores[4]
