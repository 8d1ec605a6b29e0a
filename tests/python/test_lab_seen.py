"""What a researcher sees in JupyterLab (headless Chromium) with JupyterLab's and the
kernel's default settings, in the light and the dark theme: result tables (also in
nbconvert's HTML) and Shift+Tab tables with text on the left and numbers on the right; the
first Tab answered in time on a slow catalog (a pass-through to the Spark Connect server
that holds the kernel's catalog look-ups back, tests/support/slow_catalog.py); charts that
carry their description and fit their data; a profile that never claims more distinct
values than rows, says when every value is distinct and keeps its names in view; progress
that names the profile's pass; an error that names its class once. Screenshots are kept in
.work/screenshots."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import ROOT, WORK
from support.lab import jupyter_lab, without_the_grid
from support.net import free_port
from support.notebooks import notebook

pytestmark = pytest.mark.browser

TIMEOUT_MS = 180_000
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
# Longer than JupyterLab's completer waits for a provider (1 s) and than the kernel waits.
SLOW_CATALOG_S = 3
GENOMES = (
    "SELECT concat('GCF_', lpad(CAST(id AS STRING), 9, '0')) AS genome_id, "
    "concat('Escherichia coli strain ', CAST(id % 50 AS STRING)) AS species, "
    "0.3D + (id % 4001) / 10000D AS gc_content, CAST(4700000 + (id * 7919) % 600000 AS BIGINT) AS genome_size, "
    "CAST(id % 9000 AS INT) AS contigs, DATE'2015-01-01' + CAST(id % 3000 AS INT) AS released FROM range(3000)"
)
CELLS = [
    ("ddl", f"CREATE OR REPLACE TEMP VIEW genomes AS {GENOMES};\n"
            "CREATE OR REPLACE TEMP VIEW genes_2024 AS SELECT 1 AS gene"),
    ("table", "SELECT genome_id, species, gc_content, genome_size FROM genomes ORDER BY genome_id LIMIT 12"),
    ("scatter", "%chart scatter x=gc_content y=genome_size\nSELECT * FROM genomes"),
    ("line", "%chart line x=released y=genome_size agg=avg\nSELECT * FROM genomes"),
    ("bar", "%chart bar x=species y=contigs\nSELECT * FROM genomes"),
    ("profile", "%profile\nSELECT * FROM genomes"),
    # Each of the profile's passes runs the query again, 4 s each: long enough to show progress.
    ("passes", "%profile\nSELECT id, CAST(id AS STRING) AS label, "
               "reflect('java.lang.Thread', 'sleep', CAST(4000 AS BIGINT)) AS slept FROM range(1)"),
    ("error", "SELECT nme FROM genomes"),
]
INDEX = {name: i for i, (name, _) in enumerate(CELLS)}
# Records every progress text the cell of the passes shows, as it is shown.
WATCH_PROGRESS = """(index) => {
  window.__progress = [];
  new MutationObserver(() => {
    const cell = document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')[index];
    for (const e of cell ? cell.querySelectorAll('.jp-OutputArea-output') : []) {
      const t = e.innerText;
      if (t.includes('%profile pass') && window.__progress[window.__progress.length - 1] !== t) window.__progress.push(t);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
ALIGN = "e => getComputedStyle(e).textAlign"


@pytest.fixture(scope="module")
def slow_catalog(tmp_path_factory):
    """The pass-through server; yields (its sc:// URL, the flag file that makes it slow, its log)."""
    where = tmp_path_factory.mktemp("slow-catalog")
    flag, log = where / "slow", where / "lookups.jsonl"
    flag.touch()
    port = free_port()
    upstream = os.environ["SPARK_REMOTE"].removeprefix("sc://").split("/")[0]
    proxy = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tests", "support", "slow_catalog.py"), "--port", str(port),
         "--upstream", upstream, "--delay", str(SLOW_CATALOG_S), "--slow-flag", str(flag), "--log", str(log)],
        stdout=subprocess.DEVNULL, stderr=open(Path(WORK) / "slow-catalog.log", "w"),
    )
    try:
        yield f"sc://127.0.0.1:{port}", flag, log
    finally:
        proxy.terminate()
        proxy.wait(timeout=20)


def lookups(log):
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module", params=sorted(THEMES))
def seen(request, tmp_path_factory, slow_catalog):
    """Everything the person did, in one theme: yields (theme, page, what was observed)."""
    theme = request.param
    remote, flag, log = slow_catalog
    flag.touch()
    tmp = tmp_path_factory.mktemp(f"seen-{theme}")
    settings = tmp / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings").write_text(
        json.dumps({"theme": THEMES[theme]})
    )
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # Every cell in the page, so that all outputs can be read.
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    root = tmp / "lab"
    root.mkdir()
    saved = root / "seen.ipynb"
    saved.write_text(notebook(CELLS))
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    started = time.time()
    # The kernel's default catalog wait, not the test command's long one. Results as their
    # HTML tables: what is aligned here is the table every stored notebook and nbconvert show
    # (the live grid, which draws its own cells, is tests/python/test_lab_grid.py's).
    no_grid = without_the_grid(tmp / "config")
    with jupyter_lab(root, Path(WORK) / f"lab-seen-{theme}.log", JUPYTERLAB_SETTINGS_DIR=str(settings),
                     SPARK_REMOTE=remote, KBASE_SPARK_CATALOG_WAIT=None, **no_grid) as (base, token):
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
                page.set_default_timeout(TIMEOUT_MS)
                try:
                    run(page, f"{base}/lab/tree/seen.ipynb?token={token}", theme, flag, log, saved, seen, started)
                except Exception:
                    page.screenshot(path=str(SHOTS / f"seen-failed-{theme}.png"))
                    raise
                seen["nbconvert"] = nbconvert(browser, saved, theme)
                yield theme, page, seen
            finally:
                browser.close()


def cells(page):
    return page.locator(".jp-NotebookPanel .jp-CodeCell")


def new_cell(page, text):
    """Adds a cell below the last one and types `text` into it."""
    cells(page).last.locator(".cm-content").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(text)


def delete_last_cell(page):
    page.keyboard.press("Escape")
    cells(page).last.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("d")
    page.keyboard.press("d")


def first_tab(page, shot):
    """Presses Tab once, as the person did, and returns the kernel's matches with their
    kinds (JupyterLab's own words have none), or the cell's text when one match was put in."""
    # As a person pauses after typing: the editor has taken in every key, the kernel is idle.
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    page.wait_for_timeout(1000)
    page.keyboard.press("Tab")
    try:
        page.wait_for_selector(".jp-Completer .jp-Completer-item", timeout=8000)
    except Exception:
        page.screenshot(path=str(SHOTS / shot))
        return cells(page).last.locator(".cm-content").inner_text()
    page.screenshot(path=str(SHOTS / shot))
    items = page.locator(".jp-Completer .jp-Completer-item")
    out = []
    for i in range(items.count()):
        kind = items.nth(i).locator(".jp-Completer-typeExtended")
        if kind.count() and kind.inner_text():
            out.append((items.nth(i).locator(".jp-Completer-match").inner_text(), kind.inner_text()))
    page.keyboard.press("Escape")
    return out


def done(cell):
    cell.locator(".jp-InputArea-prompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for()


def run(page, url, theme, flag, log, saved, seen, started):
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    cells(page).last.locator(".cm-line span").first.wait_for()
    if page.locator("#jp-left-stack:visible").count():
        page.keyboard.press("Control+b")

    # The first Tab of the session, the catalog slow: the look-ups the kernel started when
    # its session opened are in, so functions are offered at once.
    def settled():
        answered = [e["answered"] for e in lookups(log) if e["slow"] and e["came"] > started]
        # None can be pending: any that came before the last answer would be answered by now.
        return len(answered) >= 5 and time.time() - max(answered) > SLOW_CATALOG_S + 1

    deadline = time.time() + 120
    while not settled() and time.time() < deadline:
        time.sleep(0.5)
    new_cell(page, "SELECT approx_")
    seen["first tab"] = first_tab(page, f"seen-first-tab-{theme}.png")
    delete_last_cell(page)

    # A CREATE, then at once a Tab, the catalog still slow: the views just created are offered.
    cells(page).nth(INDEX["ddl"]).locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    done(cells(page).nth(INDEX["ddl"]))
    new_cell(page, "SELECT * FROM ge")
    seen["tab after create"] = first_tab(page, f"seen-tab-after-create-{theme}.png")
    delete_last_cell(page)
    flag.unlink()

    # Shift+Tab on the view: its columns in a table.
    new_cell(page, "SELECT * FROM genomes")
    page.keyboard.press("Shift+Tab")
    tooltip = page.wait_for_selector(".jp-Tooltip table")
    page.screenshot(path=str(SHOTS / f"seen-inspect-{theme}.png"))
    seen["tooltip"] = page.evaluate(
        f"() => [...document.querySelectorAll('.jp-Tooltip td')].map({ALIGN})"
    )
    del tooltip
    page.keyboard.press("Escape")
    delete_last_cell(page)

    page.evaluate(WATCH_PROGRESS, INDEX["passes"])
    page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
    for i in range(len(CELLS)):
        done(cells(page).nth(i))
    seen["progress"] = page.evaluate("() => window.__progress")
    page.keyboard.press("Control+s")
    page.wait_for_selector(".jp-NotebookPanel:not(.jp-mod-dirty)", state="attached")
    deadline = time.time() + 30
    while '"outputs": []' in saved.read_text() and time.time() < deadline:
        time.sleep(0.5)


def nbconvert(browser, saved, theme):
    """The saved notebook as nbconvert's HTML in this theme, opened in the browser: the
    computed alignment of the result table's header and first row."""
    html = saved.with_name(f"seen-{theme}.html")
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", f"--HTMLExporter.theme={theme}",
         "--output", html.name, str(saved)],
        check=True, capture_output=True,
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(html.as_uri())
    table = page.locator("table.kbase-sql").first
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"seen-nbconvert-{theme}.png"))
    out = {
        "th": table.locator("thead th").evaluate_all(f"es => es.map({ALIGN})"),
        "td": table.locator("tbody tr").first.locator("td").evaluate_all(f"es => es.map({ALIGN})"),
    }
    page.close()
    return out


