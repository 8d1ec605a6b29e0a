"""KBase Spark SQL side by side with the alternative: ipykernel running pyspark's Spark
Connect client, both driven by jupyter_client against the same Spark Connect server.

Measured for each kernel: time from launch to the first kernel_info reply, the first query
(which opens the Spark session), the median round trip of `SELECT 1`, the median time to
show a 1,000-row result as a table, and the kernel's resident memory afterwards (with its
child processes). Run through scripts/bench, which starts the server.
"""

import os
import statistics
import sys
import time

import jupyter_client
import psutil

REMOTE = os.environ["SPARK_REMOTE"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
TABLE_SQL = "SELECT id, id * 2 AS twice, concat('row-', id) AS label, id / 7 AS ratio FROM range(100000)"


def run(kc, code):
    """Runs code; returns seconds until the kernel is idle again, failing on an error."""
    start = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            raise RuntimeError(f"{code!r} failed: {msg['content']['evalue']}")
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return time.perf_counter() - start


def rss_mb(pid):
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        total += child.memory_info().rss
    return total / 2**20


def measure(name, kernel_name, setup, select_one, table):
    start = time.perf_counter()
    km = jupyter_client.KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    ready = time.perf_counter() - start
    try:
        first = (run(kc, setup) if setup else 0.0) + run(kc, select_one)
        ones = [run(kc, select_one) for _ in range(ROUNDS)]
        tables = [run(kc, table) for _ in range(max(5, ROUNDS // 4))]
        memory = rss_mb(km.provisioner.process.pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {
        "kernel": name,
        "ready (s)": ready,
        "first query (s)": first,
        "SELECT 1 median (ms)": statistics.median(ones) * 1000,
        "1,000-row table median (ms)": statistics.median(tables) * 1000,
        "memory after (MiB)": memory,
    }


def warm_up_server():
    """The first queries of a fresh server are slow (JIT, planning caches); pay that first so
    neither kernel is charged for it."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.remote(REMOTE).create()
    for _ in range(3):
        spark.sql("SELECT 1").collect()
        spark.sql(TABLE_SQL).limit(1000).toArrow()
    spark.stop()


def main():
    warm_up_server()
    ours = measure(
        "KBase Spark SQL",
        "kbase-spark-sql",
        None,
        "SELECT 1",
        TABLE_SQL,
    )
    pyspark = measure(
        "ipykernel + pyspark",
        "python3",
        f"from pyspark.sql import SparkSession\nspark = SparkSession.builder.remote({REMOTE!r}).getOrCreate()",
        "spark.sql('SELECT 1').toPandas()",
        f"spark.sql({TABLE_SQL!r}).limit(1000).toPandas()",
    )
    rows = [ours, pyspark]
    keys = [k for k in ours if k != "kernel"]
    width = max(len(k) for k in keys)
    print(f"\n{'':{width}}  {ours['kernel']:>18}  {pyspark['kernel']:>20}")
    for k in keys:
        print(f"{k:{width}}  {ours[k]:>18.2f}  {pyspark[k]:>20.2f}")
    print(f"\n({ROUNDS} rounds of SELECT 1; same Spark Connect server: {REMOTE})")
    return 0 if all(r["ready (s)"] > 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
