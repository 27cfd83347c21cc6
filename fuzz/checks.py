"""What the fuzz harnesses check, as plain functions of the fuzzed bytes (no atheris here).

Each ``check_*`` function raises (``AssertionError`` or any exception that is not an allowed
outcome) when awsip misbehaves on the input, and returns None otherwise:

* :func:`check_reader`: the flow-log reader gives a Table or an :class:`~awsip.AwsipError`,
  and for plain text its counts add up to the lines of the input (:func:`line_accounting`).
* :func:`check_ranges`: an ip-ranges.json document, as a download and as a file, gives a
  consistent :class:`~awsip.Ranges` or a :class:`~awsip.RangesError`; small publications
  are looked up by the scalar index, the bulk engine and the independent oracle of
  ``tests/oracle.py``, which must agree.
* :func:`check_addresses`: the scalar parser and lookup and the bulk parser and engine (every
  path: direct, unique-first, numpy IPv6) agree on every string and integer.

The harnesses (``fuzz/fuzz_*.py``) call these; ``tests/test_fuzz_regressions.py`` replays saved
inputs through them.
"""

from __future__ import annotations

import atexit
import contextlib
import gzip
import importlib
import ipaddress
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import awsip
import awsip.addr.columns as parse
import awsip.classification.engine as engine
from awsip import AwsipError, InvalidAddressError, Origin, Ranges, RangesError
from awsip.addr import format_address, parse_address, parse_cidr
from awsip.fileio import gunzip_bounded
from awsip.flowlogs.formats import header_fields
from awsip.loading import load as loader
from awsip.loading import plausibility
from awsip.loading.settings import MAX_DOCUMENT_BYTES

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
NEWEST = TESTS / "data" / "ip-ranges-2026-08-22T151705.json.gz"

_workdir: Path | None = None


def workdir() -> Path:
    """A private directory for this process (on tmpfs when there is one), removed at exit.

    libFuzzer ends its processes without Python's exit handlers (each fork-mode job is one),
    so the directories of processes no longer running are removed here first."""
    global _workdir
    if _workdir is None:
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
        for old in base.glob(f"awsip-fuzz-{os.getuid()}-*-*"):
            pid = old.name.split("-")[3]
            if pid.isdigit() and not _running(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        _workdir = Path(tempfile.mkdtemp(prefix=f"awsip-fuzz-{os.getuid()}-{os.getpid()}-",
                                         dir=base))
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def input_file(data: bytes, name: str = "input") -> Path:
    """``data`` written to a file in :func:`workdir` (the same path each call)."""
    path = workdir() / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- known bugs
#: Bugs found by fuzzing and not fixed yet, each with its xfail regression test in
#: tests/test_fuzz_regressions.py: name -> does this exception on this input show it.
#: Tolerated only with ``AWSIP_FUZZ_KNOWN_BUGS=1``, so that a long run finds new bugs rather
#: than the same one again; without it (the default) they fail like any other.
KNOWN_BUGS: dict[str, Callable[[BaseException, bytes], bool]] = {
    # none open: the four found so far are fixed and kept as tests/test_fuzz_regressions.py
}


def known_bug(exc: BaseException, data: bytes) -> str | None:
    """The name of the known bug ``exc`` on ``data`` shows, when they are tolerated."""
    if os.environ.get("AWSIP_FUZZ_KNOWN_BUGS") != "1":
        return None
    return next((name for name, shows in KNOWN_BUGS.items() if shows(exc, data)), None)


# --------------------------------------------------------------------------- the reader
#: A format other than the default, for ``log_format=`` (addresses, numbers, a time, text).
READER_FORMAT = "${srcaddr} ${dstaddr} ${bytes} ${start} ${action}"
#: The reader's option sets tried on every input.
READER_OPTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"log_format": READER_FORMAT, "use_threads": False},
    {"strict": True, "use_threads": False},
)
_BOM = b"\xef\xbb\xbf"
_FIELD_SEP = re.compile(rb"[ \t]+")


