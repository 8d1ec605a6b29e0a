"""Shared helpers for the Python suites: start the KBase Spark SQL kernel with
jupyter_client and run code on it, collecting what it publishes."""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import jupyter_client
import pytest

KERNEL_NAME = "kbase-spark-sql"
TIMEOUT = 120


def environment(**env):
    """The test environment changed by `env`; a value of None removes the variable."""
    full_env = dict(os.environ)
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return full_env


def start_kernel(stderr=None, **env):
    """Starts the kernel in `environment(**env)`; `stderr` receives the kernel's log.
    Returns (manager, client)."""
    return jupyter_client.manager.start_new_kernel(kernel_name=KERNEL_NAME, env=environment(**env), stderr=stderr)


def collect(kc, msg_id, timeout=TIMEOUT):
    """The iopub messages of one request, up to its idle status."""
    outputs = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                return outputs
            continue
        outputs.append(msg)


def shell_reply(kc, msg_id, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def execute(kc, code, timeout=TIMEOUT, **kwargs):
    """Runs `code`; returns (reply content, list of iopub output messages)."""
    msg_id = kc.execute(code, **kwargs)
    reply = shell_reply(kc, msg_id, timeout)
    outputs = collect(kc, msg_id, timeout)
    return reply["content"], outputs


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Marks a test that failed, for fixtures that keep evidence of failures (screenshots)."""
    outcome = yield
    if outcome.get_result().failed:
        item.failed = True


@pytest.fixture(scope="module")
def kernel():
    """One kernel for a test module, warmed up so the first query's start-up cost is paid."""
    km, kc = start_kernel()
    reply, _ = execute(kc, "SELECT 1")
    assert reply["status"] == "ok", reply
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, ".work")
# What a user's environment has on PATH: the system's, not the environment's own bin/.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def wheel_path():
    """The wheel that scripts/test built."""
    path = os.environ.get("KBASE_TEST_WHEEL", "")
    if not os.path.isfile(path):
        pytest.fail(f"KBASE_TEST_WHEEL does not name a built wheel ({path!r}): run scripts/test")
    return path


def make_venv(path, *pip_args):
    """A fresh virtual environment at `path` with `pip install *pip_args` in it."""
    import shutil
    import subprocess
    import sys

    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", path], check=True)
    if pip_args:
        pip = [os.path.join(path, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run(pip + list(pip_args), check=True, env=environment(PIP_REQUIRE_VIRTUALENV=None))
    return path


@pytest.fixture(scope="session")
def wheel_env():
    """A fresh environment where only `pip install` of the wheel happened, beside papermill
    (which brings Jupyter's client): what a pipeline's environment looks like."""
    return make_venv(os.path.join(WORK, "wheel-env"), "papermill==2.7.0", wheel_path())


@pytest.fixture(scope="session")
def singleuser():
    """A user's server environment as deploy/singleuser.Dockerfile builds it: Jupyter, then
    the kernel's wheel, then `install --sys-prefix --make-default`, with the environment's
    bin/ off PATH as in the hub."""
    import subprocess

    path = make_venv(
        os.path.join(WORK, "singleuser"), "-r", os.path.join(ROOT, "tests", "singleuser-requirements.txt"), wheel_path()
    )
    subprocess.run(
        [os.path.join(path, "bin", "kbase-spark-sql-kernel"), "install", "--sys-prefix", "--make-default"],
        check=True,
        env=environment(PATH=SYSTEM_PATH, VIRTUAL_ENV=None, CONDA_PREFIX=None),
    )
    return path


@pytest.fixture(scope="module")
def spark():
    """pyspark's own client on the test server, to compare the kernel's answers with."""
    from pyspark.sql import SparkSession

    session = SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).create()
    yield session
    session.stop()


def results(outputs):
    """The outputs that stay, as a notebook keeps them (after any clear_output)."""
    kept = []
    for o in outputs:
        if o["msg_type"] == "clear_output":
            kept = []
        elif o["msg_type"] in ("execute_result", "display_data"):
            kept.append(o["content"])
    return kept


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook(cells):
    """The JSON of a notebook on the kernel, one code cell per (id, source)."""
    return json.dumps({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": KERNEL_NAME, "display_name": "KBase Spark SQL", "language": "sql"}},
        "cells": [
            {"cell_type": "code", "id": i, "metadata": {}, "execution_count": None, "outputs": [], "source": s}
            for i, s in cells
        ],
    })


@contextlib.contextmanager
def jupyter_lab(root, log_path, *args, python=sys.executable, **env):
    """JupyterLab serving `root` (extra command-line `args`, environment changed by `env`,
    from the environment of `python`), its output in `log_path`; yields (base URL, token)
    once it answers."""
    port, token = free_port(), secrets.token_hex(16)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [python, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--allow-root", *args],
            env=environment(**env), stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + 90
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise RuntimeError(f"JupyterLab did not start; see {log_path}")
                    time.sleep(0.5)
            yield url, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=20)
