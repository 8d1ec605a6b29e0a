"""The suites' loopback TCP proxy in front of a server, on an event loop in a thread of its
own: it forwards both ways and, as a test asks, cuts or stalls a connection after a number
of bytes, terminates TLS, or keeps every byte the clients sent."""

import asyncio
import threading


class FaultProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port`.

    `arm(direction, after, stall)` makes the traffic in `direction` ("up" to the server,
    "down" to the client) trip once `after` more bytes have passed, on whichever connection:
    the chunk that trips is held back, the connection paused `stall` seconds and then cut.
    `cuts` and `stalls` count what happened. With `tls` (a server-side ssl.SSLContext) the
    clients speak TLS to the proxy and it speaks plain TCP to the server; with `keep_sent`,
    `sent` holds every byte the clients sent, as it crossed the wire."""

    def __init__(self, target_port, tls=None, keep_sent=False):
        self.target_port = target_port
        self.tls = tls
        self.sent = bytearray() if keep_sent else None
        self.fault = None
        self.cuts = 0
        self.stalls = 0
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        if not ready.wait(30):
            raise RuntimeError("the proxy did not start")

    def arm(self, direction, after, stall=0):
        with self.lock:
            self.fault = {"direction": direction, "left": after, "stall": stall}

    def disarm(self):
        with self.lock:
            self.fault = None

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()
        server.close()

    def _take(self, direction, n):
        """The stall to make before cutting, when this chunk trips the armed fault."""
        with self.lock:
            fault = self.fault
            if fault is None or fault["direction"] != direction:
                return None
            fault["left"] -= n
            if fault["left"] > 0:
                return None
            self.fault = None
            return fault["stall"]

    async def _serve(self, client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.target_port), 5
            )
        except (OSError, asyncio.TimeoutError):
            client_writer.close()
            return
        done = asyncio.Event()

        async def pump(reader, writer, direction):
            try:
                while not done.is_set():
                    data = await reader.read(16384)
                    if not data:
                        break
                    stall = self._take(direction, len(data))
                    if stall is not None:
                        if stall > 0:
                            self.stalls += 1
                            await asyncio.sleep(stall)
                        self.cuts += 1
                        break
                    if direction == "up" and self.sent is not None:
                        self.sent.extend(data)
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                done.set()
                for w in (client_writer, server_writer):
                    w.close()

        await asyncio.gather(pump(client_reader, server_writer, "up"), pump(server_reader, client_writer, "down"))
