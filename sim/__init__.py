"""Geopol: an agent-based simulator of geopolitics. `from sim import GeoModel`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import GeoModel
    from sim.scenario import Scenario, load

__all__ = ["GeoModel", "Scenario", "load"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Imported when first asked for, so that `geopol` starts (and answers Ctrl-C or a typo
    # with one line) before numba, mesa and pandas are loaded.
    if name == "GeoModel":
        from sim.model import GeoModel

        return GeoModel
    if name in ("Scenario", "load"):
        from sim import scenario

        return getattr(scenario, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
