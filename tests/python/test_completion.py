"""Typing help against a real Spark Connect server: completion in every place of a statement
(with kinds, from a catalog of databases, tables, views and nested columns this module
creates), inspection of tables, columns and functions, the catalog cache following DDL, and
`jupyter console` itself under a pseudo-terminal running a query typed over several lines."""

import uuid

import pexpect
import pytest

from support.console import prompt, start_console
from support.kernel import execute, shell_reply, start_kernel

DB = "kbase_completion_lab"
SETUP = [
    f"DROP DATABASE IF EXISTS {DB} CASCADE",
    f"CREATE DATABASE {DB}",
    f"CREATE TABLE {DB}.samples (sample_id BIGINT, depth_m DOUBLE COMMENT 'metres below the surface', "
    "site STRUCT<site_name: STRING, location: STRUCT<lat: DOUBLE, lon: DOUBLE>>, taken DATE) USING parquet",
    # The session catalog keeps table names plain; a temp view may have any name.
    "CREATE OR REPLACE TEMP VIEW `odd view` AS SELECT 1 AS `odd column`, 2 AS `order`",
    f"CREATE VIEW {DB}.deep_samples AS SELECT * FROM {DB}.samples WHERE depth_m > 100",
    "CREATE OR REPLACE TEMP VIEW recent_runs AS SELECT 1 AS run_id, 'ok' AS run_status",
]


@pytest.fixture(scope="module")
def kc():
    km, kc = start_kernel()
    for code in SETUP:
        reply, _ = execute(kc, code)
        assert reply["status"] == "ok", (code, reply)
    yield kc
    execute(kc, f"DROP DATABASE IF EXISTS {DB} CASCADE")
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def complete_once(kc, code, cursor):
    return shell_reply(kc, kc.complete(code, cursor))["content"]


def complete(kc, code):
    """The matches with their kinds for the code at `|`, and the range they replace. (The
    suite sets KBASE_SPARK_CATALOG_WAIT long, so a slow server's answer is always complete.)"""
    cursor = code.index("|")
    code = code.replace("|", "")
    reply = complete_once(kc, code, cursor)
    types = reply["metadata"].get("_jupyter_types_experimental", [])
    assert [t["text"] for t in types] == reply["matches"]
    # A column's kind holds a no-break space, which keeps it on one line in JupyterLab.
    kinds = [(t["text"], t["type"].replace("\xa0", " ")) for t in types]
    return kinds, (reply["cursor_start"], reply["cursor_end"])


def matches(kc, code):
    return complete(kc, code)[0]


def inspect(kc, code):
    cursor = code.index("|")
    reply = shell_reply(kc, kc.inspect(code.replace("|", ""), cursor))["content"]
    return reply


def test_after_from_the_tables_and_databases_even_with_nothing_typed(kc):
    execute(kc, f"USE {DB}")
    try:
        found = matches(kc, "SELECT * FROM |")
        kinds = dict(found)
        assert kinds["samples"] == "table" and kinds["deep_samples"] == "view"
        assert kinds["recent_runs"] == "view" and kinds["`odd view`"] == "view"
        assert kinds[DB] == "database" and kinds["spark_catalog"] == "catalog"
        # Tables before databases before catalogs.
        order = [t for t, _ in found]
        assert order.index("samples") < order.index(DB) < order.index("spark_catalog")
    finally:
        execute(kc, "USE default")


def test_databases_and_qualified_tables(kc):
    assert (DB, "database") in matches(kc, "SELECT * FROM kbase_comp|")
    assert matches(kc, f"SELECT * FROM {DB}.sa|") == [("samples", "table")]
    assert matches(kc, f"SELECT * FROM {DB}.deep|") == [("deep_samples", "view")]
    assert matches(kc, f"SELECT * FROM spark_catalog.{DB}.sa|") == [("samples", "table")]
    assert (DB, "database") in matches(kc, "SELECT * FROM spark_catalog.kbase|")
    assert matches(kc, f"SELECT * FROM a JOIN {DB}.|")[0][1] in ("table", "view")
    assert (DB, "database") in matches(kc, "USE kbase|")
    # A database's tables, not the function `sequence` or a keyword.
    assert all(k in ("table", "view") for _, k in matches(kc, f"SELECT * FROM {DB}.|"))


def test_quoted_names(kc):
    found, span = complete(kc, "SELECT * FROM od|")
    assert found == [("`odd view`", "view")]
    assert span == (len("SELECT * FROM "), len("SELECT * FROM od"))
    found, span = complete(kc, "SELECT * FROM `odd v|")
    assert found == [("`odd view`", "view")]
    assert span == (len("SELECT * FROM "), len("SELECT * FROM `odd v"))
    # Inside closed backticks the whole name is replaced, closing backtick included.
    found, span = complete(kc, "SELECT * FROM `odd|`")
    assert found == [("`odd view`", "view")] and span == (14, 19)
    found, span = complete(kc, f"SELECT * FROM `{DB}`.`sa|")
    assert found == [("`samples`", "table")]
    assert span[0] == len(f"SELECT * FROM `{DB}`.")
    assert matches(kc, "SELECT `odd c| FROM `odd view`") == [("`odd column`", "column: int")]
    # A column named like a reserved word comes back quoted.
    assert ("`order`", "column: int") in matches(kc, "SELECT o| FROM `odd view`")


