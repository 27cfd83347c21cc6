"""``awsip classify``: tag a whole file of addresses with service, region and prefix.

Input: addresses one per line (file arguments, ``-`` or nothing for stdin), or one column of a
CSV or Parquet file (``--column``). Output: CSV (default, stdout), JSON Lines or Parquet; ``-o``
writes atomically. Invalid inputs are rows with ``valid=false``; they are counted on stderr and
make the exit status 1 only with ``--strict``.

Flow logs (``--flow-logs``, or detected by :func:`is_flow_log_input`) are streamed through
:func:`awsip.enrich.enrich_flow_logs` instead: every record with ``src_``/``dst_`` labels,
written batch by batch (:func:`write_batches`).

Input reading is :func:`read_inputs`, which returns an :class:`Inputs` (one Arrow string column
plus where each row came from), so other input kinds (flow logs) can be added beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import AwsipError, UsageError
from . import EXIT_DATA, EXIT_OK, EXIT_USAGE
from .common import add_ranges_options, output_format, ranges_from_args

if TYPE_CHECKING:
    import pyarrow

    from ..ranges import Ranges

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
             ".parquet": "parquet", ".pq": "parquet"}
_SHOW_INVALID = 5
_GLOB_CHARS = re.compile(r"[*?\[]")
_SNIFF_BYTES = 64 << 10


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
    out = parser.add_argument_group("output")
    out.add_argument("--format", "-f", choices=FORMATS,
                     help="output format (default: from the -o suffix, else csv)")
    out.add_argument("-o", "--output", metavar="FILE",
                     help="write to FILE atomically (temp file, then rename) instead of stdout")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when any input is not an address (flow logs: "
                        "stop at the first bad line)")
    flow = parser.add_argument_group("flow logs")
    flow.add_argument("--flow-logs", action="store_true",
                      help="read the FILEs (paths, directories, globs, s3:// URIs, '-') as flow "
                      "logs, without detection")
    flow.add_argument("--format-string", metavar="FORMAT",
                      help="the flow log's custom format as AWS shows it, e.g. '${version} "
                      "${srcaddr} ${dstaddr} ...', for files without a header line (default: "
                      "the version 2 default format)")
    flow.add_argument("--quiet", "-q", action="store_true",
                      help="no progress bar (shown by default when stderr is a terminal)")
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


# ---------------------------------------------------------------------- input
@dataclass
class Inputs:
    """The addresses to classify and where each row came from (for error messages)."""

    column: pyarrow.Array
    #: (name, first row, rows, unit) per source; unit is "line" or "row"
    sources: list[tuple[str, int, int, str]] = field(default_factory=list)

    def where(self, row: int) -> str:
        """``line 12 of ips.txt`` for a row number of :attr:`column`."""
        for name, first, count, unit in self.sources:
            if first <= row < first + count:
                return f"{unit} {row - first + 1} of {name}"
        return f"row {row + 1}"


def read_inputs(args: argparse.Namespace) -> Inputs:
    """The input column named by the command line (files / stdin, or ``--column``)."""
    import pyarrow as pa

    files = list(args.files) or ["-"]
    if args.column is not None:
        if len(files) != 1 or files[0] == "-":
            raise UsageError("--column reads exactly one CSV or Parquet file (not stdin)")
        return _read_column(files[0], args.column)
    arrays = []
    sources = []
    first = 0
    for name in files:
        data = sys.stdin.buffer.read() if name == "-" else _read_bytes(name)
        arr = lines_to_arrow(data)
        arrays.append(arr)
        sources.append(("stdin" if name == "-" else name, first, len(arr), "line"))
        first += len(arr)
    column = arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)
    return Inputs(column, sources)


def _read_bytes(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None


def lines_to_arrow(data: bytes) -> pyarrow.Array:
    """Split text into one string per line without a Python loop (zero-copy over ``data``).

    ``\\n`` ends a line; a final line without it still counts; a ``\\r`` before ``\\n`` is
    dropped. Bytes that are not UTF-8 are replaced (U+FFFD), so such lines come out invalid.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not data:
        return pa.array([], type=pa.string())
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    offsets = np.empty(len(ends) + 2, dtype=np.int64)
    offsets[0] = 0
    offsets[1:len(ends) + 1] = ends + 1
    offsets[-1] = len(raw)
    if offsets[-1] == offsets[-2]:  # the data ends with a newline: no empty last row
        offsets = offsets[:-1]
    count = len(offsets) - 1
    kind = pa.large_string() if len(raw) >= 2**31 else pa.string()
    width = np.int64 if kind == pa.large_string() else np.int32
    arr = pa.Array.from_buffers(kind, count, [None, pa.py_buffer(offsets.astype(width)),
                                              pa.py_buffer(data)])
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid:
        text = data.decode("utf-8", errors="replace").split("\n")
        if text and text[-1] == "":
            text.pop()
        arr = pa.array(text, type=pa.string())
    arr = pc.utf8_rtrim(arr, "\n")
    if b"\r" in data:
        arr = pc.utf8_rtrim(arr, "\r")
    return arr


