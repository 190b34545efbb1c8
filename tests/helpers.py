"""Small helpers the model tests share."""

from __future__ import annotations

from sim import GeoModel


def row(model: GeoModel, actor_id: str) -> int:
    """The row of an actor in the model's actor arrays."""
    return list(model.world.actors.ids).index(actor_id)


def run(model: GeoModel, steps: int) -> GeoModel:
    """`model` after `steps` more steps."""
    for _ in range(steps):
        model.step()
    return model
