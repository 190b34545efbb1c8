"""The mechanisms end to end, through GeoModel.step(): paradiplomacy, city diplomacy, technology,
soft power, digital diplomacy, relations, the run tables and the two backends.

The kernels have their own tests (test_kernels_*.py). Here each mechanism is driven through the
model, in the `eurasia` scenario or in a small scenario written to a temporary folder, and
wherever possible compared with a counterfactual run: the same seed with one thing changed.
Equations and parameters: docs/model.md.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from helpers import row, run

from sim import GeoModel, load
from sim.mechanisms import paradiplomacy as paradiplomacy_mechanism
from sim.mechanisms import soft_power as soft_power_mechanism
from sim.mechanisms import trade as trade_mechanism
from sim.mechanisms.events import exposure as sanction_exposure
from sim.output import run_tables
from sim.recording import ACTIVITY_NAMES, PILLARS, RELATION_TERMS, STAGE_NAMES
from sim.scenario import from_spec
from sim.schema import CHANNELS
from sim.world import CITY, LINK_KINDS, REGION

ECONOMIC, CULTURAL = CHANNELS.index("economic"), CHANNELS.index("cultural")
INACTIVE, EPISODIC, ACTIVE, LEADING = range(4)
EAEU = ("RUS", "KAZ", "BLR", "KGZ")

# Every random mechanism off: no GDP shocks, no link formation, no summits, no digital incidents,
# no deals (and no hedging) or digital programmes, and no technology wave spreading (p = 0 and no state has adopted any
# of it).
QUIET = {
    "decisions_agreements": False,
    "decisions_hedging": False,
    "decisions_digital": False,
    "growth_volatility": 0.0,
    "growth_data_trends": 0.0,
    "paradiplomacy_formation_rate": 0.0,
    "cities_summit_rate": 0.0,
    "digital_incident_hazard": 0.0,
    "technology_p": 0.0,
}


def without_forums(name: str = "eurasia"):
    """A bundled scenario without its forums, whose summits meet on their calendar whatever
    the randomness: a world where nothing happens, or where only the drawn meetings meet."""
    return from_spec(load(name).spec.model_copy(update={"forums": []}))

# Three states with inline GDP and population: Aland and Bland neighbours in Europe, Cland far
# away in the southern hemisphere. One capital and one region each; no listed links.
TRIO = """\
[scenario]
name = "trio"

[[states]]
id = "AAA"
name = "Aland"
capital = "acity"
area_km2 = 100000.0
borders = ["BBB"]
gdp_usd = 1e12
population = 1e7

[[states]]
id = "BBB"
name = "Bland"
capital = "bcity"
area_km2 = 100000.0
borders = ["AAA"]
gdp_usd = 1e12
population = 1e7

[[states]]
id = "CCC"
name = "Cland"
capital = "ccity"
area_km2 = 100000.0
gdp_usd = 1e12
population = 1e7

[[cities]]
id = "acity"
name = "A City"
state = "AAA"
capital = true
lat = 50.0
lon = 10.0
population = 1e6

[[cities]]
id = "bcity"
name = "B City"
state = "BBB"
capital = true
lat = 50.0
lon = 16.0
population = 1e6

[[cities]]
id = "ccity"
name = "C City"
state = "CCC"
capital = true
lat = -30.0
lon = 150.0
population = 1e6

[[regions]]
id = "A-1"
name = "A One"
state = "AAA"
lat = 50.5
lon = 12.0
population = 1e6

[[regions]]
id = "B-1"
name = "B One"
state = "BBB"
lat = 50.5
lon = 14.0
population = 1e6

[[regions]]
id = "C-1"
name = "C One"
state = "CCC"
lat = -31.0
lon = 149.0
population = 1e6
"""


def link_between_regions(*channels: str) -> str:
    names = ", ".join(f'"{c}"' for c in channels)
    return f'\n[[links]]\na = "A-1"\nb = "B-1"\nkind = "agreement"\nchannels = [{names}]\n'


# ---------------------------------------------------------------- helpers


def classify(total: np.ndarray, episodic_below: float, leading_from: float) -> np.ndarray:
    """Paper 002's activity classes, as docs/model.md defines them."""
    return np.select(
        [total <= 0.0, total < episodic_below, total < leading_from],
        [INACTIVE, EPISODIC, ACTIVE],
        LEADING,
    )


def activity_of(model: GeoModel) -> np.ndarray:
    """T_r: the total strength of every actor's links, each link counted at both ends."""
    links = model.world.links
    total = np.zeros(model.world.n_actors)
    per_link = links.strength.sum(axis=1)
    np.add.at(total, links.ends[:, 0], per_link)
    np.add.at(total, links.ends[:, 1], per_link)
    return total


def expected_stage(model: GeoModel) -> np.ndarray:
    """The digital stage of every state from its audience, ceiling and content quality."""
    n, p = model.world.nations, model.params.digital
    share = n.audience / n.audience_ceiling
    engaged = (share >= p.engagement_from) & (n.content_quality >= p.engagement_quality)
    return np.select([n.audience <= 0, share < p.audience_from, engaged], [0, 1, 3], 2)


def between(model: GeoModel, a: str, b: str) -> np.ndarray:
    """Mask of the links (active or dormant) between actors of states a and b."""
    owner = model.world.actors.state[model.world.links.ends]
    i, j = row(model, a), row(model, b)
    return ((owner[:, 0] == i) & (owner[:, 1] == j)) | ((owner[:, 0] == j) & (owner[:, 1] == i))


def carries(model: GeoModel, channel: int) -> np.ndarray:
    return ((model.world.links.channels >> channel) & 1).astype(bool)


def listed(model: GeoModel) -> np.ndarray:
    """Mask of the links the scenario lists (they come first; the candidates follow)."""
    mask = np.zeros(len(model.world.links), dtype=bool)
    mask[: len(model.setup.spec.links)] = True
    return mask


# ---------------------------------------------------------------- paradiplomacy


@pytest.fixture(scope="module")
def formation_run():
    """20 quarterly steps of eurasia (seed 1) with the link strengths of every step."""
    model = GeoModel(scenario="eurasia", rng=1)
    history = [model.world.links.strength.copy()]
    for _ in range(20):
        model.step()
        history.append(model.world.links.strength.copy())
    return model, history


def regional_candidates(model: GeoModel) -> np.ndarray:
    """Mask of the candidate links between regions (not listed, not twinning)."""
    return ~listed(model) & (model.world.links.kind == LINK_KINDS.index("agreement"))


