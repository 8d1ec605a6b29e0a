"""Fidelity of results: a battery of queries over every Spark SQL type and its edge values,
run through the kernel (jupyter_client, real Spark Connect server). For each, the Arrow
output is decoded and compared with pyspark's own result for the same SQL on the same
server; the HTML table is parsed and every cell compared with the exact text Spark's values
should read as; the text table is checked too."""

import base64
import html
import re
from html.parser import HTMLParser

import pyarrow as pa
import pytest

from support.kernel import execute, start_kernel
from support.spark import pyspark_session

ARROW = "application/vnd.apache.arrow.stream"
NULL = object()  # a NULL cell, as opposed to the string 'NULL'
TZ = "America/Los_Angeles"


class Cells(HTMLParser):
    """Header names and types, and the body cells, of the kernel's HTML table. Cells and rows
    may leave out their end tags, as HTML allows; a NULL is in italics."""

    def __init__(self):
        super().__init__()
        self.headers, self.types, self.rows = [], [], []
        self.footer = ""
        self._in, self._cell, self._null, self._title, self._open = None, "", False, None, False
        self.tags = set()

    def _close_cell(self):
        if self._open and self._in == "tbody":
            self.rows[-1].append(NULL if self._null else (self._title if self._title is not None else self._cell))
        self._open = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        if tag == "tr" and self._in == "tbody":
            self._close_cell()
            self.rows.append([])
        elif tag in ("th", "td"):
            self._close_cell()
            self._cell, self._null, self._title, self._open = "", False, attrs.get("title"), tag == "td"
        elif tag == "i" and self._open:
            self._null = True
        elif tag in ("thead", "tbody"):
            self._in = tag
        elif tag == "div" and self._in == "done":
            self._in = "footer"
        if tag == "br" and self._in == "thead":
            self._cell += "\0"

    def handle_endtag(self, tag):
        if tag == "th":
            name, _, kind = self._cell.partition("\0")
            self.headers.append(name)
            self.types.append(kind)
        elif tag in ("td", "tr"):
            self._close_cell()
        elif tag == "tbody":
            self._close_cell()
            self._in = "done"

    def handle_data(self, data):
        if self._in == "footer":
            self.footer += data
        elif self._in in ("thead", "tbody"):
            self._cell += data


@pytest.fixture(scope="module")
def kc_in_tz():
    """A kernel's client whose Spark session reads and shows times in TZ."""
    km, kc = start_kernel()
    reply, _ = execute(kc, f"SET spark.sql.session.timeZone={TZ}")
    assert reply["status"] == "ok", reply
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)


@pytest.fixture(scope="module")
def spark_in_tz():
    """pyspark's client with the session time zone TZ, as the kernel's."""
    session = pyspark_session(conf={"spark.sql.session.timeZone": TZ})
    yield session
    session.stop()


def show(kc, sql):
    reply, outputs = execute(kc, sql)
    assert reply["status"] == "ok", reply
    (result,) = [o for o in outputs if o["msg_type"] == "execute_result"]
    return result["content"]["data"]


def parse(data):
    cells = Cells()
    cells.feed(data["text/html"])
    return cells


def arrow_of(data):
    return pa.ipc.open_stream(base64.b64decode(data[ARROW])).read_all()


def comparable(value):
    """Values as Python compares them, with NaN made equal to itself."""
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [comparable(v) for v in value]
    return value


def same_type(a: pa.DataType, b: pa.DataType) -> bool:
    """Equal types, except for the spelling of a time zone (Etc/UTC and UTC are one zone)."""
    clean = lambda t: re.sub(r"tz=[^,\]]+", "tz", str(t))
    return clean(a) == clean(b)


