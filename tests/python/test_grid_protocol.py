"""The live grid's protocol (README, "The live grid's protocol") from a real Jupyter client
against the real Spark Connect server: every page, sort, filter, search and count is checked
against pyspark's own answer over the same query; a newer page cancels older ones; a page is
answered while another cell runs; hostile messages get an error and change nothing; the stop
button stops a pin and the requests waiting on it; a result of an earlier kernel session is
refused after a restart."""

import queue
import time
import uuid

import pytest

from support.kernel import TIMEOUT, execute, shell_reply, start_kernel

TARGET = "kbase.spark.grid"

# One million rows of mixed types; names with a space, a backtick and non-ASCII letters; a
# column that is NULL on every seventh row.
QUERY = """SELECT id, CAST(id % 1000 AS INT) AS `group id`,
  CASE WHEN id % 7 = 0 THEN NULL ELSE id * 2 END AS `we``ird`,
  concat('Name-', CAST(id % 9973 AS STRING)) AS `größe`,
  CAST(id % 100 AS DECIMAL(10,2)) AS amount,
  date_add(DATE'2020-01-01', CAST(id % 1000 AS INT)) AS day
FROM range(0, 1000000)"""


class Grid:
    """A front end's side of grid comms on one kernel client: opens comms and collects what
    the kernel answers on each."""

    def __init__(self, kc):
        self.kc = kc
        self.seen = {}

    def pump(self, until, timeout=TIMEOUT):
        """Reads iopub until `until()` holds."""
        deadline = time.time() + timeout
        while not until():
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                pass
            if time.time() > deadline:
                raise AssertionError("no answer from the kernel in time")
            else:
                if msg["msg_type"] in ("comm_msg", "comm_close"):
                    entry = dict(msg["content"].get("data") or {}, _msg_type=msg["msg_type"])
                    self.seen.setdefault(msg["content"]["comm_id"], []).append(entry)

    def send(self, msg_type, content):
        msg = self.kc.session.msg(msg_type, content)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def open(self, result, target=TARGET):
        comm_id = uuid.uuid4().hex
        self.send("comm_open", {"comm_id": comm_id, "target_name": target, "data": {"result": result}})
        self.pump(lambda: self.seen.get(comm_id))
        return comm_id, self.seen[comm_id][0]

    def ask(self, comm_id, data):
        """Sends a request and waits for the answer with its id."""
        self.send("comm_msg", {"comm_id": comm_id, "data": data})
        return self.answer(comm_id, data.get("id"))

    def answer(self, comm_id, request_id):
        found = lambda: [a for a in self.seen.get(comm_id, []) if a.get("id") == request_id]  # noqa: E731
        self.pump(found)
        return found()[0]

    def page(self, comm_id, rid, offset, limit, view=None):
        data = {"type": "page", "id": rid, "offset": offset, "limit": limit, "view": view or {}}
        return self.ask(comm_id, data)


def show(kc, code):
    """Runs `code`; the grid key of its result's transient, and the result's data."""
    reply, outputs = execute(kc, code)
    assert reply["status"] == "ok", reply
    results = [o for o in outputs if o["msg_type"] == "execute_result"]
    assert results, outputs
    return results[-1]["content"].get("transient", {}).get("kbase_spark_grid"), results[-1]["content"]


@pytest.fixture(scope="module")
def grid_kernel():
    km, kc = start_kernel()
    reply, _ = execute(kc, "SELECT 1")
    assert reply["status"] == "ok", reply
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)


@pytest.fixture(scope="module")
def explored(grid_kernel, spark):
    km, kc = grid_kernel
    live, content = show(kc, QUERY)
    assert live["rows_shown"] == 1000
    grid = Grid(kc)
    comm_id, ready = grid.open(live["result"])
    return grid, comm_id, ready, live, content


def ids(page):
    return [int(r[0]) for r in page["rows"]]


