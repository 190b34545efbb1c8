"""GeoModel: Mesa agents over the world arrays, the step, trade-driven growth, Mesa tooling."""

from __future__ import annotations

import multiprocessing

import mesa
import numpy as np
import pytest
from helpers import row

from agents import CityAgent, RegionAgent, StateAgent
from sim import GeoModel, load
from sim.errors import InputError


@pytest.fixture(scope="module")
def eurasia_spec():
    return load("eurasia").spec


@pytest.fixture
def model():
    return GeoModel(scenario="eurasia", rng=1)


def state_index(model, state_id: str) -> int:
    return list(model.world.actors.ids[: model.world.n_states]).index(state_id)


def agent_by_id(model, actor_id: str):
    return model.agent_at(list(model.world.actors.ids).index(actor_id))


def snapshot(model):
    """GDP of every actor and the state-pair trade matrix, copied."""
    return model.world.actors.gdp.copy(), model.world.pairs.trade.copy()


# ---------------------------------------------------------------- construction and agents


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        GeoModel("eurasia")
    with pytest.raises(TypeError):
        GeoModel("eurasia", 1)


def test_agent_sets_match_the_scenario(model, eurasia_spec):
    assert isinstance(model, mesa.Model)
    assert len(model.states) == len(eurasia_spec.states)
    assert len(model.cities) == len(eurasia_spec.cities)
    assert len(model.regions) == len(eurasia_spec.regions)
    assert all(type(a) is StateAgent for a in model.states)
    assert all(type(a) is CityAgent for a in model.cities)
    assert all(type(a) is RegionAgent for a in model.regions)
    assert len(model.agents) == model.world.n_actors
    assert {a.actor_id for a in model.states} == {s.id for s in eurasia_spec.states}
    assert {a.actor_id for a in model.cities} == {c.id for c in eurasia_spec.cities}
    assert {a.actor_id for a in model.regions} == {r.id for r in eurasia_spec.regions}
    # agent_at inverts the row.
    for agent in model.agents:
        assert model.agent_at(agent.row) is agent


def test_capitals_are_flagged_exactly(model, eurasia_spec):
    capitals = {c.id for c in eurasia_spec.cities if c.capital}
    assert capitals == {s.capital for s in eurasia_spec.states}
    assert {c.actor_id for c in model.cities if c.is_capital} == capitals
    assert "astana" in capitals
    # A state's capital is a city of that state, placed where the state is.
    for state in model.states:
        capital = [c for c in model.cities if c.is_capital and c.state is state]
        assert len(capital) == 1 and capital[0].pos_latlon == state.pos_latlon


def test_agent_properties_read_the_world_arrays(model, eurasia_spec):
    pavlodar = agent_by_id(model, "KZ-55")
    omsk = agent_by_id(model, "RU-OMS")
    assert isinstance(pavlodar, RegionAgent) and isinstance(omsk, RegionAgent)
    spec = next(r for r in eurasia_spec.regions if r.id == "KZ-55")
    assert pavlodar.name == spec.name and pavlodar.population == spec.population
    assert pavlodar.state.actor_id == "KAZ" and isinstance(pavlodar.state, StateAgent)
    assert omsk.state.actor_id == "RUS"
    kaz = pavlodar.state
    assert kaz.state is kaz  # a state belongs to itself
    # Paradiplomacy partners, both ways.
    assert omsk in pavlodar.partners
    assert pavlodar in omsk.partners
    assert all(pavlodar in p.partners for p in pavlodar.partners)

    # The agents hold no copies: change the arrays and the properties change.
    row = pavlodar.row
    model.world.actors.gdp[row] = 1.25e9
    model.world.actors.population[row] = 777.0
    model.world.actors.names[row] = "Renamed"
    assert pavlodar.gdp == 1.25e9
    assert pavlodar.population == 777.0
    assert pavlodar.name == "Renamed"
    model.world.actors.state[row] = state_index(model, "RUS")
    assert pavlodar.state.actor_id == "RUS"


def test_state_exports_and_imports_read_the_trade_matrix(model):
    s = model.world.n_states
    trade = model.world.pairs.trade
    for state in model.states:
        i = state.row
        assert state.exports == pytest.approx(trade[i].sum() - trade[i, i], rel=1e-12)
        assert state.imports == pytest.approx(trade[:, i].sum() - trade[i, i], rel=1e-12)
    kaz = model.agent_at(state_index(model, "KAZ"))
    model.world.pairs.trade = np.zeros((s, s))
    assert kaz.exports == 0.0 and kaz.imports == 0.0


