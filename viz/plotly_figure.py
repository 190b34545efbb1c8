"""A plotly figure in the page: Solara's FigurePlotly, plus a name for the PNG its camera
button saves and only the click events the app uses."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import solara
from plotly.graph_objs import FigureWidget


class Drawing:
    """A figure passed by identity. reacton compares a component's arguments, and an effect's
    dependencies, with `==` at every render, and for a plotly figure that deep-copies both
    sides; the views build a new figure only when they render anew (a step, a user's choice),
    so a new figure is always one to draw."""

    __slots__ = ("figure",)

    def __init__(self, figure: go.Figure) -> None:
        self.figure = figure


def PlotlyFigure(figure: go.Figure, filename: str,
                 on_click: Callable[[dict], None] | None = None) -> solara.Element:
    return FigureView(drawing=Drawing(figure), filename=filename, on_click=on_click)


@solara.component
def FigureView(drawing: Drawing, filename: str, on_click: Callable[[dict], None] | None):
    figure = drawing.figure

    def points(data: dict) -> None:
        if on_click is not None and data and data.get("event_type") == "plotly_click":
            on_click(data)

    # A geo map's base map comes from the page (viz/geo_assets.vue); were it missing, plotly
    # would ask this server for it, never a CDN.
    config = {"toImageButtonOptions": {"filename": filename, "scale": 2},
              "displaylogo": False, "topojsonURL": "/static/public/no-cdn/"}
    element = FigureWidget.element(_validate=False, on__js2py_pointsCallback=points)

    def configure() -> None:  # FigureWidget takes no config as an argument
        solara.get_widget(element)._config = config

    solara.use_effect(configure, [filename])

    def show() -> None:
        widget: FigureWidget = solara.get_widget(element)
        same = [t.type for t in widget.data] == [t.type for t in figure.data]
        if same:  # one restyle and one relayout: the browser redraws once
            with widget.batch_update():
                for shown, trace in zip(widget.data, figure.data, strict=True):
                    shown.update(trace.to_plotly_json(), overwrite=True)
                widget.layout.update(figure.layout.to_plotly_json(), overwrite=True)
            return
        old = len(widget.data)
        widget.add_traces(figure.data)  # new traces first, then the old ones go: no flicker
        widget.data = widget.data[old:]
        widget.layout = figure.layout

    solara.use_effect(show, [drawing])
    return element