def test_a_result_carries_its_id_in_transient_only(explored):
    _, _, ready, live, content = explored
    assert set(content["data"]) == {"text/html", "text/plain", "application/vnd.apache.arrow.stream"}
    assert content["metadata"] == {}
    assert live["result"] == ready["result"]
    assert ready["type"] == "ready"
    assert [c["name"] for c in ready["columns"]] == ["id", "group id", "we`ird", "größe", "amount", "day"]
    kinds = {c["name"]: (c["type"], c["kind"]) for c in ready["columns"]}
    assert kinds["amount"] == ("decimal(10,2)", "number")
    assert kinds["größe"] == ("string", "text")
    assert kinds["day"] == ("date", "date")


def test_a_middle_page_is_the_rows_spark_has_there(explored, spark):
    grid, comm_id, *_ = explored
    page = grid.page(comm_id, 1, 500_000, 50)
    assert page["type"] == "page" and page["offset"] == 500_000
    expected = spark.sql(QUERY + " LIMIT 500050").tail(50)
    assert len(page["rows"]) == 50
    for got, want in zip(page["rows"], expected):
        assert int(got[0]) == want["id"]
        assert got[1] == str(want["group id"])
        assert (got[2] is None) == (want["we`ird"] is None)
        assert got[3] == want["größe"]
        assert got[4] == str(want["amount"])
        assert got[5] == str(want["day"])


def test_sorting_descending_matches_order_by_limit(explored, spark):
    grid, comm_id, *_ = explored
    view = {"sort": [{"column": "we`ird", "descending": True}]}
    page = grid.page(comm_id, 2, 0, 20, view)
    expected = spark.sql(f"SELECT * FROM ({QUERY}) ORDER BY `we``ird` DESC NULLS LAST LIMIT 20").collect()
    assert ids(page) == [r["id"] for r in expected]


def test_nulls_come_first_ascending_in_the_results_own_order(explored, spark):
    grid, comm_id, *_ = explored
    view = {"sort": [{"column": "we`ird", "descending": False}]}
    page = grid.page(comm_id, 3, 10, 10, view)
    assert all(r[2] is None for r in page["rows"])
    expected = spark.sql(
        f"SELECT id FROM ({QUERY}) ORDER BY `we``ird` ASC NULLS FIRST, id LIMIT 10 OFFSET 10"
    ).collect()
    assert ids(page) == [r["id"] for r in expected]


def test_a_filtered_count_and_a_search_match_spark(explored, spark):
    grid, comm_id, *_ = explored
    view = {
        "filters": [
            {"column": "group id", "op": "range", "low": "10", "high": "20"},
            {"column": "we`ird", "op": "not_null"},
        ]
    }
    count = grid.ask(comm_id, {"type": "count", "id": 4, "view": view})
    expected = spark.sql(f"SELECT count(*) FROM ({QUERY}) WHERE `group id` BETWEEN 10 AND 20 AND `we``ird` IS NOT NULL")
    assert count == {"type": "count", "id": 4, "total": expected.collect()[0][0], "_msg_type": "comm_msg"}
    search = grid.ask(comm_id, {"type": "count", "id": 5, "view": {"search": "NAME-997"}})
    expected = spark.sql(f"SELECT count(*) FROM ({QUERY}) WHERE lower(`größe`) LIKE '%name-997%'")
    assert search["total"] == expected.collect()[0][0] > 0
    # SQL in a value is only text: it matches nothing.
    injected = {"filters": [{"column": "größe", "op": "equals", "value": "x' OR '1'='1"}]}
    assert grid.ask(comm_id, {"type": "count", "id": 6, "view": injected})["total"] == 0


@pytest.mark.parametrize(
    "data",
    [
        {"type": "page", "id": 20, "offset": -1, "limit": 10},
        {"type": "page", "id": 21, "offset": 0, "limit": 10_000_000},
        {"type": "page", "id": 22, "offset": 99_999_999_999, "limit": 10},
        {"type": "page", "id": 23, "offset": 0, "limit": 10, "view": {"sort": [{"column": "nope"}]}},
        {"type": "count", "id": 24, "view": {"filters": [{"column": "group id", "op": "equals", "value": "1 OR 1=1"}]}},
        {"type": "count", "id": 25, "view": {"filters": [{"column": "day", "op": "range", "low": "yesterday"}]}},
        {"type": "count", "id": 26, "view": "DROP TABLE x"},
        {"type": "explode", "id": 27},
    ],
)
def test_hostile_requests_get_an_error_and_the_grid_goes_on(explored, data):
    grid, comm_id, *_ = explored
    answer = grid.ask(comm_id, data)
    assert answer["type"] == "error" and answer["message"], answer
    page = grid.page(comm_id, 100 + data["id"], 0, 3)
    assert ids(page) == [0, 1, 2]