def test_cities_and_regions_follow_their_states_gdp(model):
    before = model.world.actors.gdp.copy()
    model.step()
    after = model.world.actors.gdp
    growth = after / before
    owner = model.world.actors.state
    np.testing.assert_allclose(growth, growth[owner], rtol=1e-13)
    assert np.ptp(growth[: model.world.n_states]) > 0  # states grow at different rates


# ---------------------------------------------------------------- the step and the records


def test_steps_and_datacollector(model):
    table = model.datacollector.get_model_vars_dataframe()
    assert len(table) == 1 and model.steps == 0
    for _ in range(6):
        model.step()
    assert model.steps == 6
    table = model.datacollector.get_model_vars_dataframe()
    assert len(table) == 7
    for column in ("world_gdp_usd", "world_exports_usd", "export_share"):
        assert column in table.columns
        assert table[column].notna().all()
    assert table["date"].tolist()[:3] == ["2023-01-01", "2023-04-01", "2023-07-01"]
    # The recorded series are the model's own numbers.
    gdp = model.world.actors.gdp[: model.world.n_states]
    trade = model.world.pairs.trade
    last = table.iloc[-1]
    assert last["world_gdp_usd"] == pytest.approx(gdp.sum(), rel=1e-12)
    assert last["world_exports_usd"] == pytest.approx(trade.sum() - np.trace(trade), rel=1e-12)
    assert last["export_share"] == pytest.approx(
        last["world_exports_usd"] / last["world_gdp_usd"], rel=1e-12)
    assert model.recorder.steps == list(range(7))


def test_each_state_starts_at_its_exports_share(model):
    """Each state's home bias is solved at step 0 so that it exports its data's share of its
    output (at most trade.export_share_cap): the world's exports/GDP is then theirs."""
    w = model.world
    s = w.n_states
    gdp, trade = w.actors.gdp[:s], w.pairs.trade
    exported = (trade.sum(axis=1) - np.diag(trade)) / gdp
    cap = model.params.trade.export_share_cap
    np.testing.assert_allclose(exported, np.minimum(w.nations.exports_share, cap), atol=1e-6)
    share = model.datacollector.get_model_vars_dataframe()["export_share"].iloc[0]
    assert share == pytest.approx((exported * gdp).sum() / gdp.sum(), rel=1e-9)
    # The home bias is each state's own: large economies buy more from themselves.
    usa, lux = row(model, "USA"), row(model, "LUX")
    assert model.home_bias[usa] > model.home_bias[lux]
    # A lower cap lowers the exports of the states above it, and only theirs.
    other = GeoModel(scenario="eurasia", rng=1, trade_export_share_cap=0.5)
    capped = w.nations.exports_share > 0.5
    assert capped.any()
    other_exported = (other.world.pairs.trade.sum(axis=1)
                      - np.diag(other.world.pairs.trade)) / gdp
    np.testing.assert_allclose(other_exported[capped], 0.5, atol=1e-6)
    np.testing.assert_allclose(other_exported[~capped], exported[~capped], atol=1e-6)


def test_a_world_without_export_data_starts_at_the_openness():
    """Without any state's exports share (a synthetic world) one border effect for all is
    calibrated to trade.openness, the world's exports/GDP."""
    model = GeoModel(scenario="synthetic", rng=1)
    assert model.export_targets is None
    assert model.export_share == pytest.approx(model.params.trade.openness, abs=1e-6)
    assert np.ptp(model.home_bias) == 0 and model.home_bias[0] > 0
    other = GeoModel(scenario="synthetic", rng=1, trade_openness=0.05)
    assert other.export_share == pytest.approx(0.05, abs=1e-6)
    assert other.home_bias[0] > model.home_bias[0]


def test_recorded_flows_add_up_to_recorded_gdp(model):
    """Every step, each state's sales (row) and spending (column) equal its GDP."""
    for _ in range(5):
        model.step()
        gdp = model.world.actors.gdp[: model.world.n_states]
        trade = model.world.pairs.trade
        np.testing.assert_allclose(trade.sum(axis=1), gdp, rtol=1e-8)
        np.testing.assert_allclose(trade.sum(axis=0), gdp, rtol=1e-8)
        assert np.all(trade >= 0)


