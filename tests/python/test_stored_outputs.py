"""What an executed notebook stores does not depend on timing: the same notebook run by
nbclient with statements made slow on purpose (long enough for the progress display to
show) stores exactly the outputs of a run where they are quick."""

import copy

import nbformat
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
    # The slow run did show progress, and took it away again. nbclient cannot take input,
    # so the kernel sends it no updates in place (a runner may append them): each change of
    # the progress is the cell's outputs again after a clear. (The quick run may have shown
    # some too, on a busy machine: that is the point.)
    assert "update_display_data" not in slow_seen and slow_seen.count("clear_output") > 6
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


# A 5,000-row `%limit` cell of a genomes table, as a researcher ran it: it stored its HTML,
# its text table and its Arrow data whole, 1,176,513 bytes of data, the text table 395,407 of them.
GENOMES_5000 = (
    "%limit 5000\nSELECT concat('GCF_', lpad(CAST(id AS STRING), 9, '0')) AS genome_id, "
    "concat('species_', CAST(id % 500 AS STRING)) AS species, "
    "0.3D + (id % 4001) / 10000D AS gc_content, CAST(4700000 + (id * 7919) % 600000 AS BIGINT) AS genome_size, "
    "CAST(id % 9000 AS INT) AS contigs, DATE'2015-01-01' + CAST(id % 3000 AS INT) AS released "
    "FROM range(3000000)"
)
STORED_BEFORE = 1_176_513


def test_a_long_result_stores_every_row_shown_once_in_html_and_arrow_and_a_readable_text():
    import base64

    import pyarrow as pa

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(GENOMES_5000)]
    NotebookClient(nb, timeout=600, kernel_name=KERNEL_NAME).execute()
    (result,) = [o for o in nb.cells[0].outputs if o["output_type"] == "execute_result"]
    data = result["data"]
    arrow = pa.ipc.open_stream(base64.b64decode(data["application/vnd.apache.arrow.stream"])).read_all()
    assert arrow.num_rows == 5000
    assert data["text/html"].count("<tr>") == 5001
    text = data["text/plain"]
    assert sum(1 for line in text.splitlines() if line.startswith("|")) == 1001
    assert "first 1,000 of the 5,000 rows shown as text; the HTML table and the Arrow data hold all 5,000" in text
    assert text.endswith("first 5,000 rows shown — more available: %limit N shows more, %export PATH writes them all")
    stored = sum(len(v.encode()) for v in data.values())
    assert stored < STORED_BEFORE * 3 // 4, stored
