"""``awsip classify``: tag a whole file of addresses (or flow logs) with service, region and
prefix; the reading and writing are :mod:`awsip.inputs` and :mod:`awsip.output.tables`."""

from __future__ import annotations

import argparse
import sys
from typing import IO, TYPE_CHECKING, Any

from ..errors import AwsipError, UsageError
from ..fileio import atomic_file
from ..output.tables import TABLE_FORMATS, TABLE_SUFFIXES
from . import EXIT_DATA, EXIT_OK
from .common import (
    add_output_options,
    add_ranges_options,
    add_reader_options,
    check_outputs,
    output_format,
    ranges_from_args,
    reader_options,
)

if TYPE_CHECKING:
    import pyarrow

    from ..inputs import Inputs

_SHOW_INVALID = 5


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "classify",
        help="tag many addresses at once (text, CSV or Parquet in; CSV, JSON Lines, Parquet out)",
        description="Classify addresses in bulk with the same answers as `awsip lookup` (primary "
        "service rule). Reads one address per line from FILEs or stdin (every line is a row; "
        "a final newline does not add one), or one --column of a CSV/Parquet file. Writes one "
        "row per input, in input order, with columns ip, valid, aws, prefix, service, region, "
        "network_border_group. Inputs that are not addresses get valid=false and are counted "
        "on stderr with their line numbers. "
        "FLOW LOGS: VPC/Transit Gateway flow logs (--flow-logs, or detected: a directory, a "
        "glob, an s3:// URI, a gzip or Parquet file, or a text file whose first non-empty line "
        "has several space-separated fields) are streamed instead: every record with its "
        "fields plus src_/dst_ aws, service, region, network_border_group, prefix columns; "
        "the reader's totals go to stderr. "
        "Exit status: 0 (also when some inputs were "
        "invalid, unless --strict), 1 on data errors (e.g. a truncated gzip flow log: -o then "
        "writes nothing) or invalid inputs with --strict, 2 on usage errors.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="input files; '-' or none reads stdin")
    parser.add_argument("--column", "-c", metavar="NAME",
                        help="read addresses from this column of a CSV or Parquet file "
                        "(format from the suffix: .parquet/.pq, else CSV with a header row)")
    add_output_options(parser, TABLE_FORMATS, "csv", json_format="jsonl")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when any input is not an address (flow logs: "
                        "stop at the first bad line)")
    parser.add_argument("--flow-logs", action="store_true",
                        help="read the FILEs (paths, directories, globs, s3:// URIs, '-') as flow "
                        "logs, without detection")
    add_reader_options(parser)
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


def _write(output: str | None, write: Any) -> None:
    """Call ``write(fh)`` on the ``-o`` file (atomically) or on stdout."""
    if output:
        with atomic_file(output) as fh:
            write(fh)
    else:
        from .common import stdout_errors

        with stdout_errors():
            out: IO[bytes] = sys.stdout.buffer
            write(out)
            out.flush()


def run(args: argparse.Namespace) -> int:
    from ..inputs import is_flow_log_input, read_addresses

    fmt = output_format(args, TABLE_SUFFIXES, "csv")
    check_outputs(args.output)
    if is_flow_log_input(list(args.files), args.column, args.flow_logs):
        return run_flow_logs(args, fmt)
    inputs = read_addresses(args.files, args.column)
    for note in () if args.quiet else inputs.notes:
        print(f"awsip: {note}", file=sys.stderr)
    from ..api import classify
    from ..classification.engine import invalid_count
    from ..output.tables import write_table

    table = classify(inputs.column, ranges_from_args(args))
    bad = invalid_count(table)
    failed = bool(bad and args.strict)
    if not (failed and args.output):  # a failed run leaves an existing -o file as it was
        _write(args.output, lambda fh: write_table(table, fmt, fh))
    if bad:
        _report_invalid(table, inputs, bad)
    if failed and args.output:
        print(f"awsip: --strict: {args.output} not written", file=sys.stderr)
    return EXIT_DATA if failed else EXIT_OK


def run_flow_logs(args: argparse.Namespace, fmt: str) -> int:
    """The flow-log path of ``awsip classify``: stream, enrich, write, report totals."""
    from ..advice.report import check_read
    from ..api import enrich_flow_logs
    from ..classification.enrich import empty_schema
    from ..output.tables import write_batches

    ranges = ranges_from_args(args)
    options = reader_options(args)
    enriched = enrich_flow_logs(list(args.files) or ["-"], ranges, options)
    empty = empty_schema(options.log_format, ranges)
    source = list(args.files) or ["-"]

    def write(fh: IO[bytes]) -> None:
        write_batches(enriched, fmt, fh, empty)
        check_read(enriched.stats, source)  # inside the write: a failure keeps an old -o

    try:
        _write(args.output, write)
    except UsageError:
        raise
    except AwsipError as exc:
        _print_totals(enriched)
        raise AwsipError(f"{exc}" + (f" ({args.output} not written)" if args.output else "")
                         ) from None
    _print_totals(enriched)
    return EXIT_OK


def _print_totals(enriched: Any) -> None:
    stats = enriched.stats
    print(f"awsip: flow logs: {stats.records:,} records, {stats.skipped:,} skipped, "
          f"{stats.nodata:,} nodata, {stats.skipdata:,} skipdata, {stats.files:,} files",
          file=sys.stderr)
    if stats.listing.describe():
        print(f"awsip: {stats.listing.describe()}", file=sys.stderr)
    for bad in stats.skipped_lines[:_SHOW_INVALID]:
        print(f"awsip: skipped {bad.file}, line {bad.line}: {bad.reason}", file=sys.stderr)


def _report_invalid(table: pyarrow.Table, inputs: Inputs, bad: int) -> None:
    import numpy as np

    valid = table["valid"].to_numpy()
    rows = np.flatnonzero(~valid)[:_SHOW_INVALID].tolist()
    ip = table["ip"]
    shown = ", ".join(f"{inputs.where(r)}: {ip[r].as_py()!r}" for r in rows)
    more = f" (first {len(rows)})" if bad > len(rows) else ""
    print(f"awsip: {bad:,} of {len(table):,} inputs are not addresses{more}: {shown}",
          file=sys.stderr)
