"""Forums whose membership crosses blocs (SCO, CICA, OSCE): their summits meet on a calendar,
the chair rotating among the members (docs/model.md, "City diplomacy")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from helpers import row

from sim import GeoModel, load
from sim.events import step_of
from sim.scenario import from_spec
from sim.world import CITY

STATES = ("AAA", "BBB", "CCC", "DDD", "EEE")


def ring(forum: str, relations: dict[tuple[str, str], float] | None = None,
         start: str = "2023-01-01", step_months: int = 3) -> str:
    """Five states far apart, each with its capital and nothing else, and `forum` (TOML)."""
    text = f'[scenario]\nname = "ring"\nstart = {start}\nstep_months = {step_months}\n\n'
    for k, state in enumerate(STATES):
        city = state.lower() + "city"
        text += (f'[[states]]\nid = "{state}"\nname = "{state}land"\ncapital = "{city}"\n'
                 f"area_km2 = 1000.0\ngdp_usd = 1e12\npopulation = 1e7\n\n"
                 f'[[cities]]\nid = "{city}"\nname = "{city}"\nstate = "{state}"\n'
                 f"capital = true\nlat = {10.0 * k}\nlon = {20.0 * k}\npopulation = 1e6\n\n")
    for (a, b), value in (relations or {}).items():
        text += f'[[relations]]\na = "{a}"\nb = "{b}"\nbaseline = {value}\n\n'
    return text + forum


def forum_toml(members=STATES, every_years: float = 1.0, first: str | None = "2023-06-15"
               ) -> str:
    listed = ", ".join(f'"{m}"' for m in members)
    text = f'[[forums]]\nname = "Ring"\nmembers = [{listed}]\nevery_years = {every_years}\n'
    return text + (f"first = {first}\n" if first else "")


# Only the forums meet (no drawn meetings), and relations move only by summits.
QUIET = {"cities_summit_rate": 0.0, "relations_interdependence": 0.0,
         "relations_attraction": 0.0, "digital_incident_hazard": 0.0}


def model_of(write_toml, text: str, rng: int = 1, **params) -> GeoModel:
    return GeoModel(scenario=write_toml("ring.toml", text), rng=rng, **{**QUIET, **params})


def add_months(when: dt.date, months: int) -> dt.date:
    month = when.month - 1 + months
    return dt.date(when.year + month // 12, month % 12 + 1, when.day)


# ---------------------------------------------------------------- the calendar


@pytest.mark.parametrize("step_months,every_years,first", [
    (3, 1.0, "2023-06-15"),   # quarterly steps, a yearly forum: steps 2, 6, 10, ...
    (3, 0.5, None),           # default first: the start plus every_years (step 3: Jul-Sep)
    (1, 1.5, "2023-01-01"),   # a summit on the start date is the first step's
    (12, 1.0, "2023-07-01"),  # yearly steps: every step holds one
    (3, 4.0, "2002-06-04"),   # CICA-like: first long before the start
    (3, 1.0, "2023-04-01"),   # on a step boundary: the step it starts
])
def test_a_forum_meets_at_its_calendar_steps_and_only_then(write_toml, step_months,
                                                           every_years, first):
    """The k-th summit is on first + k·every_years (12·every_years months) and meets at the step
    whose period contains that date (as events map dates to steps), from the start on; no
    summit ties form at any other step."""
    model = model_of(write_toml, ring(forum_toml(every_years=every_years, first=first),
                                      step_months=step_months))
    steps = 48 // step_months * 4  # 16 years
    start = model.start_date
    anchor = add_months(start, round(12 * every_years)) if first is None else (
        dt.date.fromisoformat(first))
    expected = []
    for k in range(200):
        when = add_months(anchor, round(12 * every_years * k))
        if when >= start and step_of(when, start, step_months) <= steps:
            expected.append(step_of(when, start, step_months))
    met = []
    for _ in range(steps):
        ties = model.world.pairs.summit_ties.sum()
        model.step()
        if model.world.pairs.summit_ties.sum() > ties:
            met.append(model.steps)
            assert len(model.summit_hosts) == 1
        else:
            assert model.summit_hosts == []
    assert met == expected and len(expected) >= 3
    assert [step for step, _, _ in model.forum_summits] == expected
    # The five states attend each: every pair gains a tie.
    assert all(name == "Ring" and host is not None for _, name, host in model.forum_summits)


def test_forum_summits_draw_nothing_random_and_leave_the_drawn_meetings_alone():
    """eurasia with its forums and without them, same seed: the summits stream is drawn the
    same number of times, and the drawn meetings are the same until the first forum summit has
    moved relations (after which the parties drawn may differ)."""
    spec = load("eurasia").spec
    models = [GeoModel(scenario=from_spec(s), rng=5, cities_summit_rate=8.0)
              for s in (spec, spec.model_copy(update={"forums": []}))]
    first = min(step for step, _, _ in [(f.step_of(f.next_after(0.0)), 0, 0)
                                         for f in models[0].forums])
    assert first == 2  # the SCO's summit of mid-June 2023
    hosts = [[], []]
    for _ in range(8):
        for model, out in zip(models, hosts, strict=True):
            model.step()
            forum_hosts = {host for step, _, host in model.forum_summits if step == model.steps}
            out.append([h for h in model.summit_hosts if h not in forum_hosts])
    assert hosts[0][:first] == hosts[1][:first]
    assert any(hosts[0][:first])
    states = [m.streams["summits"].bit_generator.state for m in models]
    assert states[0] == states[1]
    assert len(models[0].forum_summits) >= 2 and models[1].forum_summits == []


def test_same_seed_same_forum_hosts():
    runs = []
    for _ in range(2):
        model = GeoModel(scenario="eurasia", rng=3)
        for _ in range(12):
            model.step()
        runs.append(model.forum_summits)
    assert runs[0] == runs[1]
    names = [name for _, name, _ in runs[0]]
    assert names.count("SCO") == 3 and names.count("OSCE") == 3


# ---------------------------------------------------------------- the chair


def test_the_chair_rotates_through_every_member_before_any_chairs_twice(write_toml):
    """Five members whose bids differ only a little (their worst relations within 0.1 of each
    other, below the 1/N = 0.2 by which a member's turn (t − t_c)/(N·every_years) grows with
    each summit it waits): each chairs once in every five summits, in the same order cycle
    after cycle."""
    relations = {("AAA", "BBB"): 0.1, ("CCC", "DDD"): 0.05, ("BBB", "EEE"): 0.08}
    model = model_of(write_toml, ring(forum_toml(), relations))
    for _ in range(4 * 15):
        model.step()
    hosts = [str(model.world.actors.ids[h]) for _, _, h in model.forum_summits]
    assert len(hosts) == 15
    capitals = {state.lower() + "city" for state in STATES}
    for cycle in range(3):
        assert set(hosts[5 * cycle: 5 * cycle + 5]) == capitals
    assert hosts[5:] == hosts[:-5]
    # The bids count the standing weight, not what hosting added: the first chair has the
    # most weight, yet waits its turn.
    first = row(model, hosts[0])
    assert hosts.count(hosts[0]) == 3 and model.world.actors.diplomatic_weight[first] > 1.0


def test_a_member_with_a_weaker_bid_waits_longer_but_takes_its_turn(write_toml):
    """AAA and BBB at 0 towards each other, every other pair at 0.6: their bids are 0.6 below
    the others' (their worst relation), three turns' worth. They chair less often, but
    their turn keeps growing while they wait, so each chairs again and again; the others
    chair in a strict rotation between them."""
    relations = {pair: 0.6 for pair in
                 [(a, b) for i, a in enumerate(STATES) for b in STATES[i + 1:]]}
    relations[("AAA", "BBB")] = 0.0
    model = model_of(write_toml, ring(forum_toml(), relations))
    for _ in range(4 * 40):
        model.step()
    hosts = [str(model.world.actors.ids[h]) for _, _, h in model.forum_summits]
    counts = {city: hosts.count(city) for city in {s.lower() + "city" for s in STATES}}
    assert len(hosts) == 40
    assert min(counts["aaacity"], counts["bbbcity"]) >= 4
    assert max(counts["aaacity"], counts["bbbcity"]) < min(
        counts[c] for c in ("ccccity", "dddcity", "eeecity"))
    # No one chairs twice in three summits.
    assert all(len(set(hosts[k:k + 3])) == 3 for k in range(len(hosts) - 2))


def test_a_multi_vector_member_chairs_more_often(write_toml):
    """CCC bids for prestige (π = 0.3), a turn and a half's worth in a forum of five: it
    chairs more often than any other member, and every member still takes its turn."""
    text = ring(forum_toml()).replace('name = "ring"', 'name = "ring"\nmulti_vector = ["CCC"]')
    model = model_of(write_toml, text)
    for _ in range(4 * 20):
        model.step()
    hosts = [str(model.world.actors.ids[h]) for _, _, h in model.forum_summits]
    counts = {city: hosts.count(city) for city in set(hosts)}
    assert len(counts) == 5
    assert counts["ccccity"] > max(n for c, n in counts.items() if c != "ccccity")


def test_a_forum_meets_across_a_conflict_among_its_members_at_a_third_members_capital(
        write_toml):
    """AAA and BBB are hostile (−0.9): the forum meets all the same, both attending, chaired by
    a member that is a party to no conflict among the members."""
    model = model_of(write_toml, ring(forum_toml(), {("AAA", "BBB"): -0.9}))
    a, b = row(model, "AAA"), row(model, "BBB")
    for _ in range(4 * 6):
        model.step()
    assert model.world.pairs.relations[a, b] < model.params.relations.hostile_below
    hosts = [str(model.world.actors.ids[h]) for _, _, h in model.forum_summits]
    assert len(hosts) == 6
    assert set(hosts) == {"ccccity", "dddcity", "eeecity"}
    assert model.world.pairs.summit_ties[a, b] > 1.0


def test_a_forum_whose_every_member_is_in_a_conflict_is_not_held(write_toml):
    """Three members, AAA hostile to BBB and to CCC: no member's capital can chair (each state
    is hostile to a member), so the summit is skipped: logged with no host, no ties, no
    weight."""
    relations = {("AAA", "BBB"): -0.9, ("AAA", "CCC"): -0.9}
    model = model_of(write_toml, ring(forum_toml(("AAA", "BBB", "CCC")), relations))
    for _ in range(8):
        model.step()
        assert model.summit_hosts == []
    assert model.forum_summits == [(2, "Ring", None), (6, "Ring", None)]
    assert not model.world.pairs.summit_ties.any()
    assert np.all(np.isneginf(model.last_hosted))
    np.testing.assert_array_equal(model.world.actors.diplomatic_weight[5:10], 1.0)


# ---------------------------------------------------------------- the bundled forums


def test_the_bundled_forums_and_their_members():
    spec = load("world").spec
    forums = {f.name: f for f in spec.forums}
    assert set(forums) == {"SCO", "CICA", "OSCE"} and all(f.source for f in forums.values())
    assert forums["SCO"].members == ["SCO"]  # the memberships table's members, year by year
    assert len(forums["CICA"].members) == 27 and forums["CICA"].every_years == 4.0
    assert len(forums["OSCE"].members) == 56 and forums["OSCE"].every_years == 1.0
    states = {s.id for s in spec.states}
    assert set(forums["CICA"].members) <= states and set(forums["OSCE"].members) <= states


def test_scripted_summits_stand_for_the_forums_and_members_follow_the_memberships():
    """astana-summits (from 2005): its scripted SCO summit of July 2005 is the SCO's of that
    year, so the calendar's (mid-June, step 2) is not held; India and Pakistan attend from
    2017, the year they joined. The OSCE meets in early December, CICA every four years."""
    model = GeoModel(scenario="astana-summits", rng=1, cities_summit_rate=0.0)
    sco = next(f for f in model.forums if f.name == "SCO")
    first = sco.next_after(0.0)
    assert sco.step_of(first) == 2 and first in sco.skip
    assert sorted(sco.step_of(k) for k in sco.skip) == [2, 26, 50]  # 2005, 2011, 2017
    years = {sco.step_of(k): sco.summit(k) for k in range(first, first + 14)}
    india, pakistan = row(model, "IND"), row(model, "PAK")
    assert len(years[46].parties) == 6 and india not in years[46].parties  # 2016
    assert {india, pakistan} <= set(years[54].parties) and len(years[54].parties) == 8  # 2018
    for _ in range(8):
        model.step()
    held = [(step, name) for step, name, _ in model.forum_summits]
    # CICA's of early June 2006 and the SCO's of mid-June meet in the same step, in date order.
    assert held == [(4, "OSCE"), (6, "CICA"), (6, "SCO"), (8, "OSCE")]
    assert model.summit_hosts and model.forum_summits[-1][2] == model.summit_hosts[-1]
    # Astana chaired the SCO's summit of 2005 (scripted, step 3): its next turn is not 2006's.
    astana = list(np.flatnonzero(model.world.actors.kind == CITY)).index(row(model, "astana"))
    assert sco.chaired[astana] == 3 * model.dt
    assert model.forum_summits[2][2] != row(model, "astana")
