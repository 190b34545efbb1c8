"""`geopol bench --app`: how long a step takes in the browser app, redrawing included.

The app is served as `geopol app` serves it and driven in headless Chromium. A step is timed
in the page, from the click on Step until the page shows it: the clock reads the new step and
every figure on the open tab has been redrawn by the browser (checked every 5 ms). Medians and 90th percentiles of `steps`
clicks per tab; the first few clicks are left out (the browser's and numba's warm-up).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

TABS = ("Map", "Charts", "Why?", "Soft power", "Relations", "Regions")
WARM_UP = 3
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# The page's state: the clock's text and a fingerprint of every plotly figure.
PAGE_STATE = """() => {
  const clock = (document.querySelector('.geopol-clock') || {}).textContent || '';
  const plots = [...document.querySelectorAll('.js-plotly-plot')].map(gd =>
      (gd.data || []).map(t => (t.x ? t.x.length : 0)).join(',') + '|' +
      ((gd.layout && gd.layout.title && gd.layout.title.text) || ''));
  return JSON.stringify({clock, plots});
}"""


def chromium() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(scenario: str, port: int) -> Iterator[str]:
    """`geopol app SCENARIO` in the background; yields its address."""
    geopol = Path(sys.executable).with_name("geopol")
    server = subprocess.Popen([str(geopol), "app", scenario, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    address = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"geopol app {scenario} did not start") from None
                time.sleep(0.2)
        yield address
    finally:
        os.killpg(server.pid, 15)
        server.wait()


# Marks the time of the next click on the page, in the page's own clock.
MARK_CLICK = """() => { window.__geopolClick = null;
  document.addEventListener('click', () => { window.__geopolClick = performance.now(); },
                            {capture: true, once: true}); }"""


def time_tab(page, tab: str, steps: int) -> list[float]:
    """Seconds from each click on Step until the clock and the tab's figures show it, timed in
    the page (from the click event to the first check that sees the page redrawn), so that
    Playwright's own work around the click is not counted."""
    page.get_by_role("tab", name=tab).click()
    page.wait_for_timeout(1500)  # the tab's first drawing
    seconds = []
    for _ in range(steps + WARM_UP):
        before = page.evaluate(PAGE_STATE)
        page.evaluate(MARK_CLICK)
        page.get_by_role("button", name="Step").click()
        handle = page.wait_for_function(
            f"""() => {{ const now = JSON.parse(({PAGE_STATE})());
                       const was = JSON.parse({before!r});
                       const done = now.clock !== was.clock &&
                                    now.plots.every((p, k) => p !== was.plots[k]);
                       return done && performance.now() - window.__geopolClick; }}""",
            timeout=60_000, polling=5)
        seconds.append(handle.json_value() / 1000.0)
    return seconds[WARM_UP:]


def bench_app(scenario: str, steps: int, tabs: tuple[str, ...] = TABS) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    with served(scenario, free_port()) as address, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(address)
        page.get_by_role("button", name="Step").wait_for(timeout=90_000)
        results = {tab: time_tab(page, tab, steps) for tab in tabs}
        browser.close()
    return results


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_app_bench(console: Console, steps: int = 15) -> None:
    if chromium() is None:
        console.print("no chromium: install Debian's package (apt-get install chromium)")
        return
    for scenario, tabs in (("eurasia", TABS), ("synthetic-100k", ("Map", "Charts"))):
        results = bench_app(scenario, steps, tabs)
        table = Table(title=f"App: a step in the browser, {scenario} "
                            f"(click → page redrawn; {steps} steps per tab)")
        for col in ("tab", "median ms", "p90 ms", "max ms"):
            table.add_column(col, justify="left" if col == "tab" else "right")
        for tab, seconds in results.items():
            table.add_row(tab, f"{1e3 * _quantile(seconds, 0.5):.0f}",
                          f"{1e3 * _quantile(seconds, 0.9):.0f}", f"{1e3 * max(seconds):.0f}")
        console.print(table)
