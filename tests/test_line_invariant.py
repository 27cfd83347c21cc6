"""Every input line is accounted for, and the records kept are exactly the valid lines (issue 12).

For each way flow logs come (plain text with a header, headerless with ``log_format``, gzip,
CloudWatch Logs exports, Logs Insights CSV and JSON, Parquet rows), a hypothesis property builds
a file from valid and mutated lines (bad addresses, doubled spaces and tabs, millisecond and
out-of-range times, bad numbers, missing and extra fields, CR and CRLF, byte-order marks, blank
lines, NODATA/SKIPDATA lines, repeated headers), reads it and checks that

* ``lines == header_lines + blank_lines + skipped + records + outside_window``, with ``lines``
  the number of lines (rows) in the input; ``records`` includes NODATA/SKIPDATA rows;
* the records are, in order, the values that the line rule gives for the valid lines. The rule
  is written out again here from docs/flowlogs.md ("How a line is read"), independently of the
  reader's code, with ``awsip.addr.parse_address`` (what ``awsip.classify`` calls valid) for
  addresses.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import awsip
from awsip.addr import parse_address
from awsip.errors import InvalidAddressError
from awsip.flowlogs.fields import DEFAULT_FIELDS, FIELDS
from flowlog_factory import T0

_TMP = Path(tempfile.mkdtemp(prefix="awsip-invariant-"))
_SETTINGS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: a wider format: all four address fields and more number kinds
_WIDE = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "pkt-srcaddr",
         "pkt-dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
         "action", "log-status", "tcp-flags", "vpc-id")
_ADDRESS_FIELDS = {"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"}
_MAX = {"int32": 2**31 - 1, "int64": 2**63 - 1, "timestamp": 2**63 - 1}
_NULL_TEXT = {"-", "", "none", "null", "nan", "nat", "na", "n/a", "<na>"}  # Parquet only
_BOM = b"\xef\xbb\xbf"

# --------------------------------------------------------------------------- values

_GOOD = {
    "address": ["10.0.1.5", "52.216.58.42", "2600:1f18::5", "::ffff:10.0.0.1", "-",
                "fe80::1%eth0", "0.0.0.0", "255.255.255.255", "::"],
    "int32": ["0", "6", "443", "2147483647", "-", "007"],
    "int64": ["0", "4000", "9223372036854775807", "-"],
    "timestamp": [str(T0), str(T0 + 60), str(T0 * 1000), "99999999999999", "0", "-"],
    "string": ["ACCEPT", "REJECT", "OK", "NODATA", "SKIPDATA", "INCOMPLETEDATA", "eni-0a1b2c3d",
               "123456789012", "-", "vpc-1", "é"],
}
_BAD = {
    "address": ["999.216.58.42", "10.0.0.256", "01.2.3.4", "1.2.3", "10.0.0.1/32", "abc",
                "2600::1::2", "1.2.3.4.5", "::ffff:999.0.0.1", "0x0a000001"],
    "int32": ["2147483648", "-5", "0x10", "+5", "1e3", "5.0", "x", "１２"],
    "int64": ["9223372036854775808", "-1", "12a", "00000000000000000001"],
    "timestamp": ["100000000000000", "-1", "1.5", "99999999999999999999"],
    "string": ["\udcff"],  # becomes the byte 0xff: not UTF-8
}


def _kind(field: str) -> str:
    return "address" if field in _ADDRESS_FIELDS else FIELDS[field].kind


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _pick(draw: st.DrawFn, kind: str, odds: int = 30, extra: tuple[str, ...] = ()) -> str:
    """A value of ``kind``: a bad one about once in ``odds`` draws."""
    if draw(st.integers(1, odds)) == 1:
        return draw(st.sampled_from(_BAD[kind] + list(extra)))
    return draw(st.sampled_from(_GOOD[kind]))


@st.composite
def _tokens(draw: st.DrawFn, fields: tuple[str, ...]) -> list[bytes]:
    """One value per field, a few of them bad; sometimes a field dropped or added; NODATA,
    SKIPDATA and (Cloud WAN) INCOMPLETEDATA records as AWS writes them (dashes, times maybe in
    milliseconds)."""
    shape = draw(st.sampled_from(["record"] * 4 + ["nodata", "skipdata", "incompletedata"]))
    toks = []
    for f in fields:
        value = _pick(draw, _kind(f))
        if shape != "record" and f not in ("version", "account-id", "interface-id", "start",
                                           "end", "log-status", "vpc-id"):
            value = "-"
        if f == "log-status" and shape != "record":
            value = shape.upper()
        toks.append(_raw(value))
    edit = draw(st.sampled_from(["none"] * 14 + ["drop", "add"]))
    if edit == "drop":
        del toks[draw(st.integers(0, len(toks) - 1))]
    elif edit == "add":
        toks.insert(draw(st.integers(0, len(toks))), b"extra")
    return toks


@st.composite
def _line(draw: st.DrawFn, fields: tuple[str, ...], prefix: bytes = b"") -> bytes:
    """A record line: its fields joined by runs of spaces/tabs, maybe spaces at the edges, a
    byte-order mark at the start, a CR inside (bad), or (rarely) a blank line."""
    if draw(st.integers(0, 11)) == 0:
        return draw(st.sampled_from([b"", b" ", b"\t \t"]))
    toks = ([prefix] if prefix else []) + draw(_tokens(fields))
    gaps = draw(st.lists(st.sampled_from([b" "] * 6 + [b"  ", b"\t", b" \t "]),
                         min_size=len(toks), max_size=len(toks)))
    text = b"".join(g + t for g, t in zip([b"", *gaps[1:]], toks, strict=True))
    if draw(st.integers(0, 5)) == 0:
        text = draw(st.sampled_from([b" ", b"\t", b"  "])) + text
    if draw(st.integers(0, 5)) == 0:
        text += draw(st.sampled_from([b" ", b"\t", b"  "]))
    if draw(st.integers(0, 14)) == 0:
        where = draw(st.integers(0, len(text)))
        text = text[:where] + b"\r" + text[where:]
    if draw(st.integers(0, 11)) == 0:
        text = _BOM + text
    return text


# --------------------------------------------------------------------------- the rule, again


def _number(token: bytes, kind: str) -> int | None:
    """A number or time field's value, or None when it is bad (``-`` is handled before)."""
    if not (token.isascii() and token.isdigit()) or len(token) > len(str(_MAX[kind])):
        return None
    value = int(token)
    if value > _MAX[kind] or (kind == "timestamp" and value >= 10**14):
        return None
    return value


