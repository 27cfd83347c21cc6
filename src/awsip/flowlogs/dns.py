"""Route 53 Resolver query logs: which names the VPC's resolver answered with which addresses.

IP ranges cannot tell ECR from S3 (ECR publishes no ranges; its image layers come from S3), nor
one S3 bucket or website from another. The VPC's DNS can: a Resolver query log records each
query a VPC sent to the Route 53 Resolver with the addresses it got back.

**The format** (AWS: "Values that appear in VPC Resolver query logs",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-format.html, and
the example record, https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-example-json.html):
one JSON object per query with ``version``, ``account_id``, ``region``, ``vpc_id``,
``query_timestamp`` (ISO 8601, UTC), ``query_name`` (``"15.3.4.32.in-addr.arpa."``: with the
trailing dot), ``query_type``, ``query_class``, ``rcode``, ``answers`` (a list of ``{"Rdata",
"Type", "Class"}``), ``srcaddr``, ``srcport``, ``transport``, ``srcids`` (``{"instance": ...}``
or ``{"resolver_endpoint": ...}``) and firewall fields. Deliveries read here: S3 (JSON lines,
gzip'd or not), CloudWatch Logs exports (each line the event time, a space, the record), and
JSON wrapped the way :mod:`.wrapped` decodes for flow logs: CloudWatch Logs subscription
payloads as Firehose writes them to S3, and JSON lines with the record as text in
``message``. Files and directories are expanded by :func:`.paths.expand` and gzip is read by
:mod:`.decompress` (damage: everything before it is read, the damage is a skipped line).

**What comes out** (:func:`read_dns_logs`): a :class:`DnsLog` whose ``answers`` is one Arrow
table, one row per distinct (``address``, ``name``, ``target``, ``srcaddr``, ``instance``,
``resolver_endpoint``, ``vpc_id``) with ``queries``, ``first_seen`` and ``last_seen``: never a
Python object per record. ``address`` is an A or AAAA answer's Rdata (AAAA in the compressed
form flow logs write); ``name`` the query name lower-cased without the trailing dot; the answer
list carries no owner names, so an address answers the end of the CNAME chain: ``target`` is
the last CNAME's Rdata (the query name when there is none). Records without A/AAAA answers
(NXDOMAIN, PTR, ...) count as records and give no rows.

**Bad lines** (not JSON, not an object, no text ``query_name``, a ``query_timestamp`` that is
not a time, fields of the wrong type, gzip damage) are counted in ``stats.skipped`` with the
file, line (for wrapped deliveries: the log event's number) and reason of the first
:data:`MAX_SKIPPED_KEPT`; never a traceback, never dropped silently.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..addr import format_address, parse_address
from ..arrowutil import from_numpy
from ..encoding import jsonable
from ..errors import FlowLogError, InvalidAddressError, UsageError
from .decompress import GzipDamage, open_gzip
from .reader import MAX_SKIPPED_KEPT, SkippedLine
from .wrapped import BadEvent, Messages, WrappedDecoder, sniff_json

if TYPE_CHECKING:
    import pyarrow as pa

    from .paths import SourceFile

#: Group keys of :attr:`DnsLog.answers` (then ``queries``, ``first_seen``, ``last_seen``).
ANSWER_KEYS = ("address", "name", "target", "srcaddr", "instance", "resolver_endpoint",
               "vpc_id")
_BLOCK = 4 << 20  # bytes of text parsed at a time
#: A CloudWatch Logs export line's event time before the record (as docs/flowlogs.md says of
#: flow logs exported from CloudWatch Logs): dropped.
_EXPORT_PREFIX = re.compile(rb"(?m)^\d{4}-\d\d-\d\dT[0-9:.]+Z (?=\{)")
_NO_NAME = "no query_name"
_NO_TIME = "query_timestamp is not an ISO 8601 time"
_STR_FIELDS = ("query_name", "query_timestamp", "srcaddr", "vpc_id", "rcode", "query_type")


def _record_schema() -> pa.Schema:
    """The fields read from each record (others are ignored)."""
    import pyarrow as pa

    answer = pa.struct([("Rdata", pa.string()), ("Type", pa.string())])
    ids = pa.struct([("instance", pa.string()), ("resolver_endpoint", pa.string())])
    return pa.schema([*((f, pa.string()) for f in _STR_FIELDS),
                      ("answers", pa.list_(answer)), ("srcids", ids)])


@dataclass
class DnsLogStats:
    """Counts kept while reading query logs."""

    files: int = 0
    lines: int = 0  # lines (log events, for wrapped deliveries) read, blank ones included
    records: int = 0  # query records read
    answers: int = 0  # A/AAAA answers read (before grouping)
    blank_lines: int = 0
    skipped: int = 0
    control_messages: int = 0  # CloudWatch Logs CONTROL_MESSAGE payloads (not records)
    skipped_lines: list[SkippedLine] = field(default_factory=list)

    def skip(self, file: str, line: int, reason: str, text: bytes | str) -> None:
        """Count one bad line and keep the first few, with where and why."""
        self.skipped += 1
        if len(self.skipped_lines) < MAX_SKIPPED_KEPT:
            t = text if isinstance(text, str) else text[:200].decode("utf-8", "replace")
            self.skipped_lines.append(SkippedLine(file, line, reason, t[:200]))

    def describe(self) -> str:
        """The skipped lines for a note: how many, and the first three with file:line."""
        shown = "; ".join(f"{s.file}:{s.line}: {s.reason}" for s in self.skipped_lines[:3])
        more = f"; and {self.skipped - 3:,} more" if self.skipped > 3 else ""
        return f"{self.skipped:,} DNS query log line(s) skipped ({shown}{more})"

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "lines": self.lines, "records": self.records,
                "answers": self.answers, "skipped": self.skipped,
                "skipped_lines": [{"file": s.file, "line": s.line, "reason": s.reason,
                                   "text": s.text} for s in self.skipped_lines]}


@dataclass
class DnsLog:
    """Resolver query logs read: the answers (module doc) and the counts."""

    answers: pa.Table
    stats: DnsLogStats

    def to_dict(self) -> dict[str, Any]:
        return {**self.stats.to_dict(), "distinct_answers": self.answers.num_rows,
                "first_seen": jsonable(_edge(self.answers, "first_seen", "min")),
                "last_seen": jsonable(_edge(self.answers, "last_seen", "max"))}


def _edge(t: pa.Table, column: str, how: str) -> Any:
    import pyarrow.compute as pc

    if not t.num_rows:
        return None
    return (pc.min if how == "min" else pc.max)(t.column(column)).as_py()


# ------------------------------------------------------------------------------ reading


def read_dns_logs(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
                  region: str | None = None, endpoint_override: str | None = None) -> DnsLog:
    """Read Resolver query logs (files, directories, globs, ``s3://``; plain or gzip; JSON
    lines or CloudWatch Logs/Firehose-wrapped) into a :class:`DnsLog` (module doc). Raises
    :class:`FlowLogError` when no file is found or a file cannot be opened."""
    from .paths import expand

    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    for item in items:
        if os.fspath(item).startswith("cwlogs://"):
            raise UsageError(f"{os.fspath(item)!r}: DNS query logs are read from files or "
                             "s3:// (export the log group, or subscribe it to Firehose)")
    files = expand(items, region=region, endpoint_override=endpoint_override)
    if not files:
        names = ", ".join(repr(os.fspath(i)) for i in items)
        raise FlowLogError(f"no DNS query log file found in {names}")
    stats = DnsLogStats()
    acc = _Answers()
    for src in files:
        stats.files += 1
        _read_file(src, stats, acc)
    return DnsLog(acc.result(), stats)


def _read_file(src: SourceFile, stats: DnsLogStats, acc: _Answers) -> None:
    """One file: its text in blocks of whole lines, parsed as plain or wrapped JSON."""
    try:
        raw = src.opener()
    except OSError as exc:
        raise FlowLogError(f"cannot open DNS query log {src.path}: {exc}") from exc
    try:
        head = raw.read(2)
        stream: Any = raw
        if head == b"\x1f\x8b":
            stream = open_gzip(_Prefixed(raw, head),
                               reopen=src.opener if src.path != "-" else None)
        chunks = _chunks(stream, b"" if stream is not raw else head)
        _parse_file(src.path, _lines(chunks, src.path, stats), stats, acc)
    except OSError as exc:
        raise FlowLogError(f"cannot read DNS query log {src.path}: {exc}") from exc
    finally:
        if stream is not raw:
            stream.close()
        if src.path != "-":
            raw.close()


class _Prefixed:
    """A stream whose first bytes were already read."""

    def __init__(self, raw: Any, head: bytes) -> None:
        self.raw, self.head = raw, head

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            more = self.raw.read() if n < 0 else self.raw.read(n - len(out)) \
                if n > len(out) else b""
            return out + bytes(more or b"")
        return bytes(self.raw.read(n) or b"")


@dataclass
class _Damaged:
    """Gzip damage met between two chunks of text."""

    error: GzipDamage


def _chunks(stream: Any, first: bytes) -> Iterator[bytes | _Damaged]:
    """Decompressed (or plain) bytes; gzip damage as a :class:`_Damaged` marker, then the
    members after it when reading resumes."""
    if first:
        yield first
    while True:
        try:
            data = stream.read(1 << 20)
        except GzipDamage as exc:
            yield _Damaged(exc)
            if exc.resumes:
                continue
            return
        if not data:
            return
        yield bytes(data)


def _lines(chunks: Iterator[bytes | _Damaged], path: str, stats: DnsLogStats
           ) -> Iterator[bytes]:
    """Blocks of whole lines (each ends with a newline). At gzip damage the incomplete line
    before it is dropped and counted as a skipped line naming the damage."""
    pending = b""
    for chunk in chunks:
        if isinstance(chunk, _Damaged):
            line = stats.lines + (pending.count(b"\n") if pending else 0) + 1
            cut = pending.rfind(b"\n") + 1
            if cut:
                yield pending[:cut]
            stats.skip(path, line, f"gzip damage: {chunk.error.detail} (the line cut by it "
                       "is dropped)", pending[cut:])
            stats.lines += 1
            pending = b""
            continue
        pending += chunk
        if len(pending) >= _BLOCK:
            cut = pending.rfind(b"\n") + 1
            if cut:
                yield pending[:cut]
                pending = pending[cut:]
    if pending:
        yield pending if pending.endswith(b"\n") else pending + b"\n"


def _parse_file(path: str, blocks: Iterator[bytes], stats: DnsLogStats,
                acc: _Answers) -> None:
    """Plain JSON lines, or (by :func:`.wrapped.sniff_json`) records wrapped in CloudWatch
    Logs payloads or in JSON lines' ``message``."""
    first = next(blocks, b"")
    if not first:
        return
    exported = _EXPORT_PREFIX.match(first) is not None
    kind = None if exported else sniff_json(first[:1 << 16])
    if kind is None:
        for block in _chain(first, blocks):
            start = stats.lines + 1
            stats.lines += block.count(b"\n")
            _parse_block(path, _EXPORT_PREFIX.sub(b"", block) if exported else block, start,
                         stats, acc)
        return
    decoder = WrappedDecoder(path, kind)
    try:
        for block in _chain(first, blocks):
            _wrapped(path, decoder.feed(block), stats, acc)
        _wrapped(path, decoder.feed(b"", final=True), stats, acc)
    except FlowLogError as exc:  # concatenated payloads: nothing after invalid JSON is found
        stats.skip(path, stats.lines + 1, str(exc), "")
    stats.control_messages += decoder.control_messages


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _wrapped(path: str, items: Iterator[Messages | BadEvent], stats: DnsLogStats,
             acc: _Answers) -> None:
    """Log events: each message is one record's JSON text; a bad event is a skipped line."""
    for item in items:
        if isinstance(item, BadEvent):
            stats.lines += 1
            stats.skip(path, stats.lines, item.reason, item.text)
            continue
        start = stats.lines + 1
        stats.lines += item.count
        _parse_block(path, item.block, start, stats, acc)


