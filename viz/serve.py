"""`geopol app`: check the scenario and the port, then serve viz/app.py with Solara."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sim.errors import InputError, describe
from sim.scenario import bundled, load

APP = Path(__file__).with_name("app.py")
GRACE = 10.0  # seconds the server has to stop after a signal before it is killed


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
    return run_server(command, env, (host, port),
                      lambda: announce(f"Geopol app on {name}: http://{host}:{port}/  "
                                       "(Ctrl-C stops it)"))


def accepts(address: tuple[str, int]) -> bool:
    """Does a server accept connections at `address`?"""
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


def run_server(command: list[str], env: dict[str, str], address: tuple[str, int] | None = None,
               ready=lambda: None) -> int:
    """Run the server until it exits, and return its exit code (0 if a signal stopped it).
    `ready()` is called once the server accepts connections at `address` (Solara takes tens of
    seconds to start: the address is announced when it answers, not before).

    SIGTERM and SIGINT to `geopol app` are passed on to the server, and `geopol app` waits for
    it: a service manager's or `kill`'s SIGTERM reaches only `geopol app`, and would otherwise
    leave the server running, orphaned, holding the port."""
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    announced = address is None
    if announced:
        ready()
    stopping: list[float] = []

    def pass_on(signum: int, _frame: object) -> None:
        stopping.append(time.monotonic())
        server.send_signal(signum)

    handlers = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                code = server.wait(timeout=0.5)
                return 0 if stopping else code
            except subprocess.TimeoutExpired:
                if stopping and time.monotonic() - stopping[0] > GRACE:
                    server.kill()
                if not announced and not stopping and accepts(address):
                    announced = True
                    ready()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if server.poll() is None:  # an error of our own: the server must not outlive us
            server.kill()
            server.wait()
