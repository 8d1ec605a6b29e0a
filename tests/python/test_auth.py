"""The KBase flow end to end: the kernel validates KBASE_AUTH_TOKEN with Auth2 (a local
stand-in), builds the user's host from the template, and reaches a Spark Connect server
that checks the token of every call itself and admits only its owner, alice. Every way this
can go wrong must show a clear message in the cell, leave the kernel alive, and never show
the token: not in any message the kernel sent, nor in its stderr."""

import json
import os
import subprocess
import tempfile

import pytest

from support.env import environment
from support.kernel import execute, start_kernel

TOKENS = json.load(open(os.environ["KBASE_TEST_TOKENS"]))
NOT_A_TOKEN = "not-a-real-token-1234567890"
ALL_TOKENS = list(TOKENS) + [NOT_A_TOKEN]
AUTH_URL = os.environ["KBASE_TEST_AUTH_URL"]
CHECKING_PORT = os.environ["KBASE_TEST_CHECKING_PORT"]


def token_of(prefix: str) -> str:
    return next(t for t in TOKENS if t.startswith(prefix))


def kbase_env(token=None, **extra):
    """The environment of a kernel in KBase's hub: a token and the auth URL, no SPARK_REMOTE."""
    env = {
        "KBASE_AUTH_TOKEN": token,
        "KBASE_AUTH_URL": AUTH_URL,
        "KBASE_SPARK_PORT": CHECKING_PORT,
        "SPARK_REMOTE": None,
        "KBASE_SPARK_HOST_TEMPLATE": None,
        "KBASE_SPARK_USERNAME": None,
    }
    env.update(extra)
    return env


def auth_log():
    """What the Auth2 stand-in was asked so far (the log appears with the first request)."""
    if not os.path.exists(os.environ["KBASE_TEST_AUTH_LOG"]):
        return []
    with open(os.environ["KBASE_TEST_AUTH_LOG"]) as f:
        return [json.loads(line) for line in f]


class Session:
    """A kernel whose every message and stderr line is kept, to check none holds a token."""

    def __init__(self, **env):
        self.stderr = tempfile.NamedTemporaryFile("w+", suffix=".log")
        self.km, self.kc = start_kernel(stderr=self.stderr, **env)
        self.seen = []

    def run(self, code):
        reply, outputs = execute(self.kc, code, timeout=90)
        self.seen += [reply] + [o["content"] for o in outputs]
        return reply, outputs

    def alive(self):
        info = self.kc.kernel_info(reply=True, timeout=10)
        self.seen.append(info["content"])
        return self.km.is_alive() and info["content"]["status"] == "ok"

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        self.stderr.seek(0)
        log = self.stderr.read()
        self.stderr.close()
        shown = json.dumps(self.seen) + log
        for token in ALL_TOKENS:
            assert token not in shown, "a token appeared in the kernel's messages or stderr"
        return log


@pytest.fixture
def session():
    opened = []

    def open_session(**env):
        s = Session(**env)
        opened.append(s)
        return s

    yield open_session
    for s in opened:
        s.close()


def test_a_valid_token_reaches_the_users_own_server(session):
    before = len(auth_log())
    s = session(**kbase_env(token_of("alice-valid")))
    reply, outputs = s.run("SELECT 'hello' AS greeting, 40 + 2 AS answer")
    assert reply["status"] == "ok", reply
    assert "|   hello|    42|" in outputs[-1]["content"]["data"]["text/plain"]
    asked = auth_log()[before:]
    # The kernel checked the token, and the server checked it on its calls: both as alice.
    kernel_checks = [e for e in asked if e["user_agent"].startswith("kbase-spark-sql-kernel/")]
    server_checks = [e for e in asked if not e["user_agent"].startswith("kbase-spark-sql-kernel/")]
    assert kernel_checks and all(e["outcome"] == "ok:alice" for e in kernel_checks)
    assert len(server_checks) >= 2 and all(e["outcome"] == "ok:alice" for e in server_checks)
    assert all(e["path"] == "/services/auth/api/V2/token" for e in asked)


def test_the_host_template_picks_the_host_by_user(session):
    # The same token, with the user's name replaced: spark-connect-nobody does not resolve.
    s = session(**kbase_env(token_of("alice-valid"), KBASE_SPARK_USERNAME="nobody"))
    reply, _ = s.run("SELECT 1")
    assert reply["ename"] == "SparkConnectUnavailable"
    assert f"sc://spark-connect-nobody:{CHECKING_PORT}" in reply["evalue"]
    assert s.alive()
    # A template of our own: only the rendered name resolves to the checking server.
    s = session(**kbase_env(token_of("alice-valid"), KBASE_SPARK_HOST_TEMPLATE="spark-connect-{username}"))
    reply, _ = s.run("SELECT 1")
    assert reply["status"] == "ok", reply


