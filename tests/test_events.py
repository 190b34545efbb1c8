"""Events on the timeline: what each of the seven event types does to the world, when it does
it, and how bad events are reported.

Behaviour is checked against a counterfactual: the same scenario and seed without the event.
The model draws growth shocks, summits, link formation and incidents from separate streams, so
the two runs stay paired and every difference is the event's doing. Unless a test says
otherwise an event is injected after step 2 and acts at step 3 (`AT`). Histories are lists of
snapshots indexed by step (index 0 is the world as it starts).

The runs are on `eurasia` with the world's sanction regimes at intensity 0 (`QUIET`), so that
a test's sanction is the only one: its layers and effects are then exactly its own.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import row
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import GeoModel, events
from sim.errors import InputError
from sim.mechanisms.trade import cost_changes
from sim.scenario import BUNDLED_DIR, load
from sim.schema import CHANNELS

SEED = 7
STATES = {state.id: k for k, state in enumerate(load("eurasia").spec.states)}  # id → row
AT = 3  # injected after step AT − 1, an event acts at step AT
EURASIA = (BUNDLED_DIR / "eurasia.toml").resolve()
ECONOMIC, CULTURAL = CHANNELS.index("economic"), CHANNELS.index("cultural")
WEST = ("USA", "POL", "FRA")


# ---------------------------------------------------------------- helpers


def snapshot(model: GeoModel) -> dict[str, np.ndarray]:
    w = model.world
    return {
        "trade": w.pairs.trade.copy(),
        "relations": w.pairs.relations.copy(),
        "sanction": w.pairs.sanction.copy(),
        "trade_sanction": w.pairs.trade_sanction.copy(),
        "facilitation": w.pairs.facilitation.copy(),
        "summit_ties": w.pairs.summit_ties.copy(),
        "relation_shock": w.pairs.relation_shock.copy(),
        "economic_ties": w.pairs.link_channels[ECONOMIC].copy(),
        "cost_paradiplomacy": cost_changes(w.pairs, model.params.trade)["paradiplomacy"],
        "reputation": w.nations.reputation.copy(),
        "audience": w.nations.audience.copy(),
        "adoption": w.nations.adoption.copy(),
        "weight": w.actors.diplomatic_weight.copy(),
        "strength": w.links.strength.copy(),
        "n_links": np.array(len(w.links)),
        "active_links": np.array(model.active_links),
        "events_now": np.array(model.events_now),
    }


def quiet_text() -> str:
    """eurasia with every sanction of the world's timeline at intensity 0, its forums' summits
    put off beyond the runs, and the scripted model: no state decides to join a sanction or
    answer it, nor concludes a deal, hedges or runs a digital programme, so that each test sees only what its own events
    do (tests/test_decisions.py has the decisions, tests/test_forums.py the forums)."""
    spec = load("eurasia").spec
    names = [e.name for e in spec.events if isinstance(e, events.Sanction)]
    return (f'[scenario]\nname = "quiet"\nextends = "{EURASIA.as_posix()}"\n\n'
            "[params.decisions]\ncoalitions = false\nretaliation = false\nagreements = false\n"
            "hedging = false\ndigital = false\n\n"
            + "".join(f'[[events]]\ntype = "sanction"\nname = "{name}"\nintensity = 0.0\n\n'
                      for name in names)
            + "".join(f'[[forums]]\nname = "{forum.name}"\nfirst = 2100-01-01\n\n'
                      for forum in spec.forums))


@pytest.fixture(scope="session", autouse=True)
def quiet_world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("quiet") / "quiet.toml"
    path.write_text(quiet_text())
    QUIET.append(path)
    return path


QUIET: list[Path] = []  # the quiet world's file, once the session has written it


def history(
    injected: list[dict] = (), n: int = 12, after: int = AT - 1, scenario=None, **params
) -> tuple[GeoModel, list[dict[str, np.ndarray]]]:
    """Run `n` steps of a scenario (the quiet world by default; seed SEED), injecting
    `injected` after step `after`."""
    model = GeoModel(scenario=scenario or QUIET[0], rng=SEED, **params)
    out = [snapshot(model)]
    for _ in range(n):
        if model.steps == after:
            for event in injected:
                model.inject(event)
        model.step()
        out.append(snapshot(model))
    return model, out


def link_index(model: GeoModel, a: str, b: str) -> int | None:
    """The index of the link (active or dormant) between two actors, or None."""
    i, j = row(model, a), row(model, b)
    ends = model.world.links.ends
    found = np.flatnonzero(((ends[:, 0] == i) & (ends[:, 1] == j))
                           | ((ends[:, 0] == j) & (ends[:, 1] == i)))
    return int(found[0]) if len(found) else None


def exports(snap: dict[str, np.ndarray], i: int) -> float:
    """A state's exports to all other states."""
    return float(snap["trade"][i].sum() - snap["trade"][i, i])


def scenario_text(body: str = "", start: str = "2017-01-01") -> str:
    """A variant of the quiet world (a session fixture writes it first) with `body` added."""
    return (f'[scenario]\nname = "x"\nextends = "{QUIET[0].as_posix()}"\nstart = {start}\n\n'
            f"{body}")


# ---------------------------------------------------------------- shared runs


@pytest.fixture(scope="module")
def baseline():
    """The quiet world, seed 7, 24 steps without events."""
    return history(n=24)


# The US, Poland and France sanction Russia from step 3; lifted at step 7 with a half-life of
# six months (two steps), so the layer is 2^(−(t − 6)/2) from step 7 on.
WEST_ON_RUS = {"type": "sanction", "name": "west", "imposers": list(WEST), "target": "RUS",
               "end": 7, "fade_months": 6.0}
WEST_END = 7


@pytest.fixture(scope="module")
def west(baseline):
    model, hit = history([WEST_ON_RUS], n=24)
    return model, hit, baseline[1]


USA_ON_RUS = {"type": "sanction", "imposers": ["USA"], "target": "RUS"}
VARIANTS = {
    "complete": {},
    "ramp": {"ramp_months": 12},
    "partial": {"scope": "partial"},
    "travel": {"kind": "travel"},
    "financial": {"kind": "financial"},
    "export": {"direction": "export"},
    "join_leave": {"join": [{"state": "POL", "at": 5}], "leave": [{"state": "USA", "at": 7}],
                   "fade_months": 0.0},
}


@pytest.fixture(scope="module")
def usa_on_rus():
    """Histories (12 steps) of a sanction of the US on Russia from step 3, by variant."""
    cache: dict[str, list[dict]] = {}

    def get(variant: str) -> list[dict[str, np.ndarray]]:
        if variant not in cache:
            event = {**USA_ON_RUS, "name": variant, **VARIANTS[variant]}
            cache[variant] = history([event])[1]
        return cache[variant]

    return get


