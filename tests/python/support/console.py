"""`jupyter console` on the kernel under a pseudo-terminal, as a user types into it, and the
prompts it shows."""

import sys

import pexpect

from support.env import environment
from support.kernel import KERNEL_NAME

# Colour and cursor codes may sit between a prompt's characters.
ANSI = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def prompt(word, n):
    """A pattern for the console's prompt `word [n]` (In or Out)."""
    return word + r"\s?\[" + ANSI + str(n) + ANSI + r"\]"


def start_console(timeout=120):
    """`jupyter console` on the kernel, under a pseudo-terminal."""
    return pexpect.spawn(
        sys.executable,
        ["-m", "jupyter_console", "--kernel", KERNEL_NAME],
        env=environment(),
        encoding="utf-8",
        timeout=timeout,
        dimensions=(50, 200),
    )
