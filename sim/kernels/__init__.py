"""Bulk interactions as pure functions over arrays.

Each mechanism has a numba kernel and a plain-numpy reference with the same signature; tests
check that they agree. `BACKENDS` maps a backend name to the implementations a model uses.
"""

from sim.kernels import trade

BACKENDS = {
    "numba": {"gravity_flows": trade.gravity_flows},
    "numpy": {"gravity_flows": trade.gravity_flows_reference},
}
