"""KBase Spark SQL inside a real JupyterHub, as researchers meet it: the hub logs alice in,
keeps her KBase token, and spawns her server from an environment where the kernel's wheel was
pip-installed and made the default kernel; headless Chromium opens a new notebook, which is on
KBase Spark SQL without anyone choosing it, and runs a query on alice's own token-checking
Spark Connect server; the wheel's grid extension shows its result as a live grid. The hub has BERDL's shape: it gives the pod SPARK_CONNECT_URL, NB_USER
and a home directory; when alice logs in again mid-session, her new token is written to
~/.berdl_kbase_session and the old one revoked, and her next cell works in the same kernel;
the single-user server's log holds her cells' activity lines. Bob, whose server does not
exist, is told so. Screenshots are kept in .work/screenshots."""

import json
import os
import re
import secrets
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from support.browser import SHOTS, launch_chromium
from support.env import ROOT, WORK
from support.hub import jupyterhub

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.package]

PASSWORD = secrets.token_urlsafe(12)
TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def hub(singleuser):
    users = {"alice": "alice-hub1-0d6b2f94e8a153c7", "bob": "bob-valid-2b8f6d1e7c3a9054fe"}
    tokens = json.loads((Path(ROOT) / "tests/support/tokens.json").read_text())
    assert all(tokens[token]["user"] == user for user, token in users.items())
    with jupyterhub(Path(WORK) / "hub", singleuser, users, PASSWORD) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = launch_chromium(p, "--disable-quic", "--disable-sync")
        yield b
        b.close()


@pytest.fixture
def pages(browser, request):
    """New browser pages for a test; each one's screen is kept when the test fails."""
    opened = []

    def new_page():
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(TIMEOUT_MS)
        opened.append(page)
        return page

    yield new_page
    failed = getattr(request.node, "failed", False)
    for i, page in enumerate(opened):
        if failed:
            page.screenshot(path=str(SHOTS / f"{request.node.name}-failure-{i}.png"))
        page.close()


