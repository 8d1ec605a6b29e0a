"""The kernel as researchers install it: the wheel pip-installed into fresh environments,
found by that environment's Jupyter without a PATH entry, removed again without a trace,
and papermill's parameters reaching the SQL as exact values."""

import base64
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import nbformat
import pyarrow as pa
import pytest
from nbclient import NotebookClient

from support.env import ROOT, SYSTEM_PATH, environment
from support.kernel import KERNEL_NAME
from support.package import make_venv, wheel_path

NOTEBOOK = Path(ROOT) / "tests" / "notebooks" / "parameters.ipynb"
ARROW = "application/vnd.apache.arrow.stream"
VERSION = tomllib.loads((Path(ROOT) / "Cargo.toml").read_text())["package"]["version"]


def outside_env(home, **env):
    """The environment of a process started from a user's shell: the system's PATH only (no
    environment's bin/), a home of its own, and none of the test suite's Jupyter paths."""
    return environment(
        PATH=SYSTEM_PATH,
        HOME=str(home),
        VIRTUAL_ENV=None,
        JUPYTER_PATH=None,
        JUPYTER_DATA_DIR=None,
        JUPYTER_CONFIG_DIR=None,
        JUPYTER_RUNTIME_DIR=None,
        JUPYTER_PLATFORM_DIRS=None,
        **env,
    )


def files_under(root):
    found = set()
    for directory, _, names in os.walk(root):
        if "__pycache__" in directory:
            continue
        found.update(os.path.relpath(os.path.join(directory, n), root) for n in names)
    return found


@pytest.mark.package
def test_the_wheel_installs_without_jupyter_and_uninstalls_without_a_trace(tmp_path):
    env_dir = make_venv(str(tmp_path / "bare"))
    before = files_under(env_dir)
    pip = [f"{env_dir}/bin/python", "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", wheel_path()], check=True)

    added = files_under(env_dir) - before
    spec_dir = "share/jupyter/kernels/kbase-spark-sql"
    assert {
        "bin/kbase-spark-sql-kernel",
        f"{spec_dir}/kernel.json",
        f"{spec_dir}/logo-32x32.png",
        f"{spec_dir}/logo-64x64.png",
        f"{spec_dir}/logo-svg.svg",
        # The live grid's JupyterLab extension, prebuilt: JupyterLab finds it there.
        "share/jupyter/labextensions/kbase-spark-sql-grid/package.json",
        "share/jupyter/labextensions/kbase-spark-sql-grid/install.json",
    } <= added
    spec = json.loads(Path(env_dir, spec_dir, "kernel.json").read_text())
    assert spec["argv"] == ["python", "-m", "kbase_spark_sql_kernel", "run", "--connection-file", "{connection_file}"]
    assert spec["display_name"] == "KBase Spark SQL" and spec["language"] == "sql"
    # The logos of the wheel are the repository's one copy, which `install` writes too.
    logo = Path(ROOT, "kernelspec/data", spec_dir, "logo-64x64.png").read_bytes()
    assert Path(env_dir, spec_dir, "logo-64x64.png").read_bytes() == logo

    for command in ([f"{env_dir}/bin/kbase-spark-sql-kernel"], [f"{env_dir}/bin/python", "-m", "kbase_spark_sql_kernel"]):
        out = subprocess.run(command + ["--version"], capture_output=True, text=True, env=outside_env(tmp_path))
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == f"kbase-spark-sql-kernel {VERSION}"

    subprocess.run(pip + ["uninstall", "-y", "kbase-spark-sql-kernel"], check=True)
    assert files_under(env_dir) == before