def _value(token: bytes, kind: str) -> tuple[bool, Any]:
    """``(ok, value)`` of one field by the line rule."""
    if token == b"-":
        return True, None
    if kind == "string":
        try:
            return True, token.decode("utf-8")
        except UnicodeDecodeError:
            return False, None
    if kind == "address":
        try:
            text = token.decode("utf-8")
            parse_address(text)
        except (UnicodeDecodeError, InvalidAddressError):
            return False, None
        return True, text
    number = _number(token, kind)
    if number is None:
        return False, None
    if kind == "timestamp":
        seconds = number // 1000 if number >= 10**11 else number
        return True, datetime.fromtimestamp(seconds, tz=timezone.utc)
    return True, number


def _expect(line: bytes, fields: tuple[str, ...], header: list[bytes] | None,
            cloudwatch: bool = False) -> str | dict[str, Any]:
    """What the line rule makes of ``line`` (with its line end, if any): "blank", "header",
    "skip", or the record as the reader's row."""
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):  # the CR of a CRLF (or of a last line without its LF)
        line = line[:-1]
    if line.startswith(_BOM):
        line = line[len(_BOM):]
    if not line.strip(b" \t"):
        return "blank"
    toks = re.split(rb"[ \t]+", line.strip(b" \t"))
    if header is not None and toks == header:
        return "header"
    if b"\r" in line or len(toks) != len(fields) + cloudwatch:
        return "skip"
    row = {}
    for f, token in zip(fields, toks[cloudwatch:], strict=True):
        ok, value = _value(token, _kind(f))
        if not ok:
            return "skip"
        row[f.replace("-", "_")] = value
    return row


