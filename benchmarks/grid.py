"""What the live grid costs, on a real Spark Connect server, over a 10 million-row mixed-type
result: the time from a cell's end (its execute reply) to the grid's first page (the comm
opened, the result pinned, 200 rows answered); a warm page of 200 rows in the middle; a sort
of the 10 million rows (the first 200 rows, descending) against Spark's own
`ORDER BY … LIMIT 200` run by pyspark; and what a middle page would cost unpinned (the
query itself run again under `Offset` + `Limit`, by pyspark), the measurement behind pinning
every explored result. Medians of REPEATS runs.

Needs SPARK_REMOTE and the kernelspec installed (as scripts/bench and scripts/test set up).
Run:
    .venv/bin/python benchmarks/grid.py
"""

import os
import queue
import statistics
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python"))

from support.kernel import execute, start_kernel  # noqa: E402
from support.spark import pyspark_session  # noqa: E402

REPEATS = int(os.environ.get("BENCH_GRID_REPEATS", "3"))
QUERY = """SELECT id, CAST(id % 1000 AS INT) AS g, CASE WHEN id % 7 = 0 THEN NULL ELSE id * 1.5 END AS x,
  concat('name-', CAST(id % 9973 AS STRING)) AS name, date_add(DATE'2020-01-01', CAST(id % 1000 AS INT)) AS day
FROM range(0, 10000000)"""


def answer(kc, comm_id, request_id):
    while True:
        msg = kc.get_iopub_msg(timeout=600)
        if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == comm_id:
            data = msg["content"]["data"]
            if data.get("id") == request_id or data.get("type") in ("ready", "gone"):
                return data


def send(kc, msg_type, content):
    kc.shell_channel.send(kc.session.msg(msg_type, content))


def page(kc, comm_id, rid, offset, view=None):
    data = {"type": "page", "id": rid, "offset": offset, "limit": 200, "view": view or {}}
    send(kc, "comm_msg", {"comm_id": comm_id, "data": data})
    started = time.perf_counter()
    got = answer(kc, comm_id, rid)
    assert got["type"] == "page", got
    return time.perf_counter() - started


def main():
    km, kc = start_kernel()
    spark = pyspark_session()
    first, warm, sort, ordered, unpinned = [], [], [], [], []
    try:
        for _ in range(REPEATS):
            reply, outputs = execute(kc, QUERY)
            ended = time.perf_counter()
            live = [o for o in outputs if o["msg_type"] == "execute_result"][-1]["content"]["transient"]
            comm_id = uuid.uuid4().hex
            send(kc, "comm_open", {"comm_id": comm_id, "target_name": "kbase.spark.grid",
                                   "data": {"result": live["kbase_spark_grid"]["result"]}})
            assert answer(kc, comm_id, None)["type"] == "ready"
            page(kc, comm_id, 1, 0)
            first.append(time.perf_counter() - ended)
            warm.append(page(kc, comm_id, 2, 5_000_000))
            sort.append(page(kc, comm_id, 3, 0, {"sort": [{"column": "x", "descending": True}]}))
            started = time.perf_counter()
            spark.sql(f"SELECT * FROM ({QUERY}) ORDER BY x DESC LIMIT 200").collect()
            ordered.append(time.perf_counter() - started)
            started = time.perf_counter()
            spark.sql(QUERY).offset(5_000_000).limit(200).collect()
            unpinned.append(time.perf_counter() - started)
            send(kc, "comm_close", {"comm_id": comm_id, "data": {}})
    finally:
        spark.stop()
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    med = lambda xs: f"{statistics.median(xs):.2f} s"  # noqa: E731
    print(f"cell's end to the first grid page (pin included): {med(first)}")
    print(f"warm page of 200 rows at row 5,000,000:            {med(warm)}")
    print(f"sort of 10,000,000 rows, first 200 (grid):         {med(sort)}")
    print(f"Spark's own ORDER BY … LIMIT 200 (pyspark):         {med(ordered)}")
    print(f"unpinned: the query re-run for one middle page:    {med(unpinned)}")


if __name__ == "__main__":
    main()