def check_reader(data: bytes) -> None:
    """Read ``data`` as a flow-log file with each of :data:`READER_OPTIONS`."""
    path = input_file(data)
    for options in READER_OPTIONS:
        check_read(path, data, options)


def check_read(path: Path, data: bytes, options: dict[str, Any]) -> None:
    """One read of ``path`` (holding ``data``): a Table whose counts add up, or an AwsipError."""
    try:
        reader = awsip.read_flow_logs(str(path), progress=False, **options)
        table = reader.read_all()
    except AwsipError:
        return
    except Exception as exc:
        if known_bug(exc, data):
            return
        raise
    import pyarrow as pa

    stats = reader.stats
    assert isinstance(table, pa.Table), type(table)
    assert table.num_rows == stats.records, (table.num_rows, stats)
    if options.get("strict"):
        assert stats.skipped == 0, stats
    text = plain_text_of(data)
    if text is not None:
        problem = line_accounting(text, stats)
        assert problem is None, f"{problem} (options {options}); {stats}"


def plain_text_of(data: bytes) -> bytes | None:
    """The lines of text the reader reads in ``data``: ``data`` itself, or for gzip the
    decompressed members when the standard library reads them all; None for other inputs."""
    if data[:2] == b"\x1f\x8b":
        import zlib

        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return None
        return data if reads_as_plain_text(data, compressed=True) else None
    return data if reads_as_plain_text(data) else None


def reads_as_plain_text(data: bytes, compressed: bool = False) -> bool:
    """Whether the reader takes ``data`` as lines of text (not gzip, Parquet or Logs
    Insights results); conservative: a first line with a comma or bracket is left out.
    ``compressed``: ``data`` came out of gzip (no magic bytes are looked for then)."""
    if not compressed and (data[:2] == b"\x1f\x8b" or data[:4] == b"PAR1"):
        return False
    first = data.split(b"\n", 1)[0]
    return not any(c in first for c in (b",", b"[", b"{"))


