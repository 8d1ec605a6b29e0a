"""Cell magics as users type them, on the real kernel and server: %help, %%sql, %limit,
unknown magics and wrong arguments, carets that still count lines from the top of the cell,
and Tab completion of magic names and options."""

import base64
import re

import pyarrow as pa

from support.kernel import execute, kept_results

ARROW = "application/vnd.apache.arrow.stream"


def rows(content):
    return pa.ipc.open_stream(base64.b64decode(content["data"][ARROW])).read_all().num_rows


def test_help_lists_every_magic_and_setting_with_an_example(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, "%help")
    assert reply["status"] == "ok"
    (help_,) = kept_results(outputs)
    text = help_["data"]["text/plain"]
    for usage in ["%help", "%limit N", "%export PATH [--overwrite]", "%chart KIND x=COL", "%profile", "%analyze", "%%sql",
                  "KBASE_SPARK_MAX_ROWS"]:
        assert usage in text
    assert text.count("e.g. ") >= 8


def test_limit_shows_that_many_rows_for_this_cell_only(kernel):
    _, kc = kernel
    _, outputs = execute(kc, "%%sql\n%limit 5\nSELECT id FROM range(10);\nSELECT id FROM range(3)")
    first, second = kept_results(outputs)
    assert rows(first) == 5 and rows(second) == 3
    notice = "first 5 rows shown — more available: %limit N shows more, %export PATH writes them all"
    assert notice in first["data"]["text/plain"] and notice in first["data"]["text/html"]
    assert "more available" not in second["data"]["text/plain"]
    _, outputs = execute(kc, "%limit 1500\nSELECT id FROM range(2000)")
    assert rows(kept_results(outputs)[0]) == 1500
    # The next cell is back to the kernel's limit.
    _, outputs = execute(kc, "SELECT id FROM range(2000)")
    assert rows(kept_results(outputs)[0]) == 1000


def test_an_unknown_magic_lists_the_known_ones(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, "%lmit 5\nSELECT 1")
    assert reply["status"] == "error" and reply["ename"] == "UnknownMagic"
    assert reply["evalue"] == (
        "there is no magic %lmit; the magics are %help, %limit, %export, %chart, %profile, %analyze, %%sql. %help says more."
    )
    assert not kept_results(outputs)


def test_wrong_arguments_say_what_is_wrong(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "%limit many\nSELECT 1")
    assert reply["ename"] == "MagicUsage"
    assert reply["evalue"] == "%limit: N must be a whole number from 1 to 1000000, not many. Usage: %limit N"


def test_carets_count_lines_from_the_top_of_the_cell(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "%%sql\n%limit 3\nSELECT 1;\nSELECT missing_col FROM range(1)")
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", t) for t in reply["traceback"]]
    assert "line 4: SELECT missing_col FROM range(1)" in lines
    assert "(in statement 2 of 2, starting on line 4 of the cell)" in lines[-1]


def test_tab_completes_magic_names_and_export_options(kernel):
    _, kc = kernel
    msg_id = kc.complete("%li", 3)
    reply = kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["matches"] == ["%limit"]
    assert (reply["content"]["cursor_start"], reply["content"]["cursor_end"]) == (0, 3)
    code = "%export out.csv --ov"
    kc.complete(code, len(code))
    assert kc.get_shell_msg(timeout=30)["content"]["matches"] == ["--overwrite"]
