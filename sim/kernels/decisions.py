"""What a state stands to lose by sanctioning another, what a deal with another would give it,
and its own tastes for deals (docs/model.md, "Decisions").

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

import math

import numpy as np
from numba import njit

from sim.kernels.draws import UNIT, counter_uniform, counter_uniforms_reference


@njit(cache=True)
def output_and_spending(trade: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each state's output (row sums of `trade`, Σ_l X_il) and spending (column sums,
    Σ_l X_li), the totals y and π are shares of (module docstring); summed once a step for
    every valuation of it."""
    n = trade.shape[0]
    output = np.empty(n)
    spending = np.zeros(n)
    for i in range(n):
        output[i] = trade[i].sum()
        spending += trade[i]  # row by row: contiguous, and no chain of dependent additions
    return output, spending


@njit(cache=True)
def _shares(trade: np.ndarray, output: np.ndarray, spending: np.ndarray, i: int, j: int
            ) -> tuple[float, float]:
    """y, π: the share of i's output sold to j and of its spending bought from j (0 for a
    state with no output or no spending)."""
    y = trade[i, j] / output[i] if output[i] > 0.0 else 0.0
    pi = trade[j, i] / spending[i] if spending[i] > 0.0 else 0.0
    return y, pi


@njit(cache=True)
def _kept(trade: np.ndarray, output: np.ndarray, spending: np.ndarray, i: int, j: int,
          export_cut: float, import_cut: float, sigma: float) -> float:
    """1 − L: the share of i's real income kept when its sales to j and purchases from j are
    cut by `export_cut` and `import_cut` (module docstring)."""
    y, pi = _shares(trade, output, spending, i, j)
    kept = (1.0 - y * export_cut) ** (1.0 / sigma)
    return kept * (1.0 - pi * import_cut) ** (1.0 / (sigma - 1.0))


