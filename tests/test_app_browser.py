"""The app end to end, as a user drives it: `geopol app` serving, headless Chromium clicking.

Steps the run, imposes a sanction from the events panel, steps on, and checks that the charts
draw the run without the sanction dashed beside the live one (and below it where the sanction
bites), that the soft-power ranking gains its baseline columns, and that neither the browser
nor the server reported an error. Then: charts that fit their column when their tab is shown
again; downloads; Play at full speed with events and tabs switched (it pauses at once and
stops at the end); the map drawn offline, the About and Why? tabs; and docs/teaching.md's
three lessons clicked through. Screenshots are kept as artefacts (in $GEOPOL_ARTIFACTS, else
runs/test-artifacts/).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from sim.bench_app import CHROMIUM_ARGS, chromium, free_port
from sim.scenario import load

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser test needs the playwright package (pip install "
    "playwright)")
expect = sync_api.expect

ROOT = Path(__file__).resolve().parents[1]
GEOPOL = Path(sys.executable).with_name("geopol")
SEED = 1
IMPOSERS = ["DEU", "USA", "CHN"]  # the default imposer plus the two largest economies
TARGET = "RUS"
NAMES = {"DEU": "Germany", "USA": "United States", "CHN": "China", "RUS": "Russia"}
EVENT = f"{'+'.join(IMPOSERS)} on {TARGET} (trade)"
STEPS_BEFORE, STEPS_AFTER = 3, 4
WITHOUT = " without your events"
ARTIFACTS = Path(os.environ.get("GEOPOL_ARTIFACTS") or ROOT / "runs" / "test-artifacts")

# Every chart: its title, vertical lines, notes, traces (name, x, y, line dash), and its
# width as drawn and the width its place in the page gives it. The Charts tab draws its charts
# as subplots of one figure, told apart by their x axes and titled by paper annotations.
PLOTS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(g => {
    const layout = g.layout || {}, data = g.data || [];
    const chart = (title, axis) => ({
        title,
        shapes: (layout.shapes || []).filter(s => !axis || s.xref === axis)
            .map(s => ({x: s.x0, colour: s.line.color})),
        notes: (layout.annotations || []).filter(a => !axis || a.xref === axis)
            .map(a => a.text),
        traces: data.filter(t => (!axis || (t.xaxis || 'x') === axis) && t.mode === 'lines'
                            && !(t.legendgroup || '').endsWith('dashed'))
            .map(t => ({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || []),
                        dash: t.line && t.line.dash})),
        marks: data.filter(t => (!axis || (t.xaxis || 'x') === axis) && t.mode === 'markers')
            .map(t => ({name: t.name, x: Array.from(t.x || []),
                        text: Array.from(t.hovertext || [])})),
        drawn: g._fullLayout.width, room: g.clientWidth
    });
    const titles = (layout.annotations || []).filter(a => a.xref === 'paper');
    if (!titles.length) return [chart(layout.title ? layout.title.text : null, null)];
    const axes = [...new Set(data.filter(t => t.mode === 'lines').map(t => t.xaxis || 'x'))];
    return axes.map((axis, k) => chart(titles[k].text, axis));
})"""
# Vuetify slides a tab's content in: a screenshot or a click waits until it has stopped.
STILL = "document.querySelector('.v-window__container--is-active') === null"
# True once the charts tab shows its five charts, each with traces over `points` dates.
CHARTS_READY = """([points, dashed]) => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    return """ + STILL + """ && plots.length === 1 && plots.every(g => g.data && g.data.length
        && (g.layout.annotations || []).filter(a => a.xref === 'paper').length === 5
        && g.data.filter(t => t.mode === 'lines' && !(t.legendgroup || '').endsWith('dashed'))
                 .every(t => t.x && t.x.length === points)
        && g.data.some(t => (t.line && t.line.dash) === 'dash') === dashed);
}"""
# How far the page's tallest scrolling box scrolls: what a screenshot of the window misses.
HIDDEN = """() => Math.max(0, ...[...document.querySelectorAll('*')]
    .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
    .map(e => e.scrollHeight - e.clientHeight))"""

pytestmark = pytest.mark.slow