def test_gdp_grows_at_the_trend_without_shocks():
    # Regional ties held out of trade costs: links forming would move them; no trade deals,
    # which would too. One trend for all (growth.data_trends = 0).
    model = GeoModel(scenario="eurasia", rng=3, growth_volatility=0.0, growth_data_trends=0.0,
                     technology_gdp_elasticity=0.0, trade_regional=0.0,
                     decisions_agreements=False, decisions_hedging=False,
                     decisions_digital=False)
    gdp0 = model.world.actors.gdp.copy()
    steps = 8
    for _ in range(steps):
        model.step()
    years = steps * model.step_months / 12.0
    expected = np.exp(model.params.growth.trend * years)
    # With no shocks every state grows alike, so shares, domestic shares and the gains from
    # trade do not move: GDP grows at exactly the trend.
    np.testing.assert_allclose(model.world.actors.gdp / gdp0, expected, rtol=1e-8)
    series = model.datacollector.get_model_vars_dataframe()["world_gdp_usd"].to_numpy()
    np.testing.assert_allclose(series[1:] / series[:-1],
                               np.exp(model.params.growth.trend * model.step_months / 12.0),
                               rtol=1e-8)
    shares = model.datacollector.get_model_vars_dataframe()["export_share"]
    np.testing.assert_allclose(shares, shares.iloc[0], rtol=1e-6)


def test_each_state_grows_at_its_own_trend():
    """With the data's trends (growth.data_trends = 1) and no shocks, states grow apart: each
    at its trend, within a point, the rest being the gains from trade as shares shift."""
    model = GeoModel(scenario="eurasia", rng=3, growth_volatility=0.0,
                     technology_gdp_elasticity=0.0, trade_regional=0.0,
                     decisions_agreements=False, decisions_hedging=False,
                     decisions_digital=False)
    s = model.world.n_states
    gdp0 = model.world.actors.gdp[:s].copy()
    for _ in range(8):
        model.step()
    growth = np.log(model.world.actors.gdp[:s] / gdp0) / 2.0
    np.testing.assert_allclose(model.growth_trend, model.world.nations.growth_trend)
    np.testing.assert_allclose(growth, model.growth_trend, atol=0.01)
    assert np.corrcoef(growth, model.growth_trend)[0, 1] > 0.99
    assert growth[row(model, "CHN")] > growth[row(model, "JPN")] + 0.02


def test_gdp_grows_at_about_the_trend_with_shocks():
    model = GeoModel(scenario="synthetic", rng=4, trade_openness=0.1)
    gdp0 = model.world.actors.gdp[: model.world.n_states].copy()
    steps = 40
    for _ in range(steps):
        model.step()
    years = steps * model.step_months / 12.0
    growth = np.log(model.world.actors.gdp[: model.world.n_states] / gdp0) / years
    p = model.params.growth
    # Mean log growth is μ − v²/2, with a standard error of v/√(years·states).
    se = p.volatility / np.sqrt(years * len(growth))
    assert growth.mean() == pytest.approx(p.trend - 0.5 * p.volatility**2, abs=5 * se + 1e-3)
    assert growth.std() > 0.2 * p.volatility / np.sqrt(years)  # the shocks are there


def _domestic_share(model):
    s = model.world.n_states
    return np.diag(model.world.pairs.trade) / model.world.actors.gdp[:s]


def test_a_sanction_mid_run_cuts_trade_and_then_gdp():
    """A complete sanction between Kazakhstan and Russia set after step 4: their trade falls at
    the next solve (step 5) and, through the gains from trade, their GDP falls from step 6 on,
    against the same run (same seed, same shocks) without the sanction."""
    base = GeoModel(scenario="eurasia", rng=7)
    hit = GeoModel(scenario="eurasia", rng=7)
    i, j = state_index(hit, "KAZ"), state_index(hit, "RUS")
    sigma = hit.params.trade.sigma
    for _ in range(4):
        base.step()
        hit.step()
    np.testing.assert_array_equal(hit.world.actors.gdp, base.world.actors.gdp)
    lam4 = _domestic_share(hit)
    before = hit.world.pairs.trade.copy()

    hit.inject({"type": "sanction", "imposers": ["KAZ"], "target": "RUS"})
    base.step()
    hit.step()  # step 5: the solve sees the sanction
    t_base, t_hit = base.world.pairs.trade, hit.world.pairs.trade
    for x, y in ((i, j), (j, i)):
        assert t_hit[x, y] < 0.5 * t_base[x, y]
        assert t_hit[x, y] < 0.5 * before[x, y]
    lam5_base, lam5_hit = _domestic_share(base), _domestic_share(hit)
    assert lam5_hit[i] > lam5_base[i] and lam5_hit[j] > lam5_base[j]

    base.step()
    hit.step()  # step 6: growth takes the loss
    gdp_base = base.world.actors.gdp[: base.world.n_states]
    gdp_hit = hit.world.actors.gdp[: hit.world.n_states]
    assert gdp_hit[i] < gdp_base[i] and gdp_hit[j] < gdp_base[j]
    # Exactly the ACR loss: (λ_ii,5 / λ_ii,4)^(−1/(σ−1)) against the run without the sanction.
    expected = ((lam5_hit / lam4) / (lam5_base / lam4)) ** (-1.0 / (sigma - 1.0))
    np.testing.assert_allclose(gdp_hit / gdp_base, expected, rtol=1e-9)
    # The whole owner column follows: Pavlodar region loses with Kazakhstan.
    row = list(hit.world.actors.ids).index("KZ-55")
    assert hit.world.actors.gdp[row] < base.world.actors.gdp[row]


