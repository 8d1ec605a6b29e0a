"""KBase Spark SQL side by side with the alternative, ipykernel running pyspark's Spark
Connect client, and with the floor: pyspark's client in this process, with no Jupyter at
all (`spark.sql(q).limit(n).toArrow()`). All three run against the same Spark Connect
server, in one run, so their ratios compare like with like on a noisy machine.

Measured:
- launch to the first kernel_info reply, and launch to the first result (`SELECT 1`,
  including opening the Spark session), medians of 7, with a raw client of default
  settings that sends at once (no `wait_for_ready`, which waits for 0.2 s of silence);
- the median time of a cell (execute_request to execute_reply) for `SELECT 1`, a 1,000 x 10
  result, `range(1e8)` shown at 1,000 rows, and how that grows with rows shown (10,000 and
  100,000) and columns (100), and commands (SHOW, EXPLAIN, SET);
- where one statement's time goes, from the kernel's own trace at debug level (Spark round
  trips, first batch, Arrow decode, render, publish) and what is left for the kernel itself;
- the kernel's peak resident memory after the `range(1e8)` peek and after 1,000 cells.

`BENCH_BEFORE=/path/to/kernel-binary` adds a column for another build of the kernel (to
compare before and after a change). Run through scripts/bench, which starts the server.
"""

import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jupyter_client
import psutil
import zmq

REMOTE = os.environ["SPARK_REMOTE"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
LAUNCHES = int(os.environ.get("BENCH_LAUNCHES", "7"))
CELLS_FOR_MEMORY = int(os.environ.get("BENCH_CELLS", "1000"))
TRACE = "kbase_spark_sql_kernel=info,kbase_spark_sql_kernel::timing=debug,warn"


def columns(n):
    """n columns of mixed types over `id`."""
    kinds = [
        "id",
        "id * 2",
        "concat('row-', id)",
        "id / 7",
        "id % 2 = 0",
        "date_add(DATE'2024-01-01', CAST(id % 365 AS INT))",
        "CAST(id AS DECIMAL(12, 2)) / 3",
        "timestamp_seconds(id)",
        "CASE WHEN id % 5 = 0 THEN NULL ELSE id END",
        "repeat('x', CAST(id % 20 AS INT))",
    ]
    return ", ".join(f"{kinds[i % len(kinds)]} AS c{i}" for i in range(n))


# (label, SQL, rows shown, rounds)
WORKLOADS = [
    ("SELECT 1", "SELECT 1", 1, 2 * ROUNDS),
    ("1,000 x 10 result", f"SELECT {columns(10)} FROM range(100000)", 1000, ROUNDS),
    ("range(1e8) shown at 1,000 rows", "SELECT id FROM range(100000000)", 1000, ROUNDS),
    ("10,000 x 10 result", f"SELECT {columns(10)} FROM range(1000000)", 10_000, ROUNDS),
    ("100,000 x 10 result", f"SELECT {columns(10)} FROM range(1000000)", 100_000, ROUNDS),
    ("1,000 x 100 result", f"SELECT {columns(100)} FROM range(100000)", 1000, ROUNDS),
    ("SHOW DATABASES (a command)", "SHOW DATABASES", 1000, ROUNDS),
    ("EXPLAIN (a command)", f"EXPLAIN SELECT {columns(10)} FROM range(1000)", 1000, ROUNDS),
    ("SET (a command)", "SET spark.sql.shuffle.partitions", 1000, ROUNDS),
]


def ours_cell(sql, rows):
    return sql if rows <= 1000 else f"%limit {rows}\n{sql}"


def pyspark_cell(sql, rows):
    return f"spark.sql({sql!r}).limit({rows}).toPandas()"


PYSPARK_SETUP = f"from pyspark.sql import SparkSession\nspark = SparkSession.builder.remote({REMOTE!r}).getOrCreate()"


def context():
    """A ZeroMQ context with jupyter_client's default settings (what JupyterLab's server
    uses): a socket that connects before the kernel has bound its own waits ZeroMQ's 100 ms
    reconnect interval, as a real client does, and launch figures include that wait."""
    return zmq.Context()


def shell_reply(kc, msg_id, timeout=300):
    while True:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def run(kc, code):
    """Runs code; seconds from the request to the reply, failing on an error."""
    start = time.perf_counter()
    reply = shell_reply(kc, kc.execute(code, store_history=False))
    elapsed = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code[:80]!r} failed: {reply['content'].get('evalue')}")
    return elapsed


