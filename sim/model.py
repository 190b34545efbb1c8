"""GeoModel: the Mesa model of states, cities and regions over array-backed world state.

One step is a quarter of a year by default and runs in the phases of docs/architecture.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from pydantic import ValidationError

from agents import ActorAgent, CityAgent, RegionAgent, StateAgent
from sim import events, mechanisms
from sim.build import build_world
from sim.errors import InputError, describe
from sim.kernels import BACKENDS
from sim.kernels.draws import stream_keys
from sim.params import PARAM_NAMES, Params
from sim.recording import Recorder
from sim.scenario import Scenario, load
from sim.schema import CHANNELS, first_error
from sim.synthetic import synthetic_world
from sim.world import CITY, LINK_KINDS, REGION, STATE, World


def spawned_seeds(sequence: np.random.SeedSequence, n: int) -> list[int]:
    """n model seeds (non-negative 63-bit integers) spawned from `sequence`, in order."""
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
            for child in sequence.spawn(n)]


# Model-level series, one value a step, collected by Mesa's DataCollector: column → attribute.
MODEL_REPORTERS: dict[str, str] = {
    "date": "date",
    "world_gdp_usd": "world_gdp",
    "world_exports_usd": "world_exports",
    "export_share": "export_share",
    "trade_iterations": "trade_iterations",
    "active_links": "active_links",
    "links_formed": "links_formed",
    "links_dissolved": "links_dissolved",
    "summit_host": "summit_host_id",
    "events": "events_now",
    "mean_relations": "mean_relations",
    "blocs": "bloc_count",
    "mean_technology": "mean_technology",
    "digital_incidents": "incident_count",
    "decisions": "decisions_now",
}
# The numeric ones, which a sweep can keep as metrics.
NUMERIC_SERIES: tuple[str, ...] = tuple(
    name for name in MODEL_REPORTERS if name not in ("date", "summit_host", "events")
)


class GeoModel(mesa.Model):
    """A world of states, cities and regions trading and growing, step by step.

    Args:
        scenario: a bundled scenario's name, a path to a TOML file, or a loaded `Scenario`.
        rng: seed or Generator; all randomness in the model comes from `self.rng`.
        backend: "numba" (compiled kernels) or "numpy" (the reference implementations).
        **params: parameter overrides as `section_name=value`, e.g. `trade_sigma=6.0`
            (see `sim.params` and docs/model.md).
    """

    def __init__(
        self,
        *,
        scenario: str | Path | Scenario = "eurasia",
        rng: Any = None,
        backend: str = "numba",
        **params: Any,
    ) -> None:
        super().__init__(rng=rng)
        self.setup = scenario if isinstance(scenario, Scenario) else load(scenario)
        spec = self.setup.spec
        self.params = _with_overrides(spec.params, params)
        if backend not in BACKENDS:
            raise InputError("GeoModel", "backend", f"one of {sorted(BACKENDS)}", describe(backend))
        self.backend = backend
        self.kernels = BACKENDS[backend]
        self.start_date: dt.date = spec.scenario.start
        self.step_months: int = spec.scenario.step_months

        self.world: World = (
            synthetic_world(spec.synthetic, self.rng, spec, self.params)
            if spec.synthetic
            else build_world(spec, self.params)
        )
        kind = self.world.actors.kind
        self.states = StateAgent.create_agents(
            self, int((kind == STATE).sum()), row=np.flatnonzero(kind == STATE).tolist()
        )
        self.cities = CityAgent.create_agents(
            self, int((kind == CITY).sum()), row=np.flatnonzero(kind == CITY).tolist()
        )
        self.regions = RegionAgent.create_agents(
            self, int((kind == REGION).sum()), row=np.flatnonzero(kind == REGION).tolist()
        )
        self._by_row: list[ActorAgent] = [*self.states, *self.cities, *self.regions]
        # One stream per source of randomness, spawned from the model's generator: a scenario
        # and its baseline then draw the same growth shocks, summits, link formations and
        # incidents whatever their events do (common random numbers for `geopol compare`).
        streams = self.rng.spawn(7)
        self.streams = dict(zip(("growth", "summits", "paradiplomacy", "digital", "decisions",
                                 "agreements", "programmes"), streams, strict=True))

        # The timeline; sanctions and facilitation in force at the start are part of the world
        # as it starts, which is then at rest.
        self.world_index = _world_index(self, spec.memberships)
        self.multi_vector = np.array([self.world_index.row[state]
                                      for state in spec.scenario.multi_vector], dtype=np.int64)
        self.customs_union = mechanisms.agreements.in_customs_union(
            spec.memberships, self.world_index.row, self.world.n_states, self.start_date.year)
        self.timeline: list[events.Scheduled] = [
            _scheduled(event, self.world_index, 0, self.setup, f"events[{k}]")
            for k, event in enumerate(spec.events)
        ]
        self.layer_memo = mechanisms.events.LayerMemo()
        self.favoured = mechanisms.events.update_layers(
            self.world, self.timeline, 0, self.world_index, self.params.events, self.params.trade,
            self.layer_memo,
        )
        self._start_at_rest_under_sanctions()
        self.summit_hosts: list[int] = []
        # When each city last hosted, in years from the start (−∞: never): a bloc's chair
        # rotates (docs/model.md, "City diplomacy").
        self.last_hosted = np.full(int((self.world.actors.kind == CITY).sum()), -np.inf)
        # Forums meet on their calendars, put on Mesa's event list: the summits that come due
        # before a step are held in its city diplomacy, and logged as (step, forum, host row;
        # None if no member's capital could host).
        self.forums_due: list[tuple[mechanisms.summits.Forum, int]] = []
        self.forums = mechanisms.summits.forums(
            spec, self.world_index.row, set(np.flatnonzero(kind == STATE).tolist()),
            np.flatnonzero(kind == CITY), self.timeline, self.forums_due,
            self.setup.path or self.setup.name)
        for forum in self.forums:
            forum.schedule(self)
        self.forum_summits: list[tuple[int, str, int | None]] = []
        self.scheduled_summits: list[tuple[int, list[int]]] = []
        self.event_penalty = np.zeros(self.world.n_states)
        self.event_incidents = np.zeros(self.world.n_states, dtype=bool)
        self.events_applied: list[tuple[int, str]] = []
        # This step's questions to each state, and the answers that change something.
        self.briefing: list[mechanisms.decisions.Questions] = []
        self.chosen: list[tuple[mechanisms.decisions.Questions, int]] = []
        # This step's trade-agreement offers, proposals and the ones accepted.
        self.offers = mechanisms.agreements.no_offers()
        self.proposals: list[tuple[int, int, str]] = []
        self.accepted: list[tuple[int, int, str]] = []
        # Digital programmes: who runs one, each state's taste for one (drawn once), the
        # scenario's own investment, and this step's review.
        s = self.world.n_states
        self.programmes = np.zeros(s, dtype=bool)
        self.programme_taste = self.streams["programmes"].logistic(
            0.0, self.params.decisions.temperature, s)
        self.scripted_investment = self.world.nations.digital_investment.copy()
        self.programme_review = mechanisms.digital_programmes.no_review(s)
        self.programme_changes: list[int] = []
        self.tastes: dict[tuple, float] = {}  # each state's ε for each question it was put
        self.decisions: list[mechanisms.decisions.Decision] = []  # the run's decision log
        self.decisions_now = 0  # of them, taken this step

        # The links' starting state, which regional trade costs depend on.
        mechanisms.summits.starting_weights(self.world, self.params.cities)
        self.link_geometry = mechanisms.paradiplomacy.link_geometry(
            self.world, self.params.paradiplomacy
        )
        self._settle_links()
        mechanisms.paradiplomacy.read_off(
            self.world, self.params.paradiplomacy, self.kernels, self.link_geometry
        )
        self.world.pairs.regional_at_start = mechanisms.trade.regional_share(
            self.world.pairs, self.params.trade)

        # Step 0: calibrate each state's home bias so that it starts at its exports/GDP (or
        # the world at the target openness), and solve the starting trade equilibrium; each
        # step starts from the last solution.
        nations = self.world.nations
        state_gdp = self.world.actors.gdp[: self.world.n_states]
        self.export_targets = mechanisms.trade.export_targets(nations, self.params.trade)
        self.home_bias = mechanisms.trade.calibrate_home_bias(
            state_gdp, self.world.pairs, self.params.trade, self.export_targets,
            self.kernels.gravity_flows,
        )
        self.growth_trend = mechanisms.trade.trends(nations.growth_trend, self.params.growth)
        self.trade_iterations = 0
        self.unconverged_trade_steps: list[int] = []
        self.domestic_share = self._solve_trade()
        self.previous_domestic_share = self.domestic_share
        self.start_export_share = self.export_share

        # The other mechanisms' starting state, then one pass of the read-off quantities
        # (activity classes, pillars, blocs) so that step 0 is recorded complete.
        self.technology_factor = np.ones(self.world.n_states)
        self.links_formed = self.links_dissolved = 0
        self.incidents = np.zeros(self.world.n_states, dtype=bool)
        self.blocs_of = mechanisms.relations.BlocReader()
        self._read_off()
        # Publics start attracted to each state as much as its appeal warrants, so attraction
        # (and with it relations) starts at rest and moves only when something changes.
        self.world.pairs.attraction = np.repeat(
            (nations.soft_power * nations.reputation)[:, None], self.world.n_states, axis=1
        )
        self.relation_drivers_at_start = self._relation_drivers()

        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)
        self.recorder = Recorder(self.world, self.params.trade)
        self.record()

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        self.apply_events()
        self.decide()
        self.city_diplomacy()
        self.paradiplomacy()
        self.trade()
        self.technology()
        self.soft_power()
        self.relations()
        self.record()

    @property
    def dt(self) -> float:
        """Years per step."""
        return self.step_months / 12.0

    def apply_events(self) -> None:
        """Phase 1: the events due now act, and the sanction and facilitation layers in force
        are set for this step (docs/model.md, "Events")."""
        step, world = self.steps, self.world
        world.pairs.relation_shock = np.zeros_like(world.pairs.relation_shock)
        self.event_penalty = np.zeros(world.n_states)
        self.event_incidents = np.zeros(world.n_states, dtype=bool)
        self.scheduled_summits = []
        self.events_applied = [(step, events.label(item.event)) for item in self.timeline
                               if item.at == step]
        rebuild = False
        for item in self.timeline:
            if item.at != step:
                continue
            event = item.event
            if isinstance(event, events.TechnologyShock):
                mechanisms.events.technology_shock(world, item, step)
            elif isinstance(event, events.Summit):
                self.scheduled_summits.append((item.rows["host"][0], item.rows["participants"]))
            elif isinstance(event, events.Agreement):
                year = self.date_of(step).year
                rebuild |= mechanisms.events.agreement(
                    world, item, self.params.paradiplomacy, year
                )
            elif isinstance(event, events.DigitalIncident):
                row = item.rows["state"][0]
                self.event_penalty[row] += mechanisms.events.digital_incident(
                    world, item, self.params.digital
                )
                self.event_incidents[row] = True
            elif isinstance(event, events.RelationShock):
                mechanisms.events.relation_shock(world, item)
        if rebuild:
            self.link_geometry = mechanisms.paradiplomacy.link_geometry(
                world, self.params.paradiplomacy, self.link_geometry.gdp
            )
            mechanisms.paradiplomacy.read_off(
                world, self.params.paradiplomacy, self.kernels, self.link_geometry
            )
        self.favoured = mechanisms.events.update_layers(
            world, self.timeline, step, self.world_index, self.params.events, self.params.trade,
            self.layer_memo,
        )

    def inject(self, event: events.Event | dict) -> events.Scheduled:
        """Schedule an event from code, mid-run: it acts at the next step unless its `at`
        names a later one. Bad events raise InputError naming the event and its field.
        Returns it as scheduled: its steps, and its states with any group expanded."""
        parsed = events.parse(event, "inject")
        item = _scheduled(parsed, self.world_index, self.steps + 1, None, "")
        self.timeline.append(item)
        return item

    def lift(self, name: str) -> None:
        """Lift the sanction or customs facilitation called `name`, or every part of the
        sanction regime called `name`, from the next step on; a sanction then fades as its
        `fade_months` say. An unknown name raises InputError."""
        named = [item for item in self._liftable()
                 if name in (item.event.name, getattr(item.event, "regime", None))]
        if not named:
            raise InputError("lift", "name", "a sanction or facilitation in force",
                             describe(name))
        for item in named:
            item.end = self.steps + 1

    def in_force(self) -> list[str]:
        """Names of the sanctions and customs facilitations in force at the next step, a
        regime's parts under its regime's name, each once."""
        names = [getattr(item.event, "regime", None) or item.event.name
                 for item in self._liftable()]
        return list(dict.fromkeys(name for name in names if name))

    def _liftable(self) -> list[events.Scheduled]:
        return [item for item in self.timeline
                if isinstance(item.event, events.Sanction | events.CustomsFacilitation)
                and item.in_force(self.steps + 1)]

    def decide(self) -> None:
        """Phase 2: the states answer this step's questions, in random order but each on the
        same briefing; what they change is on the timeline from the next step."""
        totals = self.kernels.output_and_spending(self.world.pairs.trade)
        self.briefing = mechanisms.decisions.brief(
            self.world, self.timeline, self.steps, self.params, self.kernels,
            self.streams["decisions"], self.dt, self.tastes, totals,
        )
        self.offers = (
            mechanisms.agreements.offers(self.world, self.params, self.kernels,
                                         self.streams["agreements"], self.dt, self.multi_vector,
                                         self.customs_union, totals)
            if self.params.decisions.agreements or self.params.decisions.hedging
            else mechanisms.agreements.no_offers()
        )
        self.programme_review = (
            mechanisms.digital_programmes.review(self.world, self.params, self.kernels,
                                                 self.streams["programmes"], self.dt,
                                                 self.programme_taste, self.programmes)
            if self.params.decisions.digital
            else mechanisms.digital_programmes.no_review(self.world.n_states)
        )
        self.chosen, self.proposals, self.accepted = [], [], []
        self.programme_changes = []
        self.states.shuffle_do("decide")
        self.offers.receive(self.proposals)
        for row in sorted(self.offers.offered):  # the states offered a deal answer it
            self.agent_at(row).answer()
        taken = mechanisms.decisions.enact(
            self.chosen, self.timeline, self.world_index, self.steps, self.params.decisions,
            self.world.actors.ids,
        ) + mechanisms.agreements.enact(
            self.accepted, self.world, self.params, self.offers, self.timeline,
            self.world_index, self.steps, self.world.actors.ids,
        )
        review = self.programme_review
        taken += mechanisms.digital_programmes.enact(
            self.programme_changes, self.programmes, review.utilities, review.parts, self.steps,
            self.world.actors.ids)
        if self.params.decisions.digital:
            mechanisms.digital_programmes.invest(self.world, self.params, self.programmes,
                                                 self.scripted_investment, self.dt)
        if self.params.decisions.hedging and len(self.multi_vector):
            mechanisms.agreements.hedge_relations(self.world, self.params, self.multi_vector,
                                                  self.dt)
        self.decisions += taken
        self.decisions_now = len(taken)

    def city_diplomacy(self) -> None:
        """Phase 2 (after the states' own decisions): capitals bid to host a summit or talks;
        the forums' summits due meet, each chaired by a member in its turn."""
        due = [forum.summit(k) for forum, k in self.forums_due]
        self.forums_due.clear()
        for forum in self.forums:
            forum.chair_scripted(self.steps, self.steps * self.dt)
        self.summit_hosts = mechanisms.summits.update(
            self.world,
            self.params.cities,
            self.kernels,
            self.streams["summits"],
            self.dt,
            self.scheduled_summits,
            self.params.relations.hostile_below,
            self.multi_vector,
            self.last_hosted,
            self.steps * self.dt,
            due,
        )
        self.forum_summits += [(self.steps, meeting.name, meeting.host) for meeting in due]

    def paradiplomacy(self) -> None:
        """Phase 3: region and city links form, strengthen and decay; activity classes."""
        self.links_formed, self.links_dissolved = mechanisms.paradiplomacy.update(
            self.world,
            self.params.paradiplomacy,
            self.link_geometry,
            self.kernels,
            stream_keys(self.streams["paradiplomacy"], 1)[0],
            self.dt,
            self.favoured,
            self.params.events.facilitation_drive,
            self.params.decisions.partners,
        )

    def trade(self) -> None:
        """Phase 4: GDP grows for one step, then structural gravity on the new GDP.

        Growth takes the gains or losses from trade implied by the change in domestic shares
        between the last two solves, so a trade-cost shock at step t moves GDP from step t + 1
        on, and the recorded flows of a step always add up to the recorded GDP.
        """
        shocks = self.streams["growth"].standard_normal(self.world.n_states)
        factor = (
            mechanisms.trade.growth_factor(
                self.params.growth,
                self.growth_trend,
                shocks,
                self.dt,
                self.domestic_share,
                self.previous_domestic_share,
                self.params.trade.sigma,
            )
            * self.technology_factor
        )
        actors = self.world.actors
        actors.gdp *= factor[actors.state]
        self.previous_domestic_share = self.domestic_share
        self.domestic_share = self._solve_trade()

    def technology(self) -> None:
        """Phase 5: technology waves spread; their GDP effect enters next step's growth."""
        self.technology_factor = mechanisms.technology.update(
            self.world,
            self.params.technology,
            self._cooperation(),
            self.kernels,
            self.steps,
            self.dt,
        )

    def soft_power(self) -> None:
        """Phase 6: digital diplomacy, then soft-power pillars, attraction and familiarity."""
        drawn = mechanisms.soft_power.digital(
            self.world,
            self.params.digital,
            self.kernels,
            self.streams["digital"].random(self.world.n_states),
            self.dt,
        )
        self.incidents = drawn | self.event_incidents
        penalty = (
            self.params.digital.incident_reputation * drawn
            + self.event_penalty
            + mechanisms.events.sanction_reputation(
                self.world.pairs.sanction, self.world.actors.gdp[: self.world.n_states],
                self.params.events, self.dt
            )
        )
        mechanisms.soft_power.update(
            self.world, self.params.soft_power, self._cultural(), penalty, self.kernels, self.dt
        )

    def relations(self) -> None:
        """Phase 7: relations between states, and the blocs read off them."""
        mechanisms.relations.update(
            self.world,
            self.params.relations,
            self._relation_drivers(),
            self.relation_drivers_at_start,
            self.kernels,
            self.blocs_of,
            self.dt,
        )

    def record(self) -> None:
        """Phase 8: arrays through the Recorder, model series through the DataCollector (in
        this order, so that a step stopped on a non-finite number is in neither)."""
        self.recorder.capture(self.steps)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ helpers

    def _read_off(self) -> None:
        """Quantities read off the state without moving it: activity, soft power, blocs."""
        nations = self.world.nations
        mechanisms.paradiplomacy.read_off(
            self.world, self.params.paradiplomacy, self.kernels, self.link_geometry
        )
        mechanisms.soft_power.read_off(
            self.world, self.params.soft_power, self.params.digital, self._cultural(),
            self.kernels,
        )
        relations = self.params.relations
        nations.bloc = self.blocs_of(self.world.pairs.relations, relations.bloc_threshold,
                                     relations.hostile_below)

    def _start_at_rest_under_sanctions(self) -> None:
        """Sanctions in force at the start have already done their work: relations start at
        the baseline they pull to, and reputation where the sanctions' penalty and its recovery
        cancel (docs/model.md, "Relations" and "Soft power")."""
        pairs, nations = self.world.pairs, self.world.nations
        pairs.relations_baseline = mechanisms.relations.starting_baseline(
            pairs.affinity, pairs.listed_baseline, pairs.sanction, self.params.relations
        )
        pairs.relations = pairs.relations_baseline.copy()
        np.fill_diagonal(pairs.relations, 1.0)
        penalty = mechanisms.events.sanction_reputation(
            pairs.sanction, self.world.actors.gdp[: self.world.n_states], self.params.events,
            self.dt)
        nations.reputation = mechanisms.soft_power.starting_reputation(
            nations.reputation_baseline, penalty, self.params.soft_power.reputation_recovery,
            self.dt,
        )

    def _settle_links(self) -> None:
        """Links a scenario lists without a strength, and with `regional_links = "settled"` the
        candidate links between regions, start at the strength they would settle at under the
        starting relations (the exact update over a very long step, without formation), so that
        a quiet world starts at rest; a candidate whose drives do not hold it stays dormant."""
        links = self.world.links
        unset = np.isnan(links.strength)
        if self.setup.spec.scenario.regional_links == "settled":
            listed = len(self.setup.spec.links)
            regional = np.zeros(len(links.ends), dtype=bool)
            regional[listed:] = links.kind[listed:] == LINK_KINDS.index("agreement")
            potential = (links.channels[:, None] >> np.arange(len(CHANNELS))) & 1
            unset |= regional[:, None] & potential.astype(bool)
        if not unset.any():
            return
        given = links.strength.copy()
        links.strength = np.where(unset, self.params.paradiplomacy.start_strength, given)
        quiet = self.params.paradiplomacy.model_copy(update={"formation_rate": 0.0})
        # An actor keeps up its active links first (docs/model.md, "Paradiplomacy"), so a link
        # that does not hold moves its ends' attention to their other links: settle again
        # until the same links hold.
        held = None
        while held is None or not np.array_equal(held, links.strength.any(axis=1)):
            held = links.strength.any(axis=1)
            mechanisms.paradiplomacy.update(
                self.world, quiet, self.link_geometry, self.kernels, 0, 1_000.0, self.favoured,
                self.params.events.facilitation_drive, self.params.decisions.partners,
            )
            links.strength = np.where(unset, links.strength, given)

    def _relation_drivers(self) -> mechanisms.relations.Drivers:
        political_plus = self.world.pairs.link_channels[CHANNELS.index("local_authority")]
        return mechanisms.relations.drivers(self.world, political_plus, self.kernels)

    def _cultural(self) -> np.ndarray:
        """S×S cultural-channel strength of the links between two states' actors."""
        return self.world.pairs.link_channels[CHANNELS.index("cultural")]

    def _cooperation(self) -> np.ndarray:
        """S×S strength of all channels between two states' actors, scaled to at most 1."""
        total = self.world.pairs.link_channels.sum(axis=0)
        return total / max(total.max(), 1e-300)

    def _solve_trade(self) -> np.ndarray:
        """Solve gravity for the current GDP; store flows; return each state's domestic share."""
        gdp = self.world.actors.gdp[: self.world.n_states]
        trade = self.params.trade
        phi = mechanisms.trade.trade_costs(self.world.pairs, trade, self.home_bias)
        nations = self.world.nations
        flows, nations.outward_resistance, nations.inward_resistance, self.trade_iterations = (
            self.kernels.gravity_flows(
                gdp,
                phi,
                nations.outward_resistance,
                nations.inward_resistance,
                trade.tolerance,
                trade.max_iterations,
            )
        )
        self.world.pairs.trade = flows
        if self.trade_iterations >= trade.max_iterations:
            self.unconverged_trade_steps.append(self.steps)
        return np.diag(flows) / gdp

    @property
    def diagnostics(self) -> list[str]:
        """Things a user should know about this run's numbers, as sentences."""
        notes = []
        target = self.params.trade.openness
        if self.export_targets is None and abs(self.start_export_share - target) > 1e-6:
            notes.append(
                f"trade.openness {target:g} is out of reach for this world: even without a "
                f"border effect it exports {self.start_export_share:.3f} of its output at step 0"
            )
        if self.unconverged_trade_steps:
            steps = self.unconverged_trade_steps
            notes.append(
                f"the trade equilibrium did not converge within trade.max_iterations "
                f"({self.params.trade.max_iterations}) at {len(steps)} step(s), first at step "
                f"{steps[0]}; raise trade.max_iterations or trade.tolerance"
            )
        return notes

    def agent_at(self, row: int) -> ActorAgent:
        """The agent of a world row."""
        return self._by_row[row]

    def date_of(self, step: int) -> dt.date:
        """The calendar date of a step: the start date plus `step` steps of `step_months`."""
        return events.date_of(self.start_date, self.step_months, step)

    @property
    def date(self) -> str:
        return self.date_of(self.steps).isoformat()

    @property
    def active_links(self) -> int:
        """Links with any channel open (the others are dormant candidates)."""
        return self.link_geometry.active_links

    @property
    def summit_host_id(self) -> str:
        """The cities that hosted this step's summits, comma-separated."""
        return ",".join(str(self.world.actors.ids[row]) for row in self.summit_hosts)

    @property
    def events_now(self) -> str:
        """The events that acted at this step, semicolon-separated."""
        return "; ".join(name for _, name in self.events_applied)

    @property
    def mean_relations(self) -> float:
        r, s = self.world.pairs.relations, self.world.n_states
        return float((r.sum() - np.trace(r)) / max(s * (s - 1), 1))

    @property
    def bloc_count(self) -> int:
        return len(np.unique(self.world.nations.bloc))

    @property
    def mean_technology(self) -> float:
        return float(self.world.nations.technology.mean()) if self.world.n_states else 0.0

    @property
    def incident_count(self) -> int:
        return int(self.incidents.sum())

    @property
    def world_gdp(self) -> float:
        return float(self.world.actors.gdp[: self.world.n_states].sum())

    @property
    def world_exports(self) -> float:
        trade = self.world.pairs.trade
        return float(trade.sum() - np.trace(trade))

    @property
    def export_share(self) -> float:
        return self.world_exports / self.world_gdp


def _world_index(model: GeoModel, memberships: list) -> events.WorldIndex:
    actors = model.world.actors
    return events.WorldIndex(
        row={str(ident): k for k, ident in enumerate(actors.ids)},
        kind=actors.kind,
        state=actors.state,
        start=model.start_date,
        step_months=model.step_months,
        groups=events.group_spells(memberships),
    )


def _scheduled(
    event: events.Event, index: events.WorldIndex, earliest: int, setup: Scenario | None,
    position: str,
) -> events.Scheduled:
    """An event scheduled on this world; a misfit is an InputError naming the event's field."""
    try:
        return events.schedule(event, index, earliest)
    except events.EventError as exc:
        source = setup.path if setup is not None and setup.path else (
            setup.name if setup is not None else "inject")
        raise InputError(
            source, events.event_key(event, position, exc.loc), exc.expected, exc.found
        ) from None


def _with_overrides(base: Params, overrides: dict[str, Any]) -> Params:
    """Scenario parameters with keyword overrides; bad ones are InputErrors."""
    try:
        return base.with_flat(overrides)
    except KeyError as exc:
        raise InputError(
            "GeoModel",
            str(exc.args[0]),
            f"a parameter name ({', '.join(PARAM_NAMES)})",
            describe(exc.args[0]),
        ) from None
    except ValidationError as exc:
        loc, expected, found = first_error(exc)
        raise InputError("GeoModel", "_".join(map(str, loc)), expected, found) from None