def _check(reader: Any, expected: list[str | dict[str, Any]], lines: int) -> None:
    """The reader's rows are the expected records, and every line is accounted for."""
    rows = reader.read_all().to_pylist()
    want = [e for e in expected if isinstance(e, dict)]
    assert [{k: r.get(k) for k in w} for r, w in zip(rows, want, strict=False)] == want
    assert len(rows) == len(want)
    s = reader.stats
    assert s.lines == lines
    assert s.lines == s.header_lines + s.blank_lines + s.skipped + s.records + s.outside_window
    assert s.skipped == expected.count("skip")
    assert s.blank_lines == expected.count("blank")
    assert s.header_lines == expected.count("header")
    assert s.nodata == sum(1 for r in want if r.get("log_status") == "NODATA")
    assert s.skipdata == sum(1 for r in want if r.get("log_status") == "SKIPDATA")
    assert s.incomplete == sum(1 for r in want if r.get("log_status") == "INCOMPLETEDATA")
    for what, n in (("skipped", s.skipped), ("records", s.records), ("blank", s.blank_lines),
                    ("repeated header", s.repeated_headers),
                    ("nodata/skipdata/incomplete", s.nodata + s.skipdata + s.incomplete)):
        event(f"{what}: {'some' if n else 'none'}")  # --hypothesis-show-statistics


def _read(path: Path, **kw: Any) -> Any:
    return awsip.read_flow_logs(path, progress=False, **kw)


# --------------------------------------------------------------------------- text files


def _body(draw: st.DrawFn, fields: tuple[str, ...], header: bool, prefix: bytes = b"",
          size: int = 12) -> tuple[list[bytes], list[bytes]]:
    """Lines (without line ends) and their line ends; a header first when ``header`` and
    repeats of it among the lines."""
    head = [b" ".join(f.encode() for f in fields)] if header else []
    again = st.sampled_from(head or [b""])  # a repeated header (or a blank line)
    body = draw(st.lists(st.one_of(*[_line(fields, prefix)] * 7, again), min_size=1,
                         max_size=size))
    lines = head + body
    ends = draw(st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=len(lines),
                         max_size=len(lines)))
    if lines[-1] and draw(st.booleans()):
        ends[-1] = b""  # no line end after the last line
    return lines, ends


def _expected(lines: list[bytes], ends: list[bytes], fields: tuple[str, ...], header: bool,
              cloudwatch: bool = False) -> list[str | dict[str, Any]]:
    head = lines[0].split(b" ") if header else None
    found = [_expect(ln + e, fields, head, cloudwatch) for ln, e in zip(lines, ends, strict=True)]
    return ["header", *found[1:]] if header else found


def _joined(lines: list[bytes], ends: list[bytes]) -> bytes:
    return b"".join(ln + e for ln, e in zip(lines, ends, strict=True))


def _lines_in(data: bytes) -> int:
    return data.count(b"\n") + (not data.endswith(b"\n") and bool(data))