class Kernel:
    """A kernel launched with a raw client; its stderr goes to a file (the timing trace)."""

    def __init__(self, name, first_code=None, trace=False):
        env = dict(os.environ)
        if trace:
            env["RUST_LOG"] = TRACE
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.context = context()
        self.km = jupyter_client.KernelManager(kernel_name=name, context=self.context)
        start = time.perf_counter()
        self.km.start_kernel(env=env, stderr=self.log)
        self.kc = self.km.client()
        self.kc.start_channels()
        if first_code is None:
            shell_reply(self.kc, self.kc.kernel_info(), timeout=120)
        else:
            run(self.kc, first_code)
        self.launch = time.perf_counter() - start
        self.read = 0

    def pid(self):
        return self.km.provisioner.process.pid

    def peak_mib(self):
        """Peak resident memory of the kernel process (VmHWM), with its children's now."""
        proc = psutil.Process(self.pid())
        peak = 0
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
        peak += sum(c.memory_info().rss for c in proc.children(recursive=True))
        return peak / 2**20

    def new_trace(self):
        """The trace lines written since the last call."""
        self.log.flush()
        text = Path(self.log.name).read_text()
        new, self.read = text[self.read :], len(text)
        return new.splitlines()

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self.context.destroy(linger=0)
        self.log.close()
        os.unlink(self.log.name)


def median_ms(samples):
    return statistics.median(samples) * 1000