CASES = [
    ("integers", "SELECT 127Y AS ti, CAST(-32768 AS SMALLINT) AS si, 2147483647 AS i, CAST('-9223372036854775808' AS BIGINT) AS bi",
     [["127", "-32768", "2147483647", "-9223372036854775808"]]),
    ("decimals", "SELECT CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)) AS big, "
     "CAST(-0.5 AS DECIMAL(3,2)) AS neg, CAST(0 AS DECIMAL(10,0)) AS zero",
     [["12345678901234567890.123456789012345678", "-0.50", "0"]]),
    ("floating point", "SELECT double('NaN') AS nan, double('Infinity') AS inf, double('-Infinity') AS ninf, "
     "1e300D AS big, 1e-300D AS tiny, 0.1D + 0.2D AS sum, 1.5F AS f, CAST(0.1 AS FLOAT) AS f01, -0.0D AS negzero",
     [["NaN", "Infinity", "-Infinity", "1e300", "1e-300", "0.30000000000000004", "1.5", "0.1", "-0.0"]]),
    ("booleans", "SELECT true AS t, false AS f, CAST(NULL AS BOOLEAN) AS n", [["true", "false", NULL]]),
    ("strings", "SELECT 'héllo 世界' AS u, '<script>alert(1)</script>' AS tag, 'tab\\there\\u0007' AS ctl, "
     "'NULL' AS s_null, CAST(NULL AS STRING) AS n, '' AS empty, '🧬' AS emoji",
     [["héllo 世界", "<script>alert(1)</script>", "tab\\there\\u{0007}", "NULL", NULL, "", "🧬"]]),
    ("binary", "SELECT X'01FF' AS b, X'' AS empty", [["X'01FF'", "X''"]]),
    ("dates", "SELECT DATE'1899-12-31' AS old, DATE'0001-01-01' AS first, DATE'9999-12-31' AS last, DATE'1582-10-04' AS julian",
     [["1899-12-31", "0001-01-01", "9999-12-31", "1582-10-04"]]),
    ("timestamps in the session time zone", "SELECT TIMESTAMP'2024-03-10 12:34:56.789' AS ts, timestamp_seconds(0) AS epoch, "
     "TIMESTAMP'1900-01-01 00:00:00' AS old, TIMESTAMP_NTZ'2024-03-10 12:34:56' AS ntz",
     [["2024-03-10 12:34:56.789", "1969-12-31 16:00:00", "1900-01-01 00:00:00", "2024-03-10 12:34:56"]]),
    ("day-time intervals", "SELECT INTERVAL '1 02:03:04.5' DAY TO SECOND AS dts, INTERVAL '3' HOUR AS h, "
     "INTERVAL '-90' MINUTE AS m, INTERVAL '10:20' HOUR TO MINUTE AS hm",
     [["INTERVAL '1 02:03:04.5' DAY TO SECOND", "INTERVAL '03' HOUR", "INTERVAL '-90' MINUTE", "INTERVAL '10:20' HOUR TO MINUTE"]]),
    ("nested", "SELECT array(1, NULL, 3) AS arr, array('a', NULL, 'NULL') AS strs, map('k', array(1, 2)) AS m, "
     "named_struct('a', 1, 'b', named_struct('c', 'x', 'd', CAST(NULL AS INT))) AS st, "
     "array(map('x', named_struct('y', array(CAST(NULL AS STRING))))) AS deep, CAST(NULL AS ARRAY<INT>) AS none",
     [["[1, NULL, 3]", '["a", NULL, "NULL"]', '{"k" -> [1, 2]}', '{a: 1, b: {c: "x", d: NULL}}',
       '[{"x" -> {y: [NULL]}}]', NULL]]),
    ("duplicate column names", "SELECT 1 AS a, 2 AS a", [["1", "2"]]),
    ("several rows in order", "SELECT id, id % 2 = 0 AS even FROM range(3) ORDER BY id",
     [["0", "true"], ["1", "false"], ["2", "true"]]),
]


@pytest.mark.parametrize("name, sql, expected", CASES, ids=[c[0] for c in CASES])
def test_values_match_spark(kc_in_tz, spark_in_tz, name, sql, expected):
    data = show(kc_in_tz, sql)
    got = arrow_of(data)
    truth = spark_in_tz.sql(sql).toArrow()
    assert got.schema.names == truth.schema.names
    for g, t in zip(got.schema, truth.schema):
        assert same_type(g.type, t.type), (g, t)
    assert comparable(got.to_pylist()) == comparable(truth.to_pylist())

    cells = parse(data)
    assert cells.headers == truth.schema.names
    assert cells.types == [f.dataType.simpleString() for f in spark_in_tz.sql(sql).schema.fields]
    assert cells.rows == expected
    assert "script" not in cells.tags
    text = data["text/plain"]
    for row in expected:
        for value in row:
            assert (value if value is not NULL else "NULL") in text


def test_year_month_intervals_match_spark(kc_in_tz, spark_in_tz):
    # pyspark's client cannot read year-month intervals at all (not even with collect()), and
    # pyarrow reads their type but not their values: compare with Spark's own text for them.
    intervals = ["INTERVAL '-1-2' YEAR TO MONTH", "INTERVAL '14' MONTH", "INTERVAL '3' YEAR"]
    data = show(kc_in_tz, "SELECT " + ", ".join(f"{i} AS c{n}" for n, i in enumerate(intervals)))
    spark_text = spark_in_tz.sql("SELECT " + ", ".join(f"CAST({i} AS STRING)" for i in intervals)).collect()[0]
    assert parse(data).rows == [list(spark_text)]
    assert [str(f.type) for f in arrow_of(data).schema] == ["month_interval"] * 3


