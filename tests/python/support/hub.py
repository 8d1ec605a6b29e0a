"""A real JupyterHub for the hub suite, configured by tests/support/jupyterhub_config.py: it
logs the test users in with one password, keeps each one's KBase token, and spawns their
servers from a given environment. Stopped again, with the servers it spawned, when the
suite is done."""

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support.env import ROOT, environment
from support.net import free_port

CONFIG = Path(ROOT) / "tests" / "support" / "jupyterhub_config.py"


@contextlib.contextmanager
def jupyterhub(state, singleuser, users, password, **env):
    """JupyterHub keeping its state (and its log, jupyterhub.log) in the fresh folder `state`,
    spawning users' servers from the environment `singleuser`; `users` maps each user to the
    KBase token the hub keeps for them, `password` logs any of them in, and `env` changes the
    hub's environment. Yields the hub's URL once it answers."""
    state = Path(state)
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    (state / "users.json").write_text(json.dumps(users))
    port = free_port()
    full_env = environment(
        KBASE_TEST_HUB_STATE=str(state),
        KBASE_TEST_SINGLEUSER=singleuser,
        KBASE_TEST_HUB_USERS=str(state / "users.json"),
        KBASE_TEST_HUB_PASSWORD=password,
        KBASE_TEST_HUB_PORT=str(port),
        KBASE_TEST_HUB_API_PORT=str(free_port()),
        KBASE_TEST_PROXY_API_PORT=str(free_port()),
        KBASE_TEST_CHP=os.environ["KBASE_TEST_CHP"],
        JUPYTERHUB_CRYPT_KEY=secrets.token_hex(32),
        **env,
    )
    log = open(state / "jupyterhub.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
        cwd=state,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/hub/api/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterHub did not start:\n" + (state / "jupyterhub.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        # The hub stops the users' servers it spawned when it shuts down (cleanup_servers).
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
