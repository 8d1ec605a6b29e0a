"""Run All stops at the first error, always: cells sent back to back behind a failing one
are aborted however the timing falls, over many trials with fast and slow failures. A DROP
queued behind a failed CREATE never runs."""

from support.kernel import collect, execute, shell_reply

TRIALS = 30
FAST_FAILURE = "CREATE TABLE run_all_target AS SELECT * FROM no_such_table_for_run_all"
# Fails only after the server has worked on it for half a second.
SLOW_FAILURE = (
    "SELECT CASE WHEN reflect('java.lang.Thread', 'sleep', CAST(500 AS BIGINT)) IS NULL "
    "THEN 1 ELSE raise_error('a slow failure') END AS x"
)


def execute_request(kc, code):
    return kc.session.msg(
        "execute_request",
        {"code": code, "silent": False, "store_history": True, "user_expressions": {},
         "allow_stdin": False, "stop_on_error": True},
    )


def test_cells_behind_a_failed_one_never_run(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "CREATE OR REPLACE TEMP VIEW keep_me AS SELECT 1 AS a")
    assert reply["status"] == "ok", reply
    outcomes = []
    for trial in range(TRIALS):
        failing = SLOW_FAILURE if trial % 3 == 2 else FAST_FAILURE
        # A front end's Run All: the requests are made together, then sent back to back.
        batch = [execute_request(kc, failing), execute_request(kc, "DROP VIEW keep_me"),
                 execute_request(kc, f"CREATE OR REPLACE TEMP VIEW ran_{trial} AS SELECT 1 AS a")]
        for msg in batch:
            kc.shell_channel.send(msg)
        statuses = [shell_reply(kc, msg["header"]["msg_id"])["content"]["status"] for msg in batch]
        for msg in batch:
            collect(kc, msg["header"]["msg_id"])
        outcomes.append(statuses)
    assert all(s == ["error", "aborted", "aborted"] for s in outcomes), outcomes
    reply, outputs = execute(kc, "SELECT count(*) AS n FROM keep_me")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kc, "SHOW VIEWS LIKE 'ran_*'")
    assert "ran_" not in outputs[-1]["content"]["data"]["text/plain"]
