"""Results that read well: a query plan or a table's DDL shows line by line, in full, in
both tables (as the Spark shell prints it); a 1,000-row result's HTML stays within three
times its text."""

import base64
import html

import pyarrow as pa
import pytest

from support.kernel import execute

ARROW = "application/vnd.apache.arrow.stream"


def show(kc, sql):
    reply, outputs = execute(kc, sql)
    assert reply["status"] == "ok", reply
    (result,) = [o for o in outputs if o["msg_type"] == "execute_result"]
    return result["content"]["data"]


def value(data):
    (row,) = pa.ipc.open_stream(base64.b64decode(data[ARROW])).read_all().to_pylist()
    (v,) = row.values()
    return v


def assert_reads_line_by_line(data):
    full = value(data)
    assert "\n" in full
    text_lines = data["text/plain"].splitlines()
    for line in full.splitlines():
        assert any(t.startswith("|" + line) and t.endswith("|") for t in text_lines), line
    assert "\\n" not in data["text/plain"]
    page = data["text/html"]
    assert "<pre" in page and html.escape(full, quote=False) in page
    assert "title=" not in page


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN SELECT id, count(*) FROM range(100) GROUP BY id",
        "EXPLAIN FORMATTED SELECT id, count(*) FROM range(100) GROUP BY id",
        "EXPLAIN EXTENDED SELECT concat('x', id) AS s FROM range(10) WHERE id > 3",
    ],
)
def test_a_plan_reads_like_the_spark_shell(kernel, sql):
    _, kc = kernel
    data = show(kc, sql)
    assert_reads_line_by_line(data)
    assert any(line.startswith("|== Physical Plan ==") for line in data["text/plain"].splitlines())


def test_show_create_table_reads_line_by_line(kernel, spark):
    _, kc = kernel
    execute(kc, "CREATE TABLE IF NOT EXISTS readable_ddl (id BIGINT, name STRING COMMENT 'who') USING parquet")
    try:
        data = show(kc, "SHOW CREATE TABLE readable_ddl")
        assert_reads_line_by_line(data)
        assert value(data) == spark.sql("SHOW CREATE TABLE readable_ddl").collect()[0][0]
    finally:
        execute(kc, "DROP TABLE IF EXISTS readable_ddl")


def test_the_html_of_1000_mixed_rows_is_light(kernel):
    _, kc = kernel
    data = show(
        kc,
        "SELECT id, id * 1.5D AS d, CAST(id AS DECIMAL(12,2)) AS dec, concat('name-', id) AS s, "
        "CASE WHEN id % 3 = 0 THEN NULL ELSE id % 7 END AS maybe, DATE'2024-01-01' + CAST(id AS INT) AS day, "
        "TIMESTAMP'2024-01-01 00:00:00' + make_interval(0,0,0,0,0,0,id) AS ts, id % 2 = 0 AS even, "
        "array(id, id+1) AS arr, repeat('x', CAST(id % 20 AS INT)) AS pad FROM range(1000)",
    )
    html_size, text_size = len(data["text/html"].encode()), len(data["text/plain"].encode())
    assert html_size <= 3 * text_size, (html_size, text_size)
