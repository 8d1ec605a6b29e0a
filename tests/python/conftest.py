"""The Python suites' fixtures; the helpers they and the test files use are in support/."""

import os
import subprocess

import pytest

from support.env import ROOT, SYSTEM_PATH, WORK, environment
from support.kernel import execute, start_kernel
from support.package import make_venv, wheel_path
from support.spark import pyspark_session


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
    session = pyspark_session()
    yield session
    session.stop()
