"""Stream flow-log files into pyarrow RecordBatches.

Design: the raw bytes of each file are decompressed (:mod:`awsip.flowlogs.decompress`: isal in
a thread, zlib where isal is missing; chosen by the gzip magic bytes, not the name; after
damage, everything zlib can read comes out first) into one reused buffer of whole lines. The
blocks of all the files form one pipeline: made in file order in the reading thread, parsed in
two workers, counted and emitted in order (:meth:`FlowLogReader._units`); small files of one
format are parsed several at a time and finished each as alone (:func:`_grouped`). Each block
goes to pyarrow's CSV parser in space-delimited mode (fast path, multi-threaded, typed
columns); address columns are checked by the vectorised address parser
(:func:`awsip.addr.columns.invalid_addresses`). A block the fast path rejects (wrong field
count, non-numeric count, bad address, invalid UTF-8) is bisected at line boundaries until the
failing pieces are small (16 KiB), and only those are re-read line by line in Python (exact
path), so every bad line is reported with its file and line number and every good one is kept.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from ..addr import parse_address
from ..errors import FlowLogError, InvalidAddressError, UsageError
from ..pipeline import ordered_map
from .decompress import GzipDamage, open_gzip
from .fields import ADDRESS_COLUMNS, FIELDS, Kind, arrow_type
from .formats import DEFAULT, header_fields, is_cloudwatch_line, parse_format
from .insights import insights_text
from .options import ReaderOptions, reader_options
from .parquet import parquet_tables
from .paths import SkippedPath, SourceFile, expand
from .s3 import ListingStats
from .tags import decode_tag_columns
from .values import DIGITS, MILLISECONDS_FROM, bad_times, number_problem, seconds
from .wrapped import JSON_LINES, BadEvent, Messages, WrappedDecoder, extra_array, sniff_json

if TYPE_CHECKING:
    import os

    import pyarrow as pa

_BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark
BLOCK_SIZE = 8 << 20  # bytes of decompressed text parsed at a time
EXACT_BYTES = 16 << 10  # a failing range this small goes line by line
SMALL_FILE_BYTES = 2 << 20  # a file whose text is one block this small is parsed with others
GROUP_BYTES = BLOCK_SIZE  # up to this much of small files' text parsed in one call
MAX_SKIPPED_KEPT = 20


@dataclass(frozen=True)
class SkippedLine:
    """A line that was not read as a record: where it is and why."""

    file: str
    line: int
    reason: str
    text: str


@dataclass
class FlowLogStats:
    """Counts kept while reading. ``records`` includes NODATA/SKIPDATA/INCOMPLETEDATA rows
    (they are in the output with their ``log_status``); ``skipped`` lines are not in the
    output."""

    records: int = 0
    skipped: int = 0
    nodata: int = 0
    skipdata: int = 0
    #: INCOMPLETEDATA rows (Cloud WAN flow logs: a flow not correlated end to end)
    incomplete: int = 0
    #: records read but left out because their start is outside ``since``/``until``
    outside_window: int = 0
    files: int = 0
    bytes_read: int = 0
    skipped_lines: list[SkippedLine] = field(default_factory=list)
    nodata_span: tuple[datetime, datetime] | None = None
    skipdata_span: tuple[datetime, datetime] | None = None
    incomplete_span: tuple[datetime, datetime] | None = None
    ignored_columns: list[str] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)
    repeated_headers: int = 0
    #: text lines read, of every kind: for each file, ``lines == header_lines + blank_lines +
    #: skipped + records + outside_window`` (Parquet rows and Insights results count as lines)
    lines: int = 0
    #: S3 header lines (``version account-id ...``), the first of a file and repeated ones
    header_lines: int = 0
    #: empty lines, or lines of only spaces and tabs: not records
    blank_lines: int = 0
    #: entries of directories and globs not read (FIFOs, broken links, unreadable folders)
    skipped_paths: list[SkippedPath] = field(default_factory=list)
    #: ``s3://`` listing: prefixes and objects listed, skipped by date/account/region, kept
    listing: ListingStats = field(default_factory=ListingStats)
    #: start/end values read as milliseconds and turned into seconds (see flowlogs/values.py)
    millisecond_times: int = 0
    #: CloudWatch Logs subscription payloads that are not DATA_MESSAGE (CONTROL_MESSAGE): not
    #: read, and not lines (see flowlogs/wrapped.py)
    control_messages: int = 0

    def add(self, other: FlowLogStats) -> None:
        """Add the counts of ``other`` (read after these): numbers added, spans widened, lists
        joined (skipped lines kept up to the limit, field names once each), ``listing``
        counts added; what one reader reading both inputs in this order would count."""
        import dataclasses

        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if theirs is None or isinstance(theirs, bool):
                continue
            if isinstance(theirs, (int, float)):
                setattr(self, f.name, mine + theirs)
            elif isinstance(theirs, tuple):
                setattr(self, f.name, theirs if mine is None else
                        (min(mine[0], theirs[0]), max(mine[1], theirs[1])))
            elif f.name == "skipped_lines":
                mine.extend(theirs[:max(0, MAX_SKIPPED_KEPT - len(mine))])
            elif f.name in ("unknown_fields", "ignored_columns"):
                mine.extend(v for v in theirs if v not in mine)
            elif isinstance(theirs, list):
                mine.extend(theirs)
            elif isinstance(theirs, ListingStats):
                mine.add(theirs)

    def _skip(self, file: str, line: int, reason: str, text: bytes | str) -> None:
        self.skipped += 1
        if len(self.skipped_lines) < MAX_SKIPPED_KEPT:
            t = text if isinstance(text, str) else text[:200].decode("utf-8", "replace")
            self.skipped_lines.append(SkippedLine(file, line, reason, t[:200]))


def _seconds(scalar: Any) -> datetime | None:
    """A timestamp scalar as an aware UTC datetime (via int64: no pandas import)."""
    import pyarrow as pa

    v = scalar.cast(pa.int64()).as_py()
    if v is None:
        return None
    try:
        return datetime.fromtimestamp(v, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):  # past year 9999 (tables given directly)
        return None


def _widen(span: tuple[datetime, datetime] | None, lo: Any, hi: Any) -> Any:
    if lo is None or hi is None:
        return span
    if span is None:
        return (lo, hi)
    return (min(span[0], lo), max(span[1], hi))


class _Counting:
    """A binary reader that counts the raw bytes read (for progress and error offsets)."""

    def __init__(self, raw: Any, head: bytes = b"") -> None:
        self.raw = raw
        self.head = head
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        whole = n is None or n < 0
        if self.head:
            take = self.head if whole else self.head[:n]
            self.head = b"" if whole else self.head[n:]
            more = n - len(take) if not whole else -1
            data: bytes = take + (bytes(self.raw.read(more)) if whole or more > 0 else b"")
        else:
            data = bytes(self.raw.read(n) if not whole else self.raw.read())
        self.pos += len(data)
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Parsed:
    """A block's records, and how many of its times were in milliseconds (converted)."""

    table: pa.Table
    millisecond_times: int


