"""%chart and %profile on the real kernel and server: each chart's inline data equals the
same aggregation done by pyspark over the whole result (10 million rows, whose first 1,000
would draw a different chart), odd column names, CTE/ORDER BY/LIMIT inside the user's SQL,
a command that runs exactly once and is refused a chart, wrong arguments, and the profile's
figures against pyspark's."""

import math
import time
import uuid

import pytest
from pyspark.sql import functions as F

from support.kernel import collect, execute, kept_results, shell_reply

VEGA = "application/vnd.vegalite.v5+json"
TIMEOUT = 600

# 10 million rows; the first 1,000 are all category 'first', with small ids and v = 0.
BIG = (
    "SELECT id, CASE WHEN id < 1000 THEN 'first' ELSE concat('k', CAST(id % 40 AS STRING)) END AS cat, "
    "CASE WHEN id < 1000 THEN 0D ELSE CAST(id % 97 AS DOUBLE) END AS v, id * 0.001D AS w, "
    "DATE'2024-01-01' + CAST(id % 365 AS INT) AS day FROM range(10000000)"
)


def chart(kc, code):
    reply, outputs = execute(kc, code, timeout=TIMEOUT)
    assert reply["status"] == "ok", reply
    [result] = kept_results(outputs)
    spec = result["data"][VEGA]
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
    return spec, result["data"]["text/plain"]


def error(kc, code):
    reply, _ = execute(kc, code, timeout=TIMEOUT)
    assert reply["status"] == "error"
    assert "\n" not in reply["evalue"]
    return reply["ename"], reply["evalue"]


def short(v):
    """A number as the profile shows it: about six significant digits."""
    if v == 0:
        return "0"
    decimals = max(0, min(6, 5 - math.floor(math.log10(abs(v)))))
    s = f"{v:.{decimals}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def close(a, b):
    return a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9))


def test_bars_aggregate_the_whole_result_with_the_rest_as_other(kernel, spark):
    _, kc = kernel
    spec, text = chart(kc, f"%chart bar x=cat y=v\n{BIG}")
    got = [(p["x"], p["y"]) for p in spec["data"]["values"]]
    sums = (
        spark.sql(BIG).groupBy("cat").agg(F.sum("v").alias("s")).orderBy(F.desc("s"), "cat").collect()
    )
    expected = [(r["cat"], r["s"]) for r in sums[:30]]
    assert got[:30] == expected
    assert got[30] == ("other", sum(r["s"] for r in sums[30:]))
    assert len(got) == 31
    # The first 1,000 rows alone would be a single bar 'first' of height 0.
    assert "first" not in [x for x, _ in got[:30]]
    assert "over all 10,000,000 rows" in text
    assert "the 30 largest of 41 cat values shown, the other 11" in text
    assert spec["encoding"]["x"]["sort"] == [x for x, _ in got]


def test_a_histogram_is_binned_by_spark_over_every_row(kernel, spark):
    _, kc = kernel
    spec, text = chart(kc, f"%chart histogram x=id bins=10\n{BIG}")
    bins = spec["data"]["values"]
    lo, hi = 0.0, 9999999.0
    width = (hi - lo) / 10
    expected = {
        r["b"]: r["n"]
        for r in spark.sql(BIG)
        .select(F.least(F.floor((F.col("id").cast("double") - F.lit(lo)) / F.lit(width)).cast("int"), F.lit(9)).alias("b"))
        .groupBy("b")
        .count()
        .withColumnRenamed("count", "n")
        .collect()
    }
    assert [b["count"] for b in bins] == [expected.get(i, 0) for i in range(10)]
    assert sum(b["count"] for b in bins) == 10_000_000
    assert bins[0]["start"] == 0 and bins[-1]["end"] == 9999999
    assert "histogram of id in 10 bins" in text and "10,000,000 rows" in text


def test_a_line_has_ordered_times_averaged_over_the_whole_result(kernel, spark):
    _, kc = kernel
    spec, text = chart(kc, f"%chart line x=day y=v agg=avg\n{BIG}")
    assert spec["encoding"]["x"]["type"] == "temporal"
    got = [(p["x"], p["y"]) for p in spec["data"]["values"]]
    expected = [
        (str(r["day"]), r["a"]) for r in spark.sql(BIG).groupBy("day").agg(F.avg("v").alias("a")).orderBy("day").collect()
    ]
    assert [x for x, _ in got] == [x for x, _ in expected] and len(got) == 365
    assert all(close(a, b) for (_, a), (_, b) in zip(got, expected))
    assert "365 day values" in text


