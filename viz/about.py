"""The About tab: the scenario's own title, description and sources, and what every measure the
app shows means, in plain words (docs/model.md has the equations)."""

from __future__ import annotations

import solara

from sim.recording import ACTIVITY_NAMES
from viz.live import LiveModel

GLOSSARY: dict[str, str] = {
    "Soft power": (
        "A state's power to attract others, from 0 to 1, measured as the Soft Power 30 ranking "
        "measures it: the weighted mean of six pillars, each scored against the other states "
        "(0 for the lowest in the world, 1 for the highest). A state's soft power rises when its "
        "pillars grow faster than other states' do."),
    "The six pillars": (
        "Government: its reputation. Culture: the cultural ties its regions and cities hold "
        "abroad, and the size of its economy. Education: those ties again, and its technology. "
        "Engagement: the diplomatic weight of its cities, the share of states its regions and "
        "cities have cultural ties with, and its memberships and alliances. Enterprise: income "
        "per head and technology. Digital: the audience of its foreign ministry online."),
    "Reputation": (
        "How well a state is liked abroad, from 0 to 1. It follows income per head, falls when "
        "the state is sanctioned (the more of the world's economy sanctions it, the more) or "
        "has a digital incident, and recovers towards its usual level afterwards."),
    "Familiarity": (
        "How widely a state is known abroad, from 0 to 1: the share of the world's people whose "
        "country trades with it, holds cultural ties with it or follows it online. A state can "
        "be well known and disliked."),
    "Relations": (
        "Between two states, from −1 (hostile) to +1 (allies). Each step they are pulled up by "
        "attraction (soft power), trade, summits together and their regions' cooperation, pushed "
        "down by sanctions, and drift back towards a baseline set by alliances, agreements and "
        "history. The Why? tab splits any change into these parts."),
    "Diplomatic weight": (
        "A city's standing as a venue of diplomacy. It grows each time the city hosts a summit "
        "or talks, by less each time (gains saturate, so the first host does not win for ever), "
        "and fades slowly, with a half-life of about ten years."),
    "Activity classes": (
        f"Regions and cities by how active they are abroad (paper 002): "
        f"{', '.join(ACTIVITY_NAMES)}. Inactive: no ties abroad; episodic: about one or two; "
        "active: more; leading: about thirteen ties or more at full strength, as the few "
        "leading regions the paper singles out."),
    "Digital audience": (
        "The followers of a foreign ministry's channels online (paper 003). It grows with the "
        "ministry's investment and capacity, towards the part of the world's online public it "
        "can reach."),
    "Dashed lines": (
        "The same seed's run without the events: without yours once you act, and, for a "
        "scenario with events of its own, without them from the start. Both runs draw the same "
        "random numbers, so any gap between solid and dashed is the events' doing."),
    "Triangles on the time axis": (
        "Events, at the date they act: red for yours, grey for the scenario's. Hover over one "
        "for its name. What states decided for themselves is listed under the events panel."),
}


@solara.component
def About(model: LiveModel):
    meta = model.setup.spec.scenario
    solara.v.Html(tag="h3", children=[meta.title or meta.name], class_="my-2")
    solara.v.Html(tag="p", children=[meta.description or "This scenario has no description."],
                  class_="my-1")
    solara.v.Html(tag="p", children=[(f"Starts {meta.start}, {meta.steps} steps of "
                                     f"{meta.step_months} months.")], class_="my-1")
    if meta.sources:
        solara.v.Html(tag="h4", children=["Sources"], class_="mt-3 mb-1")
        with solara.v.Html(tag="ul"):
            for source in meta.sources:
                solara.v.Html(tag="li", children=[source])
    solara.v.Html(tag="h4", children=["What the measures mean"], class_="mt-3 mb-1")
    with solara.v.Html(tag="dl", class_="geopol-glossary"):
        for term, meaning in GLOSSARY.items():
            solara.v.Html(tag="dt", children=[term], style_="font-weight: 600; margin-top: 6px")
            solara.v.Html(tag="dd", children=[meaning], style_="margin-left: 16px")
    solara.v.Html(tag="p", children=["Every equation, parameter and source is in docs/model.md."],
                  class_="mt-3", style_="font-size: 0.9em")
