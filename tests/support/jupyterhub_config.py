# JupyterHub of the end-to-end test: a real hub on loopback, set up the way the README's
# "Deploying on JupyterHub" says, with a local-process spawner instead of Kubernetes and a
# test authenticator instead of KBase's. Everything the test varies comes from KBASE_TEST_*
# variables that tests/python/test_hub.py sets.
import json
import os

from jupyterhub.auth import Authenticator

env = os.environ
state = env["KBASE_TEST_HUB_STATE"]
singleuser = env["KBASE_TEST_SINGLEUSER"]


class KBaseTestAuthenticator(Authenticator):
    """Logs test users in with one shared password and keeps each user's KBase token in
    auth_state, which is what KBase's authenticator does after a KBase login."""

    async def authenticate(self, handler, data):
        with open(env["KBASE_TEST_HUB_USERS"]) as f:
            tokens = json.load(f)
        name = data.get("username", "")
        if data.get("password") != env["KBASE_TEST_HUB_PASSWORD"] or name not in tokens:
            return None
        return {"name": name, "auth_state": {"kbase_token": tokens[name]}}


c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

c.JupyterHub.bind_url = f"http://127.0.0.1:{env['KBASE_TEST_HUB_PORT']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["KBASE_TEST_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['KBASE_TEST_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [env["KBASE_TEST_CHP"]]
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True

c.JupyterHub.authenticator_class = KBaseTestAuthenticator
c.Authenticator.allow_all = True
c.Authenticator.enable_auth_state = True  # JUPYTERHUB_CRYPT_KEY is set by the test

# Users' servers are local processes of a fresh environment that has only what the image of
# deploy/singleuser.Dockerfile has: JupyterLab, jupyterhub-singleuser and the kernel's wheel,
# installed with `kbase-spark-sql-kernel install --sys-prefix --make-default`. Its bin/ is not
# on PATH: the kernelspec must find the kernel by itself.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = f"{state}/home/{{username}}"
c.Spawner.cmd = [f"{singleuser}/bin/jupyterhub-singleuser"]
c.Spawner.args = ["--ServerApp.allow_root=True"]  # CI runs as root
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180


# --- as in the README's "Deploying on JupyterHub", step 2, in BERDL's shape: the hub gives
# the pod its Spark Connect server's address (SPARK_CONNECT_URL, here `jupyter-{name}`, which
# the test maps to loopback for alice only), the user's name (NB_USER) and a home directory,
# where a renewed token is written to ~/.berdl_kbase_session. ---
async def pass_kbase_token(spawner):
    auth_state = await spawner.user.get_auth_state()
    name = spawner.user.name
    spawner.environment["KBASE_AUTH_TOKEN"] = auth_state["kbase_token"]
    spawner.environment["NB_USER"] = name
    spawner.environment["SPARK_CONNECT_URL"] = f"sc://jupyter-{name}:{env['KBASE_TEST_CHECKING_PORT']}"


c.Spawner.pre_spawn_hook = pass_kbase_token
c.Spawner.environment.update(
    {
        "KBASE_AUTH_URL": env["KBASE_TEST_AUTH_URL"],
        "KBASE_SPARK_CONF": '{"spark.sql.session.timeZone": "UTC"}',
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
)
