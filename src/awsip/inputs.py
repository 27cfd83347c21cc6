"""Address lists in: one address per line (files or stdin) or one column of a CSV or Parquet
file, as one Arrow string column with where each row came from; and the test that tells
address lists from flow logs (:func:`is_flow_log_input`). A ``.csv`` file given without
``--column`` whose first line is a header (not an address) is read by its address column when
one is obviously named (:data:`ADDRESS_COLUMN_NAMES`); otherwise the error lists the columns.
Used by ``awsip classify``; a notebook can call the same functions.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AwsipError, UsageError

if TYPE_CHECKING:
    import pyarrow

_GLOB_CHARS = re.compile(r"[*?\[]")
_SNIFF_BYTES = 64 << 10

#: Column names taken as "the address column" of a CSV file given without --column, in order
#: of preference (case-insensitive).
ADDRESS_COLUMN_NAMES = ("ip", "ip_address", "address", "addr", "srcaddr", "dstaddr")


class InputError(AwsipError):
    """An address list could not be read (a missing or unreadable file): a data problem,
    exit status 1 like an unreadable flow log, not a usage error."""


@dataclass
class Inputs:
    """The addresses to classify and where each row came from (for error messages)."""

    column: pyarrow.Array
    #: (name, first row, rows, unit) per source; unit is "line" or "row"
    sources: list[tuple[str, int, int, str]] = field(default_factory=list)
    #: what the reader decided for the user to know (e.g. the CSV column it picked)
    notes: list[str] = field(default_factory=list)

    def where(self, row: int) -> str:
        """``line 12 of ips.txt`` for a row number of :attr:`column`."""
        for name, first, count, unit in self.sources:
            if first <= row < first + count:
                return f"{unit} {row - first + 1} of {name}"
        return f"row {row + 1}"


def read_addresses(files: Sequence[str], column: str | None = None) -> Inputs:
    """The addresses in ``files`` (one per line; ``-`` or none: stdin), or in ``column`` of
    one CSV or Parquet file. Raises :class:`InputError` naming a file that cannot be read,
    :class:`UsageError` for a column that is not there."""
    import pyarrow as pa

    files = list(files) or ["-"]
    if column is not None:
        if len(files) != 1 or files[0] == "-":
            raise UsageError("--column reads exactly one CSV or Parquet file (not stdin)")
        return _read_column(files[0], column)
    arrays = []
    sources = []
    notes: list[str] = []
    first = 0
    for name in files:
        data = sys.stdin.buffer.read() if name == "-" else _read_bytes(name)
        picked = _csv_address_column(name, data)
        if picked is not None:
            notes.append(f"{name}: reading addresses from column {picked!r} (--column to choose)")
            part = _read_column(name, picked)
            arr, unit = part.column, "row"
            if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
                arr = arr.cast(pa.string())
        else:
            arr, unit = lines_to_arrow(data), "line"
        arrays.append(arr)
        sources.append(("stdin" if name == "-" else name, first, len(arr), unit))
        first += len(arr)
    column = arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)
    return Inputs(column, sources, notes)


def _csv_address_column(name: str, data: bytes) -> str | None:
    """For a ``.csv`` file whose first line is a header: the column holding the addresses.

    None when ``name`` is not a .csv file or its first line is not a header (a one-column
    list of addresses); raises :class:`UsageError` listing the columns when none is obviously
    the address column."""
    if name == "-" or Path(name).suffix.lower() != ".csv":
        return None
    import csv

    first = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip("\r\ufeff ")
    if not first or _is_address(first.split(",", 1)[0].strip().strip('"')):
        return None
    columns = next(csv.reader([first]), [])
    if len(columns) == 1 and "," not in first and not first.isidentifier():
        return None  # one field that is neither an address nor a name: a list, read by line
    by_lower = {c.strip().lower(): c for c in columns}
    for wanted in ADDRESS_COLUMN_NAMES:
        if wanted in by_lower:
            return by_lower[wanted]
    shown = ", ".join(repr(c) for c in columns)
    raise UsageError(f"{name}: which column holds the addresses? Its header has {shown}; "
                     "name one with --column")


def _is_address(text: str) -> bool:
    from .addr import parse_address

    try:
        parse_address(text)
    except ValueError:
        return False
    return True


def _read_bytes(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None


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
        raise InputError(f"cannot read {name}: no such file")
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


def is_flow_log_input(files: list[str], column: str | None, forced: bool = False) -> bool:
    """Whether the FILE arguments are flow logs rather than address lists.

    ``--flow-logs`` (``forced``) says yes; ``--column`` or stdin-only says no. Otherwise each
    argument is judged: an ``s3://`` or ``cwlogs://`` URI, a directory, a glob that is not an
    existing file, a gzip or Parquet file, a JSON file (address lists are never JSON), or a
    text file whose first non-empty line has more than one whitespace-separated field is a
    flow log. Mixing both kinds is a usage error."""
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
    if name.lower().startswith(("s3://", "cwlogs://")):
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
    if head.lstrip().startswith((b"{", b"[")):  # JSON: wrapped flow-log records (CloudWatch
        return True  # Logs subscription payloads, JSON lines) or Logs Insights results
    for line in head.splitlines():
        if line.strip():
            return len(line.split()) > 1
    return False


__all__ = ["InputError", "Inputs", "is_flow_log_input", "lines_to_arrow", "read_addresses"]
