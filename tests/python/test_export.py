"""%export on the real kernel and server: the whole result (past the display limit) written
to Parquet, Arrow, CSV and JSON lines, read back with pyarrow and compared with pyspark's
answer for the same query; refusals before any work; an interrupt leaves no file."""

import base64
import csv
import json
import os
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support.kernel import collect, execute, kept_results, shell_reply

ARROW = "application/vnd.apache.arrow.stream"

MIXED = (
    "SELECT id, id * 0.5 AS half, CAST(id AS DECIMAL(20, 4)) / 3 AS third, "
    "CASE WHEN id % 7 = 0 THEN NULL ELSE concat('row ', id, ', \"q\"') END AS label, "
    "DATE'2024-01-01' + CAST(id % 365 AS INT) AS day, id % 2 = 0 AS even, "
    "array(id, id + 1) AS pair, named_struct('a', id, 'b', 'x') AS s "
    "FROM range(25000)"
)


def shown_rows(content):
    return pa.ipc.open_stream(base64.b64decode(content["data"][ARROW])).read_all().num_rows


def same(got: pa.Table, expected: pa.Table):
    assert got.schema.names == expected.schema.names
    assert [f.type for f in got.schema] == [f.type for f in expected.schema]
    assert got.to_pylist() == expected.to_pylist()


def test_parquet_holds_the_whole_result_with_sparks_types(kernel, spark, tmp_path):
    _, kc = kernel
    path = tmp_path / "mixed.parquet"
    reply, outputs = execute(kc, f"%export {path}\n{MIXED} ORDER BY id")
    assert reply["status"] == "ok", reply
    written, table = kept_results(outputs)
    size = os.path.getsize(path)
    assert written["data"]["text/plain"].startswith("exported 25,000 rows (")
    assert str(path) in written["data"]["text/plain"]
    assert shown_rows(table) == 1000
    same(pq.read_table(path), spark.sql(f"{MIXED} ORDER BY id").toArrow())
    assert size > 0 and os.listdir(tmp_path) == ["mixed.parquet"]


def test_arrow_file_holds_the_whole_result(kernel, spark, tmp_path):
    _, kc = kernel
    path = tmp_path / "mixed.arrow"
    reply, _ = execute(kc, f"%export {path}\n{MIXED} ORDER BY id")
    assert reply["status"] == "ok", reply
    with pa.ipc.open_file(path) as f:
        same(f.read_all(), spark.sql(f"{MIXED} ORDER BY id").toArrow())


def test_csv_is_rfc_4180_with_values_as_the_tables_show_them(kernel, tmp_path):
    _, kc = kernel
    path = tmp_path / "odd.csv"
    query = (
        "SELECT * FROM VALUES (1, 'a,b', 1.5D), (2, 'say \"hi\"', NULL), (3, 'line1\\nline2', 1e300D), "
        "(4, '', -0.0D), (5, NULL, 0.1D) AS t(id, s, d) ORDER BY id"
    )
    reply, _ = execute(kc, f"%export {path}\n{query}")
    assert reply["status"] == "ok", reply
    raw = path.read_bytes()
    assert raw.startswith(b"id,s,d\r\n1,\"a,b\",1.5\r\n")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["id", "s", "d"],
        ["1", "a,b", "1.5"],
        ["2", 'say "hi"', ""],
        ["3", "line1\nline2", "1e300"],
        ["4", "", "-0.0"],
        ["5", "", "0.1"],
    ]
    assert b'4,"",-0.0' in raw and b"\r\n5,,0.1\r\n" in raw


def test_json_lines_match_pyspark(kernel, spark, tmp_path):
    _, kc = kernel
    path = tmp_path / "rows.jsonl"
    query = "SELECT id, id / 4 AS q, concat('n', id) AS name, id % 3 = 0 AS three FROM range(3000) ORDER BY id"
    reply, _ = execute(kc, f"%export {path}\n{query}")
    assert reply["status"] == "ok", reply
    got = [json.loads(line) for line in path.read_text().splitlines()]
    expected = [r.asDict() for r in spark.sql(query).collect()]
    assert got == expected


def test_an_existing_file_is_kept_unless_overwrite(kernel, tmp_path):
    _, kc = kernel
    path = tmp_path / "kept.csv"
    path.write_text("precious")
    reply, _ = execute(kc, f"%export {path}\nSELECT 1 AS a")
    assert reply["ename"] == "ExportPathError"
    assert reply["evalue"] == f"%export: {path} already exists; add --overwrite to replace it"
    assert path.read_text() == "precious"
    reply, _ = execute(kc, f"%export {path} --overwrite\nSELECT 1 AS a")
    assert reply["status"] == "ok"
    assert path.read_bytes() == b"a\r\n1\r\n"


def test_a_missing_directory_is_refused_before_the_query_runs(kernel, tmp_path):
    _, kc = kernel
    reply, _ = execute(kc, f"%export {tmp_path}/nope/x.parquet\nCREATE OR REPLACE TEMP VIEW export_must_not_exist AS SELECT 1")
    assert reply["ename"] == "ExportPathError"
    assert "does not exist; create it first" in reply["evalue"]
    reply, _ = execute(kc, "SELECT * FROM export_must_not_exist")
    assert reply["ename"] == "TABLE_OR_VIEW_NOT_FOUND"


def test_an_interrupted_export_leaves_no_file(kernel, tmp_path):
    km, kc = kernel
    path = tmp_path / "slow.parquet"
    slow = "SELECT id, reflect('java.lang.Thread', 'sleep', CAST(50 AS BIGINT)) AS z FROM range(0, 2000, 1, 2)"
    msg_id = kc.execute(f"%export {path}\n{slow}")
    time.sleep(3)
    assert [p for p in os.listdir(tmp_path) if p.startswith(".slow.parquet.")]
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=30)
    collect(kc, msg_id)
    assert reply["content"]["ename"] == "QueryCancelled"
    assert os.listdir(tmp_path) == []
    reply, _ = execute(kc, "SELECT 1 AS after")
    assert reply["status"] == "ok"


def test_a_command_has_nothing_to_export_and_leaves_no_file(kernel, tmp_path):
    _, kc = kernel
    path = tmp_path / "nothing.csv"
    reply, _ = execute(kc, f"%export {path}\nCREATE OR REPLACE TEMP VIEW export_none AS SELECT 1 AS x")
    assert reply["status"] == "error" and reply["ename"] == "ExportNoColumns", reply
    assert "no columns" in reply["evalue"]
    assert list(tmp_path.iterdir()) == []
