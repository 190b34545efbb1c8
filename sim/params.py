"""Model parameters: typed, validated, with the defaults and sources listed in docs/model.md.

Parameters live in sections (`[params.trade]` in a scenario file). Code and Mesa's `batch_run`
pass them flat, as `section_name` keyword arguments: `GeoModel(trade_sigma=6.0)`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from sim.kernels import paradiplomacy as para


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True,
                              allow_inf_nan=False)


class TradeParams(Section):
    """Structural gravity (docs/model.md, "Trade")."""

    # Below 3 the gains from trade echo a state's own growth back into it, and runs diverge
    # (docs/model.md, "Why σ ≥ 3").
    sigma: float = Field(5.0, ge=3.0, le=20.0, description="elasticity of substitution σ")
    distance_elasticity: float = Field(
        1.0, ge=0.0, le=3.0, description="−∂ln X/∂ln d, so that ρ = value/(σ−1)"
    )
    contiguity: float = Field(0.52, ge=0.0, le=3.0, description="log-trade effect of a land border")
    language: float = Field(
        0.33, ge=0.0, le=3.0, description="log-trade effect of a common official language"
    )
    colony: float = Field(0.84, ge=0.0, le=3.0, description="log-trade effect of a colonial tie")
    agreement: float = Field(0.28, ge=0.0, le=3.0, description="log-trade effect of an agreement")
    sanction: float = Field(
        1.47, ge=0.0, le=10.0, description="log-trade loss from a complete trade sanction"
    )
    regional: float = Field(
        0.3, ge=0.0, le=3.0, description="log-trade effect of saturated regional economic ties"
    )
    regional_scale: float = Field(
        5.0, gt=0.0, le=1000.0, description="fewest links the regional effect is shared over"
    )
    openness: float = Field(
        0.30, gt=0.0, lt=1.0,
        description="exports / output at step 0 of a state without data (or of the world)",
    )
    # A cap below half of output would clip the data of most states (their median is 0.40), and
    # one near 0 leaves the calibration without a solution (flows overflow at 1e-300).
    export_share_cap: float = Field(
        0.95, ge=0.5, lt=1.0, description="largest exports / output a state is calibrated to"
    )
    tolerance: float = Field(1e-10, gt=0.0, le=1e-3, description="fixed-point tolerance")
    max_iterations: int = Field(1000, ge=1, le=100_000, description="fixed-point iteration cap")


class GrowthParams(Section):
    """GDP growth (docs/model.md, "Growth")."""

    trend: float = Field(
        0.03, ge=-0.2, le=0.3, description="trend growth of GDP per year, of a state without data"
    )
    data_trends: float = Field(
        1.0, ge=0.0, le=1.0, description="weight of each state's own trend against the trend"
    )
    volatility: float = Field(0.02, ge=0.0, le=0.5, description="s.d. of GDP shocks per √year")


class _ParadiplomacyBase(Section):
    """Region and city links (docs/model.md, "Paradiplomacy")."""

    candidate_km: float = Field(500.0, gt=0.0, le=20_000.0, description="reach of candidate links")
    candidate_partners: int = Field(
        6, ge=1, le=10_000,
        description="foreign regions a region of `partners_reference_gdp` may link with",
    )
    partners_reference_gdp: float = Field(
        1e10, gt=0.0, le=1e14, description="GDP (US$) of a region with `candidate_partners`"
    )
    partners_gdp_elasticity: float = Field(
        0.5, ge=0.0, le=2.0, description="elasticity of a region's partner slots to its GDP"
    )
    proximity_km: float = Field(500.0, gt=0.0, le=20_000.0, description="scale of proximity")
    attention: float = Field(
        3.0, ge=0.0, le=10_000.0,
        description="links' worth of full effort an actor of `partners_reference_gdp` gives",
    )
    attention_temperature: float = Field(
        0.5, gt=0.0, le=100.0, description="how evenly an actor spreads its attention"
    )
    attention_commitment: float = Field(
        2.0, ge=0.0, le=100.0, description="extra pay of a link already active, in odds units"
    )
    attention_focus: float = Field(
        10.0, ge=0.0, le=1000.0,
        description="how many times faster a sought candidate forms than one left to itself",
    )

    @model_validator(mode="after")
    def _new_links_survive(self) -> _ParadiplomacyBase:
        # A link formed at start_strength on every channel must not dissolve at once.
        if self.start_strength <= self.dissolve_below:
            raise ValueError(
                f"start_strength above dissolve_below ({self.dissolve_below:g}); "
                f"found start_strength {self.start_strength:g}"
            )
        return self


# The rates, thresholds and drive and formation coefficients are named by the kernel module,
# which documents each one; every coefficient may be negative or positive.
ParadiplomacyParams = create_model(
    "ParadiplomacyParams",
    __base__=_ParadiplomacyBase,
    **{name: (float, Field(value, ge=0.0, le=1000.0)) for name, value in para.DEFAULTS.items()},
    **{name: (float, Field(value, ge=-20.0, le=20.0))
       for name, value in {**para.DRIVE_DEFAULTS, **para.FORMATION_DEFAULTS}.items()},
)


class TechnologyParams(Section):
    """Technology waves (docs/model.md, "Technology")."""

    p: float = Field(0.03, ge=0.0, le=1.0, description="Bass innovation per year")
    q: float = Field(0.38, ge=0.0, le=5.0, description="Bass imitation per year")
    cooperation: float = Field(1.0, ge=0.0, le=100.0, description="weight of links vs trade")
    gdp_elasticity: float = Field(0.05, ge=0.0, le=1.0, description="log GDP per wave adopted")
    amplification: float = Field(0.5, ge=0.0, le=10.0, description="power amplification")


class SoftPowerParams(Section):
    """Soft power and attraction (docs/model.md, "Soft power")."""

    attraction_rate: float = Field(1.0, ge=0.0, le=50.0, description="attraction speed per year")
    reputation_baseline: float = Field(
        0.5, ge=0.0, le=1.0, description="reputation of a state of middling income"
    )
    reputation_income: float = Field(
        0.4, ge=0.0, le=2.0, description="reputation from the poorest to the richest"
    )
    reputation_recovery: float = Field(0.2, ge=0.0, le=10.0, description="recovery per year")
    cultural_exposure: float = Field(1.0, ge=0.0, le=100.0, description="exposure per link")
    digital_exposure: float = Field(1.0, ge=0.0, le=100.0, description="exposure at full reach")


class DigitalParams(Section):
    """Digital diplomacy (docs/model.md, "Digital diplomacy")."""

    base_rate: float = Field(2.31, ge=0.0, le=50.0, description="audience growth per year")
    ceiling_per_person: float = Field(0.02, gt=0.0, le=1.0, description="audience ceiling")
    initial_share: float = Field(0.05, ge=0.0, le=1.0, description="default start / ceiling")
    default_capacity: float = Field(0.5, ge=0.0, le=1.0, description="default capacity")
    default_quality: float = Field(0.5, ge=0.0, le=1.0, description="default content quality")
    default_risk_management: float = Field(0.5, ge=0.0, le=1.0, description="default risk mgmt")
    incident_hazard: float = Field(0.2, ge=0.0, le=10.0, description="incidents per year")
    incident_severity: float = Field(0.1, ge=0.0, le=1.0, description="audience lost")
    incident_reputation: float = Field(0.02, ge=0.0, le=1.0, description="reputation penalty")
    audience_from: float = Field(0.05, gt=0.0, le=1.0, description="stage: audience from")
    engagement_from: float = Field(0.3, gt=0.0, le=1.0, description="stage: engagement from")
    engagement_quality: float = Field(0.6, ge=0.0, le=1.0, description="stage: quality needed")

    @model_validator(mode="after")
    def _stages_in_order(self) -> DigitalParams:
        if self.engagement_from < self.audience_from:
            raise ValueError(
                f"engagement_from at least audience_from ({self.audience_from:g}); "
                f"found engagement_from {self.engagement_from:g}"
            )
        return self


class RelationsParams(Section):
    """Relations between states and blocs (docs/model.md, "Relations")."""

    agreement_baseline: float = Field(
        0.3, ge=-1.0, le=1.0, description="affinity of partners in a trade agreement"
    )
    defence: float = Field(0.4, ge=-2.0, le=2.0, description="affinity of a defence pact")
    alliance: float = Field(0.15, ge=-2.0, le=2.0, description="affinity of another alliance")
    membership: float = Field(
        0.15, ge=-2.0, le=2.0, description="affinity per organisation both belong to"
    )
    rivalry: float = Field(0.6, ge=0.0, le=3.0, description="affinity lost to a rivalry")
    standing_sanction: float = Field(
        0.87, ge=0.0, le=5.0, description="affinity lost to a complete sanction at the start"
    )
    drift: float = Field(0.23, ge=0.0, le=1.0, description="pull to the baseline per year")
    attraction: float = Field(0.05, ge=0.0, le=1.0, description="push per unit attraction")
    interdependence: float = Field(0.2, ge=0.0, le=2.0, description="push per interdependence")
    summits: float = Field(0.01, ge=0.0, le=0.2, description="push per summit tie")
    political_plus: float = Field(0.05, ge=0.0, le=1.0, description="push per regional tie")
    sanction: float = Field(0.2, ge=0.0, le=2.0, description="pull of a complete sanction")
    bloc_threshold: float = Field(0.2, ge=-1.0, le=1.0, description="relations that bind a bloc")
    hostile_below: float = Field(
        -0.05, ge=-1.0, le=0.0, description="relations that keep two states out of one bloc"
    )


class CitiesParams(Section):
    """City diplomacy (docs/model.md, "City diplomacy")."""

    summit_rate: float = Field(2.0, ge=0.0, le=52.0, description="summits per year")
    talks_below: float = Field(-0.3, ge=-1.0, le=1.0, description="relations that call for talks")
    gain: float = Field(0.1, ge=0.0, le=1.0, description="weight per ln(1 + participants)")
    weight_ceiling: float = Field(
        1.0, gt=0.0, le=100.0, description="weight above the standing one that gains approach"
    )
    prestige: float = Field(
        0.3, ge=0.0, le=10.0, description="bid of a multi-vector state's capital for prestige"
    )
    rotation_years: float = Field(
        4.0, gt=0.0, le=100.0, description="years over which a member's turn to host returns"
    )
    decay: float = Field(0.07, ge=0.0, le=1.0, description="weight decay per year")
    ties_decay: float = Field(0.35, ge=0.0, le=5.0, description="summit-tie decay per year")
    capital_bonus: float = Field(0.25, ge=0.0, le=2.0, description="venue score of a capital")
    capital_weight: float = Field(1.0, ge=0.0, le=100.0, description="starting weight, capital")
    city_weight: float = Field(0.2, ge=0.0, le=100.0, description="starting weight, other city")


class EventsParams(Section):
    """How sanctions and customs facilitation act (docs/model.md, "Events")."""

    partial: float = Field(0.5, ge=0.0, le=1.0, description="intensity of a partial sanction")
    financial_trade: float = Field(0.3, ge=0.0, le=1.0, description="trade weight, financial")
    travel_trade: float = Field(0.0, ge=0.0, le=1.0, description="trade weight, travel")
    arms_trade: float = Field(0.05, ge=0.0, le=1.0, description="trade weight, arms")
    reputation: float = Field(
        0.25, ge=0.0, le=5.0, description="reputation cost per year of the world's sanctions"
    )
    facilitation_drive: float = Field(
        1.0, ge=0.0, le=20.0, description="economic drive of facilitated regional links"
    )


class DecisionsParams(Section):
    """What states decide for themselves (docs/model.md, "Decisions"): each kind of decision
    can be switched off, leaving the scenario's scripted events alone."""

    coalitions: bool = Field(True, description="states join, stay in or leave sanctions")
    retaliation: bool = Field(True, description="sanctioned states counter-sanction")
    partners: bool = Field(
        True, description="regions and cities spread their attention over their partners"
    )
    agreements: bool = Field(True, description="states propose and accept trade agreements")
    digital: bool = Field(
        True, description="states run digital-diplomacy programmes when it pays"
    )
    hedging: bool = Field(
        True, description="multi-vector states seek deals that cut their largest dependence"
    )
    temperature: float = Field(0.3, gt=0.0, le=100.0, description="logit temperature")
    review_rate: float = Field(
        2.0, ge=0.0, le=52.0, description="times a year a state reconsiders each choice"
    )
    inertia: float = Field(1.0, ge=0.0, le=20.0, description="utility of the status quo")
    alignment: float = Field(
        3.0, ge=0.0, le=50.0, description="utility per unit of alignment with the imposers"
    )
    target_relations: float = Field(
        5.0, ge=0.0, le=50.0, description="utility lost per unit of relations with the target"
    )
    income: float = Field(
        1.0, ge=0.0, le=50.0, description="utility lost per % of real income the choice costs"
    )
    join_cost: float = Field(2.0, ge=-20.0, le=20.0, description="utility lost by joining")
    hostility: float = Field(
        3.0, ge=0.0, le=50.0, description="utility of retaliating per unit of hostility"
    )
    severity: float = Field(
        2.0, ge=0.0, le=50.0, description="utility of retaliating per unit of sanction suffered"
    )
    retaliation_cost: float = Field(
        1.5, ge=-20.0, le=20.0, description="utility lost by retaliating"
    )
    retaliation_intensity: float = Field(
        0.5, gt=0.0, le=1.0, description="intensity of a counter-sanction on imports"
    )
    agreement_rate: float = Field(
        0.5, ge=0.0, le=52.0, description="times a year a state is open to a trade agreement"
    )
    facilitation_rate: float = Field(
        1.5, ge=0.0, le=52.0,
        description="times a year a hedging state looks for a customs facilitation",
    )
    deal_income: float = Field(
        10.0, ge=0.0, le=500.0, description="utility of a deal per % of real income it brings"
    )
    partner_relations: float = Field(
        1.0, ge=0.0, le=50.0, description="utility of a deal per unit of relations"
    )
    complementarity: float = Field(
        0.5, ge=0.0, le=50.0, description="utility of a deal per unit of complementarity"
    )
    agreement_cost: float = Field(
        1.25, ge=-20.0, le=50.0, description="utility lost by concluding a trade agreement"
    )
    facilitation_cost: float = Field(
        0.25, ge=-20.0, le=50.0, description="utility lost by concluding a customs facilitation"
    )
    hedge: float = Field(
        5.0, ge=0.0, le=100.0,
        description="utility per point a deal cuts a multi-vector state's largest partner share",
    )
    digital_gap: float = Field(
        1.0, ge=0.0, le=50.0,
        description="utility of a programme per share of the reachable audience not reached",
    )
    digital_income: float = Field(
        1.0, ge=0.0, le=50.0, description="utility of a programme per log of GDP per head"
    )
    digital_cost: float = Field(
        1.5, ge=-20.0, le=50.0, description="utility lost by running a programme"
    )
    digital_budget: float = Field(
        1.0, ge=0.0, le=100.0, description="investment v a programme adds to audience growth"
    )
    digital_capacity_rate: float = Field(
        0.2, ge=0.0, le=10.0, description="rate a year at which a programme builds capacity"
    )
    hedge_pull: float = Field(
        0.2, ge=0.0, le=10.0,
        description="rate a year at which a multi-vector state evens its relations with blocs",
    )
    hedge_cut: float = Field(
        0.05, gt=0.0, lt=1.0, description="share of trade costs a hedging state's deal removes"
    )