def test_varchar_and_char_types_are_named(kc_in_tz, spark_in_tz):
    spark_in_tz.sql("CREATE OR REPLACE TEMP VIEW typed AS SELECT CAST('ab' AS VARCHAR(10)) AS v, CAST('c' AS CHAR(3)) AS c")
    execute(kc_in_tz, "CREATE OR REPLACE TEMP VIEW typed AS SELECT CAST('ab' AS VARCHAR(10)) AS v, CAST('c' AS CHAR(3)) AS c")
    data = show(kc_in_tz, "SELECT * FROM typed")
    assert parse(data).types == [f.dataType.simpleString() for f in spark_in_tz.sql("SELECT * FROM typed").schema.fields]


def test_zero_rows_show_the_header_and_a_count(kc_in_tz):
    cells = parse(show(kc_in_tz, "SELECT id, CAST(id AS STRING) AS s FROM range(0)"))
    assert cells.headers == ["id", "s"] and cells.types == ["bigint", "string"]
    assert cells.rows == []
    assert "0 rows" in cells.footer


def test_hundreds_of_columns(kc_in_tz, spark_in_tz):
    sql = "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(250))
    data = show(kc_in_tz, sql)
    cells = parse(data)
    assert len(cells.headers) == 250 and cells.rows == [[str(i) for i in range(250)]]
    assert arrow_of(data).num_columns == 250
    lines = data["text/plain"].splitlines()
    assert len({len(line) for line in lines}) == 1  # every line of the text table aligns


def test_very_long_values_are_shortened_in_view_with_the_full_value_kept(kc_in_tz):
    data = show(kc_in_tz, "SELECT 1 AS n, repeat('ab', 5000) AS long")
    cells = parse(data)
    assert cells.rows == [["1", "ab" * 5000]]  # the full value is the cell's title
    assert "ab" * 5000 not in html.unescape(re.sub(r'title="[^"]*"', "", data["text/html"]))
    assert "ab" * 5000 not in data["text/plain"] and "..." in data["text/plain"]
    assert arrow_of(data).to_pylist() == [{"n": 1, "long": "ab" * 5000}]


def test_a_value_that_is_the_whole_result_is_shown_in_full(kc_in_tz):
    data = show(kc_in_tz, "SELECT repeat('ab', 5000) AS long")
    assert "ab" * 5000 in data["text/html"] and "title=" not in data["text/html"]
    assert "|" + "ab" * 5000 + "|" in data["text/plain"]


def test_wide_characters_line_up_in_the_text_table(kc_in_tz):
    from wcwidth import wcswidth

    data = show(kc_in_tz, "SELECT '世界' AS w, 'abc' AS a UNION ALL SELECT 'x', '🧬🧬'")
    widths = {wcswidth(line) for line in data["text/plain"].splitlines()}
    assert len(widths) == 1, data["text/plain"]


def test_an_oversized_result_is_cut_to_fit_a_notebook(kc_in_tz):
    data = show(kc_in_tz, "SELECT id, repeat('x', 100000) AS big FROM range(100)")
    size = sum(len(v) for v in data.values())
    assert size <= 5 * 2**20
    table = arrow_of(data)
    assert 1 <= table.num_rows < 100
    assert table.column("id").to_pylist() == list(range(table.num_rows))
    assert "output size limit" in data["text/plain"] and "output size limit" in data["text/html"]
    assert f"first {table.num_rows} rows shown" in data["text/plain"]


def test_a_query_with_rows_and_no_columns_is_a_result(kc_in_tz, spark_in_tz):
    sql = "SELECT * EXCEPT (id) FROM range(3)"
    data = show(kc_in_tz, sql)
    assert data["text/plain"] == "++\n||\n++\n||\n||\n||\n++"
    assert "3 rows" in parse(data).footer
    assert arrow_of(data).num_rows == len(spark_in_tz.sql(sql).collect()) == 3


def test_collated_strings_keep_their_collation(kc_in_tz, spark_in_tz):
    sql = "SELECT 'a' COLLATE UTF8_LCASE AS c, array('x' COLLATE UTF8_LCASE) AS arr, 'b' AS plain"
    data = show(kc_in_tz, sql)
    expected = [f.dataType.simpleString() for f in spark_in_tz.sql(sql).schema.fields]
    assert expected[0] == "string collate UTF8_LCASE"
    assert parse(data).types == expected
    assert [f.metadata[b"spark_type"].decode() for f in arrow_of(data).schema] == expected
