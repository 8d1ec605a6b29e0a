"""The live grid's JupyterLab extension as a researcher meets it, in JupyterLab in headless
Chromium with the extension as the wheel carries it (scripts/test puts the built extension
where the wheel's data files put it, on the suite's Jupyter path): JupyterLab loads it; a
result stored in a notebook keeps exactly its table, and in a trusted notebook with a live
kernel says it is from an earlier session with a button that runs its cell again (then it
is a live grid); an
untrusted notebook keeps JupyterLab's own rendering; the saved notebook never holds what
makes a result live. A live 10,000,000-row result with names holding a space, a backtick and
non-ASCII letters is a grid over every row: counted by Spark, sorted by a header click (again
to reverse; Spark's ORDER BY … LIMIT, NULLs first ascending), dragged to its middle (the rows in view
checked against Spark's), filtered by a range (a value of the wrong type refused in the grid),
searched; values read back by copying cells. A trillion-row result's first page waits on its
pin until the stop button stops it; the grid says so and then shows rows computed from the
query. After a kernel restart both say their results are from an earlier session. Screenshots in the light and dark themes are kept in .work/screenshots."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import WORK, environment
from support.kernel import KERNEL_NAME
from support.lab import jupyter_lab
from support.notebooks import code_notebook

pytestmark = pytest.mark.browser

TIMEOUT_MS = 180_000
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
EXTENSION = "kbase-spark-sql-grid"
# Names with a space, a backtick and non-ASCII letters, NULLs, numbers and dates.
QUERY = (
    "SELECT id, concat('Genome ', CAST(id AS STRING)) AS `genome name`, "
    "IF(id % 3 = 0, NULL, id * 1.5D) AS `a``b`, DATE'2020-01-01' + CAST(id AS INT) AS `Größe é` "
    "FROM range(25)"
)
EARLIER = "This result is from an earlier kernel session"


def stored_notebook(path):
    """A notebook whose cell ran in an earlier kernel session: its result is stored."""
    nb = code_notebook([QUERY])
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=180).execute()
    # As if it were the session's seventh cell: the run in this session is [1].
    nb.cells[0].execution_count = nb.cells[0].outputs[0]["execution_count"] = 7
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "KBase Spark SQL", "language": "sql"}
    nbformat.write(nb, str(path))
    return nb


def lab_settings(root, theme):
    settings = root / "settings"
    for ext in ("apputils-extension", "notebook-extension"):
        (settings / "@jupyterlab" / ext).mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings").write_text(
        json.dumps({"theme": THEMES[theme]})
    )
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    return settings


def open_notebook(page, base, token, name):
    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output table").first.wait_for()
    if page.locator("#jp-left-stack:visible").count():
        page.keyboard.press("Control+b")


def table_text(page):
    """Every heading and value of the first result table, in order."""
    return page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output table").first.evaluate(
        "t => [...t.querySelectorAll('th, td')].map(e => e.textContent)")


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_a_stored_result_keeps_its_table_and_offers_to_run_its_cell_again(tmp_path, theme):
    root = tmp_path / "lab"
    root.mkdir()
    stored = stored_notebook(root / "stored.ipynb")
    # Trust goes by content: the untrusted copy differs from the signed one by its title.
    stored.metadata["title"] = "untrusted copy"
    nbformat.write(stored, str(root / "untrusted.ipynb"))
    del stored.metadata["title"]
    # Only the trusted copy may use the extension's (unsafe) renderer, as for any notebook.
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(root / "stored.ipynb")], check=True,
                   env=environment(), capture_output=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with jupyter_lab(root, Path(WORK) / f"lab-grid-{theme}.log",
                     JUPYTERLAB_SETTINGS_DIR=str(lab_settings(tmp_path, theme)),
                     # A workspace of its own: no tab of another run comes back.
                     JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces")) as (base, token):
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(TIMEOUT_MS)
                try:
                    look(page, base, token, theme, root)
                except Exception:
                    page.screenshot(path=str(SHOTS / f"grid-failed-{theme}.png"))
                    raise
            finally:
                browser.close()
    saved = (root / "stored.ipynb").read_text()
    assert "kbase_spark_grid" not in saved and "transient" not in saved
    again = nbformat.reads(saved, as_version=4)
    (output,) = again.cells[0].outputs
    assert output["data"]["text/html"] == stored.cells[0].outputs[0]["data"]["text/html"]
    assert again.cells[0].execution_count == 1


def look(page, base, token, theme, root):
    """What the person does and sees, in one theme."""

    # Untrusted: JupyterLab's own HTML rendering, nothing of the extension.
    open_notebook(page, base, token, "untrusted.ipynb")
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert EXTENSION in [e["name"] for e in config["federated_extensions"]]
    plain = table_text(page)
    assert page.locator(".jp-NotebookPanel:visible .kbase-result").count() == 0
    assert all(any(t.strip().startswith(w) for t in plain) for w in ("genome name", "a`b", "Größe é", "NULL", "Genome 24"))

    # Trusted, with a live kernel: the same table, and a note with a button.
    open_notebook(page, base, token, "stored.ipynb")
    note = page.locator(".jp-NotebookPanel:visible .kbase-result-earlier")
    note.wait_for()
    assert EARLIER in note.inner_text()
    assert table_text(page) == plain
    # Where JupyterLab puts an output's table: on the left, as in the untrusted notebook.
    table = page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output table").first
    assert table.evaluate("t => getComputedStyle(t).marginLeft") == "0px"
    page.screenshot(path=str(SHOTS / f"grid-stored-{theme}.png"))

    prompt = page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputArea-prompt").first
    assert prompt.inner_text().startswith("[7]")
    note.get_by_role("button", name="Run the cell again").click()
    page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputArea-prompt").filter(
        has_text=re.compile(r"\[1\]")).first.wait_for()
    page.wait_for_selector(
        ".jp-NotebookPanel:visible .jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    # Run in this session, the result is live: a grid over all of it.
    page.locator(".jp-NotebookPanel:visible .kbase-grid-status").filter(has_text="of 25").wait_for()
    assert page.locator(".jp-NotebookPanel:visible .kbase-result-earlier").count() == 0
    page.screenshot(path=str(SHOTS / f"grid-ran-again-{theme}.png"))

    # Saved: what made the result live is never in the file.
    page.locator(".jp-NotebookPanel:visible .jp-NotebookPanel-notebook").click()
    page.keyboard.press("Control+s")
    deadline = time.time() + 60
    while nbformat.read(str(root / "stored.ipynb"), as_version=4).cells[0].execution_count != 1:
        assert time.time() < deadline, "JupyterLab did not save the notebook"
        page.wait_for_timeout(250)


BIG = (
    "CREATE OR REPLACE TEMP VIEW big AS SELECT id, concat('Genome ', CAST(id AS STRING)) AS `genome name`, "
    "IF(id % 3 = 0, NULL, id * 1.5D) AS `a``b`, DATE'2020-01-01' + CAST(id % 3000 AS INT) AS `Größe é` "
    "FROM range(10000000);\nSELECT * FROM big"
)
# A result too large to pin (a trillion rows): its grid's first page waits on the pin.
HUGE = "SELECT id FROM range(0, 1000000000000)"
# The grid's geometry (labextension/src/grid.ts): row numbers 80 px wide, columns 140 px,
# rows 22 px, two header rows.
ROW_HEADER, COLUMN, ROW = 80, 140, 22


def grid_at(page, n=0):
    """The n-th live grid of the notebook shown."""
    return page.locator(".jp-NotebookPanel:visible .kbase-grid").nth(n)


def status_is(grid, pattern):
    grid.locator(".kbase-grid-status").filter(has_text=re.compile(pattern)).wait_for()


def first_shown(grid):
    """The first row in view (1-based) as the status line says."""
    return int(grid.locator(".kbase-grid-status").inner_text().split("–")[0].removeprefix("rows ").replace(",", ""))


def copied_column(page, grid, column, rows):
    """Selects the first `rows` cells in view of `column` as a person does and copies them,
    once their page has come (a cell still on its way is copied as nothing)."""
    table = grid.locator(".kbase-grid-table")
    deadline = time.time() + TIMEOUT_MS / 1000
    # The click is placed on the table where it is when clicked (Playwright waits for it to
    # be in view and still); JupyterLab may scroll the notebook as the cell becomes active.
    first = {"x": ROW_HEADER + COLUMN * column + COLUMN / 2, "y": 2 * ROW + ROW / 2}
    while True:
        page.evaluate("navigator.clipboard.writeText('')")
        table.click(position=first)
        # The selection grows by keys from the cell clicked, so it is `rows` cells however
        # the notebook moved.
        for _ in range(rows - 1):
            page.keyboard.press("Shift+ArrowDown")
        page.keyboard.press("Control+c")
        page.wait_for_function("async () => (await navigator.clipboard.readText()).length > 0")
        values = page.evaluate("navigator.clipboard.readText()").split("\n")
        if all(values) or time.time() > deadline:
            return values
        page.wait_for_timeout(500)


def drag_to_the_middle(page, grid):
    """Drags the grid's vertical scroll bar's thumb to the middle of its track."""
    bar = grid.locator(".lm-ScrollBar[data-orientation='vertical']")
    track = bar.locator(".lm-ScrollBar-track").bounding_box()
    thumb = bar.locator(".lm-ScrollBar-thumb").bounding_box()
    x = thumb["x"] + thumb["width"] / 2
    page.mouse.move(x, thumb["y"] + thumb["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, track["y"] + track["height"] / 2, steps=8)
    page.mouse.up()


def test_a_live_result_is_a_grid_over_all_ten_million_rows(tmp_path, spark):
    root = tmp_path / "lab"
    root.mkdir()
    (root / "big.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": KERNEL_NAME, "display_name": "KBase Spark SQL", "language": "sql"}},
        "cells": [{"cell_type": "code", "id": "big", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": BIG},
                  {"cell_type": "code", "id": "huge", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": HUGE}],
    }))
    theme = "light"
    with jupyter_lab(root, Path(WORK) / "lab-grid-live.log",
                     JUPYTERLAB_SETTINGS_DIR=str(lab_settings(tmp_path, theme)),
                     JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces")) as (base, token):
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                try:
                    explore(page, base, token, spark)
                except Exception:
                    page.screenshot(path=str(SHOTS / "grid-live-failed.png"))
                    raise
            finally:
                browser.close()
    saved = (root / "big.ipynb").read_text()
    assert "kbase_spark_grid" not in saved


def explore(page, base, token, spark):
    page.goto(f"{base}/lab/tree/big.ipynb?token={token}")
    page.wait_for_selector(
        ".jp-NotebookPanel:visible .jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    page.locator(".jp-NotebookPanel:visible .jp-CodeCell .cm-line span").first.wait_for()
    if page.locator("#jp-left-stack:visible").count():
        page.keyboard.press("Control+b")
    page.locator(".jp-NotebookPanel:visible .jp-CodeCell .cm-content").first.click()
    page.keyboard.press("Control+Enter")

    # The whole result, counted by Spark; the first rows as Spark has them.
    grid = grid_at(page)
    status_is(grid, r"^rows 1–\d+ of 10,000,000$")
    first = copied_column(page, grid, 1, 3)
    assert first == ["Genome 0", "Genome 1", "Genome 2"]
    page.screenshot(path=str(SHOTS / "grid-live-light.png"))

    # Dragged to the middle: the rows in view are Spark's rows there.
    query = BIG.split(";")[0].replace("CREATE OR REPLACE TEMP VIEW big AS ", "")
    drag_to_the_middle(page, grid)
    status_is(grid, r"^rows [4-6],\d{3},\d{3}–")
    middle = copied_column(page, grid, 1, 3)
    at = first_shown(grid) - 1
    # The first row in view may be cut by the header: the cells copied start at it or the next.
    want = [r[1] for r in spark.sql(query).offset(at).limit(4).collect()]
    assert middle in (want[:3], want[1:]), (at, middle, want)
    page.screenshot(path=str(SHOTS / "grid-live-middle-light.png"))

    # Sorted descending by `a``b` (a second click reverses): Spark's ORDER BY … LIMIT, NULLs last.
    box = grid.locator(".kbase-grid-table").bounding_box()
    header = (box["x"] + ROW_HEADER + COLUMN * 2 + COLUMN / 2, box["y"] + ROW / 2)
    page.mouse.click(*header)
    page.mouse.click(*header)
    status_is(grid, r"^rows 1–\d+ of 10,000,000$")
    want = [r[2] for r in spark.sql(f"{query} ORDER BY `a``b` DESC NULLS LAST LIMIT 3").collect()]
    got = copied_column(page, grid, 2, 3)
    assert [float(v) for v in got] == [float(v) for v in want]

    # Ascending: Spark puts NULLs first.
    page.mouse.click(*header)
    status_is(grid, r"of 10,000,000$")
    assert copied_column(page, grid, 2, 2) == ["NULL", "NULL"]

    # A range filter on id, counted by Spark; a value of the wrong type is refused in the grid.
    grid.locator(".kbase-grid-filter-column").select_option("0")
    grid.locator(".kbase-grid-filter-low").fill("ten")
    grid.locator(".kbase-grid-filter-add").click()
    assert "not a number" in grid.locator(".kbase-grid-error").inner_text()
    grid.locator(".kbase-grid-filter-low").fill("100")
    grid.locator(".kbase-grid-filter-high").fill("199")
    grid.locator(".kbase-grid-filter-add").click()
    status_is(grid, r"of 100$")

    # A search over the text columns, within the filter.
    grid.locator(".kbase-grid-search").fill("genome 15")
    page.keyboard.press("Enter")
    status_is(grid, r"^rows 1–10 of 10$")
    assert all(v.startswith("Genome 15") for v in copied_column(page, grid, 1, 10))
    page.screenshot(path=str(SHOTS / "grid-live-filtered-light.png"))

    # A result too large to pin: its first page waits on the pin, and the stop button stops
    # it on the server; the grid says so, and then shows the rows computed from the query.
    page.locator(".jp-NotebookPanel:visible .jp-CodeCell .cm-content").nth(1).click()
    page.keyboard.press("Control+Enter")
    huge = grid_at(page, 1)
    status_is(huge, r"counting")
    stopped = huge.locator(".kbase-grid-error").filter(has_text="Stopped: the kernel was interrupted.")
    deadline = time.time() + TIMEOUT_MS / 1000
    while not stopped.count():
        # Should the stop reach the kernel before the grid's first request, the person
        # presses it again.
        assert time.time() < deadline, "the stop button did not stop the grid's first page"
        page.click("text=Kernel")
        page.click("text=Interrupt Kernel")
        try:
            stopped.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            pass
    status_is(huge, r"of at least 1,000$")
    page.screenshot(path=str(SHOTS / "grid-live-stopped-light.png"))
    # The rows computed from the query: three consecutive ids from the first shown (the
    # click may land a row lower should the notebook scroll as the cell becomes active).
    copied = copied_column(page, huge, 0, 3)
    assert copied in (["0", "1", "2"], ["1", "2", "3"]), copied
    page.screenshot(path=str(SHOTS / "grid-live-asked-again-light.png"))

    # After a restart of the kernel the grids say their results are from an earlier session.
    page.click("text=Kernel")
    page.click("text=Restart Kernel…")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    notes = page.locator(".jp-NotebookPanel:visible .kbase-result-earlier")
    notes.nth(1).wait_for()
    assert all("earlier kernel session" in t for t in notes.all_inner_texts())
    assert page.locator(".jp-NotebookPanel:visible .kbase-grid").count() == 0
    page.screenshot(path=str(SHOTS / "grid-live-restarted-light.png"))
