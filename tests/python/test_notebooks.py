"""Notebooks run unattended by nbclient, as pipelines and papermill run them, with
assertions on the outputs stored in the executed notebook. Arrow outputs are decoded with
pyarrow and compared with what pyspark's own client gets for the same SQL on the same server."""

import base64
from pathlib import Path

import nbformat
import pyarrow as pa
import pytest
from nbclient import NotebookClient

from support.kernel import KERNEL_NAME

HERE = Path(__file__).resolve().parent
ARROW = "application/vnd.apache.arrow.stream"


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(HERE.parent / "notebooks" / "cells.ipynb", as_version=4)
    NotebookClient(nb, kernel_name=KERNEL_NAME, allow_errors=True, timeout=180).execute()
    return nb


def arrow_of(output) -> pa.Table:
    data = base64.b64decode(output["data"][ARROW])
    return pa.ipc.open_stream(data).read_all()


def truth(spark, *statements) -> pa.Table:
    """pyspark's result for the last statement, after running the ones before it."""
    for s in statements[:-1]:
        spark.sql(s).collect()
    return spark.sql(statements[-1]).toArrow()


def assert_same(got: pa.Table, expected: pa.Table):
    assert got.schema.names == expected.schema.names
    assert [f.type for f in got.schema] == [f.type for f in expected.schema]
    assert got.to_pylist() == expected.to_pylist()


def test_multi_statement_cell_shows_the_view_result(executed, spark):
    outputs = executed.cells[0].outputs
    # CREATE VIEW says OK; the SELECT is the cell's result.
    assert [o["output_type"] for o in outputs] == ["display_data", "execute_result"]
    assert outputs[0]["data"]["text/plain"] == "OK"
    result = outputs[1]
    assert set(result["data"]) >= {"text/html", "text/plain", ARROW}
    expected = truth(
        spark,
        "CREATE OR REPLACE TEMP VIEW people AS SELECT * FROM VALUES (1, 'ann', 3.5), (2, 'bo', NULL), "
        "(3, '<b>cy</b>', 1.25) AS t(id, name, score)",
        "SELECT * FROM people ORDER BY id",
    )
    assert_same(arrow_of(result), expected)
    html = result["data"]["text/html"]
    assert "&lt;b&gt;cy&lt;/b&gt;" in html and "<b>cy</b>" not in html
    assert "3 rows" in html
    text = result["data"]["text/plain"]
    assert "|<b>cy</b>|" in text and "NULL" in text


def test_a_temp_view_is_used_in_a_later_cell(executed, spark):
    (result,) = executed.cells[1].outputs
    assert result["output_type"] == "execute_result"
    assert_same(arrow_of(result), truth(spark, "SELECT name, score * 2 AS doubled FROM people ORDER BY id"))


def test_each_statement_of_a_cell_is_shown_in_order(executed, spark):
    outputs = executed.cells[2].outputs
    assert [o["output_type"] for o in outputs] == ["display_data", "display_data", "execute_result"]
    for output, sql in zip(outputs, ["SELECT 1 AS a", "SELECT 'two' AS b", "SELECT 3.0 AS c"]):
        assert_same(arrow_of(output), truth(spark, sql))


def test_an_error_cell_has_one_error_output_and_the_next_cell_runs(executed):
    (error,) = executed.cells[3].outputs
    assert error["output_type"] == "error"
    assert error["ename"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert "table_that_does_not_exist" in error["evalue"]
    assert not any("\tat org.apache" in line for line in error["traceback"])
    (after,) = executed.cells[4].outputs
    assert after["output_type"] == "execute_result"
    assert arrow_of(after).to_pylist() == [{"n": 3}]


def test_a_large_result_is_cut_at_the_display_limit(executed, spark):
    (result,) = executed.cells[5].outputs
    table = arrow_of(result)
    assert table.num_rows == 1000
    assert_same(table, spark.sql("SELECT id, id * id AS sq FROM range(2500)").limit(1000).toArrow())
    assert "first 1,000 rows shown — more available" in result["data"]["text/plain"]
    assert "first 1,000 rows shown — more available" in result["data"]["text/html"]


def test_the_example_notebook_runs_without_errors():
    nb = nbformat.read(HERE.parent.parent / "examples" / "example.ipynb", as_version=4)
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=180).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs and c.outputs[-1]["output_type"] == "execute_result" for c in code)
