"""What %analyze costs over running the query plainly, on the same Spark Connect server: the
time from sending a cell to its idle status, for each query shown plainly (its first 1,000
rows) and under %analyze (run to its end, then its first rows and the plan's metrics), taking
turns REPEATS times after a warm-up; medians are printed.

A query whose every row must be computed to show its first (a join then an aggregate) costs
about the same either way; one whose first rows come early (a plain scan under the display
limit) costs, under %analyze, what reading all of it costs.

Needs SPARK_REMOTE and the kernelspec installed (as scripts/bench and scripts/test set up).
Run:
    .venv/bin/python benchmarks/analyze.py
"""

import os
import statistics
import time

import jupyter_client

REPEATS = int(os.environ.get("BENCH_ANALYZE_REPEATS", "5"))
QUERIES = [
    (
        "join 1e6 × 1e3, then GROUP BY",
        "SELECT b.k, count(*) FROM range(1000000) a JOIN (SELECT id AS k FROM range(1000)) b "
        "ON a.id % 1000 = b.k GROUP BY b.k",
    ),
    ("GROUP BY over 1e7 rows", "SELECT id % 100 AS g, sum(id) FROM range(10000000) GROUP BY g"),
    ("1e7 rows, first 1,000 shown", "SELECT id, id * 2 AS d FROM range(10000000)"),
]


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


def timed(kc, code):
    start = time.perf_counter()
    run(kc, code)
    return time.perf_counter() - start


def main():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="kbase-spark-sql")
    try:
        run(kc, "SELECT 1")
        print(f"| query | plain | %analyze | %analyze / plain |  (medians of {REPEATS}, s)")
        print("| --- | ---: | ---: | ---: |")
        for label, query in QUERIES:
            timed(kc, query)
            timed(kc, f"%analyze\n{query}")
            plain, analyzed = [], []
            for _ in range(REPEATS):
                plain.append(timed(kc, query))
                analyzed.append(timed(kc, f"%analyze\n{query}"))
            p, a = statistics.median(plain), statistics.median(analyzed)
            print(f"| {label} | {p:.2f} | {a:.2f} | {a / p:.2f} |", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