# ------------------------------------------------------------------------------ parsing


def _line_spans(block: bytes) -> tuple[Any, Any]:
    """Start and end offsets of each line of ``block`` (which ends with a newline)."""
    import numpy as np

    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    return starts, ends


def _parse_block(path: str, block: bytes, first_line: int, stats: DnsLogStats,
                 acc: _Answers) -> None:
    """Records of a block of lines: Arrow's JSON reader when every non-blank line is a
    well-typed record, else line by line (:func:`_clean`) to name the bad ones."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.json as pj

    starts, ends = _line_spans(block)
    blank = (ends - starts) == 0
    stats.blank_lines += int(blank.sum())
    numbers = first_line + np.flatnonzero(~blank)
    options = pj.ParseOptions(explicit_schema=_record_schema(),
                              unexpected_field_behavior="ignore")
    try:
        table = pj.read_json(pa.BufferReader(block), parse_options=options)
        if table.num_rows != len(numbers):
            raise ValueError("rows and lines differ")  # white-space lines: line by line
    except (pa.ArrowException, ValueError):
        good, numbers = _clean(path, block, starts, ends, first_line, stats)
        if not good:
            return
        table = pj.read_json(pa.BufferReader(good), parse_options=options)
    _records(path, block, starts, ends, first_line, table, numbers, stats, acc)


def _clean(path: str, block: bytes, starts: Any, ends: Any, first_line: int,
           stats: DnsLogStats) -> tuple[bytes, Any]:
    """Each line checked on its own: bad ones skipped with the reason, good ones re-written
    with only the fields read (so Arrow reads them); their line numbers."""
    import numpy as np

    good: list[bytes] = []
    numbers: list[int] = []
    for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        raw = block[s:e]
        if not raw.strip():
            continue
        doc, reason = _check(raw)
        if doc is None:
            stats.skip(path, first_line + i, reason, raw)
            continue
        good.append(json.dumps(doc).encode())
        numbers.append(first_line + i)
    return b"\n".join(good) + b"\n" if good else b"", np.array(numbers, dtype=np.int64)


def _check(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """One line as a record with only the fields read, or None and why not."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return None, f"not JSON ({getattr(exc, 'msg', exc)})"
    if not isinstance(doc, dict):
        return None, f"a JSON {type(doc).__name__}, not a Resolver query log record (an object)"
    out: dict[str, Any] = {}
    for name in _STR_FIELDS:
        value = doc.get(name)
        if value is not None and not isinstance(value, str):
            return None, f"{name} is {type(value).__name__}, not text"
        out[name] = value
    if out["query_name"] is None:
        return None, _NO_NAME
    try:
        datetime.strptime((out["query_timestamp"] or "")[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None, _NO_TIME
    reason = _nested(doc, out)
    return (None, reason) if reason else (out, "")


def _nested(doc: dict[str, Any], out: dict[str, Any]) -> str:
    """``answers`` and ``srcids`` of ``doc`` checked and copied to ``out``; what is wrong."""
    answers = doc.get("answers") or []
    if not isinstance(answers, list) or not all(
            isinstance(a, dict) and isinstance(a.get("Rdata", ""), str)
            and isinstance(a.get("Type", ""), str) for a in answers):
        return "answers is not a list of {Rdata, Type, Class} objects"
    out["answers"] = [{"Rdata": a.get("Rdata"), "Type": a.get("Type")} for a in answers]
    ids = doc.get("srcids") or {}
    if not isinstance(ids, dict) or not all(
            isinstance(ids.get(k, ""), str) for k in ("instance", "resolver_endpoint")):
        return "srcids is not an object of text ids"
    out["srcids"] = {k: ids.get(k) for k in ("instance", "resolver_endpoint")}
    return ""


def _records(path: str, block: bytes, starts: Any, ends: Any, first_line: int,
             table: pa.Table, numbers: Any, stats: DnsLogStats, acc: _Answers) -> None:
    """Rows without a query name or a readable time are skipped lines; the rest's A/AAAA
    answers go to ``acc``."""
    import numpy as np
    import pyarrow.compute as pc

    times = pc.strptime(pc.utf8_slice_codeunits(table.column("query_timestamp"), 0, 19),
                        format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    ok = np.asarray(pc.and_(pc.is_valid(table.column("query_name")), pc.is_valid(times))
                    .to_numpy(zero_copy_only=False), dtype=bool)
    for row in np.flatnonzero(~ok).tolist():
        n = int(numbers[row])
        i = n - first_line
        why = _NO_NAME if table.column("query_name")[row].as_py() is None else _NO_TIME
        stats.skip(path, n, why, block[int(starts[i]):int(ends[i])])
    if not ok.all():
        mask = pc.and_(pc.is_valid(table.column("query_name")), pc.is_valid(times))
        table, times = table.filter(mask), times.filter(mask)
    stats.records += table.num_rows
    if table.num_rows:
        acc.add(table, times, stats)


# ------------------------------------------------------------------------------ answers


class _Answers:
    """A/AAAA answers of record tables, grouped by :data:`ANSWER_KEYS` as they come."""

    def __init__(self) -> None:
        self.parts: list[pa.Table] = []

    def add(self, table: pa.Table, times: Any, stats: DnsLogStats) -> None:
        rows = _explode(table, times)
        stats.answers += rows.num_rows
        if rows.num_rows:
            self.parts.append(_group(rows))
        if len(self.parts) > 64:
            self.parts = [self.result()]

    def result(self) -> pa.Table:
        import pyarrow as pa

        if not self.parts:
            return _empty()
        return _group(pa.concat_tables(self.parts), merged=True)


def _empty() -> pa.Table:
    import pyarrow as pa

    cols: dict[str, Any] = {k: pa.array([], pa.string()) for k in ANSWER_KEYS}
    cols["queries"] = pa.array([], pa.int64())
    cols["first_seen"] = pa.array([], pa.timestamp("s", tz="UTC"))
    cols["last_seen"] = pa.array([], pa.timestamp("s", tz="UTC"))
    return pa.table(cols)


def _group(rows: pa.Table, merged: bool = False) -> pa.Table:
    """Rows (``time`` per answer, or merged parts) grouped by :data:`ANSWER_KEYS`."""
    import pyarrow as pa

    keys = list(ANSWER_KEYS)
    if merged:
        aggs = [("queries", "sum"), ("first_seen", "min"), ("last_seen", "max")]
    else:
        aggs = [("time", "count"), ("time", "min"), ("time", "max")]
    out = rows.group_by(keys, use_threads=False).aggregate(aggs)
    names = [f"{c}_{how}" for c, how in aggs]
    cols = {k: out.column(k) for k in keys}
    cols["queries"] = out.column(names[0]).cast(pa.int64())
    cols["first_seen"] = out.column(names[1])
    cols["last_seen"] = out.column(names[2])
    return pa.table(cols)


def _name(col: Any) -> Any:
    """DNS names compared as written by people: lower case, no trailing dot."""
    import pyarrow.compute as pc

    return pc.utf8_rtrim(pc.utf8_lower(col), characters=".")


def _explode(table: pa.Table, times: Any) -> pa.Table:
    """One row per A/AAAA answer with its record's name, CNAME target, asker and time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    answers = table.column("answers").combine_chunks()
    parents = np.asarray(pc.list_parent_indices(answers).to_numpy(zero_copy_only=False))
    flat = pc.list_flatten(answers)
    rtype = pc.utf8_upper(pc.fill_null(flat.field("Type"), ""))
    rdata = flat.field("Rdata")
    keep = np.asarray(pc.is_in(rtype, pa.array(["A", "AAAA"])).to_numpy(zero_copy_only=False),
                      dtype=bool) & np.asarray(pc.is_valid(rdata).to_numpy(
                          zero_copy_only=False), dtype=bool)
    at = parents[keep]
    name = _name(table.column("query_name").combine_chunks())
    ids = table.column("srcids").combine_chunks()
    cols = {"address": _addresses(rdata.filter(from_numpy(keep))),
            "name": name.take(from_numpy(at)),
            "target": _targets(rdata, rtype, parents, table.num_rows, name, at),
            "srcaddr": table.column("srcaddr").combine_chunks().take(from_numpy(at)),
            "instance": pc.struct_field(ids, "instance").take(from_numpy(at)),
            "resolver_endpoint": pc.struct_field(ids, "resolver_endpoint").take(
                from_numpy(at)),
            "vpc_id": table.column("vpc_id").combine_chunks().take(from_numpy(at)),
            "time": times.cast(pa.timestamp("s", tz="UTC")).take(from_numpy(at))}
    out = pa.table(cols)
    return out.filter(pc.is_valid(out.column("address")))


def _targets(rdata: Any, rtype: Any, parents: Any, records: int, name: Any, at: Any) -> Any:
    """Per answer row (record ``at``): its record's last CNAME Rdata, else the query name.
    Resolver answers carry no owner names: the addresses answer the end of the chain."""
    import numpy as np
    import pyarrow.compute as pc

    is_cname = np.asarray(pc.equal(rtype, "CNAME").to_numpy(zero_copy_only=False), dtype=bool)
    if not is_cname.any():
        return name.take(from_numpy(at))
    flat_at = np.flatnonzero(is_cname)
    owner = parents[is_cname]  # non-decreasing: the answers of a record are consecutive
    last = np.r_[owner[1:] != owner[:-1], True]
    pick = np.full(records, -1, dtype=np.int64)
    pick[owner[last]] = flat_at[last]
    chosen = pick[at]
    has = chosen >= 0
    cname = _name(rdata).take(from_numpy(np.where(has, chosen, 0)))
    return pc.if_else(from_numpy(has), cname, name.take(from_numpy(at)))


def _addresses(rdata: Any) -> Any:
    """Answer addresses as flow logs write them (IPv6 compressed), by awsip's one address rule
    (:func:`awsip.addr.parse_address`); not an address: null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.utf8_trim_whitespace(rdata)
    distinct = pc.unique(values)
    canon: list[str | None] = []
    for v in distinct.to_pylist():  # distinct addresses only
        try:
            canon.append(format_address(*parse_address(v)))
        except InvalidAddressError:
            canon.append(None)
    if canon == distinct.to_pylist():
        return values
    return pa.array(canon, pa.string()).take(pc.index_in(values, distinct))


__all__ = ["ANSWER_KEYS", "DnsLog", "DnsLogStats", "read_dns_logs"]
