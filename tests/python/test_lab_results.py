"""Results as a user sees them in JupyterLab (headless Chromium), in the light and the dark
theme: an EXPLAIN reads as a plan, line by line; a 1,000-row result shows all its rows in
text that stands out from the background, and the saved notebook stays light. Screenshots
are kept in .work/screenshots."""

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import WORK
from support.lab import jupyter_lab, without_the_grid
from support.notebooks import notebook

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
PLAN = "EXPLAIN FORMATTED SELECT id % 10 AS g, count(*) AS n FROM range(100) GROUP BY id % 10"
ROWS = (
    "%limit 1000\n"
    "SELECT id, id * 1.5D AS d, CAST(id AS DECIMAL(12,2)) AS dec, concat('name-', id) AS s, "
    "CASE WHEN id % 3 = 0 THEN NULL ELSE id % 7 END AS maybe, DATE'2024-01-01' + CAST(id AS INT) AS day, "
    "TIMESTAMP'2024-01-01 00:00:00' + make_interval(0,0,0,0,0,0,id) AS ts, id % 2 = 0 AS even, "
    "array(id, id+1) AS arr, repeat('x', CAST(id % 20 AS INT)) AS pad FROM range(1000)"
)
# A quick statement, then a slow one: the slow one's progress shows below the quick one's
# result while it runs, and goes when it ends.
SLOW = "SELECT 1 AS quick;\nSELECT reflect('java.lang.Thread', 'sleep', CAST(4000 AS BIGINT)) AS slept FROM range(1)"
# The HTML of this result, as the notebook stored it before the tables were made light.
OLD_HTML_BYTES = 1_606_499
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgb(css):
    """(r, g, b) of a computed CSS colour such as `rgb(1, 2, 3)` or `rgba(1, 2, 3, 1)`."""
    return tuple(int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


@pytest.fixture(params=sorted(THEMES))
def shown(request, tmp_path):
    """A notebook of a plan and a 1,000-row result, run and saved in JupyterLab in one theme;
    yields (theme, page, path of the saved notebook)."""
    theme = request.param
    settings = tmp_path / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings").write_text(
        json.dumps({"theme": THEMES[theme]})
    )
    # No news or update checks popping up over the notebook.
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    root = tmp_path / "lab"
    root.mkdir()
    (root / "results.ipynb").write_text(notebook((f"c{i}", code) for i, code in enumerate([PLAN, ROWS, SLOW])))
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = Path(WORK) / f"lab-results-{theme}.log"
    # The result's HTML table, as JupyterLab shows it where the live grid is not installed.
    no_grid = without_the_grid(tmp_path / "config")
    with jupyter_lab(root, log, JUPYTERLAB_SETTINGS_DIR=str(settings), **no_grid) as (base, token):
        url = f"{base}/lab/tree/results.ipynb?token={token}"
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(TIMEOUT_MS)
                try:
                    run_and_save(page, root, url, theme)
                except Exception:
                    page.screenshot(path=str(SHOTS / f"lab-results-failed-{theme}.png"))
                    raise
                yield theme, page, root / "results.ipynb"
            finally:
                browser.close()


def run_and_save(page, root, url, theme):
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    page.locator(".jp-NotebookPanel .jp-Cell").first.locator(".cm-line span").first.wait_for()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
    cells.nth(0).locator(".jp-OutputArea-output pre").first.wait_for(state="attached")
    cells.nth(1).locator(".jp-OutputArea-output table tbody tr").nth(999).wait_for(state="attached")
    slow = cells.nth(2)
    # While the slow statement runs, its progress shows with the quick one's result.
    riding = slow.locator(".jp-OutputArea-output", has_text="tasks")
    riding.first.wait_for()
    riding.first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"lab-results-progress-{theme}.png"))
    assert "quick" in riding.first.inner_text()
    slow.locator(".jp-OutputArea-output th", has_text="slept").first.wait_for()
    page.keyboard.press("Control+s")
    # Saved once the document is no longer marked dirty.
    page.wait_for_selector(".jp-NotebookPanel:not(.jp-mod-dirty)", state="attached")
    deadline = time.time() + 30
    while '"outputs": []' in (root / "results.ipynb").read_text() and time.time() < deadline:
        time.sleep(0.5)


def test_a_plan_reads_line_by_line_and_a_1000_row_result_shows_in_full(shown):
    theme, page, saved = shown
    cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
    plan = cells.nth(0).locator(".jp-OutputArea-output").first
    plan.locator("pre").first.wait_for()
    plan.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"lab-results-plan-{theme}.png"))
    pre = plan.locator("pre").first
    text = pre.inner_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert "== Physical Plan ==" in lines, text
    assert len(lines) >= 8, text
    # Shown as separate lines: the block is as tall as its lines, not one long line.
    height = pre.evaluate("e => e.getBoundingClientRect().height")
    line_height = pre.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 16")
    assert height >= 6 * line_height, (height, line_height)

    table = cells.nth(1).locator(".jp-OutputArea-output table").first
    assert table.locator("tbody tr").count() == 1000
    assert table.locator("thead th").count() >= 10
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"lab-results-table-{theme}.png"))
    # The table's text stands out from what is behind it, in either theme.
    cell = table.locator("tbody tr").first.locator("td").nth(3)
    colour = rgb(cell.evaluate("e => getComputedStyle(e).color"))
    background = rgb(
        cell.evaluate(
            """e => { for (let n = e; n; n = n.parentElement) {
                 const c = getComputedStyle(n).backgroundColor;
                 if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c; }
               return getComputedStyle(document.body).backgroundColor; }"""
        )
    )
    assert contrast(colour, background) >= 4.5, (theme, colour, background)
    if theme == "dark":
        assert luminance(background) < 0.2, background

    # The saved notebook holds the whole result at a fraction of the old HTML's bytes.
    stored = json.loads(saved.read_text())["cells"][1]["outputs"]
    (result,) = [o for o in stored if o["output_type"] == "execute_result"]
    html = "".join(result["data"]["text/html"]).encode()
    assert html.count(b"<tr") == 1001, html.count(b"<tr")
    assert len(html) * 4 < OLD_HTML_BYTES, len(html)
    assert len(json.dumps(stored).encode()) < OLD_HTML_BYTES / 2, len(json.dumps(stored))

    # The slow statement's progress has gone, on screen and in the saved notebook.
    slow = cells.nth(2).locator(".jp-OutputArea-output")
    assert slow.count() == 2 and "tasks" not in cells.nth(2).inner_text()
    kept = json.loads(saved.read_text())["cells"][2]["outputs"]
    assert [o["output_type"] for o in kept] == ["display_data", "execute_result"]
    assert "tasks" not in json.dumps(kept)
