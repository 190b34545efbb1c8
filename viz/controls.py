"""What a user can set before a run: the scenario, the seed and the main parameters.

The slider ranges lie inside the ranges docs/model.md gives (a test holds them to it), and
narrower where the documented range is only the validity bound; the units are the docs' own.
"""

from __future__ import annotations

from dataclasses import dataclass

from mesa.visualization import Slider

from sim.params import PARAM_PATHS, Params
from sim.scenario import bundled


@dataclass(frozen=True)
class ParameterSlider:
    name: str  # `section_name`, as GeoModel takes it
    label: str
    unit: str
    low: float
    high: float
    step: float

    @property
    def key(self) -> str:
        """The dotted name docs/model.md uses."""
        return ".".join(PARAM_PATHS[self.name])


PARAMETER_SLIDERS = (
    ParameterSlider("trade_sigma", "Trade elasticity σ", "unitless", 2.0, 12.0, 0.5),
    ParameterSlider("trade_sanction", "Trade lost to a full sanction", "log points", 0.0, 3.0,
                    0.05),
    ParameterSlider("growth_trend", "GDP trend growth", "per year", -0.05, 0.10, 0.005),
    ParameterSlider("paradiplomacy_formation_rate", "Link formation rate", "per year",
                    0.0, 0.5, 0.01),
    ParameterSlider("cities_summit_rate", "Summits", "per year", 0.0, 12.0, 0.5),
    ParameterSlider("technology_q", "Technology imitation q", "per year", 0.0, 2.0, 0.02),
    ParameterSlider("soft_power_attraction_rate", "Soft-power attraction", "per year per unit "
                    "exposure", 0.0, 5.0, 0.1),
    ParameterSlider("digital_base_rate", "Digital audience growth", "per year", 0.0, 10.0, 0.1),
    ParameterSlider("relations_drift", "Relations drift to baseline", "per year", 0.0, 1.0,
                    0.01),
)


def model_params(scenario: str, seed: int, params: Params) -> dict:
    """The inputs Mesa's ModelCreator shows, keyed by LiveModel's arguments; each slider
    starts at the scenario's own value."""
    flat = params.flat()
    inputs: dict = {
        "scenario": {"type": "Select", "label": "Scenario", "value": scenario,
                     "values": sorted(bundled())},
        "scenario_file": {"type": "InputText", "label": "…or a scenario file (path)",
                          "value": ""},
        "seed": {"type": "InputText", "label": "Seed", "value": str(seed)},
    }
    for slider in PARAMETER_SLIDERS:
        inputs[slider.name] = Slider(f"{slider.label} ({slider.unit})",
                                     value=float(flat[slider.name]), min=slider.low,
                                     max=slider.high, step=slider.step, dtype=float)
    return inputs
