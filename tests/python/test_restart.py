"""A Spark Connect server that goes away under a running kernel: the kernel waits for a
server that is restarting, starts a new Spark session when it is back (saying so once, with
KBASE_SPARK_CONF applied again), and gives a clear error in bounded time when the server stays
down. This suite starts and stops a server of its own."""

import threading
import time

import pytest

from support.kernel import execute, start_kernel
from support.spark import SparkServer

pytestmark = pytest.mark.spark


@pytest.fixture
def server():
    s = SparkServer()
    s.start()
    yield s
    s.stop()


def test_a_restarted_server_costs_only_a_notice(server):
    km, kc = start_kernel(
        SPARK_REMOTE=f"sc://127.0.0.1:{server.port}",
        KBASE_SPARK_CONF='{"spark.sql.shuffle.partitions": "5"}',
    )
    try:
        reply, _ = execute(kc, "CREATE OR REPLACE TEMP VIEW before_restart AS SELECT 1 AS a")
        assert reply["status"] == "ok", reply
        server.stop()
        # The cell is sent while the server is down; it comes back a few seconds later.
        restart = threading.Thread(target=server.start)
        restart.start()
        reply, outputs = execute(kc, "SET spark.sql.shuffle.partitions", timeout=120)
        restart.join()
        assert reply["status"] == "ok", reply
        # What the notebook keeps: a progress display shown while the cell waited is cleared
        # away, and the notice published again after it.
        clears = [i for i, o in enumerate(outputs) if o["msg_type"] == "clear_output"]
        kept = outputs[clears[-1] + 1 :] if clears else outputs
        notices = [o["content"]["text"] for o in kept if o["msg_type"] == "stream"]
        assert len(notices) == 1 and "new Spark session" in notices[0] and "temp views" in notices[0]
        assert "|spark.sql.shuffle.partitions|    5|" in outputs[-1]["content"]["data"]["text/plain"]
        # The kernel is the same (its counter goes on); the session is new (the view is gone).
        reply, outputs = execute(kc, "SELECT * FROM before_restart")
        assert reply["ename"] == "TABLE_OR_VIEW_NOT_FOUND"
        assert reply["execution_count"] == 3
        assert not [o for o in outputs if o["msg_type"] == "stream"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_server_that_stays_down_fails_the_cell_in_bounded_time(server):
    km, kc = start_kernel(SPARK_REMOTE=f"sc://127.0.0.1:{server.port}")
    try:
        assert execute(kc, "SELECT 1")[0]["status"] == "ok"
        server.stop()
        started = time.time()
        reply, _ = execute(kc, "SELECT 2", timeout=120)
        assert reply["ename"] == "SparkConnectUnavailable"
        assert "Cannot reach the Spark Connect server" in reply["evalue"]
        assert time.time() - started < 45
        assert kc.kernel_info(reply=True, timeout=10)["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