def test_a_line_of_too_many_numbers_is_drawn_over_ranges_spark_groups(kernel, spark):
    _, kc = kernel
    query = "SELECT id, (id * 7919) % 1000 AS v FROM range(1000000)"
    spec, text = chart(kc, f"%chart line x=id y=v agg=max\n{query}")
    got = [(p["x"], p["y"]) for p in spec["data"]["values"]]
    width = (999999.0 - 0.0) / 1000
    bucket = F.least(F.floor((F.col("id").cast("double") - F.lit(0.0)) / F.lit(width)), F.lit(999))
    start = F.lit(0.0) + bucket * F.lit(width)
    rows = spark.sql(query).groupBy(start.alias("b")).agg(F.max("v").alias("m")).orderBy("b").collect()
    assert got == [(r["b"], float(r["m"])) for r in rows]
    assert len(got) == 1000
    assert "1,000,000 id values, grouped by Spark into 1,000 ranges of 999.999" in text
    assert "only the first" not in text


def test_an_area_of_two_ys_by_category_counts_nulls_and_nan(kernel, spark):
    _, kc = kernel
    query = (
        "SELECT id % 5 AS g, CASE WHEN id % 7 = 0 THEN NULL WHEN id % 11 = 0 THEN CAST('NaN' AS DOUBLE) "
        "ELSE id * 1D END AS a, id % 13 AS b FROM range(100000)"
    )
    spec, text = chart(kc, f"%chart area x=g y=a,b agg=max\n{query}")
    got = sorted((p["x"], p["series"], p["y"]) for p in spec["data"]["values"])
    df = spark.sql(query).withColumn("a", F.when(F.isnan("a"), None).otherwise(F.col("a")))
    rows = df.groupBy("g").agg(F.max("a").alias("a"), F.max("b").alias("b")).collect()
    expected = sorted(
        [(float(r["g"]), "max(a)", float(r["a"])) for r in rows] + [(float(r["g"]), "max(b)", float(r["b"])) for r in rows]
    )
    assert got == expected
    skipped = df.filter(F.col("a").isNull()).count()
    assert f"{skipped:,} values of a null or NaN, not counted" in text


def test_a_scatter_is_a_sample_spark_takes_of_the_whole_result(kernel, spark):
    _, kc = kernel
    spec, text = chart(kc, f"%chart scatter x=id y=w\n{BIG}")
    points = spec["data"]["values"]
    assert 4000 <= len(points) <= 5000
    assert all(close(p["y"], p["x"] * 0.001) for p in points)
    # Spread over the whole range, not the first rows.
    assert max(p["x"] for p in points) > 9_000_000 and min(p["x"] for p in points) < 1_000_000
    assert f"a random sample of {len(points):,} of the 10,000,000 rows" in text


def test_odd_names_work_everywhere(kernel, spark):
    _, kc = kernel
    query = (
        "SELECT concat('s', CAST(id % 3 AS STRING)) AS `sample id`, id AS `we``ird`, "
        "CASE WHEN id % 2 = 0 THEN 'even' ELSE 'odd' END AS `größe` FROM range(1000)"
    )
    spec, text = chart(kc, f'%chart bar x="sample id" y=`we``ird` color=größe agg=sum\n{query}')
    got = sorted((p["x"], p["series"], p["y"]) for p in spec["data"]["values"])
    df = spark.sql(query)
    assert df.columns == ["sample id", "we`ird", "größe"]
    df = df.toDF("s", "w", "g")
    expected = sorted((r[0], r[1], float(r[2])) for r in df.groupBy("s", "g").agg(F.sum("w")).collect())
    assert got == expected
    assert spec["encoding"]["x"]["title"] == "sample id" and spec["encoding"]["color"]["title"] == "größe"
    assert "sum(we`ird) by sample id and größe" in text


def test_the_users_cte_order_by_and_limit_are_kept(kernel):
    _, kc = kernel
    code = (
        "%chart histogram x=id bins=4\n"
        "-- the last hundred\n"
        "WITH t AS (SELECT id FROM range(10000)) SELECT * FROM t ORDER BY id DESC LIMIT 100; -- done"
    )
    spec, text = chart(kc, code)
    assert [b["count"] for b in spec["data"]["values"]] == [25, 25, 25, 25]
    assert spec["data"]["values"][0]["start"] == 9900 and spec["data"]["values"][-1]["end"] == 9999
    assert "over all 100 rows" in text


def test_a_command_is_refused_a_chart_and_runs_exactly_once(kernel, spark, tmp_path):
    _, kc = kernel
    reply, _ = execute(kc, f"CREATE TABLE chart_once (a INT) USING parquet LOCATION '{tmp_path / 'once'}'")
    assert reply["status"] == "ok", reply
    try:
        ename, evalue = error(kc, "%chart bar x=a\nINSERT INTO chart_once VALUES (7)")
        assert ename == "NotAQuery"
        assert "%chart needs a query" in evalue and "it ran once" in evalue
        assert [tuple(r) for r in spark.sql("SELECT a FROM chart_once").collect()] == [(7,)]
    finally:
        execute(kc, "DROP TABLE IF EXISTS chart_once")


