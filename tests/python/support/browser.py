"""Headless Chromium as the browser suites drive it (Debian's build, through Playwright),
and where the screenshots of what a person sees are kept."""

from pathlib import Path

from support.env import WORK

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SHOTS = Path(WORK) / "screenshots"


def launch_chromium(playwright, *extra_args):
    """Headless Chromium from a running `sync_playwright()`, with `extra_args` besides the
    suites' own."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
