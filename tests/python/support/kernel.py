"""The KBase Spark SQL kernel started with jupyter_client, code run on it, and what it
published: the replies, the iopub messages of one request, and the results among them."""

import time

import jupyter_client

from support.env import environment

KERNEL_NAME = "kbase-spark-sql"
TIMEOUT = 120


def start_kernel(stderr=None, **env):
    """Starts the kernel in `environment(**env)`; `stderr` receives the kernel's log.
    Returns (manager, client)."""
    return jupyter_client.manager.start_new_kernel(kernel_name=KERNEL_NAME, env=environment(**env), stderr=stderr)


def collect(kc, msg_id, timeout=TIMEOUT):
    """The iopub messages of one request, up to its idle status."""
    outputs = []
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                return outputs
            continue
        outputs.append(msg)


def shell_reply(kc, msg_id, timeout=TIMEOUT):
    """The shell reply to the request `msg_id`."""
    deadline = time.time() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def execute(kc, code, timeout=TIMEOUT, **kwargs):
    """Runs `code`; returns (reply content, list of iopub output messages)."""
    msg_id = kc.execute(code, **kwargs)
    reply = shell_reply(kc, msg_id, timeout)
    outputs = collect(kc, msg_id, timeout)
    return reply["content"], outputs


def kept_results(outputs):
    """The results that stay, as a notebook keeps them (after any clear_output)."""
    kept = []
    for o in outputs:
        if o["msg_type"] == "clear_output":
            kept = []
        elif o["msg_type"] in ("execute_result", "display_data"):
            kept.append(o["content"])
    return kept

