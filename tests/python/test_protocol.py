"""The kernel as a Jupyter peer, through jupyter_client: message signing, garbage frames,
interrupts, control and heartbeat while a query runs, aborting queued cells after an error,
silent runs, and shutdown releasing the Spark session on the server."""

import os
import signal
import tempfile
import time
import uuid

import pytest
from jupyter_client.session import Session

from support.kernel import collect, execute, shell_reply, start_kernel
from support.spark import pyspark_session

# Runs for a minute on the server unless it is cancelled.
LONG_QUERY = "SELECT reflect('java.lang.Thread', 'sleep', CAST(60000 AS BIGINT)) AS slept"


def test_a_wrongly_signed_execute_is_not_run(kernel):
    _, kc = kernel
    forger = Session(key=b"not-the-connection-key", username="mallory")
    forged = forger.send(
        kc.shell_channel.socket,
        "execute_request",
        {"code": "CREATE OR REPLACE TEMP VIEW forged_view AS SELECT 1 AS a", "silent": False,
         "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    )
    time.sleep(2)
    # No reply and no output for the forged message.
    while True:
        try:
            msg = kc.get_shell_msg(timeout=0.5)
        except Exception:
            break
        assert msg["parent_header"].get("msg_id") != forged["header"]["msg_id"]
    reply, outputs = execute(kc, "SELECT * FROM forged_view")
    assert reply["status"] == "error"
    assert reply["ename"] == "TABLE_OR_VIEW_NOT_FOUND"


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_garbage_frames_do_not_kill_the_kernel(kernel, channel):
    km, kc = kernel
    socket = getattr(kc, f"{channel}_channel").socket
    for frames in (
        [b"garbage"],
        [b"\xff\xfe\x00"],
        [b"<IDS|MSG>"],
        [b"<IDS|MSG>", b"sig", b"{", b"}", b"{}", b"[]"],
        [b"<IDS|MSG>", b"", b"not json", b"{}", b"{}", b"{}"],
    ):
        socket.send_multipart(frames)
    time.sleep(0.5)
    assert km.is_alive()
    reply = kc.kernel_info(reply=True, timeout=10)
    assert reply["content"]["status"] == "ok"
    reply, _ = execute(kc, "SELECT 42 AS answer")
    assert reply["status"] == "ok"


def control_request(kc, msg_type, content=None, timeout=10):
    msg = kc.session.msg(msg_type, content or {})
    kc.control_channel.send(msg)
    deadline = time.time() + timeout
    while True:
        reply = kc.control_channel.get_msg(timeout=max(0.1, deadline - time.time()))
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply


def test_kernel_info_on_control(kernel):
    _, kc = kernel
    reply = control_request(kc, "kernel_info_request")
    assert reply["content"]["language_info"]["name"] == "sql"


def start_long_query(kc, code=LONG_QUERY):
    msg_id = kc.execute(code)
    # Wait until the query is running on the server (its execute_input has been published).
    deadline = time.time() + 30
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
            break
    time.sleep(1.5)
    return msg_id


def test_interrupt_request_cancels_the_running_query(kernel):
    km, kc = kernel
    msg_id = start_long_query(kc)
    # Control and heartbeat answer while the query runs.
    started = time.time()
    assert control_request(kc, "kernel_info_request")["content"]["status"] == "ok"
    assert kc.hb_channel.is_beating()
    reply = control_request(kc, "interrupt_request")
    assert reply["content"]["status"] == "ok"
    result = shell_reply(kc, msg_id, timeout=15)
    assert time.time() - started < 10
    assert result["content"]["status"] == "error"
    assert result["content"]["ename"] == "QueryCancelled"
    outputs = collect(kc, msg_id)
    # The only output besides a progress display (if the query showed one) is the error.
    assert [o["msg_type"] for o in outputs if "display" not in o["msg_type"]] == ["error"]
    reply, _ = execute(kc, "SELECT 'still here' AS s")
    assert reply["status"] == "ok"


def test_sigint_cancels_the_running_query(kernel):
    km, kc = kernel
    msg_id = start_long_query(kc)
    started = time.time()
    km.signal_kernel(signal.SIGINT)
    result = shell_reply(kc, msg_id, timeout=15)
    assert time.time() - started < 10
    assert result["content"]["ename"] == "QueryCancelled"
    collect(kc, msg_id)
    reply, _ = execute(kc, "SELECT 1 AS one")
    assert reply["status"] == "ok"


def test_an_interrupted_query_no_longer_runs_on_the_server(kernel):
    # The insert would add its row only after sleeping 6 s: if the server kept running it,
    # the row would be there afterwards.
    _, kc = kernel
    location = tempfile.mkdtemp(prefix="kbase-interrupt-")
    execute(kc, f"CREATE TABLE interrupted_probe (slept STRING) USING parquet LOCATION '{location}'")
    try:
        msg_id = start_long_query(
            kc, "INSERT INTO interrupted_probe SELECT reflect('java.lang.Thread', 'sleep', CAST(6000 AS BIGINT))"
        )
        assert control_request(kc, "interrupt_request")["content"]["status"] == "ok"
        assert shell_reply(kc, msg_id, timeout=15)["content"]["ename"] == "QueryCancelled"
        collect(kc, msg_id)
        time.sleep(8)
        reply, outputs = execute(kc, "SELECT count(*) AS n FROM interrupted_probe")
        assert reply["status"] == "ok", reply
        assert "|  0|" in outputs[-1]["content"]["data"]["text/plain"]
    finally:
        execute(kc, "DROP TABLE IF EXISTS interrupted_probe")


def test_cells_queued_behind_an_error_are_aborted(kernel):
    _, kc = kernel
    first = kc.execute("SELECT * FROM missing_for_abort_test")
    second = kc.execute("CREATE OR REPLACE TEMP VIEW must_not_exist AS SELECT 1 AS a")
    third = kc.execute("SELECT 2 AS b", stop_on_error=False)
    assert shell_reply(kc, first)["content"]["status"] == "error"
    for skipped in (second, third):
        content = shell_reply(kc, skipped)["content"]
        assert content["status"] == "aborted"
        # No execution count of its own: front ends show a skipped cell as not run.
        assert content.get("execution_count") is None, content
    for msg_id in (first, second, third):
        collect(kc, msg_id)
    # The abort does not outlive the queue: the next cell runs, and the view was never made.
    reply, _ = execute(kc, "SELECT * FROM must_not_exist")
    assert reply["ename"] == "TABLE_OR_VIEW_NOT_FOUND"


def test_stop_on_error_false_lets_queued_cells_run(kernel):
    _, kc = kernel
    first = kc.execute("SELECT * FROM missing_again", stop_on_error=False)
    second = kc.execute("SELECT 3 AS c")
    assert shell_reply(kc, first)["content"]["status"] == "error"
    assert shell_reply(kc, second)["content"]["status"] == "ok"
    collect(kc, first)
    collect(kc, second)


def test_silent_runs_show_nothing_and_do_not_count(kernel):
    _, kc = kernel
    before, _ = execute(kc, "SELECT 1 AS a")
    reply, outputs = execute(kc, "CREATE OR REPLACE TEMP VIEW silent_view AS SELECT 7 AS x", silent=True)
    assert reply["status"] == "ok"
    assert outputs == []
    after, outputs = execute(kc, "SELECT x FROM silent_view")
    assert after["execution_count"] == before["execution_count"] + 1
    assert [o["msg_type"] for o in outputs] == ["execute_input", "execute_result"]


def test_store_history_false_does_not_count(kernel):
    _, kc = kernel
    before, _ = execute(kc, "SELECT 1 AS a")
    unstored, _ = execute(kc, "SELECT 2 AS b", store_history=False)
    after, _ = execute(kc, "SELECT 3 AS c")
    assert unstored["execution_count"] == before["execution_count"]
    assert after["execution_count"] == before["execution_count"] + 1


def test_an_empty_cell_is_ok_and_shows_nothing(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, "  -- nothing but a comment\n;;")
    assert reply["status"] == "ok"
    assert [o["msg_type"] for o in outputs] == ["execute_input"]


def test_settings_persist_across_cells(kernel):
    _, kc = kernel
    execute(kc, "SET spark.sql.shuffle.partitions=3")
    reply, outputs = execute(kc, "SET spark.sql.shuffle.partitions")
    assert reply["status"] == "ok"
    assert "|spark.sql.shuffle.partitions|    3|" in outputs[-1]["content"]["data"]["text/plain"]


def test_shutdown_releases_the_spark_session():
    session_id = str(uuid.uuid4())
    remote = f"{os.environ['SPARK_REMOTE']}/;user_id=release-test;session_id={session_id}"
    km, kc = start_kernel(SPARK_REMOTE=remote)
    try:
        reply, _ = execute(kc, "CREATE OR REPLACE TEMP VIEW released AS SELECT 1 AS a")
        assert reply["status"] == "ok"
        # The session is really the one named: another client can see the view in it.
        probe = pyspark_session(remote)
        assert probe.sql("SELECT * FROM released").collect()[0]["a"] == 1
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    assert not km.is_alive()
    with pytest.raises(Exception) as failure:
        probe.sql("SELECT * FROM released").collect()
    assert "SESSION_CLOSED" in str(failure.value) or "released" in str(failure.value)


def test_kbase_spark_conf_is_applied_when_the_session_starts():
    km, kc = start_kernel(KBASE_SPARK_CONF='{"spark.sql.shuffle.partitions": "7", "spark.sql.ansi.enabled": "false"}')
    try:
        _, outputs = execute(kc, "SET spark.sql.shuffle.partitions")
        assert "|spark.sql.shuffle.partitions|    7|" in outputs[-1]["content"]["data"]["text/plain"]
        # With ANSI mode off, division by zero is NULL instead of an error.
        reply, outputs = execute(kc, "SELECT 1/0 AS x")
        assert reply["status"] == "ok", reply
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


@pytest.mark.parametrize(
    "env, words",
    [
        ({"KBASE_SPARK_PORT": "http"}, "KBASE_SPARK_PORT must be a port number"),
        ({"KBASE_SPARK_CONF": "[1, 2]"}, "KBASE_SPARK_CONF must be a JSON object"),
        ({"KBASE_SPARK_MAX_ROWS": "lots"}, "KBASE_SPARK_MAX_ROWS must be a whole number"),
        ({"SPARK_REMOTE": "http://localhost:15002"}, "SPARK_REMOTE is not a valid Spark Connect URL"),
    ],
)
def test_a_bad_setting_is_explained_in_each_cell(env, words):
    km, kc = start_kernel(**env)
    try:
        for _ in range(2):
            reply, outputs = execute(kc, "SELECT 1")
            assert reply["status"] == "error"
            assert reply["ename"] == "KernelConfigurationError"
            assert words in reply["evalue"]
        assert km.is_alive()
        assert kc.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


SLOW = "SELECT reflect('java.lang.Thread', 'sleep', CAST(4500 AS BIGINT)) AS slept"


def progress_displays(outputs):
    """The progress display's messages, up to the clear_output that takes it away."""
    end = next(i for i, o in enumerate(outputs) if o["msg_type"] == "clear_output")
    assert outputs[end]["content"] == {"wait": True}
    displays = [o for o in outputs[:end] if o["msg_type"] in ("display_data", "update_display_data")]
    assert displays and displays[0]["msg_type"] == "display_data"
    assert all(o["msg_type"] == "update_display_data" for o in displays[1:])
    assert len({o["content"]["transient"]["display_id"] for o in displays}) == 1
    # The first frame is HTML alone: a console prints it once and ignores the updates.
    first = displays[0]["content"]["data"]
    # Before Spark has planned a stage, the display says so instead of counting tasks.
    assert "text/plain" not in first and ("tasks 0/1" in first["text/html"] or "planning" in first["text/html"])
    assert all(
        "tasks" in o["content"]["data"]["text/plain"] or "planning" in o["content"]["data"]["text/plain"]
        for o in displays[1:]
    )
    return displays, outputs[end + 1 :]


def test_a_slow_last_statement_shows_progress_then_only_its_result(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, SLOW)
    assert reply["status"] == "ok", reply
    displays, after = progress_displays(outputs)
    assert len(displays) >= 2
    # Once the statement ends, the display goes: only the result stays, as on a fast run.
    assert [o["msg_type"] for o in after] == ["execute_result"]
    assert "slept" in after[0]["content"]["data"]["text/plain"]


def test_a_slow_earlier_statement_leaves_only_its_result(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, SLOW + "; SELECT 2 AS after")
    assert reply["status"] == "ok", reply
    _, after = progress_displays(outputs)
    assert [o["msg_type"] for o in after] == ["display_data", "execute_result"]
    first = after[0]["content"]
    assert "slept" in first["data"]["text/plain"] and "application/vnd.apache.arrow.stream" in first["data"]
    # Under an id of its own, on which a later statement's progress may ride.
    assert first["transient"]["display_id"].startswith("kbase-spark-sql-output-")
    assert "after" in after[1]["content"]["data"]["text/plain"]


def test_a_fast_query_shows_no_progress(kernel):
    _, kc = kernel
    _, outputs = execute(kc, "SELECT 1 AS quick")
    assert [o["msg_type"] for o in outputs] == ["execute_input", "execute_result"]
