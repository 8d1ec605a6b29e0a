"""Errors that point at the mistake: Spark's error class and message, and a caret under the
failing text on the right line of the cell, for a failing first, middle or last statement of
a multi-statement cell (offsets mapped back through statement splitting)."""

import re

import pytest

from support.kernel import execute

CELLS = [
    # (cell, failing statement number, the failing text, the cell line it is on)
    ("SELECT nope_first FROM range(1);\nSELECT 2 AS two;\nSELECT 3 AS three", 1, "nope_first", 1),
    ("SELECT 1 AS a;\nSELECT\n  id,\n  missing_middle\nFROM range(1);\nSELECT 3 AS c", 2, "missing_middle", 4),
    ("SELECT 1;\n-- a comment; with a semicolon\nSELECT 2;\n\n   SELECT 'é' AS e, 1/0 AS x", 3, "1/0", 5),
]


def strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("cell, number, fragment, line", CELLS, ids=["first", "middle", "last"])
def test_the_caret_lands_under_the_failing_text(kernel, cell, number, fragment, line):
    _, kc = kernel
    reply, outputs = execute(kc, cell)
    assert reply["status"] == "error"
    (error,) = [o["content"] for o in outputs if o["msg_type"] == "error"]
    lines = [strip_ansi(t) for t in error["traceback"]]
    marker = f"line {line}: "
    (at,) = [i for i, text in enumerate(lines) if text.startswith(marker)]
    source, caret = lines[at], lines[at + 1]
    assert source == marker + cell.splitlines()[line - 1].rstrip()
    assert caret.strip() == "^" * len(fragment)
    assert caret.index("^") == source.index(fragment)
    assert f"(in statement {number} of 3" in lines[-1]
    # Spark's own position counts within the statement, so it is not shown beside the caret.
    assert "; line 1 pos" not in error["evalue"]


def test_a_parse_error_keeps_sparks_excerpt_and_names_the_statement(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "SELECT 1;\nSELEC 2")
    assert reply["ename"] == "PARSE_SYNTAX_ERROR"
    text = "\n".join(reply["traceback"])
    assert "SELEC 2\n^^^" in text
    assert "(in statement 2 of 2, starting on line 2 of the cell)" in text


def test_the_error_class_leads_once(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "SELECT nme FROM range(1) AS t(name)")
    assert reply["ename"] == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    lines = [strip_ansi(t) for t in reply["traceback"]]
    assert lines[0] == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert "UNRESOLVED_COLUMN" not in "\n".join(lines[1:]), lines
    # The message itself is Spark's, whole.
    assert reply["evalue"].startswith("[UNRESOLVED_COLUMN.WITH_SUGGESTION] ")
