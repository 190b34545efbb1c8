"""Mesa agents for the actors of the world: thin views onto rows of the model's arrays."""

from agents.actors import ActorAgent, CityAgent, RegionAgent, StateAgent

__all__ = ["ActorAgent", "CityAgent", "RegionAgent", "StateAgent"]
