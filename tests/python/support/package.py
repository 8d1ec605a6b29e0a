"""The kernel as researchers install it: the wheel scripts/test built, and fresh virtual
environments to pip-install it into."""

import os
import shutil
import subprocess
import sys

import pytest

from support.env import environment


def wheel_path():
    """The wheel that scripts/test built."""
    path = os.environ.get("KBASE_TEST_WHEEL", "")
    if not os.path.isfile(path):
        pytest.fail(f"KBASE_TEST_WHEEL does not name a built wheel ({path!r}): run scripts/test")
    return path


def make_venv(path, *pip_args):
    """A fresh virtual environment at `path` with `pip install *pip_args` in it."""
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", path], check=True)
    if pip_args:
        pip = [os.path.join(path, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run(pip + list(pip_args), check=True, env=environment(PIP_REQUIRE_VIRTUALENV=None))
    return path