def test_wrong_arguments_name_what_is_wrong_and_the_columns(kernel):
    _, kc = kernel
    query = "SELECT 'a' AS name, 1 AS n"
    ename, evalue = error(kc, f"%chart bar x=nmae y=n\n{query}")
    assert (ename, evalue) == (
        "ChartArguments",
        "%chart: x: there is no column nmae in the result; its columns are name (string), n (int)",
    )
    ename, evalue = error(kc, f"%chart line x=n y=name\n{query}")
    assert evalue.startswith("%chart: y: name is string, not a number") and "n (int)" in evalue
    ename, evalue = error(kc, f"%chart histogram\n{query}")
    assert (ename, evalue.split(". Usage")[0]) == ("MagicUsage", "%chart: a histogram chart needs x=COL")
    ename, evalue = error(kc, f"%chart histogram x=name\n{query}")
    assert "a histogram needs a number, date or timestamp" in evalue and "n (int)" in evalue


def test_a_profile_matches_pysparks_figures(kernel, spark):
    _, kc = kernel
    query = (
        "SELECT id, CASE WHEN id % 10 = 0 THEN NULL ELSE concat('v', CAST(id % 4 AS STRING)) END AS label, "
        "CASE WHEN id % 9 = 0 THEN CAST('NaN' AS DOUBLE) ELSE id / 7D END AS x, "
        "DATE'2020-01-01' + CAST(id % 100 AS INT) AS day FROM range(100000)"
    )
    reply, outputs = execute(kc, f"%profile\n{query}", timeout=TIMEOUT)
    assert reply["status"] == "ok", reply
    [result] = kept_results(outputs)
    text = result["data"]["text/plain"]
    html = result["data"]["text/html"]
    assert text.startswith("profile of 100,000 rows × 4 columns, computed by Spark over the whole result in 3 passes")
    assert html.count("<tr>") == 5 and html.count("<svg") == 3
    df = spark.sql(query)
    lines = {line.split(" (")[0]: line for line in text.splitlines()[2:]}
    x = df.withColumn("x", F.when(F.isnan("x"), None).otherwise(F.col("x")))
    s = x.agg(
        F.min("x"), F.max("x"), F.avg("x"), F.stddev("x"), F.percentile_approx("x", [0.25, 0.5, 0.75], 1000),
        F.approx_count_distinct(df["x"]),
    ).collect()[0]
    nan = df.filter(F.isnan("x")).count()
    assert f"nulls 0 (+{nan:,} NaN)" in lines["x"]
    assert f"mean {short(s[2])}, stddev {short(s[3])}" in lines["x"]
    assert f"quartiles {short(s[4][0])} · {short(s[4][1])} · {short(s[4][2])}" in lines["x"]
    assert f"distinct ≈ {s[5]:,}" in lines["x"]
    labels = df.groupBy("label").count().collect()
    nulls = [r["count"] for r in labels if r["label"] is None][0]
    assert f"count {100000 - nulls:,}, nulls {nulls:,}" in lines["label"]
    top = sorted(((r["label"], r["count"]) for r in labels if r["label"] is not None), key=lambda t: (-t[1], t[0]))
    assert "most frequent " + ", ".join(f"{v} ({n:,})" for v, n in top) in lines["label"]
    assert "length 2–2" in lines["label"]
    assert "min 2020-01-01, max 2020-04-09" in lines["day"]
    assert "histogram from 0 to 99999: " + " ".join(["10000"] * 10) in lines["id"]


def interrupt(kc):
    msg = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(msg)
    while True:
        reply = kc.control_channel.get_msg(timeout=10)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply


def test_an_interrupt_stops_the_charts_query_on_the_server(kernel):
    # The chart's first query sleeps 8 s on its one row, then sets a JVM property: had the
    # server kept running it after the interrupt, the property would be set afterwards.
    _, kc = kernel
    key = f"kbase.chart.probe.{uuid.uuid4().hex}"
    x = (
        "length(concat(coalesce(reflect('java.lang.Thread', 'sleep', CAST(8000 AS BIGINT)), ''), "
        f"coalesce(reflect('java.lang.System', 'setProperty', '{key}', 'ran'), '')))"
    )
    msg_id = kc.execute(f"%chart histogram x=x\nSELECT {x} AS x FROM range(1)")
    time.sleep(3)
    assert interrupt(kc)["content"]["status"] == "ok"
    assert shell_reply(kc, msg_id, timeout=30)["content"]["ename"] == "QueryCancelled"
    collect(kc, msg_id)
    time.sleep(10)
    # reflect answers the text 'null' for a property never set.
    reply, outputs = execute(kc, f"SELECT reflect('java.lang.System', 'getProperty', '{key}') AS v")
    assert reply["status"] == "ok", reply
    assert "|null|" in kept_results(outputs)[0]["data"]["text/plain"].replace(" ", "")
