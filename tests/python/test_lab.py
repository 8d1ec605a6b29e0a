"""Typing help as a user meets it in JupyterLab (headless Chromium): Spark SQL coloured by
the kernel's language_info, Tab offering the catalog's tables and columns with their kinds,
Shift+Tab showing a function's whole description. Screenshots are kept in
.work/screenshots."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import WORK
from support.kernel import execute, start_kernel
from support.lab import jupyter_lab
from support.notebooks import notebook

pytestmark = pytest.mark.browser

DB = "kbase_lab_typing"
TIMEOUT_MS = 60_000
HIGHLIGHTED = (
    "-- samples deeper than 100 m\n"
    "SELECT s.sample_id, `s`.site.site_name, \"deep\" AS label, r'C:\\data' AS path /* raw */\n"
    f"FROM {DB}.samples s WHERE s.depth_m > 100;"
)


@pytest.fixture(scope="module")
def catalog():
    """A database with a table of nested columns and a view, made through a kernel of its
    own (the catalog is the server's, shared by every session)."""
    km, kc = start_kernel()
    for code in [
        f"DROP DATABASE IF EXISTS {DB} CASCADE",
        f"CREATE DATABASE {DB}",
        f"CREATE TABLE {DB}.samples (sample_id BIGINT, depth_m DOUBLE, "
        "site STRUCT<site_name: STRING, location: STRUCT<lat: DOUBLE, lon: DOUBLE>>) USING parquet",
        f"CREATE VIEW {DB}.deep_samples AS SELECT * FROM {DB}.samples WHERE depth_m > 100",
    ]:
        reply, _ = execute(kc, code)
        assert reply["status"] == "ok", (code, reply)
    yield
    execute(kc, f"DROP DATABASE IF EXISTS {DB} CASCADE")
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, catalog):
    """JupyterLab serving a notebook on the kernel; yields its URL."""
    root = tmp_path_factory.mktemp("lab")
    (root / "typing.ipynb").write_text(notebook([("c1", HIGHLIGHTED)]))
    with jupyter_lab(root, Path(WORK) / "lab-typing.log") as (url, token):
        yield f"{url}/lab/tree/typing.ipynb?token={token}"


@pytest.fixture(scope="module")
def page(lab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(lab)
        toolbar = ".jp-NotebookPanel-toolbar"
        page.wait_for_selector(f"{toolbar} .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
        # The editor is ready once the highlighter has coloured the first cell.
        page.locator(".jp-NotebookPanel .jp-Cell").first.locator(".cm-line span").first.wait_for()
        yield page
        browser.close()


def new_cell(page, text):
    """Adds a cell below the last one and types `text` into it."""
    page.locator(".jp-NotebookPanel .jp-Cell").last.locator(".cm-content").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(text)


def tab(page):
    """Presses Tab until the completer shows: a completion waits at most a second for the
    catalog, which a cold server may not answer in time (its answer is then cached)."""
    for _ in range(10):
        page.keyboard.press("Tab")
        try:
            page.wait_for_selector(".jp-Completer .jp-Completer-item", timeout=3000)
            return
        except Exception:
            page.keyboard.press("Escape")
            page.keyboard.press("Enter")  # back into the cell's editor
            page.keyboard.press("Control+End")
    raise AssertionError("no completions")


def completer_items(page):
    """The completer's items from the kernel (JupyterLab adds words of the notebook, with no
    kind; those are left out)."""
    page.wait_for_selector(".jp-Completer .jp-Completer-item")
    items = page.locator(".jp-Completer .jp-Completer-item")
    out = []
    for i in range(items.count()):
        item = items.nth(i)
        kind = item.locator(".jp-Completer-typeExtended")
        if kind.count() and kind.inner_text():
            # A column's kind holds a no-break space, so the popup keeps it on one line.
            out.append((item.locator(".jp-Completer-match").inner_text(), kind.inner_text().replace("\xa0", " ")))
    return out


def test_spark_sql_is_coloured(page):
    cell = page.locator(".jp-NotebookPanel .jp-Cell").first
    # The highlighter loads after the notebook shows. Comments, strings and quoted names
    # then each get a highlighting span of their own.
    cell.locator(".cm-line span").first.wait_for()
    spans = cell.locator(".cm-line span")
    assert spans.count() >= 6
    comment_class = cell.locator(".cm-line span:has-text('-- samples deeper')").first.get_attribute("class")
    string_class = cell.locator(".cm-line span:has-text('\"deep\"')").first.get_attribute("class")
    assert comment_class and string_class and comment_class != string_class
    cell.screenshot(path=str(SHOTS / "lab-highlighting.png"))


def test_tab_offers_tables_then_columns_with_their_kinds(page):
    new_cell(page, f"SELECT * FROM {DB}.")
    tab(page)
    items = completer_items(page)
    assert ("deep_samples", "view") in items and ("samples", "table") in items
    page.screenshot(path=str(SHOTS / "lab-complete-tables.png"))
    page.keyboard.press("Escape")
    new_cell(page, f"SELECT * FROM {DB}.samples s WHERE s.")
    tab(page)
    items = completer_items(page)
    page.screenshot(path=str(SHOTS / "lab-complete-columns.png"))
    assert items[:3] == [
        ("sample_id", "column: bigint"),
        ("depth_m", "column: double"),
        ("site", "column: struct<site_name:string…"),
    ]
    page.screenshot(path=str(SHOTS / "lab-complete-columns.png"))
    page.keyboard.press("Escape")
    new_cell(page, f"SELECT * FROM {DB}.samples WHERE site.location.l")
    tab(page)
    assert completer_items(page) == [("lat", "column: double"), ("lon", "column: double")]
    page.keyboard.press("Escape")


def test_shift_tab_shows_a_functions_whole_description(page):
    new_cell(page, "SELECT regexp_extract")
    page.keyboard.press("Shift+Tab")
    tooltip = page.wait_for_selector(".jp-Tooltip")
    text = tooltip.inner_text()
    assert "Arguments:" in text and "Examples:" in text
    page.screenshot(path=str(SHOTS / "lab-inspect-function.png"))
    page.keyboard.press("Escape")

