"""A stand-in for BERDL's outside gRPC proxy (spark.berdl.kbase.us:443), for the tests: a
pass-through that behaves as BERDL's does where a client can tell. It routes only the
methods in BERDL's table (no ReleaseSession: that call is UNIMPLEMENTED), reads the KBase
token from `x-kbase-token` only (never `authorization`), validates it with Auth2 and
requires MFA, forwards every call's metadata and bytes unchanged to the user's server, and
keeps Python gRPC's default 4 MiB limit on the messages it receives from either side. With
--cert and --key it terminates TLS, as the deployment in front of BERDL's proxy does.

    python berdl_proxy.py --port P --backend 127.0.0.1:15002 --auth-url URL [--cert C --key K]
"""

import argparse
import asyncio
import json
import urllib.error
import urllib.request

import grpc
from grpc import aio

SERVICE = "/spark.connect.SparkConnectService/"
# BERDL's proxy's table of methods: (request, response) shape.
METHODS = {
    SERVICE + "ExecutePlan": ("unary", "stream"),
    SERVICE + "AnalyzePlan": ("unary", "unary"),
    SERVICE + "Config": ("unary", "unary"),
    SERVICE + "AddArtifacts": ("stream", "unary"),
    SERVICE + "ArtifactStatus": ("unary", "unary"),
    SERVICE + "Interrupt": ("unary", "unary"),
    SERVICE + "ReattachExecute": ("unary", "stream"),
    SERVICE + "ReleaseExecute": ("unary", "unary"),
    SERVICE + "FetchErrorDetails": ("unary", "unary"),
}


def raw(x):
    return x


def check_token(auth_url, metadata):
    """The user of the call's `x-kbase-token`, or the reason it is refused."""
    token = next((v for k, v in metadata or () if k == "x-kbase-token"), None)
    if not token:
        return None, "Missing x-kbase-token in request metadata"
    request = urllib.request.Request(auth_url.rstrip("/") + "/api/V2/token", headers={"Authorization": token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
    except urllib.error.HTTPError:
        return None, "Invalid or expired KBase token"
    except OSError as e:
        return None, f"Cannot reach KBase auth: {e}"
    if answer.get("mfa") != "Used":
        return None, "Multi-factor authentication is required"
    return answer["user"], None


class Handler(grpc.GenericRpcHandler):
    def __init__(self, backend, auth_url, log):
        self.channel = aio.insecure_channel(backend)
        self.auth_url = auth_url
        self.log = log

    def note(self, method, outcome):
        if self.log:
            with open(self.log, "a") as f:
                f.write(json.dumps({"method": method.rsplit("/", 1)[-1], "outcome": outcome}) + "\n")

    async def admit(self, method, metadata, context):
        user, refused = await asyncio.to_thread(check_token, self.auth_url, metadata)
        if refused:
            self.note(method, "unauthenticated")
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, refused)
        self.note(method, "routed")
        return tuple(metadata or ())

    def service(self, details):
        method = details.method
        if method not in METHODS:
            self.note(method, "unimplemented")
            return None  # gRPC answers UNIMPLEMENTED
        shape = METHODS[method]
        metadata = details.invocation_metadata

        async def fail(context, e):
            await context.abort(e.code(), e.details() or "Backend error")

        if shape == ("unary", "unary"):
            async def unary_unary(request, context):
                forward = await self.admit(method, metadata, context)
                try:
                    return await self.channel.unary_unary(method, request_serializer=raw, response_deserializer=raw)(
                        request, metadata=forward)
                except aio.AioRpcError as e:
                    await fail(context, e)

            return grpc.unary_unary_rpc_method_handler(unary_unary, request_deserializer=raw, response_serializer=raw)
        if shape == ("unary", "stream"):
            async def unary_stream(request, context):
                forward = await self.admit(method, metadata, context)
                try:
                    call = self.channel.unary_stream(method, request_serializer=raw, response_deserializer=raw)(
                        request, metadata=forward)
                    async for response in call:
                        yield response
                except aio.AioRpcError as e:
                    await fail(context, e)

            return grpc.unary_stream_rpc_method_handler(unary_stream, request_deserializer=raw, response_serializer=raw)

        async def stream_unary(requests, context):
            forward = await self.admit(method, metadata, context)
            try:
                return await self.channel.stream_unary(method, request_serializer=raw, response_deserializer=raw)(
                    requests, metadata=forward)
            except aio.AioRpcError as e:
                await fail(context, e)

        return grpc.stream_unary_rpc_method_handler(stream_unary, request_deserializer=raw, response_serializer=raw)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--auth-url", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--log")
    args = parser.parse_args()
    server = aio.server()  # Python gRPC's defaults: 4 MiB received per message
    server.add_generic_rpc_handlers([Handler(args.backend, args.auth_url, args.log)])
    address = f"127.0.0.1:{args.port}"
    if args.cert:
        with open(args.cert, "rb") as c, open(args.key, "rb") as k:
            credentials = grpc.ssl_server_credentials([(k.read(), c.read())])
        server.add_secure_port(address, credentials)
    else:
        server.add_insecure_port(address)
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(main())
