"""The kernel's life ends with its client's: a kernel whose starter was killed (a terminal
closed under `jupyter console`, a crashed notebook server) stops by itself, as the Python
kernel does, instead of running on for good."""

import os
import signal
import subprocess
import sys
import time

import jupyter_client

BINARY = os.environ["KBASE_SPARK_KERNEL_BIN"]
BOUND = 60  # seconds; the kernel checks once a second


def running(pid):
    """Whether `pid` is a live process (a zombie waiting to be reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until_gone(pid):
    deadline = time.monotonic() + BOUND
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not running(pid)


def ready_kernel(connection_file):
    kc = jupyter_client.BlockingKernelClient(connection_file=connection_file)
    kc.load_connection_file()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return kc


def test_the_kernel_stops_when_the_process_that_started_it_dies(tmp_path):
    connection_file, _ = jupyter_client.connect.write_connection_file(str(tmp_path / "kernel.json"))
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; k = subprocess.Popen(sys.argv[1:]); print(k.pid, flush=True); time.sleep(600)",
            BINARY,
            "run",
            "--connection-file",
            connection_file,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    kernel_pid = int(starter.stdout.readline())
    kc = ready_kernel(connection_file)
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    try:
        assert wait_until_gone(kernel_pid), "the kernel outlived the process that started it"
    finally:
        kc.stop_channels()
        if running(kernel_pid):
            os.kill(kernel_pid, signal.SIGKILL)


def test_the_kernel_stops_when_the_process_named_by_jpy_parent_pid_dies(tmp_path):
    connection_file, _ = jupyter_client.connect.write_connection_file(str(tmp_path / "kernel.json"))
    named_parent = subprocess.Popen(["sleep", "600"])
    kernel = subprocess.Popen(
        [BINARY, "run", "--connection-file", connection_file],
        env=dict(os.environ, JPY_PARENT_PID=str(named_parent.pid)),
    )
    kc = ready_kernel(connection_file)
    try:
        time.sleep(2)
        assert kernel.poll() is None, "the kernel stopped while the named parent lived"
        named_parent.kill()
        named_parent.wait()
        kernel.wait(BOUND)
    finally:
        kc.stop_channels()
        if kernel.poll() is None:
            kernel.kill()
