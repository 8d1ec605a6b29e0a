"""`_` and `_N` through the kernel on a real server: the result of the last query an
earlier cell showed, and the last result of cell N, wherever a table name fits; a failed
cell or a command's OK is no result; a user's own `_` wins; magics and completion work over
them; before any result Spark's own error names `_`, with a line saying what it means."""

import base64
import os

import pyarrow as pa
import pytest

from support.kernel import execute, shell_reply, start_kernel


@pytest.fixture()
def kc():
    """A fresh kernel per test: `_` and `_N` start afresh with each kernel."""
    km, kc = start_kernel()
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def result(outputs):
    return next(m for m in outputs if m["msg_type"] == "execute_result")


def rows(outputs):
    data = base64.b64decode(result(outputs)["content"]["data"]["application/vnd.apache.arrow.stream"])
    return [tuple(r.values()) for r in pa.ipc.open_stream(data).read_all().to_pylist()]


def ok(kc, code):
    reply, outputs = execute(kc, code)
    assert reply["status"] == "ok", (code, reply)
    return reply, outputs


def error(kc, code):
    reply, outputs = execute(kc, code)
    assert reply["status"] == "error", (code, reply)
    return reply, next(m["content"] for m in outputs if m["msg_type"] == "error")


def test_underscore_before_any_result_is_sparks_not_found_with_a_line_on_its_meaning(kc):
    reply, err = error(kc, "SELECT * FROM _")
    assert reply["ename"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert "`_`" in reply["evalue"]
    assert any("last query an earlier cell showed" in t for t in err["traceback"]), err["traceback"]
    reply, err = error(kc, "SELECT * FROM _41")
    assert reply["ename"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert any("[41]" in t for t in err["traceback"]), err["traceback"]


def test_underscore_and_numbered_results_where_a_table_fits(kc):
    first, _ = ok(kc, "SELECT id, id * 10 AS tens FROM range(4)")
    n = first["execution_count"]
    _, outputs = ok(kc, "SELECT sum(tens) AS total FROM _ WHERE id > 0")
    assert rows(outputs) == [(60,)]
    # `_` moved on to that sum; `_N` still names the first cell's result.
    _, outputs = ok(kc, "SELECT total FROM _")
    assert rows(outputs) == [(60,)]
    _, outputs = ok(kc, f"SELECT a.id, _.total FROM _{n} AS a CROSS JOIN _ WHERE a.id = 3")
    assert rows(outputs) == [(3, 60)]
    _, outputs = ok(kc, f"SELECT id, b.tens FROM (SELECT id FROM range(2)) JOIN _{n} b USING (id) ORDER BY id")
    assert rows(outputs) == [(0, 0), (1, 10)]
    # Evaluated when used: a query over a table sees the table as it is now.
    ok(kc, "CREATE OR REPLACE TEMP VIEW earlier_source AS SELECT 1 AS v")
    ok(kc, "SELECT v FROM earlier_source")
    ok(kc, "CREATE OR REPLACE TEMP VIEW earlier_source AS SELECT 2 AS v")
    _, outputs = ok(kc, "SELECT v FROM _")
    assert rows(outputs) == [(2,)]


def test_a_failed_cell_or_a_commands_ok_is_no_result(kc):
    ok(kc, "SELECT 'kept' AS what")
    error(kc, "SELECT 'lost' AS what; SELECT nope")
    ok(kc, "CREATE OR REPLACE TEMP VIEW earlier_ok AS SELECT 1 AS a")
    ok(kc, "SET spark.sql.shuffle.partitions = 4")
    _, outputs = ok(kc, "SELECT what FROM _")
    assert rows(outputs) == [("kept",)]
    failed, _ = error(kc, "SELECT nope")
    reply, _ = error(kc, f"SELECT * FROM _{failed['execution_count']}")
    assert reply["ename"] == "TABLE_OR_VIEW_NOT_FOUND"


def test_a_name_the_user_defined_wins(kc):
    ok(kc, "SELECT 'kernel' AS who")
    ok(kc, "SELECT * FROM _")
    ok(kc, "CREATE OR REPLACE TEMP VIEW _ AS SELECT 'mine' AS who")
    _, outputs = ok(kc, "SELECT who FROM _")
    assert rows(outputs) == [("mine",)]
    # Still the user's after the kernel has shown more results.
    _, outputs = ok(kc, "SELECT who FROM _")
    assert rows(outputs) == [("mine",)]
    ok(kc, "DROP VIEW _")
    ok(kc, "CREATE OR REPLACE TEMP VIEW _7 AS SELECT 'seven' AS who")
    _, outputs = ok(kc, "SELECT who FROM _7")
    assert rows(outputs) == [("seven",)]


def test_magics_work_over_underscore(kc, tmp_path):
    ok(kc, "SELECT id, id % 3 AS grp FROM range(30)")
    path = tmp_path / "earlier.csv"
    _, outputs = ok(kc, f"%export {path}\nSELECT * FROM _")
    assert path.read_text().count("\n") == 31
    ok(kc, "SELECT id, id % 3 AS grp FROM range(30)")
    _, outputs = ok(kc, "%chart bar x=grp y=id agg=count\nSELECT * FROM _")
    assert "application/vnd.vegalite.v5+json" in result(outputs)["content"]["data"]
    _, outputs = ok(kc, "%profile\nSELECT * FROM _")
    assert "grp" in result(outputs)["content"]["data"]["text/plain"]


def test_completion_offers_the_results_and_their_columns(kc):
    first, _ = ok(kc, "SELECT 1 AS reads_total, 'x' AS site_name")
    n = first["execution_count"]
    code = "SELECT * FROM _"
    matches = shell_reply(kc, kc.complete(code, len(code)))["content"]["matches"]
    assert "_" in matches and f"_{n}" in matches, matches
    code = "SELECT reads_ FROM _"
    reply = shell_reply(kc, kc.complete(code, len("SELECT reads_")))["content"]
    assert "reads_total" in reply["matches"], reply


def test_help_explains_them(kc):
    _, outputs = ok(kc, "%help")
    text = result(outputs)["content"]["data"]["text/plain"]
    assert "_N" in text and "earlier cell" in text


def test_results_inside_a_block(kc):
    ok(kc, "SELECT 5 AS five")
    _, outputs = ok(kc, "BEGIN\n  DECLARE x INT;\n  SET x = (SELECT five FROM _);\n  SELECT x * 2 AS ten;\nEND")
    assert rows(outputs) == [(10,)]
    _, outputs = ok(kc, "SELECT ten FROM _")
    assert rows(outputs) == [(10,)]


@pytest.mark.skipif("KBASE_TEST_CALL_LOG" not in os.environ, reason="needs the call-counting server of scripts/test")
def test_a_cell_that_never_names_them_makes_no_extra_call():
    """Counted by the server: with results shown before, a plain query is still one call."""
    from pathlib import Path
    import json

    log = Path(os.environ["KBASE_TEST_CALL_LOG"])
    tokens = json.loads(Path(os.environ["KBASE_TEST_TOKENS"]).read_text())
    alice = next(t for t in tokens if t.startswith("alice-valid"))
    km, kc = start_kernel(
        SPARK_REMOTE=f"sc://127.0.0.1:{os.environ['KBASE_TEST_CHECKING_PORT']}",
        KBASE_AUTH_TOKEN=alice,
        KBASE_AUTH_URL=os.environ["KBASE_TEST_AUTH_URL"],
    )
    try:
        ok(kc, "SELECT 1 AS a")
        before = len(log.read_text().split())
        ok(kc, "SELECT 2 AS b")
        made = log.read_text().split()[before:]
        assert made.count("ExecutePlan") == 1, made
        before = len(log.read_text().split())
        ok(kc, "SELECT * FROM _")
        made = log.read_text().split()[before:]
        # The check for a user's `_`, the view, then the query.
        assert made.count("ExecutePlan") > 1, made
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