def log_in_and_open_a_new_notebook(new_page, hub, user):
    """Logs `user` in, waits for JupyterLab, and opens a new notebook from the File menu,
    confirming the kernel that JupyterLab proposes. Returns the page."""
    page = new_page()
    page.goto(f"{hub}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**")
    page.click(".lm-MenuBar-item:has-text('File')")
    page.locator(".lm-Menu-item:has-text('New')").first.hover()
    page.click(".lm-Menu-item[data-command='notebook:create-new']")
    # JupyterLab asks which kernel to start, proposing the server's default; the user only
    # confirms.
    proposal = page.wait_for_selector(".jp-Dialog select")
    assert proposal.evaluate("e => e.options[e.selectedIndex].text") == "KBase Spark SQL"
    page.click(".jp-Dialog .jp-mod-accept")
    toolbar = ".jp-NotebookPanel-toolbar"
    page.wait_for_selector(f"{toolbar} .jp-KernelName:visible:has-text('KBase Spark SQL')")
    page.wait_for_selector(f"{toolbar} .jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    return page


def api(page, user, path):
    """GET of the user's Jupyter Server API from inside the page, with its XSRF token."""
    return page.evaluate(
        """async (url) => {
            const xsrf = document.cookie.match(/_xsrf=([^;]+)/);
            const headers = xsrf ? {"X-XSRFToken": decodeURIComponent(xsrf[1])} : {};
            return (await fetch(url, {headers})).json();
        }""",
        f"/user/{user}/api/{path}",
    )


def run_cell(page, sql):
    """Types `sql` into the notebook's last cell and runs it; returns that cell (Shift+Enter
    adds a new last cell, so the locator is pinned to the cell's index)."""
    cells = page.locator(".jp-NotebookPanel .jp-Cell")
    cell = cells.nth(cells.count() - 1)
    cell.locator(".cm-content").click()
    page.keyboard.type(sql)
    page.keyboard.press("Shift+Enter")
    return cell


def live_result_text(cell):
    """Waits for a one-row result as the wheel's grid extension shows it (a live grid, its
    row counted by Spark) and answers the text of the result's HTML table, which stays
    beneath the grid and is what the notebook saves."""
    cell.locator(".kbase-grid .kbase-grid-status").filter(has_text=re.compile(r"^rows 1–1 of 1$")).wait_for()
    table = cell.locator(".jp-OutputArea-output table").first
    table.wait_for(state="attached")
    return table.text_content()


def server_checks_of(user):
    """How often the token-checking Spark Connect server asked Auth2 about `user`'s token."""
    log = Path(os.environ["KBASE_TEST_AUTH_LOG"])
    lines = log.read_text().splitlines() if log.exists() else []
    entries = [json.loads(line) for line in lines]
    return sum(
        1
        for e in entries
        if e["outcome"] == f"ok:{user}" and not e.get("user_agent", "").startswith("kbase-spark-sql-kernel")
    )


def test_alice_opens_a_notebook_on_kbase_spark_sql_and_sees_her_table(hub, pages):
    page = log_in_and_open_a_new_notebook(pages, hub, "alice")
    # The server's default kernel is the one `install --make-default` named, and it is what
    # runs this notebook.
    assert api(page, "alice", "kernelspecs")["default"] == "kbase-spark-sql"
    assert [s["kernel"]["name"] for s in api(page, "alice", "sessions")] == ["kbase-spark-sql"]

    checks = server_checks_of("alice")
    cell = run_cell(page, "SELECT 'alice' AS owner, 6 * 7 AS answer, array('x', NULL) AS tags")
    text = live_result_text(cell)
    page.screenshot(path=str(SHOTS / "hub-alice-table.png"))
    assert "owner" in text and "alice" in text and "42" in text and "array<string>" in text, text
    # The query went to alice's own server, which checked her token with Auth2.
    assert server_checks_of("alice") > checks


def revoke(token):
    request = urllib.request.Request(
        f"{os.environ['KBASE_TEST_AUTH_URL']}api/V2/token", method="DELETE", headers={"Authorization": token}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def test_alices_renewed_token_keeps_her_session_and_her_cells_are_recorded(hub, pages):
    page = log_in_and_open_a_new_notebook(pages, hub, "alice")
    cell = run_cell(page, "SELECT 'before' AS login")
    assert "before" in live_result_text(cell)
    kernel_ids = [s["kernel"]["id"] for s in api(page, "alice", "sessions")]
    # Alice logs in again: BERDL's server writes her new token to ~/.berdl_kbase_session
    # (plain text, mode 0600), and her old token is revoked.
    session_file = Path(WORK) / "hub" / "home" / "alice" / ".berdl_kbase_session"
    assert session_file.parent.is_dir()
    session_file.write_text("alice-hub2-c4a9e07f1b38d526\n")
    session_file.chmod(0o600)
    revoke("alice-hub1-0d6b2f94e8a153c7")
    cell = run_cell(page, "SELECT 'after renewal' AS login")
    text = live_result_text(cell)
    page.screenshot(path=str(SHOTS / "hub-alice-renewed.png"))
    assert "after renewal" in text
    # In the same kernel: nothing was restarted.
    assert kernel_ids and all(k in [s["kernel"]["id"] for s in api(page, "alice", "sessions")] for k in kernel_ids)
    # The single-user server's log (the hub's, here) holds her cells' activity lines.
    log = (Path(WORK) / "hub" / "jupyterhub.log").read_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith('{"timestamp"')]
    executed = [r["code"] for r in records if r["type"] == "cell_execution" and r["user"] == "alice"]
    assert "SELECT 'before' AS login" in executed and "SELECT 'after renewal' AS login" in executed, executed
    assert any(r["type"] == "session_start" and r["user"] == "alice" for r in records)
    assert "alice-hub" not in log


def test_bob_is_told_that_his_server_cannot_be_reached(hub, pages):
    page = log_in_and_open_a_new_notebook(pages, hub, "bob")
    cell = run_cell(page, "SELECT 1")
    error = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    error.first.wait_for(state="visible")
    page.screenshot(path=str(SHOTS / "hub-bob-unreachable.png"))
    text = error.first.inner_text()
    assert "SparkConnectUnavailable" in text and "jupyter-bob" in text, text
    assert "restart it from the hub" in text
    assert "bob-valid" not in page.content()