# ---------------------------------------------------------------- sanctions: the west on Russia


def test_nothing_differs_before_the_sanction_acts(west):
    _, hit, base = west
    for t in range(AT):
        for key in ("trade", "relations", "reputation", "strength", "sanction"):
            np.testing.assert_array_equal(hit[t][key], base[t][key], err_msg=f"{key} at {t}")


def test_sanction_cuts_trade_between_imposers_and_target(west):
    model, hit, base = west
    rus = row(model, "RUS")
    for t in range(AT, WEST_END):
        for state in WEST:
            i = row(model, state)
            for x, y in ((i, rus), (rus, i)):
                # A complete trade sanction multiplies the cost factor by exp(−1.47) ≈ 0.23.
                ratio = hit[t]["trade"][x, y] / base[t]["trade"][x, y]
                assert ratio < 0.35, (t, state, x, y, ratio)
        # Russia's exports as a whole fall too, but by far less: trade is diverted.
        assert 0.6 < exports(hit[t], rus) / exports(base[t], rus) < 0.95


def test_sanction_diverts_target_trade_to_non_imposers(west):
    """Multilateral resistance: with the imposers' markets dearer, Russia sells and buys more
    from everyone else, both ways, than without the sanction: by about 1% (the imposers buy
    about an eighth of Russia's exports; Russia's income falls a little as the sanction
    lasts), and by much the same factor everywhere."""
    model, hit, base = west
    rus, imposers = row(model, "RUS"), {row(model, s) for s in WEST}
    others = [k for k in range(model.world.n_states) if k != rus and k not in imposers]
    assert len(others) == model.world.n_states - 4
    for t in range(AT, WEST_END):
        for x, y in ((others, rus), (rus, others)):
            ratio = hit[t]["trade"][x, y] / base[t]["trade"][x, y]
            assert ratio.min() > 1.005, (t, model.world.actors.ids[others[ratio.argmin()]])
            assert ratio.max() < 1.2 * ratio.min()


def test_sanction_strengthens_the_target_regional_economic_links(west):
    """Safety cushion (paper 004): Kazakh-Russian links carry more on the economic channel
    than without the sanction on Russia, though Kazakhstan imposes nothing. (At Kazakh–Russian
    relations near 0.8 the links are close to their ceiling, so the sum over them rises by
    about 0.02.)"""
    model, hit, base = west
    kaz, rus = row(model, "KAZ"), row(model, "RUS")
    owner = model.world.actors.state[model.world.links.ends]
    kaz_rus = ((owner[:, 0] == kaz) & (owner[:, 1] == rus)) | (
        (owner[:, 0] == rus) & (owner[:, 1] == kaz))
    open_economic = kaz_rus & (base[AT - 1]["strength"][:, ECONOMIC] > 0)
    assert open_economic.sum() >= 10
    for t in range(AT, WEST_END):
        h, b = hit[t]["strength"][:, ECONOMIC], base[t]["strength"][:, ECONOMIC]
        assert np.all(h[open_economic] > b[open_economic] + 1e-3), t
        assert hit[t]["economic_ties"][kaz, rus] > base[t]["economic_ties"][kaz, rus] + 0.01
        # ... which lowers their trade costs: the regional term of ln φ is larger.
        assert hit[t]["cost_paradiplomacy"][kaz, rus] > base[t]["cost_paradiplomacy"][kaz, rus]


@pytest.fixture(scope="module")
def export_falls():
    """Russia's exports under the west's sanction over those without it, steps AT..AT+5, with
    the cushion at its default and switched off (the sanction's pull on the economic channel
    of regional links, `paradiplomacy.sanction_economic`, at 0). The quiet world starts with
    no sanction in force, so both start with the same links and the same calibration: the
    cushion's path into trade is the only difference. (Switching `trade.regional` off instead
    would change the calibrated starting trade, whose shares toward the imposers then
    dominate the comparison.)"""
    out = {}
    for name, params in (("on", {}), ("off", {"paradiplomacy_sanction_economic": 0.0})):
        hit = history([WEST_ON_RUS | {"end": None}], n=AT + 5, **params)[1]
        base = history(n=AT + 5, **params)[1]
        rus = STATES["RUS"]
        out[name] = np.array([exports(hit[t], rus) / exports(base[t], rus)
                              for t in range(AT, AT + 6)])
    return out


def test_regional_trade_effect_softens_the_target_export_fall(export_falls):
    """With regional economic ties lowering trade costs (trade.regional > 0), the cushion
    works: the sanction raises the economic channel of Russia's regional links, and Russia's
    exports fall less under it than without that pull."""
    on, off = export_falls["on"], export_falls["off"]
    assert np.all(on < 0.95) and np.all(off < 0.95)  # a real fall either way
    assert np.all(on > off), (on, off)


def test_sanction_lowers_relations_and_the_target_reputation(west):
    model, hit, base = west
    rus = row(model, "RUS")
    for state in WEST:
        i = row(model, state)
        gap = [base[t]["relations"][i, rus] - hit[t]["relations"][i, rus]
               for t in range(AT, WEST_END)]
        assert gap[0] > 0.03, state
        assert np.all(np.diff(gap) > 0.02), (state, gap)  # widens while in force
    rep = [base[t]["reputation"][rus] - hit[t]["reputation"][rus] for t in range(AT, WEST_END)]
    assert rep[0] > 0.005 and np.all(np.diff(rep) > 0), rep
    # The imposers' reputation is not what falls.
    for state in WEST:
        i = row(model, state)
        assert hit[WEST_END - 1]["reputation"][i] >= base[WEST_END - 1]["reputation"][i] - 1e-3


def test_a_lifted_sanction_fades_with_its_half_life(west):
    """fade_months = 6, quarterly steps: from `end` the layer halves every two steps."""
    model, hit, base = west
    rus, imposers = row(model, "RUS"), [row(model, s) for s in WEST]
    for t in range(AT, WEST_END):
        assert np.all(hit[t]["sanction"][imposers, rus] == 1.0)
    for t in range(WEST_END, 25):
        level = 2.0 ** (-(t - WEST_END + 1) * 3 / 6)
        np.testing.assert_allclose(hit[t]["sanction"][imposers, rus], level, rtol=1e-12)
        np.testing.assert_allclose(hit[t]["trade_sanction"][imposers, rus], level, rtol=1e-12)
        np.testing.assert_allclose(hit[t]["trade_sanction"][rus, imposers], level, rtol=1e-12)
    # Trade comes back step by step, not at once.
    usa = row(model, "USA")
    ratio = [hit[t]["trade"][usa, rus] / base[t]["trade"][usa, rus] for t in range(6, 25)]
    assert ratio[0] < 0.3 and ratio[1] < 0.45  # step 7: still well below
    assert np.all(np.diff(ratio) > 0), ratio
    assert ratio[-1] > 0.98


