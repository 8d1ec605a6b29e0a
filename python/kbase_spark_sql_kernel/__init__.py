"""KBase Spark SQL, the Jupyter kernel that runs every cell as Spark SQL.

The kernel itself is the Rust binary ``kbase-spark-sql-kernel`` that this package installs
next to the Python interpreter. The package only helps others find it: ``python -m
kbase_spark_sql_kernel`` starts the binary (that is what the kernelspec runs), and
:mod:`kbase_spark_sql_kernel.papermill_hook` gives papermill its parameter translator.
"""

from ._binary import find_binary

__all__ = ["find_binary"]