def test_columns_of_the_tables_in_scope_before_functions(kc):
    found = matches(kc, f"SELECT dep| FROM {DB}.samples")
    assert found[0] == ("depth_m", "column: double")
    found = matches(kc, f"SELECT * FROM {DB}.samples WHERE si|")
    assert found[0][0] == "site" and found[0][1].startswith("column: struct<")
    assert any(t == "sin" and k.startswith("function") for t, k in found[1:])
    found = matches(kc, f"SELECT s.| FROM {DB}.samples AS s JOIN recent_runs r ON true")
    assert [t for t, _ in found] == ["sample_id", "depth_m", "site", "taken"]
    assert matches(kc, f"SELECT r.run| FROM {DB}.samples s JOIN recent_runs r ON true") == [
        ("run_id", "column: int"),
        ("run_status", "column: string"),
    ]
    found = matches(kc, f"SELECT count(*) FROM {DB}.samples GROUP BY ta|")
    assert found[0] == ("taken", "column: date")
    found = matches(kc, f"SELECT sample_id FROM {DB}.deep_samples ORDER BY sample|")
    assert found[0] == ("sample_id", "column: bigint")


def test_nested_struct_fields(kc):
    assert matches(kc, f"SELECT site.| FROM {DB}.samples") == [
        ("site_name", "column: string"),
        ("location", "column: struct<lat:double,lon:d…"),
    ]
    assert matches(kc, f"SELECT s.site.location.l| FROM {DB}.samples s") == [
        ("lat", "column: double"),
        ("lon", "column: double"),
    ]


def test_functions_with_their_arguments_and_keywords_last(kc):
    found = matches(kc, "SELECT substr|")
    assert ("substr", "function: substr(str, pos[, len])") in found
    found = matches(kc, "SELECT * FROM recent_runs WHERE run_id IS NO|")
    assert found[-1] == ("NOT", "keyword")
    assert matches(kc, "sel|") == [("select", "keyword")]


def test_a_new_table_is_offered_at_once(kc):
    matches(kc, f"SELECT * FROM {DB}.|")  # now cached
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    reply, _ = execute(kc, f"SELECT 1; CREATE TABLE {DB}.{name} (a INT) USING parquet")
    assert reply["status"] == "ok"
    assert (name, "table") in matches(kc, f"SELECT * FROM {DB}.fresh|")
    execute(kc, f"DROP TABLE {DB}.{name}")
    assert (name, "table") not in matches(kc, f"SELECT * FROM {DB}.fresh|")


def test_inspection_of_tables_columns_and_functions(kc):
    reply = inspect(kc, f"SELECT * FROM {DB}.sam|ples")
    assert reply["found"]
    text = reply["data"]["text/plain"]
    assert text.startswith(f"table {DB}.samples")
    assert "depth_m" in text and "double" in text and "metres below the surface" in text
    assert "<code>bigint</code>" in reply["data"]["text/html"]
    reply = inspect(kc, "SELECT * FROM recent|_runs")
    assert "run_status" in reply["data"]["text/plain"]
    reply = inspect(kc, f"SELECT s.dep|th_m FROM {DB}.samples s")
    assert reply["data"]["text/plain"].startswith("column s.depth_m")
    reply = inspect(kc, f"SELECT si|te FROM {DB}.samples")
    assert "location" in reply["data"]["text/plain"]
    reply = inspect(kc, "SELECT regexp_ext|ract(x, 'a')")
    text = reply["data"]["text/plain"]
    assert "Usage:" in text and "Arguments:" in text and "Examples:" in text
    assert max(len(line) for line in text.splitlines()) > 80
    assert not inspect(kc, "SEL|ECT 1")["found"]


def test_raw_strings_split_as_spark_reads_them(kc):
    reply, outputs = execute(kc, r"SELECT r'C:\' AS p; SELECT 2 AS two")
    assert reply["status"] == "ok", reply
    texts = [o["content"]["data"]["text/plain"] for o in outputs if "data" in o["content"]]
    assert "C:\\" in texts[0] and "two" in texts[1]


def test_exit_asks_the_front_end_to_close(kc):
    reply, _ = execute(kc, "exit")
    assert reply["payload"] == [{"source": "ask_exit", "keepkernel": False}]


def test_the_console_runs_a_query_typed_line_by_line_once_at_the_semicolon():
    console = start_console()
    try:
        console.expect(prompt("In", 1))
        seen = ""
        for line in ["SELECT id,", "  id * 2 AS twice", "FROM range(3)"]:
            console.send(line + "\r")
            # Not run: the console asks for the next line of the same cell.
            console.expect(r"\.\.\.:")
            seen += console.before
        console.send("WHERE id > 0;\r")
        console.expect(prompt("Out", 1))
        seen += console.before
        console.expect(prompt("In", 2))
        result = console.before
        assert "|  2|    4|" in result and "|  0|" not in result
        assert "Out[" not in seen and "Error" not in seen + result
        console.send("exit\r")
        console.expect(pexpect.EOF)
    finally:
        console.close(force=True)
