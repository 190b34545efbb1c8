"""Processes clean up (issue 14): a sweep's pool workers end with their parent even when it is
killed outright, and `geopol app` passes SIGTERM on to its Solara server and waits for it.

Each test ends only the processes it started, by their ids.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")

GEOPOL = Path(sys.executable).parent / "geopol"

SWEEP = """\
[sweep]
name = "long"
scenario = "{scenario}"
steps = 20
design = "grid"
replicates = 5000
chunk_runs = 1

[parameters]
"relations.drift" = {{ values = [0.2, 0.3] }}

[[metrics]]
name = "mean_relations"
reduce = "final"
"""


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.2)


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def end(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass


def test_sweep_workers_die_with_their_killed_parent(tmp_path, write_toml, tiny_text):
    tiny = write_toml("tiny.toml", tiny_text)
    spec = write_toml("long.toml", SWEEP.format(scenario=tiny))
    out = tmp_path / "sweep"
    sweep = subprocess.Popen([str(GEOPOL), "sweep", spec, "--workers", "2", "--out", out,
                              "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    descendants: list[psutil.Process] = []
    try:
        # A written chunk: the workers have started and run.
        wait_for(lambda: any((out / "runs").glob("part-*.parquet")), 120, "chunk")
        descendants = psutil.Process(sweep.pid).children(recursive=True)
        assert len(descendants) >= 2, descendants
        sweep.send_signal(signal.SIGKILL)
        sweep.wait(timeout=10)
        wait_for(lambda: not any(map(alive, descendants)), 10, "end of the workers")
    finally:
        sweep.kill()
        sweep.wait()
        end(descendants)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_geopol_app_passes_a_signal_to_its_server_and_waits_for_it(tmp_path, sig):
    """SIGTERM (a service manager's, `kill`'s) or SIGINT sent to `geopol app` alone stops its
    server too: the port is free and no server process is left."""
    port = free_port()
    log = tmp_path / "app.log"
    with log.open("w") as sink:
        app = subprocess.Popen([str(GEOPOL), "app", "synthetic", "--port", str(port)],
                               stdout=sink, stderr=subprocess.STDOUT)
    descendants: list[psutil.Process] = []
    try:
        wait_for(lambda: answers(port) or app.poll() is not None, 120, "server")
        assert app.poll() is None, log.read_text()
        descendants = psutil.Process(app.pid).children(recursive=True)
        assert descendants, "no server process"
        os.kill(app.pid, sig)
        assert app.wait(timeout=30) == 0, log.read_text()
        assert not any(map(alive, descendants)), descendants
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))  # the port is free
        assert "Traceback" not in log.read_text(), log.read_text()
    finally:
        app.kill()
        app.wait()
        end(descendants)
