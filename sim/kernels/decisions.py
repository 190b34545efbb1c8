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
def coalition_utilities(
    relations: np.ndarray,
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    sanction: np.ndarray,
    members: np.ndarray,
    keep_in: np.ndarray,
    leave_out: np.ndarray,
    looks: np.ndarray,
    target: int,
    intensity: float,
    export_cut: float,
    import_cut: float,
    sigma: float,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The states that decide this step whether to be in a coalition against `target`, U of
    being in for each, its parts, and whether each is in now (docs/model.md, "Decisions",
    Joining a coalition); weights = (a, g, b, c_join):

        U    = a·Ā_i − g·R_it − b·100·L_it − c_join
        Ā_i  = Σ_{m ≠ i} R_im·[m ∈ M] / (|M| − [i ∈ M])   mean relations with the other members

    with M the rows in `members`, and L_it the `sanction_loss` of cutting `export_cut` of i's
    sales to t and `import_cut` of its purchases from it.

    State i is asked if it reviews the question this step (`looks[i]`) and either is in
    `keep_in` (it joined by its own decision, and stays under review) or already sanctions
    the target less hard than the coalition would (S_it < `intensity`) and is not in
    `leave_out` (the scripted imposers, the states the scenario scripts to join or leave,
    the target). It decides if the coalition has a member other than itself and it has a
    stake in it (Ā_i > 0, or it is a member already). Returns the deciders' rows
    (ascending), U, the parts (K, 3) = (Ā, R_it, L_it) and [i ∈ M].
    """
    s = relations.shape[0]
    member = np.zeros(s, dtype=np.bool_)
    member[members] = True
    inside = np.flatnonzero(member)
    n = inside.shape[0]
    asked = np.empty(s, dtype=np.bool_)
    for i in range(s):
        asked[i] = sanction[i, target] < intensity
    asked[keep_in] = True
    asked[leave_out] = False
    rows = np.empty(s, dtype=np.int64)
    utility = np.empty(s)
    parts = np.empty((s, 3))
    k = 0
    for i in range(s):
        others = n - member[i]
        if not (asked[i] and looks[i]) or others <= 0:
            continue
        ties = 0.0
        for m in inside:
            if m != i:
                ties += relations[i, m]
        align = ties / others
        if not (align > 0.0 or member[i]):
            continue
        loss = 1.0 - _kept(trade, output, spending, i, target, export_cut, import_cut, sigma)
        rows[k] = i
        parts[k, 0], parts[k, 1], parts[k, 2] = align, relations[i, target], loss
        utility[k] = (weights[0] * align - weights[1] * relations[i, target]
                      - weights[2] * 100.0 * loss - weights[3])
        k += 1
    return rows[:k], utility[:k], parts[:k], member[rows[:k]]


def coalition_utilities_reference(
    relations: np.ndarray,
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    sanction: np.ndarray,
    members: np.ndarray,
    keep_in: np.ndarray,
    leave_out: np.ndarray,
    looks: np.ndarray,
    target: int,
    intensity: float,
    export_cut: float,
    import_cut: float,
    sigma: float,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain-numpy reference for `coalition_utilities`."""
    member = np.zeros(relations.shape[0], dtype=bool)
    member[members] = True
    asked = sanction[:, target] < intensity
    asked[keep_in] = True
    asked[leave_out] = False
    others = member.sum() - member
    ties = relations @ member - np.diag(relations) * member
    with np.errstate(divide="ignore", invalid="ignore"):
        align = ties / others
    rows = np.flatnonzero(asked & looks & (others > 0) & ((align > 0.0) | member))
    k = len(rows)
    loss = sanction_loss_reference(trade, output, spending, rows, np.full(k, target),
                                   np.full(k, export_cut), np.full(k, import_cut), sigma)
    hostile = relations[rows, target]
    utility = (weights[0] * align[rows] - weights[1] * hostile - weights[2] * 100.0 * loss
               - weights[3])
    return (rows, utility, np.column_stack([align[rows], hostile, loss]).reshape(-1, 3),
            member[rows])


@njit(cache=True)
def retaliation_utilities(
    relations: np.ndarray,
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    target: int,
    member: np.ndarray,
    suffered: np.ndarray,
    import_cut: float,
    sigma: float,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """U_k of `target` counter-sanctioning member[k] of the coalitions against it, and its
    parts (docs/model.md, "Decisions", Counter-sanctioning); weights = (h, s, b, c_retaliate):

        U = h·(−R_tm) + s·S_mt − b·100·L_tm − c_retaliate

    with S_mt = suffered[k] the combined intensity of m's sanctions on t and L_tm the
    `sanction_loss` of cutting `import_cut` of t's purchases from m. parts (K, 3) =
    (S_mt, R_tm, L_tm).
    """
    k_ = member.shape[0]
    utility = np.empty(k_)
    parts = np.empty((k_, 3))
    for k in range(k_):
        m = member[k]
        loss = 1.0 - _kept(trade, output, spending, target, m, 0.0, import_cut, sigma)
        parts[k, 0], parts[k, 1], parts[k, 2] = suffered[k], relations[target, m], loss
        utility[k] = (-weights[0] * relations[target, m] + weights[1] * suffered[k]
                      - weights[2] * 100.0 * loss - weights[3])
    return utility, parts


def retaliation_utilities_reference(
    relations: np.ndarray,
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    target: int,
    member: np.ndarray,
    suffered: np.ndarray,
    import_cut: float,
    sigma: float,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `retaliation_utilities`."""
    k = len(member)
    loss = sanction_loss_reference(trade, output, spending, np.full(k, target), member,
                                   np.zeros(k), np.full(k, import_cut), sigma)
    ties = relations[target, member]
    utility = -weights[0] * ties + weights[1] * suffered - weights[2] * 100.0 * loss - weights[3]
    return utility, np.column_stack([suffered, ties, loss]).reshape(-1, 3)


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
    for k in range(n):
        i, j = rows[k], cols[k]
        parts[k, 1] = relations[i, j]
        worth[k], parts[k, 0], parts[k, 2] = _deal(
            trade, output, spending, relations, sanction, closed, bound, per_head, i, j,
            growth, sigma, hostile_below, weights)
    return worth, parts


@njit(cache=True)
def _deal(trade: np.ndarray, output: np.ndarray, spending: np.ndarray, relations: np.ndarray,
          sanction: np.ndarray, closed: np.ndarray, bound: np.ndarray, per_head: np.ndarray,
          i: int, j: int, growth: float, sigma: float, hostile_below: float,
          weights: np.ndarray) -> tuple[float, float, float]:
    """U, G and K of one deal of i with j (`deal_worth`); (−inf, 0, 0) where it is closed."""
    if (i == j or sanction[i, j] > 0.0 or sanction[j, i] > 0.0
            or relations[i, j] < hostile_below or relations[j, i] < hostile_below
            or closed[i, j] or bound[i] or bound[j]):
        return -np.inf, 0.0, 0.0  # whatever its parts: spare the logarithms
    y, pi = _shares(trade, output, spending, i, j)
    gain = math.expm1((1.0 / sigma) * math.log1p(y * growth)
                      + (1.0 / (sigma - 1.0)) * math.log1p(pi * growth))
    a, b = per_head[i], per_head[j]
    fit = 1.0 - min(a / b, b / a) if a > 0.0 and b > 0.0 else 0.0
    worth = (weights[0] * 100.0 * gain + weights[1] * relations[i, j] + weights[2] * fit
             - weights[3])
    return worth, gain, fit


@njit(cache=True)
def best_deals(
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    relations: np.ndarray,
    sanction: np.ndarray,
    closed: np.ndarray,
    bound: np.ndarray,
    per_head: np.ndarray,
    askers: np.ndarray,
    partners: np.ndarray,
    growth: float,
    sigma: float,
    hostile_below: float,
    weights: np.ndarray,
    bonus: np.ndarray,
    key: int,
    scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """For each asker i = askers[a], the partner j among `partners` it values most and that
    value: the largest U_ij + bonus[a, j] + ε_ij over the open deals, U from `deal_worth`, ε
    from `pair_tastes` under `key` (docs/model.md, "Decisions", Deals). `bonus` (A, S) is what
    else a deal is worth to the asker (the hedge of a multi-vector state). The first partner
    wins a tie; an asker with every deal closed gets (−inf, −1)."""
    n_states = relations.shape[0]
    best = np.full(askers.shape[0], -np.inf)
    choice = np.full(askers.shape[0], -1, dtype=np.int64)
    k_ = np.uint64(key)
    for a in range(askers.shape[0]):
        i = askers[a]
        for j in partners:
            u = _deal(trade, output, spending, relations, sanction, closed, bound, per_head,
                      i, j, growth, sigma, hostile_below, weights)[0]
            if u == -np.inf:
                continue  # a taste for a closed deal changes nothing
            draw = counter_uniform(k_, i * n_states + j) + 0.5 * UNIT
            u = u + bonus[a, j] + scale * math.log(draw / (1.0 - draw))
            if u > best[a]:
                best[a], choice[a] = u, j
    return best, choice


def best_deals_reference(
    trade: np.ndarray,
    output: np.ndarray,
    spending: np.ndarray,
    relations: np.ndarray,
    sanction: np.ndarray,
    closed: np.ndarray,
    bound: np.ndarray,
    per_head: np.ndarray,
    askers: np.ndarray,
    partners: np.ndarray,
    growth: float,
    sigma: float,
    hostile_below: float,
    weights: np.ndarray,
    bonus: np.ndarray,
    key: int,
    scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `best_deals`: every deal valued, then the largest per asker."""
    n_states = relations.shape[0]
    if not len(askers) or not len(partners):
        return np.full(len(askers), -np.inf), np.full(len(askers), -1, dtype=np.int64)
    rows, cols = np.repeat(askers, len(partners)), np.tile(partners, len(askers))
    worth = deal_worth_reference(trade, output, spending, relations, sanction, closed, bound,
                                 per_head, rows, cols, growth, sigma, hostile_below,
                                 weights)[0]
    worth = worth + bonus[np.repeat(np.arange(len(askers)), len(partners)), cols]
    worth = worth + pair_tastes_reference(key, rows, cols, n_states, scale)
    worth = worth.reshape(len(askers), len(partners))
    top = worth.argmax(axis=1)
    best = worth[np.arange(len(askers)), top]
    return best, np.where(best > -np.inf, partners[top], -1)


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


@njit(cache=True)
def programme_utility(audience: np.ndarray, ceiling: np.ndarray, gdp: np.ndarray,
                      population: np.ndarray, weights: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """U (S,) of running a digital-diplomacy programme and its parts (S, 2) = (gap, income)
    (docs/model.md, "Decisions", Digital programmes); weights = (d, e, cost):

        U      = d·(1 − a/K) + e·ln(y / ỹ) − cost
        gap    = 1 − a/K clipped to [0, 1] (0 where K ≤ 0: nothing left to reach)
        income = ln(y / ỹ), y GDP per head and ỹ its median over the states

    (a ministry far from its audience has most to win; a richer state can afford it)."""
    s = audience.shape[0]
    per_head = gdp / population
    typical = np.median(per_head)
    utility = np.empty(s)
    parts = np.empty((s, 2))
    for i in range(s):
        reach = audience[i] / ceiling[i] if ceiling[i] > 0.0 else 1.0
        gap = 1.0 - min(max(reach, 0.0), 1.0)
        income = math.log(per_head[i] / typical)
        parts[i, 0], parts[i, 1] = gap, income
        utility[i] = weights[0] * gap + weights[1] * income - weights[2]
    return utility, parts


def programme_utility_reference(audience: np.ndarray, ceiling: np.ndarray, gdp: np.ndarray,
                                population: np.ndarray, weights: np.ndarray
                                ) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy reference for `programme_utility`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(ceiling > 0.0, audience / ceiling, 1.0)
    gap = 1.0 - np.clip(reach, 0.0, 1.0)
    per_head = gdp / population
    income = np.log(per_head / np.median(per_head))
    utility = weights[0] * gap + weights[1] * income - weights[2]
    return utility, np.column_stack([gap, income]).reshape(-1, 2)
