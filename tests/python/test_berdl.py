"""BERDL as it runs today, end to end with real clients and a real Spark Connect server:
the address the hub gives the pod (SPARK_CONNECT_URL), token renewals through
~/.berdl_kbase_session, the activity record on the kernel's stderr, the governance service's
database prefixes with a server that checks database names as BERDL's does, an Auth2 outage
while the server refuses every call, and BERDL's outside proxy (a stand-in with its method
table, its token header, its 4 MiB limit and TLS)."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import jupyter_client
import pytest

from support.kernel import KERNEL_NAME, execute, shell_reply
from support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKENS = json.load(open(os.environ["KBASE_TEST_TOKENS"]))
AUTH_URL = os.environ["KBASE_TEST_AUTH_URL"]
CHECKING = f"sc://127.0.0.1:{os.environ['KBASE_TEST_CHECKING_PORT']}"
PLAIN_PORT = int(os.environ["SPARK_REMOTE"].rsplit(":", 1)[1].strip("/"))
BINARY = os.environ["KBASE_SPARK_KERNEL_BIN"]
ACTIVITY_KEYS = {
    "session_start": ["timestamp", "user", "type", "message"],
    "cell_execution": ["timestamp", "user", "type", "code"],
    "cell_error": ["timestamp", "user", "type", "error_type", "error_message"],
}
# Python's datetime.now(timezone.utc).isoformat()
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")


def token_of(prefix):
    return next(t for t in TOKENS if t.startswith(prefix))


def berdl_env(home, token, **extra):
    """The environment BERDL's hub gives a pod (and nothing else of this machine's)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "NB_USER": "alice",
        "KBASE_AUTH_TOKEN": token,
        "KBASE_AUTH_URL": AUTH_URL,
        "SPARK_CONNECT_URL": CHECKING,
    }
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Kernel:
    """A kernel started with exactly `env`, its stderr kept."""

    def __init__(self, env):
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log")
        self.km, self.kc = jupyter_client.manager.start_new_kernel(kernel_name=KERNEL_NAME, env=env, stderr=self.log)

    def run(self, code, **kwargs):
        return execute(self.kc, code, timeout=120, **kwargs)

    def stderr(self):
        self.log.seek(0)
        return self.log.read()

    def activity(self):
        lines = []
        for line in self.stderr().splitlines():
            if line.startswith('{"timestamp"'):
                lines.append(line)
        return lines

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        text = self.stderr()
        self.log.close()
        for token in TOKENS:
            assert token not in text, "a token appeared in the kernel's stderr"
        return text


@pytest.fixture
def kernels():
    opened = []

    def start(env):
        k = Kernel(env)
        opened.append(k)
        return k

    yield start
    for k in opened:
        if k.km.is_alive():
            k.close()