def output_and_spending_reference(trade: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `output_and_spending`."""
    return trade.sum(axis=1), trade.sum(axis=0)


@njit(cache=True)
def sanction_loss(
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    imposer: np.ndarray,
    target: np.ndarray,
    export_cut: np.ndarray,
    import_cut: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """L_k ∈ [0, 1): the real income state `imposer[k]` loses by cutting `export_cut[k]` of
    its sales to `target[k]` and `import_cut[k]` of its purchases from it (module docstring).

    `trade` is the S×S flow matrix with the home market on the diagonal, `output` and
    `spending` its row and column sums (`output_and_spending`); a state with no output or no
    spending loses nothing on that side. A cut may be negative: trade that grows (an
    agreement) gives a gain, L < 0. Serial over the K pairs.
    """
    loss = np.empty(imposer.shape[0])
    for k in range(imposer.shape[0]):
        loss[k] = 1.0 - _kept(trade, output, spending, imposer[k], target[k], export_cut[k],
                              import_cut[k], sigma)
    return loss


def sanction_loss_reference(
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    imposer: np.ndarray,
    target: np.ndarray,
    export_cut: np.ndarray,
    import_cut: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """Plain-numpy reference for `sanction_loss`."""
    output = output[imposer]
    spending = spending[imposer]
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(output > 0.0, trade[imposer, target] / output, 0.0)
        pi = np.where(spending > 0.0, trade[target, imposer] / spending, 0.0)
    kept = (1.0 - y * export_cut) ** (1.0 / sigma) * (1.0 - pi * import_cut) ** (
        1.0 / (sigma - 1.0))
    return 1.0 - kept


@njit(cache=True)
def deal_worth(
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    relations: np.ndarray,
    sanction: np.ndarray,
    closed: np.ndarray,
    bound: np.ndarray,
    per_head: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    growth: float,
    sigma: float,
    hostile_below: float,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """U_k of a deal between states i = rows[k] and j = cols[k], for i, and its parts
    (docs/model.md, "Decisions", Deals); weights = (w, p, c, cost):

        U    = w·100·G + p·R_ij + c·K_ij − cost
        G    = (1 + y·g)^(1/σ)·(1 + π·g)^(1/(σ−1)) − 1   real income i gains as its flows with
               j grow by g = e^gain − 1 both ways (−L of `sanction_loss` with cut −g), with
               y = X_ij / output_i and π = X_ji / spending_i
        K_ij = 1 − exp(−|ln(y_i/y_j)|) = 1 − min(y_i/y_j, y_j/y_i)   complementarity of GDP per
               head (0 where either is not positive)

    parts[k] = (G, R_ij, K_ij). A deal is closed, U = −inf with G and K left at 0, where i = j,
    either state sanctions the other, either holds the other below `hostile_below`,
    `closed[i, j]` (the pair has the deal already), or `bound[i]` or `bound[j]` (a state that
    cannot sign it on its own). `output` and `spending`
    are the row and column sums of `trade`, summed once a step by the caller, since every call
    in a step reads the same flows.
    """
    n = rows.shape[0]
    worth = np.empty(n)
    parts = np.zeros((n, 3))
    to_sales, to_purchases = 1.0 / sigma, 1.0 / (sigma - 1.0)
    for k in range(n):
        i, j = rows[k], cols[k]
        parts[k, 1] = relations[i, j]
        if (i == j or sanction[i, j] > 0.0 or sanction[j, i] > 0.0
                or relations[i, j] < hostile_below or relations[j, i] < hostile_below
                or closed[i, j] or bound[i] or bound[j]):
            worth[k] = -np.inf  # whatever its parts: spare the logarithms
            continue
        y, pi = _shares(trade, output, spending, i, j)
        parts[k, 0] = math.expm1(to_sales * math.log1p(y * growth)
                                 + to_purchases * math.log1p(pi * growth))
        a, b = per_head[i], per_head[j]
        parts[k, 2] = 1.0 - min(a / b, b / a) if a > 0.0 and b > 0.0 else 0.0
        worth[k] = (weights[0] * 100.0 * parts[k, 0] + weights[1] * parts[k, 1]
                    + weights[2] * parts[k, 2] - weights[3])
    return worth, parts


def deal_worth_reference(
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    relations: np.ndarray,
    sanction: np.ndarray,
    closed: np.ndarray,
    bound: np.ndarray,
    per_head: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    growth: float,
    sigma: float,
    hostile_below: float,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `deal_worth`, with G in powers and K in logarithms."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(output[rows] > 0.0, trade[rows, cols] / output[rows], 0.0)
        pi = np.where(spending[rows] > 0.0, trade[cols, rows] / spending[rows], 0.0)
        a, b = per_head[rows], per_head[cols]
        fit = np.where((a > 0.0) & (b > 0.0), 1.0 - np.exp(-np.abs(np.log(a / b))), 0.0)
    gain = (1.0 + y * growth) ** (1.0 / sigma) * (1.0 + pi * growth) ** (1.0 / (sigma - 1.0)) - 1.0
    open_ = ((rows != cols) & (sanction[rows, cols] <= 0.0) & (sanction[cols, rows] <= 0.0)
             & (relations[rows, cols] >= hostile_below) & (relations[cols, rows] >= hostile_below)
             & ~closed[rows, cols] & ~bound[rows] & ~bound[cols])
    gain, fit = np.where(open_, gain, 0.0), np.where(open_, fit, 0.0)
    worth = np.where(open_, weights[0] * 100.0 * gain + weights[1] * relations[rows, cols]
                     + weights[2] * fit - weights[3], -np.inf)
    return worth, np.stack([gain, relations[rows, cols], fit], axis=-1).reshape(-1, 3)


@njit(cache=True)
def pair_tastes(key: int, rows: np.ndarray, cols: np.ndarray, n_states: int, scale: float
                ) -> np.ndarray:
    """ε_k: state rows[k]'s own taste for a deal with cols[k], logistic with scale T:
    ε = T·ln(u/(1 − u)), u the counter-based draw (sim/kernels/draws.py) of index i·S + j under
    the step's `key`, moved half a unit of its last bit off 0 so that ε is finite. Each pair's
    taste depends only on (key, i, j): not on which pairs are asked, nor in what order."""
    k_ = np.uint64(key)
    out = np.empty(rows.shape[0])
    for k in range(rows.shape[0]):
        u = counter_uniform(k_, rows[k] * n_states + cols[k]) + 0.5 * UNIT
        out[k] = scale * math.log(u / (1.0 - u))
    return out


def pair_tastes_reference(key: int, rows: np.ndarray, cols: np.ndarray, n_states: int,
                          scale: float) -> np.ndarray:
    """Plain-numpy reference for `pair_tastes`."""
    u = counter_uniforms_reference(key, np.asarray(rows) * n_states + np.asarray(cols))
    u = u + 0.5 * UNIT
    return scale * np.log(u / (1.0 - u))
