"""`doctor` against the real Spark Connect server: every step passes and is reported."""

import os
import subprocess


def test_doctor_passes_against_a_running_server():
    out = subprocess.run([os.environ["KBASE_SPARK_KERNEL_BIN"], "doctor"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[ok  ] server reachable: Spark 4.0.1" in out.stdout
    assert "[ok  ] SELECT 1:" in out.stdout
    assert os.environ["SPARK_REMOTE"] in out.stdout


def test_doctor_applies_kbase_spark_conf_as_the_kernel_does():
    """A setting Spark refuses fails doctor at that step, as it would fail every cell."""
    env = dict(os.environ, KBASE_SPARK_CONF='{"spark.sql.warehouse.dir": "/tmp/elsewhere"}')
    out = subprocess.run(
        [os.environ["KBASE_SPARK_KERNEL_BIN"], "doctor"], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "[ok  ] server reachable: Spark 4.0.1" in out.stdout
    assert "[FAIL] Spark settings:" in out.stdout
    assert "SELECT 1" not in out.stdout
