"""The scripting corpus (data/scripting_corpus.sql): each script, run through the kernel,
gives what pyspark's `spark.sql` gives on the same server — the same columns and rows, or
the same error class. The scripts exercise every construct Spark 4.0.1 runs: blocks and
nesting, DECLARE and SET, IF/ELSEIF/ELSE, CASE statements, WHILE, REPEAT, LOOP, FOR,
labels with LEAVE and ITERATE, handlers and conditions, DML and EXECUTE IMMEDIATE inside."""

import base64
import os
import re
from pathlib import Path

import pyarrow as pa
import pytest

from support.kernel import execute, start_kernel
from support.spark import pyspark_session

CORPUS = Path(__file__).parent / "data" / "scripting_corpus.sql"


def scripts():
    text = CORPUS.read_text()
    parts = re.split(r"^-- script: (\S+)\n", text, flags=re.M)[1:]
    return [(name, body.strip()) for name, body in zip(parts[::2], parts[1::2])]


SCRIPTS = scripts()


def test_the_corpus_is_large_and_covers_every_construct():
    assert len(SCRIPTS) >= 30
    words = " ".join(body.upper() for _, body in SCRIPTS)
    for construct in ["END IF", "ELSEIF", "END CASE", "END WHILE", "END REPEAT", "END LOOP", "END FOR",
                      "LEAVE", "ITERATE", "HANDLER", "CONDITION", "EXECUTE IMMEDIATE"]:
        assert construct in words, construct


@pytest.fixture(scope="module")
def sides():
    km, kc = start_kernel()
    reply, _ = execute(kc, "SELECT 1")
    assert reply["status"] == "ok", reply
    spark = pyspark_session(conf={"spark.sql.scripting.enabled": "true"})
    yield kc, spark
    spark.stop()
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def through_kernel(kc, script):
    reply, outputs = execute(kc, script.replace("{p}", "kernel_"))
    if reply["status"] != "ok":
        return ("error", reply["ename"])
    shown = [m for m in outputs if m["msg_type"] == "execute_result"]
    assert len(shown) == 1, outputs
    data = shown[0]["content"]["data"]
    if "application/vnd.apache.arrow.stream" not in data:
        assert data["text/plain"] == "OK"
        return ("rows", [], [])
    table = pa.ipc.open_stream(base64.b64decode(data["application/vnd.apache.arrow.stream"])).read_all()
    return ("rows", table.column_names, [tuple(r.values()) for r in table.to_pylist()])


def through_pyspark(spark, script):
    try:
        df = spark.sql(script.replace("{p}", "pyspark_"))
        collected = df.collect()
    except Exception as e:  # noqa: BLE001 - any Spark error is an outcome to compare
        return ("error", e.getCondition() if hasattr(e, "getCondition") else type(e).__name__)
    return ("rows", list(df.columns), [tuple(r) for r in collected])


@pytest.mark.parametrize("name,script", SCRIPTS, ids=[n for n, _ in SCRIPTS])
def test_the_kernel_gives_what_spark_sql_gives(sides, name, script):
    kc, spark = sides
    assert through_kernel(kc, script) == through_pyspark(spark, script)