def _read_column(name: str, column: str) -> Inputs:
    import pyarrow as pa

    path = Path(name)
    if not path.is_file():
        raise UsageError(f"cannot read {name}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            table = pq.read_table(path, columns=[column])
        else:
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
                include_columns=[column], column_types={column: pa.string()},
                strings_can_be_null=False))
    except (KeyError, pa.ArrowInvalid) as exc:
        raise UsageError(f"{name}: cannot read column {column!r}: {exc}") from None
    if column not in table.column_names:
        raise UsageError(f"{name}: no column {column!r}")
    values = table[column]
    if not (pa.types.is_integer(values.type) or pa.types.is_string(values.type)
            or pa.types.is_large_string(values.type) or pa.types.is_dictionary(values.type)):
        values = values.cast(pa.string())
    return Inputs(values.combine_chunks(), [(name, 0, len(values), "row")])


# ---------------------------------------------------------------------- output
def write_table(table: pyarrow.Table, fmt: str, fh: IO[bytes]) -> None:
    """Write a classify result as CSV (label columns as text), JSON Lines or Parquet."""
    import pyarrow as pa

    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, fh)
        return
    plain = pa.Table.from_arrays(
        [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
         for c in table.columns], names=table.column_names)
    if fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(plain, fh)
        return
    for batch in plain.to_batches(max_chunksize=65536):
        lines = [json.dumps(row, separators=(",", ":")) for row in batch.to_pylist()]
        if lines:
            fh.write(("\n".join(lines) + "\n").encode())


# ---------------------------------------------------------------------- flow logs
def is_flow_log_input(files: list[str], column: str | None, forced: bool = False) -> bool:
    """Whether the FILE arguments are flow logs rather than address lists.

    ``--flow-logs`` (``forced``) says yes; ``--column`` or stdin-only says no. Otherwise each
    argument is judged: an ``s3://`` URI, a directory, a glob that is not an existing file, a
    gzip or Parquet file, or a text file whose first non-empty line has more than one
    whitespace-separated field is a flow log. Mixing both kinds is a usage error."""
    if forced:
        if column is not None:
            raise UsageError("--column reads addresses from a table; it cannot be used with "
                             "--flow-logs")
        return True
    if column is not None or not files:
        return False
    kinds = {name: _looks_like_flow_log(name) for name in files}
    if len(set(kinds.values())) > 1:
        flows = ", ".join(n for n, k in kinds.items() if k)
        raise UsageError(f"{flows}: flow logs, but the other inputs are address lists; "
                         "classify them separately (or force one kind with --flow-logs)")
    return next(iter(kinds.values()))


def _looks_like_flow_log(name: str) -> bool:
    if name == "-":
        return False
    if name.lower().startswith("s3://"):
        return True
    path = Path(name)
    if path.is_dir():
        return True
    if not path.exists():
        return bool(_GLOB_CHARS.search(name))
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False  # the address-list path reports the error
    if head.startswith((b"\x1f\x8b", b"PAR1")):
        return True
    for line in head.splitlines():
        if line.strip():
            return len(line.split()) > 1
    return False