@_SETTINGS
@given(data=st.data(), wide=st.booleans(), compress=st.sampled_from(["plain", "gzip", "members"]))
def test_every_line_of_a_text_file_with_a_header_is_accounted_for(data: st.DataObject,
                                                                  wide: bool,
                                                                  compress: str) -> None:
    fields = _WIDE if wide else DEFAULT_FIELDS
    lines, ends = _body(data.draw, fields, header=True)
    raw = _joined(lines, ends)
    path = _TMP / "header.log"
    if compress == "plain":
        path.write_bytes(raw)
    else:
        cut = raw.find(b"\n", len(raw) // 2) + 1 if compress == "members" else 0
        path.write_bytes(gzip.compress(raw[:cut]) + gzip.compress(raw[cut:]) if cut
                         else gzip.compress(raw))
    _check(_read(path), _expected(lines, ends, fields, header=True), _lines_in(raw))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(data=st.data(), repeat=st.integers(300, 600))
def test_every_line_of_a_file_of_many_blocks_is_accounted_for(data: st.DataObject,
                                                              repeat: int) -> None:
    """Past 16 KiB the fast path (the vectorised checks) reads the block and bisects it around
    bad lines; the answer is still the rule's, line by line."""
    fields = _WIDE
    lines, ends = _body(data.draw, fields, header=True)
    if not ends[-1]:
        ends[-1] = b"\n"
    lines = lines[:1] + lines[1:] * repeat
    ends = ends[:1] + ends[1:] * repeat
    raw = _joined(lines, ends)
    path = _TMP / "many.log.gz"
    path.write_bytes(gzip.compress(raw, compresslevel=1))
    _check(_read(path), _expected(lines, ends, fields, header=True), _lines_in(raw))


@_SETTINGS
@given(data=st.data(), compress=st.booleans())
def test_every_line_of_a_headerless_file_read_with_its_log_format_is_accounted_for(
        data: st.DataObject, compress: bool) -> None:
    fields = _WIDE
    lines, ends = _body(data.draw, fields, header=False)
    # the first line decides the format: a record, not a blank line or a header
    lines[0] = b" ".join(_raw(_GOOD[_kind(f)][0]) for f in fields)
    raw = _joined(lines, ends)
    path = _TMP / "headerless.log"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    log_format = " ".join("${" + f + "}" for f in fields)
    _check(_read(path, log_format=log_format), _expected(lines, ends, fields, header=False),
           _lines_in(raw))


@_SETTINGS
@given(data=st.data())
def test_every_line_of_a_cloudwatch_logs_export_is_accounted_for(data: st.DataObject) -> None:
    """Exports prefix each record with the event's ISO-8601 time (a field the rule skips)."""
    stamp = b"2026-03-27T01:38:05.000Z"
    fields = DEFAULT_FIELDS
    lines, ends = _body(data.draw, fields, header=False, prefix=stamp)
    lines[0] = stamp + b" " + b" ".join(_raw(_GOOD[_kind(f)][0]) for f in fields)
    raw = _joined(lines, ends)
    path = _TMP / "export.log.gz"
    path.write_bytes(gzip.compress(raw))
    _check(_read(path), _expected(lines, ends, fields, header=False, cloudwatch=True),
           _lines_in(raw))


# --------------------------------------------------------------------------- Logs Insights

#: Insights column names (as queries name them) for the fields of a result row
_INSIGHTS = {"srcAddr": "srcaddr", "dstAddr": "dstaddr", "srcPort": "srcport",
             "dstPort": "dstport", "protocol": "protocol", "bytes": "bytes", "start": "start",
             "end": "end", "action": "action", "logStatus": "log-status"}


@st.composite
def _result_row(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, f in _INSIGHTS.items():
        value: Any = _pick(draw, _kind(f), odds=20)
        if value == "\udcff":
            value = "REJECT"  # JSON/CSV text is Unicode: no bytes that are not UTF-8 here
        row[name] = None if value == "-" and draw(st.booleans()) else value
    return row


def _insights_token(value: Any, kind: str) -> bytes:
    """How a result value becomes a field (docs/flowlogs.md, Logs Insights): null or blank is
    ``-``; a whole number written ``5000.0`` is ``5000``."""
    text = "" if value is None else str(value).strip()
    if not text:
        return b"-"
    if kind != "string" and re.fullmatch(r"\d+\.0*", text):
        text = text.split(".")[0]
    return text.encode()


def _insights_file(rows: list[dict[str, Any]], as_json: bool) -> bytes:
    if as_json:
        return json.dumps(rows).encode()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(_INSIGHTS))
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return out.getvalue().encode()


@_SETTINGS
@given(rows=st.lists(_result_row(), min_size=1, max_size=10), as_json=st.booleans())
def test_every_row_of_logs_insights_results_is_accounted_for(rows: list[dict[str, Any]],
                                                              as_json: bool) -> None:
    fields = tuple(_INSIGHTS.values())
    path = _TMP / ("insights.json" if as_json else "insights.csv")
    path.write_bytes(_insights_file(rows, as_json))
    lines = [b" ".join(_insights_token(r[n], _kind(f)) for n, f in _INSIGHTS.items())
             for r in rows]
    _check(_read(path), [_expect(ln, fields, None) for ln in lines], len(rows))


@_SETTINGS
@given(data=st.data(), as_json=st.booleans())
def test_every_message_of_logs_insights_results_is_accounted_for(data: st.DataObject,
                                                                  as_json: bool) -> None:
    """A query that kept ``@message`` gives the records themselves, one per result row."""
    fields = DEFAULT_FIELDS
    messages = data.draw(st.lists(_line(fields), min_size=1, max_size=10))
    texts = [m.decode("utf-8", "surrogateescape") for m in messages]
    rows = [{"@timestamp": "2026-03-27 01:38:05.000", "@message": t} for t in texts]
    if as_json:
        raw = json.dumps(rows).encode("utf-8", "surrogateescape")
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["@timestamp", "@message"])
        writer.writeheader()
        writer.writerows(rows)
        raw = out.getvalue().encode("utf-8", "surrogateescape")
    path = _TMP / ("messages.json" if as_json else "messages.csv")
    path.write_bytes(raw)
    # a message is one line: stripped, line breaks inside it spaces
    lines = [re.sub(rb"[\r\n\v\f]", b" ", m.strip(b" \t\r\n\v\f")) for m in messages]
    _check(_read(path), [_expect(ln, fields, None) for ln in lines], len(rows))


