"""%analyze as a user sees it in JupyterLab (headless Chromium), light and dark: the plan's
tree renders with its flags, and an operator's details open to every metric Spark reported.
Screenshots of each theme are kept in .work/screenshots."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import WORK
from support.lab import jupyter_lab
from support.notebooks import notebook
from test_lab_charts import put_setting

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000
CELLS = {
    "analyze": "%analyze\n%limit 5\nSELECT count(*) AS n FROM range(20000) a JOIN range(20000) b ON a.id % 10 = b.id % 10",
}
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-analyze")
    for theme in THEMES:
        (root / f"analyze-{theme}.ipynb").write_text(notebook(CELLS.items()))
    settings = tmp_path_factory.mktemp("lab-settings")
    with jupyter_lab(root, Path(WORK) / "lab-analyze.log", f"--LabApp.user_settings_dir={settings}") as lab:
        yield lab


@pytest.mark.parametrize("theme", list(THEMES))
def test_the_analysis_renders_in_both_themes(lab, theme):
    url, token = lab
    put_setting(url, token, "@jupyterlab/apputils-extension:themes", {"theme": THEMES[theme]})
    put_setting(url, token, "@jupyterlab/notebook-extension:tracker", {"windowingMode": "none"})
    put_setting(url, token, "@jupyterlab/apputils-extension:notification", {"fetchNews": "false"})
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{url}/lab/workspaces/analyze-{theme}/tree/analyze-{theme}.ipynb?token={token}")
            page.wait_for_function(
                f"document.body.dataset.jpThemeLight === '{'true' if theme == 'light' else 'false'}'"
            )
            page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
            cell = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").first
            cell.locator(".cm-content").wait_for()
            if page.locator("#jp-left-stack:visible").count():
                page.keyboard.press("Control+b")
            page.locator(".jp-NotebookPanel-toolbar .jp-KernelStatus, .jp-NotebookPanel-toolbar").first.wait_for()
            page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
            cell.locator(".cm-content").click()
            page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
            page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
            try:
                cell.locator(".jp-InputArea-prompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for()
            except Exception:
                page.screenshot(path=str(SHOTS / f"analyze-{theme}-failed.png"), full_page=True)
                raise
            table = cell.locator("table.kbase-analyze")
            table.wait_for()
            assert cell.locator(".kbase-analyze-flag").filter(has_text="exploding join").count() == 1
            assert table.locator("tbody tr").count() >= 4
            # The flagged join's details open to its metrics.
            join = table.locator("tbody tr").filter(has_text="BroadcastHashJoin").first
            join.locator("summary").click()
            assert "number of output rows: 40,000,000" in join.locator("pre").inner_text()
            assert "number of output rows" in (join.get_attribute("title") or "")
            assert cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            table.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            cell.screenshot(path=str(SHOTS / f"analyze-{theme}.png"))
        finally:
            browser.close()
