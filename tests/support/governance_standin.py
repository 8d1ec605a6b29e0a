"""A stand-in for BERDL's governance service (minio_manager_service), for the tests: it
answers `GET /workspaces/me/namespace-prefix[?tenant=T]` and `GET /workspaces/me/groups` for
the bearer of a token in the tokens file, in the service's JSON shapes. `--mode` makes it
misbehave instead: `html` (a proxy's error page), `garbage` (not JSON), `slow` (never answers
in time), `down` is simply not starting it. Each request is appended to --log.

    python governance_standin.py --port P --tokens tokens.json --groups kbase,globalusersro [--mode ok]
"""

import argparse
import json
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--groups", default="")
    parser.add_argument("--mode", default="ok", choices=["ok", "html", "garbage", "slow"])
    parser.add_argument("--log")
    args = parser.parse_args()
    tokens = json.load(open(args.tokens))
    groups = [g for g in args.groups.split(",") if g]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, body, content_type="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            if args.log:
                with open(args.log, "a") as f:
                    f.write(json.dumps({"path": url.path}) + "\n")
            if args.mode == "slow":
                time.sleep(60)
            if args.mode == "html":
                return self.send(502, b"<html><body>Bad Gateway</body></html>", "text/html")
            if args.mode == "garbage":
                return self.send(200, b"\x00not json{", "application/json")
            auth = self.headers.get("Authorization") or ""
            entry = tokens.get(auth[7:].strip()) if auth.startswith("Bearer ") else None
            if entry is None:
                return self.send(401, {"detail": "Invalid token"})
            user = entry["user"]
            if url.path == "/workspaces/me/groups":
                return self.send(200, {"username": user, "groups": groups, "group_count": len(groups)})
            if url.path == "/workspaces/me/namespace-prefix":
                tenant = urllib.parse.parse_qs(url.query).get("tenant", [None])[0]
                base = tenant[:-2] if tenant and tenant.endswith("ro") else tenant
                if tenant and base not in groups and f"{base}ro" not in groups:
                    return self.send(403, {"detail": f"User {user} is not a member of the group {base}"})
                return self.send(200, {
                    "username": user,
                    "user_namespace_prefix": f"u_{user}__",
                    "tenant": tenant,
                    "tenant_namespace_prefix": f"{base}_" if tenant else None,
                })
            self.send(404, {"detail": "Not Found"})

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
