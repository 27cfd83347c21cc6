"""awsip's engine as DuckDB scalar functions: vectorized Arrow UDFs over the one bulk engine.

:func:`register` adds to a connection, for text addresses:

======================================  =================================================
function                                returns
======================================  =================================================
``aws_service(ip)``                     primary service (the rule of :mod:`awsip.ranges.model`)
``aws_region(ip)``                      region of the deciding entry
``aws_network_border_group(ip)``        border group of the deciding entry
``aws_prefix(ip)``                      most specific covering prefix
``aws_is_aws(ip)``                      true inside a published prefix, false outside, NULL
                                        when ``ip`` is not an address
``aws_classify(ip)``                    all five at once, a ``STRUCT(aws, service, region,
                                        network_border_group, prefix)``: one pass of the
                                        engine instead of one per label
======================================  =================================================

The labels are NULL for NULL, invalid and non-AWS values, exactly :func:`awsip.classify`'s
columns. DuckDB hands each call a batch (a vector of up to 2,048 values) as an Arrow array,
which goes through :func:`awsip.classification.engine.classify`; the bulk index is built (or
read from the cache) once, when :func:`register` is called, and shared by every call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from ..ranges.model import Ranges

#: The functions :func:`register` adds, by the :func:`awsip.classify` column each returns.
FUNCTIONS = {"aws_service": "service", "aws_region": "region",
             "aws_network_border_group": "network_border_group", "aws_prefix": "prefix",
             "aws_is_aws": "aws"}


#: The fields of ``aws_classify``'s struct, in order.
STRUCT_FIELDS = ("aws", "service", "region", "network_border_group", "prefix")


def _plain(table: pa.Table, column: str) -> pa.Array:
    """One column of a :func:`classify` result as one array, dictionaries as plain text (as
    DuckDB's VARCHAR wants them)."""
    import pyarrow as pa

    values = table[column].combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    return values


def _udf(column: str | None, ranges: Ranges) -> Callable[[pa.Array], pa.Array]:
    """One batch in, one column of :func:`classify`'s answer out, or (``column`` None) the
    struct of all of them."""
    import pyarrow as pa

    from ..classification.engine import classify

    def call(ips: Any) -> Any:  # DuckDB evaluates these annotations: names of this module
        table = classify(ips, ranges)
        if column is not None:
            return _plain(table, column)
        return pa.StructArray.from_arrays([_plain(table, f) for f in STRUCT_FIELDS],
                                          names=list(STRUCT_FIELDS))

    return call


def register(con: Any, ranges: Ranges, *, replace: bool = True) -> list[str]:
    """Add the :data:`FUNCTIONS` to DuckDB connection ``con``; the names added.

    ``replace`` first removes functions of the same names (a second :func:`register`, say with
    another publication, then wins instead of failing).
    """
    import duckdb

    from ..index.bulk import bulk_index

    bulk_index(ranges)  # built once here, not in the first query's first batch
    # Types by their SQL spelling: duckdb.sqltype is in 1.0 and 2.0 alike, while the type
    # constants moved (1.0 has duckdb.typing and no duckdb.sqltypes; 2.0 the reverse).
    boolean, varchar = duckdb.sqltype("BOOLEAN"), duckdb.sqltype("VARCHAR")
    struct = duckdb.sqltype("STRUCT(" + ", ".join(
        f"{f} {'BOOLEAN' if f == 'aws' else 'VARCHAR'}" for f in STRUCT_FIELDS) + ")")
    functions: dict[str, str | None] = {**FUNCTIONS, "aws_classify": None}
    for name, column in functions.items():
        if replace:
            with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
                con.remove_function(name)
        kind = struct if column is None else boolean if column == "aws" else varchar
        con.create_function(name, _udf(column, ranges), [varchar], kind,
                            type="arrow", null_handling="special", side_effects=False)
    return list(functions)


__all__ = ["FUNCTIONS", "STRUCT_FIELDS", "register"]
