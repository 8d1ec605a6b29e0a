"""A result stream cut midway: a loopback TCP proxy between the kernel and the Spark Connect
server drops the connection once, partway through a large result. The kernel must resume
the execution where it stopped, and its Arrow output must be exactly the true result: no row
lost, none twice."""

import base64
import os
import tempfile
import time
from urllib.parse import urlparse

import pyarrow as pa
import pytest

from support.kernel import execute, start_kernel
from support.proxy import FaultProxy

ARROW = "application/vnd.apache.arrow.stream"


@pytest.fixture
def proxy():
    target = urlparse(os.environ["SPARK_REMOTE"].replace("sc://", "http://")).port
    p = FaultProxy(target)
    yield p
    p.stop()


def test_a_cut_result_stream_is_resumed_without_losing_or_repeating_rows(proxy):
    stderr = tempfile.NamedTemporaryFile("w+", suffix=".log")
    km, kc = start_kernel(stderr=stderr, SPARK_REMOTE=f"sc://127.0.0.1:{proxy.port}", KBASE_SPARK_MAX_ROWS="20000")
    try:
        assert execute(kc, "SELECT 1")[0]["status"] == "ok"
        proxy.arm("down", after=60_000)
        # About 160 kB of Arrow data, cut after 60 kB; small enough to be shown whole.
        sql = "SELECT id, id * 7 AS seven FROM range(10000)"
        reply, outputs = execute(kc, sql, timeout=180)
        assert reply["status"] == "ok", reply
        assert proxy.cuts == 1, "the proxy did not cut the stream"
        (result,) = [o for o in outputs if o["msg_type"] == "execute_result"]
        table = pa.ipc.open_stream(base64.b64decode(result["content"]["data"][ARROW])).read_all()
        # Exactly the whole true result, in order: nothing lost, nothing repeated.
        assert table.column("id").to_pylist() == list(range(10000))
        assert table.column("seven").to_pylist() == [i * 7 for i in range(10000)]
        assert "more available" not in result["content"]["data"]["text/plain"]
        time.sleep(0.5)
        stderr.seek(0)
        assert "reattaching" in stderr.read()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        stderr.close()
