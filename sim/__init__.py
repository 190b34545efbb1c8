"""Geopol: an agent-based simulator of geopolitics. `from sim import GeoModel`."""

from sim.model import GeoModel
from sim.scenario import Scenario, load

__all__ = ["GeoModel", "Scenario", "load"]
__version__ = "0.1.0"
