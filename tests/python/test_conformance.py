"""The community conformance suite, jupyter_kernel_test, run against the KBase Spark SQL
kernel and a real Spark Connect server. Every message is validated against the protocol
schema. The kernel has no stdout/stderr streams, pager or clear_output (a SQL cell prints
nothing), so the samples for those stay empty; everything it does claim has samples."""

import jupyter_kernel_test

from support.kernel import KERNEL_NAME, execute

VIEW = "conformance_view_xyz"


class KBaseSparkSqlConformance(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "sql"
    file_extension = ".sql"

    code_execute_result = [
        {"code": "SELECT 1 + 1 AS two", "result": "+---+\n|two|\n+---+\n|  2|\n+---+"},
        {"code": "SELECT 'x' AS s, 2.5 AS d", "result": "+---+---+\n|  s|  d|\n+---+---+\n|  x|2.5|\n+---+---+"},
    ]
    code_display_data = [
        {"code": "SELECT 1 AS a; SELECT 2 AS b", "mime": "text/html"},
        {"code": "SELECT 1 AS a; SELECT 2 AS b", "mime": "application/vnd.apache.arrow.stream"},
    ]
    code_generate_error = "SELECT * FROM no_such_table_anywhere"

    # As in spark-sql and psql, a console runs the code at a final `;` or an empty line.
    complete_code_samples = ["SELECT 1;", "SELECT ';' AS a;", "-- only a comment", "SELECT (1)\n", "exit", "SELECT r'C:\\';"]
    incomplete_code_samples = ["SELECT 1", "SELECT 'abc;", "SELECT (1 +;", "SELECT /* open comment;", "SELECT `col;"]
    invalid_code_samples = ["SELECT 1)"]

    completion_samples = [
        {"text": "SELEC", "matches": {"SELECT"}},
        {"text": "selec", "matches": {"select"}},
        {"text": f"SELECT * FROM {VIEW[:-3]}", "matches": {VIEW}},
    ]
    code_inspect_sample = "upper"

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "SELECT 1 + 1*"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Warm the Spark session (the suite's own timeout is 15 s) and make a view to complete.
        reply, _ = execute(cls.kc, f"CREATE OR REPLACE TEMP VIEW {VIEW} AS SELECT 1 AS a")
        assert reply["status"] == "ok", reply
