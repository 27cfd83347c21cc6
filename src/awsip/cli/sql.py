"""``awsip sql``: print SQL that classifies address columns where the data lives."""

from __future__ import annotations

import argparse
from typing import Any

from . import EXIT_OK
from .common import (
    add_output_options,
    add_ranges_options,
    check_outputs,
    output_format,
    ranges_from_args,
    write_output,
)

_FORMATS = ("sql", "json")
_SUFFIXES = {".sql": "sql", ".json": "json"}
_DIALECTS = ("duckdb", "trino", "athena", "spark", "clickhouse", "snowflake", "bigquery")


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "sql",
        help="print SQL that classifies address columns in DuckDB, Athena/Trino, Spark, "
        "ClickHouse, Snowflake or BigQuery",
        description="Print SQL for the dialect: statements separated by ';' and a newline, the "
        "last a SELECT returning every row of the table plus COLUMN_service, COLUMN_region, "
        "COLUMN_network_border_group and COLUMN_prefix per address column, by the primary "
        "service rule (NULL for invalid and non-AWS values). Equi-joins only (no BETWEEN): "
        "each address is truncated to every prefix length of the publication and hash-joined. "
        "The prefixes travel inside the SQL unless --ranges-table names a table or a .parquet "
        "file written by `awsip ranges --output-format parquet`. See docs/scale.md.",
    )
    parser.add_argument("--dialect", required=True, type=str.lower, metavar="DIALECT",
                        help=f"one of {', '.join(_DIALECTS)}")
    parser.add_argument("--table", required=True, metavar="T",
                        help="the table to classify, as the engine names it (e.g. db.flow_logs)")
    parser.add_argument("--column", "-c", required=True, action="append", metavar="C",
                        help="an address column (repeat for several, e.g. srcaddr and dstaddr)")
    parser.add_argument("--ranges-table", metavar="NAME_OR_PARQUET",
                        help="read the prefixes from this table, or .parquet file (duckdb, "
                        "spark, clickhouse), holding `awsip ranges --output-format parquet`, "
                        "instead of putting them in the SQL (needed for Athena: its queries "
                        "are limited to 256 KB)")
    parser.add_argument("--clickhouse-dictionary", action="store_true",
                        help="clickhouse only: create an ip_trie dictionary of the prefixes "
                        "and look addresses up with dictGetOrNull instead of the equi-join")
    add_output_options(parser, _FORMATS, "sql")
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Validate the arguments and the output path, then generate and write the SQL."""
    from ..api import to_sql
    from ..encoding import dumps
    from ..errors import UsageError

    fmt = output_format(args, _SUFFIXES, "sql")
    check_outputs(args.output)
    if args.dialect not in _DIALECTS:
        raise UsageError(f"unknown SQL dialect {args.dialect!r}; choose one of "
                         f"{', '.join(_DIALECTS)}")
    if args.clickhouse_dictionary and (args.dialect != "clickhouse" or args.ranges_table):
        raise UsageError("--clickhouse-dictionary needs --dialect clickhouse and the ranges "
                         "inside the SQL (no --ranges-table)")
    ranges = None if args.ranges_table else ranges_from_args(args)
    sql = to_sql(args.dialect, args.table, args.column, ranges, ranges_table=args.ranges_table,
                 clickhouse_dictionary=args.clickhouse_dictionary)
    if fmt == "json":
        statements = [s for s in sql.split(";\n") if s.strip()]
        text = dumps({"dialect": args.dialect, "table": args.table, "columns": args.column,
                      "statements": statements})
    else:
        text = sql
    write_output(text, args.output)
    return EXIT_OK
