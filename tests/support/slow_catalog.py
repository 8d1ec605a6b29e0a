"""A Spark Connect server whose catalog is slow: a gRPC pass-through to a real server that
holds back the kernel's catalog look-ups (the operations tagged `kbase-spark-sql-assist`:
SHOW TABLES, DESCRIBE TABLE…) for --delay seconds while the file --slow-flag exists, as a
Hive metastore behind the network or a driver busy with another cell does. Everything else
passes at once. Each look-up is logged (one JSON line: when it came, when it was answered).

    python slow_catalog.py --port 15099 --upstream 127.0.0.1:15002 --delay 3 \
        --slow-flag /tmp/slow --log /tmp/lookups.jsonl
"""

import argparse
import json
import os
import threading
import time
from concurrent import futures

import grpc

SERVICE = "/spark.connect.SparkConnectService/"
# The methods that answer with a stream, and the one that takes one; all others are unary.
STREAMED = {"ExecutePlan", "ReattachExecute"}
UPLOADS = {"AddArtifacts"}
ASSIST_TAG = b"kbase-spark-sql-assist"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument("--slow-flag", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    options = [("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 256 << 20)]
    channel = grpc.insecure_channel(args.upstream, options=options)
    lock = threading.Lock()

    def log(entry):
        with lock, open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def metadata(context):
        return [(k, v) for k, v in context.invocation_metadata() if not k.startswith(":")]

    def relay(error, context):
        """Passes an upstream failure on as it came, Spark's error details included."""
        context.set_trailing_metadata(error.trailing_metadata() or ())
        context.abort(error.code(), error.details())

    def held(request):
        """Holds a catalog look-up back while the catalog is slow; returns its log entry."""
        if ASSIST_TAG not in request:
            return None
        entry = {"came": time.time(), "slow": os.path.exists(args.slow_flag)}
        if entry["slow"]:
            time.sleep(args.delay)
        return entry

    class Forward(grpc.GenericRpcHandler):
        def service(self, details):
            if not details.method.startswith(SERVICE):
                return None
            name = details.method[len(SERVICE):]
            if name in STREAMED:
                call = channel.unary_stream(details.method)

                def stream(request, context):
                    entry = held(request)
                    try:
                        yield from call(request, metadata=metadata(context))
                    except grpc.RpcError as e:
                        relay(e, context)
                    if entry:
                        log({**entry, "answered": time.time()})

                return grpc.unary_stream_rpc_method_handler(stream)
            if name in UPLOADS:
                call = channel.stream_unary(details.method)
                return grpc.stream_unary_rpc_method_handler(
                    lambda requests, context: call(requests, metadata=metadata(context))
                )
            call = channel.unary_unary(details.method)

            def unary(request, context):
                try:
                    return call(request, metadata=metadata(context))
                except grpc.RpcError as e:
                    relay(e, context)

            return grpc.unary_unary_rpc_method_handler(unary)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), handlers=[Forward()], options=options)
    server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
