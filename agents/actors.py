"""States, cities and regions as Mesa agents.

An agent holds its row in the model's world arrays and reads its values from there, so the
kernels and the agents always see the same numbers. Per-agent choices that are few and
naturally individual (a state's foreign policy) go in agent methods, called with
`model.states.shuffle_do(...)`; bulk interactions stay in the kernels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.mechanisms.agreements import CORRIDOR

if TYPE_CHECKING:
    from sim.model import GeoModel


class ActorAgent(mesa.Agent):
    """Common view of one actor's row."""

    model: GeoModel

    def __init__(self, model: GeoModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def actor_id(self) -> str:
        return str(self.model.world.actors.ids[self.row])

    @property
    def name(self) -> str:
        return str(self.model.world.actors.names[self.row])

    @property
    def gdp(self) -> float:
        return float(self.model.world.actors.gdp[self.row])

    @property
    def population(self) -> float:
        return float(self.model.world.actors.population[self.row])

    @property
    def pos_latlon(self) -> tuple[float, float]:
        actors = self.model.world.actors
        return float(actors.lat[self.row]), float(actors.lon[self.row])

    @property
    def partners(self) -> list[ActorAgent]:
        """Actors this one has paradiplomacy agreements or twinning links with."""
        links = self.model.world.links
        rows = links.indices[links.indptr[self.row] : links.indptr[self.row + 1]]
        return [self.model.agent_at(int(r)) for r in rows]

    @property
    def state(self) -> StateAgent:
        """The state this actor belongs to (a state belongs to itself)."""
        return self.model.agent_at(int(self.model.world.actors.state[self.row]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.actor_id!r})"


class StateAgent(ActorAgent):
    """A sovereign state. Its row is also its index in every state×state matrix."""

    @property
    def exports(self) -> float:
        """Exports to the other states this step, US$ per year."""
        trade = self.model.world.pairs.trade
        return float(trade[self.row].sum() - trade[self.row, self.row])

    @property
    def imports(self) -> float:
        trade = self.model.world.pairs.trade
        return float(trade[:, self.row].sum() - trade[self.row, self.row])

    def decide(self) -> None:
        """Phase 2: this state's answers to the questions the briefing puts to it this step.

        Each is a binary choice between being in a sanction and staying out of it (docs/model.md,
        "Decisions"): in if U + ι·[in now] + ε > 0, with U the utility of being in, ι the inertia
        of the status quo and ε the state's own taste for the question, logistic with scale T
        (so that across replicates P(in) = 1 / (1 + exp(−(U + ι·[in now]) / T))). A choice that
        changes something is handed to the model, which enacts every state's at once.
        """
        model, row = self.model, self.row
        inertia = model.params.decisions.inertia
        for question in model.briefing:
            for q in question.reviewed.get(row, ()):
                inside = question.inside[q]
                in_favour = question.utility[q] + inertia * inside + question.taste[q]
                if (in_favour > 0.0) != inside:
                    model.chosen.append((question, q))
        # A digital-diplomacy programme, when it reviews its choice (paper 003).
        review = model.programme_review
        if review.reviews[row]:
            running = review.running[row]
            if (review.utility[row] + inertia * running + review.taste[row] > 0.0) != running:
                model.programme_changes.append(row)
        # A deal (a trade agreement, or for a multi-vector state a customs facilitation): if it
        # is open to one this step, it proposes the deal it values most, if it values one at
        # all (docs/model.md, "Decisions").
        deal = model.offers.best.get(row)
        if deal is not None and deal[0] > 0.0:
            model.proposals.append((row, deal[1], deal[2]))

    def answer(self) -> None:
        """Phase 2, after every state has decided, for a state offered a deal: take up the
        deals offered that are worth it to it too (U + ε > 0). A government negotiates one trade agreement
        at a time: it takes up the best one offered. A customs facilitation is the customs and
        transport agencies' business, and each one worth it is accepted."""
        agreement = None
        for proposer, kind, worth in self.model.offers.offered.get(self.row, ()):
            if worth <= 0.0:
                continue
            if kind == CORRIDOR:
                self.model.accepted.append((proposer, self.row, kind))
            elif agreement is None or worth > agreement[0]:
                agreement = (worth, proposer, kind)
        if agreement is not None:
            self.model.accepted.append((agreement[1], self.row, agreement[2]))


class CityAgent(ActorAgent):
    """A city; capitals are flagged and sit where their state is placed."""

    @property
    def is_capital(self) -> bool:
        return bool(self.model.world.actors.is_capital[self.row])


class RegionAgent(ActorAgent):
    """A sub-national region (oblast, province, federal subject)."""
