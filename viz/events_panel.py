"""The events panel: impose or lift a sanction, start a technology shock, host a summit, sign
an agreement. Each acts at the next step the model takes, through `LiveModel.inject` (the same
schema as a scenario's [[events]]), and is marked on the charts' time axis. Below it, what the
states decided for themselves in answer, newest first, each with its date and reasons."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import solara
from mesa.visualization.utils import force_update, update_counter

from sim.errors import InputError
from sim.mechanisms.decisions import Decision
from sim.schema import CHANNELS
from sim.world import CITY, STATE
from viz.controls import use_one_render_pass
from viz.focus import scenario_focus
from viz.live import LiveModel
from viz.picker import Picker, named

SANCTION_KINDS = ("trade", "financial", "travel", "arms")
MAX_PARTNERS = 500  # cities and regions offered for an agreement (the largest by GDP)


def sanction(imposers: list[str], target: str, kind: str, scope: str, name: str = "") -> dict:
    return {"type": "sanction", "name": name or f"{'+'.join(imposers)} on {target} ({kind})",
            "imposers": imposers, "target": target, "kind": kind, "scope": scope}


def technology_shock(origin: list[str], strength: float) -> dict:
    return {"type": "technology_shock", "name": f"technology wave from {'+'.join(origin)}",
            "origin": origin, "strength": strength}


def summit(host: str, participants: list[str]) -> dict:
    return {"type": "summit", "name": f"summit in {host}", "host": host,
            "participants": participants}


def agreement(a: str, b: str, channels: list[str], kind: str) -> dict:
    return {"type": "agreement", "name": f"{kind} {a}–{b}", "a": a, "b": b,
            "channels": channels, "kind": kind}


def act(action: Callable[[], None]) -> str | None:
    """Carry out a user's action; the error line if the model refuses it, else None."""
    try:
        action()
    except InputError as exc:
        return str(exc)
    force_update()
    return None


def choices(model: LiveModel) -> tuple[list[str], list[str], list[str], str]:
    """What the panel offers, fixed for a run: the states and the cities (the scenario's focus
    first, see `listed`), the cities and regions an agreement can join (the largest by GDP),
    and a default partner for the largest of them in another state ("" if there is none)."""
    actors = model.world.actors
    states = actors.ids[listed(model, np.flatnonzero(actors.kind == STATE))].tolist()
    cities = actors.ids[listed(model, np.flatnonzero(actors.kind == CITY))].tolist()
    local = np.flatnonzero(actors.kind != STATE)
    rows = local[np.argsort(-actors.gdp[local], kind="stable")][:MAX_PARTNERS]
    partners = actors.ids[rows].tolist()
    abroad = rows[actors.state[rows] != actors.state[rows[0]]] if len(rows) else rows
    return states, cities, partners, str(actors.ids[abroad[0]]) if len(abroad) else ""


def default_sanction(model: LiveModel, states: list[str]) -> tuple[str, str]:
    """The sanction form's first imposer and target: the EU's largest economy on Russia, the
    sanction a class would think of first, where the world has both; else the scenario's
    first two focus states (`states` in the panel's order)."""
    index = model.world_index
    eu = [s for s in index.members("EU", model.date_of(model.steps))
          if s in index.row and s != "RUS"]
    if "RUS" in index.row and eu:
        return max(eu, key=lambda s: model.world.actors.gdp[index.row[s]]), "RUS"
    return states[0], states[1] if len(states) > 1 else states[0]


def listed(model: LiveModel, rows: np.ndarray) -> np.ndarray:
    """Actor rows in the order the panel lists them: those of the scenario's focus states
    first, in the focus's order (so that the defaults are the scenario's own states, not the
    world's first), capitals first; then the rest by id, which a user can find in a list of
    190 states."""
    actors, focus = model.world.actors, scenario_focus(model)
    place = np.full(model.world.n_states, len(focus))
    place[focus] = np.arange(len(focus))
    return rows[np.lexsort((actors.ids[rows], ~actors.is_capital[rows],
                            place[actors.state[rows]]))]


