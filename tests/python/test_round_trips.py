"""How many times the kernel calls Spark per statement, counted by the server: the
token-checking server writes the method of every call it receives to a log. A plain query
costs one ExecutePlan; a command (SHOW, DESCRIBE, SET, EXPLAIN, DDL, an INSERT) too: Spark
runs it and sends its rows with it, so nothing is fetched after it, and it runs once."""

import json
import os
import time
from pathlib import Path

import pytest

from support.kernel import execute, start_kernel

CALL_LOG = Path(os.environ["KBASE_TEST_CALL_LOG"])
TOKENS = json.loads(Path(os.environ["KBASE_TEST_TOKENS"]).read_text())
ALICE = next(t for t in TOKENS if t.startswith("alice-valid"))


def calls():
    return CALL_LOG.read_text().split() if CALL_LOG.exists() else []


@pytest.fixture(scope="module")
def alice_kc():
    """A kernel's client on alice's token-checking server, which counts the calls it gets."""
    km, kc = start_kernel(
        SPARK_REMOTE=f"sc://127.0.0.1:{os.environ['KBASE_TEST_CHECKING_PORT']}",
        KBASE_AUTH_TOKEN=ALICE,
        KBASE_AUTH_URL=os.environ["KBASE_TEST_AUTH_URL"],
    )
    reply, _ = execute(kc, "SELECT 1")
    assert reply["status"] == "ok", reply
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def plans_of(kc, code):
    """The reply to `code` and the ExecutePlan calls it made."""
    before = len(calls())
    reply, outputs = execute(kc, code)
    made = calls()[before:]
    return reply, outputs, made.count("ExecutePlan")


@pytest.mark.parametrize(
    "code",
    [
        "SELECT 1",
        "WITH x AS (SELECT 2 AS a) SELECT a FROM x",
        "VALUES (1, 'a'), (2, 'b')",
        "SELECT * EXCEPT (id) FROM range(3)",
    ],
)
def test_a_plain_query_is_one_call(alice_kc, code):
    reply, outputs, plans = plans_of(alice_kc, code)
    assert reply["status"] == "ok", reply
    assert plans == 1
    assert any(m["msg_type"] == "execute_result" for m in outputs)


def test_a_command_and_its_rows_are_one_call(alice_kc):
    reply, _, plans = plans_of(alice_kc, "CREATE OR REPLACE TEMP VIEW round_trips AS SELECT 1 AS a")
    assert reply["status"] == "ok", reply
    assert plans == 1
    reply, outputs, plans = plans_of(alice_kc, "SHOW VIEWS LIKE 'round_trips'")
    assert reply["status"] == "ok", reply
    assert plans == 1
    result = next(m for m in outputs if m["msg_type"] == "execute_result")
    assert "round_trips" in result["content"]["data"]["text/plain"]


@pytest.mark.parametrize(
    "code, shown",
    [
        ("DESCRIBE round_trips", "col_name"),
        ("SET spark.sql.shuffle.partitions", "spark.sql.shuffle.partitions"),
        ("EXPLAIN SELECT a FROM round_trips", "Physical Plan"),
        ("SHOW DATABASES", "default"),
    ],
)
def test_show_describe_set_and_explain_are_one_call(alice_kc, code, shown):
    execute(alice_kc, "CREATE OR REPLACE TEMP VIEW round_trips AS SELECT 1 AS a")
    reply, outputs, plans = plans_of(alice_kc, code)
    assert reply["status"] == "ok", reply
    assert plans == 1
    result = next(m for m in outputs if m["msg_type"] == "execute_result")
    assert shown in result["content"]["data"]["text/plain"]


def test_an_insert_after_a_cte_is_a_command_and_runs_once(alice_kc):
    execute(alice_kc, "CREATE OR REPLACE TEMP VIEW rt_source AS SELECT 1 AS a")
    reply, _ = execute(alice_kc, "CREATE TABLE IF NOT EXISTS rt_target (a INT) USING parquet")
    assert reply["status"] == "ok", reply
    execute(alice_kc, "TRUNCATE TABLE rt_target")
    reply, _, plans = plans_of(alice_kc, "WITH x AS (SELECT a FROM rt_source) INSERT INTO rt_target SELECT a FROM x")
    assert reply["status"] == "ok", reply
    assert plans == 1
    reply, outputs = execute(alice_kc, "SELECT count(*) AS n FROM rt_target")
    result = next(m for m in outputs if m["msg_type"] == "execute_result")
    assert "|1|" in result["content"]["data"]["text/plain"].replace(" ", "")
    execute(alice_kc, "DROP TABLE rt_target")


def test_a_failing_query_is_one_call_and_points_at_its_error(alice_kc):
    reply, outputs, plans = plans_of(alice_kc, "SELECT nope FROM range(1)")
    assert reply["status"] == "error"
    assert "UNRESOLVED_COLUMN" in reply["ename"]
    assert plans == 1
    error = next(m for m in outputs if m["msg_type"] == "error")
    assert any("^^^^" in line for line in error["content"]["traceback"])


def test_the_calls_are_released_in_the_background(alice_kc):
    """Each execution is released after it completes, off the statement's path."""
    before = len(calls())
    reply, _ = execute(alice_kc, "SELECT 42")
    assert reply["status"] == "ok"
    deadline = time.monotonic() + 60
    while "ReleaseExecute" not in calls()[before:] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "ReleaseExecute" in calls()[before:]


def test_a_profile_is_the_statement_its_columns_and_three_passes(alice_kc):
    """%profile of text, numbers and a date: the statement sent once, the look at its
    columns, then one query per pass (figures, sketches, one grouping for the most frequent
    values and the histograms). A pass split in two, or the statement run again, fails it."""
    query = (
        "SELECT id, concat('k', CAST(id % 7 AS STRING)) AS label, id / 3D AS x, "
        "DATE'2024-01-01' + CAST(id % 30 AS INT) AS day FROM range(1000)"
    )
    reply, outputs, plans = plans_of(alice_kc, f"%profile\n{query}")
    assert reply["status"] == "ok", reply
    result = next(m for m in outputs if m["msg_type"] == "execute_result")
    text = result["content"]["data"]["text/plain"]
    assert text.startswith("profile of 1,000 rows × 4 columns, computed by Spark over the whole result in 3 passes")
    assert plans == 1 + 1 + 3, plans