# --------------------------------------------------------------------------- Parquet


def _parquet_value(text: str | None, kind: str) -> tuple[bool, Any]:
    """``(ok, value)`` of one text cell of a Parquet file (docs/flowlogs.md, Parquet values):
    the line rule, with the null spellings of pandas/Spark/SQL in number, time and address
    columns."""
    if text is None:
        return True, None
    if kind != "string" and text.lower() in _NULL_TEXT:
        return True, None
    if kind in ("string", "address"):
        return _value(text.encode("utf-8", "surrogateescape"), kind)
    return _value(text.encode(), kind)


@st.composite
def _cell(draw: st.DrawFn, kind: str) -> str | None:
    """A Parquet text cell: a value (bad about once in 40), a null spelling, or null."""
    if draw(st.integers(0, 15)) == 0:
        return None
    if kind != "string" and draw(st.integers(0, 15)) == 0:
        return draw(st.sampled_from(["None", "NaN", "", "<NA>", "null"]))
    value = _pick(draw, kind, odds=40)
    return "-" if value == "\udcff" else value  # Parquet text is Unicode


@_SETTINGS
@given(data=st.data())
def test_every_row_of_a_parquet_file_with_text_columns_is_accounted_for(
        data: st.DataObject) -> None:
    """Parquet written by pandas with every column as text: a bad value skips its row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = _WIDE
    n = data.draw(st.integers(1, 12))
    columns = {f.replace("-", "_"): data.draw(st.lists(_cell(_kind(f)), min_size=n,
                                                        max_size=n)) for f in fields}
    path = _TMP / "text.parquet"
    pq.write_table(pa.table({c: pa.array(v, pa.string()) for c, v in columns.items()}), path)
    expected: list[str | dict[str, Any]] = []
    for i in range(n):
        row = {}
        for f in fields:
            c = f.replace("-", "_")
            ok, value = _parquet_value(columns[c][i], _kind(f))
            if not ok:
                expected.append("skip")
                break
            row[c] = value
        else:
            expected.append(row)
    _check(_read(path), expected, n)


# --------------------------------------------------------------------------- JSON-wrapped

_GROUP, _STREAM = "/vpc/flowlogs", "eni-0a1b2c3d4e5f60718-all"
_CONTROL = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
            "logStream": "", "subscriptionFilters": [], "logEvents": [
                {"id": "", "timestamp": T0 * 1000,
                 "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}


def _event_line(message: bytes) -> bytes:
    """An event's message as the line it is read as: a line break inside it is a space."""
    return re.sub(rb"[\r\n]", b" ", message)