def chart_svg(page, cell):
    """The chart as vega draws it, through its own "Save as SVG" action."""
    cell.locator(".vega-embed canvas, .vega-embed svg.marks").first.wait_for()
    with page.expect_download() as download:
        cell.locator(".vega-embed details > summary").click()
        cell.locator(".vega-embed .vega-actions a", has_text="SVG").click()
    svg = Path(download.value.path()).read_text()
    page.keyboard.press("Escape")
    return svg


def axis_range(svg, axis):
    """(low, high) of an axis's values, from the description vega gives it."""
    label = re.search(rf'aria-label="{axis}-axis titled [^"]* with values from ([^"]*?) to ([^"]*?)"', svg)
    assert label, svg[:2000]
    return tuple(float(v.replace(",", "")) for v in label.groups())


def test_text_left_numbers_right_each_header_over_its_values(seen):
    theme, page, observed = seen
    table = cells(page).nth(INDEX["table"]).locator("table.kbase-sql").first
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"seen-table-{theme}.png"))
    # genome_id, species: text; gc_content, genome_size: numbers.
    expected = ["left", "left", "right", "right"]
    assert table.locator("thead th").evaluate_all(f"es => es.map({ALIGN})") == expected
    assert table.locator("tbody tr").nth(3).locator("td").evaluate_all(f"es => es.map({ALIGN})") == expected
    # The header of a text column starts where its values start.
    start = "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect().left; }"
    header = table.locator("thead th").nth(1).evaluate(start)
    value = table.locator("tbody tr").first.locator("td").nth(1).evaluate(start)
    assert abs(header - value) < 12, (header, value)
    # Shift+Tab's table: names, types and comments on the left.
    assert observed["tooltip"] and set(observed["tooltip"]) == {"left"}, observed["tooltip"]
    # nbconvert's HTML of the saved notebook, in the same theme.
    assert observed["nbconvert"] == {"th": expected, "td": expected}, observed["nbconvert"]