@solara.component
def EventsPanel(model: LiveModel):
    update_counter.get()
    states, cities, partners, abroad = solara.use_memo(lambda: choices(model), [model])
    # Where an event takes states it takes a group too (EU, NATO, ...): its members then.
    groups = sorted(model.world_index.groups)
    state_items, city_items, partner_items, either = solara.use_memo(
        lambda: (named(model, states), named(model, cities), named(model, partners),
                 named(model, [*states, *groups])), [model])
    with model.lock:
        next_at = model.date_of(model.steps + 1).isoformat()
        in_force = model.in_force()

    message = solara.use_reactive("")
    problem = solara.use_reactive("")
    one_pass = use_one_render_pass()

    def run(action: Callable[[], None], what: str) -> bool:
        with one_pass:
            error = act(action)
            problem.set(error or "")
            message.set("" if error else f"{what}: acts at step {model.steps + 1} ({next_at})")
        return error is None

    def impose(event: dict) -> None:
        # The sanction just imposed is the one shown as liftable, not the world's first.
        with one_pass:
            if run(lambda: model.inject(event), event["name"]):
                lifted.set(event["name"])

    first_imposer, first_target = solara.use_memo(lambda: default_sanction(model, states),
                                                  [model])
    imposers = solara.use_reactive([first_imposer])
    target = solara.use_reactive(first_target)
    kind = solara.use_reactive("trade")
    scope = solara.use_reactive("complete")
    lifted = solara.use_reactive("")
    origin = solara.use_reactive(states[:1])
    strength = solara.use_reactive(1.0)
    host = solara.use_reactive(cities[0] if cities else "")
    participants = solara.use_reactive(states[:2])
    side_a = solara.use_reactive(partners[0] if partners else "")
    side_b = solara.use_reactive(abroad)
    channels = solara.use_reactive(["economic"])
    link_kind = solara.use_reactive("agreement")

    with solara.Card("Events", subtitle=f"act at the next step: {next_at}"):
        if message.value:
            solara.Success(message.value, dense=True)
        if problem.value:
            solara.Error(problem.value, dense=True)
        with solara.Details("Sanction", expand=True):
            Picker("Imposers (states or groups)", either, imposers.value, imposers.set,
                   multiple=True)
            Picker("Target", state_items, target.value, target.set)
            solara.Select("Kind", list(SANCTION_KINDS), kind.value, on_value=kind.set)
            solara.ToggleButtonsSingle(scope.value, ["partial", "complete"], on_value=scope.set)
            event = sanction(list(imposers.value), target.value, kind.value, scope.value)
            solara.Button("Impose sanction", color="error", on_click=lambda: impose(event))
            if in_force:
                name = lifted.value if lifted.value in in_force else in_force[0]
                solara.Select("In force", in_force, name, on_value=lifted.set)
                solara.Button("Lift", on_click=lambda: run(lambda: model.lift(name),
                                                           f"lift {name}"))
        with solara.Details("Technology shock"):
            Picker("Origin (states or groups)", either, origin.value, origin.set, multiple=True)
            solara.SliderFloat("Strength (wave weight)", strength, min=0.1, max=3.0, step=0.1)
            shock = technology_shock(list(origin.value), strength.value)
            solara.Button("Start technology shock", color="primary",
                          on_click=lambda: run(lambda: model.inject(shock), shock["name"]))
        if cities:
            with solara.Details("Summit"):
                Picker("Host city", city_items, host.value, host.set)
                Picker("Participants (states or groups)", either, participants.value,
                       participants.set, multiple=True)
                meeting = summit(host.value, list(participants.value))
                solara.Button("Host summit", color="primary",
                              on_click=lambda: run(lambda: model.inject(meeting),
                                                   meeting["name"]))
        if len(partners) > 1:
            with solara.Details("Agreement"):
                Picker("Side A (city or region)", partner_items, side_a.value, side_a.set)
                Picker("Side B (another state's)", partner_items, side_b.value, side_b.set)
                solara.SelectMultiple("Channels", channels.value, list(CHANNELS),
                                      on_value=channels.set)
                solara.ToggleButtonsSingle(link_kind.value, ["agreement", "twinning"],
                                           on_value=link_kind.set)
                deal = agreement(side_a.value, side_b.value, list(channels.value),
                                 link_kind.value)
                solara.Button("Sign agreement", color="primary",
                              on_click=lambda: run(lambda: model.inject(deal), deal["name"]))


DECISIONS_SHOWN = 12


def decision_rows(model: LiveModel, limit: int = DECISIONS_SHOWN) -> list[dict[str, str]]:
    """The newest decisions of the run, newest first: when they act, who, what, and why."""
    return [{"from": model.date_of(d.step + 1).isoformat(), "state": d.state,
             "action": what_it_did(d), "why": f"{d.sanction}: {d.reason}"}
            for d in reversed(model.decisions[-limit:])]


def what_it_did(decision: Decision) -> str:
    """A decision in words: "joined the sanction on RUS", "concluded a trade agreement with
    JPN", "counter-sanctioned USA"."""
    action, other = decision.action, decision.other
    if action in ("joined", "left"):
        return f"{action} the sanction on {other}"
    if action == "lifted counter-sanction":
        return f"lifted its counter-sanction on {other}"
    if action.startswith("concluded"):
        return f"{action} with {other}"
    return f"{action} {other}".strip()


@solara.component
def DecisionsPanel(model: LiveModel):
    update_counter.get()
    with model.lock:
        rows = decision_rows(model)
    switches = model.params.decisions
    on = [name for name in ("coalitions", "retaliation") if getattr(switches, name)]
    subtitle = f"{len(model.decisions)} so far; on: {', '.join(on) or 'none'}"
    with solara.Card("States' decisions", subtitle=subtitle):
        if not rows:
            solara.Info("No state has changed course. States join a sanction others started, "
                        "or answer one, on their own.", dense=True)
            return
        with solara.v.SimpleTable(dense=True), solara.v.Html(tag="tbody"):
            for row in rows:
                with solara.v.Html(tag="tr"):
                    for key in ("from", "state", "action"):
                        solara.v.Html(tag="td", children=[row[key]])
                    solara.v.Html(tag="td", children=[row["why"]],
                                  style_="font-size: 0.8em")
