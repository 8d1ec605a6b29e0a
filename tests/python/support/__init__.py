"""Helpers the Python suites import, one of each: `env` (paths and the environment a process
is started in), `net` (free ports), `kernel` (starting the kernel and talking to it),
`console` (`jupyter console` under a pseudo-terminal), `spark` (a Spark Connect server of a
test's own, and pyspark's client), `proxy` (the TCP proxy that cuts, stalls, terminates TLS
and keeps what crossed it), `browser` (headless Chromium), `lab` and `hub` (JupyterLab and
JupyterHub launchers), `notebooks` (notebook builders) and `package` (the wheel and fresh
environments). Fixtures live in conftest.py; test files import what they use from here."""