class _Parser:
    """Parses blocks of whole lines of one text format into typed tables.

    The line rule, the same on the fast path and line by line (so whether a line is read
    depends on that line and the header in force, never on its neighbours): fields are
    separated by runs of spaces and tabs, and spaces/tabs at the start or end of a line are
    ignored; a UTF-8 byte-order mark at the start of a line is removed (``cat`` of files that
    have one); a line ends with LF, a CR just before the LF belongs to the line end, and any
    other CR makes the line invalid; numbers and times follow :mod:`awsip.flowlogs.values`; an
    address field is ``-`` or an IPv4/IPv6 address by the one rule
    (:func:`awsip.addr.columns.invalid_addresses`, what ``awsip.classify`` calls valid); text
    fields must be UTF-8.
    Blank lines are not records (counted in ``FlowLogStats.blank_lines``).
    """

    def __init__(self, fields: tuple[str, ...], cloudwatch: bool, threads: bool,
                 wanted: frozenset[str] | None = None) -> None:
        import pyarrow as pa

        self.fields = fields
        self.cloudwatch = cloudwatch
        self.columns = [f.replace("-", "_") for f in fields]
        self.kinds: list[Kind] = [FIELDS[f].kind if f in FIELDS else "string" for f in fields]
        names = (["__cw_timestamp"] if cloudwatch else []) + self.columns
        # The columns converted (and checked): all, or the wanted ones present in this format.
        # None wanted still converts one, dropped after.
        read = [c for c in self.columns if wanted is None or c in wanted]
        self.none_wanted = not read
        self.read = read or self.columns[:1]
        kind_of = dict(zip(self.columns, self.kinds, strict=True))
        self._csv_options(names, threads)
        self.ts_type = pa.timestamp("s", tz="UTC")
        self._positions(names, kind_of)
        self.ntok = len(names)
        self.header: list[bytes] | None = None  # the header's fields, skipped where repeated

    def _csv_options(self, names: list[str], threads: bool) -> None:
        """pyarrow's CSV options for this format: space-delimited, no quoting, ``-`` is null;
        every column as text (numbers are checked by the line rule, then cast: Arrow's own
        integer parser also takes ``-5``, ``0x10`` and a leading tab), the columns not read as
        unchecked bytes (only seen to be non-empty: an empty one is a doubled space); serial as
        a fallback."""
        import pyarrow as pa
        from pyarrow import csv

        self.read_options = csv.ReadOptions(
            column_names=names, use_threads=threads, block_size=1 << 20
        )
        self.serial_options = csv.ReadOptions(
            column_names=names, use_threads=False, block_size=1 << 20
        )
        self.parse_options = csv.ParseOptions(
            delimiter=" ", quote_char=False, double_quote=False, escape_char=False,
            newlines_in_values=False, ignore_empty_lines=True,
        )
        self.convert_options = csv.ConvertOptions(
            column_types={c: pa.string() if c in self.read else pa.binary() for c in names},
            null_values=["-"], strings_can_be_null=True, check_utf8=True,
        )

    def _positions(self, names: list[str], kind_of: dict[str, Kind]) -> None:
        """Where the checked columns are: in a parsed table (for :meth:`fast`) and among a
        line's fields (for :meth:`check_line`)."""
        read = set(self.read)
        self.addr_idx = [i for i, c in enumerate(names) if c in read and c in ADDRESS_COLUMNS]
        self.num_idx = [(i, kind_of[c]) for i, c in enumerate(names)
                        if c in read and kind_of[c] != "string"]
        # text seen to be non-empty (an empty field is a doubled space); an address column
        # read is checked as an address, which an empty field is not
        self.text_idx = [i for i, c in enumerate(names) if c not in read or (
            kind_of.get(c) == "string" and c not in ADDRESS_COLUMNS)]
        self.read_idx = [names.index(c) for c in self.read]
        position = {c: i for i, c in enumerate(self.columns)}
        self.num_tok = [(position[c], kind_of[c]) for c in self.read if kind_of[c] != "string"]
        self.addr_tok = [position[c] for c in self.read if c in ADDRESS_COLUMNS]
        self.str_tok = [position[c] for c in self.read if kind_of[c] == "string"]

    def fast(self, block: Any, respace: bool = True) -> Parsed | None:
        """Parse ``block`` (whole lines); None if it holds any line the fast path cannot take
        (the line rule then decides line by line). ``respace``: when the plain try fails,
        look for doubled or edge spaces and try again with them made single (the caller
        bisecting a block already looked). Keeps no state: blocks can be parsed at once in
        several threads."""
        if _lone_cr(block):
            return None
        if block.find(b"\t") >= 0 or (block.find(b"\xef") >= 0 and block.find(_BOM) >= 0):
            return self._attempt(_single_spaced(block))
        table = self._attempt(block)
        if table is None and respace and _needs_spacing(block):
            table = self._attempt(_single_spaced(block))
        return table

    def plain(self, buffer: pa.Buffer, respace: bool = True) -> Parsed | None:
        """:meth:`fast` of a block already in Arrow-owned memory that holds no CR, tab or
        byte-order mark (the caller looked): parsed without another copy."""
        parsed = self._read(buffer)
        if parsed is None and respace:
            block = buffer.to_pybytes()
            if _needs_spacing(block):
                return self._attempt(_single_spaced(block))
        return parsed

    def _attempt(self, block: Any) -> Parsed | None:
        import pyarrow as pa

        # Arrow-owned memory, not a view of ours: the multi-threaded reader's threads can let
        # go of the block just after read_csv returns, and releasing a Python object there
        # needs the GIL; if the interpreter is exiting by then, the process aborts ("terminate
        # called without an active exception", seen in ~5% of short runs). The copy costs ~1%.
        if block[:3] == _BOM:  # pyarrow drops a mark at the start of its input: keep it there
            block = b"\n" + bytes(block)  # (an empty line: not a record)
        buffer = pa.allocate_buffer(len(block))
        memoryview(buffer).cast("B")[:] = block
        return self._read(buffer)

    def _read(self, buffer: pa.Buffer) -> Parsed | None:
        import pyarrow as pa
        from pyarrow import csv

        try:
            table = csv.read_csv(
                buffer, read_options=self.read_options,
                parse_options=self.parse_options, convert_options=self.convert_options,
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        except pa.ArrowException:
            # The multi-threaded reader can report a failed conversion as "Unknown error: a
            # chunk failed converting for an unknown reason" (seen once under heavy load, on
            # pyarrow 26); the serial reader gives the real answer.
            try:
                table = csv.read_csv(
                    buffer, read_options=self.serial_options,
                    parse_options=self.parse_options, convert_options=self.convert_options,
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
        return self._typed(table)

    def _typed(self, table: pa.Table) -> Parsed | None:
        """The text columns checked by the line rule and typed (None if a value breaks it)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..addr.columns import invalid_addresses
        from ..arrowutil import int_scalar

        millis = 0
        for i in self.text_idx:
            if not _bytes_in(table.column(i), None, 1, 1 << 30):  # an empty field: two spaces
                return None
        for i in self.addr_idx:
            if invalid_addresses(table.column(i)).any():
                return None
        for i, kind in self.num_idx:
            col = table.column(i)
            if not _bytes_in(col, _DIGIT_BYTES, 1, DIGITS[kind]):
                return None
            try:
                typed = col.cast(pa.int64() if kind == "timestamp" else arrow_type(kind))
            except pa.ArrowInvalid:  # above the type's largest value
                return None
            if kind == "timestamp":
                if _any(bad_times(typed)):
                    return None
                millis += _count(pc.greater_equal(typed, int_scalar(MILLISECONDS_FROM)))
                typed = seconds(typed).cast(self.ts_type)
            table = table.set_column(i, table.column_names[i], typed)
        table = table.select(self.read_idx)
        return Parsed(table.select([]) if self.none_wanted else table, millis)

    def fields_of(self, line: bytes) -> list[bytes]:
        """A line's fields by the line rule (runs of spaces/tabs separate them)."""
        if b"\x0b" in line or b"\x0c" in line or b"\r" in line or b"\n" in line:
            return _FIELD_SEP.split(line.strip(b" \t"))  # those are not separators
        return line.split()  # the same, for a line holding no other ASCII white space

    def check_line(self, line: bytes) -> str | None:
        """Why ``line`` (without its line end) is not a valid record, or None if it is."""
        if b"\r" in line:
            return "a carriage return (CR) inside the line (lines end with LF or CRLF)"
        toks = self.fields_of(line)
        if len(toks) != self.ntok:
            return f"expected {self.ntok} fields, found {len(toks)}"
        if self.cloudwatch:
            toks = toks[1:]
        try:
            for i in self.str_tok:
                toks[i].decode("utf-8")
        except UnicodeDecodeError:
            return "not UTF-8 text"
        for i, kind in self.num_tok:
            problem = number_problem(toks[i], kind, self.columns[i])
            if problem is not None:
                return problem
        for i in self.addr_tok:
            t = toks[i]
            if t != b"-" and not _is_address(t):
                return f"{self.columns[i]} is not an IP address: " \
                       f"{t[:60].decode('utf-8', 'replace')!r}"
        return None


def _is_address(token: bytes) -> bool:
    """Whether a field is an IPv4/IPv6 address by :func:`awsip.addr.parse_address`: the rule of
    :func:`awsip.addr.columns.invalid_addresses` (the fast path) and of ``awsip.classify``."""
    try:
        parse_address(token.decode("utf-8"))
    except (UnicodeDecodeError, InvalidAddressError):
        return False
    return True


_FIELD_SEP = re.compile(rb"[ \t]+")
_LINE_BOM = re.compile(rb"(?m)^\xef\xbb\xbf")
_EDGE_SPACE = re.compile(rb"[ \t]+(?=\r?\n)|(?<=\n)[ \t]+|^[ \t]+")


def _lone_cr(block: Any) -> bool:
    """Whether ``block`` holds a CR that is not part of a CRLF line end."""
    if block.find(b"\r") < 0:
        return False
    return bool(block.count(b"\r") != block.count(b"\r\n"))


def _needs_spacing(block: Any) -> bool:
    """Whether ``block`` has a tab, a doubled space or a space at a line's start or end
    (vectorised: ~8 ms per 8 MiB, where a regular expression takes ten times that)."""
    import numpy as np

    if block.find(b"\t") >= 0:
        return True
    a = np.frombuffer(block, dtype=np.uint8)
    if not a.size:
        return False
    space = a == 0x20
    if space[0] or space[-1]:
        return True
    end = (a == 0x0A) | (a == 0x0D)  # a space next to a line end (LF, or the CR of CRLF)
    return bool((space[1:] & (space[:-1] | end[:-1])).any() or (space[:-1] & end[1:]).any())


def _single_spaced(block: Any) -> bytes:
    """``block`` with every run of spaces/tabs one space and none at a line's start or end
    (what pyarrow's one-character delimiter needs)."""
    return _FIELD_SEP.sub(b" ", _EDGE_SPACE.sub(b"", _LINE_BOM.sub(b"", bytes(block))))


_DIGIT_BYTES = b"0123456789"


def _bytes_in(col: Any, allowed: bytes | None, min_len: int, max_len: int) -> bool:
    """Whether every non-null value of a text column is ``min_len``-``max_len`` bytes long
    and made only of ``allowed`` bytes (:data:`_DIGIT_BYTES`, or any bytes when None).
    Vectorised over the raw Arrow buffers (the digits are checked by the least and greatest
    byte, a few times faster than a table)."""
    import numpy as np
    import pyarrow.compute as pc

    for chunk in getattr(col, "chunks", [col]):
        n = len(chunk)
        if n == 0 or chunk.null_count == n:
            continue
        mm = pc.min_max(pc.binary_length(chunk))
        if mm["min"].as_py() < min_len or mm["max"].as_py() > max_len:
            return False
        if allowed is None:
            continue
        bufs = chunk.buffers()
        offs = np.frombuffer(bufs[1], dtype=np.int32)
        start, end = int(offs[chunk.offset]), int(offs[chunk.offset + n])
        data = np.frombuffer(bufs[2], dtype=np.uint8)[start:end]
        if data.size and (data.min() < 0x30 or data.max() > 0x39):
            return False
    return True


def _count(mask: Any) -> int:
    """How many values of a boolean array are true."""
    import pyarrow.compute as pc

    return int(pc.sum(mask).as_py() or 0)


def _any(mask: Any) -> bool:
    """Whether any value of a boolean array is true (nulls are not)."""
    import pyarrow.compute as pc

    return bool(pc.any(mask).as_py())


class _LineBuffer:
    """The reused buffer behind :meth:`FlowLogReader._blocks`: filled from a stream, emptied a
    block of whole lines at a time, grown only for a line longer than itself. A read error ends
    the stream like EOF and is kept in ``error``; damaged gzip data
    (:class:`~awsip.flowlogs.decompress.GzipDamage`) drops the incomplete line before it,
    is kept in ``damage``, and reading goes on where the stream resumes."""

    def __init__(self, stream: Any, size: int | None = None) -> None:
        #: grows to BLOCK_SIZE when a block fills it (``size``: a guess for a small file)
        self.buf = bytearray(BLOCK_SIZE if size is None else size)
        self.view = memoryview(self.buf)
        self.filled = 0
        self.eof = False
        self.error: Exception | None = None
        #: each damage point met, with the bytes of the incomplete line dropped before it
        self.damage: list[tuple[GzipDamage, int]] = []
        # readinto1: one decompressed piece per call, so an error loses only the broken piece
        self._readinto = getattr(stream, "readinto1", None) or stream.readinto
        #: False: blocks end anywhere, not at a line end (concatenated JSON values: one
        #: "line" can be the whole file)
        self.whole_lines = True

    def next_block(self) -> int | None:
        """The length of the next block (it ends with a newline, added after a last line that
        lacks one), or None when there is no more (or only the broken end of the stream)."""
        if not self.whole_lines:
            self._fill()
            return self.filled or None
        while True:
            self._fill()
            if self.filled == 0:
                return None
            cut = self.buf.rfind(b"\n", 0, self.filled)
            if cut >= 0 or self.eof:
                break
            self._grow(2 * len(self.buf))  # one line longer than the buffer
        if not self.eof and len(self.buf) < BLOCK_SIZE:  # the guess was small: next time more
            self._grow(min(BLOCK_SIZE, 2 * len(self.buf)))
        if cut < 0 or (self.eof and self.error is None and cut + 1 < self.filled):
            if self.error is not None:
                return None
            cut = self._end_last_line()
        return cut + 1

    def peek(self) -> bytes:
        """The start of the stream, not consumed: its first line (up to the buffer's size)
        and at least 64 KiB, when there are that many bytes (to tell the format)."""
        while True:
            self._fill()
            first_end = self.buf.find(b"\n", 0, self.filled)
            if first_end >= 0 or self.eof or len(self.buf) >= 1 << 20:
                break
            self._grow(2 * len(self.buf))  # a first line longer than a small buffer
        return bytes(self.view[:min(self.filled, max(first_end + 1, 65536 + len(_BOM)))])

    def consume(self, end: int) -> None:
        """Drop the block ``[0, end)``, moving what follows it to the front."""
        tail = self.filled - end
        self.buf[:tail] = self.buf[end: self.filled]
        self.filled = tail

    def _fill(self) -> None:
        while self.filled < len(self.buf) and not self.eof:
            try:
                n = self._readinto(self.view[self.filled:])
            except GzipDamage as exc:
                self._cut(exc)
                if exc.resumes:
                    continue
                n = 0
            except (EOFError, OSError, ValueError) as exc:  # a source that fails to read
                self.error, n = exc, 0
            if not n:
                self.eof = True
                break
            self.filled += n

    def _cut(self, damage: GzipDamage) -> None:
        """Drop what follows the last complete line before ``damage`` (and any bytes the
        decompressor gave past zlib's stopping point): that line is incomplete."""
        self.filled -= min(damage.overrun, self.filled)
        keep = self.buf.rfind(b"\n", 0, self.filled) + 1
        self.damage.append((damage, self.filled - keep))
        self.filled = keep

    def _grow(self, size: int) -> None:
        bigger = bytearray(size)
        bigger[:self.filled] = self.view[:self.filled]
        self.buf, self.view = bigger, memoryview(bigger)

    def _end_last_line(self) -> int:
        """Add the newline missing at the end of the data; return its position."""
        if len(self.buf) == self.filled:  # room for the missing final newline
            self._grow(len(self.buf) + 1)
        self.buf[self.filled] = 0x0A
        self.filled += 1
        return self.filled - 1


@dataclass(frozen=True)
class _Piece:
    """A block of a text file copied out of the reused buffer into Arrow-owned memory (so a
    worker can parse it while the next is read): its line count, and whether it is plain (no
    CR, tab or byte-order mark: :meth:`_Parser.plain` takes it as it is)."""

    buffer: pa.Buffer
    lines: int
    plain: bool

    def text(self) -> bytes:
        return self.buffer.to_pybytes()  # type: ignore[no-any-return]


class _Pieces:
    """The blocks of a text file as :class:`_Piece`, the header line (``header`` bytes at the
    start) taken out of the first; the progress bar moved. An error of the stream after its
    last readable block is kept in ``error``, to be raised once the blocks before it are
    out."""

    def __init__(self, blocks: Iterator[memoryview], raw: _Counting, bar: Any) -> None:
        self._blocks, self._raw, self._bar = blocks, raw, bar
        self.header = 0
        self.header_line: bytes | None = None
        self.error: FlowLogError | None = None

    def __iter__(self) -> Iterator[_Piece]:
        import pyarrow as pa

        last_pos = 0
        try:
            for view in self._blocks:
                data: Any = view.obj  # the reused bytearray: the block is data[0:len(view)]
                start, end = 0, len(view)
                if self.header:
                    self.header_line = bytes(view[:self.header]).rstrip(b"\n")
                    bom = len(_BOM) if self.header_line.startswith(_BOM) else 0
                    self.header_line = self.header_line[bom:]
                    start, self.header = self.header, 0
                buffer = pa.allocate_buffer(end - start)
                memoryview(buffer).cast("B")[:] = view[start:]
                plain = (data.find(b"\r", start, end) < 0 and data.find(b"\t", start, end) < 0
                         and data.find(b"\xef", start, end) < 0)
                if self._bar is not None:
                    self._bar.update(self._raw.pos - last_pos)
                    last_pos = self._raw.pos
                yield _Piece(buffer, data.count(b"\n", start, end), plain)
        except FlowLogError as exc:
            self.error = exc


def _buffer_size(size: int | None, head: bytes) -> int:
    """The first line buffer of a file of ``size`` stored bytes: room for a small file's text
    in one block (gzip'd flow logs inflate about 4x: 6x leaves a margin; the buffer grows when
    a block fills it), else :data:`BLOCK_SIZE`; at least 1 MiB."""
    if size is None:
        return BLOCK_SIZE
    text = 6 * size if head.startswith(b"\x1f\x8b") else size + 1
    return min(BLOCK_SIZE, max(1 << 20, text))


def _close(stream: Any, raw_stream: Any, src: SourceFile) -> None:
    """Close a file's decompressing stream (stops isal's thread) and the file itself."""
    if stream is not None and stream is not raw_stream:
        stream.close()
    if raw_stream is not None and src.path != "-":
        raw_stream.close()


class _Unit:
    """A step of reading: made in file order by :meth:`FlowLogReader._units`, parsed in a
    worker thread (:func:`_parse_unit`; only text blocks have work there), then finished in
    order by the reader, which counts and emits its records."""

    def finish(self, reader: FlowLogReader, parsed: Parsed | None) -> Iterator[pa.Table]:
        raise NotImplementedError


@dataclass
class _Start(_Unit):
    """A file begins: it is counted and listed."""

    src: SourceFile

    def finish(self, reader: FlowLogReader, parsed: Parsed | None) -> Iterator[pa.Table]:
        reader.files.append(self.src.path)
        reader.stats.files += 1
        return iter(())


@dataclass
class _Block(_Unit):
    """A text block of a file (``header``: the file's header line, on its first block)."""

    parser: _Parser
    state: _FileState
    piece: _Piece
    header: bytes | None

    def finish(self, reader: FlowLogReader, parsed: Parsed | None) -> Iterator[pa.Table]:
        return reader._block(self, parsed)


@dataclass
class _Done(_Unit):
    """A text file ended: its compressed bytes are counted."""

    raw: _Counting

    def finish(self, reader: FlowLogReader, parsed: Parsed | None) -> Iterator[pa.Table]:
        reader.stats.bytes_read += self.raw.pos
        return iter(())


@dataclass
class _Tables(_Unit):
    """A file read whole in its turn (Parquet, Insights results, JSON-wrapped records)."""

    tables: Iterator[pa.Table]

    def finish(self, reader: FlowLogReader, parsed: Parsed | None) -> Iterator[pa.Table]:
        return self.tables


@dataclass
class _Raise(_Unit):
    """The error that stopped reading, raised in its turn (after the records before it)."""

    error: BaseException

    def finish(self, reader: FlowLogReader, parsed: Parsed | None) -> Iterator[pa.Table]:
        raise self.error


@dataclass
class _Group(_Unit):
    """Small text files of one format, each a single plain block, parsed in one call (a parse
    has a cost per call that dominates a file of a few thousand records) and finished file by
    file, as each alone: its start, its block's records (its rows of the parsed table), its
    end. Each line gives at most one row, so a table with a row per line gives each file its
    own; when the call refuses the text, or an empty line gave no row, each file's block is
    parsed alone in its turn (the bisection finds the bad lines, blank lines are counted)."""

    files: list[tuple[_Start, _Block, _Done]]

    def finish(self, reader: FlowLogReader, parsed: Parsed | None) -> Iterator[pa.Table]:
        lines = sum(block.piece.lines for _, block, _ in self.files)
        if parsed is not None and parsed.table.num_rows != lines:
            parsed = None  # an empty line somewhere: which file's is not known
        offset, millis = 0, 0 if parsed is None else parsed.millisecond_times
        for start, block, done in self.files:
            yield from start.finish(reader, None)
            if parsed is None:
                yield from block.finish(reader, _parse_unit(block))
            else:
                count = block.piece.lines
                part = Parsed(parsed.table.slice(offset, count), millis)
                offset, millis = offset + count, 0  # the count is the reader's, not a file's
                yield from block.finish(reader, part)
            yield from done.finish(reader, None)

    def buffer(self) -> pa.Buffer:
        """The files' text, one after the other, in one Arrow buffer."""
        import pyarrow as pa

        pieces = [block.piece.buffer for _, block, _ in self.files]
        out = pa.allocate_buffer(sum(p.size for p in pieces))
        view, at = memoryview(out).cast("B"), 0
        for p in pieces:
            view[at:at + p.size] = memoryview(p).cast("B")
            at += p.size
        return out


def _groupable(block: _Block) -> bool:
    return block.piece.plain and block.piece.buffer.size <= SMALL_FILE_BYTES


def _grouped(units: Iterator[_Unit]) -> Iterator[_Unit]:
    """``units`` with runs of small text files of one format (start, one groupable block,
    end) made :class:`_Group` units of up to :data:`GROUP_BYTES` of text; every other unit
    passes in its order."""
    held: list[_Unit] = []  # a file's units while it may still be a small one
    group: list[tuple[_Start, _Block, _Done]] = []
    size = 0

    def flush() -> Iterator[_Unit]:
        nonlocal group, size
        if len(group) == 1:
            yield from group[0]
        elif group:
            yield _Group(group)
        group, size = [], 0

    for unit in units:
        held.append(unit)
        n = len(held)
        if (n == 1 and isinstance(unit, _Start)) or (
                n == 2 and isinstance(unit, _Block) and _groupable(unit)):
            continue
        if n == 3 and isinstance(unit, _Done):
            start, block = cast(_Start, held[0]), cast(_Block, held[1])
            nbytes = block.piece.buffer.size
            if group and (size + nbytes > GROUP_BYTES or _format_of(group[0][1]) !=
                          _format_of(block)):
                yield from flush()
            group.append((start, block, unit))
            size += nbytes
            held = []
            continue
        yield from flush()
        yield from held
        held = []
    yield from flush()
    yield from held


def _format_of(block: _Block) -> tuple[tuple[str, ...], bool]:
    return block.parser.fields, block.parser.cloudwatch


def _is_block(unit: _Unit) -> bool:
    """Whether a unit has work for a worker thread (text to parse)."""
    return isinstance(unit, (_Block, _Group))


def _parse_unit(unit: _Unit) -> Parsed | None:
    """A worker's part: a text block (or a group of small files' blocks, by the first's
    parser: they share a format) parsed by the fast path (None: the bisection decides, in
    the block's turn); nothing for other units."""
    if isinstance(unit, _Group):
        return unit.files[0][1].parser.plain(unit.buffer(), respace=False)
    if not isinstance(unit, _Block):
        return None
    piece = unit.piece
    return unit.parser.plain(piece.buffer) if piece.plain else unit.parser.fast(piece.text())


def _damage_text(damage: GzipDamage, dropped: int) -> str:
    """One damage point of a gzip file, for the error message."""
    text = f"compressed data is truncated or corrupt at byte {damage.offset} ({damage.detail})"
    if dropped:
        text += f", an incomplete line of {dropped} bytes before it was not read"
    if damage.resumes:
        text += ", reading went on at the next gzip member"
    return text


@dataclass
class _FileState:
    path: str
    line: int = 0  # lines consumed before the current block


class FlowLogReader:
    """Iterates pyarrow RecordBatches of flow-log records from one or more sources.

    Each batch's schema metadata holds ``awsip.file`` (the file it came from). ``stats`` is
    updated as batches are produced; ``files`` lists the files read so far.
    """

    def __init__(
        self,
        sources: list[SourceFile],
        options: ReaderOptions | None = None,
        *,
        columns: Iterable[str] | None = None,
    ) -> None:
        self._sources = sources
        self.options = options = options or ReaderOptions()
        #: the only columns produced (canonical names), or None for all; a time window also
        #: reads ``start``
        self.columns = None if columns is None else frozenset(
            c.replace("-", "_") for c in columns) | ({"start"} if options.window else set())
        log_format = options.log_format
        self._format = parse_format(log_format) if log_format is not None else None
        self.strict = options.strict
        self.progress = sys.stderr.isatty() if options.progress is None else options.progress
        self.use_threads = options.use_threads
        self.stats = FlowLogStats()
        self.files: list[str] = []
        self._started = False

    # ------------------------------------------------------------------ public API

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for table in self.tables():
            for batch in table.to_batches():
                if batch.num_rows:
                    yield batch

    def tables(self) -> Iterator[pa.Table]:
        """The same records as iterating the reader, one Table per parsed block (up to 8 MiB
        of text, some 75,000 records; a Parquet file gives one per 65,536 rows), with
        ``awsip.file`` in the schema metadata. Fewer, bigger pieces than the batches, for
        consumers with a cost per call (:func:`awsip.summarize` and :func:`awsip.report` use
        it). Like iterating, this can be done only once per reader."""
        if self._started:
            raise FlowLogError("a FlowLogReader can be iterated only once")
        self._started = True
        bar = None
        if self.progress:
            from tqdm import tqdm

            sizes = [s.size for s in self._sources]
            total = sum(s for s in sizes if s) if all(sizes) else None
            bar = tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr,
                       desc="flow logs", leave=False)
        workers = 2 if self.use_threads else 1  # the next blocks parsed while this one is
        try:
            for unit, parsed in ordered_map(_parse_unit, _grouped(self._units(bar)),
                                            workers=workers, heavy=_is_block):
                yield from unit.finish(self, parsed)
        finally:
            if bar is not None:
                bar.close()

    def _units(self, bar: Any) -> Iterator[_Unit]:
        """Every file's units in order (made in this thread, a few ahead of the one being
        finished: the next file is opened and decompressed while this one's last block is
        parsed, so many small files keep both cores busy as one big file does). An error is
        a unit too, finished (raised) after the units before it; nothing is made after it."""
        try:
            for src in self._sources:
                yield _Start(src)
                yield from self._file_units(src, bar)
        except Exception as exc:  # raised by its unit, in order
            yield _Raise(exc)

    def read_all(self) -> pa.Table:
        """Everything as one Table (files with different formats: columns unified, missing
        values null)."""
        import pyarrow as pa

        tables = [pa.Table.from_batches([b]) for b in self]
        if not tables:
            empty = _empty_table(self._format or DEFAULT)
            return empty if self.columns is None else empty.select(
                [c for c in empty.column_names if c in self.columns])
        if all(t.schema.equals(tables[0].schema) for t in tables):
            return pa.Table.from_batches(
                [b for t in tables for b in t.to_batches()], schema=tables[0].schema
            ).replace_schema_metadata(None)
        unified = [t.replace_schema_metadata(None) for t in tables]
        return pa.concat_tables(unified, promote_options="permissive")

    # ------------------------------------------------------------------ per file

    def _emit(self, table: pa.Table, path: str) -> Iterator[pa.Table]:
        table = account(table, self.stats, self.options)
        if table.num_rows and self.options.decode_tags:
            table = decode_tag_columns(table)  # every path (text, Parquet, Insights) ends here
        if table.num_rows:
            yield table.replace_schema_metadata({b"awsip.file": path.encode()})

    def _bad(self, path: str, line: int, reason: str, text: bytes | str) -> None:
        if self.strict:
            shown = text if isinstance(text, str) else text[:200].decode("utf-8", "replace")
            raise FlowLogError(f"{path}, line {line}: {reason} (line: {shown[:200]!r})")
        self.stats._skip(path, line, reason, text)

    def _file_units(self, src: SourceFile, bar: Any) -> Iterator[_Unit]:
        """One file's units: its text blocks, or its Parquet, Insights or JSON-wrapped
        records read as one unit (when its turn comes)."""
        raw_stream: Any
        try:
            raw_stream = src.opener()
        except OSError as exc:
            raise FlowLogError(f"cannot open {src.path}: {exc}") from exc
        stream: Any = None
        try:
            try:
                head = bytes(raw_stream.read(4) or b"")
            except OSError as exc:
                raise FlowLogError(f"cannot read {src.path}: {exc}") from exc
            if head.startswith(b"PAR1"):
                parquet, raw_stream = raw_stream, None  # the unit closes it
                yield _Tables(self._parquet_file(src, parquet, head, bar))
                return
            raw = _Counting(raw_stream, head)
            stream = open_gzip(raw, reopen=src.opener if src.path != "-" else None) \
                if head.startswith(b"\x1f\x8b") else raw
            lines = _LineBuffer(stream, _buffer_size(src.size, head))
            kind, payload, bom = self._text_kind(lines)
            if kind == "gzip":  # gzip inside gzip: Firehose's GZIP over CloudWatch Logs' own
                inner = open_gzip(_Counting(stream, bytes(lines.view[:lines.filled])))
                nested = (inner, stream, raw_stream)
                stream = raw_stream = None  # the unit closes them
                yield _Tables(self._nested_file(src, nested, raw, bar))
            elif kind != "text":
                owned = (stream, raw_stream)
                stream = raw_stream = None
                yield _Tables(self._other_file(src, kind, lines, bom, raw, owned, bar))
            else:
                yield from self._text_units(src, lines, payload, bom, raw, bar)
        finally:  # (stops isal's decompression thread if we stopped early)
            _close(stream, raw_stream, src)

    def _parquet_file(self, src: SourceFile, raw_stream: Any, head: bytes,
                      bar: Any) -> Iterator[pa.Table]:
        try:
            yield from self._read_parquet(src, raw_stream, head)
            if bar is not None and src.size:
                bar.update(src.size)
        finally:
            if src.path != "-":
                raw_stream.close()

    def _nested_file(self, src: SourceFile, owned: tuple[Any, Any, Any], raw: _Counting,
                     bar: Any) -> Iterator[pa.Table]:
        """A gzip file inside a gzip file, read whole in its turn (its units in this thread)."""
        inner, stream, raw_stream = owned
        try:
            yield from self._inner_file(src, inner, raw, bar)
        finally:
            inner.close()
            _close(stream, raw_stream, src)

    def _inner_file(self, src: SourceFile, stream: Any, raw: _Counting,
                    bar: Any) -> Iterator[pa.Table]:
        """The decompressed content of a gzip file inside another, as its start tells: text,
        Insights or JSON-wrapped records, or gzip again (read the same way)."""
        lines = _LineBuffer(stream)
        kind, payload, bom = self._text_kind(lines)
        if kind == "gzip":
            deeper = open_gzip(_Counting(stream, bytes(lines.view[:lines.filled])))
            try:
                yield from self._inner_file(src, deeper, raw, bar)
            finally:
                deeper.close()
        elif kind == "text":
            for unit in self._text_units(src, lines, payload, bom, raw, bar):
                yield from unit.finish(self, _parse_unit(unit))
        else:
            yield from self._other_file(src, kind, lines, bom, raw, None, bar)

    def _other_file(self, src: SourceFile, kind: str, lines: _LineBuffer, bom: int,
                    raw: _Counting, owned: tuple[Any, Any] | None,
                    bar: Any) -> Iterator[pa.Table]:
        """Logs Insights results or JSON-wrapped records, read in their turn (then the
        ``owned`` streams closed)."""
        try:
            lines.whole_lines = kind == JSON_LINES  # the others: blocks cut anywhere
            yield from self._read_other(src, kind, self._blocks(src, raw, lines), bom, raw, bar)
        finally:
            if owned is not None:
                _close(owned[0], owned[1], src)

    def _text_kind(self, lines: _LineBuffer) -> tuple[str, Any, int]:
        """What the stream behind ``lines`` holds, from its start: ``gzip`` (compressed
        again), ``text`` (with its fields, header length and CloudWatch prefix), or the kind
        of Insights or JSON data; and the length of a byte-order mark before it."""
        head = lines.peek()
        if head.startswith(b"\x1f\x8b"):
            return "gzip", None, 0
        # a byte-order mark before the first line is looked past to tell the format; the
        # line rule removes it from a first line that is not a header
        bom = len(_BOM) if head.startswith(_BOM) else 0
        first_end = head.find(b"\n", bom)
        kind, payload = self._sniff(head[bom:max(first_end + 1, bom + 65536)])
        return kind, payload, bom

    def _blocks(self, src: SourceFile, raw: _Counting,
                lines: _LineBuffer) -> Iterator[memoryview]:
        """Blocks of whole lines, as views of one reused buffer (each view is valid until the
        next one is produced; a flat memory profile needs no per-block allocation). Raises
        FlowLogError after the last readable block when the data is truncated or corrupt."""
        while (end := lines.next_block()) is not None:
            yield lines.view[:end]
            lines.consume(end)
            if lines.eof and (lines.error is not None or lines.filled == 0):
                break
        if lines.damage:
            raise FlowLogError(f"{src.path}: " + "; ".join(
                _damage_text(d, dropped) for d, dropped in lines.damage)
                + "; every complete line zlib could read was produced")
        if lines.error is not None:
            tail_note = (f"; an incomplete last line of {lines.filled} bytes was not read"
                         if lines.filled else "")
            raise FlowLogError(
                f"{src.path}: could not be read past byte {raw.pos} "
                f"({type(lines.error).__name__}: {lines.error}); the records before that "
                f"point were produced{tail_note}"
            )

    def _text_units(self, src: SourceFile, lines: _LineBuffer, payload: Any, bom: int,
                    raw: _Counting, bar: Any) -> Iterator[_Unit]:
        """A text file's blocks as units (the header line taken out of the first), then its
        end (bytes read) or the error that stopped it."""
        fields, header_len, cloudwatch = payload
        parser = self._text_parser(fields, cloudwatch)
        state = _FileState(src.path)
        pieces = _Pieces(self._blocks(src, raw, lines), raw, bar)
        if header_len:  # the first block's first line
            pieces.header = bom + header_len
        for piece in pieces:
            header, pieces.header_line = pieces.header_line, None
            yield _Block(parser, state, piece, header)
        yield _Raise(pieces.error) if pieces.error is not None else _Done(raw)

    def _block(self, block: _Block, parsed: Parsed | None) -> Iterator[pa.Table]:
        """A text block's records, in its file's turn: fast-path ones as parsed, else those
        the bisection and the line rule keep."""
        parser, state, count = block.parser, block.state, block.piece.lines
        if block.header is not None:
            header = block.header
            parser.header = parser.fields_of(header[:-1] if header.endswith(b"\r") else header)
            state.line = 1
            self.stats.lines += 1
            self.stats.header_lines += 1
        self.stats.lines += count
        if parsed is not None:
            yield from self._emit(self._counted(parsed, count), state.path)
        else:  # the lines the fast path could not take, found by bisecting
            text = block.piece.text()
            for table in self._bisect(parser, text, 0, len(text), state.path, state.line,
                                      count, _needs_spacing(text)):
                yield from self._emit(table, state.path)
        state.line += count

    def _text_parser(self, fields: tuple[str, ...], cloudwatch: bool) -> _Parser:
        """The parser of a file's lines (its fields not in the catalogue noted in stats)."""
        self.stats.unknown_fields.extend(
            f for f in fields if f not in FIELDS and f not in self.stats.unknown_fields
        )
        return _Parser(fields, cloudwatch, self.use_threads, self.columns)

    def _read_other(self, src: SourceFile, kind: str, blocks: Iterator[memoryview], bom: int,
                    raw: _Counting, bar: Any) -> Iterator[pa.Table]:
        """Logs Insights results (read whole: they are one document) or JSON-wrapped records
        (streamed); ``bom`` bytes of the first block are a byte-order mark."""
        if kind in ("insights-json", "insights-csv"):
            whole = b"".join(bytes(v[bom:] if i == 0 else v) for i, v in enumerate(blocks))
            self.stats.bytes_read += raw.pos
            yield from self._read_insights(src, whole, kind == "insights-json")
            return
        from ..pipeline import prefetch

        decoder = WrappedDecoder(src.path, kind)
        wrapped = _WrappedFile(_FileState(src.path))
        try:  # JSON decoded in a thread while Arrow parses the lines decoded before
            for item in prefetch(_decoded(decoder, blocks, bom, raw, bar)):
                yield from self._wrapped_item(wrapped, item)
        finally:
            self.stats.control_messages += decoder.control_messages
        self.stats.bytes_read += raw.pos

    def _sniff(self, block: bytes) -> tuple[str, Any]:
        first_end = block.find(b"\n")
        first = block[: first_end if first_end >= 0 else len(block)].rstrip(b"\r")
        lead = block.lstrip()  # JSON may start after blank lines
        if lead.startswith((b"[", b"{")):
            return sniff_json(lead) or "insights-json", None
        hdr = header_fields(first)
        if hdr is not None:
            return "text", (hdr, first_end + 1 if first_end >= 0 else len(block), False)
        if b"," in first and b" " not in first.strip():
            return "insights-csv", None
        fields = self._format or DEFAULT
        # CloudWatch Logs export: first non-empty line starts with an ISO-8601 timestamp
        for line in block[:65536].split(b"\n"):
            if line.strip():
                return "text", (fields, 0, is_cloudwatch_line(line.strip(b" \t")))
        return "text", (fields, 0, False)

    def _parse_block(
        self, parser: _Parser, data: Any, start: int, end: int, state: _FileState
    ) -> Iterator[pa.Table]:
        """Parse the lines in ``data[start:end]`` (bytes or bytearray) and emit them."""
        lines = data.count(b"\n", start, end)
        self.stats.lines += lines
        for table in self._parse_range(parser, data, start, end, state.path, state.line, lines,
                                       respace=True):
            yield from self._emit(table, state.path)
        state.line += lines

    def _counted(self, parsed: Parsed, lines: int) -> pa.Table:
        """A fast-path table of ``lines`` lines, its blank lines and millisecond times
        counted."""
        self.stats.blank_lines += lines - parsed.table.num_rows
        self.stats.millisecond_times += parsed.millisecond_times
        return parsed.table

    def _parse_range(
        self, parser: _Parser, data: Any, start: int, end: int, path: str, line0: int,
        lines: int, respace: bool = False,
    ) -> Iterator[pa.Table]:
        """Fast path on the whole range of ``lines`` lines; if it fails, bisect at a line
        boundary so only the small pieces that hold bad lines go through the exact (per-line
        Python) path. Doubled spaces are looked for in the whole block only (``respace``):
        a piece of a block without them has none."""
        piece = bytes(memoryview(data)[start:end])
        parsed = parser.fast(piece, respace)
        if parsed is not None:
            yield self._counted(parsed, lines)
            return
        yield from self._bisect(parser, data, start, end, path, line0, lines,
                                respace and _needs_spacing(piece))

    def _bisect(
        self, parser: _Parser, data: Any, start: int, end: int, path: str, line0: int,
        lines: int, respace: bool,
    ) -> Iterator[pa.Table]:
        """The range the fast path refused, in two halves at a line boundary (each tried
        fast again), down to small pieces read line by line (:meth:`_exact`)."""
        mid = data.find(b"\n", (start + end) // 2, end) if end - start > EXACT_BYTES else -1
        if mid < 0 or mid + 1 >= end:
            exact = self._exact(parser, bytes(data[start:end]), path, line0)
            if exact is not None:
                yield exact
            return
        left = data.count(b"\n", start, mid + 1)
        yield from self._parse_range(parser, data, start, mid + 1, path, line0, left, respace)
        yield from self._parse_range(parser, data, mid + 1, end, path, line0 + left,
                                     lines - left, respace)

    def _exact(self, parser: _Parser, block: bytes, path: str, line0: int) -> pa.Table | None:
        """Line-by-line path for lines holding bad ones: report each, parse the rest."""
        good: list[bytes] = []
        lines = block.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()  # the block ends with a line end
        for i, line in enumerate(lines):
            if line.endswith(b"\r"):
                line = line[:-1]  # CRLF
            if line.startswith(_BOM):
                line = line[len(_BOM):]
            if not line.strip(b" \t"):
                self.stats.blank_lines += 1
            elif parser.header is not None and self._is_header(parser, line):
                self.stats.repeated_headers += 1  # files concatenated with their header lines
                self.stats.header_lines += 1
            elif (reason := parser.check_line(line)) is None:
                good.append(line)
            else:
                self._bad(path, line0 + i + 1, reason, line)
        if not good:
            return None
        parsed = parser.fast(b"\n".join(good) + b"\n")
        if parsed is None or parsed.table.num_rows != len(good):
            raise FlowLogError(  # pragma: no cover - check_line accepts only what fast() takes
                f"{path}, lines {line0 + 1}-{line0 + len(lines)}: internal error: lines the "
                "line rule accepts were not parsed; please report this with the file")
        self.stats.millisecond_times += parsed.millisecond_times
        return parsed.table

    @staticmethod
    def _is_header(parser: _Parser, line: bytes) -> bool:
        return parser.fields_of(line) == parser.header

    # ------------------------------------------------------------------ Parquet

    def _read_parquet(self, src: SourceFile, raw_stream: Any, head: bytes) -> Iterator[Any]:
        for table in parquet_tables(src, raw_stream, head, self.stats, self._bad):
            if self.columns is not None:
                table = table.select([c for c in table.column_names if c in self.columns])
            yield from self._emit(table, src.path)

    # ------------------------------------------------------------------ Logs Insights

    def _read_insights(self, src: SourceFile, data: bytes, is_json: bool) -> Iterator[Any]:
        text = insights_text(src.path, data, is_json, self._format or DEFAULT)
        self.stats.ignored_columns.extend(
            c for c in text.ignored_columns if c not in self.stats.ignored_columns)
        parser = _Parser(text.fields, text.cloudwatch, self.use_threads, self.columns)
        yield from self._parse_block(parser, text.block, 0, len(text.block),
                                     _FileState(src.path, 1))

    # ------------------------------------------------------------------ JSON-wrapped

    def _wrapped_item(self, wrapped: _WrappedFile, item: Messages | BadEvent) -> Iterator[Any]:
        """One item of :class:`~awsip.flowlogs.wrapped.WrappedDecoder`: a bad event skipped
        (one line), or log events parsed as lines with their extra columns."""
        state = wrapped.state
        if isinstance(item, BadEvent):
            state.line += 1
            self.stats.lines += 1
            self._bad(state.path, state.line, item.reason, item.text)
            return
        block, count, extras = item.block, item.count, item.extras
        if wrapped.parser is None:
            first = block[:block.find(b"\n")].rstrip(b"\r")
            first = first[len(_BOM):] if first.startswith(_BOM) else first
            hdr = header_fields(first)
            wrapped.parser = self._text_parser(hdr or self._format or DEFAULT, False)
            if hdr is not None:  # the first message is a header line: the format
                wrapped.parser.header = wrapped.parser.fields_of(first)
                block = block[block.find(b"\n") + 1:]
                count -= 1
                extras = {c: v[1:] for c, v in extras.items()}
                state.line += 1
                self.stats.lines += 1
                self.stats.header_lines += 1
        yield from self._wrapped_tables(wrapped.parser, block, count, extras, state)

    def _wrapped_tables(self, parser: _Parser, block: bytes, count: int,
                        extras: dict[str, list[Any]], state: _FileState) -> Iterator[Any]:
        """``count`` lines parsed as any text lines are, then each record given its event's
        extra columns (which lines became records: all, or those the line rule keeps)."""
        if not count:
            return
        self.stats.lines += count
        tables, kept = self._wrapped_parse(parser, block, count, state)
        if kept is not None and len(kept) != sum(t.num_rows for t in tables):
            raise FlowLogError(  # pragma: no cover - the line rule decides both
                f"{state.path}, lines {state.line + 1}-{state.line + count}: internal error: "
                "records and log events do not line up; please report this with the file")
        columns = _extra_arrays(
            {c: v for c, v in extras.items() if self.columns is None or c in self.columns},
            kept)
        offset = 0
        for table in tables:
            n = table.num_rows
            for name, values in columns.items():
                table = table.append_column(name, values.slice(offset, n))
            offset += n
            yield from self._emit(table, state.path)
        state.line += count

    def _wrapped_parse(self, parser: _Parser, block: bytes, count: int,
                       state: _FileState) -> tuple[list[pa.Table], list[int] | None]:
        """The tables of ``count`` lines, and which lines (from 0) they hold: None for all;
        else the lines not skipped when only skipped lines are missing (the skips are
        recorded as they are reported), or the line rule's verdict line by line."""
        before = (self.stats.blank_lines, self.stats.repeated_headers)
        skipped: list[int] = []
        report = self._bad

        def record(path: str, line: int, reason: str, text: bytes | str) -> None:
            skipped.append(line - state.line - 1)
            report(path, line, reason, text)

        self._bad = record  # type: ignore[method-assign]  # this block's skips, seen
        try:
            tables = list(self._parse_range(parser, block, 0, len(block), state.path,
                                            state.line, count, respace=True))
        finally:
            del self._bad  # the method again
        rows = sum(t.num_rows for t in tables)
        if rows == count:
            return tables, None
        if before == (self.stats.blank_lines, self.stats.repeated_headers) and \
                rows + len(skipped) == count:
            gone = set(skipped)
            return tables, [i for i in range(count) if i not in gone]
        return tables, _kept_lines(parser, block)


def _decoded(decoder: WrappedDecoder, blocks: Iterator[memoryview], bom: int, raw: _Counting,
             bar: Any) -> Iterator[Messages | BadEvent]:
    """The items of a JSON-wrapped file's blocks (the first one's ``bom`` bytes skipped)."""
    last_pos = 0
    for i, view in enumerate(blocks):
        yield from decoder.feed(bytes(view[bom:] if i == 0 else view))
        if bar is not None:
            bar.update(raw.pos - last_pos)
            last_pos = raw.pos
    yield from decoder.feed(b"", final=True)


@dataclass
class _WrappedFile:
    """A JSON-wrapped file being read: where it is, and the parser of its messages (made when
    the first one is seen: it may be a header)."""

    state: _FileState
    parser: _Parser | None = None


def _kept_lines(parser: _Parser, block: bytes) -> list[int]:
    """Which lines of ``block`` the parser makes records (numbered from 0), by the rule of
    :meth:`FlowLogReader._exact`: not blank, not a repeated header, valid."""
    kept = []
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for i, line in enumerate(lines):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.startswith(_BOM):
            line = line[len(_BOM):]
        if not line.strip(b" \t"):
            continue
        if parser.header is not None and FlowLogReader._is_header(parser, line):
            continue
        if parser.check_line(line) is None:
            kept.append(i)
    return kept


def _extra_arrays(extras: dict[str, Any], kept: list[int] | None) -> dict[str, Any]:
    """The extra columns of JSON-wrapped records as Arrow arrays (only the ``kept`` events
    when given)."""
    return {name: extra_array(name, values, kept) for name, values in extras.items()}


def account(table: pa.Table, stats: FlowLogStats, options: ReaderOptions) -> pa.Table:
    """Count ``table``'s records in ``stats`` (records; NODATA/SKIPDATA/INCOMPLETEDATA and
    their spans) after leaving out those outside ``options``' time window (counted as
    ``outside_window``): what the reader does for every block, and
    :func:`awsip.flowlogs.records.open_records` for records given as tables."""
    if table.num_rows and options.window:
        table = _in_window(table, options, stats)
    if table.num_rows == 0:
        return table
    stats.records += table.num_rows
    if "log_status" in table.column_names:
        _count_statuses(table, stats)
    return table


def _count_statuses(table: pa.Table, stats: FlowLogStats) -> None:
    """NODATA/SKIPDATA/INCOMPLETEDATA rows and their spans into ``stats`` (one count of the
    values when every row is OK, the common case: few Arrow calls per block, as each gives
    the GIL up to the parsing threads)."""
    import pyarrow.compute as pc

    from ..arrowutil import string_scalar

    status = table.column("log_status")
    counts = pc.value_counts(status)
    seen = dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(),
                    strict=True))
    times = [c for c in ("start", "end") if c in table.column_names]
    for value, attr in _STATUS_COUNTS:
        n = seen.get(value, 0)
        if not n:
            continue
        setattr(stats, attr, getattr(stats, attr) + n)
        sub = table.select(times).filter(pc.equal(status, string_scalar(value)))
        lo = _seconds(pc.min(sub.column("start"))) if "start" in times else None
        hi = _seconds(pc.max(sub.column("end"))) if "end" in times else None
        lo = lo if lo is not None else hi
        hi = hi if hi is not None else lo
        span_attr = f"{attr}_span"
        setattr(stats, span_attr, _widen(getattr(stats, span_attr), lo, hi))


