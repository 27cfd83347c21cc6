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


def _udf(column: str, ranges: Ranges) -> Callable[[pa.Array], pa.Array]:
    """One batch in, one column of :func:`classify`'s answer out (dictionaries as plain text,
    as DuckDB's VARCHAR wants them)."""
    import pyarrow as pa

    from ..classification.engine import classify

    def call(ips: Any) -> Any:  # DuckDB evaluates these annotations: names of this module
        result = classify(ips, ranges)[column]
        values = result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result
        if pa.types.is_dictionary(values.type):
            values = values.cast(pa.string())
        return values

    return call


def register(con: Any, ranges: Ranges, *, replace: bool = True) -> list[str]:
    """Add the :data:`FUNCTIONS` to DuckDB connection ``con``; the names added.

    ``replace`` first removes functions of the same names (a second :func:`register`, say with
    another publication, then wins instead of failing).
    """
    import duckdb
    from duckdb import sqltypes

    from ..index.bulk import bulk_index

    bulk_index(ranges)  # built once here, not in the first query's first batch
    for name, column in FUNCTIONS.items():
        if replace:
            with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
                con.remove_function(name)
        kind = sqltypes.BOOLEAN if column == "aws" else sqltypes.VARCHAR
        con.create_function(name, _udf(column, ranges), [sqltypes.VARCHAR], kind,
                            type="arrow", null_handling="special", side_effects=False)
    return list(FUNCTIONS)


__all__ = ["FUNCTIONS", "register"]
