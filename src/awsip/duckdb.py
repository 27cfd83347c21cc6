"""awsip in DuckDB (``pip install 'awsip[duckdb]'``): scalar functions answering like
``awsip lookup``, as vectorized Arrow UDFs over awsip's own engine.

    import duckdb, awsip.duckdb
    con = duckdb.connect()
    awsip.duckdb.register(con)
    con.sql("SELECT dstaddr, aws_service(dstaddr), aws_region(dstaddr) FROM flow_logs")

Functions: ``aws_service``, ``aws_region``, ``aws_network_border_group``, ``aws_prefix``,
``aws_is_aws``, and ``aws_classify`` (all of them as one struct, one pass: faster when more
than one label is wanted); see :mod:`awsip.engines.duckdb`. ``ranges`` defaults to
:func:`awsip.default_ranges`. For SQL that runs without Python (Athena, ClickHouse, ...), see
:func:`awsip.to_sql`. duckdb is imported only when :func:`register` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .loading import default_ranges

if TYPE_CHECKING:
    from .ranges.model import Ranges


def register(con: Any, ranges: Ranges | None = None) -> list[str]:
    """Add awsip's scalar functions to DuckDB connection ``con``; the names added. The
    index is built once here, for every later call."""
    from .engines.duckdb import register as run

    return run(con, ranges if ranges is not None else default_ranges())


__all__ = ["register"]
