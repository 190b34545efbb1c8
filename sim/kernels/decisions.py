"""What a state stands to lose by sanctioning another (docs/model.md, "Decisions").

A state weighing whether to join a sanction, or to retaliate against one, reads the cost from
the gravity solution: the first-order change in its real income if its trade with the other
state became dearer, every other state's prices held (Arkolakis, Costinot & Rodríguez-Clare
2012 give the general-equilibrium version through the domestic share). With flows X (row i
exports, column i imports, the diagonal the home market) and σ the elasticity of substitution:

    y   = X_ij / Σ_l X_il        share of i's output sold to j
    π   = X_ji / Σ_l X_li        share of i's spending bought from j
    L_k = 1 − (1 − y·c_out)^(1/σ) · (1 − π·c_in)^(1/(σ−1))

where c_out and c_in are the shares of i's sales to j and of its purchases from j that the
sanction cuts: 1 − exp(−β_s·x) for a sanction of intensity x on that flow. The first factor is
i's factory-gate price falling with its market access (p ∝ MA^(1/σ)), the second its price
index rising as the cheaper imports go.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def sanction_loss(
    trade: np.ndarray,
    imposer: np.ndarray,
    target: np.ndarray,
    export_cut: np.ndarray,
    import_cut: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """L_k ∈ [0, 1): the real income state `imposer[k]` loses by cutting `export_cut[k]` of
    its sales to `target[k]` and `import_cut[k]` of its purchases from it (module docstring).

    `trade` is the S×S flow matrix with the home market on the diagonal; a state with no
    output or no spending loses nothing on that side. A cut may be negative: trade that grows
    (an agreement) gives a gain, L < 0. Every state's output and spending are summed once, in
    one pass over `trade`; then serial over the K pairs.
    """
    n = trade.shape[0]
    output = np.zeros(n)
    spending = np.zeros(n)
    for i in range(n):
        for m in range(n):
            output[i] += trade[i, m]
            spending[m] += trade[i, m]
    k_pairs = imposer.shape[0]
    loss = np.empty(k_pairs)
    for k in range(k_pairs):
        i, j = imposer[k], target[k]
        y = trade[i, j] / output[i] if output[i] > 0.0 else 0.0
        pi = trade[j, i] / spending[i] if spending[i] > 0.0 else 0.0
        kept = (1.0 - y * export_cut[k]) ** (1.0 / sigma)
        kept *= (1.0 - pi * import_cut[k]) ** (1.0 / (sigma - 1.0))
        loss[k] = 1.0 - kept
    return loss


def sanction_loss_reference(
    trade: np.ndarray,
    imposer: np.ndarray,
    target: np.ndarray,
    export_cut: np.ndarray,
    import_cut: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """Plain-numpy reference for `sanction_loss`."""
    output = trade.sum(axis=1)[imposer]
    spending = trade.sum(axis=0)[imposer]
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(output > 0.0, trade[imposer, target] / output, 0.0)
        pi = np.where(spending > 0.0, trade[target, imposer] / spending, 0.0)
    kept = (1.0 - y * export_cut) ** (1.0 / sigma) * (1.0 - pi * import_cut) ** (
        1.0 / (sigma - 1.0))
    return 1.0 - kept
