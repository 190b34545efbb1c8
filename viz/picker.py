"""Pickers of states, cities and regions that show names and give codes on hover."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import solara

from sim import GeoModel


def named(model: GeoModel, codes: Sequence[str]) -> list[dict[str, str]]:
    """A picker's items: each code with its actor's name; a group of states (EU, NATO) keeps
    its code, said to stand for its members."""
    row, names = model.world_index.row, model.world.actors.names
    return [{"code": code, "name": str(names[row[code]]) if code in row
             else f"{code} (its members)"} for code in codes]


@solara.component_vue("picker.vue")
def CodePicker(label: str, items: list[dict[str, str]], value: str | list[str],
               on_value: Callable[[str | list[str]], None] | None = None,
               multiple: bool = False):
    """Picks one code (or several, `multiple`) from `items` (see `named`)."""


def Picker(label: str, items: list[dict[str, str]], value: str | list[str],
           on_value: Callable, multiple: bool = False) -> solara.Element:
    """`CodePicker`, which takes its arguments by name only, called as solara's Select is."""
    return CodePicker(label=label, items=items, value=value, on_value=on_value,
                      multiple=multiple)
