"""Notebook parameters as Spark SQL session variables.

A parameter becomes ``DECLARE OR REPLACE VARIABLE name TYPE DEFAULT literal;``, typed from its
Python value, so later cells use it by name. Values are always written as literals, never
pasted as SQL: a string holding quotes, ``;`` or ``--`` stays that string. Plain Python, so
that papermill's translator (:mod:`kbase_spark_sql_kernel.papermill_hook`) stays a thin shell.
"""

import decimal
import math
import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SUPPORTED = "int, float, decimal.Decimal, bool, str, None, and lists of these"
_BIGINT = range(-(2**63), 2**63)

# One DECLARE per line, as papermill's other translators read one assignment per line.
_DECLARATION = re.compile(
    r"^\s*DECLARE\s+(?:OR\s+REPLACE\s+)?(?:VARIABLE\s+|VAR\s+)?"
    r"(?P<name>`[^`]+`|\w+)\s*(?P<type>[^=]*?)\s*(?:\bDEFAULT\b|=)\s*"
    r"(?P<default>.*?)\s*;?\s*(?:--\s*(?P<help>.*?))?\s*$",
    re.IGNORECASE | re.MULTILINE,
)


class ParameterError(ValueError):
    """A parameter that cannot become a Spark SQL session variable."""


def sql_string(text: str) -> str:
    """A Spark SQL string literal holding exactly ``text``."""
    escaped = []
    for ch in text:
        if ch in "\\'":
            escaped.append("\\" + ch)
        elif ch == "\n":
            escaped.append("\\n")
        elif ch == "\r":
            escaped.append("\\r")
        elif ch == "\t":
            escaped.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04x}")
        else:
            escaped.append(ch)
    return "'" + "".join(escaped) + "'"


def _literal(value, where: str):
    """The Spark SQL type and literal of a Python value; `where` names it in errors."""
    if value is None:
        return "STRING", "NULL"
    if isinstance(value, bool):
        return "BOOLEAN", "TRUE" if value else "FALSE"
    if isinstance(value, int):
        if value in _BIGINT:
            return "BIGINT", str(value)
        if len(str(abs(value))) <= 38:
            return "DECIMAL(38,0)", f"{value}BD"
        raise ParameterError(f"{where}: the integer {value} has more than 38 digits")
    if isinstance(value, float):
        if math.isnan(value):
            return "DOUBLE", "double('NaN')"
        if math.isinf(value):
            return "DOUBLE", "double('Infinity')" if value > 0 else "double('-Infinity')"
        return "DOUBLE", f"{value!r}D"
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ParameterError(f"{where}: the decimal {value} is not a finite number")
        sign, digits, exponent = value.as_tuple()
        scale = max(0, -exponent)
        precision = max(len(digits) + max(0, exponent), scale, 1)
        if precision > 38:
            raise ParameterError(f"{where}: the decimal {value} has more than 38 digits")
        return f"DECIMAL({precision},{scale})", f"{value:f}BD"
    if isinstance(value, str):
        return "STRING", sql_string(value)
    if isinstance(value, (list, tuple)):
        return _array(value, where)
    raise ParameterError(
        f"{where}: a value of type {type(value).__name__} cannot be a Spark SQL "
        f"session variable; the supported types are {_SUPPORTED}"
    )


def _array(items, where: str):
    literals = [_literal(item, f"{where}[{i}]") for i, item in enumerate(items)]
    types = {t for (t, text), item in zip(literals, items) if item is not None}
    if types <= {"BIGINT", "DOUBLE"} and len(types) == 2:
        element = "DOUBLE"  # integers and floats together are doubles, as in JSON
    elif len(types) > 1:
        raise ParameterError(
            f"{where}: a list must hold values of one type to become an array, "
            f"not {', '.join(sorted(types))}"
        )
    else:
        element = types.pop() if types else "STRING"
    values = ", ".join(f"CAST({text} AS {element})" if text == "NULL" else text for _, text in literals)
    return f"ARRAY<{element}>", f"ARRAY({values})" if values else f"CAST(ARRAY() AS ARRAY<{element}>)"


def declaration(name: str, value) -> str:
    """The statement that declares parameter `name` with `value`."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ParameterError(
            f"papermill parameter {name!r}: a name must be a SQL identifier "
            "(letters, digits and _, not starting with a digit)"
        )
    sql_type, literal = _literal(value, f"papermill parameter {name!r}")
    return f"DECLARE OR REPLACE VARIABLE {name} {sql_type} DEFAULT {literal};"


def declarations(parameters: dict, comment: str = "Parameters") -> str:
    """The cell that declares every parameter, under a `--` comment line."""
    lines = [f"-- {comment}".strip()] + [declaration(n, v) for n, v in parameters.items()]
    return "\n".join(lines) + "\n"


def read_declarations(source: str):
    """The parameters a cell declares, one DECLARE per line, as (name, type or None,
    default, help) tuples; what the line's trailing `--` comment says is the help."""
    for match in _DECLARATION.finditer(source):
        yield (
            match.group("name").strip("`"),
            match.group("type").strip() or None,
            match.group("default"),
            match.group("help") or "",
        )