@pytest.mark.parametrize(
    "token, ename, words",
    [
        (NOT_A_TOKEN, "KBaseTokenInvalid", "invalid or has expired"),
        (token_of("alice-expired"), "KBaseTokenInvalid", "invalid or has expired"),
        (token_of("carol-disabled"), "KBaseAccountDisabled", "account is disabled"),
    ],
)
def test_a_bad_token_is_explained_in_the_cell(session, token, ename, words):
    s = session(**kbase_env(token))
    reply, outputs = s.run("SELECT 1")
    assert reply["status"] == "error"
    assert reply["ename"] == ename
    assert words in reply["evalue"]
    assert [o["msg_type"] for o in outputs] == ["execute_input", "error"]
    assert s.alive()
    # Each cell tries again and says so again.
    reply, _ = s.run("SELECT 2")
    assert reply["ename"] == ename


def test_a_missing_token_is_explained(session):
    s = session(**kbase_env(None))
    reply, _ = s.run("SELECT 1")
    assert reply["ename"] == "KBaseTokenMissing"
    assert "KBASE_AUTH_TOKEN is not set" in reply["evalue"]
    assert s.alive()


def test_another_users_token_is_refused_by_the_server(session):
    # bob's valid token, pointed at alice's server.
    s = session(**kbase_env(token_of("bob-valid"), KBASE_SPARK_USERNAME="alice"))
    reply, _ = s.run("SELECT 1")
    assert reply["ename"] == "SparkConnectPermissionDenied"
    assert "refused access" in reply["evalue"] and "bob" in reply["evalue"]
    assert s.alive()


def test_a_server_that_checks_tokens_refuses_a_call_without_one(session):
    s = session(SPARK_REMOTE=f"sc://127.0.0.1:{CHECKING_PORT}", KBASE_AUTH_TOKEN=None)
    reply, _ = s.run("SELECT 1")
    assert reply["ename"] == "SparkConnectUnauthenticated"
    assert "did not accept your KBase token" in reply["evalue"]


def test_spark_remote_still_validates_and_sends_the_token(session):
    before = len(auth_log())
    s = session(
        SPARK_REMOTE=f"sc://127.0.0.1:{CHECKING_PORT}",
        KBASE_AUTH_TOKEN=token_of("alice-valid"),
        KBASE_AUTH_URL=AUTH_URL.rstrip("/"),
    )
    reply, _ = s.run("SELECT 1")
    assert reply["status"] == "ok", reply
    assert any(e["user_agent"].startswith("kbase-spark-sql-kernel/") for e in auth_log()[before:])


@pytest.mark.parametrize(
    "url, ename, words",
    [
        ("http://127.0.0.1:9/services/auth/", "KBaseAuthUnreachable", "Cannot reach the KBase auth service"),
        (AUTH_URL.replace("/services/auth/", "/proxy-error/"), "KBaseAuthError", "not JSON"),
    ],
)
def test_an_auth_service_that_is_down_or_broken_is_explained(session, url, ename, words):
    s = session(**kbase_env(token_of("alice-valid"), KBASE_AUTH_URL=url))
    reply, _ = s.run("SELECT 1")
    assert reply["ename"] == ename
    assert words in reply["evalue"]
    assert s.alive()


@pytest.mark.parametrize(
    "token, words",
    [("alice-nomfa", "without multi-factor authentication"), ("alice-soon", "expires in")],
)
def test_token_warnings_are_shown_once(session, token, words):
    s = session(**kbase_env(token_of(token)))
    reply, outputs = s.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply
    streams = [o["content"] for o in outputs if o["msg_type"] == "stream"]
    assert len(streams) == 1 and streams[0]["name"] == "stderr"
    assert words in streams[0]["text"]
    _, outputs = s.run("SELECT 2 AS two")
    assert not [o for o in outputs if o["msg_type"] == "stream"]


def doctor(**env):
    out = subprocess.run(
        [os.environ["KBASE_SPARK_KERNEL_BIN"], "doctor"], env=environment(**env), capture_output=True, text=True, timeout=120
    )
    shown = out.stdout + out.stderr
    for token in ALL_TOKENS:
        assert token not in shown
    return out.returncode, out.stdout


