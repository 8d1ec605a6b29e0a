"""Completion latency on a catalog of 200 tables x 50 columns: the time from a
complete_request to its reply, with the kernel's catalog cache cold (just emptied by a
statement that changes the catalog) and warm (the same completion asked again).
Prints figures; asserts none. Run through scripts/bench, which starts the server; the
database it creates (`bench_completion`) is kept for the next run.
"""

import os
import statistics
import time

import jupyter_client

KERNEL = os.environ.get("BENCH_KERNEL", "kbase-spark-sql")
DB = "bench_completion"
TABLES, COLUMNS = 200, 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
CASES = [
    ("tables of a database", f"SELECT * FROM {DB}.|"),
    ("tables by prefix", f"SELECT * FROM {DB}.t01|"),
    ("columns of two joined tables", f"SELECT c1| FROM {DB}.t017 a JOIN {DB}.t123 b ON a.c00 = b.c00"),
    ("columns by alias", f"SELECT a.c4| FROM {DB}.t017 a"),
    ("functions with their arguments", "SELECT substr|"),
]


def reply(kc, msg_id):
    while True:
        msg = kc.get_shell_msg(timeout=120)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def run(kc, code):
    content = reply(kc, kc.execute(code))
    if content["status"] != "ok":
        raise RuntimeError(f"{code[:60]!r} failed: {content.get('evalue')}")


def complete(kc, code):
    """Seconds for one completion, and its number of matches."""
    cursor = code.index("|")
    start = time.perf_counter()
    content = reply(kc, kc.complete(code.replace("|", ""), cursor))
    return time.perf_counter() - start, len(content["matches"])


def ms(values):
    return f"{statistics.median(values) * 1000:7.1f} ms (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"


def first_tab(kc):
    """The first Tab after a CREATE: at once (the catalog's look-ups, started in the
    background when the cell ended, still on their way) and after a second's pause (the
    background warm-up done), medians of 7, each time with a new table to find."""
    at_once, paused = [], []
    for i in range(14):
        run(kc, f"CREATE OR REPLACE TEMP VIEW first_tab_{i} AS SELECT 1 AS a")
        if i % 2:
            time.sleep(1)
        seconds, _ = complete(kc, f"SELECT * FROM first_tab_{i}|")
        (paused if i % 2 else at_once).append(seconds)
    print(f"  first Tab after a CREATE, at once          {ms(at_once)}")
    print(f"  first Tab after a CREATE, a second later   {ms(paused)}")


def main():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name=KERNEL)
    try:
        run(kc, "SELECT 1")
        run(kc, f"CREATE DATABASE IF NOT EXISTS {DB}")
        columns = ", ".join(f"c{i:02d} {'BIGINT' if i % 3 == 0 else 'STRING' if i % 3 == 1 else 'DOUBLE'}" for i in range(COLUMNS))
        # One cell of 200 statements; IF NOT EXISTS makes a second run cheap.
        run(kc, ";\n".join(f"CREATE TABLE IF NOT EXISTS {DB}.t{i:03d} ({columns}) USING parquet" for i in range(TABLES)))
        first_tab(kc)
        print(f"completion on {TABLES} tables x {COLUMNS} columns, median of {ROUNDS} (cold: 7)")
        for name, code in CASES:
            complete(kc, code)  # the server's first time for this kind of look-up
            cold = []
            for _ in range(7):
                run(kc, "USE default")  # changes the catalog, so the cache is emptied
                cold.append(complete(kc, code)[0])
            warm, found = [], 0
            for _ in range(ROUNDS):
                seconds, found = complete(kc, code)
                warm.append(seconds)
            print(f"  {name:32s} {found:4d} matches   cold {ms(cold)}   warm {ms(warm)}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
