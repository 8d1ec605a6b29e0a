"""%export of a large result beside pyspark's usual way out, on the same Spark Connect server:
2, 6 and 20 million rows x 5 columns to Parquet by the kernel (streamed batch by batch) and
by `spark.sql(q).toPandas().to_parquet(path)` in a fresh Python process.

Prints, for each: wall time, rows per second, the file's size and the peak resident memory
of the process doing the writing (the kernel's VmHWM, in a fresh kernel for each size; the
Python process's ru_maxrss). The kernel's peak should not grow with the row count.
Needs SPARK_REMOTE and the kernelspec installed (as scripts/bench and scripts/test set up);
BENCH_EXPORT_ROWS changes the row counts (comma-separated). Run:
    .venv/bin/python benchmarks/export.py
"""

import os
import subprocess
import sys
import tempfile
import time

import jupyter_client

SIZES = [int(n) for n in os.environ.get("BENCH_EXPORT_ROWS", "2000000,6000000,20000000").split(",")]


def query(rows):
    return (
        "SELECT id, id * 2.5D AS d, concat('label-', id) AS s, id % 1000 AS k, "
        # Many partitions: the server sends partitions in order and holds those that finish
        # early, so a few huge ones can exhaust a small driver's heap (for either client).
        f"CAST(id AS DOUBLE) / 7 AS f FROM range(0, {rows}, 1, {max(2, rows // 250_000)})"
    )

PYSPARK = """
import os, resource, sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).getOrCreate()
spark.sql("SELECT 1").collect()
start = time.perf_counter()
df = spark.sql(sys.argv[1]).toPandas()
df.attrs = {}  # pyspark leaves its plan metrics there, which pandas cannot store
df.to_parquet(sys.argv[2])
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def run(kc, code, timeout=3600):
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            raise RuntimeError(msg["content"]["evalue"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return


def kernel(path, rows):
    km = jupyter_client.KernelManager(kernel_name="kbase-spark-sql")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    try:
        run(kc, "SELECT 1")
        before = peak_rss(km.provisioner.process.pid)
        start = time.perf_counter()
        run(kc, f"%export {path}\n{query(rows)}")
        seconds = time.perf_counter() - start
        return seconds, before, peak_rss(km.provisioner.process.pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def report(name, rows, seconds, size, peak, extra=""):
    print(
        f"{rows / 1e6:4.0f} M rows  {name:<32} {seconds:7.1f} s  {rows / seconds:>12,.0f} rows/s  "
        f"{size / 2**20:8.1f} MiB file  peak RSS {peak / 2**20:8.1f} MiB{extra}"
    )


def main():
    print("rows x 5 columns to Parquet; peak RSS of the process that writes the file")
    for rows in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "kernel.parquet")
            seconds, before, peak = kernel(path, rows)
            report("KBase Spark SQL %export", rows, seconds, os.path.getsize(path), peak,
                   f" (before: {before / 2**20:.1f} MiB)")
            os.remove(path)
            path = os.path.join(tmp, "pyspark.parquet")
            out = subprocess.run(
                [sys.executable, "-c", PYSPARK, query(rows), path], capture_output=True, text=True
            )
            if out.returncode != 0:
                sys.exit(f"pyspark failed:\n{out.stderr[-2000:]}")
            out = out.stdout.split()
            report("pyspark toPandas().to_parquet()", rows, float(out[-2]), os.path.getsize(path), int(out[-1]))


if __name__ == "__main__":
    main()
