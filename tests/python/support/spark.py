"""Spark Connect for the suites: a server of a test's own, which the test can stop, kill and
start again (scripts/lib.sh's start_spark starts the shared ones for the whole run), and
pyspark's own client, which the tests compare the kernel's answers with."""

import os
import signal
import subprocess

from support.env import environment
from support.net import free_port, wait_for_port


def spark_home():
    """The Spark that pyspark brings, whose spark-submit runs the servers."""
    import pyspark

    return os.path.dirname(pyspark.__file__)


class SparkServer:
    """A Spark Connect server on a free loopback port, started by `start`. With `workdir` it
    runs there and keeps its warehouse there, so that its tables outlive a restart."""

    def __init__(self, workdir=None):
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    def start(self, seconds=180):
        """Starts the server and waits until it listens. SPARK_REMOTE is removed from its
        environment: Spark's launcher would take it to mean "be a client of that server"."""
        home = spark_home()
        conf = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.ui.enabled": "false",
        }
        if self.workdir:
            conf["spark.sql.warehouse.dir"] = f"{self.workdir}/warehouse"
        args = [f"{home}/bin/spark-submit", "--class", "org.apache.spark.sql.connect.service.SparkConnectServer"]
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        self.process = subprocess.Popen(
            [*args, "spark-internal"],
            env=environment(SPARK_REMOTE=None, SPARK_HOME=home),
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not wait_for_port(self.port, seconds):
            self._signal(signal.SIGKILL)
            raise RuntimeError("the Spark Connect server did not start")

    def stop(self):
        """Stops the server as an operator would (SIGTERM to its process group)."""
        self._signal(signal.SIGTERM)

    def kill(self):
        """Ends the server at once, as a crash would."""
        self._signal(signal.SIGKILL)

    def _signal(self, sig):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=60)


def pyspark_session(remote=None, conf=None):
    """pyspark's own client on `remote` (the suite's server, SPARK_REMOTE, by default), with
    the session settings `conf`."""
    from pyspark.sql import SparkSession

    session = SparkSession.builder.remote(remote or os.environ["SPARK_REMOTE"]).create()
    for key, value in (conf or {}).items():
        session.conf.set(key, value)
    return session
