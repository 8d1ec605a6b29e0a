"""A local stand-in for KBase Auth2, speaking its documented API for the tests.

GET <prefix>/api/V2/token and <prefix>/api/V2/me with the raw token in `Authorization`
answer from a table of tokens given as JSON:

    {"<token>": {"user": "alice", "mfa": "Used", "expires_in_s": 86400}, ...}

`expires_in_s` may be negative (an expired token), `disabled: true` marks a disabled account.
Errors have Auth2's JSON shape (appcodes 10010, 10020, 20010). Paths under /proxy-error/
answer an HTML page, as a broken proxy in front of the service would. Each request is logged
as one JSON line (method, path, which user the token belongs to; never the token itself).

Usage: python auth2_standin.py --port PORT --tokens FILE --log FILE
"""

import argparse
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def error(http: int, status: str, appcode: int, apperror: str) -> dict:
    return {
        "error": {
            "httpcode": http,
            "httpstatus": status,
            "appcode": appcode,
            "apperror": apperror,
            "message": f"{appcode} {apperror}",
            "callid": "1234567890123456",
            "time": int(time.time() * 1000),
        }
    }


def make_handler(tokens: dict, log_path: str, started_ms: int):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # the JSON log below replaces the default one
            pass

        def send(self, code: int, body: bytes, content_type: str = "application/json"):
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def record(self, outcome: str, token: str | None):
            entry = {
                "time": time.time(),
                "method": self.command,
                "path": self.path,
                "user_agent": self.headers.get("User-Agent", ""),
                "token_sha256": hashlib.sha256(token.encode()).hexdigest()[:12] if token else None,
                "outcome": outcome,
            }
            with LOCK, open(log_path, "a") as log:
                log.write(json.dumps(entry) + "\n")

        def do_GET(self):
            if self.path.startswith("/proxy-error/"):
                self.record("html", None)
                self.send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
                return
            endpoint = self.path.rstrip("/").rsplit("/api/V2/", 1)
            if len(endpoint) != 2 or endpoint[1] not in ("token", "me"):
                self.record("not-found", None)
                self.send(404, json.dumps(error(404, "Not Found", 10000, "Not found")).encode())
                return
            token = (self.headers.get("Authorization") or "").strip() or None
            if token is None:
                self.record("missing", None)
                self.send(400, json.dumps(error(400, "Bad Request", 10010, "No authentication token")).encode())
                return
            entry = tokens.get(token)
            now_ms = int(time.time() * 1000)
            expires = started_ms + int(entry.get("expires_in_s", 30 * 86400) * 1000) if entry else 0
            if entry is None or expires <= now_ms:
                self.record("invalid", token)
                self.send(401, json.dumps(error(401, "Unauthorized", 10020, "Invalid token")).encode())
                return
            if entry.get("disabled"):
                self.record("disabled", token)
                self.send(403, json.dumps(error(403, "Forbidden", 20010, "Account disabled")).encode())
                return
            self.record(f"ok:{entry['user']}", token)
            if endpoint[1] == "token":
                body = {
                    "type": entry.get("type", "Login"),
                    "id": hashlib.sha256(token.encode()).hexdigest()[:32],
                    "expires": expires,
                    "created": started_ms,
                    "name": None,
                    "user": entry["user"],
                    "custom": {},
                    "cachefor": 300000,
                }
                if "mfa" in entry:
                    body["mfa"] = entry["mfa"]
            else:
                body = {"user": entry["user"], "display": entry["user"].title(), "email": f"{entry['user']}@example.org",
                        "created": started_ms, "lastlogin": started_ms, "customroles": [], "roles": [],
                        "idents": [], "policyids": []}
            self.send(200, json.dumps(body).encode())

        def do_DELETE(self):
            # Revokes the token in the Authorization header, as Auth2's DELETE /api/V2/token does
            # (a logout): from then on it is an invalid token.
            token = (self.headers.get("Authorization") or "").strip()
            if not self.path.rstrip("/").endswith("/api/V2/token") or token not in tokens:
                self.record("revoke-refused", token or None)
                self.send(401, json.dumps(error(401, "Unauthorized", 10020, "Invalid token")).encode())
                return
            with LOCK:
                tokens.pop(token, None)
            self.record("revoked", token)
            self.send(204, b"")

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.tokens) as f:
        tokens = json.load(f)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(tokens, args.log, int(time.time() * 1000)))
    print(f"Auth2 stand-in listening on 127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