def text_lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` by the reader's documented line rule (``_Parser``'s docstring in
    awsip/flowlogs/reader.py), without their line ends: a line ends with LF (the reader adds
    one after a last line that lacks it), a CR just before that LF belongs to the line end,
    and a UTF-8 byte-order mark at the start of a line is removed."""
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return [(p[:-1] if p.endswith(b"\r") else p).removeprefix(_BOM) for p in parts]


def is_blank(line: bytes) -> bool:
    """Empty, or only spaces and tabs: not a record."""
    return not line.strip(b" \t")


def fields_of(line: bytes) -> list[bytes]:
    """A line's fields: runs of spaces and tabs separate them, none at either end."""
    return _FIELD_SEP.split(line.strip(b" \t"))


@dataclass(frozen=True)
class Lines:
    """How the lines of a plain-text input divide, computed from the bytes alone."""

    total: int
    blank: int
    header: bool  # the first line is an S3 header line
    header_like: int  # later lines with the header's fields: the most that can be repeats

    @classmethod
    def of(cls, data: bytes) -> Lines:
        lines = text_lines(data)
        header = bool(lines) and header_fields(lines[0]) is not None
        like = 0
        if header:
            key = fields_of(lines[0])
            like = sum(fields_of(line) == key for line in lines[1:])
        return cls(len(lines), sum(map(is_blank, lines)), header, like)


def line_accounting(data: bytes, stats: Any) -> str | None:
    """What does not add up between the lines of ``data`` and the reader's ``stats``, or None.

    Every non-blank line other than the header and its repeats is a record or a skipped line
    (``records + skipped``). When the stats count lines (``lines``, ``header_lines``,
    ``blank_lines``) those must match the input's lines too.
    """
    lines = Lines.of(data)
    repeats = stats.repeated_headers
    if repeats > lines.header_like:
        return f"{repeats} repeated headers counted, at most {lines.header_like} lines look so"
    content = lines.total - lines.blank - lines.header - repeats
    if stats.records + stats.skipped + getattr(stats, "outside_window", 0) != content:
        return (f"records + skipped = {stats.records} + {stats.skipped}, but the input has "
                f"{content} non-blank, non-header lines ({lines})")
    if not hasattr(stats, "lines"):
        return None
    counted = {"lines": (stats.lines, lines.total),
               "blank_lines": (stats.blank_lines, lines.blank),
               "header_lines": (stats.header_lines, lines.header + repeats)}
    wrong = {k: v for k, v in counted.items() if v[0] != v[1]}
    if wrong:
        return f"stats (got, expected): {wrong} ({lines})"
    return None


# --------------------------------------------------------------------------- the ranges loader
URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"
#: "Now" for the plausibility rules: after every publication in tests/data.
NOW = datetime(2026, 9, 1, tzinfo=timezone.utc)
#: Publications with at most this many prefixes are also checked against the oracle and the
#: bulk engine (building the bulk index costs ~0.1 s, whatever the size).
ENGINE_CHECK_PREFIXES = 64

_reference: Ranges | None = None


def reference() -> Ranges:
    """The plausibility reference: the newest publication in tests/data (the bundled one)."""
    global _reference
    if _reference is None:
        _reference = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))
    return _reference


def check_ranges(data: bytes) -> None:
    """``data`` (and its gzip'd form, when it is not gzip) as a downloaded ip-ranges.json and
    as a file named to :func:`awsip.load_ranges`: a consistent Ranges or a RangesError."""
    forms = [data] if data[:2] == b"\x1f\x8b" else [data, gzip.compress(data, mtime=0)]
    first: Ranges | None = None
    for i, raw in enumerate(forms):
        ranges = downloaded(raw)
        if ranges is not None:
            check_publication(ranges, raw)
        if i == 0:
            first = ranges
        else:
            assert _same(first, ranges), "the gzip'd document reads differently"
    from_file = load_file(data)
    assert _same(first, from_file), "the same bytes read differently as a file"


def downloaded(raw: bytes) -> Ranges | None:
    """What a download of ``raw`` gives (the loader's own steps: decode and validate, then
    the plausibility checks against the bundled snapshot), None for a RangesError."""
    try:
        ranges = loader._decode(raw, URL, content_type="application/json",
                                origin=Origin("network", URL, NOW))
    except RangesError:
        return None
    found = plausibility.problems(ranges, reference(), now=NOW)
    assert all(isinstance(p, str) and p for p in found), found
    try:
        plausibility.check(ranges, reference(), now=NOW, where=URL)
    except RangesError:
        assert found
    else:
        assert not found
    return ranges


def load_file(data: bytes) -> Ranges | None:
    """``awsip.load_ranges(path)`` of ``data`` written to a file; None for a RangesError."""
    path = input_file(data, "ip-ranges.json")
    try:
        return awsip.load_ranges(str(path), cache_dir=str(workdir() / "cache"))
    except RangesError:
        return None


def _same(a: Ranges | None, b: Ranges | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.sync_token, a.create_date, a.entries) == (b.sync_token, b.create_date, b.entries)


def inflate(raw: bytes) -> bytes:
    """The document itself (of a gzip'd one, the first member, as the loader reads it)."""
    return gunzip_bounded(raw, MAX_DOCUMENT_BYTES) if raw[:2] == b"\x1f\x8b" else raw


def check_publication(ranges: Ranges, raw: bytes) -> None:
    """A Ranges read from ``raw`` is consistent with the document and with itself."""
    doc = json.loads(inflate(raw))
    assert (len(ranges.ipv4), len(ranges.ipv6)) == \
        (len(doc["prefixes"]), len(doc["ipv6_prefixes"]))
    assert ranges.ipv4 + ranges.ipv6 == ranges.entries  # IPv4 first, in document order
    assert ranges.sync_token.isascii() and ranges.sync_token.isdigit()
    assert ranges.create_date.tzinfo is not None
    for entry in ranges.entries:
        version, network, plen = parse_cidr(entry.prefix)
        assert version == entry.version
        assert f"{format_address(version, network)}/{plen}" == entry.prefix  # canonical
        assert all(isinstance(v, str) and v for v in
                   (entry.service, entry.region, entry.network_border_group))
    for p in ranges.prefixes:
        assert ranges.label(p) in ranges.prefixes[p]
    again = Ranges.from_json(json.dumps(ranges.to_document()))
    assert _same(again, ranges), "to_document does not read back the same"
    compact = Ranges.from_compact(ranges.to_compact())
    assert _same(compact, ranges)
    assert all(compact.label(p) == ranges.label(p) for p in ranges.prefixes)
    if len(ranges.prefixes) <= ENGINE_CHECK_PREFIXES:
        try:
            check_engines_agree(ranges)
        except Exception as exc:
            if not known_bug(exc, raw):
                raise


def check_engines_agree(ranges: Ranges) -> None:
    """At every prefix boundary (first, last, and the addresses just outside), the scalar
    lookup says what the independent oracle says, and the bulk engine what the lookup says."""
    oracle = _oracle_module()
    doc = ranges.to_document()
    truth = oracle.Oracle(doc)
    addresses = oracle.boundary_addresses(doc)
    for ip in addresses:
        match = ranges.lookup(ip)
        want = truth.enumerate(ip)
        got = (match.aws, match.prefix, match.service, frozenset(match.services), match.region,
               match.network_border_group)
        assert got == (want.aws, want.prefix, want.service, want.services, want.region,
                       want.network_border_group), (ip, match, want)
    table = engine.classify(addresses, ranges)
    compare_with_bulk(ranges, addresses, table)
    probe = addresses or ["52.216.58.42"]  # an empty publication has no boundaries
    assert [awsip.lookup(ip, ranges) for ip in probe] == [ranges.lookup(ip) for ip in probe] \
        and awsip.classify(probe, ranges).equals(engine.classify(probe, ranges)), \
        f"{ANOTHER_PUBLICATION}: the public functions did not answer from this one"

#: What check_engines_agree says when awsip.lookup/classify answered from another publication.
ANOTHER_PUBLICATION = "awsip.lookup/classify(..., ranges) answered from another publication"


def _oracle_module() -> ModuleType:
    """tests/oracle.py, the brute-force implementation of the primary service rule."""
    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    return importlib.import_module("oracle")


# --------------------------------------------------------------------------- the address parsers
_ranges: Ranges | None = None


def fixed_ranges() -> Ranges:
    """The publication the address harness looks addresses up in (the newest in tests/data)."""
    global _ranges
    if _ranges is None:
        _ranges = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))
    return _ranges


def address_texts(data: bytes) -> list[str]:
    """The strings of a fuzzed input: its lines, or, when it starts with a NUL byte, the
    NUL-separated pieces after it (so strings can hold LF); undecodable bytes become lone
    surrogates (``surrogateescape``), as a careless caller's text might hold."""
    text = data.decode("utf-8", "surrogateescape")
    return text[1:].split("\x00") if text.startswith("\x00") else text.split("\n")


def address_integers(data: bytes) -> list[int]:
    """The input read as big-endian signed 64-bit integers (at most 64 of them)."""
    n = min(len(data) // 8, 64)
    return [int.from_bytes(data[8 * i:8 * i + 8], "big", signed=True) for i in range(n)]


def scalar_row(ranges: Ranges, value: object) -> dict[str, Any]:
    """The scalar lookup's answer in classify's row form (the ``ip`` column left out)."""
    try:
        match = ranges.lookup(value)
    except InvalidAddressError:
        return {"valid": False, "aws": None, "prefix": None, "service": None, "region": None,
                "network_border_group": None}
    return {"valid": True, "aws": match.aws, "prefix": match.prefix, "service": match.service,
            "region": match.region, "network_border_group": match.network_border_group}


def compare_with_bulk(ranges: Ranges, values: list[Any], table: Any) -> None:
    """Each row of a classify result is what the scalar lookup says for its input."""
    assert table.num_rows == len(values)
    for value, row in zip(values, table.to_pylist(), strict=True):
        got = {k: v for k, v in row.items() if k != "ip"}
        assert got == scalar_row(ranges, value), (value, row)


@contextlib.contextmanager
def patched(module: ModuleType, **values: Any) -> Iterator[None]:
    """Module globals set for the duration of the block (engine thresholds)."""
    old = {k: getattr(module, k) for k in values}
    for k, v in values.items():
        setattr(module, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(module, k, v)


def engine_paths() -> Iterator[str]:
    """Run the body once per bulk path: direct; unique-first (dictionary-encoded); numpy
    IPv6 (the hex-and-colon parser at any size); both."""
    for name, unique, numpy6 in (("direct", False, False), ("unique-first", True, False),
                                 ("numpy-ipv6", False, True), ("both", True, True)):
        with contextlib.ExitStack() as stack:
            stack.enter_context(patched(engine, _SMALL=10**9))
            if unique:
                stack.enter_context(patched(engine, _SMALL=0, _MOSTLY_DISTINCT=2.0))
            if numpy6:
                stack.enter_context(patched(parse, _MIN_HEX6=0))
            yield name


def check_addresses(data: bytes) -> None:
    """The strings and integers of ``data`` through the scalar and the bulk parsers."""
    ranges = fixed_ranges()
    texts = address_texts(data)
    check_strings_agree(ranges, texts)
    check_integers_agree(ranges, address_integers(data))


def check_strings_agree(ranges: Ranges, texts: list[str]) -> None:
    """Scalar and bulk agree on validity, value and classification of every string."""
    import pyarrow as pa

    encodable = _encodable(texts)
    for _path in engine_paths():
        compare_with_bulk(ranges, texts, awsip.classify(texts, ranges))
        if encodable:
            arrow = pa.array(texts, type=pa.large_string())
            compare_with_bulk(ranges, texts, awsip.classify(arrow, ranges))
            check_values_agree(texts)


def _encodable(texts: list[str]) -> bool:
    try:
        for t in texts:
            t.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_values_agree(texts: list[str]) -> None:
    """``parse_strings`` gives the numbers ``parse_address`` gives (and (0, 0) where it
    raises InvalidAddressError)."""
    import pyarrow as pa

    p = parse.parse_strings(pa.array(texts, type=pa.string()))
    rows = zip(p.version.tolist(), p.v4.tolist(), p.hi.tolist(), p.lo.tolist(), strict=True)
    for text, (version, v4, hi, lo) in zip(texts, rows, strict=True):
        try:
            want = parse_address(text)
        except InvalidAddressError:
            want = (0, 0)
        got = (version, v4 if version == 4 else (hi << 64 | lo) if version == 6 else 0)
        assert got == want, (text, got, want)


def check_integers_agree(ranges: Ranges, numbers: list[int]) -> None:
    """Integers (as uint32 where they fit, and as int64) are classified like their dotted
    form; outside 0..2**32-1 they are invalid."""
    if not numbers:
        return
    import numpy as np

    fits = [n for n in numbers if 0 <= n <= 0xFFFFFFFF]
    dotted = [str(ipaddress.IPv4Address(n)) for n in fits]
    if fits:
        compare_with_bulk(ranges, dotted, awsip.classify(np.array(fits, dtype=np.uint32),
                                                          ranges))
    table = awsip.classify(np.array(numbers, dtype=np.int64), ranges)
    expected = [str(ipaddress.IPv4Address(n)) if 0 <= n <= 0xFFFFFFFF else None
                for n in numbers]
    compare_with_bulk(ranges, expected, table)