def chromium_path() -> str:
    found = chromium()
    if found is None:
        pytest.skip("the browser test needs Chromium: no /usr/bin/chromium and no `chromium` "
                    "on PATH (Debian: apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system's; playwright's own download is not needed)."""
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def app_serving(scenario: str, folder: Path):
    """`geopol app SCENARIO` on a free port: (its address, its log file) once it answers.
    Stopped afterwards, with the Solara server it starts (the whole process group)."""
    port = free_port()
    log = folder / "server.log"
    address = f"http://127.0.0.1:{port}/"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(GEOPOL), "app", scenario, "--port", str(port), "--seed", str(SEED)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while not answers(address, log):
            assert process.poll() is None, f"geopol app exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"geopol app did not answer:\n{log.read_text()}"
            time.sleep(0.5)
        yield address, log
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`geopol app eurasia`: (its address, its log file)."""
    with app_serving("eurasia", tmp_path_factory.mktemp("app")) as served:
        yield served


def answers(address: str, log: Path) -> bool:
    """Has `geopol app` printed its address, and does the server there answer?"""
    if f": {address}" not in log.read_text():
        return False
    try:
        with urllib.request.urlopen(address, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


def open_app(browser, address: str):
    """A fresh page on the app (a fresh run: Solara gives each page its own model) and the
    list the page's errors go to."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors: list[str] = []
    unreachable: set[str] = set()  # assets Solara's CDN proxy could not fetch

    def failed(response) -> None:
        if response.status >= 400 and "/_solara/cdn/" in response.url:
            unreachable.add("/" + response.url.split("://", 1)[1].split("/", 1)[1])

    def report(text: str) -> None:
        # Solara loads KaTeX (math in Markdown) from a public CDN through its own proxy, and
        # solara-assets does not bundle it: offline, that load fails with a 404 and a script
        # error in the page. That is the machine being offline, not the app.
        if not any(path in text for path in unreachable):
            errors.append(text)

    def outside(request) -> None:  # nothing may leave the machine
        host = request.url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in (
                "127.0.0.1", "localhost"):
            errors.append(f"request to {request.url}")

    page.on("request", outside)
    page.on("response", failed)
    page.on("pageerror", lambda error: report(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and report(
        f"console error: {message.text} ({message.location.get('url', '')})"))
    page.goto(address)
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=60_000)
    return page, errors


def no_errors(errors: list[str], log: Path) -> None:
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)
    server_log = log.read_text()
    assert "Traceback" not in server_log and "ERROR" not in server_log, server_log


ALL_FIT = """() => [...document.querySelectorAll('.js-plotly-plot')].every(
    gd => gd._fullLayout && gd._fullLayout.width <= gd.parentElement.clientWidth + 1)"""


def charts(page, points: int, dashed: bool) -> dict[str, dict]:
    """Open the Charts tab and read its charts once they show `points` dates: title -> the
    chart's data (traces, vertical lines, annotations, drawn and available width)."""
    page.get_by_role("tab", name="Charts").click()
    page.wait_for_function(CHARTS_READY, arg=[points, dashed], timeout=30_000)
    return {plot["title"]: plot for plot in page.evaluate(PLOTS)}


def ranking(page, date: str) -> tuple[str, list[str]]:
    """Open the Soft power tab and read the ranking table at `date`: (header, rows' text)."""
    page.get_by_role("tab", name="Soft power").click()
    expect(page.get_by_text(f"Soft power at {date}")).to_be_visible(timeout=30_000)
    # The ranking's table, not the decisions panel's (which has no header row).
    table = page.get_by_role("main").locator("table:has(thead)")
    expect(table.locator("thead")).to_contain_text("reputation", timeout=30_000)
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(20)  # the first page of the world's 190 states
    return table.locator("thead").inner_text(), rows.all_inner_texts()


def trace(chart: dict, name: str) -> dict:
    named = [t for t in chart["traces"] if t["name"] == name]
    assert len(named) == 1, f"{chart['title']}: no single trace {name!r} in " \
                            f"{[t['name'] for t in chart['traces']]}"
    return named[0]


def fits(chart: dict) -> bool:
    """Is the chart drawn no wider than its place (not cut off on the right)?"""
    return chart["drawn"] <= chart["room"] + 1


