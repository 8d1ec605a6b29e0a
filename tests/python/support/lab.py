"""JupyterLab started for a browser suite: serving a folder on a free port with a token of
its own, stopped again when the suite is done."""

import contextlib
import secrets
import subprocess
import sys
import time
import urllib.request

from support.env import environment
from support.net import free_port


@contextlib.contextmanager
def jupyter_lab(root, log_path, *args, python=sys.executable, **env):
    """JupyterLab serving `root` (extra command-line `args`, environment changed by `env`,
    from the environment of `python`), its output in `log_path`; yields (base URL, token)
    once it answers."""
    port, token = free_port(), secrets.token_hex(16)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [python, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--allow-root", *args],
            env=environment(**env), stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + 90
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise RuntimeError(f"JupyterLab did not start; see {log_path}")
                    time.sleep(0.5)
            yield url, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=20)


def without_the_grid(folder):
    """The environment change that starts JupyterLab with the live grid's extension disabled
    (a config folder of its own, `folder`, beside the suite's): for suites that look at a
    result's HTML table as JupyterLab shows it without the grid, and as every stored
    notebook shows it."""
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text('{"disabledExtensions": {"kbase-spark-sql-grid": true}}')
    return {"JUPYTER_CONFIG_PATH": str(folder)}
