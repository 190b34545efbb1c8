"""Model parameters: typed, validated, with the defaults and sources listed in docs/model.md.

Parameters live in sections (`[params.trade]` in a scenario file). Code and Mesa's `batch_run`
pass them flat, as `section_name` keyword arguments: `GeoModel(trade_sigma=6.0)`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class TradeParams(Section):
    """Structural gravity (docs/model.md, "Trade")."""

    sigma: float = Field(5.0, ge=1.5, le=20.0, description="elasticity of substitution σ")
    distance_elasticity: float = Field(
        1.0, ge=0.0, le=3.0, description="−∂ln X/∂ln d, so that ρ = value/(σ−1)"
    )
    contiguity: float = Field(0.52, ge=0.0, le=3.0, description="log-trade effect of a land border")
    agreement: float = Field(0.28, ge=0.0, le=3.0, description="log-trade effect of an agreement")
    sanction: float = Field(
        1.47, ge=0.0, le=10.0, description="log-trade loss from a complete trade sanction"
    )
    openness: float = Field(
        0.30, gt=0.0, lt=1.0, description="world exports / world output at step 0 (sets β_b)"
    )
    tolerance: float = Field(1e-10, gt=0.0, le=1e-3, description="fixed-point tolerance")
    max_iterations: int = Field(1000, ge=1, le=100_000, description="fixed-point iteration cap")


class GrowthParams(Section):
    """GDP growth (docs/model.md, "Growth")."""

    trend: float = Field(0.03, ge=-0.2, le=0.3, description="trend growth of GDP per year")
    volatility: float = Field(0.02, ge=0.0, le=0.5, description="s.d. of GDP shocks per √year")


class Params(Section):
    trade: TradeParams = TradeParams()
    growth: GrowthParams = GrowthParams()

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
        known = self.flat()
        for name, value in overrides.items():
            if name not in known:
                raise KeyError(name)
            section, key = name.split("_", 1)
            data[section][key] = value
        return Params.model_validate(data)


PARAM_NAMES: tuple[str, ...] = tuple(Params().flat())
