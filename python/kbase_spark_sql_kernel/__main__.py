"""``python -m kbase_spark_sql_kernel ARGS``: runs the kernel binary with ARGS.

The process is replaced by the binary (on POSIX), so Jupyter's signals and its shutdown reach
the kernel itself and no Python process stays around while it runs.
"""

import os
import subprocess
import sys

from ._binary import find_binary


def main() -> int:
    try:
        binary = find_binary()
    except FileNotFoundError as e:
        print(f"kbase-spark-sql-kernel: {e}", file=sys.stderr)
        return 1
    args = [binary, *sys.argv[1:]]
    if os.name == "posix":
        os.execv(binary, args)
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main())