def write_batches(batches: Iterable[pyarrow.RecordBatch], fmt: str, fh: IO[bytes],
                  empty_schema: pyarrow.Schema | None = None) -> int:
    """Stream RecordBatches to ``fh`` as Parquet (a row group per batch), CSV or JSON Lines
(dictionary columns written as plain strings);
    the rows written. Every batch is made to fit the first one's schema (a column it lacks is
    null); a batch with columns the first lacks (files of different formats) raises
    FlowLogError. Without batches, ``empty_schema`` gives Parquet/CSV their columns."""
    import pyarrow as pa

    writer: Any = None
    schema: pa.Schema | None = None
    rows = 0

    def open_writer(first: pa.Schema) -> Any:
        if fmt == "parquet":  # plain strings: Parquet dictionary-encodes only used values
            import pyarrow.parquet as pq

            return pq.ParquetWriter(fh, _plain_schema(first))
        if fmt == "csv":
            import pyarrow.csv as pcsv

            return pcsv.CSVWriter(fh, _plain_schema(first))
        return None

    try:
        for batch in batches:
            if schema is None:
                schema = batch.schema.remove_metadata()
                writer = open_writer(schema)
            batch = _conform(batch, schema)
            rows += batch.num_rows
            if fmt in ("parquet", "csv"):
                writer.write_batch(_plain(batch))
            else:
                _write_jsonl(_plain(batch), fh)
    except BaseException:
        if writer is not None:  # while fh is open; the caller discards what was written
            with contextlib.suppress(Exception):
                writer.close()
        raise
    if schema is None and empty_schema is not None and fmt != "jsonl":
        writer = open_writer(empty_schema)
    if writer is not None:
        writer.close()
    return rows


def _plain_schema(schema: pyarrow.Schema) -> pyarrow.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type)
                      else f for f in schema])


def _plain(batch: pyarrow.RecordBatch) -> pyarrow.RecordBatch:
    """Dictionary columns decoded (CSV and JSON want plain values)."""
    import pyarrow as pa

    return pa.RecordBatch.from_arrays(
        [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
         for c in batch.columns], names=batch.schema.names)


