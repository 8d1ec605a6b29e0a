"""A cell with a slow statement among quick ones, as a user sees and saves it in JupyterLab
(headless Chromium) under three Jupyter servers: the plain one; with jupyter-server-documents
as jupyter-ai 3.0 brings it (BERDL's image: the server runs the cells and keeps their
outputs, appending every display update it is sent); and with jupyter-collaboration 4.x.
Each time, while a slow statement runs its progress shows as one bar, never more, and once
the cells have run they show and save exactly their results, with no progress left behind.
Screenshots are kept in .work/screenshots."""

import json
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import WORK
from support.lab import jupyter_lab
from support.notebooks import notebook

pytestmark = pytest.mark.browser

TIMEOUT_MS = 120_000
# The Python of each setup's Jupyter server: the main environment's, or one that
# scripts/test set up from tests/lab-*-requirements.txt.
SETUPS = {
    "plain": None,
    "documents": "KBASE_TEST_LAB_DOCUMENTS",
    "collaboration": "KBASE_TEST_LAB_COLLABORATION",
}


def pause(ms):
    """A statement that runs as a Spark job and sleeps `ms` in its one task."""
    return f"SELECT reflect('java.lang.Thread', 'sleep', CAST({ms} AS BIGINT)) AS slept FROM range(1)"


CELLS = [
    # Three statements, the second slow: its progress rides on the first one's result.
    ("three", f"SELECT 1 AS first_result;\n{pause(6000)};\nSELECT 'three' AS third_result"),
    # One slow statement: its progress is a display of its own.
    ("alone", pause(6000)),
]
# Kinds of the outputs each cell keeps, as on a run where every statement is quick.
KEPT = [["display_data", "display_data", "execute_result"], ["execute_result"]]

# Counts, on every change of the page (and every 50 ms), the outputs of each cell that show a
# progress bar; keeps the largest count and how many samples showed one.
WATCH_BARS = """() => {
  const bars = window.kbaseBars = {most: [0, 0], shown: [0, 0], samples: 0};
  const sample = () => {
    bars.samples += 1;
    document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell').forEach((cell, i) => {
      if (i > 1) return;
      const n = [...cell.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => /tasks \\d+\\/\\d+/.test(o.textContent)).length;
      bars.most[i] = Math.max(bars.most[i], n);
      if (n > 0) bars.shown[i] += 1;
    });
  };
  new MutationObserver(sample).observe(document.body, {subtree: true, childList: true, characterData: true});
  setInterval(sample, 50);
}"""


def python_of(setup):
    variable = SETUPS[setup]
    if variable is None:
        return None
    path = os.environ.get(variable, "")
    if not os.path.isfile(path):
        pytest.fail(f"{variable} does not name the Python of JupyterLab's {setup} environment ({path!r}): run scripts/test")
    return path


def saved_kinds(path):
    cells = json.loads(path.read_text())["cells"]
    return [[o["output_type"] for o in c["outputs"]] for c in cells]


@pytest.mark.parametrize("setup", list(SETUPS))
def test_a_slow_statement_shows_one_bar_and_leaves_only_the_results(setup, tmp_path):
    python = python_of(setup)
    settings = tmp_path / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    # No news or update checks popping up over the notebook.
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    root = tmp_path / "lab"
    root.mkdir()
    saved = root / "slow.ipynb"
    saved.write_text(notebook(CELLS))
    SHOTS.mkdir(parents=True, exist_ok=True)
    extra = {} if python is None else {"python": python}
    # jupyter-collaboration keeps its documents' history in a file of the working directory
    # unless told where.
    args = [f"--SQLiteYStore.db_path={tmp_path / 'ystore.db'}"] if setup == "collaboration" else []
    log = Path(WORK) / f"lab-documents-{setup}.log"
    with jupyter_lab(root, log, *args, JUPYTERLAB_SETTINGS_DIR=str(settings), **extra) as (base, token):
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(TIMEOUT_MS)
                try:
                    run_and_check(page, setup, saved, f"{base}/lab/tree/slow.ipynb?token={token}")
                except Exception:
                    page.screenshot(path=str(SHOTS / f"lab-documents-failed-{setup}.png"))
                    raise
            finally:
                browser.close()


def run_all(page):
    """Runs every cell from the Run menu, and once more should no cell have started: a
    notebook whose document the server keeps may still be connecting its kernel when it
    shows idle (a second run of a queued cell would change none of what is checked)."""
    prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt")
    for _ in range(6):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        deadline = time.time() + 20
        while time.time() < deadline:
            if any(p.strip() not in ("", "[ ]:") for p in prompts.all_inner_texts()):
                return
            time.sleep(0.25)
    raise AssertionError("Run All Cells started no cell")


def run_and_check(page, setup, saved, url):
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    # The notebook's text on screen (under jupyter-server-documents its SQL colouring may
    # come late or not at all: it is not what this test looks at).
    page.locator(".jp-NotebookPanel .jp-Cell").first.locator(".cm-line", has_text="first_result").wait_for()
    page.evaluate(WATCH_BARS)
    run_all(page)
    cells = page.locator(".jp-NotebookPanel .jp-CodeCell")

    # The first cell's slow statement: its progress shows with the first result (the first
    # statement may show progress of its own too, while the session starts).
    riding = cells.nth(0).locator(".jp-OutputArea-output", has_text="first_result").filter(has_text="tasks")
    riding.first.wait_for()
    page.screenshot(path=str(SHOTS / f"lab-documents-{setup}-riding.png"))
    # The second cell's: its own bar.
    cells.nth(1).locator(".jp-OutputArea-output", has_text="tasks").first.wait_for()
    cells.nth(1).scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"lab-documents-{setup}-alone.png"))
    # A result shows as the live grid over its HTML table, kept hidden beneath it.
    cells.nth(1).locator(".jp-OutputArea-output th", has_text="slept").first.wait_for(state="attached")
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']")

    # On screen: exactly the results, no progress.
    for i, kinds in enumerate(KEPT):
        outputs = cells.nth(i).locator(".jp-OutputArea-output")
        assert outputs.count() == len(kinds), (setup, i, [outputs.nth(k).inner_text() for k in range(outputs.count())])
        assert "tasks" not in cells.nth(i).inner_text()
    assert "third_result" in cells.nth(0).text_content()
    page.locator(".jp-NotebookPanel").first.evaluate("e => e.scrollIntoView()")
    page.screenshot(path=str(SHOTS / f"lab-documents-{setup}-done.png"))

    # While each slow statement ran, its progress showed, and never as more than one bar.
    bars = page.evaluate("() => window.kbaseBars")
    assert bars["shown"][0] > 0 and bars["shown"][1] > 0, bars
    assert bars["most"] == [1, 1], bars

    # Saved: exactly the results (jupyter-server-documents saves by itself; the others on
    # Ctrl+S). Waits for the saved file to hold the last results.
    page.keyboard.press("Control+s")
    deadline = time.time() + 60
    while saved_kinds(saved) != KEPT and time.time() < deadline:
        time.sleep(0.5)
    assert saved_kinds(saved) == KEPT, (setup, saved_kinds(saved))
    stored = json.dumps(json.loads(saved.read_text())["cells"])
    assert "tasks" not in stored and "first_result" in stored and "third_result" in stored
