"""A result stream cut midway: a loopback TCP proxy between the kernel and the Spark Connect
server drops the connection once, partway through a large result. The kernel must resume
the execution where it stopped, and its Arrow output must be exactly the true result: no row
lost, none twice."""

import asyncio
import base64
import os
import socket
import tempfile
import threading
import time
from urllib.parse import urlparse

import pyarrow as pa
import pytest

from support.kernel import execute, start_kernel

ARROW = "application/vnd.apache.arrow.stream"


class CuttingProxy:
    """Forwards 127.0.0.1:port to the server; cuts the first connection that carries more
    than `cut_after` bytes from the server, once."""

    def __init__(self, target_port: int, cut_after: int):
        self.target_port = target_port
        self.cut_after = cut_after
        self.cuts = 0
        self.armed = False
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self.ready.set()
        self.loop.run_forever()
        server.close()

    async def _serve(self, client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        sent = 0
        cut = asyncio.Event()

        async def pump(reader, writer, from_server):
            nonlocal sent
            try:
                while not cut.is_set():
                    data = await reader.read(16384)
                    if not data:
                        break
                    if from_server and self.armed and self.cuts == 0:
                        sent += len(data)
                        if sent > self.cut_after:
                            self.cuts += 1
                            cut.set()
                            break
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                cut.set()
                for w in (client_writer, server_writer):
                    w.close()

        await asyncio.gather(pump(client_reader, server_writer, False), pump(server_reader, client_writer, True))

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def proxy():
    target = urlparse(os.environ["SPARK_REMOTE"].replace("sc://", "http://")).port
    p = CuttingProxy(target, cut_after=60_000)
    yield p
    p.stop()


def test_a_cut_result_stream_is_resumed_without_losing_or_repeating_rows(proxy):
    stderr = tempfile.NamedTemporaryFile("w+", suffix=".log")
    km, kc = start_kernel(stderr=stderr, SPARK_REMOTE=f"sc://127.0.0.1:{proxy.port}", KBASE_SPARK_MAX_ROWS="20000")
    try:
        assert execute(kc, "SELECT 1")[0]["status"] == "ok"
        proxy.armed = True
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