_STATUS_COUNTS = (("NODATA", "nodata"), ("SKIPDATA", "skipdata"),
                  ("INCOMPLETEDATA", "incomplete"))
"""``log_status`` values counted in :class:`FlowLogStats` (field, and ``<field>_span``)."""


def _in_window(table: pa.Table, options: ReaderOptions, stats: FlowLogStats) -> pa.Table:
    """Rows whose ``start`` is in ``[since, until)``; the others counted, not produced."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if "start" not in table.column_names:
        raise UsageError("since/until need the 'start' field in the flow logs")
    ts = pa.timestamp("s", tz="UTC")
    start = table.column("start")
    if start.type != ts:
        start = start.cast(ts)
    keep = pc.is_valid(start)
    if options.since is not None:
        keep = pc.and_(keep, pc.greater_equal(start, pa.scalar(options.since, ts)))
    if options.until is not None:
        keep = pc.and_(keep, pc.less(start, pa.scalar(options.until, ts)))
    keep = pc.fill_null(keep, False)
    kept = int(pc.sum(keep).as_py() or 0)
    if kept == table.num_rows:
        return table
    stats.outside_window += table.num_rows - kept
    return table.filter(keep)


def _empty_table(fields: Iterable[str]) -> pa.Table:
    import pyarrow as pa

    return pa.schema([(FIELDS[f].column, arrow_type(FIELDS[f].kind)) for f in fields]).empty_table()


def read_flow_logs(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    options: ReaderOptions | None = None,
    *,
    columns: Iterable[str] | None = None,
    **kwargs: Any,
) -> FlowLogReader:
    """Read VPC / Transit Gateway flow logs as pyarrow RecordBatches.

    ``source``: a path, directory (recursive), glob, ``-`` (stdin), ``s3://bucket/prefix``,
    or a list of these. ``options`` or keyword arguments: see
    :class:`~awsip.flowlogs.options.ReaderOptions` (``log_format``, ``strict``, ``progress``,
    ``region``, ``endpoint_override``, ``since``, ``until``, ``use_threads``; ``format=`` is a
    deprecated spelling of ``log_format=``). ``columns``: produce only these fields (column
    names such as ``srcaddr``, ``log_status``; those a file does not have are left out): the
    others are neither converted nor checked, so a line is skipped only when its field count or
    a field read is wrong, and NODATA/SKIPDATA are counted only when ``log_status`` is read.
    Faster when only some fields matter (``awsip report`` reads this way).
    """
    opts = reader_options(options, **kwargs)
    skipped: list[SkippedPath] = []
    listing = ListingStats()
    files = expand(source, region=opts.region, endpoint_override=opts.endpoint_override,
                   skipped=skipped, select=opts.selection(), listing=listing, options=opts)
    reader = FlowLogReader(files, opts, columns=columns)
    reader.stats.skipped_paths = skipped
    reader.stats.listing = listing
    return reader


def traffic_only(data: Any) -> Any:
    """Rows that are traffic: drops NODATA/SKIPDATA records (``log_status`` other than OK).
    Works on a Table or RecordBatch; data without ``log_status`` is returned unchanged."""
    import pyarrow.compute as pc

    from ..arrowutil import string_scalar

    if "log_status" not in data.schema.names:
        return data
    status = data.column("log_status")
    keep = pc.or_kleene(pc.is_null(status), pc.equal(status, string_scalar("OK")))
    return data.filter(pc.fill_null(keep, True))


__all__ = ["FlowLogReader", "FlowLogStats", "SkippedLine", "account", "read_flow_logs",
           "traffic_only"]