def test_dormant_candidates_form_links_over_time(formation_run):
    model, history = formation_run
    table = model.datacollector.get_model_vars_dataframe()
    active = [int(s.any(axis=1).sum()) for s in history]
    # eurasia starts with its regional links settled (regional_links = "settled", from world):
    # at the start the regional candidates are active, and so are the listed links but one:
    # Omsk oblast's economic-only agreement with Hungary, far off, gets too little of the
    # oblast's attention to hold (its nearer Kazakh partners pay more). Every twinning
    # candidate is dormant.
    candidates = regional_candidates(model)
    twinning = ~listed(model) & ~candidates
    assert candidates.sum() > 100 and twinning.sum() > 1000
    assert history[0][candidates].any(axis=1).all()
    ids = model.world.actors.ids[model.world.links.ends]
    idle = listed(model) & ~history[0].any(axis=1)
    assert [tuple(pair) for pair in ids[idle].tolist()] == [("RU-OMS", "HUN")]
    assert not history[0][twinning].any()
    assert active[0] == int(listed(model).sum() - 1 + candidates.sum())
    # Links form: the active count rises, and the model table counts what the arrays show.
    assert table["active_links"].tolist() == active
    assert active[-1] > active[0] + 5
    formed = [int((~a.any(axis=1) & b.any(axis=1)).sum()) for a, b in pairwise(history)]
    dissolved = [int((a.any(axis=1) & ~b.any(axis=1)).sum()) for a, b in pairwise(history)]
    assert table["links_formed"].tolist()[1:] == formed
    assert table["links_dissolved"].tolist()[1:] == dissolved
    assert sum(formed) > 5
    # A newly formed link starts at start_strength on exactly the channels it may carry:
    # twinning candidates (city pairs) on the cultural and local-authority channels only.
    start = model.params.paradiplomacy.start_strength
    bits = (model.world.links.channels[:, None] >> np.arange(len(CHANNELS))) & 1
    twinning = model.world.links.kind == LINK_KINDS.index("twinning")
    new_twins = 0
    for before, after in pairwise(history):
        new = ~before.any(axis=1) & after.any(axis=1)
        np.testing.assert_array_equal(after[new], np.where(bits[new], start, 0.0))
        new_twins += int((new & twinning).sum())
        if (new & twinning).any():
            open_channels = after[new & twinning] > 0
            assert open_channels[:, [CULTURAL, CHANNELS.index("local_authority")]].all()
            assert open_channels.sum(axis=1).max() == 2
    assert new_twins > 0
    # Strengths stay in [0, 1] and a link never has a channel it may not carry.
    final = model.world.links.strength
    assert final.min() >= 0.0 and final.max() <= 1.0
    assert not final[bits == 0].any()


def test_activity_classes_follow_link_strength_and_thresholds(formation_run):
    model, _ = formation_run
    para = model.params.paradiplomacy
    recorder = model.recorder
    for k in range(len(recorder.steps)):
        total = recorder.actor("link_strength", k)
        assert np.array_equal(recorder.actor("activity", k),
                              classify(total, para.episodic_below, para.leading_from))
    # The recorded total is the sum of the actor's links' strengths, counted at both ends.
    np.testing.assert_allclose(model.world.actors.link_strength, activity_of(model), rtol=1e-12)
    classes = set(model.world.actors.activity.tolist())
    assert {INACTIVE, EPISODIC, ACTIVE} <= classes

    # Pavlodar oblast has six listed agreements (paper 004) on 19 named channels, which start
    # settled (each between 0 and 1): at step 0 it is "active" or "leading" (15 and more).
    pavlodar = row(model, "KZ-55")
    assert 0.0 < recorder.actor("link_strength", 0)[pavlodar] < 19.0
    assert recorder.actor("activity", 0)[pavlodar] in (ACTIVE, LEADING)
    # An actor without active links is inactive at step 0: the cities other than capitals
    # with no listed twinning, and the regions with no foreign region in reach.
    alone = recorder.actor("link_strength", 0) == 0
    assert (model.world.actors.kind[alone] == REGION).sum() >= 1
    assert (recorder.actor("activity", 0)[alone] == INACTIVE).all()

    # The thresholds are the parameters: the same run with other thresholds has the same
    # strengths and reclassifies them.
    start = recorder.actor("link_strength", 0)[pavlodar]
    other = run(GeoModel(scenario="eurasia", rng=1, paradiplomacy_episodic_below=start + 0.5,
                           paradiplomacy_leading_from=start + 1.0), 20)
    np.testing.assert_array_equal(other.world.actors.link_strength,
                                  model.world.actors.link_strength)
    assert np.array_equal(other.world.actors.activity,
                          classify(other.world.actors.link_strength, start + 0.5, start + 1.0))
    assert other.recorder.actor("activity", 0)[pavlodar] == EPISODIC  # just below the bar
    assert not np.array_equal(other.world.actors.activity, model.world.actors.activity)


def test_no_link_forms_without_formation(formation_run):
    """The same seed as `formation_run`, which forms links, with formation switched off."""
    model = GeoModel(scenario="eurasia", rng=1, paradiplomacy_formation_rate=0.0)
    start = model.world.links.strength.copy()
    dormant = ~start.any(axis=1)
    assert dormant.sum() > 1000
    for _ in range(20):
        model.step()
        assert not model.world.links.strength[dormant].any()
    table = model.datacollector.get_model_vars_dataframe()
    assert (table["links_formed"] == 0).all()
    assert (table["active_links"] == int((~dormant).sum())).all()
    assert formation_run[0].active_links > int((~dormant).sum())
    # The active links still move as relations move.
    assert not np.allclose(model.world.links.strength[~dormant], start[~dormant])


def test_regional_candidates_start_settled_and_stay_at_rest(tmp_path):
    """With regional_links = "settled" (eurasia inherits it from world) every candidate link
    between regions starts where its drives hold it; in a world where nothing happens it stays
    there. With "dormant" the same candidates start unformed, and each state's trade starts at
    the same calibrated exports/GDP either way: regional ties held at the start are part of
    the data, and only their change moves trade costs."""
    model = GeoModel(scenario=without_forums(), rng=3, digital_base_rate=0.0, **QUIET)
    candidates = regional_candidates(model)
    start = model.world.links.strength.copy()
    assert candidates.sum() > 100 and start[candidates].any(axis=1).all()
    changes = trade_mechanism.cost_changes(model.world.pairs, model.params.trade)
    assert not changes["paradiplomacy"].any()
    for _ in range(4):
        model.step()
    np.testing.assert_allclose(model.world.links.strength[candidates], start[candidates],
                               rtol=0, atol=1e-12)

    variant = tmp_path / "dormant.toml"
    variant.write_text('[scenario]\nname = "dormant"\nextends = "eurasia"\n'
                       'regional_links = "dormant"\n')
    dormant = GeoModel(scenario=variant, rng=3, digital_base_rate=0.0, **QUIET)
    assert dormant.setup.spec.scenario.regional_links == "dormant"
    assert not dormant.world.links.strength[regional_candidates(dormant)].any()
    fresh = GeoModel(scenario="eurasia", rng=3, digital_base_rate=0.0, **QUIET)
    for settled_or_not in (fresh, dormant):
        w = settled_or_not.world
        s = w.n_states
        exports = (w.pairs.trade.sum(axis=1) - np.diag(w.pairs.trade)) / w.actors.gdp[:s]
        np.testing.assert_allclose(exports, settled_or_not.export_targets, atol=1e-6)


def test_the_regional_trade_term_is_the_share_of_a_borders_ties_held():
    """ρ_ij = G_ij / max(K_ij, G_r), from the links themselves: the economic strength of the
    links between the two states' actors over the number that may carry the channel."""
    model = GeoModel(scenario="eurasia", rng=1)
    w, p = model.world, model.params.trade
    share = trade_mechanism.regional_share(w.pairs, p)
    owner = w.actors.state[w.links.ends]
    for a, b in (("KAZ", "RUS"), ("KAZ", "CHN"), ("POL", "DEU"), ("KAZ", "BLR")):
        between_ab = between(model, a, b)
        economic = between_ab & carries(model, ECONOMIC) & (owner[:, 0] != owner[:, 1])
        held = w.links.strength[economic, ECONOMIC].sum()
        expected = held / max(economic.sum(), p.regional_scale)
        assert share[row(model, a), row(model, b)] == pytest.approx(expected, rel=1e-12)
    assert 0.0 <= share.min() and share.max() <= 1.0
    # Kazakh–Russian border regions hold most of what they could; a pair with one agreement
    # between far-off regions (Pavlodar–Minsk oblast) holds a share of G_r links' worth only.
    assert share[row(model, "KAZ"), row(model, "RUS")] > 0.5
    assert share[row(model, "KAZ"), row(model, "BLR")] < 1.0 / p.regional_scale


