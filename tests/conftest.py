"""Shared fixtures: a tiny two-state scenario and a runner for the `geopol` executable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GEOPOL = Path(sys.executable).parent / "geopol"

# Two states with inline GDP and population (no economy CSV), their capitals, one region and
# one link: small enough to run in a fraction of a second.
TINY = """\
[scenario]
name = "tiny"

[[states]]
id = "AAA"
name = "Aland"
capital = "acity"
area_km2 = 1000.0
borders = ["BBB"]
gdp_usd = 1e12
population = 1e7

[[states]]
id = "BBB"
name = "Bland"
capital = "bcity"
area_km2 = 2000.0
borders = ["AAA"]
gdp_usd = 2e12
population = 2e7

[[cities]]
id = "acity"
name = "A City"
state = "AAA"
capital = true
lat = 10.0
lon = 10.0
population = 1e6

[[cities]]
id = "bcity"
name = "B City"
state = "BBB"
capital = true
lat = 12.0
lon = 14.0
population = 2e6

[[regions]]
id = "A-1"
name = "A One"
state = "AAA"
lat = 11.0
lon = 11.0
population = 5e5

[[links]]
a = "acity"
b = "bcity"
kind = "twinning"
channels = ["cultural"]
"""


@pytest.fixture(scope="session")
def tiny_text() -> str:
    return TINY


@pytest.fixture
def write_toml(tmp_path):
    """Write TOML text to tmp_path/NAME (creating folders) and return the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="session")
def geopol():
    """Run the installed `geopol` executable; returns the CompletedProcess (text mode)."""

    def run(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(GEOPOL), *map(str, args)],
            check=False, capture_output=True, text=True, cwd=cwd, timeout=120,
        )

    return run