@pytest.mark.package
def test_the_environments_jupyter_lists_and_starts_the_kernel_without_path(wheel_env, tmp_path):
    listed = subprocess.run(
        [f"{wheel_env}/bin/jupyter", "kernelspec", "list", "--json"],
        capture_output=True,
        text=True,
        env=outside_env(tmp_path),
        check=True,
    )
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert KERNEL_NAME in specs
    assert specs[KERNEL_NAME]["resource_dir"].startswith(wheel_env + "/")

    # A client in that environment starts the kernel by name and runs a query. The process
    # that answers is the environment's own binary, reached through `python -m`.
    script = r"""
import json, os, jupyter_client
km, kc = jupyter_client.manager.start_new_kernel(kernel_name="kbase-spark-sql")
exe = os.path.realpath(f"/proc/{km.provisioner.process.pid}/exe")
results = []
reply = kc.execute_interactive("SELECT 41 + 1 AS answer", timeout=120, output_hook=results.append)
text = [m["content"]["data"]["text/plain"] for m in results if m["msg_type"] == "execute_result"]
print(json.dumps({"exe": exe, "status": reply["content"]["status"], "text": text}))
kc.stop_channels()
km.shutdown_kernel()
"""
    out = subprocess.run(
        [f"{wheel_env}/bin/python", "-c", script],
        capture_output=True,
        text=True,
        env=outside_env(tmp_path, SPARK_REMOTE=os.environ["SPARK_REMOTE"]),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["exe"] == os.path.realpath(f"{wheel_env}/bin/kbase-spark-sql-kernel")
    assert result["status"] == "ok"
    assert re.search(r"\|\s*42\s*\|", result["text"][0]), result["text"]


# --- papermill parameters ---

INJECTION = "x'; DROP TABLE t; --"
WINDOWS_PATH = "C:\\new\\table\\"


def papermill(wheel_env, tmp_path, *args):
    out_path = tmp_path / "out.ipynb"
    run = subprocess.run(
        [f"{wheel_env}/bin/papermill", str(NOTEBOOK), str(out_path), "--log-level", "WARNING", *args],
        capture_output=True,
        text=True,
        env=outside_env(tmp_path, SPARK_REMOTE=os.environ["SPARK_REMOTE"]),
        timeout=600,
    )
    return run, out_path


def last_result(nb):
    """The Arrow data of the notebook's last cell's result, as a dict of Python values."""
    outputs = [o for o in nb.cells[-1].outputs if o.get("output_type") == "execute_result"]
    assert outputs, nb.cells[-1].outputs
    table = pa.ipc.open_stream(base64.b64decode(outputs[0]["data"][ARROW])).read_all()
    types = {f.name: f.metadata[b"spark_type"].decode() for f in table.schema}
    return {k: v[0] for k, v in table.to_pydict().items()}, types


@pytest.mark.package
def test_papermill_parameters_arrive_as_exact_typed_values(wheel_env, tmp_path):
    run, out_path = papermill(
        wheel_env,
        tmp_path,
        *("-p", "min_reads", "500"),
        *("-p", "site", INJECTION),
        *("-p", "ratio", "0.1"),
        *("-p", "flag", "True"),
        *("-p", "note", "None"),
        *("-p", "path", WINDOWS_PATH),
        *("-y", 'ids: [3, 5, 8]\ntext: "line one\\nline\ttwo — ü 🙂"\nbig: 123456789012345678901234567890'),
    )
    assert run.returncode == 0, run.stderr
    nb = nbformat.read(out_path, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "DECLARE OR REPLACE VARIABLE site STRING DEFAULT 'x\\'; DROP TABLE t; --';" in injected[0].source
    assert all(o.get("output_type") != "error" for c in nb.cells for o in c.get("outputs", []))

    values, types = last_result(nb)
    assert values["min_reads"] == 500 and types["min_reads"] == "bigint"
    assert values["site"] == INJECTION and types["site"] == "string"
    assert values["ratio"] == 0.1 and types["ratio"] == "double"
    assert values["flag"] is True and types["flag"] == "boolean"
    assert values["note"] is None
    assert values["path"] == WINDOWS_PATH
    assert values["ids"] == [3, 5, 8] and types["ids"] == "array<bigint>"
    assert values["text"] == "line one\nline\ttwo — ü 🙂"
    assert str(values["big"]) == "123456789012345678901234567890" and types["big"] == "decimal(38,0)"
    # The view that the injected string names is still there: it was data, not SQL.
    assert values["t_rows"] == 1


def test_the_parameters_cell_alone_gives_the_defaults():
    """Opened interactively (here by nbclient, as JupyterLab runs it), the notebook's own
    parameters cell declares the defaults."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=180).execute()
    values, types = last_result(nb)
    assert values["min_reads"] == 100 and types["min_reads"] == "bigint"
    assert values["site"] == "Default Creek"
    assert values["ids"] == [1, 2] and values["note"] == "n/a"


@pytest.mark.package
def test_papermill_explains_parameters_it_cannot_translate(wheel_env, tmp_path):
    run, out_path = papermill(wheel_env, tmp_path, "-y", "config: {a: 1}")
    assert run.returncode != 0
    assert "papermill parameter 'config'" in run.stderr and "supported types are" in run.stderr
    assert not out_path.exists()

    run, _ = papermill(wheel_env, tmp_path, "-p", "bad-name", "1")
    assert run.returncode != 0
    assert "papermill parameter 'bad-name'" in run.stderr and "SQL identifier" in run.stderr


@pytest.mark.package
def test_papermill_reads_the_parameters_cell(wheel_env, tmp_path):
    run = subprocess.run(
        [f"{wheel_env}/bin/papermill", "--help-notebook", str(NOTEBOOK)],
        capture_output=True,
        text=True,
        env=outside_env(tmp_path),
    )
    assert run.returncode == 0, run.stderr
    assert re.search(r"min_reads: BIGINT \(default 100\)\s+smallest read count", run.stdout), run.stdout
    assert re.search(r"site: STRING \(default 'Default Creek'\)", run.stdout), run.stdout
