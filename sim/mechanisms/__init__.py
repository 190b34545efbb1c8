"""The phases of a step around the kernels: what each mechanism reads from the world, which
kernel it calls, and what it writes back. Equations: docs/model.md."""

from sim.mechanisms import (
    agreements,
    decisions,
    digital_programmes,
    events,
    paradiplomacy,
    relations,
    soft_power,
    summits,
    technology,
    trade,
)

__all__ = [
    "agreements", "decisions", "digital_programmes", "events",
    "paradiplomacy", "relations", "soft_power", "summits", "technology", "trade"]
