"""Where the repository and its scratch space are, and the environment a test starts a
process in (the suite's own, changed per test)."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
WORK = os.path.join(ROOT, ".work")
# What a user's environment has on PATH: the system's, not the environment's own bin/.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def environment(**env):
    """The test environment changed by `env`; a value of None removes the variable."""
    full_env = dict(os.environ)
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return full_env
