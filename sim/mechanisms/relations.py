"""Phase 7: relations between states move with their drivers; blocs are read off them.

Relations start at rest: each driver pushes by how far it has moved since step 0, so with
nothing changing relations stay at their baseline, and the per-channel terms the kernel returns
say why a pair's relations moved (docs/model.md, "Relations").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from sim.params import RelationsParams
from sim.world import World

Drivers = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def affinity(
    agreement: np.ndarray,
    defence: np.ndarray,
    alliance: np.ndarray,
    shared: np.ndarray,
    rivalry: np.ndarray,
    params: RelationsParams,
) -> np.ndarray:
    """The structural pull of a pair's relations (S×S, symmetric, 0 on the diagonal):

        z_ij = w_t·agreement + w_d·defence + w_l·alliance + w_o·shared − w_r·rivalry

    with `shared` the number of organisations both belong to (docs/model.md, "Relations").
    """
    z = (params.agreement_baseline * agreement + params.defence * defence
         + params.alliance * alliance + params.membership * shared
         - params.rivalry * rivalry).astype(float)
    np.fill_diagonal(z, 0.0)
    return z


def starting_baseline(
    affinity: np.ndarray, listed: np.ndarray, sanction: np.ndarray, params: RelationsParams
) -> np.ndarray:
    """The baseline relations drift to: B_ij = tanh(z_ij − k·max(S_ij, S_ji)), with S the
    sanctions in force at the start and k = `standing_sanction` (a sanction in force since
    before the start has already pulled relations down: k is w_s/δ, where the sanctions
    channel would take them); a pair the scenario lists keeps its own baseline."""
    standing = np.maximum(sanction, sanction.T)
    baseline = np.tanh(affinity - params.standing_sanction * standing)
    baseline = np.where(np.isnan(listed), baseline, listed)
    np.fill_diagonal(baseline, 0.0)
    return baseline


def drivers(world: World, regional: np.ndarray, kernels) -> Drivers:
    """Attraction, trade interdependence, summit ties, political plus and sanctions (S×S).

    Political plus is 1 − exp(−G), with G the strength of the regional (local-authority)
    channel between two states: it saturates, so that the hundredth agreement between two
    states' regions adds less than the first. Sanctions count either way (the larger of i→j
    and j→i), taken here rather than in the kernel so that lifting a sanction in force at
    step 0 shows in the change since then.
    """
    pairs, s = world.pairs, world.n_states
    return (
        pairs.attraction,
        kernels.interdependence(pairs.trade, world.actors.gdp[:s]),
        pairs.summit_ties,
        -np.expm1(-regional),
        np.maximum(pairs.sanction, pairs.sanction.T),
    )


@dataclass
class BlocReader:
    """Blocs read off the relations (docs/model.md, "Relations"): communities of the graph that
    links two states whose relations are above `threshold`, each tie weighing the cube of the
    relations (Louvain's method, networkx, with a fixed seed, so that they depend on the
    relations alone), split so that no two members of a bloc are hostile (relations below
    `hostile_below`). Labels follow each bloc's smallest member.

    Louvain's method costs about 25 ms at 190 states, while relations move a little every
    step, so the communities are found again only when `refresh_share` of the graph's ties or
    more have changed since they were last found; the split by hostility is redone whenever
    hostilities change, so that hostile states never share a bloc.
    """

    refresh_share: float = 0.05
    _friends: np.ndarray | None = None
    _communities: list[list[int]] = field(default_factory=list)
    _hostile: bytes = b""
    _labels: np.ndarray | None = None

    def __call__(self, relations: np.ndarray, threshold: float, hostile_below: float
                 ) -> np.ndarray:
        mean = (relations + relations.T) / 2.0
        friends = mean > threshold
        np.fill_diagonal(friends, False)
        last = self._friends
        if last is None or last.shape != friends.shape or (
                np.count_nonzero(friends != last) > self.refresh_share * max(
                    np.count_nonzero(last), 1)):
            self._friends, self._communities = friends, communities(friends, mean)
            self._hostile = b""
        hostile = mean < hostile_below
        key = np.packbits(hostile).tobytes()
        if key != self._hostile:
            self._hostile = key
            self._labels = split_hostile(self._communities, self._friends, hostile)
        return self._labels.copy()


def communities(friends: np.ndarray, relations: np.ndarray | None = None) -> list[list[int]]:
    """Louvain communities (networkx, seed 0) of the graph `friends` (S×S bool, symmetric),
    each as a sorted list of states. A tie weighs the cube of the pair's relations (1 without
    them), so that close allies hold together more than partners in an agreement only."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(friends)))
    i, j = np.nonzero(np.triu(friends, k=1))
    weight = np.ones(len(i)) if relations is None else relations[i, j] ** 3
    graph.add_weighted_edges_from(zip(i.tolist(), j.tolist(), weight.tolist(), strict=True))
    return [sorted(c) for c in nx.community.louvain_communities(graph, seed=0)]


def split_hostile(groups: list[list[int]], friends: np.ndarray, hostile: np.ndarray
                  ) -> np.ndarray:
    """Bloc labels (S,) int32 of the groups (which cover every state), so that no two members
    of a bloc are `hostile`. In each group, members in order of their ties inside it (most
    first, then by index) stay if no enemy of theirs has; the others move, in order of all
    their ties, to the bloc where they have the most ties and no enemy, or start one of their
    own if they have ties in none. Labels follow each bloc's smallest member."""
    parts: list[list[int]] = []
    moved: list[int] = []
    for members in groups:
        inside = friends[np.ix_(members, members)].sum(axis=1)
        core: list[int] = []
        for k in sorted(range(len(members)), key=lambda k: (-inside[k], members[k])):
            state = members[k]
            (moved if hostile[state, core].any() else core).append(state)
        parts.append(core)
    ties = friends.sum(axis=1)
    for state in sorted(moved, key=lambda s: (-ties[s], s)):
        scores = [(friends[state, part].sum(), -min(part)) for part in parts
                  if not hostile[state, part].any()]
        best = max(scores, default=(0, 0))
        if best[0] > 0:
            next(p for p in parts if -min(p) == best[1]).append(state)
        else:
            parts.append([state])
    labels = np.empty(sum(len(p) for p in parts), dtype=np.int32)
    for label, part in enumerate(sorted(parts, key=min)):
        labels[part] = label
    return labels


def update(
    world: World, params: RelationsParams, now: Drivers, start: Drivers, kernels,
    blocs_of: BlocReader, dt: float,
) -> None:
    pairs = world.pairs
    weights = np.array(
        [
            params.attraction,
            params.interdependence,
            params.summits,
            params.political_plus,
            params.sanction,
        ]
    )
    moved = [current - initial for current, initial in zip(now, start, strict=True)]
    # The pull to the baseline, kept beside the kernel's channel terms so that a change in
    # relations adds up exactly (docs/model.md, "Attribution").
    pairs.relation_drift = dt * params.drift * (pairs.relations_baseline - pairs.relations)
    np.fill_diagonal(pairs.relation_drift, 0.0)
    pairs.relations, pairs.relation_terms = kernels.relations_update(
        pairs.relations, pairs.relations_baseline, params.drift, *moved, weights, dt
    )
    world.nations.bloc = blocs_of(pairs.relations, params.bloc_threshold, params.hostile_below)
