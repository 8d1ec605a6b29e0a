"""Spark SQL scripting through the kernel: a `BEGIN … END` block is one statement, shown
as one result, run once; an error inside it points at the right line of the cell; a console
waits for its last END; completion works inside it; `begin` as a name still works."""

import base64
import uuid

import pyarrow as pa
import pytest

from support.kernel import execute, shell_reply, start_kernel


@pytest.fixture(scope="module")
def kc():
    km, kc = start_kernel()
    reply, _ = execute(kc, "SELECT 1")
    assert reply["status"] == "ok", reply
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def results(outputs):
    """The results shown, in order (progress displays left out)."""

    def progress(m):
        return m["content"].get("transient", {}).get("display_id", "").startswith("kbase-spark-sql-progress-")

    return [m for m in outputs if m["msg_type"] in ("execute_result", "display_data") and not progress(m)]


def rows(message):
    """The rows of a result's Arrow stream, as tuples."""
    data = base64.b64decode(message["content"]["data"]["application/vnd.apache.arrow.stream"])
    table = pa.ipc.open_stream(data).read_all()
    return [tuple(r.values()) for r in table.to_pylist()]


def error_of(outputs):
    return next(m["content"] for m in outputs if m["msg_type"] == "error")


def test_a_block_is_one_statement_with_one_result(kc):
    code = """BEGIN
  DECLARE n INT DEFAULT 0;
  DECLARE total INT DEFAULT 0;
  WHILE n < 4 DO
    SET n = n + 1;
    IF n % 2 = 0 THEN
      SET total = total + n;
    END IF;
  END WHILE;
  SELECT n, total;
END;"""
    reply, outputs = execute(kc, code)
    assert reply["status"] == "ok", reply
    shown = results(outputs)
    assert [m["msg_type"] for m in shown] == ["execute_result"]
    assert rows(shown[0]) == [(4, 6)]


def test_a_block_before_and_after_other_statements(kc):
    reply, outputs = execute(kc, "SELECT 'before' AS s;\nBEGIN SELECT 'inside' AS s; END;\nSELECT 'after' AS s")
    assert reply["status"] == "ok", reply
    assert [rows(m) for m in results(outputs)] == [[("before",)], [("inside",)], [("after",)]]


def test_a_block_that_changes_data_runs_once(kc):
    table = f"scripting_once_{uuid.uuid4().hex[:8]}"
    reply, _ = execute(kc, f"CREATE TABLE {table} (a INT) USING parquet")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kc, f"BEGIN\n  INSERT INTO {table} VALUES (1);\n  SELECT count(*) AS n FROM {table};\nEND")
    assert reply["status"] == "ok", reply
    assert rows(results(outputs)[0]) == [(1,)]
    # Building on its result does not run it again.
    reply, outputs = execute(kc, f"SELECT (SELECT count(*) FROM {table}) AS now, n AS shown FROM _")
    assert reply["status"] == "ok", reply
    assert rows(results(outputs)[0]) == [(1, 1)]
    execute(kc, f"DROP TABLE {table}")


def test_an_error_inside_a_block_points_at_its_line(kc):
    code = "SELECT 1;\nBEGIN\n  DECLARE x INT DEFAULT 1;\n  SELECT no_such_column FROM range(2);\nEND"
    reply, outputs = execute(kc, code)
    assert reply["status"] == "error"
    assert "UNRESOLVED_COLUMN" in reply["ename"]
    traceback = error_of(outputs)["traceback"]
    line = next(i for i, t in enumerate(traceback) if t.startswith("line "))
    assert traceback[line].startswith("line 4:   SELECT no_such_column"), traceback
    assert traceback[line + 1].index("^") == traceback[line].index("no_such_column"), traceback
    assert any("statement 2 of 2, starting on line 2" in t for t in traceback), traceback


def test_an_unterminated_block_gets_sparks_parse_error_with_a_caret(kc):
    reply, outputs = execute(kc, "BEGIN\n  SELECT 1;\n  SELECT 2;")
    assert reply["status"] == "error"
    assert "PARSE_SYNTAX_ERROR" in reply["ename"], reply
    assert any("^" in t for t in error_of(outputs)["traceback"])


def test_begin_as_a_name_or_in_a_string_still_works(kc):
    reply, outputs = execute(
        kc, "SELECT begin, `end` FROM VALUES (1, 2) AS t(begin, `end`);\nSELECT 'BEGIN; END' AS s"
    )
    assert reply["status"] == "ok", reply
    assert [rows(m) for m in results(outputs)] == [[(1, 2)], [("BEGIN; END",)]]


def test_a_console_waits_for_the_last_end(kc):
    def status(code):
        return shell_reply(kc, kc.is_complete(code))["content"]["status"]

    assert status("BEGIN\n  SELECT 1;") == "incomplete"
    assert status("BEGIN\n  WHILE true DO\n    SELECT 1;\n  END WHILE;\n\n") == "incomplete"
    assert status("BEGIN\n  IF true THEN SELECT 1; END IF;\nEND;") == "complete"
    assert status("SELECT begin FROM t;") == "complete"


def test_completion_works_inside_a_block(kc):
    reply, _ = execute(kc, "CREATE OR REPLACE TEMP VIEW scripting_samples AS SELECT 1 AS sample_reads")
    assert reply["status"] == "ok", reply
    code = "BEGIN\n  DECLARE n INT;\n  SELECT * FROM scripting_sam"
    reply = shell_reply(kc, kc.complete(code, len(code)))["content"]
    assert "scripting_samples" in reply["matches"]
    code = "BEGIN\n  IF true THEN\n    SELECT sample_r"
    tail = " FROM scripting_samples;\n  END IF;\nEND"
    reply = shell_reply(kc, kc.complete(code + tail, len(code)))["content"]
    assert "sample_reads" in reply["matches"]


def test_a_block_refused_because_scripting_is_off_says_how_to_turn_it_on(kc):
    reply, _ = execute(kc, "SET spark.sql.scripting.enabled = false")
    assert reply["status"] == "ok", reply
    try:
        reply, outputs = execute(kc, "BEGIN SELECT 1; END")
        assert reply["status"] == "error"
        assert "SQL_SCRIPTING" in reply["ename"] + reply["evalue"]
        assert any("SET spark.sql.scripting.enabled = true" in t for t in error_of(outputs)["traceback"])
    finally:
        execute(kc, "SET spark.sql.scripting.enabled = true")
    reply, _ = execute(kc, "BEGIN SELECT 1; END")
    assert reply["status"] == "ok", reply