def save(page, name: str) -> Path:
    """A screenshot of the whole page. The app scrolls inside its main column, not the
    document, so the window grows for the shot by what that column hides."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    hidden = page.evaluate(HIDDEN)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": size["height"] + hidden})
    page.wait_for_function(STILL)
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)
    # Each chart answers a window resize by sending its new layout to the server, 100 ms
    # later (plotly debounces it): a tab switched before then closes the chart's widget first
    # and the page reports "no comm channel defined". Give them the time a user would.
    page.wait_for_timeout(1_000)
    assert path.stat().st_size > 10_000, f"{path} is only {path.stat().st_size} bytes"
    return path


def test_step_sanction_and_see_charts_and_ranking_change(browser, server):
    address, log = server
    page, errors = open_app(browser, address)
    clock = page.get_by_role("navigation").get_by_text(re.compile(r"seed \d+: step \d+"))
    pattern = r"^eurasia, seed {seed}: step {step}, (\d{{4}}-\d{{2}}-\d{{2}})$"
    expect(clock).to_have_text(re.compile(pattern.format(seed=SEED, step=0)), timeout=30_000)

    def step_to(n: int) -> str:
        page.get_by_role("button", name="Step").click()
        expect(clock).to_have_text(re.compile(pattern.format(seed=SEED, step=n)))
        return re.match(pattern.format(seed=SEED, step=n), clock.inner_text().strip()).group(1)

    for n in range(1, STEPS_BEFORE + 1):
        date = step_to(n)

    # Before any event: no baseline in the ranking, the live run alone over steps 0..3.
    header, rows_before = ranking(page, date)
    assert "rank without your events" not in header
    before = charts(page, STEPS_BEFORE + 1, dashed=False)
    assert set(before) == {"GDP", "Total trade (world exports)", "Soft power",
                           "Digital audience of foreign ministries",
                           "Diplomatic weight of capitals"}
    assert not any(WITHOUT in t["name"] for c in before.values() for t in c["traces"])
    assert trace(before["GDP"], TARGET)["x"][-1] == date
    assert all(fits(chart) for chart in before.values()), before

    # Impose a complete trade sanction by Germany, the USA and China on Russia, charts in view.
    card = page.locator(".v-card").filter(
        has=page.get_by_role("button", name="Impose sanction")).last
    imposers = card.locator(".v-select").filter(has=page.locator("label", has_text="Imposers"))
    target = card.locator(".v-select").filter(has=page.locator("label", has_text="Target"))
    # Pickers show names, and the code on hover.
    expect(imposers.locator(".v-select__selections")).to_have_text(NAMES[IMPOSERS[0]])
    expect(target.locator(".v-select__selections")).to_have_text(NAMES[TARGET])
    expect(target.locator(".geopol-picked")).to_have_attribute("title", TARGET)
    imposers.locator(".v-input__slot").click()
    menu = page.locator(".v-menu__content.menuable__content__active")
    for state in IMPOSERS[1:]:
        option = menu.get_by_role("option", name=NAMES[state], exact=True)
        expect(option.locator(f"[title={state}]")).to_have_count(1)
        option.click()
    page.keyboard.press("Escape")
    expect(imposers.locator(".v-select__selections")).to_have_text(
        re.compile(r",\s*".join(NAMES[state] for state in IMPOSERS)))
    expect(imposers.locator(".geopol-picked")).to_have_count(len(IMPOSERS))
    kind = card.locator(".v-select").filter(has=page.locator("label", has_text="Kind"))
    expect(kind.locator(".v-select__selections")).to_have_text("trade")
    card.get_by_role("button", name="complete", exact=True).click()
    card.get_by_role("button", name="Impose sanction").click()
    expect(card.get_by_role("alert")).to_have_text(re.compile(
        re.escape(EVENT) + rf": acts at step {STEPS_BEFORE + 1} \(\d{{4}}-\d{{2}}-\d{{2}}\)"))
    expect(card.locator(".v-select").filter(has=page.locator("label", has_text="In force"))
           ).to_contain_text(EVENT)

    last = STEPS_BEFORE + STEPS_AFTER
    for n in range(STEPS_BEFORE + 1, last + 1):
        date = step_to(n)

    # After it: each chart has the run without the sanction dashed, over the same dates.
    after = charts(page, last + 1, dashed=True)
    expect(page.get_by_text("Dashed: the same seed's run without your events.")).to_be_visible()
    save(page, "app-charts.png")
    acted_at = trace(after["GDP"], TARGET)["x"][STEPS_BEFORE + 1]
    for title, chart in after.items():
        live = [t for t in chart["traces"] if WITHOUT not in t["name"]]
        assert live, title
        for line in live:
            base = trace(chart, line["name"] + WITHOUT)
            assert base["dash"] == "dash" and line["dash"] != "dash", title
            assert line["x"] == base["x"] and line["x"][-1] == date, title
            # The sanction acts at step 4: until then both are the same seed's same run.
            assert line["y"][: STEPS_BEFORE + 1] == pytest.approx(
                base["y"][: STEPS_BEFORE + 1]), f"{title}, {line['name']}"
        marked = [s["x"] for s in chart["shapes"] if s["colour"] == "crimson"]
        assert marked == [acted_at], f"{title}: red lines at {marked}"
        (mark,) = [m for m in chart["marks"] if m["name"] == "events (you)"]
        assert mark["x"] == [acted_at] and EVENT in mark["text"][0], (title, mark)
        assert not chart["notes"], title  # no text on the chart: its name is on hover
        assert fits(chart), chart
    gdp, trade = after["GDP"], after["Total trade (world exports)"]
    assert trace(gdp, TARGET)["y"][: STEPS_BEFORE + 1] == pytest.approx(
        trace(before["GDP"], TARGET)["y"])
    # A trade sanction cuts trade: the live run below its baseline at the last step.
    world, world_base = trace(trade, "world")["y"][-1], trace(trade, "world" + WITHOUT)["y"][-1]
    assert world < world_base, f"world exports {world:.0f} vs {world_base:.0f} without it"
    rus, rus_base = trace(gdp, TARGET)["y"][-1], trace(gdp, TARGET + WITHOUT)["y"][-1]
    assert rus < rus_base, f"{TARGET} GDP {rus:.0f} vs {rus_base:.0f} without the sanction"

    header, rows_after = ranking(page, date)
    assert "rank without your events" in header and "rank change" in header
    assert rows_after != rows_before

    page.get_by_role("tab", name="Map").click()
    page.wait_for_function(
        """date => """ + STILL + """ && [...document.querySelectorAll('.js-plotly-plot')]
           .some(g => g.data && g.data.length && g.layout.title
                      && g.layout.title.text.includes(date))""",
        arg=date, timeout=30_000)
    save(page, "app-map.png")
    page.close()
    no_errors(errors, log)


def test_charts_fit_their_column_when_their_tab_is_shown_again(browser, server):
    address, log = server
    page, errors = open_app(browser, address)
    first = charts(page, 1, dashed=False)
    page.get_by_role("tab", name="Soft power").click()
    expect(page.get_by_role("main").locator("table")).to_be_visible(timeout=30_000)
    charts(page, 1, dashed=False)
    # A figure may be drawn before its column has a width; it must fit within moments.
    page.wait_for_function(ALL_FIT, timeout=5_000)
    again = {plot["title"]: plot for plot in page.evaluate(PLOTS)}
    page.close()
    no_errors(errors, log)
    assert all(fits(chart) for chart in first.values()), first
    cut = [(title, chart["drawn"], chart["room"]) for title, chart in again.items()
           if not fits(chart)]
    assert not cut, f"charts wider than their column (title, px drawn, px available): {cut}"


def test_a_chart_downloads_as_png_and_the_run_as_parquet(browser, server):
    address, log = server
    page, errors = open_app(browser, address)
    page.get_by_role("button", name="Step").click()
    expect(page.get_by_text(re.compile(r"seed 1: step 1,"))).to_be_visible(timeout=30_000)
    charts(page, 2, dashed=False)
    first = page.locator(".js-plotly-plot").first
    with page.expect_download(timeout=30_000) as png:  # the charts' camera button
        first.locator('.modebar-btn[data-title="Download plot as a png"]').click(force=True)
    assert png.value.suggested_filename == "eurasia-seed1-step1-charts.png"
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page.wait_for_timeout(1000)  # a user's pace: the chart settles after its export
    page.get_by_role("tab", name="Export").click()
    with page.expect_download(timeout=60_000) as archive:
        page.get_by_role("button", name="Run as parquet (zip)").click()
    assert archive.value.suggested_filename == "eurasia-seed1-step1-parquet.zip"
    import io
    import zipfile

    import pyarrow.parquet as pq

    with zipfile.ZipFile(Path(archive.value.path())) as zipped:
        assert {"model.parquet", "state_steps.parquet", "manifest.json"} <= set(zipped.namelist())
        model = pq.read_table(io.BytesIO(zipped.read("model.parquet")))
    assert model.column("step").to_pylist() == [0, 1]
    page.close()
    no_errors(errors, log)


SOAK_STEPS = 400
SOAK_SCENARIO = f"""[scenario]
name = "soak"
extends = "eurasia"
title = "eurasia, {SOAK_STEPS} steps"
steps = {SOAK_STEPS}
"""
TABS = ("Map", "Why?", "Soft power", "Relations", "Regions", "Charts", "About")


@pytest.fixture(scope="module")
def soak_server(tmp_path_factory):
    """`geopol app` on eurasia run for 400 steps: (its address, its log file)."""
    folder = tmp_path_factory.mktemp("soak")
    scenario = folder / "soak.toml"
    scenario.write_text(SOAK_SCENARIO)
    with app_serving(str(scenario), folder) as served:
        yield served


def test_play_keeps_going_with_events_and_tabs_pauses_at_once_and_stops_at_the_end(
        browser, soak_server):
    """Play at full speed: Pause stops the clock at once; then, with a sanction, a technology
    shock and a summit imposed and the tabs switched while it plays, it goes on to the
    scenario's last step (400) and stops there. The page never freezes or disconnects and the
    server logs no error (before, the play thread's updates came faster than the page drew
    them, until the render loop gave up)."""
    address, log = soak_server
    page, errors = open_app(browser, address)
    clock = page.get_by_role("navigation").get_by_text(re.compile(r"seed \d+: step \d+"))

    def step() -> int:
        return int(re.search(r"step (\d+)", clock.inner_text()).group(1))

    page.get_by_role("slider", name=re.compile("^Speed")).focus()
    page.keyboard.press("Home")
    expect(page.get_by_role("slider", name=re.compile("^Speed"))).to_have_attribute(
        "aria-valuenow", "0")
    page.get_by_role("button", name="▶").click()
    expect(clock).to_contain_text(re.compile(r"step ([1-9]\d),"), timeout=60_000)
    # Press Pause and read the clock at the same instant (a locator's click first waits for
    # the button to hold still, while the run goes on).
    shown = page.evaluate("""() => {
        const pause = [...document.querySelectorAll('button')]
            .find(b => b.textContent.trim() === '❚❚');
        const clock = document.querySelector('.geopol-clock').textContent;
        pause.click();
        return clock;
    }""")
    before = int(re.search(r"step (\d+)", shown).group(1))
    page.wait_for_timeout(1_000)
    paused = step()
    page.wait_for_timeout(3_000)
    # The step under way when Pause is pressed is the last.
    assert before <= paused <= before + 1 and step() == paused, (before, paused, step())

    def impose(section: str | None, button: str) -> None:
        if section is not None:
            page.get_by_role("button", name=section, exact=True).click()
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("alert").filter(has_text="acts at step")).to_be_visible(
            timeout=30_000)

    # Three events while it plays, and every tab shown twice or more.
    page.get_by_role("button", name="▶").click()
    actions = {1: (None, "Impose sanction"), 4: ("Technology shock", "Start technology shock"),
               7: ("Summit", "Host summit")}
    for switch in range(2 * len(TABS)):
        if switch in actions:
            impose(*actions[switch])
            assert step() < SOAK_STEPS, "the run ended before the events were imposed"
        page.get_by_role("tab", name=TABS[switch % len(TABS)]).click()
        page.wait_for_timeout(700)
    expect(clock).to_contain_text(f"step {SOAK_STEPS},", timeout=600_000)
    page.wait_for_timeout(3_000)
    assert step() == SOAK_STEPS
    # Mesa's controller disables play (and Step) once the run stops.
    expect(page.get_by_role("button", name=re.compile("^(▶|❚❚)$"))).to_be_disabled()
    expect(page.get_by_role("button", name="Step")).to_be_disabled()
    expect(page.get_by_text("App is disconnected")).to_be_hidden()
    expect(page.get_by_text("Server disconnected")).to_be_hidden()
    page.close()
    no_errors(errors, log)


def test_the_map_draws_the_world_offline_and_the_about_and_why_tabs_explain(browser, server):
    """The map's coastlines, borders and states' outlines come from the app, with no request
    leaving the machine; About shows the scenario and the glossary; Why? tells a pair's change
    in relations as a sentence with numbers."""
    address, log = server
    page, errors = open_app(browser, address)
    page.wait_for_function(
        """() => document.querySelectorAll('.js-plotly-plot .choroplethlocation').length > 150
                 && document.querySelectorAll('.js-plotly-plot .geo .coastlines path').length""",
        timeout=60_000)
    save(page, "app-map.png")
    for n in (1, 2):
        page.get_by_role("button", name="Step").click()
        expect(page.get_by_text(re.compile(rf"seed 1: step {n},"))).to_be_visible(
            timeout=30_000)
    page.get_by_role("tab", name="Why?").click()
    expect(page.locator(".geopol-why").first).to_have_text(re.compile(
        r"^Since step 0 \(2023-01-01\), Kazakhstan–Russia relations "
        r"(rose \d\.\d\d|fell \d\.\d\d|hardly moved): "), timeout=30_000)
    expect(page.locator(".geopol-why").nth(1)).to_have_text(re.compile(
        r"^Kazakhstan's exports to Russia (rose \d+\.\d%|fell \d+\.\d%|hardly moved) "))
    expect(page.locator(".geopol-why")).to_have_count(3)
    save(page, "app-why.png")
    page.get_by_role("tab", name="About").click()
    expect(page.get_by_role("heading", name=load("eurasia").spec.scenario.title)).to_be_visible(
        timeout=30_000)
    expect(page.get_by_text("What the measures mean")).to_be_visible()
    for term in ("Soft power", "Reputation", "Diplomatic weight", "Activity classes"):
        expect(page.locator("dt", has_text=term).first).to_be_visible()
    save(page, "app-about.png")
    page.close()
    no_errors(errors, log)


@pytest.fixture(scope="module")
def lesson_app(tmp_path_factory):
    """`geopol app SCENARIO` for docs/teaching.md's lessons: (address, log) of a server for
    the scenario, started on first use, all stopped at the end."""
    with ExitStack() as stack:
        running: dict[str, tuple[str, Path]] = {}

        def serve(scenario: str) -> tuple[str, Path]:
            if scenario not in running:
                running[scenario] = stack.enter_context(
                    app_serving(scenario, tmp_path_factory.mktemp(scenario)))
            return running[scenario]

        yield serve


def pick(page, label: str, name: str) -> None:
    """Choose `name` in the picker labelled `label`, by typing it, as in a list of 190 states."""
    named = page.locator("label", has_text=re.compile(f"^{re.escape(label)}$"))
    choice = page.locator(".v-select").filter(has=named)
    choice.locator(".v-input__slot").click()
    page.keyboard.type(name)
    page.keyboard.press("Escape")
    expect(choice.locator(".v-select__selections")).to_have_text(name)


def test_lesson_1_sanctions_and_the_cushion_as_a_class_sees_it(browser, lesson_app):
    """docs/teaching.md, lesson 1, clicked through: eight steps; Russia's GDP below its twin
    without the scenario's sanctions; Why? tells Kazakhstan's exports to Russia rising through
    diverted trade, and Germany's falling through sanctions."""
    address, log = lesson_app("eurasia-sanctions-2017")
    page, errors = open_app(browser, address)
    for n in range(1, 9):
        page.get_by_role("button", name="Step").click()
        expect(page.get_by_text(re.compile(rf"seed 1: step {n},"))).to_be_visible(
            timeout=30_000)
    expect(page.get_by_text("seed 1: step 8, 2019-01-01")).to_be_visible()
    gdp = charts(page, 9, dashed=True)["GDP"]
    twin = trace(gdp, "RUS without the scenario's events")
    assert trace(gdp, "RUS")["y"][-1] < twin["y"][-1] and twin["dash"] == "dash"
    page.get_by_role("tab", name="Why?").click()
    sentences = page.locator(".geopol-why")
    expect(sentences.nth(1)).to_have_text(re.compile(
        r"^Kazakhstan's exports to Russia rose \d+\.\d% \(\+\d+\.\d log points\): "
        r"third countries \+"), timeout=30_000)
    pick(page, "State", "Russia")
    pick(page, "…and state (none: that state's soft power)", "Germany")
    expect(sentences.nth(2)).to_have_text(re.compile(
        r"^Germany's exports to Russia fell \d+\.\d% \(−\d+\.\d log points\): sanctions −"),
        timeout=30_000)
    save(page, "lesson-1-why.png")
    page.close()
    no_errors(errors, log)