TRIO_LINKED = """
[[links]]
a = "A-1"
b = "B-1"
kind = "agreement"
channels = ["cultural"]
strength = 0.6

[[links]]
a = "acity"
b = "bcity"
kind = "twinning"
channels = ["cultural"]
strength = 0.6
"""

TRIO_IN_DETAIL = "".join(f"""
[[regions]]
id = "A-{k}"
name = "A {k}"
state = "AAA"
lat = 50.{k}
lon = 12.5
population = 1e6

[[links]]
a = "A-{k}"
b = "B-1"
kind = "agreement"
channels = ["cultural"]
strength = 0.6
""" for k in (2, 3))


def test_cultural_share_counts_each_partner_state_once(tmp_path):
    """Aland's cultural links with Bland all at 0.6 of their potential, none yet with Cland
    (a dormant twinning candidate): its cultural share is the mean over the two partner
    states, (0.6 + 0)/2, whether one or three of its regions are linked to Bland. Summed over
    links instead, the detailed listing would count for more (2.4/5 against 1.2/3)."""
    shares = []
    for name, text in (("plain", TRIO + TRIO_LINKED), ("detailed", TRIO + TRIO_LINKED
                                                       + TRIO_IN_DETAIL)):
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        model = GeoModel(scenario=path, rng=1, paradiplomacy_formation_rate=0.0)
        column = [n for n, _, _ in soft_power_mechanism.METRICS].index("cultural_share")
        shares.append(soft_power_mechanism.metrics(model.world, model._cultural())[:, column])
    np.testing.assert_allclose(shares[0][0], 0.3, rtol=1e-12)
    np.testing.assert_allclose(shares[1], shares[0], rtol=1e-12)


def test_a_diaspora_tie_raises_the_cultural_channel_only(tmp_path):
    """Omsk oblast's agreement with Akmola oblast carries a diaspora tie of 0.5 (paper 004).
    Without it, the link's cultural channel settles lower and its economic channel is the same.
    Attraction does not move relations here, so that the cultural channel's effect on soft
    power cannot feed back into the link's drives. (Kazakh–Russian relations start near 0.8,
    where the cultural drive is close to its ceiling g/(g + δ) = 0.83, so the tie adds about
    three points.) Regions spread no attention here, so that the tie, which also makes the link
    promise more, does not draw effort from the oblast's other links."""
    variant = tmp_path / "no_diaspora.toml"
    variant.write_text('[scenario]\nname = "no-diaspora"\nextends = "eurasia"\n\n'
                       '[[links]]\na = "RU-OMS"\nb = "KZ-11"\nkind = "agreement"\n'
                       'diaspora = 0.0\n')
    runs = [run(GeoModel(scenario=s, rng=2, relations_attraction=0.0,
                         decisions_partners=False), 12)
            for s in ("eurasia", variant)]
    ends = [tuple(e) for e in runs[0].world.actors.ids[runs[0].world.links.ends].tolist()]
    k = ends.index(("RU-OMS", "KZ-11"))
    assert runs[0].world.links.diaspora[k] == 0.5 and runs[1].world.links.diaspora[k] == 0.0
    with_tie, without = runs[0].world.links.strength[k], runs[1].world.links.strength[k]
    assert with_tie[CULTURAL] > without[CULTURAL] + 0.02
    assert with_tie[ECONOMIC] == pytest.approx(without[ECONOMIC], rel=1e-9)


# ---------------------------------------------------------------- sanctions: cushion, trade


# Complete, on trade both ways: the cost of the flows KAZ→RUS and RUS→KAZ rises in full.
KAZ_RUS_SANCTION = {"type": "sanction", "name": "test", "imposers": ["KAZ"], "target": "RUS"}

# eurasia before the sanctions on Russia: the world's regimes against it at intensity 0, so
# that a new sanction's cushion is not hidden by the old ones (Russia's exposure starts at 0).
RUSSIA_UNSANCTIONED = "".join(
    f'[[events]]\ntype = "sanction"\nname = "{name}"\nintensity = 0.0\n\n'
    for name in ("Russia 2014", "Russia 2022", "Russia 2022 (United States)",
                 "Russia 2022 (export controls)", "Ukraine's trade ban on Russia"))


