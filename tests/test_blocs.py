"""Blocs read off the relations (docs/model.md, "Relations"): Louvain communities of the graph
of ties above the threshold, split so that no two members of a bloc are hostile."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.mechanisms.relations import BlocReader, communities, split_hostile

THRESHOLD, HOSTILE = 0.2, -0.05


def blocs(relations: np.ndarray) -> np.ndarray:
    return BlocReader()(relations, THRESHOLD, HOSTILE)


def cliques(sizes: list[int], inside: float = 0.6, across: float = 0.0) -> np.ndarray:
    """Consecutive groups of friends (`inside`), with `across` between groups."""
    n = sum(sizes)
    relations = np.full((n, n), across)
    start = 0
    for size in sizes:
        relations[start:start + size, start:start + size] = inside
        start += size
    np.fill_diagonal(relations, 1.0)
    return relations


def canonical(labels: np.ndarray) -> np.ndarray:
    """Relabel 0, 1, ... in order of first appearance."""
    first: dict[int, int] = {}
    return np.array([first.setdefault(x, len(first)) for x in labels.tolist()], dtype=np.int32)


def test_dense_groups_joined_by_a_thin_tie_are_two_blocs():
    """Community detection, not chaining: one friendship between two groups of five does not
    merge them (connected components would)."""
    relations = cliques([5, 5])
    relations[4, 5] = relations[5, 4] = 0.5
    labels = blocs(relations)
    np.testing.assert_array_equal(labels, [0] * 5 + [1] * 5)


def test_hostile_states_never_share_a_bloc():
    """0–1 and 1–2 are friends, 0 and 2 hostile: 0 and 2 are apart; a friendless state is
    alone."""
    relations = np.array([
        [1.0, 0.5, -0.9, 0.0],
        [0.5, 1.0, 0.5, 0.0],
        [-0.9, 0.5, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ])
    labels = blocs(relations)
    assert labels[0] != labels[2]
    assert labels[3] not in (labels[0], labels[1], labels[2])
    assert labels[1] in (labels[0], labels[2])


def test_slightly_negative_relations_are_not_hostility():
    """Relations a hair below zero (the drift of a neutral pair) do not split a bloc; below
    `hostile_below` they do."""
    relations = cliques([4], inside=0.6)
    relations[0, 3] = relations[3, 0] = -0.01
    assert len(set(blocs(relations).tolist())) == 1
    relations[0, 3] = relations[3, 0] = -0.2
    assert len(set(blocs(relations).tolist())) == 2


@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_blocs_cover_every_state_with_canonical_labels_and_no_enemies_inside(seed, n):
    rng = np.random.default_rng(seed)
    relations = rng.uniform(-1.0, 1.0, (n, n))
    relations = (relations + relations.T) / 2
    np.fill_diagonal(relations, 1.0)
    labels = blocs(relations)
    assert labels.shape == (n,) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, canonical(labels))
    together = labels[:, None] == labels[None, :]
    assert not (together & (relations < HOSTILE)).any()
    # The same relations give the same blocs (a fixed seed: blocs depend on relations alone).
    np.testing.assert_array_equal(blocs(relations), labels)


def test_split_keeps_the_best_connected_members_together():
    """A group of four where the least connected member is hostile to another: that member
    leaves, the other three stay."""
    friends = np.ones((4, 4), dtype=bool)
    np.fill_diagonal(friends, False)
    friends[0, 1:3] = friends[1:3, 0] = False  # 0 has the fewest ties inside
    hostile = np.zeros((4, 4), dtype=bool)
    hostile[0, 1] = hostile[1, 0] = True
    labels = split_hostile([[0, 1, 2, 3]], friends, hostile)
    np.testing.assert_array_equal(labels, [0, 1, 1, 1])


def test_louvain_finds_the_cliques():
    friends = cliques([3, 4, 3]) > THRESHOLD
    np.fill_diagonal(friends, False)
    assert communities(friends) == [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9]]


def test_reader_recomputes_communities_only_when_enough_ties_change():
    """A tie or two changing keeps the communities (`refresh_share` of the ties), hostility
    is applied at once; many changed ties make it find them again."""
    reader = BlocReader(refresh_share=0.05)
    relations = cliques([10, 10])
    first = reader(relations, THRESHOLD, HOSTILE)
    found = reader._communities
    relations[0, 10] = relations[10, 0] = 0.5  # one new tie across: under 5% of 90
    np.testing.assert_array_equal(reader(relations, THRESHOLD, HOSTILE), first)
    assert reader._communities is found
    relations[1, 2] = relations[2, 1] = -0.5  # a hostility: applied without a new search
    split = reader(relations, THRESHOLD, HOSTILE)
    assert split[1] != split[2] and reader._communities is found
    merged = cliques([20])  # every tie across appears: communities are searched again
    labels = reader(merged, THRESHOLD, HOSTILE)
    assert reader._communities is not found
    assert len(set(labels.tolist())) == 1