def _conform(batch: pyarrow.RecordBatch, schema: pyarrow.Schema) -> pyarrow.RecordBatch:
    import pyarrow as pa

    from ..errors import FlowLogError

    if batch.schema.equals(schema, check_metadata=False):
        return batch
    extra = [n for n in batch.schema.names if n not in schema.names]
    if extra:
        where = (batch.schema.metadata or {}).get(b"awsip.file", b"").decode() or "a file"
        raise FlowLogError(
            f"{where} has fields the first file lacks ({', '.join(extra)}); flow logs of "
            "different formats go to separate outputs")
    columns = []
    for f in schema:
        if f.name in batch.schema.names:
            col = batch.column(f.name)
            columns.append(col if col.type == f.type else col.cast(f.type))
        else:
            columns.append(pa.nulls(batch.num_rows, f.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _write_jsonl(batch: pyarrow.RecordBatch, fh: IO[bytes]) -> None:
    fast = jsonl_lines(batch)
    if fast is not None:
        lines = fast.to_pylist()
    else:
        lines = [json.dumps(row, separators=(",", ":"), default=_json_value)
                 for row in batch.to_pylist()]
    if lines:
        fh.write(("\n".join(lines) + "\n").encode())


def jsonl_lines(batch: pyarrow.RecordBatch) -> pyarrow.Array | None:
    """The JSON text of each row, built column-wise with Arrow compute (about 10x faster than
    ``json.dumps`` per row); the same text as :func:`json.dumps` with compact separators. None
    when a column needs what only json.dumps does well (escaped characters, floats, other
    types): the caller then falls back to it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces: list[Any] = []
    for i, (name, col) in enumerate(zip(batch.schema.names, batch.columns, strict=True)):
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            if len(col) and pc.any(pc.match_substring_regex(
                    col, r'[\x00-\x1f"\\\x7f-\x{10ffff}]')).as_py():
                return None
            text = pc.binary_join_element_wise('"', col, '"', "")
        elif pa.types.is_integer(t) or pa.types.is_boolean(t):
            text = col.cast(pa.string())
        elif pa.types.is_timestamp(t) and t.unit == "s" and t.tz in ("UTC", "+00:00"):
            text = pc.strftime(col, format='"%Y-%m-%dT%H:%M:%S+00:00"')
        else:
            return None
        if not name.isidentifier():
            return None  # keys are written unescaped
        pieces += [("{" if i == 0 else ",") + f'"{name}":', pc.fill_null(text, "null")]
    if not pieces:
        return None
    pieces.append("}")
    result: pa.Array = pc.binary_join_element_wise(*pieces, "")
    return result


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # timestamps: ISO-8601 text
        return value.isoformat()
    return str(value)


def _empty_enriched_schema(format_string: str | None, ranges: Ranges) -> pyarrow.Schema:
    """The output columns for flow logs with no records (so the file still has a header)."""
    import pyarrow as pa

    from ..enrich import enrich_batch
    from ..flowlogs import DEFAULT_FIELDS, FIELDS, parse_format
    from ..flowlogs.fields import arrow_type

    fields = parse_format(format_string) if format_string else DEFAULT_FIELDS
    schema = pa.schema([(FIELDS[f].column, arrow_type(FIELDS[f].kind)) for f in fields])
    try:
        return enrich_batch(schema.empty_table(), ranges).schema
    except UsageError:
        return schema


def run_flow_logs(args: argparse.Namespace, fmt: str) -> int:
    """The flow-log path of ``awsip classify``: stream, enrich, write, report totals."""
    from ..enrich import enrich_flow_logs
    from ..export import atomic_output

    files = list(args.files) or ["-"]
    ranges = ranges_from_args(args)
    enriched = enrich_flow_logs(files, ranges, format=args.format_string, strict=args.strict,
                                progress=False if args.quiet else None)
    empty = _empty_enriched_schema(args.format_string, ranges)
    try:
        if args.output:
            with atomic_output(args.output) as fh:
                write_batches(enriched, fmt, fh, empty)
        else:
            write_batches(enriched, fmt, sys.stdout.buffer, empty)
            sys.stdout.buffer.flush()
    except UsageError:
        raise
    except AwsipError as exc:
        _print_totals(enriched)
        print(f"awsip: error: {exc}" + (f" ({args.output} not written)" if args.output else ""),
              file=sys.stderr)
        return EXIT_DATA
    _print_totals(enriched)
    return EXIT_OK


def _print_totals(enriched: Any) -> None:
    stats = enriched.stats
    if stats is None:
        return
    print(f"awsip: flow logs: {stats.records:,} records, {stats.skipped:,} skipped, "
          f"{stats.nodata:,} nodata, {stats.skipdata:,} skipdata, {stats.files:,} files",
          file=sys.stderr)
    for bad in stats.skipped_lines[:_SHOW_INVALID]:
        print(f"awsip: skipped {bad.file}, line {bad.line}: {bad.reason}", file=sys.stderr)


# ---------------------------------------------------------------------- command
def run(args: argparse.Namespace) -> int:
    from ..bulk import classify, invalid_count
    from ..export import atomic_output

    fmt = output_format(args, _SUFFIXES, "csv")
    try:
        if is_flow_log_input(list(args.files), args.column, args.flow_logs):
            return run_flow_logs(args, fmt)
        inputs = read_inputs(args)
    except UsageError as exc:
        print(f"awsip: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ranges = ranges_from_args(args)
    table = classify(inputs.column, ranges)
    if args.output:
        with atomic_output(args.output) as fh:
            write_table(table, fmt, fh)
    else:
        write_table(table, fmt, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    bad = invalid_count(table)
    if bad:
        _report_invalid(table, inputs, bad)
    return EXIT_DATA if bad and args.strict else EXIT_OK


def _report_invalid(table: pyarrow.Table, inputs: Inputs, bad: int) -> None:
    import numpy as np

    valid = table["valid"].to_numpy()
    rows = np.flatnonzero(~valid)[:_SHOW_INVALID].tolist()
    ip = table["ip"]
    shown = ", ".join(f"{inputs.where(r)}: {ip[r].as_py()!r}" for r in rows)
    more = f" (first {len(rows)})" if bad > len(rows) else ""
    print(f"awsip: {bad:,} of {len(table):,} inputs are not addresses{more}: {shown}",
          file=sys.stderr)
