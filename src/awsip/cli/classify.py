"""``awsip classify``: tag a whole file of addresses with service, region and prefix.

Input: addresses one per line (file arguments, ``-`` or nothing for stdin), or one column of a
CSV or Parquet file (``--column``). Output: CSV (default, stdout), JSON Lines or Parquet; ``-o``
writes atomically. Invalid inputs are rows with ``valid=false``; they are counted on stderr and
make the exit status 1 only with ``--strict``.

Input reading is :func:`read_inputs`, which returns an :class:`Inputs` (one Arrow string column
plus where each row came from), so other input kinds (flow logs) can be added beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import UsageError
from . import EXIT_DATA, EXIT_OK, EXIT_USAGE
from .common import add_ranges_options, ranges_from_args

if TYPE_CHECKING:
    import pyarrow

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
             ".parquet": "parquet", ".pq": "parquet"}
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
        "on stderr with their line numbers. Exit status: 0 (also when some inputs were "
        "invalid, unless --strict), 1 on data errors or invalid inputs with --strict, 2 on "
        "usage errors.",
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
                        help="exit with status 1 when any input is not an address")
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
def _format(args: argparse.Namespace) -> str:
    if args.format:
        fmt: str = args.format
        return fmt
    if args.output:
        return _SUFFIXES.get(Path(args.output).suffix.lower(), "csv")
    return "csv"


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


# ---------------------------------------------------------------------- command
def run(args: argparse.Namespace) -> int:
    from ..bulk import classify, invalid_count
    from ..export import atomic_output

    fmt = _format(args)
    if fmt == "parquet" and not args.output and sys.stdout.isatty():
        print("awsip: error: parquet is binary: give -o FILE or redirect stdout",
              file=sys.stderr)
        return EXIT_USAGE
    try:
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
