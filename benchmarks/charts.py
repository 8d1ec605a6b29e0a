"""Chart latency over 10 million rows beside the plain query's, on the same Spark Connect
server: the time from sending a cell to its last output, for the query shown as a table
(its first rows) and drawn as each kind of chart and as a profile, which Spark computes over
all its rows; and %profile of a 3-million-row genomes table beside one plain aggregation of it. Each is run REPEATS times after a warm-up; the median is printed.

Needs SPARK_REMOTE and the kernelspec installed (as scripts/bench and scripts/test set up);
BENCH_CHART_ROWS changes the row count. Run:
    .venv/bin/python benchmarks/charts.py
"""

import os
import statistics
import time

import jupyter_client

ROWS = int(os.environ.get("BENCH_CHART_ROWS", "10000000"))
REPEATS = int(os.environ.get("BENCH_CHART_REPEATS", "3"))
QUERY = (
    "SELECT id, concat('k', CAST(id % 40 AS STRING)) AS cat, CAST(id % 97 AS DOUBLE) AS v, "
    f"id * 0.001D AS w, DATE'2024-01-01' + CAST(id % 365 AS INT) AS day FROM range({ROWS})"
)
# A table like the genomes researchers profile: a unique text id, a text of 500 values,
# numbers and dates; %profile is timed beside one plain aggregation of it and beside the
# grouping of its unique column (what finding most frequent values of text costs at least).
GENOME_ROWS = int(os.environ.get("BENCH_GENOME_ROWS", "3000000"))
GENOMES = (
    "SELECT concat('GCF_', lpad(CAST(id AS STRING), 9, '0')) AS genome_id, "
    "concat('species_', CAST(id % 500 AS STRING)) AS species, "
    "0.3D + (id % 4001) / 10000D AS gc_content, CAST(4700000 + (id * 7919) % 600000 AS BIGINT) AS genome_size, "
    f"CAST(id % 9000 AS INT) AS contigs, DATE'2015-01-01' + CAST(id % 3000 AS INT) AS released FROM range({GENOME_ROWS})"
)
CELLS = [
    ("genomes: plain aggregate (GROUP BY species)",
     f"SELECT species, count(*), avg(gc_content), max(genome_size) FROM ({GENOMES}) GROUP BY species"),
    ("genomes: GROUP BY genome_id (unique)",
     f"SELECT genome_id, count(*) AS n FROM ({GENOMES}) GROUP BY genome_id HAVING n > 1"),
    ("genomes: %profile (6 columns)", f"%profile\n{GENOMES}"),
    ("plain query (first 1,000 rows shown)", QUERY),
    ("plain aggregate (GROUP BY, all rows)", f"SELECT cat, sum(v) FROM ({QUERY}) GROUP BY cat"),
    ("%chart bar x=cat y=v", f"%chart bar x=cat y=v\n{QUERY}"),
    ("%chart line x=day y=v agg=avg", f"%chart line x=day y=v agg=avg\n{QUERY}"),
    ("%chart area x=day y=v,w agg=max", f"%chart area x=day y=v,w agg=max\n{QUERY}"),
    ("%chart scatter x=id y=w", f"%chart scatter x=id y=w\n{QUERY}"),
    ("%chart histogram x=w bins=50", f"%chart histogram x=w bins=50\n{QUERY}"),
    ("%profile", f"%profile\n{QUERY}"),
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


def main():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="kbase-spark-sql")
    try:
        run(kc, "SELECT 1")
        print(f"{ROWS:,} rows ({GENOME_ROWS:,} for genomes); median of {REPEATS} runs after a warm-up, seconds from execute to idle")
        for name, code in CELLS:
            run(kc, code)
            times = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                run(kc, code)
                times.append(time.perf_counter() - start)
            print(f"  {name:<44} {statistics.median(times):7.2f} s")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
