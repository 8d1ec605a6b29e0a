"""`doctor` against the real Spark Connect server: every step passes and is reported."""

import os
import subprocess


def test_doctor_passes_against_a_running_server():
    out = subprocess.run([os.environ["KBASE_SPARK_KERNEL_BIN"], "doctor"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[ok  ] server reachable: Spark 4.0.1" in out.stdout
    assert "[ok  ] SELECT 1:" in out.stdout
    assert os.environ["SPARK_REMOTE"] in out.stdout
