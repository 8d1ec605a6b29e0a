"""What an executed notebook stores does not depend on timing: the same notebook run by
nbclient with statements made slow on purpose (long enough for the progress display to
show) stores exactly the outputs of a run where they are quick."""

import copy

from nbclient import NotebookClient

from support.kernel import KERNEL_NAME
from support.notebooks import code_notebook


def pause(ms):
    """A statement that runs as a Spark job and sleeps `ms` in its one task."""
    return f"SELECT reflect('java.lang.Thread', 'sleep', CAST({ms} AS BIGINT)) AS slept FROM range(1)"


def notebook(ms):
    cells = [
        # Results before and after a slow statement of the same cell.
        f"SELECT 1 AS a;\n{pause(ms)};\nSELECT 'two' AS b",
        # The slow statement is the cell's result.
        f"CREATE OR REPLACE TEMP VIEW stored_v AS SELECT 2 AS c;\n{pause(ms)}",
        # A slow statement, then a failure.
        f"SELECT 3 AS d;\n{pause(ms)};\nSELECT * FROM table_missing_for_stored_outputs",
        "SELECT * FROM stored_v",
        # A slow statement first: its progress is a display of its own, cleared away.
        pause(ms),
    ]
    return code_notebook(cells)


class RecordingClient(NotebookClient):
    """An nbclient that also notes the iopub message types it saw."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def process_message(self, msg, cell, cell_index):
        self.seen.append(msg["msg_type"])
        return super().process_message(msg, cell, cell_index)


def run(ms):
    nb = notebook(ms)
    client = RecordingClient(nb, kernel_name=KERNEL_NAME, allow_errors=True, timeout=180)
    client.execute()
    return nb, client.seen


def stored(nb):
    cells = copy.deepcopy([c.outputs for c in nb.cells])
    return [[dict(o) for o in outputs] for outputs in cells]


def test_a_slow_run_stores_the_same_outputs_as_a_fast_one():
    fast, fast_seen = run(0)
    slow, slow_seen = run(3000)
    # The slow run did show progress, and took it away again: in place where it rode on an
    # earlier result, by a clear where it was the cell's first output. (The quick run may
    # have shown some too, on a busy machine: that is the point.)
    assert "clear_output" in slow_seen and slow_seen.count("update_display_data") > 6
    assert stored(slow) == stored(fast)
    kinds = [[o["output_type"] for o in outputs] for outputs in stored(slow)]
    assert kinds == [
        ["display_data", "display_data", "execute_result"],
        ["display_data", "execute_result"],
        ["display_data", "display_data", "error"],
        ["execute_result"],
        ["execute_result"],
    ]
    # Nothing in a stored output tells how long a statement took.
    for outputs in stored(slow):
        for o in outputs:
            for text in o.get("data", {}).values():
                assert " s<" not in str(text) and "after" not in str(text)