def play_at_full_speed(page) -> None:
    """Speed to 0 ms between steps, then ▶."""
    speed = page.get_by_role("slider", name=re.compile("^Speed"))
    speed.focus()
    page.keyboard.press("Home")
    expect(speed).to_have_attribute("aria-valuenow", "0")
    page.get_by_role("button", name="▶").click()


def step_shown(page) -> int:
    clock = page.get_by_role("navigation").get_by_text(re.compile(r"seed \d+: step \d+"))
    return int(re.search(r"step (\d+)", clock.inner_text()).group(1))


def test_lesson_2_summits_and_a_capitals_weight_as_a_class_sees_it(browser, lesson_app):
    """docs/teaching.md, lesson 2, clicked through: play at full speed and pause once past
    January 2011 (step 24); Astana is the heaviest capital, above its twin without the
    scripted summits, and the OSCE summit of December 2010 is named on the time axis."""
    address, log = lesson_app("astana-summits")
    page, errors = open_app(browser, address)
    play_at_full_speed(page)
    expect(page.get_by_role("navigation").get_by_text(re.compile(
        r"step (2[4-9]|[3-9]\d),"))).to_be_visible(timeout=120_000)
    page.get_by_role("button", name="❚❚").click()
    page.wait_for_timeout(1_000)
    paused = step_shown(page)
    weights = charts(page, paused + 1, dashed=True)["Diplomatic weight of capitals"]
    astana = trace(weights, "Astana")
    twin = trace(weights, "Astana without the scenario's events")
    assert twin["dash"] == "dash" and astana["y"][-1] - twin["y"][-1] > 0.05, (astana, twin)
    live = [t for t in weights["traces"] if "without" not in t["name"]]
    assert max(live, key=lambda t: t["y"][-1])["name"] == "Astana", live
    (events,) = [m for m in weights["marks"] if m["name"] == "events (scenario)"]
    assert any("OSCE summit" in text and text.startswith("2011-01-01")
               for text in events["text"]), events
    save(page, "lesson-2-charts.png")
    page.close()
    no_errors(errors, log)