def _with_event(expected: str | dict[str, Any], millis: int) -> str | dict[str, Any]:
    """An expected record with the columns a JSON-wrapped event adds."""
    if isinstance(expected, str):
        return expected
    return {**expected, "log_group": _GROUP, "log_stream": _STREAM,
            "event_time": datetime.fromtimestamp(millis / 1000, tz=timezone.utc)}


def _messages(data: st.DataObject, fields: tuple[str, ...]) -> list[bytes]:
    messages = data.draw(st.lists(_line(fields), min_size=1, max_size=12))
    messages[0] = b" ".join(_raw(_GOOD[_kind(f)][0]) for f in fields)  # decides the format
    return messages


@_SETTINGS
@given(data=st.data(), payloads=st.integers(1, 3), control=st.booleans())
def test_every_event_of_cloudwatch_logs_subscription_payloads_is_accounted_for(
        data: st.DataObject, payloads: int, control: bool) -> None:
    """Firehose objects of gzip'd DATA_MESSAGE payloads, concatenated: each event one line; a
    CONTROL_MESSAGE is not a line."""
    fields = DEFAULT_FIELDS
    messages = _messages(data, fields)
    millis = [T0 * 1000 + 37 * i for i in range(len(messages))]
    cut = sorted(data.draw(st.lists(st.integers(1, len(messages)), min_size=payloads - 1,
                                    max_size=payloads - 1)))
    raw = gzip.compress(json.dumps(_CONTROL).encode()) if control else b""
    for a, b in zip([0, *cut], [*cut, len(messages)], strict=True):
        events = [{"id": str(i), "timestamp": millis[i],
                   "message": messages[i].decode("utf-8", "surrogateescape")}
                  for i in range(a, b)]
        payload = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": _GROUP,
                   "logStream": _STREAM, "subscriptionFilters": ["to-firehose"],
                   "logEvents": events}
        raw += gzip.compress(json.dumps(payload).encode())
    path = _TMP / "firehose.gz"
    path.write_bytes(raw)
    expected = [_with_event(_expect(_event_line(m), fields, None), ms)
                for m, ms in zip(messages, millis, strict=True)]
    reader = _read(path)
    _check(reader, expected, len(messages))
    assert reader.stats.control_messages == control


@_SETTINGS
@given(data=st.data())
def test_every_line_of_json_lines_with_a_message_is_accounted_for(data: st.DataObject) -> None:
    """One object per line with the record in ``message``; a blank line is a blank line, a
    line that is not such an object a skipped one."""
    fields = DEFAULT_FIELDS
    messages = _messages(data, fields)
    millis = [T0 * 1000 + 37 * i for i in range(len(messages))]
    lines: list[bytes] = []
    expected: list[str | dict[str, Any]] = []
    for m, ms in zip(messages, millis, strict=True):
        shape = data.draw(st.sampled_from(["event"] * 10 + ["blank", "no message", "not JSON"]))
        if shape == "blank" and lines:
            lines.append(b"")
            expected.append("blank")
        elif shape != "event" and lines:
            lines.append(b'{"message": 5}' if shape == "no message" else b'{"message": "')
            expected.append("skip")
        else:
            doc = {"message": m.decode("utf-8", "surrogateescape"), "timestamp": ms,
                   "logGroup": _GROUP, "logStream": _STREAM}
            lines.append(json.dumps(doc).encode())
            expected.append(_with_event(_expect(_event_line(m), fields, None), ms))
    path = _TMP / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _check(_read(path), expected, len(lines))