def test_bad_shapes_unknown_targets_and_foreign_results(grid_kernel, explored):
    km, kc = grid_kernel
    grid, comm_id, *_ = explored
    grid.send("comm_msg", {"comm_id": comm_id, "data": ["not", "an", "object"]})
    grid.pump(lambda: any(a.get("type") == "error" and a.get("id") is None for a in grid.seen[comm_id]))
    other, closed = grid.open("anything", target="some.other.target")
    assert closed["_msg_type"] == "comm_close"
    _, gone = grid.open(f"{uuid.uuid4()}:1")
    assert gone["type"] == "gone" and gone["reason"] == "earlier-session"
    msg_id = grid.send("comm_info_request", {"target_name": TARGET})
    comms = shell_reply(kc, msg_id)["content"]["comms"]
    assert comm_id in comms and other not in comms
    assert comms[comm_id] == {"target_name": TARGET}
    assert km.is_alive()


def test_a_page_is_answered_while_another_cell_runs(grid_kernel, explored):
    km, kc = grid_kernel
    grid, comm_id, *_ = explored
    # One task asleep for ten minutes: one core busy, the other free for the page.
    slow = kc.execute("SELECT reflect('java.lang.Thread', 'sleep', CAST(600000 + id AS BIGINT)) FROM range(1)")
    page = grid.page(comm_id, 40, 123_456, 2)
    assert ids(page) == [123_456, 123_457]
    # The cell is still running: its reply has not come.
    with pytest.raises(queue.Empty):
        while True:
            msg = kc.get_shell_msg(timeout=0.2)
            assert msg["parent_header"].get("msg_id") != slow
    km.interrupt_kernel()
    assert shell_reply(kc, slow)["content"]["status"] == "error"


def test_a_newer_page_cancels_the_older_then_a_restart_leaves_results_behind():
    km, kc = start_kernel()
    try:
        # Pinning a trillion rows never ends: the first page waits on it.
        live, _ = show(kc, "SELECT id FROM range(0, 1000000000000)")
        grid = Grid(kc)
        comm_id, ready = grid.open(live["result"])
        assert ready["type"] == "ready" and ready["pinned"] is False
        grid.send("comm_msg", {"comm_id": comm_id, "data": {"type": "page", "id": 1, "offset": 0, "limit": 10}})
        grid.send("comm_msg", {"comm_id": comm_id, "data": {"type": "page", "id": 2, "offset": 10, "limit": 10}})
        assert grid.answer(comm_id, 1) == {"type": "cancelled", "id": 1, "_msg_type": "comm_msg"}
        grid.send("comm_msg", {"comm_id": comm_id, "data": {"type": "cancel", "id": 2}})
        assert grid.answer(comm_id, 2)["type"] == "cancelled"

        # The pin goes on; a page and a count wait on it. The stop button stops them all,
        # and the grid is told; then the result is explored from its query, never pinned.
        grid.send("comm_msg", {"comm_id": comm_id, "data": {"type": "page", "id": 3, "offset": 0, "limit": 10}})
        grid.send("comm_msg", {"comm_id": comm_id, "data": {"type": "count", "id": 4}})
        kc.kernel_info(reply=True, timeout=TIMEOUT)  # the kernel has taken both
        km.interrupt_kernel()
        for rid in (3, 4):
            stopped = grid.answer(comm_id, rid)
            assert stopped["type"] == "error", stopped
            assert stopped["message"].startswith("Stopped: the kernel was interrupted."), stopped
        assert ids(grid.page(comm_id, 5, 123, 3)) == [123, 124, 125]
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=TIMEOUT)
        grid = Grid(kc)
        _, gone = grid.open(live["result"])
        assert gone["type"] == "gone" and gone["reason"] == "earlier-session"
        assert "run the cell again" in gone["message"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
