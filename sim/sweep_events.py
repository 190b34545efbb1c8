"""Event settings as sweep parameters (docs/sweeps.md, "Event settings"): a parameter
`"events.NAME.FIELD"` varies one field of the scenario's event called NAME:

    "events.EU extension.intensity" = { low = 0.2, high = 1.0 }
    "events.EU extension.at" = { low = 2017-06-01, high = 2018-06-01 }     # dates
    "events.EU extension.imposers" = { choices = [["EU"], ["EU", "USA"], ["NATO"]] }

A number or a date range is sampled as any parameter is (a date to the day); `choices` is a
choice among values of any kind, its design value the index of the choice (0, 1, ...). Every
value a run may get is checked as the event's own field is, against the world too, when the
spec is loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import Any

from sim import events
from sim.errors import InputError
from sim.scenario import Scenario, world_index

PREFIX = "events."
FIXED = ("type", "name", "source")  # what names an event, not a setting of it


def is_event_setting(key: str) -> bool:
    return key.startswith(PREFIX)


def split(key: str) -> tuple[str, str]:
    """`events.NAME.FIELD` as (NAME, FIELD); NAME may hold dots and spaces, FIELD does not."""
    name, _, field = key.removeprefix(PREFIX).rpartition(".")
    return name, field


def find(scenario: Scenario, key: str) -> tuple[int, events.Event]:
    """The position and the event a setting names; a name that is no event's, or several
    events', or a field the event does not have, raises ValueError with what was expected."""
    name, field = split(key)
    found = [(k, e) for k, e in enumerate(scenario.spec.events) if e.name == name]
    if not found:
        named = sorted({e.name for e in scenario.spec.events if e.name})
        shown = ", ".join(named[:8]) + (f" and {len(named) - 8} more" if len(named) > 8 else "")
        raise SettingError(f'"events.NAME.FIELD" with NAME an event of {scenario.name} '
                           f"({shown or 'it has no named events'})", repr(name))
    if len(found) > 1:
        raise SettingError(f"the name of one event ({len(found)} events of {scenario.name} "
                           "have it)", repr(name))
    k, event = found[0]
    fields = [f for f in type(event).model_fields if f not in FIXED]
    if field not in fields:
        raise SettingError(f"a field of the {event.type} {name!r} ({', '.join(fields)})",
                           repr(field))
    return k, event


class SettingError(ValueError):
    def __init__(self, expected: str, found: str) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"expected {expected}, found {found}")


def check(scenario: Scenario, key: str, value: Any, index: events.WorldIndex | None = None
          ) -> None:
    """A value the setting may take is one the event's field accepts, and the event with it
    still fits the world (its states exist, its groups have members on its date). `index`:
    the scenario's `world_index`, when the caller checks many values."""
    _, event = find(scenario, key)
    field = split(key)[1]
    try:
        changed = events.parse({**event.model_dump(), field: value}, "sweep")
    except InputError as exc:
        raise SettingError(exc.expected, exc.found) from None
    if scenario.spec.synthetic is not None:
        return
    try:
        events.schedule(changed, index or world_index(scenario.spec), earliest=0)
    except events.EventError as exc:
        where = ".".join(map(str, exc.loc))
        raise SettingError(f"{exc.expected} (its {where})", exc.found) from None


def apply(scenario: Scenario, settings: dict[str, Any]) -> Scenario:
    """The scenario with its events' settings changed; its hash names the settings too."""
    if not settings:
        return scenario
    timeline = list(scenario.spec.events)
    for key, value in settings.items():
        k = find(scenario, key)[0]
        timeline[k] = events.parse({**timeline[k].model_dump(), split(key)[1]: value}, "sweep")
    spec = scenario.spec.model_copy(update={"events": timeline})
    mark = json.dumps({"scenario": scenario.content_hash, "events": settings}, sort_keys=True,
                      default=str)
    return replace(scenario, spec=spec, content_hash=hashlib.sha256(mark.encode()).hexdigest())


def as_value(given: Any) -> Any:
    """A design's value as the event takes it: an ISO date string back to a date."""
    if isinstance(given, str):
        try:
            return dt.date.fromisoformat(given)
        except ValueError:
            return given
    return given
