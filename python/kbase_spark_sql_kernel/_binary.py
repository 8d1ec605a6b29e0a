"""Finds the kernel binary that pip installed with this package.

Jupyter starts the kernel from the kernelspec's argv and replaces only a leading ``python``
with its own interpreter, so the kernelspec runs ``python -m kbase_spark_sql_kernel``; from
there the binary is found in the same environment's scripts directory, whether or not that
directory is on PATH.
"""

import os
import sys
import sysconfig

BINARY = "kbase-spark-sql-kernel" + (".exe" if sys.platform == "win32" else "")


def _scripts_dirs():
    # The environment's own scripts directory first: that is where a plain `pip install`
    # puts the binary. Then a `pip install --user`, then `pip install --target DIR`, which
    # puts scripts in DIR/bin beside the package.
    yield sysconfig.get_path("scripts")
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and sys._framework:  # pragma: no cover - not built for macOS
        user_scheme = "osx_framework_user"
    if user_scheme:
        yield sysconfig.get_path("scripts", scheme=user_scheme)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    yield os.path.join(package_parent, "bin")


def find_binary() -> str:
    """The path of the kernel binary installed with this package."""
    for directory in _scripts_dirs():
        if not directory:
            continue
        path = os.path.join(directory, BINARY)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(
        f"cannot find the {BINARY} program of this Python environment ({sys.prefix}); "
        "reinstall the package: pip install --force-reinstall kbase-spark-sql-kernel"
    )