def test_lesson_3_a_technology_wave_and_soft_power_as_a_class_sees_it(browser, lesson_app):
    """docs/teaching.md, lesson 3, clicked through: Play runs to the scenario's end (step 20,
    2023) and stops; Kazakhstan's soft power ends above its twin without the digital push;
    Why?, for Kazakhstan alone, tells the rise by pillar, education, enterprise and digital
    first."""
    address, log = lesson_app("digital-kazakhstan")
    page, errors = open_app(browser, address)
    play_at_full_speed(page)
    expect(page.get_by_text("seed 1: step 20, 2023-01-01")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name=re.compile("^(▶|❚❚)$"))).to_be_disabled()
    soft_power = charts(page, 21, dashed=True)["Soft power"]
    kazakhstan = trace(soft_power, "KAZ")["y"][-1]
    twin = trace(soft_power, "KAZ without the scenario's events")["y"][-1]
    assert kazakhstan == pytest.approx(0.56, abs=0.03) and twin == pytest.approx(0.48, abs=0.03)
    page.get_by_role("tab", name="Why?").click()
    pick(page, "State", "Kazakhstan")
    pick(page, "…and state (none: that state's soft power)", "none")
    sentence = page.locator(".geopol-why").first
    expect(sentence).to_have_text(re.compile(r"^Since step 0 .*Kazakhstan's soft power rose "
                                             r"0\.1\d"), timeout=30_000)
    leading = re.findall(r"([a-z]+) [+−]", sentence.inner_text().split(": ", 1)[1])[:3]
    assert set(leading) == {"education", "enterprise", "digital"}, sentence.inner_text()
    save(page, "lesson-3-why.png")
    page.close()
    no_errors(errors, log)