@pytest.fixture(scope="module")
def unsanctioned(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("scenarios") / "unsanctioned.toml"
    path.write_text('[scenario]\nname = "unsanctioned"\nextends = "eurasia"\n\n'
                    + RUSSIA_UNSANCTIONED)
    return str(path)


def about_to_sanction(scenario: str, **params) -> tuple[GeoModel, GeoModel]:
    """Two runs of `scenario`, seed 7, four steps in, the second with a complete KAZ–RUS
    sanction set to act at the next step."""
    base = GeoModel(scenario=scenario, rng=7, **params)
    hit = GeoModel(scenario=scenario, rng=7, **params)
    for _ in range(4):
        base.step()
        hit.step()
    hit.inject(KAZ_RUS_SANCTION)
    return base, hit


@pytest.fixture(scope="module")
def sanction_runs(unsanctioned):
    """eurasia without the sanctions on Russia, seed 7, with and without a complete KAZ–RUS
    sanction set after step 4; the world arrays of every step after it. States decide nothing
    (no one joins Kazakhstan, Russia does not answer, regions spread no attention), so that
    only this sanction acts on the drives."""
    base, hit = about_to_sanction(unsanctioned, decisions_coalitions=False,
                                  decisions_retaliation=False, decisions_partners=False)
    history = {"base": [], "hit": []}
    for _ in range(4):
        for name, model in (("base", base), ("hit", hit)):
            relations_before = model.world.pairs.relations.copy()
            model.step()
            w = model.world
            history[name].append({
                "strength": w.links.strength.copy(),
                "trade": w.pairs.trade.copy(),
                "relations_before": relations_before,
                "relations": w.pairs.relations.copy(),
                "terms": w.pairs.relation_terms.copy(),
            })
    return hit, history


def test_regions_give_sanctioned_partners_more_attention(unsanctioned):
    """With the regions choosing their partners (the default), the cushion draws their effort
    too: four steps after Kazakhstan sanctions Russia, the KAZ–RUS regional agreements get more
    of their ends' attention on average, and every one's economic channel is higher."""
    base, hit = about_to_sanction(unsanctioned, decisions_coalitions=False,
                                  decisions_retaliation=False)
    for _ in range(4):
        base.step()
        hit.step()
    agreements = between(hit, "KAZ", "RUS") & (hit.world.links.kind == LINK_KINDS.index(
        "agreement"))
    assert agreements.sum() >= 20
    effort = [paradiplomacy_mechanism.partner_effort(m.world, m.params.paradiplomacy,
                                                     m.link_geometry, m.kernels)[agreements]
              for m in (base, hit)]
    assert effort[1].mean() > effort[0].mean()
    economic = [m.world.links.strength[agreements, ECONOMIC] for m in (base, hit)]
    assert np.all(economic[1] > economic[0])


def test_a_sanction_raises_the_economic_channel_of_regional_links(sanction_runs):
    """Paradiplomacy as a "safety cushion" (paper 004): the economic channel of the KAZ–RUS
    links rises against the same run without the sanction; their cultural channel does not.
    (Kazakhstan sanctions Russia here: Russia is the target, so all its links are cushioned.)"""
    hit, history = sanction_runs
    kaz_rus = between(hit, "KAZ", "RUS") & listed(hit)
    economic = kaz_rus & carries(hit, ECONOMIC)
    cultural = kaz_rus & carries(hit, CULTURAL)
    assert economic.sum() >= 10 and cultural.sum() >= 12
    first, last = history["base"][0], history["hit"][0]
    # The first step: the sanction enters the economic drive at once; the cultural drive sees
    # only relations, which have not moved yet when the links grow.
    assert np.all(last["strength"][economic, ECONOMIC] > first["strength"][economic, ECONOMIC])
    np.testing.assert_array_equal(last["strength"][cultural, CULTURAL],
                                  first["strength"][cultural, CULTURAL])
    # Four steps on: economic still above, cultural now below (relations have fallen).
    b, h = history["base"][-1]["strength"], history["hit"][-1]["strength"]
    assert np.all(h[economic, ECONOMIC] > b[economic, ECONOMIC])
    assert np.all(h[cultural, CULTURAL] <= b[cultural, CULTURAL])
    assert np.all(h[cultural, CULTURAL] < b[cultural, CULTURAL])
    # Russia's links with third states get the cushion too (its exposure to sanctions from
    # anyone counts), unless the third state's own exposure already sets it (Belarus, under
    # sanctions of its own); links without a Russian end are not touched.
    owner = hit.world.actors.state[hit.world.links.ends]
    russian = (owner == row(hit, "RUS")).any(axis=1) & ~between(hit, "KAZ", "RUS")
    exposure = sanction_exposure(hit.world.pairs.sanction)
    partner = np.where(owner[:, 0] == row(hit, "RUS"), owner[:, 1], owner[:, 0])
    open_economic = (russian & (first["strength"][:, ECONOMIC] > 0)
                     & (exposure[partner] < exposure[row(hit, "RUS")]))
    assert open_economic.sum() >= 1
    assert np.all(last["strength"][open_economic, ECONOMIC]
                  > first["strength"][open_economic, ECONOMIC])
    others = ~(owner == row(hit, "RUS")).any(axis=1)
    np.testing.assert_array_equal(last["strength"][others], first["strength"][others])


def test_a_sanction_cuts_trade_between_the_two(sanction_runs):
    hit, history = sanction_runs
    i, j = row(hit, "KAZ"), row(hit, "RUS")
    for step in range(4):
        t_base, t_hit = history["base"][step]["trade"], history["hit"][step]["trade"]
        for x, y in ((i, j), (j, i)):
            # exp(−1.47) ≈ 0.23 of the flow before diversion and income effects.
            assert t_hit[x, y] < 0.35 * t_base[x, y]


def test_a_sanction_lowers_relations_through_the_sanction_term(sanction_runs):
    hit, history = sanction_runs
    i, j = row(hit, "KAZ"), row(hit, "RUS")
    p, dt = hit.params.relations, hit.dt
    for step in range(4):
        b, h = history["base"][step], history["hit"][step]
        assert h["relations"][i, j] < b["relations"][i, j]
        # term_4 = −Δt·w_s·ΔS, ΔS = 1 for this pair only.
        assert h["terms"][4][i, j] == pytest.approx(-dt * p.sanction, rel=1e-12)
        assert h["terms"][4][j, i] == h["terms"][4][i, j]
        # The sanctions term moves with ΔS, the change since step 0: only this pair's.
        assert np.count_nonzero(h["terms"][4]) == 2
        assert not b["terms"][4].any()
        # R' = R + Δt·δ·(B − R) + Σ_k term_k (no clipping here).
        for side in (b, h):
            r = side["relations_before"][i, j]
            expected = (r + dt * p.drift * (hit.world.pairs.relations_baseline[i, j] - r)
                        + side["terms"][:, i, j].sum())
            assert side["relations"][i, j] == pytest.approx(expected, abs=1e-12)
    gap = [b["relations"][i, j] - h["relations"][i, j]
           for b, h in zip(history["base"], history["hit"])]
    assert np.all(np.diff(gap) > 0)  # the gap widens while the sanction lasts
    assert np.allclose(hit.world.pairs.relations, hit.world.pairs.relations.T)


# ---------------------------------------------------------------- relations and blocs


def test_relations_stay_at_baseline_when_nothing_happens():
    """With every random mechanism off and ministries' audiences held still (their growth is a
    change: it moves the digital pillar and appeal), nothing happens, and relations stay where
    they start: "relations start at rest" (docs/model.md, "Relations"). Listed links start
    settled and attraction starts at the appeal, so neither moves on its own."""
    model = GeoModel(scenario=without_forums(), rng=3, digital_base_rate=0.0, **QUIET)
    baseline = model.world.pairs.relations_baseline.copy()
    np.fill_diagonal(baseline, 1.0)
    np.testing.assert_array_equal(model.world.pairs.relations, baseline)
    for k in range(1, 9):
        model.step()
        np.testing.assert_allclose(model.world.pairs.relations, baseline, rtol=0, atol=1e-9,
                                   err_msg=f"relations off their baseline at step {k}")


def test_relations_stay_at_baseline_when_every_driver_is_at_rest():
    """The same quiet world with attraction and link strengths held still as well: every
    driver is then at its step-0 value, every term is 0 and relations do not move."""
    model = GeoModel(scenario=without_forums(), rng=3, soft_power_attraction_rate=0.0,
                     paradiplomacy_growth=0.0, paradiplomacy_decay=0.0, **QUIET)
    baseline = model.world.pairs.relations_baseline.copy()
    np.fill_diagonal(baseline, 1.0)
    for k in range(1, 9):
        model.step()
        np.testing.assert_allclose(model.world.pairs.relations, baseline, rtol=0, atol=1e-9,
                                   err_msg=f"step {k}")
        np.testing.assert_allclose(model.world.pairs.relation_terms, 0.0, rtol=0, atol=1e-9,
                                   err_msg=f"step {k}")
    # The check has teeth: a sanction in the same still world moves that pair's relations.
    i, j = row(model, "KAZ"), row(model, "RUS")
    model.inject(KAZ_RUS_SANCTION)
    model.step()
    assert model.world.pairs.relations[i, j] < baseline[i, j] - 0.04


def test_allies_share_a_bloc_and_rivals_do_not():
    """Blocs from the starting relations of the world's data: the EAEU's members in one, the
    EU's in another; Russia and the USA, India and Pakistan apart."""
    model = run(GeoModel(scenario="eurasia", rng=1), 2)
    bloc0 = model.recorder.state("bloc", 0)
    assert len({bloc0[row(model, s)] for s in EAEU}) == 1
    eu = {bloc0[row(model, s)] for s in ("POL", "FRA", "HUN", "DEU", "ITA")}
    assert len(eu) == 1 and eu != {bloc0[row(model, "KAZ")]}
    for a, b in (("RUS", "USA"), ("IND", "PAK"), ("CHN", "USA"), ("RUS", "POL")):
        assert bloc0[row(model, a)] != bloc0[row(model, b)]
    # Blocs are recorded every step, with their count in the model table.
    table = model.datacollector.get_model_vars_dataframe()
    for k in range(len(model.recorder.steps)):
        assert table["blocs"].iloc[k] == len(np.unique(model.recorder.state("bloc", k)))
    np.testing.assert_array_equal(model.recorder.state("bloc", -1), model.world.nations.bloc)
    # Above every relation, no pair is tied: every state is a bloc of its own.
    apart = GeoModel(scenario="eurasia", rng=1, relations_bloc_threshold=0.99)
    assert len(np.unique(apart.world.nations.bloc)) == apart.world.n_states
    assert apart.datacollector.get_model_vars_dataframe()["blocs"].iloc[0] == apart.world.n_states


# ---------------------------------------------------------------- city diplomacy


def test_hosting_a_summit_raises_weight_engagement_and_ties():
    """Summits at every step against none (same seed). Other cities start without weight, so
    that every state's cities weigh the same at the start (each state's capital, 1.0) and the
    engagement pillar can rise for whoever hosts."""
    settings = {"cities_city_weight": 0.0, "paradiplomacy_formation_rate": 0.0,
                "growth_volatility": 0.0, "digital_incident_hazard": 0.0,
                "cities_talks_below": -1.0}  # summits of blocs only, no talks
    hot = GeoModel(scenario=without_forums(), rng=2, cities_summit_rate=52.0, **settings)
    cold = GeoModel(scenario=without_forums(), rng=2, cities_summit_rate=0.0, **settings)
    blocs = hot.world.nations.bloc.copy()
    hot.step()
    cold.step()
    assert hot.summit_hosts and not cold.summit_hosts
    host = hot.summit_hosts[0]
    state = hot.world.actors.state[host]
    assert hot.world.actors.is_capital[host]
    assert hot.world.actors.diplomatic_weight[host] > cold.world.actors.diplomatic_weight[host]
    engagement = PILLARS.index("engagement")
    assert (hot.world.nations.pillars[state, engagement]
            > cold.world.nations.pillars[state, engagement])
    # The participants are a bloc of two or more, the host's state among them; each pair of
    # them now shares one summit tie, which pushes their relations by Δt·w_m.
    ties = hot.world.pairs.summit_ties
    came = np.flatnonzero(ties.sum(axis=1) > 0)
    assert len(came) >= 2 and state in came
    np.testing.assert_array_equal(came, np.flatnonzero(blocs == blocs[state]))
    pair = np.ix_(came, came)
    np.testing.assert_allclose(ties[pair], 1.0 - np.eye(len(came)))
    assert ties.sum() == pytest.approx(len(came) * (len(came) - 1))
    assert not cold.world.pairs.summit_ties.any()
    push = hot.dt * hot.params.relations.summits
    np.testing.assert_allclose(hot.world.pairs.relation_terms[2][pair],
                               push * (1.0 - np.eye(len(came))), rtol=1e-12)
    off = ~np.eye(len(came), dtype=bool)
    assert np.all((hot.world.pairs.relations[pair] > cold.world.pairs.relations[pair])[off])

    # Over more steps: every city that hosted weighs more than without summits, the others the
    # same; a summit is held at every step.
    hosts = {host}
    for _ in range(5):
        hot.step()
        cold.step()
        assert len(hot.summit_hosts) == 1
        hosts.add(hot.summit_hosts[0])
    weight_hot, weight_cold = hot.world.actors.diplomatic_weight, cold.world.actors.diplomatic_weight
    for city in np.flatnonzero(hot.world.actors.kind == CITY):
        if city in hosts:
            assert weight_hot[city] > weight_cold[city]
        else:
            assert weight_hot[city] == pytest.approx(weight_cold[city], rel=1e-12)
    assert hot.datacollector.get_model_vars_dataframe()["summit_host"].iloc[1:].ne("").all()


def test_a_hosts_weight_relaxes_to_its_standing_weight():
    """Astana hosts one summit: its weight jumps by g·ln(1 + participants), then the excess
    over a capital's standing weight shrinks by exp(−λ·Δt) a step, never below it; capitals
    that host nothing keep their standing weight, and the engagement pillar reads the state's
    city weights W as W/(1 + W)."""
    model = GeoModel(scenario=without_forums(), rng=2, cities_summit_rate=0.0)
    p = model.params.cities
    astana = row(model, "astana")
    capitals = np.flatnonzero(model.world.actors.is_capital & (model.world.actors.kind == CITY))
    np.testing.assert_array_equal(model.world.actors.diplomatic_weight[capitals], p.capital_weight)
    model.inject({"type": "summit", "name": "test", "host": "astana",
                  "participants": ["KAZ", "CHN", "RUS"]})
    model.step()
    excess = [model.world.actors.diplomatic_weight[astana] - p.capital_weight]
    assert excess[0] == pytest.approx(p.gain * np.log(4.0), rel=1e-12)
    for _ in range(12):
        model.step()
        excess.append(model.world.actors.diplomatic_weight[astana] - p.capital_weight)
    np.testing.assert_allclose(np.array(excess[1:]) / excess[:-1], np.exp(-p.decay * model.dt),
                               rtol=1e-9)
    assert min(excess) > 0
    others = capitals[capitals != astana]
    np.testing.assert_array_equal(model.world.actors.diplomatic_weight[others], p.capital_weight)
    column = [n for n, _, _ in soft_power_mechanism.METRICS].index("diplomatic_weight")
    metric = soft_power_mechanism.metrics(model.world, model._cultural())[:, column]
    a = model.world.actors
    weight = np.bincount(a.state, weights=np.where(a.kind == CITY, a.diplomatic_weight, 0.0),
                         minlength=model.world.n_states)
    np.testing.assert_allclose(metric, weight / (1.0 + weight), rtol=1e-12)


def talks_step(model: GeoModel, a: int, b: int, most: int = 30) -> tuple[int, np.ndarray]:
    """Step until a and b meet for talks (half the meetings are talks when a pair is below
    `talks_below`); the host and the relations as the venue was chosen."""
    for _ in range(most):
        relations = model.world.pairs.relations.copy()
        before = model.world.pairs.summit_ties[a, b]
        model.step()
        if model.world.pairs.summit_ties[a, b] > before and model.summit_hosts:
            return model.summit_hosts[0], relations
    raise AssertionError(f"no talks in {most} steps")


def test_a_neutral_capital_hosts_talks_between_states_in_conflict():
    """Iran and the USA at −0.99, the only pair below talks_below (−0.95 here), are called to
    talks (paper 001: the Iranian nuclear talks in Astana, 2013). Neither of their cities may
    host; a capital of a third state with relations ≥ 0 towards both does."""
    model = GeoModel(scenario="eurasia", rng=2, cities_summit_rate=52.0,
                     cities_talks_below=-0.95)
    iran, usa = row(model, "IRN"), row(model, "USA")
    pairs = model.world.pairs
    for matrix in (pairs.relations, pairs.relations_baseline):
        matrix[iran, usa] = matrix[usa, iran] = -0.99
    host, relations = talks_step(model, iran, usa)
    state = model.world.actors.state[host]
    assert state not in (iran, usa)
    assert model.world.actors.is_capital[host]
    assert relations[state, iran] >= 0 and relations[state, usa] >= 0
    # The talks are between the two only: no one else gained a tie this step.
    came = model.world.pairs.summit_ties[[iran, usa]].sum(axis=0)
    assert came[iran] > 0 and came[usa] > 0

    # If every other state is hostile to Iran but Turkey, Ankara is the only neutral venue.
    model = GeoModel(scenario="eurasia", rng=2, cities_summit_rate=52.0,
                     cities_talks_below=-0.95)
    turkey = row(model, "TUR")
    pairs = model.world.pairs
    for matrix in (pairs.relations, pairs.relations_baseline):
        for other in range(model.world.n_states):
            if other not in (iran, usa, turkey):
                matrix[iran, other] = matrix[other, iran] = -0.1
        matrix[iran, usa] = matrix[usa, iran] = -0.99
    host, _ = talks_step(model, iran, usa)
    assert model.world.actors.ids[host] == "ankara"


def test_the_chair_of_a_bloc_rotates_among_its_members():
    """A bloc meets in its members' cities, each taking its turn: over ten years of summits
    of the world's blocs no city hosts more than a few of its bloc's, and Astana, bidding for
    prestige (Kazakhstan is multi-vector in eurasia), hosts more than any other city."""
    hosts = []
    for seed in range(3):
        model = GeoModel(scenario="eurasia", rng=seed, cities_summit_rate=8.0)
        for _ in range(40):
            model.step()
            hosts += [str(model.world.actors.ids[h]) for h in model.summit_hosts]
    counts = pd.Series(hosts).value_counts()
    assert counts.index[0] == "astana"
    # Without rotation the first host of a bloc won every later summit of it.
    assert counts.iloc[1] < 0.2 * len(hosts)


@pytest.mark.slow
def test_astana_hosts_most_without_its_scripted_summits():
    """astana-summits (2005–2022) with its scripted summits removed: Astana bids for the
    prestige of hosting and, neutral between the blocs, hosts more meetings than any other
    city in most seeds (paper 001 lists 14 for Astana over those years)."""
    setup = load("astana-summits")
    own = {e.name for e in setup.spec.events if e.type == "summit"}
    unscripted = from_spec(setup.spec.model_copy(
        update={"events": [e for e in setup.spec.events if e.name not in own]}))
    first = 0
    for seed in range(6):
        model = GeoModel(scenario=unscripted, rng=seed)
        hosts = []
        for _ in range(model.setup.spec.scenario.steps):
            model.step()
            hosts += [str(model.world.actors.ids[h]) for h in model.summit_hosts]
        counts = pd.Series(hosts).value_counts()
        first += counts.index[0] == "astana" and counts.iloc[0] > counts.iloc[1]
        assert 3 <= counts.get("astana", 0) <= 30
    assert first >= 5


# ---------------------------------------------------------------- technology


def mean_adoption_path(steps_: int, **params) -> np.ndarray:
    model = GeoModel(scenario="eurasia", rng=4, **params)
    path = [model.world.nations.adoption.mean()]
    for _ in range(steps_):
        model.step()
        path.append(model.world.nations.adoption.mean())
    return np.array(path)


@pytest.fixture(scope="module")
def adoption_paths():
    return {q: mean_adoption_path(60, technology_q=q) for q in (0.38, 0.76)}


def test_adoption_rises_along_an_s_curve(adoption_paths):
    path = adoption_paths[0.38]
    increments = np.diff(path)
    peak = int(np.argmax(increments))
    assert 8 <= peak <= 50
    assert np.all(np.diff(increments[: peak + 1]) > 0)  # accelerating ...
    assert np.all(np.diff(increments[peak:]) < 0)  # ... then slowing
    assert path[0] == 0.0 and 0.85 < path[-1] < 1.0
    # Every state starts at 0 and imitates a weighted mean of the same adoption, so the mean
    # follows Bass's single market: exactly its per-step recursion, and at most 0.03 below the
    # continuous curve F(t) = (1 − e^−(p+q)t)/(1 + (q/p)e^−(p+q)t) (docs/model.md).
    p, q, dt = 0.03, 0.38, 0.25
    recursion = [0.0]
    for _ in range(60):
        f = recursion[-1]
        recursion.append(1.0 - (1.0 - f) * np.exp(-(p + q * f) * dt))
    np.testing.assert_allclose(path, recursion, rtol=1e-9, atol=1e-12)
    t = np.arange(61) * dt
    bass = (1 - np.exp(-(p + q) * t)) / (1 + (q / p) * np.exp(-(p + q) * t))
    assert np.all(path <= bass + 1e-12) and np.all(bass - path < 0.03)


def test_more_imitation_reaches_half_adoption_sooner(adoption_paths):
    slow, fast = adoption_paths[0.38], adoption_paths[0.76]
    half_slow, half_fast = int(np.argmax(slow >= 0.5)), int(np.argmax(fast >= 0.5))
    assert slow[half_slow] >= 0.5 and fast[half_fast] >= 0.5
    # Half adoption at ln(2 + q/p)/(p + q) years: 6.6 years (26 steps) and 4.2 (17 steps),
    # a step or two later in discrete time.
    assert 26 <= half_slow <= 30 and 17 <= half_fast <= 21
    assert half_fast < half_slow


def test_partners_of_adopters_adopt_faster(tmp_path):
    """Aland starts with half of a wave. Bland, its neighbour with an agreement between their
    regions, takes it up faster than far Cland, and faster still when cooperation links weigh
    more in its contacts."""
    path = tmp_path / "trio_wave.toml"
    path.write_text(TRIO + link_between_regions("economic", "cultural")
                    + '\n[[technology_waves]]\nname = "wave"\norigin = ["AAA"]\n'
                      'initial_adoption = 0.5\n')
    adoption = {}
    for cooperation in (0.0, 10.0):
        model = GeoModel(scenario=path, rng=3, technology_cooperation=cooperation,
                         paradiplomacy_formation_rate=0.0, technology_gdp_elasticity=0.0)
        assert model.world.nations.adoption[:, 0].tolist() == [0.5, 0.0, 0.0]
        adoption[cooperation] = run(model, 8).world.nations.adoption[:, 0]
    for a, b, c in adoption.values():
        assert b > 2 * c  # the neighbour and trade partner of the adopter, against the far one
    assert adoption[10.0][1] > adoption[0.0][1] + 0.05  # its link with the adopter
    assert adoption[10.0][1] > adoption[10.0][2]


def test_technology_raises_gdp():
    runs = [GeoModel(scenario="eurasia", rng=6, technology_gdp_elasticity=e) for e in (0.05, 0.0)]
    technology = [0.0]
    for _ in range(8):
        for model in runs:
            model.step()
        technology.append(runs[0].world.nations.technology.copy())
    with_tech, without = (m.world.actors.gdp for m in runs)
    assert np.all(with_tech > without)
    # GDP at step t carries exp(ε·(T_{t−1} − T_0)): the adoption of every step but the last.
    owner = runs[0].world.actors.state
    np.testing.assert_allclose(with_tech / without, np.exp(0.05 * technology[-2][owner]),
                               rtol=1e-8)
    np.testing.assert_allclose(runs[0].world.nations.adoption, runs[1].world.nations.adoption,
                               rtol=1e-12)


# ---------------------------------------------------------------- soft power


@pytest.fixture(scope="module")
def default_run():
    """eurasia at the defaults, seed 11, 12 steps."""
    return run(GeoModel(scenario="eurasia", rng=11), 12)


def test_pillars_and_index_lie_in_the_unit_interval(default_run):
    recorder = default_run.recorder
    for k in range(len(recorder.steps)):
        pillars = np.column_stack([recorder.state(f"pillar_{p}", k) for p in PILLARS])
        index = recorder.state("soft_power", k)
        assert pillars.min() >= 0.0 and pillars.max() <= 1.0
        assert index.min() >= 0.0 and index.max() <= 1.0
        np.testing.assert_allclose(index, pillars.mean(axis=1), rtol=1e-12)  # equal weights
        for name in ("reputation", "familiarity"):
            values = recorder.state(name, k)
            assert values.min() >= 0.0 and values.max() <= 1.0
    attraction = default_run.world.pairs.attraction
    assert attraction.min() >= 0.0 and attraction.max() <= 1.0
    # Soft power differs between states: the index ranks them.
    assert np.ptp(default_run.world.nations.soft_power) > 0.2


def test_equal_technology_does_not_rank_states():
    """In eurasia every state starts without the wave and all imitate the same adoption, so
    their technology levels are equal (up to rounding) at every step. A metric equal for every
    state normalises to 0.5 (docs/model.md, "Soft power"), so the technology half of the
    education pillar is 0.5 for everyone: 2·education − cultural share = 0.5."""
    model = GeoModel(scenario="eurasia", rng=5)
    education = PILLARS.index("education")
    share = [name for name, _, _ in soft_power_mechanism.METRICS].index("cultural_share")
    for k in range(1, 13):
        model.step()
        n = model.world.nations
        assert np.ptp(n.technology) < 1e-12 * max(n.technology.max(), 1.0)
        cultural_share = soft_power_mechanism.metrics(model.world, model._cultural())[:, share]
        technology_part = 2 * n.pillars[:, education] - cultural_share
        np.testing.assert_allclose(
            technology_part, 0.5, atol=1e-9,
            err_msg=f"step {k}: technology levels equal to within {np.ptp(n.technology):.1e} "
                    "rank the states")


def test_a_cultural_agreement_raises_the_partner_publics_attraction(tmp_path):
    """Aland and Bland with and without a cultural agreement between their regions (same seed,
    no link formation). Cultural links expose each public to the other and raise both states'
    culture pillar, so after eight steps each is more attractive to the other's public, and
    better known. Cland, unlinked, is as well known as without it."""
    runs = {}
    for name, text in (("without", TRIO), ("with", TRIO + link_between_regions("cultural"))):
        path = tmp_path / f"trio_{name}.toml"
        path.write_text(text)
        runs[name] = run(GeoModel(scenario=path, rng=3, paradiplomacy_formation_rate=0.0), 8)
    a, b, c = 0, 1, 2
    with_link, without = runs["with"].world, runs["without"].world
    assert with_link.links.strength[:, CULTURAL].max() > 0.5
    assert not without.links.strength.any()
    assert with_link.pairs.attraction[a, b] > without.pairs.attraction[a, b]
    assert with_link.pairs.attraction[b, a] > without.pairs.attraction[b, a]
    culture = PILLARS.index("culture")
    assert with_link.nations.pillars[a, culture] > without.nations.pillars[a, culture]
    assert with_link.nations.familiarity[a] > without.nations.familiarity[a]
    assert with_link.nations.familiarity[b] > without.nations.familiarity[b]
    assert with_link.nations.familiarity[c] == pytest.approx(without.nations.familiarity[c],
                                                             rel=1e-12)


def incident_variant(tmp_path) -> str:
    """eurasia with no risk management in Kazakhstan's ministry and full risk management in
    Russia's (paper 003's fourth condition of success), the audiences as in eurasia."""
    path = tmp_path / "incidents.toml"
    path.write_text('[scenario]\nname = "incidents"\nextends = "eurasia"\n\n'
                    '[[digital]]\nstate = "KAZ"\naudience = 23900.0\nrisk_management = 0.0\n\n'
                    '[[digital]]\nstate = "RUS"\naudience = 1220000.0\nrisk_management = 1.0\n')
    return str(path)


def test_a_reputation_penalty_lowers_reputation_not_familiarity(tmp_path):
    """The same incidents (same seed, same hazard) with and without their reputation penalty.
    Attraction does not move relations here, so that nothing else differs between the runs."""
    scenario = incident_variant(tmp_path)
    runs = [GeoModel(scenario=scenario, rng=8, digital_incident_hazard=10.0,
                     relations_attraction=0.0, digital_incident_reputation=penalty)
            for penalty in (0.02, 0.0)]
    kaz, rus = row(runs[0], "KAZ"), row(runs[0], "RUS")
    incidents = np.zeros(runs[0].world.n_states, dtype=int)
    for _ in range(8):
        for model in runs:
            model.step()
        np.testing.assert_array_equal(runs[0].incidents, runs[1].incidents)
        incidents += runs[0].incidents
    assert incidents[kaz] >= 5 and incidents[rus] == 0
    penalised, spared = runs[0].world.nations, runs[1].world.nations
    np.testing.assert_array_equal(penalised.audience, spared.audience)
    assert penalised.reputation[kaz] < spared.reputation[kaz]
    assert spared.reputation[kaz] == pytest.approx(spared.reputation_baseline[kaz])
    assert penalised.reputation[rus] == spared.reputation[rus]
    hit = incidents > 0
    assert np.all(penalised.reputation[hit] < spared.reputation[hit])
    np.testing.assert_array_equal(penalised.familiarity, spared.familiarity)
    # A lower reputation is a lower appeal: Kazakhstan attracts the publics it reaches less.
    others = np.arange(runs[0].world.n_states) != kaz
    assert np.all(runs[0].world.pairs.attraction[kaz, others]
                  < runs[1].world.pairs.attraction[kaz, others])


# ---------------------------------------------------------------- digital diplomacy


def test_audiences_start_at_paper_003s_figures_and_grow():
    model = GeoModel(scenario="eurasia", rng=4, digital_incident_hazard=0.0)
    kaz, rus = row(model, "KAZ"), row(model, "RUS")
    nations = model.world.nations
    assert nations.audience[kaz] == 23_900.0 and nations.audience[rus] == 1_220_000.0
    assert model.recorder.state("digital_audience", 0)[[kaz, rus]].tolist() == [23_900.0,
                                                                                 1_220_000.0]
    start, ceiling = nations.audience.copy(), nations.audience_ceiling.copy()
    run(model, 8)
    assert nations.audience[kaz] > 2 * start[kaz]
    assert nations.audience[rus] > start[rus]
    # Without incidents the audience is the logistic curve with r = base_rate·c·q·(1 + v).
    d = model.params.digital
    for s, c, q in ((kaz, 0.5, 0.5), (rus, 0.8, 0.7)):
        r = d.base_rate * c * q
        expected = ceiling[s] / (1 + (ceiling[s] - start[s]) / start[s] * np.exp(-r * 2.0))
        assert nations.audience[s] == pytest.approx(expected, rel=1e-9)


def test_incidents_cost_audience(tmp_path):
    scenario = incident_variant(tmp_path)
    runs = [GeoModel(scenario=scenario, rng=9, digital_incident_hazard=h) for h in (10.0, 0.0)]
    kaz, rus = row(runs[0], "KAZ"), row(runs[0], "RUS")
    incidents = np.zeros(runs[0].world.n_states, dtype=int)
    for _ in range(8):
        for model in runs:
            model.step()
        incidents += runs[0].incidents
        assert not runs[1].incidents.any()
    assert incidents[kaz] >= 5 and incidents[rus] == 0
    table = runs[0].datacollector.get_model_vars_dataframe()
    assert table["digital_incidents"].sum() == incidents.sum()
    hit = incidents > 0
    risky, safe = runs[0].world.nations.audience, runs[1].world.nations.audience
    assert np.all(risky[hit] < safe[hit])
    assert risky[kaz] < 0.8 * safe[kaz]
    assert risky[rus] == safe[rus]  # full risk management: no incident, no loss


def test_digital_stages_follow_the_thresholds():
    model = GeoModel(scenario="eurasia", rng=4)
    kaz, rus = row(model, "KAZ"), row(model, "RUS")
    for _ in range(8):
        model.step()
        stage = model.world.nations.digital_stage
        np.testing.assert_array_equal(stage, expected_stage(model))
        assert stage[kaz] in (1, 2) and stage[rus] >= stage[kaz]
        np.testing.assert_array_equal(model.recorder.state("digital_stage", -1), stage)
    assert model.world.nations.digital_stage[rus] == STAGE_NAMES.index("engagement")


def test_step_zero_records_the_digital_stages():
    """Kazakhstan starts with 23,900 followers, about 6% of its ceiling (stage "audience");
    Russia with 1.22M, 42% at content quality 0.7 ("engagement"). No state starts without an
    audience, so none is recorded at stage "none" at step 0."""
    model = GeoModel(scenario="eurasia", rng=4)
    kaz, rus = row(model, "KAZ"), row(model, "RUS")
    recorded = model.recorder.state("digital_stage", 0)
    np.testing.assert_array_equal(recorded, expected_stage(model))
    assert recorded[kaz] in (1, 2) and recorded[rus] >= recorded[kaz]


def test_step_zero_records_familiarity():
    """Every state trades with every other and reaches them digitally from the start, so its
    familiarity (the share of foreign publics its exposure reaches) is positive at step 0, as
    at every later step."""
    model = GeoModel(scenario="eurasia", rng=4)
    assert np.all(model.recorder.state("familiarity", 0) > 0)
    model.step()
    assert np.all(model.recorder.state("familiarity", 1) > 0)


# ---------------------------------------------------------------- recording


def test_run_tables_match_the_world_arrays(default_run):
    model, world = default_run, default_run.world
    tables = run_tables(model)
    last = model.steps
    s = world.n_states
    ids = list(world.actors.ids)

    states = tables["state_steps"].to_pandas()
    final = states[states["step"] == last].set_index("state").loc[ids[:s]]
    assert len(states) == s * (last + 1)
    for column, values in (("soft_power", world.nations.soft_power),
                           ("technology", world.nations.technology),
                           ("reputation", world.nations.reputation),
                           ("familiarity", world.nations.familiarity),
                           ("digital_audience", world.nations.audience),
                           ("bloc", world.nations.bloc)):
        np.testing.assert_array_equal(final[column].to_numpy(), values)
    for k, name in enumerate(PILLARS):
        np.testing.assert_array_equal(final[f"pillar_{name}"].to_numpy(), world.nations.pillars[:, k])
    assert final["digital_stage"].astype(str).tolist() == [
        STAGE_NAMES[v] for v in world.nations.digital_stage]

    relations = tables["relations"].to_pandas()
    rel = relations[relations["step"] == last]
    i = np.array([ids.index(a) for a in rel["state_a"].astype(str)])
    j = np.array([ids.index(b) for b in rel["state_b"].astype(str)])
    assert np.all(i < j) and len(rel) == s * (s - 1) // 2
    np.testing.assert_array_equal(rel["relations"].to_numpy(), world.pairs.relations[i, j])
    np.testing.assert_array_equal(rel["summit_ties"].to_numpy(), world.pairs.summit_ties[i, j])
    np.testing.assert_array_equal(rel["attraction_ab"].to_numpy(), world.pairs.attraction[i, j])
    np.testing.assert_array_equal(rel["attraction_ba"].to_numpy(), world.pairs.attraction[j, i])
    for k, name in enumerate(RELATION_TERMS):
        np.testing.assert_array_equal(rel[f"term_{name}"].to_numpy(),
                                      world.pairs.relation_terms[k][i, j])

    links = tables["links"].to_pandas()
    assert sorted(links["step"].unique().tolist()) == [0, last]
    end = links[links["step"] == last]
    assert len(end) == len(world.links)
    np.testing.assert_array_equal(end["a"].astype(str).to_numpy(),
                                  world.actors.ids[world.links.ends[:, 0]])
    for c, name in enumerate(CHANNELS):
        np.testing.assert_array_equal(end[name].to_numpy(), world.links.strength[:, c])
    start = links[links["step"] == 0]
    active_at_start = model.datacollector.get_model_vars_dataframe()["active_links"].iloc[0]
    assert (start[list(CHANNELS)].to_numpy().sum(axis=1) > 0).sum() == active_at_start

    actors = tables["actor_steps"].to_pandas()
    now = actors[actors["step"] == last]
    np.testing.assert_array_equal(now["link_strength"].to_numpy(), world.actors.link_strength)
    np.testing.assert_array_equal(now["diplomatic_weight"].to_numpy(),
                                  world.actors.diplomatic_weight)
    assert now["activity"].astype(str).tolist() == [ACTIVITY_NAMES[v]
                                                    for v in world.actors.activity]

    table = tables["model"].to_pandas()
    assert table["step"].tolist() == list(range(last + 1))
    assert table["active_links"].iloc[-1] == int(world.links.strength.any(axis=1).sum())
    assert table["mean_technology"].iloc[-1] == pytest.approx(world.nations.technology.mean())


# ---------------------------------------------------------------- backends


def test_numpy_and_numba_backends_agree():
    worlds = {}
    hosts = {}
    for backend in ("numba", "numpy"):
        model = GeoModel(scenario="eurasia", rng=5, backend=backend)
        hosts[backend] = [run(model, 1).summit_hosts for _ in range(8)]
        worlds[backend] = model.world
    fast, ref = worlds["numba"], worlds["numpy"]
    assert hosts["numba"] == hosts["numpy"]
    for name, get in (("relations", lambda w: w.pairs.relations),
                      ("adoption", lambda w: w.nations.adoption),
                      ("attraction", lambda w: w.pairs.attraction),
                      ("link strength", lambda w: w.links.strength),
                      ("audience", lambda w: w.nations.audience),
                      ("soft power", lambda w: w.nations.soft_power),
                      ("capacity index", lambda w: w.nations.capacity_index)):
        np.testing.assert_allclose(get(fast), get(ref), rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(fast.actors.activity, ref.actors.activity)
    np.testing.assert_array_equal(fast.nations.bloc, ref.nations.bloc)
    np.testing.assert_array_equal(fast.nations.digital_stage, ref.nations.digital_stage)