def wait_for(predicate, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def revoke(token):
    request = urllib.request.Request(f"{AUTH_URL}api/V2/token", method="DELETE", headers={"Authorization": token})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def test_berdls_environment_alone_runs_a_cell_and_records_it(kernels, tmp_path):
    k = kernels(berdl_env(tmp_path, token_of("alice-valid")))
    reply, _ = k.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply
    reply, _ = k.run("SELECT * FROM no_such_table_here")
    assert reply["status"] == "error"
    k.run("SELECT 'silent'", silent=True)
    k.run("   \n")
    wait_for(lambda: len(k.activity()) >= 4, "the activity lines")
    text = k.close()
    lines = [l for l in text.splitlines() if l.startswith('{"timestamp"')]
    records = [json.loads(l) for l in lines]
    # Field for field as BERDL's IPython kernels write them: key order, Python's separators.
    for line, record in zip(lines, records):
        assert list(record) == ACTIVITY_KEYS[record["type"]], line
        assert json.dumps(record) == line
        assert TIMESTAMP.match(record["timestamp"]), record["timestamp"]
        assert record["user"] == "alice"
    assert [r["type"] for r in records] == ["session_start", "cell_execution", "cell_execution", "cell_error"]
    assert records[0]["message"] == "Activity logging enabled (container stderr)"
    assert records[1]["code"] == "SELECT 1 AS one"
    assert records[3]["error_type"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert "no_such_table_here" in records[3]["error_message"]


def test_a_huge_cell_has_one_bounded_line_and_the_record_can_be_turned_off(kernels, tmp_path):
    k = kernels(berdl_env(tmp_path, token_of("alice-valid"), NB_USER=None, USER="jovyan"))
    huge = "SELECT 1 AS one -- " + "x" * (10 * 1024 * 1024)
    reply, _ = k.run(huge)
    assert reply["status"] == "ok", reply
    wait_for(lambda: len(k.activity()) >= 2, "the activity lines")
    line = k.activity()[1]
    record = json.loads(line)
    assert record["user"] == "jovyan"
    assert record["code"] == huge[:10000] + "... (truncated)"
    assert len(line) < 11000
    k.close()

    off = kernels(berdl_env(tmp_path, token_of("alice-valid"), KBASE_SPARK_ACTIVITY_LOG="off"))
    reply, _ = off.run("SELECT 2 AS two")
    assert reply["status"] == "ok", reply
    assert off.activity() == []


def test_a_malformed_spark_connect_url_is_named_never_echoed(kernels, tmp_path):
    secret = token_of("alice-valid")
    k = kernels(berdl_env(tmp_path, secret, SPARK_CONNECT_URL=f"sc://jupyter-alice:15002/;{secret}"))
    for _ in range(2):
        reply, _ = k.run("SELECT 1")
        assert reply["ename"] == "KernelConfigurationError"
        assert reply["evalue"].startswith("SPARK_CONNECT_URL is not a valid Spark Connect URL")
        assert secret not in json.dumps(reply)
    assert k.km.is_alive()


def doctor(env):
    done = subprocess.run([BINARY, "doctor"], env=env, capture_output=True, text=True, timeout=180)
    return done.returncode, done.stdout


def test_doctor_says_which_setting_gave_the_address(tmp_path):
    code, out = doctor(berdl_env(tmp_path, token_of("alice-valid")))
    assert code == 0, out
    assert f"Spark Connect URL: {CHECKING}/;user_id=alice (from SPARK_CONNECT_URL" in out, out
    code, out = doctor(berdl_env(tmp_path, token_of("alice-valid"), SPARK_REMOTE=CHECKING))
    assert code == 0 and "(from SPARK_REMOTE)" in out, out
    port = os.environ["KBASE_TEST_CHECKING_PORT"]
    env = berdl_env(tmp_path, token_of("alice-valid"), SPARK_CONNECT_URL=None, KBASE_SPARK_HOST_TEMPLATE="127.0.0.1",
                    KBASE_SPARK_PORT=port)
    code, out = doctor(env)
    assert code == 0 and "(from KBASE_SPARK_HOST_TEMPLATE" in out, out


def test_a_renewed_token_in_the_session_file_keeps_the_session_working(kernels, tmp_path):
    spawned, renewed = token_of("alice-berdl1"), token_of("alice-berdl2")
    session_file = tmp_path / ".berdl_kbase_session"
    k = kernels(berdl_env(tmp_path, spawned))
    reply, _ = k.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply
    # The user logs in again: BERDL's server writes the new token, and the old one is revoked.
    session_file.write_text(renewed)
    session_file.chmod(0o600)
    revoke(spawned)
    reply, _ = k.run("SELECT 2 AS two")
    assert reply["status"] == "ok", reply

    # That one is revoked too, with no newer one yet: log in again, no restart needed.
    revoke(renewed)
    reply, _ = k.run("SELECT 3")
    assert reply["ename"] == "KBaseTokenInvalid", reply
    assert "Log in to KBase again" in reply["evalue"] and "without restarting" in reply["evalue"]
    session_file.write_text(token_of("alice-berdl3") + "\n")
    reply, _ = k.run("SELECT 4 AS four")
    assert reply["status"] == "ok", reply

    # Another user's token, or garbage, gets the token file's messages; the kernel lives on.
    session_file.write_text(token_of("bob-valid"))
    reply, _ = k.run("SELECT 5")
    assert reply["ename"] == "KBaseTokenUnavailable" and "belongs to bob" in reply["evalue"], reply
    session_file.write_text("this is not a token")
    reply, _ = k.run("SELECT 6")
    assert reply["ename"] == "KBaseTokenUnavailable" and "does not hold a token" in reply["evalue"], reply
    assert str(session_file) in reply["evalue"]
    session_file.write_text(token_of("alice-berdl3"))
    reply, _ = k.run("SELECT 7 AS seven")
    assert reply["status"] == "ok", reply


def test_a_stale_session_file_gives_way_to_the_variable(kernels, tmp_path):
    # A file left from an earlier login holds a token Auth2 refuses: the variable's is used.
    (tmp_path / ".berdl_kbase_session").write_text("alice-long-gone-token-0000000000\n")
    k = kernels(berdl_env(tmp_path, token_of("alice-valid")))
    reply, _ = k.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply
    reply, _ = k.run("SELECT 2 AS two")
    assert reply["status"] == "ok", reply
    # An empty file is no token either.
    (tmp_path / ".berdl_kbase_session").write_text("")
    reply, _ = k.run("SELECT 3 AS three")
    assert reply["status"] == "ok", reply


def start_process(*args, log=None):
    return subprocess.Popen([sys.executable, *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=open(log, "w") if log else subprocess.DEVNULL, start_new_session=True)


def wait_port(port, proc, timeout=30):
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, "the stand-in exited"
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def processes():
    started = []

    def start(*args, port=None, log=None):
        p = start_process(*args, log=log)
        started.append(p)
        if port:
            wait_port(port, p)
        return p

    yield start
    for p in started:
        p.terminate()
        p.wait(10)


def governance(processes, mode="ok", groups="kbase,globalusersro"):
    port = free_port()
    processes(ROOT / "tests/support/governance_standin.py", "--port", port, "--tokens",
              os.environ["KBASE_TEST_TOKENS"], "--groups", groups, "--mode", mode, port=port)
    return f"http://127.0.0.1:{port}"


def complete(kc, code):
    msg_id = kc.complete(code, len(code))
    return shell_reply(kc, msg_id)["content"]


def test_namespaces_complete_list_and_explain(kernels, processes, tmp_path):
    k = kernels(berdl_env(tmp_path, token_of("alice-valid"), GOVERNANCE_API_URL=governance(processes)))
    wait_for(lambda: "database prefixes from the governance service" in k.stderr(), "the prefixes")
    found = complete(k.kc, "CREATE DATABASE ")
    assert found["matches"] == ["u_alice__", "kbase_", "globalusers_"], found
    found = complete(k.kc, "create schema if not exists u_")
    assert found["matches"] == ["u_alice__"], found
    reply, outputs = k.run("%help")
    shown = json.dumps([o["content"] for o in outputs])
    assert "u_alice__" in shown and "globalusers_" in shown

    # The server refuses a name without a prefix before running it; the cell says what to write.
    reply, _ = k.run("CREATE DATABASE scratch_kbase_sql_test")
    assert reply["ename"] == "DatabaseNameNotAllowed", reply
    assert "`u_alice__`, `kbase_`" in reply["evalue"]
    assert "CREATE DATABASE IF NOT EXISTS u_alice__scratch_kbase_sql_test;" in reply["evalue"]
    assert "create_namespace_if_not_exists" not in reply["evalue"]
    reply, _ = k.run("CREATE DATABASE IF NOT EXISTS u_alice__kbase_sql_test; DROP DATABASE u_alice__kbase_sql_test")
    assert reply["status"] == "ok", reply

    code, out = doctor(berdl_env(tmp_path, token_of("alice-valid"), GOVERNANCE_API_URL=governance(processes)))
    assert code == 0 and "database prefixes: u_alice__…, kbase_…, globalusers_…" in out, out


@pytest.mark.parametrize("mode", ["html", "garbage", "down"])
def test_a_broken_governance_service_changes_nothing_but_one_warning(kernels, processes, tmp_path, mode):
    url = f"http://127.0.0.1:{free_port()}" if mode == "down" else governance(processes, mode)
    k = kernels(berdl_env(tmp_path, token_of("alice-valid"), GOVERNANCE_API_URL=url))
    wait_for(lambda: "database prefixes unknown" in k.stderr(), "the warning")
    reply, _ = k.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply
    found = complete(k.kc, "CREATE DATABASE ")
    assert all(not m.startswith("u_alice") for m in found["matches"]), found
    assert k.stderr().count("database prefixes unknown") == 1


def make_certificates(directory):
    from test_tls import make_certificates as make

    return make(directory)


def proxy(processes, tmp_path, auth_url, backend_port, tls=True):
    port = free_port()
    args = [ROOT / "tests/support/berdl_proxy.py", "--port", port, "--backend", f"127.0.0.1:{backend_port}",
            "--auth-url", auth_url, "--log", tmp_path / "proxy.jsonl"]
    certificates = make_certificates(tmp_path) if tls else None
    if tls:
        args += ["--cert", certificates["cert"], "--key", certificates["key"]]
    processes(*args, port=port, log=tmp_path / "proxy.log")
    return port, certificates


def proxy_log(tmp_path):
    path = tmp_path / "proxy.jsonl"
    return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []


def test_through_berdls_proxy_with_wide_rows_and_no_release(kernels, processes, tmp_path):
    port, certs = proxy(processes, tmp_path, AUTH_URL, PLAIN_PORT)
    env = berdl_env(tmp_path, token_of("alice-valid"), SPARK_CONNECT_URL=None,
                    SPARK_REMOTE=f"sc://localhost:{port}/;use_ssl=true", SSL_CERT_FILE=certs["ca"])
    k = kernels(env)
    reply, outputs = k.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply
    # Shown rows of 300 kB each come back in parts under the limit.
    reply, outputs = k.run("SELECT id, repeat('y', 300000) AS wide FROM range(20)")
    assert reply["status"] == "ok", reply
    # The whole of a result far larger than 4 MiB, of rows of 200 kB each: Spark's parts
    # (30 rows, 6 MB) are more than the proxy takes, which the cell explains, with the fix.
    target = tmp_path / "wide.parquet"
    wide = f"%export {target}\nSELECT id, repeat('x', 200000) AS wide FROM range(60)"
    reply, _ = k.run(wide)
    assert reply["ename"] == "SparkConnectMessageTooLarge", reply
    assert "SET spark.sql.execution.arrow.maxRecordsPerBatch = 10;" in reply["evalue"]
    assert not target.exists()
    reply, _ = k.run("SET spark.sql.execution.arrow.maxRecordsPerBatch = 10;")
    assert reply["status"] == "ok", reply
    reply, _ = k.run(wide)
    assert reply["status"] == "ok", reply
    import pyarrow.parquet as pq

    table = pq.read_table(target)
    assert table.num_rows == 60 and sum(len(v) for v in table.column("wide").to_pylist()) == 60 * 200000
    text = k.close()
    # Shutting down asked for ReleaseSession, which the proxy does not route: not a word of it.
    assert {"method": "ReleaseSession", "outcome": "unimplemented"} in proxy_log(tmp_path)
    assert "releasing the Spark session failed" not in text
    assert "Unimplemented" not in text and "UNIMPLEMENTED" not in text
    # Every routed call carried the token where the proxy reads it.
    assert not any(e["outcome"] == "unauthenticated" for e in proxy_log(tmp_path))


def test_an_auth_outage_is_told_as_one_and_the_next_cell_works(kernels, processes, tmp_path):
    # A second Auth2 for this test alone, which both the proxy (refusing every call it cannot
    # check, as BERDL's servers do) and the kernel ask.
    auth_port = free_port()
    standin = [ROOT / "tests/support/auth2_standin.py", "--port", auth_port, "--tokens",
               os.environ["KBASE_TEST_TOKENS"], "--log", tmp_path / "auth2.jsonl"]
    auth = processes(*standin, port=auth_port)
    auth_url = f"http://127.0.0.1:{auth_port}/services/auth/"
    port, certs = proxy(processes, tmp_path, auth_url, PLAIN_PORT, tls=False)
    env = berdl_env(tmp_path, token_of("alice-valid"), SPARK_CONNECT_URL=f"sc://127.0.0.1:{port}",
                    KBASE_AUTH_URL=auth_url)
    k = kernels(env)
    reply, _ = k.run("SELECT 1 AS one")
    assert reply["status"] == "ok", reply
    auth.terminate()
    auth.wait(10)
    reply, _ = k.run("SELECT 2 AS two")
    assert reply["ename"] == "KBaseAuthUnreachable", reply
    assert "auth service" in reply["evalue"] and "invalid" not in reply["evalue"].lower()
    processes(*standin, port=auth_port)
    reply, _ = k.run("SELECT 3 AS three")
    assert reply["status"] == "ok", reply