FIELD = re.compile(r"(\w+)=(\S+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def breakdown(lines):
    """Medians of the parts of the statements traced in `lines`."""
    parts = {}
    for line in lines:
        line = ANSI.sub("", line)
        if "kbase_spark_sql_kernel::timing" not in line:
            continue
        for key, value in FIELD.findall(line):
            if key.endswith("_ms") and value not in ("None",):
                value = value.removeprefix("Some(").removesuffix(")")
                parts.setdefault(key, []).append(float(value))
    return {k: statistics.median(v) for k, v in parts.items()}


def launches(name, first_code):
    """Medians of seconds from launch to the first kernel_info reply, and to the first result."""
    info, first = [], []
    for _ in range(LAUNCHES):
        k = Kernel(name)
        info.append(k.launch)
        k.stop()
        k = Kernel(name, first_code=first_code)
        first.append(k.launch)
        k.stop()
    return statistics.median(info), statistics.median(first)


def before_kernelspec(binary):
    """A kernelspec for another build of the kernel, in a temporary Jupyter path."""
    root = Path(tempfile.mkdtemp()) / "kernels" / "kbase-spark-sql-before"
    root.mkdir(parents=True)
    spec = {
        "argv": [binary, "run", "--connection-file", "{connection_file}"],
        "display_name": "KBase Spark SQL (before)",
        "language": "sql",
        "interrupt_mode": "message",
    }
    (root / "kernel.json").write_text(json.dumps(spec))
    os.environ["JUPYTER_PATH"] = f"{root.parent.parent}:{os.environ.get('JUPYTER_PATH', '')}"
    return "kbase-spark-sql-before"


def memory(name, cell, first_code=None):
    """Peak resident memory of a fresh kernel after a `range(1e8)` peek, after many more
    cells, and after a 100,000-row result."""
    figures = {}
    k = Kernel(name, first_code=first_code)
    try:
        run(k.kc, cell("SELECT 1", 1))
        run(k.kc, cell("SELECT id FROM range(100000000)", 1000))
        figures["peak memory after the range(1e8) peek (MiB)"] = k.peak_mib()
        for _ in range(CELLS_FOR_MEMORY):
            run(k.kc, cell("SELECT 1", 1))
        figures[f"peak memory after {CELLS_FOR_MEMORY:,} more cells (MiB)"] = k.peak_mib()
        _, sql, rows, _ = next(w for w in WORKLOADS if w[0].startswith("100,000"))
        run(k.kc, cell(sql, rows))
        figures["peak memory after a 100,000 x 10 result (MiB)"] = k.peak_mib()
    finally:
        k.stop()
    return figures


class InProcess:
    """pyspark's client in this process: the floor, with no Jupyter at all."""

    def __init__(self):
        from pyspark.sql import SparkSession

        self.spark = SparkSession.builder.remote(REMOTE).create()

    def time(self, sql, rows):
        start = time.perf_counter()
        self.spark.sql(sql).limit(rows).toArrow()
        return time.perf_counter() - start

    def stop(self):
        self.spark.stop()


def cells(contenders, traced):
    """Medians of each workload for each contender, and the trace of each kernel in
    `traced` (by name). The contenders take turns within every round, so a busy moment of
    the server or the machine falls on all of them alike."""
    figures = {name: {} for name in contenders}
    traces = {name: {} for name in traced}
    for label, sql, rows, rounds in WORKLOADS:
        times = {name: [] for name in contenders}
        for timer in contenders.values():
            timer(sql, rows)  # warm: the first run of a statement plans it
        for k in traced.values():
            k.new_trace()
        for _ in range(rounds):
            for name, timer in contenders.items():
                times[name].append(timer(sql, rows))
        for name in contenders:
            figures[name][f"{label} (ms)"] = median_ms(times[name])
        for name, k in traced.items():
            traces[name][label] = breakdown(k.new_trace())
    return figures, traces


def table(title, columns_, rows):
    width = max(len(r) for r in rows)
    widths = [max(len(c), 10) for c in columns_]
    print(f"\n{title}")
    print(f"{'':{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(columns_, widths)))
    for key, values in rows.items():
        cells = []
        for v, w in zip(values, widths):
            cells.append(f"{'':>{w}}" if v is None else f"{v:>{w}.2f}")
        print(f"{key:{width}}  " + "  ".join(cells))


def warm_up_server():
    """The first queries of a fresh server are slow (JIT, planning caches); pay that first
    so no one is charged for it."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.remote(REMOTE).create()
    for _ in range(3):
        for _, sql, rows, _ in WORKLOADS:
            spark.sql(sql).limit(rows).toArrow()
    spark.stop()


def main():
    warm_up_server()
    ours = [("KBase Spark SQL", "kbase-spark-sql")]
    if os.environ.get("BENCH_BEFORE"):
        ours.insert(0, ("before", before_kernelspec(os.environ["BENCH_BEFORE"])))
    names = [label for label, _ in ours] + ["ipykernel+pyspark", "pyspark floor"]

    figures = {name: {} for name in names}
    for label, spec in ours:
        info, first = launches(spec, "SELECT 1")
        figures[label]["launch to kernel_info reply (ms)"] = info * 1000
        figures[label]["launch to first result (ms)"] = first * 1000
    info, first = launches("python3", PYSPARK_SETUP + "\n" + pyspark_cell("SELECT 1", 1))
    figures["ipykernel+pyspark"]["launch to kernel_info reply (ms)"] = info * 1000
    figures["ipykernel+pyspark"]["launch to first result (ms)"] = first * 1000

    started = []
    try:
        contenders, traced = {}, {}
        for label, spec in ours:
            k = Kernel(spec, trace=True)
            started.append(k)
            traced[label] = k
            run(k.kc, "SELECT 1")
            contenders[label] = lambda sql, rows, k=k: run(k.kc, ours_cell(sql, rows))
        ipy = Kernel("python3", first_code=PYSPARK_SETUP)
        started.append(ipy)
        contenders["ipykernel+pyspark"] = lambda sql, rows: run(ipy.kc, pyspark_cell(sql, rows))
        floor = InProcess()
        contenders["pyspark floor"] = floor.time
        timed, traces = cells(contenders, traced)
        floor.stop()
    finally:
        for k in started:
            k.stop()
    for name in names:
        figures[name].update(timed[name])
    for label, spec in ours:
        figures[label].update(memory(spec, ours_cell))
    figures["ipykernel+pyspark"].update(memory("python3", pyspark_cell, first_code=PYSPARK_SETUP))

    mine = figures[ours[-1][0]]
    rows = {}
    for key in mine:
        ipy, low = figures["ipykernel+pyspark"].get(key), figures["pyspark floor"].get(key)
        rows[key] = [figures[n].get(key) for n in names] + [
            mine[key] / ipy if ipy else None,
            mine[key] / low if low else None,
        ]
    table(
        f"Cells, launch and memory (medians; contenders take turns; same server {REMOTE}):",
        names + ["/ ipykernel", "/ floor"],
        rows,
    )
    for label, t in traces.items():
        parts = sorted({p for w in t.values() for p in w})
        if parts:
            table(
                f"Where a statement's time goes in '{label}' (medians, ms, from the kernel's trace):",
                parts,
                {w: [v.get(p) for p in parts] for w, v in t.items()},
            )
            print(f"\nWhere the rest of a cell's time goes in '{label}' (medians, ms):")
            print(f"  {'':40} {'kernel':>8} {'Jupyter':>8}")
            for w, v in t.items():
                if "cell_ms" in v:
                    spark = v.get("command_ms", 0) + v.get("fetch_ms", 0)
                    own, messaging = v["cell_ms"] - spark, figures[label][f"{w} (ms)"] - v["cell_ms"]
                    print(f"  {w:40} {own:8.2f} {messaging:8.2f}")
    print("\n(kernel: from the execute_request to its reply, less the Spark calls; Jupyter: the")
    print(" rest of the client's time, the messages' transport and the client's own decoding)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