class Params(Section):
    trade: TradeParams = TradeParams()
    growth: GrowthParams = GrowthParams()
    paradiplomacy: ParadiplomacyParams = ParadiplomacyParams()
    technology: TechnologyParams = TechnologyParams()
    soft_power: SoftPowerParams = SoftPowerParams()
    digital: DigitalParams = DigitalParams()
    relations: RelationsParams = RelationsParams()
    cities: CitiesParams = CitiesParams()
    events: EventsParams = EventsParams()
    decisions: DecisionsParams = DecisionsParams()

    def flat(self) -> dict[str, Any]:
        """All parameters as `section_name` → value."""
        return {
            f"{section}_{key}": value
            for section, values in self.model_dump().items()
            for key, value in values.items()
        }

    def with_flat(self, overrides: dict[str, Any]) -> Params:
        """A copy with `section_name` overrides applied and validated.

        Raises KeyError for an unknown name and pydantic's ValidationError for a bad value.
        """
        data = self.model_dump()
        for name, value in overrides.items():
            if name not in PARAM_PATHS:
                raise KeyError(name)
            section, key = PARAM_PATHS[name]
            data[section][key] = value
        return Params.model_validate(data)


# `section_name` → (section, name), e.g. "soft_power_attraction_rate" → ("soft_power", ...).
PARAM_PATHS: dict[str, tuple[str, str]] = {
    f"{section}_{key}": (section, key)
    for section, model in Params.model_fields.items()
    for key in model.annotation.model_fields
}
PARAM_NAMES: tuple[str, ...] = tuple(PARAM_PATHS)


def dotted(name: str) -> str:
    """A flat parameter name as a scenario file or `--set` writes it: `trade.sigma`."""
    return ".".join(PARAM_PATHS[name])
