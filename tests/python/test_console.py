"""`jupyter console` under a pseudo-terminal, as a user types: magics alone run at once, and
a slow statement's progress leaves nothing behind (the console cannot update or clear a
display); each result is printed once, also those of earlier statements of the cell."""

import pexpect

from support.console import prompt, start_console

SLOW = "SELECT reflect('java.lang.Thread', 'sleep', CAST(2500 AS BIGINT)) AS slept FROM range(1);"


def test_magics_run_at_once_and_a_slow_statement_prints_its_result_once():
    console = start_console()
    try:
        console.expect(prompt("In", 1))
        # A cell of magics alone is complete: no continuation prompt, the help shows.
        console.send("%help\r")
        console.expect(prompt("Out", 1))
        console.expect(prompt("In", 2))
        assert "%export" in console.before and "...:" not in console.before
        console.send(SLOW + "\r")
        console.expect(prompt("Out", 2))
        shown = console.before
        console.expect(prompt("In", 3))
        shown += console.before
        assert shown.count("|slept|") == 1, shown
        assert "tasks" not in shown and "[#" not in shown, shown
        # A slow statement after a quick one: the first result is not printed again.
        console.send("SELECT 1 AS quick; " + SLOW + "\r")
        console.expect(prompt("Out", 3))
        shown = console.before
        console.expect(prompt("In", 4))
        shown += console.before
        assert shown.count("|quick|") == 1 and shown.count("|slept|") == 1, shown
        assert "tasks" not in shown and "[#" not in shown, shown
        console.send("exit\r")
        console.expect(pexpect.EOF)
    finally:
        console.close(force=True)
