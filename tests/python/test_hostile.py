"""A kernel under attack keeps serving: random frames, seeded and bounded, on every socket
a client can write to (shell, control, stdin, heartbeat), then the kernel still answers the
heartbeat, control's kernel_info and a correctly signed execute."""

import random
import time

import zmq

from support.kernel import execute, start_kernel

SEED = 20261126
MESSAGES_PER_SOCKET = 300


def random_frames(rng):
    kinds = [
        lambda: rng.randbytes(rng.randrange(0, 200)),
        lambda: b"<IDS|MSG>",
        lambda: b"{}",
        lambda: rng.choice([b"{", b"[]", b"null", b'{"msg_type": "execute_request"}', b"\x00" * 10]),
        lambda: rng.randbytes(8).hex().encode(),
    ]
    return [rng.choice(kinds)() for _ in range(rng.randrange(1, 9))]


def test_random_frames_on_every_socket_leave_the_kernel_serving():
    km, kc = start_kernel()
    context = zmq.Context.instance()
    rng = random.Random(SEED)
    sockets = []
    try:
        info = km.get_connection_info()
        for name, kind in (("shell", zmq.DEALER), ("control", zmq.DEALER), ("stdin", zmq.DEALER), ("hb", zmq.REQ)):
            s = context.socket(kind)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(f"tcp://{info['ip']}:{info[f'{name}_port']}")
            sockets.append((name, s))
        for _ in range(MESSAGES_PER_SOCKET):
            for name, s in sockets:
                if name == "hb":
                    continue
                s.send_multipart(random_frames(rng), zmq.NOBLOCK)
        # The heartbeat is a REQ socket: one request, one answer, garbage or not.
        _, hb = sockets[-1]
        hb.send(rng.randbytes(64))
        assert hb.poll(30_000), "the heartbeat did not answer"
        hb.recv()
        time.sleep(0.5)
        assert km.is_alive()
        assert kc.kernel_info(reply=True, timeout=30)["content"]["status"] == "ok"
        control = kc.control_channel
        msg = kc.session.msg("kernel_info_request", {})
        control.send(msg)
        assert control.get_msg(timeout=30)["parent_header"]["msg_id"] == msg["header"]["msg_id"]
        reply, outputs = execute(kc, "SELECT 42 AS answer")
        assert reply["status"] == "ok" and "42" in outputs[-1]["content"]["data"]["text/plain"]
    finally:
        for _, s in sockets:
            s.close()
        kc.stop_channels()
        km.shutdown_kernel(now=True)
