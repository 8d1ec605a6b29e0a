"""The live grid's JupyterLab extension as a researcher meets it, in JupyterLab in headless
Chromium with the extension as the wheel carries it (scripts/test puts the built extension
where the wheel's data files put it, on the suite's Jupyter path): JupyterLab loads it; a
result stored in a notebook keeps exactly its table, and in a trusted notebook with a live
kernel says it is from an earlier session with a button that runs its cell again; an
untrusted notebook keeps JupyterLab's own rendering; the saved notebook never holds what
makes a result live. Screenshots in the light and dark themes are kept in .work/screenshots."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
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
    page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output table").first.wait_for()
    page.screenshot(path=str(SHOTS / f"grid-ran-again-{theme}.png"))

    # Saved: what made the result live is never in the file.
    page.locator(".jp-NotebookPanel:visible .jp-NotebookPanel-notebook").click()
    page.keyboard.press("Control+s")
    deadline = time.time() + 60
    while nbformat.read(str(root / "stored.ipynb"), as_version=4).cells[0].execution_count != 1:
        assert time.time() < deadline, "JupyterLab did not save the notebook"
        page.wait_for_timeout(250)
