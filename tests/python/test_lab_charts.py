"""Charts and profiles as a user sees them in JupyterLab (headless Chromium), light and dark:
every chart kind and the profile are run in a notebook, and each must render (vega draws an
<svg> or <canvas>; the profile's table carries its inline histograms) with no error shown.
Screenshots of each, in both themes, are kept in .work/screenshots."""

import json
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import WORK
from support.lab import jupyter_lab
from support.notebooks import notebook

pytestmark = pytest.mark.browser

TIMEOUT_MS = 180_000
DATA = (
    "SELECT id, concat('site ', CAST(id % 7 AS STRING)) AS site, "
    "CAST(id % 97 + (id % 60) * (id % 7) AS DOUBLE) AS reads, "
    "(id % 13) * 1.5D + (id % 7) * (id % 60) / 10D AS depth, DATE'2024-01-01' + CAST(id % 60 AS INT) AS day "
    "FROM range(20000)"
)
CELLS = {
    "bar": f"%chart bar x=site y=reads,depth agg=avg\n{DATA}",
    "line": f"%chart line x=day y=reads color=site agg=sum\n{DATA}",
    "area": f"%chart area x=day y=depth agg=max\n{DATA}",
    "scatter": f"%chart scatter x=reads y=depth color=site\n{DATA}",
    "histogram": f"%chart histogram x=reads bins=25\n{DATA}",
    "profile": f"%profile\n{DATA}",
}
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a notebook of one cell per chart kind; yields (url, api, token)."""
    root = tmp_path_factory.mktemp("lab-charts")
    for theme in THEMES:
        (root / f"charts-{theme}.ipynb").write_text(notebook(CELLS.items()))
    settings = tmp_path_factory.mktemp("lab-settings")
    with jupyter_lab(root, Path(WORK) / "lab-charts.log", f"--LabApp.user_settings_dir={settings}") as lab:
        yield lab


def put_setting(url, token, plugin, values):
    body = json.dumps({"raw": json.dumps(values)}).encode()
    request = urllib.request.Request(
        f"{url}/lab/api/settings/{plugin}?token={token}",
        data=body, method="PUT", headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10)


@pytest.mark.parametrize("theme", list(THEMES))
def test_every_chart_kind_and_the_profile_render(lab, theme):
    url, token = lab
    put_setting(url, token, "@jupyterlab/apputils-extension:themes", {"theme": THEMES[theme]})
    # Every cell in the page (no windowing), and no news pop-up over the outputs.
    put_setting(url, token, "@jupyterlab/notebook-extension:tracker", {"windowingMode": "none"})
    put_setting(url, token, "@jupyterlab/apputils-extension:notification", {"fetchNews": "false"})
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            problems = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.set_default_timeout(TIMEOUT_MS)
            # A workspace of its own per theme, so only this notebook is open.
            page.goto(f"{url}/lab/workspaces/{theme}/tree/charts-{theme}.ipynb?token={token}")
            page.wait_for_function(
                f"document.body.dataset.jpThemeLight === '{'true' if theme == 'light' else 'false'}'"
            )
            page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
            cells = page.locator(".jp-NotebookPanel:visible .jp-CodeCell")
            cells.nth(len(CELLS) - 1).locator(".cm-content").wait_for()
            assert cells.count() == len(CELLS)
            # The file browser closed, for the outputs' width.
            if page.locator("#jp-left-stack:visible").count():
                page.keyboard.press("Control+b")
            page.locator(".jp-NotebookPanel-toolbar .jp-KernelStatus, .jp-NotebookPanel-toolbar").first.wait_for()
            page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
            page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
            page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
            for i, kind in enumerate(CELLS):
                cell = cells.nth(i)
                # Done when the cell has its execution count and no progress display is left.
                cell.locator(".jp-InputArea-prompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for()
                outputs = cell.locator(".jp-OutputArea-output")
                if kind == "profile":
                    outputs.locator("table.kbase-profile svg rect").first.wait_for()
                    assert outputs.locator("table.kbase-profile tbody tr").count() == 5
                    cell.locator("table.kbase-profile").scroll_into_view_if_needed()
                else:
                    try:
                        outputs.locator(".vega-embed canvas, .vega-embed svg.marks").first.wait_for()
                    except Exception:
                        page.screenshot(path=str(SHOTS / f"chart-{kind}-{theme}-failed.png"), full_page=True)
                        raise AssertionError(f"the {kind} chart did not render: {problems}")
                assert cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0, kind
                assert cell.locator(".jp-OutputArea-output:has-text('Error')").count() == 0, kind
                cell.scroll_into_view_if_needed()
                page.wait_for_timeout(300)
                cell.screenshot(path=str(SHOTS / f"chart-{kind}-{theme}.png"))
            page.screenshot(path=str(SHOTS / f"charts-{theme}.png"), full_page=True)
        finally:
            browser.close()
