"""The browser's memory while a person scrolls a live grid through a 10-million-row result,
beside JupyterLab showing the same result's 1,000-row HTML table without the grid: the grid
holds only the pages near its view, so its JavaScript heap stays flat wherever it scrolls.
Drags the grid's scroll bar to STEPS places from top to bottom, waits at each for the rows
in view to arrive, and prints Chromium's JavaScript heap (after a garbage collection) and
the DOM's node count at each tenth. Asserts nothing.

Needs SPARK_REMOTE, the kernelspec and the built extension on JUPYTER_PATH (as scripts/test
sets them up). Run:
    .venv/bin/python benchmarks/grid_browser.py
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "python"))
from support.browser import launch_chromium  # noqa: E402
from support.lab import jupyter_lab  # noqa: E402

ROWS = int(os.environ.get("BENCH_GRID_ROWS", "10000000"))
STEPS = int(os.environ.get("BENCH_GRID_STEPS", "40"))
QUERY = (
    "SELECT id, concat('Genome ', CAST(id AS STRING)) AS genome, id * 1.5D AS size, "
    f"DATE'2020-01-01' + CAST(id % 3000 AS INT) AS released FROM range({ROWS})"
)


def heap_mb(cdp):
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 1e6, int(metrics["Nodes"])


def measure(grid):
    root = Path(tempfile.mkdtemp())
    (root / "bench.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "kbase-spark-sql", "display_name": "KBase Spark SQL", "language": "sql"}},
        "cells": [{"cell_type": "code", "id": "q", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": QUERY}],
    }))
    # Without the extension JupyterLab shows the HTML table: the same result, 1,000 rows.
    env = {} if grid else {"JUPYTER_PATH": os.environ.get("JUPYTER_PATH", "") + "-without-grid"}
    if not grid:
        plain = Path(env["JUPYTER_PATH"])
        (plain / "kernels").mkdir(parents=True, exist_ok=True)
        os.system(f"cp -r {os.environ['JUPYTER_PATH']}/kernels/* {plain}/kernels/")
    with jupyter_lab(root, root / "lab.log", JUPYTERLAB_WORKSPACES_DIR=str(root / "ws"), **env) as (base, token):
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(300_000)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(f"{base}/lab/tree/bench.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
            page.locator(".jp-CodeCell .cm-line span").first.wait_for()
            page.locator(".jp-CodeCell .cm-content").first.click()
            before = heap_mb(cdp)
            page.keyboard.press("Control+Enter")
            if not grid:
                page.locator(".jp-OutputArea-output table").first.wait_for()
                print(f"  HTML table: heap {before[0]:.1f} MB before, {heap_mb(cdp)[0]:.1f} MB shown, "
                      f"{heap_mb(cdp)[1]} DOM nodes")
                browser.close()
                return
            status = page.locator(".kbase-grid-status")
            status.filter(has_text=f"of {ROWS:,}").wait_for()
            thumb = page.locator(".kbase-grid-table .lm-ScrollBar[data-orientation='vertical'] .lm-ScrollBar-thumb")
            track = page.locator(".kbase-grid-table .lm-ScrollBar[data-orientation='vertical'] .lm-ScrollBar-track")
            t = track.bounding_box()
            print(f"  grid: heap {before[0]:.1f} MB before the cell")
            for step in range(STEPS + 1):
                box = thumb.bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.mouse.down()
                page.mouse.move(box["x"] + box["width"] / 2, t["y"] + t["height"] * step / STEPS, steps=4)
                page.mouse.up()
                # A person's pace: the pages asked for meanwhile supersede one another.
                page.wait_for_timeout(200)
                if step % max(1, STEPS // 10) == 0:
                    mb, nodes = heap_mb(cdp)
                    print(f"  {status.inner_text():<40} heap {mb:.1f} MB, {nodes} DOM nodes")
            browser.close()


if __name__ == "__main__":
    print(f"Live grid over {ROWS:,} rows, scrolled top to bottom in {STEPS} drags:")
    measure(grid=True)
    print("JupyterLab's own HTML table of the same result (the first 1,000 rows):")
    measure(grid=False)