def test_the_first_tab_on_a_slow_catalog_offers_what_is_known(seen):
    _, _, observed = seen
    assert isinstance(observed["first tab"], list), observed["first tab"]
    assert ("approx_count_distinct", "function") in observed["first tab"], observed["first tab"]
    assert isinstance(observed["tab after create"], list), observed["tab after create"]
    assert ("genomes", "view") in observed["tab after create"], observed["tab after create"]
    assert ("genes_2024", "view") in observed["tab after create"], observed["tab after create"]


def test_charts_carry_their_description_and_fit_their_data(seen):
    theme, page, _ = seen
    scatter = cells(page).nth(INDEX["scatter"])
    scatter.scroll_into_view_if_needed()
    scatter.screenshot(path=str(SHOTS / f"seen-scatter-{theme}.png"))
    svg = chart_svg(page, scatter)
    assert "scatter chart of genome_size against gc_content, over all 3,000 rows of the result" in svg
    # gc_content lies in 0.3–0.7 and genome_size in 4.7–5.3 million: no axis starts at zero.
    low, high = axis_range(svg, "X")
    assert 0.25 <= low and high <= 0.75, (low, high)
    low, _ = axis_range(svg, "Y")
    assert low >= 4_000_000, low

    line = cells(page).nth(INDEX["line"])
    line.scroll_into_view_if_needed()
    line.screenshot(path=str(SHOTS / f"seen-line-{theme}.png"))
    svg = chart_svg(page, line)
    low, _ = axis_range(svg, "Y")
    assert low >= 4_000_000, low

    bar = cells(page).nth(INDEX["bar"])
    bar.scroll_into_view_if_needed()
    bar.screenshot(path=str(SHOTS / f"seen-bar-{theme}.png"))
    svg = chart_svg(page, bar)
    # Fifty species, the 30 largest drawn: what was folded into "other" is said inside the chart.
    assert "the 30 largest of 50 species values shown" in svg and "computed by Spark over all 3,000 rows" in svg
    low, _ = axis_range(svg, "Y")
    assert low == 0, low


