"""%analyze on the real kernel and server: a join of a million rows with a thousand shows the
join's 1,000,000 output rows and the aggregate's; a query cut by the display limit is run whole
(the scan's full row count); the flags fire on purpose-built bad queries (an exploding join, a
filter that cannot be pushed down) and stay quiet on good ones; a command runs exactly once and
is said to have nothing to analyse; bad input is one line and the kernel keeps running; the stop
button stops the analysed query on the server."""

import re
import threading
import time
import uuid

import pytest

from support.kernel import collect, execute, kept_results, shell_reply

TIMEOUT = 600
GUIDES = re.compile(r"^[│├└─ ]*")


def analyze(kc, code):
    """Runs `%analyze` over `code`; returns (the first rows' bundle, the analysis' text, its HTML)."""
    reply, outputs = execute(kc, f"%analyze\n{code}", timeout=TIMEOUT)
    assert reply["status"] == "ok", reply
    rows, analysis = kept_results(outputs)
    return rows["data"], analysis["data"]["text/plain"], analysis["data"]["text/html"]


def tree(text):
    """The operators of the analysis' text, as (name, rows or None), in the tree's order."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("operator"))
    header = lines[start]
    rows_end = header.index("rows") + len("rows")
    out = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        name = GUIDES.sub("", line[: rows_end]).strip()
        # The name runs up to two spaces before the rows column.
        name, _, rows = name.rpartition("  ") if "  " in name else (name, "", "")
        rows = rows.strip().replace(",", "")
        out.append((name.strip(), int(rows) if rows else None))
    return out


def flags(text):
    return [line for line in text.splitlines() if line.startswith("⚠ ")]


def error(kc, code):
    reply, _ = execute(kc, code, timeout=TIMEOUT)
    assert reply["status"] == "error", reply
    assert "\n" not in reply["evalue"]
    return reply["ename"], reply["evalue"]


@pytest.fixture(scope="module")
def tables(kernel):
    """A table of a million rows and the same partitioned by `part`, dropped after the module."""
    _, kc = kernel
    suffix = uuid.uuid4().hex[:8]
    flat, parted = f"analyze_flat_{suffix}", f"analyze_parted_{suffix}"
    for code in (
        f"CREATE TABLE {flat} USING parquet AS SELECT id, id % 10 AS part, concat('name ', id) AS name FROM range(1000000)",
        f"CREATE TABLE {parted} USING parquet PARTITIONED BY (part) AS SELECT id, concat('name ', id) AS name, id % 10 AS part FROM range(1000000)",
    ):
        reply, _ = execute(kc, code, timeout=TIMEOUT)
        assert reply["status"] == "ok", reply
    yield flat, parted
    for t in (flat, parted):
        execute(kc, f"DROP TABLE IF EXISTS {t}", timeout=TIMEOUT)


JOIN = (
    "SELECT b.k, count(*) AS n FROM range(1000000) a JOIN (SELECT id AS k FROM range(1000)) b "
    "ON a.id % 1000 = b.k GROUP BY b.k"
)


def test_a_join_of_a_million_rows_with_a_thousand_shows_each_operators_rows(kernel):
    _, kc = kernel
    rows, text, html = analyze(kc, JOIN)
    # The usual first rows come first: all 1,000 groups of 1,000.
    lines = [line for line in rows["text/plain"].splitlines() if line.replace(" ", "").endswith("|1000|")]
    assert len(lines) == 1000
    ops = tree(text)
    names = [n for n, _ in ops]
    join = next(r for n, r in ops if n.endswith("Join"))
    assert join == 1_000_000
    # The final aggregate made the 1,000 groups; the partial one below the exchange made them per partition.
    aggregates = [r for n, r in ops if n == "HashAggregate"]
    assert aggregates[0] == 1000 and len(aggregates) == 2 and aggregates[1] >= 1000
    assert ("Range", 1_000_000) in ops and ("Range", 1000) in ops
    assert names.index("HashAggregate") < names.index(next(n for n in names if n.endswith("Join")))
    assert "the whole result has 1,000 rows" in text
    assert re.search(r"How Spark ran it: [\d.]+ (µs|ms|s|min)", text)
    # Stages and tasks come from Spark's progress reports, which a quick run may end before.
    assert re.search(r"\d+ stages?, \d+ tasks?|stages and tasks unknown \(no progress report", text), text
    assert "Costliest (time summed over tasks): 1. " in text
    # A good join is not flagged.
    assert flags(text) == []
    # HTML: the tree, each operator's every metric on hover and in a details cell.
    assert "number of output rows: 1,000,000" in html
    assert html.count("<details>") == len(ops)
    assert "kbase-analyze" in html and "var(--jp-" in html


def test_a_query_cut_by_the_display_limit_is_run_whole(kernel, tables):
    flat, _ = tables
    _, kc = kernel
    rows, text, _ = analyze(kc, f"%limit 5\nSELECT * FROM {flat}")
    assert "first 5 rows shown" in rows["text/plain"]
    [scan] = [r for n, r in tree(text) if n.startswith("Scan parquet")]
    assert scan == 1_000_000
    assert "the whole result has 1,000,000 rows" in text


def test_an_exploding_join_is_flagged_with_what_to_try(kernel):
    _, kc = kernel
    _, text, html = analyze(
        kc, "SELECT count(*) FROM range(20000) a JOIN range(20000) b ON a.id % 10 = b.id % 10"
    )
    [flag] = flags(text)
    assert flag.startswith("⚠ exploding join: ")
    assert "made 40,000,000 rows from 20,000 and 20,000" in flag
    assert "check that ON joins on a key" in flag
    assert "exploding join</b>" in html


def test_a_filter_that_cannot_be_pushed_down_is_flagged_and_a_pruned_scan_is_not(kernel, tables):
    flat, parted = tables
    _, kc = kernel
    _, text, _ = analyze(kc, f"SELECT * FROM {flat} WHERE upper(name) = 'NAME 77'")
    [flag] = flags(text)
    assert flag.startswith("⚠ filter not pushed down: Scan parquet")
    assert "read 1,000,000 rows and the filter above it kept 1 (under 0.01%)" in flag
    # Partition pruning reads only the partition asked for: nothing to flag.
    _, text, _ = analyze(kc, f"SELECT * FROM {parted} WHERE part = 3")
    assert flags(text) == []
    [scan] = [r for n, r in tree(text) if n.startswith("Scan parquet")]
    assert scan == 100_000


def test_a_command_runs_once_and_has_nothing_to_analyse(kernel):
    _, kc = kernel
    table = f"analyze_cmd_{uuid.uuid4().hex[:8]}"
    reply, _ = execute(kc, f"CREATE TABLE {table} (id BIGINT) USING parquet", timeout=TIMEOUT)
    assert reply["status"] == "ok"
    try:
        reply, outputs = execute(kc, f"%analyze\nINSERT INTO {table} SELECT id FROM range(1234)", timeout=TIMEOUT)
        assert reply["status"] == "ok", reply
        [said] = kept_results(outputs)
        assert said["data"]["text/plain"].startswith("%analyze: the cell's last statement is a command; it ran once")
        reply, outputs = execute(kc, f"SELECT count(*) AS n FROM {table}", timeout=TIMEOUT)
        assert "1234" in kept_results(outputs)[0]["data"]["text/plain"]
    finally:
        execute(kc, f"DROP TABLE IF EXISTS {table}", timeout=TIMEOUT)


def test_bad_input_is_one_line_and_the_kernel_keeps_running(kernel):
    _, kc = kernel
    assert error(kc, "%analyze") == (
        "MagicUsage",
        "%analyze: the cell has no query; it runs the cell's last query to its end and shows how Spark ran it",
    )
    name, message = error(kc, "%analyze\n%chart bar x=id\nSELECT id FROM range(3)")
    assert name == "MagicUsage" and "cannot share a cell with %chart" in message
    name, message = error(kc, "%analyze\n%export out.csv\nSELECT id FROM range(3)")
    assert "cannot share a cell with %export" in message
    assert error(kc, "%analyze please\nSELECT 1")[1] == "%analyze: it takes no arguments, not please. Usage: %analyze"
    reply, outputs = execute(kc, "SELECT 41 + 1 AS answer")
    assert reply["status"] == "ok" and "42" in kept_results(outputs)[0]["data"]["text/plain"]


def test_help_and_tab_know_the_magic(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, "%help")
    assert "%analyze" in kept_results(outputs)[0]["data"]["text/plain"]
    msg_id = kc.complete("%an", 3)
    matches = shell_reply(kc, msg_id)["content"]["matches"]
    assert matches == ["%analyze"]


def test_the_stop_button_stops_the_analysed_query_on_the_server(kernel):
    km, kc = kernel
    msg_id = kc.execute("%analyze\nSELECT count(*) FROM range(100000000000)")
    # Interrupt once the query runs on the server (its progress display is up).
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] in ("display_data", "update_display_data"):
            break
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, TIMEOUT)
    collect(kc, msg_id)
    assert reply["content"]["status"] == "error"
    reply, outputs = execute(kc, "SELECT 1 AS one")
    assert reply["status"] == "ok"