def test_doctor_walks_the_kbase_flow():
    code, out = doctor(**kbase_env(token_of("alice-valid")))
    assert code == 0, out
    assert "[ok  ] KBase token: valid for user alice" in out
    assert "MFA Used" in out
    assert f"[ok  ] Spark Connect URL: sc://spark-connect-alice:{CHECKING_PORT}" in out
    assert "[ok  ] server reachable: Spark 4.0.1" in out
    assert "[ok  ] SELECT 1:" in out


def test_doctor_warns_about_a_token_without_mfa():
    code, out = doctor(**kbase_env(token_of("alice-nomfa")))
    assert code == 0, out
    assert "[warn] Your KBase token was created without multi-factor authentication" in out


@pytest.mark.parametrize(
    "env, step, words",
    [
        (kbase_env(NOT_A_TOKEN), "KBase token", "invalid or has expired"),
        (kbase_env(token_of("alice-expired")), "KBase token", "invalid or has expired"),
        (kbase_env(None), "Spark Connect URL", "KBASE_AUTH_TOKEN is not set"),
        (kbase_env(token_of("alice-valid"), KBASE_AUTH_URL="http://127.0.0.1:9/"), "KBase token", "Cannot reach the KBase auth service"),
        (kbase_env(token_of("bob-valid"), KBASE_SPARK_USERNAME="alice"), "server reachable", "refused access"),
        (kbase_env(token_of("alice-valid"), KBASE_SPARK_USERNAME="nobody"), "server reachable", "Cannot reach the Spark Connect server"),
        (kbase_env(token_of("alice-valid"), KBASE_SPARK_PORT="http"), "configuration", "KBASE_SPARK_PORT"),
    ],
)
def test_doctor_stops_at_the_first_failure(env, step, words):
    code, out = doctor(**env)
    assert code != 0
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"[FAIL] {step}:"), out
    assert words in last, out


def revoke(token):
    """Revokes `token` in Auth2 (a logout): from now on it is invalid."""
    import urllib.request

    request = urllib.request.Request(f"{AUTH_URL}api/V2/token", method="DELETE", headers={"Authorization": token})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def sha(token):
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()[:12]


def test_a_token_file_is_read_per_call_and_its_user_never_changes(session, tmp_path):
    first, second = token_of("alice-refresh1"), token_of("alice-refresh2")
    token_file = tmp_path / "kbase-token"
    token_file.write_text(first + "\n")
    # The file wins over KBASE_AUTH_TOKEN, which here names another user.
    s = session(**kbase_env(token_of("bob-valid"), KBASE_AUTH_TOKEN_FILE=str(token_file)))
    reply, _ = s.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply

    # The deployment refreshes the token and the old one is revoked: the next cells work, and
    # the checking server saw the new token.
    token_file.write_text(second)
    revoke(first)
    before = len(auth_log())
    reply, _ = s.run("SELECT 2 AS two")
    assert reply["status"] == "ok", reply
    reply, _ = s.run("SELECT 3 AS three")
    assert reply["status"] == "ok", reply
    asked = auth_log()[before:]
    server_checks = [e for e in asked if not e["user_agent"].startswith("kbase-spark-sql-kernel/")]
    assert any(e["token_sha256"] == sha(second) and e["outcome"] == "ok:alice" for e in server_checks)
    # A call still in flight from before the refresh may reach the server with the old token
    # afterwards, but the server no longer admits it: nothing ran on the revoked token.
    assert not any(e["token_sha256"] == sha(first) and e["outcome"].startswith("ok") for e in server_checks)
    # The kernel validated the new token once, when it first saw it.
    kernel_checks = [e for e in asked if e["user_agent"].startswith("kbase-spark-sql-kernel/")]
    assert [e["token_sha256"] for e in kernel_checks] == [sha(second)]

    # Another user's token is refused by the kernel itself: a session never changes user.
    token_file.write_text(token_of("bob-valid"))
    reply, _ = s.run("SELECT 4")
    assert reply["ename"] == "KBaseTokenUnavailable"
    assert "belongs to bob" in reply["evalue"] and "alice's" in reply["evalue"]

    # A file that disappears, or holds garbage, is named; the kernel lives on.
    token_file.unlink()
    reply, _ = s.run("SELECT 5")
    assert reply["ename"] == "KBaseTokenUnavailable"
    assert str(token_file) in reply["evalue"] and "no such file" in reply["evalue"]
    token_file.write_text("this is not a token")
    reply, _ = s.run("SELECT 6")
    assert reply["ename"] == "KBaseTokenUnavailable" and "does not hold a token" in reply["evalue"]
    assert s.alive()

    # Put back, the user's token works again.
    token_file.write_text(second)
    reply, _ = s.run("SELECT 7 AS seven")
    assert reply["status"] == "ok", reply
