"""%profile of a 3-million-row genomes table beside plain aggregations of the same rows, on
the same Spark Connect server: the time from sending a cell to its last output, for a
GROUP BY of its 500-value text column (one plain aggregation), a GROUP BY of its unique id
(what finding the most frequent values of a text column costs at least), and %profile
(three passes: compiled figures, sketches, one grouping for the most frequent values and
the histograms). Each is run BENCH_PROFILE_REPEATS times after a warm-up; the median is
printed. Prints figures; asserts none.

Needs SPARK_REMOTE and the kernelspec installed (as scripts/bench sets up);
BENCH_GENOME_ROWS changes the row count. Run:
    .venv/bin/python benchmarks/column_profile.py
"""

import os
import statistics
import time

import jupyter_client

ROWS = int(os.environ.get("BENCH_GENOME_ROWS", "3000000"))
REPEATS = int(os.environ.get("BENCH_PROFILE_REPEATS", "3"))
GENOMES = (
    "SELECT concat('GCF_', lpad(CAST(id AS STRING), 9, '0')) AS genome_id, "
    "concat('species_', CAST(id % 500 AS STRING)) AS species, "
    "0.3D + (id % 4001) / 10000D AS gc_content, CAST(4700000 + (id * 7919) % 600000 AS BIGINT) AS genome_size, "
    f"CAST(id % 9000 AS INT) AS contigs, DATE'2015-01-01' + CAST(id % 3000 AS INT) AS released FROM range({ROWS})"
)
CELLS = [
    ("plain aggregate (GROUP BY species, 500 groups)",
     f"SELECT species, count(*), avg(gc_content), max(genome_size) FROM ({GENOMES}) GROUP BY species"),
    ("GROUP BY genome_id (unique)",
     f"SELECT genome_id, count(*) AS n FROM ({GENOMES}) GROUP BY genome_id HAVING n > 1"),
    ("%profile (6 columns)", f"%profile\n{GENOMES}"),
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
        print(f"genomes, {ROWS:,} rows x 6 columns; median of {REPEATS} runs after a warm-up, seconds from execute to idle")
        print(f"  (load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
        for name, code in CELLS:
            run(kc, code)
            times = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                run(kc, code)
                times.append(time.perf_counter() - start)
            print(f"  {name:<48} {statistics.median(times):7.2f} s  (each: {', '.join(f'{t:.1f}' for t in times)})")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