@pytest.mark.parametrize("what", ["relations", "reputation"])
def test_relations_and_reputation_recover_over_several_steps(west, what):
    model, hit, base = west
    rus, usa = row(model, "RUS"), row(model, "USA")

    def value(snap):
        return snap["relations"][usa, rus] if what == "relations" else snap["reputation"][rus]

    gap = np.array([value(base[t]) - value(hit[t]) for t in range(25)])
    peak = int(np.argmax(gap))
    # Lifting does not restore them at once: the gap still grows right after the end ...
    assert peak > WEST_END, gap
    assert gap[WEST_END] > gap[WEST_END - 1]
    # ... then closes, a little each step, over the rest of the run.
    closing = -np.diff(gap[peak:])
    assert len(closing) >= 8 and np.all(closing > 0), gap
    assert closing.max() < 0.1 * gap[peak], gap
    assert gap[24] < 0.8 * gap[peak]


# ---------------------------------------------------------------- sanctions: the variants


def test_ramp_months_ramps_the_layer_in_linearly(usa_on_rus, baseline):
    """ramp_months = 12 on quarterly steps: 1/4, 2/4, 3/4, then the full intensity."""
    ramp, complete, base = usa_on_rus("ramp"), usa_on_rus("complete"), baseline[1]
    usa, rus = STATES["USA"], STATES["RUS"]
    levels = [ramp[t]["sanction"][usa, rus] for t in range(AT - 1, AT + 6)]
    np.testing.assert_allclose(levels, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose([ramp[t]["trade_sanction"][usa, rus] for t in range(AT, AT + 4)],
                               [0.25, 0.5, 0.75, 1.0], rtol=1e-12)
    cut = [ramp[t]["trade"][usa, rus] / base[t]["trade"][usa, rus] for t in range(AT, AT + 4)]
    assert np.all(np.diff(cut) < -0.05), cut  # trade falls step by step
    assert cut[0] > complete[AT]["trade"][usa, rus] / base[AT]["trade"][usa, rus] + 0.2


def test_partial_scope_does_less_than_complete(usa_on_rus, baseline):
    partial, complete, base = usa_on_rus("partial"), usa_on_rus("complete"), baseline[1]
    usa, rus = STATES["USA"], STATES["RUS"]
    for t in range(AT, 13):
        assert partial[t]["sanction"][usa, rus] == 0.5  # events.partial
        assert complete[t]["sanction"][usa, rus] == 1.0
        p = partial[t]["trade"][usa, rus] / base[t]["trade"][usa, rus]
        c = complete[t]["trade"][usa, rus] / base[t]["trade"][usa, rus]
        assert c < 0.35 and c + 0.1 < p < 0.9, (t, p, c)
        drop_p = base[t]["relations"][usa, rus] - partial[t]["relations"][usa, rus]
        drop_c = base[t]["relations"][usa, rus] - complete[t]["relations"][usa, rus]
        assert 0 < drop_p < 0.8 * drop_c, (t, drop_p, drop_c)
        rep_p = base[t]["reputation"][rus] - partial[t]["reputation"][rus]
        rep_c = base[t]["reputation"][rus] - complete[t]["reputation"][rus]
        assert 0 < rep_p < rep_c


def test_a_travel_sanction_moves_relations_but_not_trade_costs(usa_on_rus, baseline):
    travel, base = usa_on_rus("travel"), baseline[1]
    usa, rus = STATES["USA"], STATES["RUS"]
    for t in range(AT, 13):
        assert travel[t]["sanction"][usa, rus] == 1.0
        assert not travel[t]["trade_sanction"].any()
        ratio = travel[t]["trade"][usa, rus] / base[t]["trade"][usa, rus]
        assert abs(ratio - 1.0) < 0.01, (t, ratio)
        assert travel[t]["relations"][usa, rus] < base[t]["relations"][usa, rus] - 0.04


def test_a_financial_sanction_cuts_less_trade_than_a_trade_sanction(usa_on_rus, baseline):
    financial, complete, base = usa_on_rus("financial"), usa_on_rus("complete"), baseline[1]
    usa, rus = STATES["USA"], STATES["RUS"]
    for t in range(AT, 13):
        ts = financial[t]["trade_sanction"]
        assert ts[usa, rus] == pytest.approx(0.3) and ts[rus, usa] == pytest.approx(0.3)
        assert np.count_nonzero(ts) == 2
        for x, y in ((usa, rus), (rus, usa)):
            f = financial[t]["trade"][x, y] / base[t]["trade"][x, y]
            c = complete[t]["trade"][x, y] / base[t]["trade"][x, y]
            assert c + 0.2 < f < 0.9, (t, f, c)


def test_an_export_sanction_raises_only_the_imposer_to_target_cost(usa_on_rus, baseline):
    export, base = usa_on_rus("export"), baseline[1]
    usa, rus = STATES["USA"], STATES["RUS"]
    for t in range(AT, 13):
        ts = export[t]["trade_sanction"]
        assert ts[usa, rus] == 1.0 and np.count_nonzero(ts) == 1
        out = export[t]["trade"][usa, rus] / base[t]["trade"][usa, rus]
        back = export[t]["trade"][rus, usa] / base[t]["trade"][rus, usa]
        assert out < 0.35 and back > 0.85, (t, out, back)


def test_join_and_leave_change_who_imposes_at_their_steps(usa_on_rus, baseline):
    """The US imposes from step 3 and leaves at step 7, Poland joins at step 5; lifted at once
    (fade_months = 0)."""
    run, base = usa_on_rus("join_leave"), baseline[1]
    usa, pol, rus = STATES["USA"], STATES["POL"], STATES["RUS"]
    assert [run[t]["sanction"][usa, rus] for t in range(1, 11)] == [0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
    assert [run[t]["sanction"][pol, rus] for t in range(1, 11)] == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert run[12]["sanction"][pol, rus] == 1.0

    def ratio(i, t):
        return run[t]["trade"][i, rus] / base[t]["trade"][i, rus]

    for t in range(AT, 5):
        assert ratio(usa, t) < 0.35 and ratio(pol, t) > 1.0  # Poland gains from diversion
    for t in range(5, 7):
        assert ratio(usa, t) < 0.35 and ratio(pol, t) < 0.35
    for t in range(7, 13):
        assert ratio(usa, t) > 0.95 and ratio(pol, t) < 0.35


# ---------------------------------------------------------------- sanctions: the layers by hand


@pytest.fixture(scope="module")
def index():
    return GeoModel(scenario=QUIET[0], rng=SEED).world_index


def scheduled(index, **fields) -> events.Scheduled:
    event = events.parse({"type": "sanction", "name": "hand", "imposers": ["USA"],
                          "target": "RUS", **fields})
    return events.schedule(event, index, earliest=0)


def levels(item, imposer: int, steps, intensity: float = 1.0, step_months: int = 3):
    return [events.sanction_level(item, imposer, t, intensity, step_months) for t in steps]


def test_sanction_level_ramp_and_fade_by_hand(index):
    usa, pol = index.row["USA"], index.row["POL"]
    item = scheduled(index, at=4, end=10, ramp_months=9, fade_months=12.0)
    # n = ⌈9/3⌉ = 3 steps of ramp; from step 10, ×2^(−3/12) a step.
    expected = [0, 1 / 3, 2 / 3, 1, 1, 1, 1, 2 ** -0.25, 2 ** -0.5, 2 ** -0.75, 0.5, 2 ** -1.25]
    np.testing.assert_allclose(levels(item, usa, range(3, 15)), expected, rtol=1e-12)
    np.testing.assert_allclose(levels(item, usa, range(3, 15), intensity=0.5),
                               np.array(expected) / 2, rtol=1e-12)
    assert levels(item, pol, range(20)) == [0.0] * 20  # not an imposer
    # Lifted before the ramp is done: it fades from where it got to.
    short = scheduled(index, at=4, end=6, ramp_months=12)
    np.testing.assert_allclose(levels(short, usa, range(4, 8)),
                               [0.25, 0.5, 0.5 * 2 ** -0.25, 0.5 * 2 ** -0.5], rtol=1e-12)
    # fade_months = 0: gone at `end`.
    at_once = scheduled(index, at=4, end=6, fade_months=0.0)
    assert levels(at_once, usa, range(3, 9)) == [0, 1, 1, 0, 0, 0]
    # In force at step 0: fully ramped in from the start.
    start = scheduled(index, at=0, ramp_months=12)
    assert levels(start, usa, range(3)) == [1, 1, 1]
    # Monthly steps: ramp_months = 3 is three steps; fade_months = 2 halves every two steps.
    monthly = scheduled(index, at=2, end=6, ramp_months=3, fade_months=2.0)
    np.testing.assert_allclose(levels(monthly, usa, range(1, 9), step_months=1),
                               [0, 1 / 3, 2 / 3, 1, 1, 2 ** -0.5, 0.5, 2 ** -1.5], rtol=1e-12)
    # A ramp that is not a whole number of steps rounds up: ⌈4/3⌉ = 2 steps.
    np.testing.assert_allclose(levels(scheduled(index, at=1, ramp_months=4), usa, range(1, 4)),
                               [0.5, 1, 1], rtol=1e-12)


def test_sanction_level_join_and_leave_by_hand(index):
    usa, pol, fra = index.row["USA"], index.row["POL"], index.row["FRA"]
    item = scheduled(index, at=2, ramp_months=6, fade_months=12.0,
                     join=[{"state": "POL", "at": 5}], leave=[{"state": "USA", "at": 8}])
    np.testing.assert_allclose(levels(item, usa, range(1, 11)),
                               [0, 0.5, 1, 1, 1, 1, 1, 2 ** -0.25, 2 ** -0.5, 2 ** -0.75],
                               rtol=1e-12)
    np.testing.assert_allclose(levels(item, pol, range(3, 9)), [0, 0, 0.5, 1, 1, 1], rtol=1e-12)
    assert levels(item, fra, range(12)) == [0.0] * 12
    # Leaving and joining again: the new span starts afresh.
    again = scheduled(index, at=2, leave=[{"state": "USA", "at": 5}],
                      join=[{"state": "USA", "at": 9}])
    np.testing.assert_allclose(levels(again, usa, range(4, 11)),
                               [1, 2 ** -0.25, 2 ** -0.5, 2 ** -0.75, 0.5, 1, 1], rtol=1e-12)
    # The end of the sanction ends a member that joined too.
    ended = scheduled(index, at=2, end=7, fade_months=0.0, join=[{"state": "POL", "at": 5}])
    assert levels(ended, pol, range(4, 9)) == [0, 1, 1, 0, 0]


def test_sanction_layers_compound_and_weigh_kinds_by_hand(index):
    usa, pol, fra, rus = (index.row[s] for s in ("USA", "POL", "FRA", "RUS"))
    items = [
        scheduled(index, at=1, scope="partial", direction="export"),  # x = 0.5, trade u→r
        scheduled(index, at=1, kind="financial", intensity=0.5),  # weight 0.3 both ways
        scheduled(index, at=1, imposers=["POL"], kind=["trade", "arms"], direction="import",
                  intensity=0.4),
        scheduled(index, at=1, imposers=["FRA"], kind="travel"),
        scheduled(index, at=9, imposers=["FRA"]),  # not yet
    ]
    weights = {"financial": 0.3, "travel": 0.0, "arms": 0.05}
    layers = events.sanction_layers(items, 3, len(STATES), 3, 0.5, weights)
    political, trade = layers.political, layers.trade
    assert political[usa, rus] == pytest.approx(1 - 0.5 * 0.5)
    assert political[pol, rus] == pytest.approx(0.4)
    assert political[fra, rus] == pytest.approx(1.0)
    assert np.count_nonzero(political) == 3
    assert trade[usa, rus] == pytest.approx(1 - 0.5 * (1 - 0.15))
    assert trade[rus, usa] == pytest.approx(0.15)
    assert trade[pol, rus] == pytest.approx(0.05 * 0.4)  # arms, out
    assert trade[rus, pol] == pytest.approx(1 - (1 - 0.4) * (1 - 0.02))  # trade import + arms
    assert np.count_nonzero(trade) == 4


# ---------------------------------------------------------------- technology shock

AI_WAVE = {"type": "technology_shock", "name": "AI wave", "origin": ["KOR", "USA"],
           "adoption": 0.1, "strength": 2.0}


def test_technology_shock_appends_a_wave_started_in_its_origin():
    """With p = q = 0 nothing spreads, so the new column is what the shock put there."""
    still = {"technology_p": 0.0, "technology_q": 0.0}
    model, hit = history([AI_WAVE], n=AT + 2, **still)
    _, base = history(n=AT + 2, **still)
    nations = model.world.nations
    waves = base[0]["adoption"].shape[1]
    assert hit[AT - 1]["adoption"].shape == (len(STATES), waves)
    assert hit[AT]["adoption"].shape == (len(STATES), waves + 1)
    assert list(nations.wave_start_step[waves:]) == [AT]
    assert list(nations.wave_strength[waves:]) == [2.0]
    new = hit[AT]["adoption"][:, -1]
    origin = [row(model, "KOR"), row(model, "USA")]
    assert list(np.flatnonzero(new)) == sorted(origin)
    np.testing.assert_array_equal(new[origin], 0.1)
    for t in range(AT, AT + 3):
        np.testing.assert_array_equal(hit[t]["adoption"][:, :waves], base[t]["adoption"])


def test_technology_shock_spreads_and_leaves_earlier_waves_alone(baseline):
    model, hit = history([AI_WAVE], n=10)
    base = baseline[1]
    origin = [row(model, "KOR"), row(model, "USA")]
    others = [k for k in range(24) if k not in origin]
    new = np.array([hit[t]["adoption"][:, -1] for t in range(AT, 11)])
    assert np.all(new[:, origin] > 0.1)
    assert np.all(new[0, others] > 0) and np.all(np.diff(new[:, others], axis=0) > 0)
    assert np.all(new[-1, others] > 3 * new[0, others])
    # The earlier waves go on as without the shock: the same at the shock's step (nothing has
    # fed back yet), within a hair after, and never reset.
    waves = base[0]["adoption"].shape[1]
    np.testing.assert_array_equal(hit[AT]["adoption"][:, :waves], base[AT]["adoption"])
    for t in range(AT, 11):
        np.testing.assert_allclose(hit[t]["adoption"][:, :waves], base[t]["adoption"],
                                   rtol=1e-6, atol=1e-12)
        assert np.all(hit[t]["adoption"][:, :waves] >= hit[t - 1]["adoption"][:, :waves])


def test_imitation_alone_carries_a_wave_beyond_its_origin():
    """Without innovation (p = 0), only contact with adopters spreads the wave: every other
    state takes it up from the shock's own step (through its trade with the origin), and more
    each step after."""
    model, hit = history([AI_WAVE], n=8, technology_p=0.0)
    origin = [row(model, "KOR"), row(model, "USA")]
    others = [k for k in range(24) if k not in origin]
    new = np.array([hit[t]["adoption"][others, -1] for t in range(AT, 9)])
    assert np.all(new[0] > 0) and np.all(np.diff(new, axis=0) > 0)
    assert np.all(new[-1] > 5 * new[0])


# ---------------------------------------------------------------- customs facilitation


def test_customs_facilitation_raises_bilateral_trade_until_it_ends(baseline):
    event = {"type": "customs_facilitation", "name": "single window", "states": ["KAZ", "CHN"],
             "end": 6, "cost_cut": 0.05}
    model, hit = history([event])
    base = baseline[1]
    kaz, chn = row(model, "KAZ"), row(model, "CHN")
    gain = -(model.params.trade.sigma - 1) * math.log(1 - 0.05)
    for t in range(AT):
        np.testing.assert_array_equal(hit[t]["trade"], base[t]["trade"])
        assert not hit[t]["facilitation"].any()
    for t in range(AT, 6):
        f = hit[t]["facilitation"]
        assert f[kaz, chn] == pytest.approx(gain) and f[chn, kaz] == pytest.approx(gain)
        assert np.count_nonzero(f) == 2
        for x, y in ((kaz, chn), (chn, kaz)):
            assert hit[t]["trade"][x, y] > 1.1 * base[t]["trade"][x, y]
    for t in range(6, 13):
        assert not hit[t]["facilitation"].any(), t
    assert abs(hit[12]["trade"][kaz, chn] / base[12]["trade"][kaz, chn] - 1) < 0.01


def test_customs_facilitation_of_regions_strengthens_their_links_economic_channel(baseline):
    regions = ["KZ-55", "RU-OMS", "RU-NVS"]
    event = {"type": "customs_facilitation", "name": "border window", "regions": regions}
    model, hit = history([event])
    base = baseline[1]
    inside = [link_index(model, "KZ-55", "RU-OMS"), link_index(model, "KZ-55", "RU-NVS")]
    outside = link_index(model, "KZ-55", "RU-ALT")
    for t in range(AT, 13):
        h, b = hit[t]["strength"], base[t]["strength"]
        assert np.all(h[inside, ECONOMIC] > b[inside, ECONOMIC] + 1e-3), t
    # The drive favours the economic channel only: at its first step the cultural channel of
    # those links, and every channel of a link outside the group, are as without it.
    np.testing.assert_array_equal(hit[AT]["strength"][inside, CULTURAL],
                                  base[AT]["strength"][inside, CULTURAL])
    np.testing.assert_array_equal(hit[AT]["strength"][outside], base[AT]["strength"][outside])
    # And the regions' states trade more cheaply.
    kaz, rus = row(model, "KAZ"), row(model, "RUS")
    assert hit[AT]["facilitation"][kaz, rus] > 0 and np.count_nonzero(hit[AT]["facilitation"]) == 2


# ---------------------------------------------------------------- summit

PARTICIPANTS = ["KAZ", "RUS", "UZB", "KGZ", "TJK", "TKM"]


@pytest.fixture(scope="module")
def summit(baseline):
    event = {"type": "summit", "name": "Central Asia + Russia", "host": "astana",
             "participants": PARTICIPANTS}
    model, hit = history([event])
    return model, hit, baseline[1]


def test_summit_raises_the_host_city_weight(summit):
    model, hit, base = summit
    astana, almaty = row(model, "astana"), row(model, "almaty")
    # The gain saturates: g·ln(1 + K) times the room left below the ceiling after the step's
    # drawn meeting and decay, which the baseline shows.
    cities = model.params.cities
    excess = base[AT]["weight"][astana] - cities.capital_weight
    room = max(0.0, 1.0 - excess / cities.weight_ceiling)
    gain = cities.gain * math.log(1 + len(PARTICIPANTS)) * room
    assert 0.0 < room <= 1.0
    assert hit[AT - 1]["weight"][astana] == base[AT - 1]["weight"][astana]
    assert hit[AT]["weight"][astana] - base[AT]["weight"][astana] == pytest.approx(gain)
    for t in range(AT + 1, 13):
        assert hit[t]["weight"][astana] > base[t]["weight"][astana] + 0.5 * gain
        assert hit[t]["weight"][almaty] == pytest.approx(base[t]["weight"][almaty])


def test_summit_ties_and_relations_among_participants(summit):
    model, hit, base = summit
    rows = [row(model, s) for s in PARTICIPANTS]
    n = model.world.n_states
    outside = [k for k in range(n) if k not in rows]
    among = np.ix_(rows, rows)
    off = ~np.eye(len(rows), dtype=bool)
    ties = hit[AT]["summit_ties"] - base[AT]["summit_ties"]
    np.testing.assert_allclose(ties[among][off], 1.0, rtol=1e-12)
    assert not ties[np.ix_(outside, range(n))].any()
    for t in range(AT + 2, 13):
        gap = (hit[t]["relations"] - base[t]["relations"])[among][off]
        assert gap.min() > 0.003, (t, gap.min())
    # The gap grows over the following steps as ties keep pulling.
    gaps = [(hit[t]["relations"] - base[t]["relations"])[among][off].min() for t in range(AT, 9)]
    assert np.all(np.diff(gaps) > 0), gaps


# ---------------------------------------------------------------- agreement


# Without link formation, so that the agreement's link is the only one that changes (in a
# world of 20,000 candidates, a small change of relations decides some formation draw).
# Links neither form nor move their ends' attention: an event's link keeps what it is given.
STILL_LINKS = {"paradiplomacy_formation_rate": 0.0, "decisions_partners": False}


@pytest.fixture(scope="module")
def still_baseline():
    return history(**STILL_LINKS)


def test_agreement_opens_the_named_channels_of_a_dormant_link(still_baseline):
    """A dormant twinning candidate (regional candidates start settled in eurasia) signed
    for one of its two channels."""
    model = GeoModel(scenario="eurasia", rng=SEED)
    e = link_index(model, "astana", "tashkent")
    local = CHANNELS.index("local_authority")
    assert e is not None and model.world.links.channels[e] == (1 << CULTURAL) | (1 << local)
    base = still_baseline[1]
    assert all(not base[t]["strength"][e].any() for t in range(13))  # dormant throughout
    event = {"type": "agreement", "name": "Astana-Tashkent", "a": "astana", "b": "tashkent",
             "channels": ["cultural"], "strength": 0.5}
    model, hit = history([event], **STILL_LINKS)
    assert not hit[AT - 1]["strength"][e].any()
    assert hit[AT]["strength"][e, CULTURAL] > 0.3
    # Signed, the candidate carries the named channel only: the other stays closed.
    assert model.world.links.channels[e] == 1 << CULTURAL
    for t in range(AT, 13):
        assert hit[t]["strength"][e, CULTURAL] > 0.3, t
        assert not np.delete(hit[t]["strength"][e], CULTURAL).any(), t
        assert int(hit[t]["n_links"]) == int(base[t]["n_links"])
    assert int(hit[AT]["active_links"]) == int(base[AT]["active_links"]) + 1


def test_agreement_adds_a_link_where_there_is_none(still_baseline):
    probe = GeoModel(scenario="eurasia", rng=SEED)
    assert link_index(probe, "KZ-55", "manila") is None
    event = {"type": "agreement", "name": "Pavlodar-Manila", "a": "KZ-55", "b": "manila",
             "channels": ["economic"], "strength": 0.8}
    model, hit = history([event], **STILL_LINKS)
    base = still_baseline[1]
    links = model.world.links
    assert int(hit[AT]["n_links"]) == int(base[AT]["n_links"]) + 1
    e = link_index(model, "KZ-55", "manila")
    assert e == len(links) - 1
    assert links.channels[e] == 1 << ECONOMIC
    for t in range(AT, 13):
        s = hit[t]["strength"][e]
        assert s[ECONOMIC] > 0.7 and not np.delete(s, ECONOMIC).any(), (t, s)
        assert int(hit[t]["active_links"]) == int(base[t]["active_links"]) + 1
    assert links.since[e] == model.date_of(AT).year


def test_geopol_run_writes_an_agreement_link_in_the_links_table(tmp_path, geopol):
    body = ('[[events]]\ntype = "agreement"\nname = "Pavlodar-Manila"\na = "KZ-55"\n'
            'b = "manila"\nchannels = ["economic", "cultural"]\nat = 2\n')
    path = tmp_path / "agreement.toml"
    path.write_text(scenario_text(body))
    out = tmp_path / "run"
    proc = geopol("run", path, "--steps", 3, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    links = pq.read_table(out / "links.parquet").to_pandas()
    mine = links[(links["a"].astype(str) == "KZ-55") & (links["b"].astype(str) == "manila")]
    assert sorted(mine["step"]) == [0, 3]
    first = mine[mine["step"] == 0].iloc[0]
    last = mine[mine["step"] == 3].iloc[0]
    assert first["economic"] == 0.0 and first["cultural"] == 0.0
    assert last["economic"] > 0.0 and last["cultural"] > 0.0
    assert str(last["kind"]) == "agreement"
    assert len(links) == 2 * (len(GeoModel(scenario=path, rng=0).world.links) + 1)


# ---------------------------------------------------------------- digital incident


@pytest.mark.parametrize(("severity", "expected"), [(0.3, 0.3), (None, 0.1)])
def test_digital_incident_costs_the_ministry_audience_and_reputation(baseline, severity,
                                                                     expected):
    event = {"type": "digital_incident", "name": "leak", "state": "KAZ", "incident": "leak"}
    if severity is not None:
        event["severity"] = severity
    model, hit = history([event])
    base = baseline[1]
    kaz = row(model, "KAZ")
    assert model.params.digital.incident_severity == 0.1
    loss = 1 - hit[AT]["audience"][kaz] / base[AT]["audience"][kaz]
    assert loss == pytest.approx(expected, abs=0.01)
    others = np.delete(np.arange(model.world.n_states), kaz)
    np.testing.assert_array_equal(hit[AT]["audience"][others], base[AT]["audience"][others])
    for t in range(AT, 13):
        assert hit[t]["audience"][kaz] < base[t]["audience"][kaz]
        assert hit[t]["reputation"][kaz] < base[t]["reputation"][kaz] - 0.005
    assert str(hit[AT]["events_now"]) == "digital_incident 'leak'"


# ---------------------------------------------------------------- relation shock


@pytest.fixture(scope="module")
def shock(baseline):
    event = {"type": "relation_shock", "name": "row", "a": "KAZ", "b": "RUS", "shift": -0.4}
    model, hit = history([event], n=24)
    return model, hit, baseline[1]


def test_relation_shock_shifts_the_pair_and_is_recorded(shock):
    model, hit, base = shock
    kaz, rus = row(model, "KAZ"), row(model, "RUS")
    rec = hit[AT]["relation_shock"]
    assert rec[kaz, rus] == pytest.approx(-0.4) and rec[rus, kaz] == pytest.approx(-0.4)
    assert np.count_nonzero(rec) == 2
    for t in (*range(AT), *range(AT + 1, 25)):
        assert not hit[t]["relation_shock"].any(), t
    # The relations update that follows in the same step pulls back by Δt·δ of the shift.
    p = model.params.relations
    gap = hit[AT]["relations"][kaz, rus] - base[AT]["relations"][kaz, rus]
    assert gap == pytest.approx(-0.4 * (1 - model.dt * p.drift), abs=3e-3)
    assert hit[AT]["relations"][rus, kaz] == hit[AT]["relations"][kaz, rus]


def test_relation_shock_relaxes_back_towards_the_baseline(shock):
    model, hit, base = shock
    kaz, rus = row(model, "KAZ"), row(model, "RUS")
    gap = np.array([base[t]["relations"][kaz, rus] - hit[t]["relations"][kaz, rus]
                    for t in range(AT, 25)])
    assert np.all(gap > 0)
    shrink = gap[1:] / gap[:-1]
    keep = 1 - model.dt * model.params.relations.drift  # ≈ 0.94 a quarter
    assert np.all(np.abs(shrink - keep) < 0.02), shrink
    assert gap[-1] < 0.5 * gap[0]


def test_relation_shock_is_clipped_and_records_the_applied_shift():
    event = {"type": "relation_shock", "name": "embrace", "a": "USA", "b": "KOR", "shift": 2.0}
    model, hit = history([event], n=AT)
    usa, kor = row(model, "USA"), row(model, "KOR")
    before = hit[AT - 1]["relations"][usa, kor]
    assert hit[AT]["relation_shock"][usa, kor] == pytest.approx(1.0 - before)
    assert hit[AT]["relations"][usa, kor] <= 1.0


# ---------------------------------------------------------------- a timeline from a file

TIMELINE = """\
[[events]]
type = "sanction"
name = "US bill"
imposers = ["USA"]
target = "RUS"
at = 2017-08-02

[[events]]
type = "relation_shock"
name = "EU extension"
a = "POL"
b = "RUS"
shift = -0.2
at = 2017-10-01
"""

# In both files: a facilitation dated before the start, in force from step 0.
COMMON = """\
[[events]]
type = "customs_facilitation"
name = "old window"
states = ["KAZ", "KGZ"]
at = 2016-06-01
"""


def test_dates_map_to_steps_and_events_act_there_and_not_before(tmp_path):
    """Quarterly steps from 2017-01-01: step 3 covers [2017-07-01, 2017-10-01), so the bill of
    2 August 2017 acts at step 3, and 1 October 2017 opens step 4."""
    with_events = tmp_path / "timeline.toml"
    with_events.write_text(scenario_text(COMMON + "\n" + TIMELINE))
    without = tmp_path / "quiet.toml"
    without.write_text(scenario_text(COMMON))
    model, hit = history(n=5, scenario=with_events)
    _, base = history(n=5, scenario=without)
    assert model.date_of(2) == dt.date(2017, 7, 1) and model.date_of(3) == dt.date(2017, 10, 1)
    mine = [item for item in model.timeline
            if item.event.name in ("old window", "US bill", "EU extension")]
    assert [item.at for item in mine] == [0, 3, 4]
    usa, rus, pol = row(model, "USA"), row(model, "RUS"), row(model, "POL")
    kaz, kgz = row(model, "KAZ"), row(model, "KGZ")
    for t in range(3):
        np.testing.assert_array_equal(hit[t]["trade"], base[t]["trade"])
        assert hit[t]["sanction"][usa, rus] == 0.0
        assert "US bill" not in str(hit[t]["events_now"])
    assert hit[0]["facilitation"][kaz, kgz] > 0
    assert hit[3]["sanction"][usa, rus] == 1.0
    assert hit[3]["trade"][usa, rus] < 0.35 * base[3]["trade"][usa, rus]
    assert "sanction 'US bill'" in str(hit[3]["events_now"])
    assert not hit[3]["relation_shock"].any()
    assert hit[4]["relation_shock"][pol, rus] == pytest.approx(-0.2)
    assert "relation_shock 'EU extension'" in str(hit[4]["events_now"])


def test_step_of_by_hand():
    start = dt.date(2017, 1, 1)
    cases = {
        dt.date(2016, 12, 31): 0,  # before the start: in force at the start
        dt.date(2017, 1, 1): 1,
        dt.date(2017, 3, 31): 1,
        dt.date(2017, 4, 1): 2,
        dt.date(2017, 8, 2): 3,
        dt.date(2017, 9, 30): 3,
        dt.date(2017, 10, 1): 4,
        dt.date(2018, 1, 1): 5,
    }
    assert {d: events.step_of(d, start, 3) for d in cases} == cases
    assert events.step_of(7, start, 3) == 7
    assert events.step_of(dt.date(2017, 8, 2), start, 1) == 8
    assert events.step_of(dt.date(2017, 8, 2), start, 12) == 1


@pytest.mark.parametrize("start", ["2017-01-31", "2016-02-29", "2017-03-30"])
def test_every_date_maps_to_the_step_whose_period_contains_it(tmp_path, start):
    """Step t covers [date_of(t − 1), date_of(t)), whatever the start's day of the month
    (date_of clips the day to the month's length: from 31 January, step 1 ends 30 April)."""
    path = tmp_path / "start.toml"
    path.write_text(scenario_text(start=start))
    model = GeoModel(scenario=path, rng=SEED)
    first = model.start_date
    wrong = []
    for offset in range(800):
        day = first + dt.timedelta(days=offset)
        t = events.step_of(day, first, model.step_months)
        if not model.date_of(t - 1) <= day < model.date_of(t):
            wrong.append(f"{day} → step {t} [{model.date_of(t - 1)}, {model.date_of(t)})")
    assert wrong == []


# ---------------------------------------------------------------- bad events


def error_line(proc) -> str:
    """The one stderr line of a failed `geopol` call, after checking the error contract."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# name: (event fields, the key after the event's label, a part of what was expected)
BAD = {
    "unknown_imposer": (
        {"type": "sanction", "name": "US bill", "imposers": ["USA", "ATLANTIS"], "target": "RUS",
         "at": 5},
        ".imposers[1]", "a state of the scenario"),
    "end_before_at": (
        {"type": "sanction", "name": "US bill", "imposers": ["USA"], "target": "RUS", "at": 8,
         "end": 6},
        ".end", "after at (step 8)"),
    "negative_strength": (
        {"type": "technology_shock", "name": "AI wave", "origin": ["KOR"], "strength": -1.0,
         "at": 5},
        ".strength", "> 0"),
    "unknown_type": (
        {"type": "coup", "name": "junta", "at": 5},
        ".type", "sanction"),
    "agreement_within_a_state": (
        {"type": "agreement", "name": "twins", "a": "KZ-55", "b": "almaty",
         "channels": ["economic"], "at": 5},
        ".b", "another state"),
}


def toml_event(fields: dict) -> str:
    def value(v):
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    return "[[events]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in fields.items())


def label(fields: dict) -> str:
    return f"{fields['type']} {fields['name']!r}"


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_injected_event_names_itself_and_its_field(name):
    fields, field, expected = BAD[name]
    model = GeoModel(scenario="eurasia", rng=SEED)
    model.step()
    scheduled_before = len(model.timeline)
    with pytest.raises(InputError) as info:
        model.inject(fields)
    err = info.value
    assert err.source == "inject"
    assert err.key == label(fields) + field
    assert expected in err.expected
    assert "\n" not in str(err)
    assert str(err).startswith(f"inject: {label(fields)}{field}: expected ")
    assert len(model.timeline) == scheduled_before  # nothing was scheduled


def test_an_injected_event_at_a_step_already_past_is_an_input_error():
    model = GeoModel(scenario="eurasia", rng=SEED)
    for _ in range(3):
        model.step()
    world_timeline = list(model.timeline)
    for at in (2, 3):
        with pytest.raises(InputError) as info:
            model.inject({"type": "relation_shock", "name": "late", "a": "KAZ", "b": "RUS",
                          "shift": 0.1, "at": at})
        err = info.value
        assert (err.source, err.key) == ("inject", "relation_shock 'late'.at")
        assert "not before step 4" in err.expected and err.found == str(at)
    assert model.timeline == world_timeline
    # The next step is fine, and so is a later one.
    model.inject({"type": "relation_shock", "name": "soon", "a": "KAZ", "b": "RUS", "shift": 0.1})
    model.inject({"type": "relation_shock", "name": "later", "a": "KAZ", "b": "RUS",
                  "shift": 0.1, "at": 9})
    assert [item.at for item in model.timeline[len(world_timeline):]] == [4, 9]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_events")
    paths = {}
    for name, (fields, _, _) in BAD.items():
        paths[name] = folder / f"{name}.toml"
        paths[name].write_text(scenario_text(toml_event(fields)))
    return paths


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_event_in_a_file_names_the_file_the_event_and_its_field(name, bad_files):
    fields, field, expected = BAD[name]
    path = bad_files[name]
    with pytest.raises(InputError) as info:
        load(path)
    err = info.value
    assert Path(err.source).resolve() == path.resolve()
    assert err.key == f"events[0] ({label(fields)}){field}"
    assert expected in err.expected


@pytest.mark.parametrize("name", list(BAD))
def test_geopol_validate_prints_a_bad_event_on_one_line_and_exits_2(name, bad_files, geopol):
    fields, _, _ = BAD[name]
    path = bad_files[name]
    line = error_line(geopol("validate", path))
    assert line.startswith(f"error: {path}: events[0] ({label(fields)})"), line
    with pytest.raises(InputError) as info:
        load(path)
    assert line == f"error: {info.value}"


def test_a_bad_event_is_blamed_on_the_file_that_wrote_it(tmp_path, geopol):
    """A variant of a scenario with a bad event: the error names the base file."""
    fields = BAD["agreement_within_a_state"][0]
    base = tmp_path / "base.toml"
    base.write_text(scenario_text(toml_event(fields)))
    variant = tmp_path / "variant.toml"
    variant.write_text('[scenario]\nname = "variant"\nextends = "base.toml"\n\n' + toml_event(
        {"type": "relation_shock", "name": "fine", "a": "KAZ", "b": "RUS", "shift": 0.1,
         "at": 2}))
    with pytest.raises(InputError) as info:
        load(variant)
    assert Path(info.value.source).resolve() == base.resolve()
    assert info.value.key == "events[0] (agreement 'twins').b"
    line = error_line(geopol("run", variant, "--steps", 1, "--out", tmp_path / "out"))
    assert line.startswith(f"error: {base}: events[0] (agreement 'twins').b: expected "), line
    assert not (tmp_path / "out").exists()


def test_a_date_in_an_event_error_reads_as_the_file_wrote_it(tmp_path):
    """`found` is what the user wrote: a TOML date, not a Python repr."""
    fields = {"type": "sanction", "name": "US bill", "imposers": ["USA"], "target": "RUS"}
    path = tmp_path / "dates.toml"
    path.write_text(scenario_text(toml_event(fields) + "at = 2017-08-02\nend = 2017-03-01\n"))
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.key == "events[0] (sanction 'US bill').end"
    assert info.value.found == "2017-03-01"


def test_a_regime_is_listed_once_and_lifted_whole():
    """Russia's food embargo of 2014 is one regime against several targets, one sanction per
    target in the world's timeline: the sanctions in force list it once, lifting it ends every
    part, and lifting one part by its own name ends that part only."""
    model = GeoModel(scenario="eurasia", rng=SEED)
    regime = "Russia food embargo 2014"
    parts = [item for item in model.timeline
             if getattr(item.event, "regime", None) == regime]
    assert len(parts) > 20 and all(item.in_force(1) for item in parts)
    listed = model.in_force()
    assert listed.count(regime) == 1
    assert not any(name.startswith(f"{regime}: ") for name in listed)
    model.lift(f"{regime}: USA")
    assert [item.event.target for item in parts if item.end == 1] == ["USA"]
    assert regime in model.in_force()
    model.lift(regime)
    assert all(item.end == 1 for item in parts)
    assert regime not in model.in_force()


@st.composite
def memberships(draw):
    """A sanction's imposers, joins and leaves as `schedule` leaves them (every join and leave
    at or after the start), its end, and a step."""
    at = draw(st.integers(0, 10))
    imposers = draw(st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True))
    joins = draw(st.lists(st.tuples(st.integers(0, 7), st.integers(at, 30)), max_size=5))
    members = sorted({*imposers, *(r for r, _ in joins)})
    leaves = draw(st.lists(st.tuples(st.sampled_from(members), st.integers(at, 30)),
                           max_size=4))
    end = draw(st.none() | st.integers(at + 1, 40))
    return at, imposers, joins, leaves, members, end, draw(st.integers(0, 45))


@settings(max_examples=400, deadline=None)
@given(memberships())
def test_taking_part_is_takes_part_for_every_member(case):
    at, imposers, joins, leaves, members, end, step = case
    item = events.Scheduled(event=events.Sanction(imposers=["A"], target="B"), at=at, end=end,
                            rows={"imposers": imposers, "members": members, "target": [9]},
                            joins=joins, leaves=leaves)
    assert events.taking_part(item, step) == [m for m in members
                                              if events.takes_part(item, m, step)]