def test_numpy_backend_gives_the_numba_results():
    runs = {}
    for backend in ("numba", "numpy"):
        model = GeoModel(scenario="eurasia", rng=5, backend=backend)
        assert model.kernels.gravity_flows.__name__.startswith("gravity_flows")
        history = [snapshot(model)]
        for _ in range(10):
            model.step()
            history.append(snapshot(model))
        runs[backend] = (model.home_bias, history)
    (b_nb, h_nb), (b_np, h_np) = runs["numba"], runs["numpy"]
    np.testing.assert_allclose(b_np, b_nb, rtol=1e-9)
    for (g_nb, t_nb), (g_np, t_np) in zip(h_nb, h_np, strict=True):
        np.testing.assert_allclose(g_np, g_nb, rtol=1e-9)
        np.testing.assert_allclose(t_np, t_nb, rtol=1e-9)


def test_unknown_backend_is_an_input_error():
    with pytest.raises(InputError, match="backend"):
        GeoModel(scenario="eurasia", rng=1, backend="cuda")


# ---------------------------------------------------------------- parameters


def test_parameter_overrides(eurasia_spec):
    model = GeoModel(scenario="eurasia", rng=1, trade_sigma=6.0, growth_trend=0.05)
    assert model.params.trade.sigma == 6.0
    assert model.params.growth.trend == 0.05
    assert eurasia_spec.params.trade.sigma == 5.0  # the scenario itself is untouched
    assert GeoModel(scenario="eurasia", rng=1).params.trade.sigma == 5.0


def test_sigma_sets_the_gains_from_trade():
    """σ enters growth only through the ACR exponent −1/(σ−1): the same sanction costs less
    GDP with a higher σ."""
    losses = {}
    for sigma in (3.0, 8.0):
        runs = []
        for sanction in (False, True):
            m = GeoModel(scenario="eurasia", rng=2, trade_sigma=sigma, growth_volatility=0.0)
            if sanction:
                m.inject({"type": "sanction", "imposers": ["KAZ"], "target": "RUS"})
            for _ in range(2):
                m.step()
            runs.append(m.world.actors.gdp[state_index(m, "KAZ")])
        losses[sigma] = 1 - runs[1] / runs[0]
    assert losses[3.0] > losses[8.0] > 0


@pytest.mark.parametrize("bad", [{"trade_sigmaa": 6.0}, {"trade_sigma": 0.5},
                                 {"trade_sigma": "six"}])
def test_bad_parameter_overrides_are_input_errors(bad):
    with pytest.raises(InputError):
        GeoModel(scenario="eurasia", rng=1, **bad)


# ---------------------------------------------------------------- Mesa tooling


@pytest.fixture
def restore_start_method():
    """mesa.batch_run forces the 'spawn' start method; put the old one back afterwards."""
    old = multiprocessing.get_start_method()
    yield
    multiprocessing.set_start_method(old, force=True)


def test_mesa_batch_run(restore_start_method):
    results = mesa.batch_run(
        GeoModel,
        parameters={"scenario": "synthetic", "trade_sigma": [4.0, 6.0]},
        rng=[1, 2],
        max_steps=3,
        number_processes=1,
        display_progress=False,
    )
    assert len(results) == 4
    assert sorted((r["rng"], r["trade_sigma"]) for r in results) == [
        (1, 4.0), (1, 6.0), (2, 4.0), (2, 6.0)]
    for r in results:
        assert r["Step"] == 3
        assert r["world_gdp_usd"] > 0 and 0 < r["export_share"] < 1
    # Each result is the run a direct call gives.
    direct = GeoModel(scenario="synthetic", rng=2, trade_sigma=6.0)
    for _ in range(3):
        direct.step()
    (match,) = [r for r in results if r["rng"] == 2 and r["trade_sigma"] == 6.0]
    assert match["world_gdp_usd"] == direct.world_gdp
    # Seeds give different worlds.
    by_seed = {r["rng"]: r["world_gdp_usd"] for r in results if r["trade_sigma"] == 4.0}
    assert by_seed[1] != by_seed[2]
