"""The Solara web app (`geopol app`) lives here; it builds on Mesa's SolaraViz."""
