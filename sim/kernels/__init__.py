"""Bulk interactions as pure functions over arrays.

Each kernel `name` has a plain-numpy `name_reference` with the same signature; tests check that
they agree. `BACKENDS` maps a backend name to a namespace of the implementations a model uses.
"""

from types import SimpleNamespace

from sim.kernels import (
    cities,
    decisions,
    digital,
    paradiplomacy,
    relations,
    soft_power,
    technology,
    trade,
)

MODULES = (trade, paradiplomacy, technology, soft_power, digital, relations, cities, decisions)


def _kernels(reference: bool) -> SimpleNamespace:
    found = {}
    for module in MODULES:
        for name in dir(module):
            ref = getattr(module, f"{name}_reference", None)
            if ref is not None and not name.startswith("_"):
                found[name] = ref if reference else getattr(module, name)
    return SimpleNamespace(**found)


BACKENDS = {"numba": _kernels(reference=False), "numpy": _kernels(reference=True)}
