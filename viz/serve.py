"""`geopol app`: check the scenario and the port, then serve viz/app.py with Solara."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from sim.errors import InputError, describe
from sim.scenario import bundled, load

APP = Path(__file__).with_name("app.py")


def serve(scenario: str, host: str, port: int, seed: int, announce=print) -> int:
    """Serve the app until interrupted; returns the server's exit code."""
    load(scenario)  # a bad scenario is one line and exit code 2, before any server starts
    if seed < 0:
        raise InputError("geopol app", "--seed", "a whole number ≥ 0", describe(seed))
    name = scenario if scenario in bundled() else str(Path(scenario).resolve())
    if not 1 <= port <= 65535:
        raise InputError("geopol app", "--port", "a port number from 1 to 65535", describe(port))
    try:
        socket.getaddrinfo(host, port)
    except OSError:
        raise InputError("geopol app", "--host", "an address of this machine",
                         describe(host)) from None
    with socket.socket() as probe:
        # as the server binds: a port our last server left in TIME_WAIT is free to reuse
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError("geopol app", "--port", "a free port on " + host,
                             f"{port} ({exc.strerror})") from None
    env = {**os.environ, "GEOPOL_APP_SCENARIO": name, "GEOPOL_APP_SEED": str(seed),
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}  # the app sends nothing anywhere
    command = [sys.executable, "-m", "solara", "run", str(APP), "--host", host,
               "--port", str(port), "--production", "--no-open"]
    announce(f"Geopol app on {name}: http://{host}:{port}/  (Ctrl-C stops it)")
    try:
        return subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False).returncode
    except KeyboardInterrupt:
        return 0
