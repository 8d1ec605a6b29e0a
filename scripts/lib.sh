# Shared steps of the run and test scripts: the Python environment, the kernel binary and a
# local Spark Connect server. Everything lives under the repository (.venv, .work) and what
# is started is stopped again by `cleanup`, on success or failure.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
WORK="$ROOT/.work"
PY="$VENV/bin/python"
mkdir -p "$WORK"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Java 17 runs the Spark Connect server (and compiles the tests' interceptor); install it
# when a fresh machine lacks it.
ensure_java() {
  if command -v javac >/dev/null 2>&1 && java -version 2>&1 | grep -q 'version "17'; then return; fi
  log "installing Java 17"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
  else
    die "Java 17 is needed to run the Spark Connect server: install openjdk-17"
  fi
}

# The venv with the pinned packages; reinstalled only when the requirements change.
ensure_venv() {
  local stamp="$VENV/.requirements.sha"
  local want
  want="$(sha256sum "$ROOT/tests/requirements.txt" | cut -d' ' -f1)"
  if [ -x "$PY" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
  log "setting up the Python environment in .venv (pyspark, Jupyter, test tools)"
  command -v python3 >/dev/null || die "python3 is needed"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$ROOT/tests/requirements.txt"
  echo "$want" > "$stamp"
}

# A JupyterLab of its own in .work/NAME, from tests/NAME-requirements.txt (pinned): the
# browser tests run the kernel under other Jupyter servers than the main environment's
# (jupyter-server-documents, jupyter-collaboration). Reinstalled only when the requirements
# change. Prints the environment's python.
ensure_lab_env() { # name
  local env="$WORK/$1" requirements="$ROOT/tests/$1-requirements.txt"
  local stamp="$env/.requirements.sha" want
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if ! [ -x "$env/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "setting up JupyterLab's environment .work/$1"
    rm -rf "$env"
    python3 -m venv "$env"
    "$env/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" >&2
    echo "$want" > "$stamp"
  fi
  echo "$env/bin/python"
}

# Debian's Chromium, which the browser tests drive (no browser can be downloaded otherwise).
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  log "installing Chromium"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    die "the browser tests need Debian's chromium: apt-get install chromium"
  fi
}

# JupyterHub's proxy, configurable-http-proxy, from npm into .work/node.
CHP="$WORK/node/node_modules/.bin/configurable-http-proxy"
ensure_chp() {
  if [ -x "$CHP" ]; then return; fi
  command -v npm >/dev/null || die "npm (Node.js) is needed for JupyterHub's configurable-http-proxy"
  log "installing configurable-http-proxy"
  mkdir -p "$WORK/node"
  npm install --silent --no-audit --no-fund --prefix "$WORK/node" configurable-http-proxy@5.3.0 >/dev/null
}

# The live grid's JupyterLab extension (labextension/), built with this machine's Node.js
# into the wheel's data files, so that pip puts it under
# {sys.prefix}/share/jupyter/labextensions/kbase-spark-sql-grid (nothing is built where the
# wheel is installed). The packages come from the lockfile; JupyterLab's builder bundles it
# against the JupyterLab in .venv (its shared packages are JupyterLab's own).
LABEXT="$ROOT/labextension"
LABEXT_OUT="$ROOT/kernelspec/data/share/jupyter/labextensions/kbase-spark-sql-grid"
ensure_labext_packages() {
  command -v npm >/dev/null || die "npm (Node.js 18 or later) is needed to build the JupyterLab extension"
  if [ "$(cat "$LABEXT/node_modules/.lock.sha" 2>/dev/null)" != "$(sha256sum "$LABEXT/package-lock.json" | cut -d' ' -f1)" ]; then
    log "installing the JupyterLab extension's packages"
    (cd "$LABEXT" && npm ci --silent --no-audit --no-fund >&2)
    sha256sum "$LABEXT/package-lock.json" | cut -d' ' -f1 > "$LABEXT/node_modules/.lock.sha"
  fi
}
build_labextension() {
  ensure_labext_packages
  log "building the JupyterLab extension"
  local core
  core="$("$PY" -c 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))')"
  rm -rf "$LABEXT/lib" "$LABEXT_OUT"
  (cd "$LABEXT" && npx tsc && node node_modules/@jupyterlab/builder/lib/build-labextension.js \
    --core-path "$core" . >/dev/null) || die "the JupyterLab extension did not build"
  cp "$LABEXT/install.json" "$LABEXT_OUT/install.json"
}

# The extension's checks: strict TypeScript, eslint, prettier, and its unit tests (the
# protocol against a fake comm) under Node's test runner.
check_labextension() {
  ensure_labext_packages
  (cd "$LABEXT" && npx tsc --noEmit && npx eslint src test \
    && npx prettier --check --log-level warn "src/**/*.ts" "test/**/*.ts" "style/**/*.css" \
    && rm -rf lib-test && npx tsc -p tsconfig.test.json && node --test lib-test/test/) \
    || die "the JupyterLab extension's checks failed (cd labextension; npx prettier --write src test style)"
}

# The wheel researchers pip-install: the release binary linked against an old glibc (zig as
# the linker), the kernelspec, the live grid's JupyterLab extension and the Python package.
# Prints its path.
build_wheel() {
  build_labextension
  rm -rf "$WORK/wheels"
  PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" build --release --locked --zig \
    --compatibility manylinux2014 --out "$WORK/wheels" >&2
  ls "$WORK"/wheels/kbase_spark_sql_kernel-*.whl
}

spark_home() { "$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'; }

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port_open() { "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.5)" 2>/dev/null; }

wait_for_port() { # port seconds
  for _ in $(seq 1 $(($2 * 5))); do
    port_open "$1" && return 0
    sleep 0.2
  done
  return 1
}

PIDS=()
# Starts a command in the background in its own process group, logging to .work/NAME.log,
# so that `cleanup` can stop it with everything it started.
start_bg() { # name command...
  local name=$1; shift
  setsid "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  echo "$!" > "$WORK/$name.pid"
}

# Starts a Spark Connect server on 127.0.0.1:PORT. Extra arguments go to spark-submit.
# SPARK_REMOTE is removed from its environment: Spark's launcher would take it to mean
# "be a client of that server" and fail to start a server.
start_spark() { # name port [spark-submit args...]
  local name=$1 port=$2; shift 2
  local home; home="$(spark_home)"
  log "starting Spark Connect server '$name' on 127.0.0.1:$port"
  start_bg "spark-$name" env -u SPARK_REMOTE SPARK_HOME="$home" "$home/bin/spark-submit" \
    --class org.apache.spark.sql.connect.service.SparkConnectServer \
    --conf spark.connect.grpc.binding.address=127.0.0.1 \
    --conf "spark.connect.grpc.binding.port=$port" \
    --conf spark.ui.enabled=false \
    --conf spark.sql.shuffle.partitions=4 \
    --driver-java-options "-Dlog4j2.level=warn" \
    "$@" spark-internal
  wait_for_port "$port" 120 || { tail -30 "$WORK/spark-$name.log" >&2; die "the Spark Connect server '$name' did not start"; }
}

stop_group() { # pid
  kill -TERM -- "-$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$1" 2>/dev/null || true
}

HOSTS_ADDED=()
# Makes NAME resolve to 127.0.0.1 (for the per-user host names of the KBase tests), with an
# /etc/hosts entry that cleanup removes again.
map_to_loopback() { # name...
  local name
  for name in "$@"; do
    if [ "$(getent hosts "$name" | awk '{print $1}' | head -1)" = 127.0.0.1 ]; then continue; fi
    [ -w /etc/hosts ] || die "the tests need $name to resolve to 127.0.0.1: run as root, or add '127.0.0.1 $name' to /etc/hosts"
    echo "127.0.0.1 $name # kbase-spark-sql tests" >> /etc/hosts
    HOSTS_ADDED+=("$name")
  done
}

cleanup() {
  local pid name
  for pid in "${PIDS[@]}"; do stop_group "$pid"; done
  PIDS=()
  for name in "${HOSTS_ADDED[@]}"; do
    # /etc/hosts may be a bind mount: rewrite it in place rather than replacing the file.
    grep -v "^127.0.0.1 $name # kbase-spark-sql tests\$" /etc/hosts > "$WORK/hosts.tmp" && cat "$WORK/hosts.tmp" > /etc/hosts
  done
  HOSTS_ADDED=()
}
trap cleanup EXIT INT TERM
