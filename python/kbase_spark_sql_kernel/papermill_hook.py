"""papermill's parameter translator for KBase Spark SQL notebooks.

papermill has no entry point for translators, but it loads every ``papermill.engine`` entry
point whenever it is imported. This module is such an entry point: loading it registers the
translator for the kernel, and the engine it names is papermill's usual nbclient engine. It
never raises on import, since an entry point that fails would break papermill as a whole.
"""

import logging

from .parameters import declarations, read_declarations

#: The kernel names the translator serves (the kernelspec's directory name).
KERNEL_NAMES = ("kbase-spark-sql",)

try:
    from papermill.engines import NBClientEngine
    from papermill.models import Parameter
    from papermill.translators import Translator, papermill_translators
except ImportError as e:  # a papermill without the parts this module knows
    logging.getLogger(__name__).warning("KBase Spark SQL parameters are not available in this papermill: %s", e)
    KBaseSparkSQLEngine = None
else:

    class SparkSQLTranslator(Translator):
        """Parameters as Spark SQL session variables (see kbase_spark_sql_kernel.parameters)."""

        @classmethod
        def comment(cls, cmt_str):
            return f"-- {cmt_str}".strip()

        @classmethod
        def codify(cls, parameters, comment="Parameters"):
            return declarations(parameters, comment)

        @classmethod
        def inspect(cls, parameters_cell):
            return [
                Parameter(name=name, inferred_type_name=sql_type or "None", default=default, help=help)
                for name, sql_type, default, help in read_declarations(parameters_cell.source)
            ]

    class KBaseSparkSQLEngine(NBClientEngine):
        """papermill's nbclient engine under this package's entry point."""

    for _kernel in KERNEL_NAMES:
        papermill_translators.register(_kernel, SparkSQLTranslator)
