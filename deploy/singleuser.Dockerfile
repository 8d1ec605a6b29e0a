# A JupyterHub single-user image with KBase Spark SQL as its default kernel, built on the
# Jupyter docker stacks (which bring JupyterLab and jupyterhub-singleuser). The end-to-end
# test (tests/python/test_jupyterhub.py) builds the same environment step by step: Jupyter,
# then `pip install` of the wheel, then `install --sys-prefix --make-default`.
#
#   maturin build --release --zig --compatibility manylinux2014 --out dist
#   docker build -f deploy/singleuser.Dockerfile -t kbase-spark-sql-singleuser .
#
# BASE_IMAGE: the stacks' minimal-notebook, from the registry your hub pulls images from.
ARG BASE_IMAGE=jupyter/minimal-notebook
FROM ${BASE_IMAGE}

COPY dist/kbase_spark_sql_kernel-*.whl /tmp/wheels/
RUN pip install --no-cache-dir /tmp/wheels/kbase_spark_sql_kernel-*.whl \
 && kbase-spark-sql-kernel install --sys-prefix --make-default \
 && rm -rf /tmp/wheels