def test_the_profile_says_only_possible_things_and_keeps_its_names_in_view(seen):
    theme, page, observed = seen
    profile = cells(page).nth(INDEX["profile"]).locator("table.kbase-profile")
    profile.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"seen-profile-{theme}.png"))
    rows = profile.locator("tbody tr")
    genome_id = rows.nth(0).locator("td")
    assert genome_id.nth(0).inner_text() == "genome_id"
    assert genome_id.nth(4).inner_text() == "3,000"
    assert genome_id.nth(11).inner_text() == "every value is distinct"
    for i in range(rows.count()):
        distinct = int(rows.nth(i).locator("td").nth(4).inner_text().replace(",", "") or 0)
        assert distinct <= 3000, (i, distinct)
    # Scrolled sideways, the names stay where they were.
    scroller = profile.locator("xpath=..")
    before = genome_id.nth(0).evaluate("e => e.getBoundingClientRect().left")
    scroller.evaluate("e => { e.style.maxWidth = '600px'; e.scrollLeft = 400; }")
    assert scroller.evaluate("e => e.scrollLeft") > 0
    after = genome_id.nth(0).evaluate("e => e.getBoundingClientRect().left")
    assert abs(after - before) < 2, (before, after)
    page.screenshot(path=str(SHOTS / f"seen-profile-scrolled-{theme}.png"))
    scroller.evaluate("e => { e.style.maxWidth = '100%'; e.scrollLeft = 0; }")


def test_progress_names_the_pass_and_never_goes_back(seen):
    _, _, observed = seen
    shown = observed["progress"]
    passes = [re.search(r"%profile pass (\d) of (\d)", t).groups() for t in shown]
    assert passes and all(total == "3" for _, total in passes), shown
    assert {n for n, _ in passes} & {"2", "3"}, shown
    for n in {n for n, _ in passes}:
        percents = [int(re.search(r"(\d+)%", t).group(1)) for t in shown if f"pass {n} of" in t]
        assert percents == sorted(percents), (n, shown)


def test_an_error_names_its_class_once(seen):
    theme, page, _ = seen
    error = cells(page).nth(INDEX["error"]).locator(".jp-OutputArea-output").first
    error.scroll_into_view_if_needed()
    error.screenshot(path=str(SHOTS / f"seen-error-{theme}.png"))
    text = error.inner_text()
    assert text.startswith("UNRESOLVED_COLUMN.WITH_SUGGESTION"), text
    assert text.count("UNRESOLVED_COLUMN") == 1, text
