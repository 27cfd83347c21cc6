"""Flow-log records wrapped in JSON, turned into lines for the one text parser.

Two deliveries, told apart from content by :func:`sniff_json`:

- **CloudWatch Logs subscription payloads**, as a subscription filter sends them to Amazon Data
  Firehose and Firehose writes them to S3: each record is one gzip member holding one JSON
  object ``{"messageType": "DATA_MESSAGE", "owner": ..., "logGroup": ..., "logStream": ...,
  "subscriptionFilters": [...], "logEvents": [{"id": ..., "timestamp": <ms>, "message":
  "<record>"}, ...]}``; an S3 object is several of them concatenated, with no separator (or with
  white space or newlines between them). Shape and field meanings: "Log group-level
  subscription filters" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html)
  and "Validate the flow of log events"
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/ValidateLogEventFlow.html):
  "Data messages will use the DATA_MESSAGE type. Sometimes CloudWatch Logs may emit ... records
  with a CONTROL_MESSAGE type, mainly for checking if the destination is reachable". Objects
  whose ``messageType`` is not ``DATA_MESSAGE`` are not read (counted in
  ``FlowLogStats.control_messages``).
- **JSON Lines**, one object per line with the record in ``message`` (``{"message": "2
  123456789012 eni-... ..."}``), optionally with ``timestamp``, ``logGroup``, ``logStream``.

Each log event (each JSON line) is one line for the text parser, so the line rule, the
format (``log_format``, a header as first message, or the default format) and the counting
are those of a text file: "line N" of such a file is its N-th log event (its N-th line for
JSON Lines). Line breaks inside a message become spaces (a message is one line). The event's
log group, log stream and time (``timestamp``: milliseconds since the epoch, CloudWatch Logs'
unit, or ISO-8601 text) become the columns ``log_group``, ``log_stream`` and ``event_time``
(timestamp[ms, UTC]) appended to the records: always for subscription payloads, and for JSON
Lines those whose key the first line has.

An event that is not an object with a text ``message`` (or a JSON line that is not valid JSON)
is skipped like a bad line, with its number and the reason. In a file of concatenated objects
nothing after invalid JSON can be found reliably: the events before it are produced, then a
:class:`FlowLogError` names the file, the object's number and the character where it broke.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import FlowLogError
from .insights import json_kind as _kind

SUBSCRIPTION = "cwl-subscription"
JSON_LINES = "json-lines"
EXTRA_COLUMNS = ("log_group", "log_stream", "event_time")

# a top-level key of a subscription payload: after "{" or "," (inside a JSON string the quote
# would be escaped), so a record's text cannot look like one
_PAYLOAD_KEY = re.compile(rb'[{,]\s*"(?:messageType|logEvents)"\s*:')
_RESULTS_KEY = re.compile(rb'^\s*\{\s*"results"\s*:')
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's white space
_BREAKS = re.compile(r"[\r\n]")
_MAX_MS = 253_402_300_800_000  # 10000-01-01: later times are not kept
_GROUP_KEYS = ("logGroup", "logGroupName", "log_group")
_STREAM_KEYS = ("logStream", "logStreamName", "log_stream")
_TIME_KEYS = ("timestamp",)


def sniff_json(head: bytes) -> str | None:
    """What the JSON starting at ``head`` (a file's first line and up to 64 KiB) is:
    :data:`SUBSCRIPTION` (a top-level ``messageType`` or ``logEvents`` key), :data:`JSON_LINES`
    (a first line that is an object with a ``message``; or, when the first line is not JSON,
    the next line that is), or None (Logs Insights results: a
    list, an object with ``results``, or anything else, for that reader to accept or name)."""
    first = head.split(b"\n", 1)[0]
    if first.lstrip().startswith(b"["):
        return None
    try:
        doc = json.loads(first)
    except (ValueError, RecursionError):
        doc = None  # an object over several lines, concatenated objects, or not JSON
    if isinstance(doc, dict):
        if "results" in doc:
            return None
        if "messageType" in doc or "logEvents" in doc:
            return SUBSCRIPTION
        if "message" in doc:
            return JSON_LINES
    if doc is None and not _RESULTS_KEY.match(head):
        if _PAYLOAD_KEY.search(head):
            return SUBSCRIPTION
        if first.lstrip().startswith(b"{") and _later_line_has_message(head):
            return JSON_LINES  # a bad first line of JSON Lines
    return None


def _later_line_has_message(head: bytes) -> bool:
    """Whether the first complete line after the first that is JSON (blank lines passed) is
    an object with a ``message``: a JSON Lines file whose first line is damaged."""
    for raw in head.split(b"\n")[1:-1][:100]:
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        return isinstance(doc, dict) and "message" in doc and "results" not in doc
    return False


@dataclass
class Messages:
    """Consecutive log events as text lines (``count`` lines, each ending with a newline) and
    their ``extras`` (column name → one value per event: text, or milliseconds)."""

    block: bytes
    count: int
    extras: dict[str, Any]  # lists, or Arrow arrays (see extra_array)


@dataclass
class BadEvent:
    """One event (or JSON line) that is not a record: why, and its text for the message."""

    reason: str
    text: str


Item = Messages | BadEvent


@dataclass
class _Batch:
    """Events being collected into one :class:`Messages`."""

    columns: tuple[str, ...]
    messages: list[str] = field(default_factory=list)
    extras: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.extras = {c: [] for c in self.columns}

    def add(self, messages: list[str], extras: dict[str, list[Any]]) -> None:
        """Add events; ``messages`` all text."""
        self.messages.extend(messages)
        for c in self.columns:
            self.extras[c].extend(extras[c])

    def take(self) -> Messages | None:
        """The events collected so far (None if none), and a fresh start."""
        count = len(self.messages)
        if not count:
            return None
        block = _block(self.messages)
        out = Messages(block, count, self.extras)
        self.messages, self.extras = [], {c: [] for c in self.columns}
        return out


def _block(messages: list[str]) -> bytes:
    """Messages as lines of UTF-8 (lone surrogates kept as invalid UTF-8, for the parser to
    reject); a line break inside a message becomes a space."""
    block = ("\n".join(messages) + "\n").encode("utf-8", "surrogatepass")
    if block.count(b"\n") != len(messages) or b"\r" in block:
        block = ("\n".join(_BREAKS.sub(" ", m) for m in messages) + "\n").encode(
            "utf-8", "surrogatepass")
    return block


def _millis(value: Any) -> int | None:
    """An event time as milliseconds since the epoch (None if absent or not a time)."""
    if type(value) is int:
        return value if 0 <= value < _MAX_MS else None
    if isinstance(value, float) and value == value and 0 <= value < _MAX_MS:
        return int(value)
    if isinstance(value, str):
        s = value.strip()
        if s.isascii() and s.isdigit():
            return _millis(int(s)) if len(s) <= 16 else None
        try:
            t = datetime.fromisoformat(s)
        except ValueError:
            return None
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return _millis(int(t.timestamp() * 1000))
    return None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)[:200]
    except (TypeError, ValueError, RecursionError):  # pragma: no cover - decoded JSON dumps
        return repr(value)[:200]


class WrappedDecoder:
    """Turns the decompressed bytes of one JSON-wrapped file, fed in pieces, into
    :class:`Messages` and :class:`BadEvent` items in file order. ``kind``: what
    :func:`sniff_json` said. For JSON Lines each piece must end at a line end."""

    def __init__(self, path: str, kind: str) -> None:
        self.path = path
        self.kind = kind
        self.columns: tuple[str, ...] | None = EXTRA_COLUMNS if kind == SUBSCRIPTION else None
        #: objects whose messageType is not DATA_MESSAGE (not read)
        self.control_messages = 0
        self._text = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        self._pending: list[str] = []  # text of a subscription file not yet decoded
        self._pending_size = 0
        self._offset = 0  # characters of the file before _pending
        self._objects = 0  # JSON values read so far
        self._retry_at = 0  # _pending length at which an incomplete value is tried again
        self._keys: dict[str, str] | None = None  # JSON Lines: extra column → its key

    def feed(self, data: bytes, final: bool = False) -> Iterator[Item]:
        """The items completed by ``data`` (all that remain when ``final``)."""
        if self.kind == SUBSCRIPTION:
            yield from self._feed_objects(data, final)
        else:
            yield from self._feed_lines(data)

    # ---------------------------------------------------------------- subscription payloads

    def _feed_objects(self, data: bytes, final: bool) -> Iterator[Item]:
        """Concatenated objects: each decoded whole; an incomplete last one waits for more
        data (tried again only once the text held doubles, so a huge object costs linear
        time)."""
        text = self._text.decode(data, final)
        self._pending.append(text)
        self._pending_size += len(text)
        if not final and self._pending_size < self._retry_at:
            return
        assert self.columns is not None
        batch = _Batch(self.columns)
        s = "".join(self._pending)
        pos, end = 0, len(s)
        decoder = json.JSONDecoder()
        while True:
            pos = _SPACE.match(s, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                break
            try:
                doc, after = decoder.raw_decode(s, pos)
            except ValueError as exc:  # JSONDecodeError, or an integer of over 4300 digits
                if not final and _incomplete(exc, end):
                    break
                yield from _flush(batch)
                where = f" at character {self._offset + exc.pos}" \
                    if isinstance(exc, json.JSONDecodeError) else ""
                raise FlowLogError(
                    f"{self.path}: JSON value {self._objects + 1} (from character "
                    f"{self._offset + pos} of the decompressed text) is not valid JSON: "
                    f"{getattr(exc, 'msg', exc)}{where}; the log events before it were "
                    "read") from None
            except RecursionError:
                yield from _flush(batch)
                raise FlowLogError(f"{self.path}: JSON value {self._objects + 1} is nested too "
                                   "deeply to be a CloudWatch Logs payload") from None
            self._objects += 1
            pos = after
            yield from self._payload(doc, batch)
        yield from _flush(batch)
        self._pending = [s[pos:]]
        self._pending_size = end - pos
        self._offset += pos
        self._retry_at = 2 * self._pending_size if pos == 0 and not final else 0

    def _payload(self, doc: Any, batch: _Batch) -> Iterator[Item]:
        """Add one payload's events to ``batch``; what is not an event is a BadEvent, given
        after the events before it."""
        where = f"JSON value {self._objects}"
        if not isinstance(doc, dict):
            yield from _flush(batch)
            yield BadEvent(f"{where} is {_kind(doc)}; expected a CloudWatch Logs payload "
                           '({"messageType": "DATA_MESSAGE", ..., "logEvents": [...]})',
                           _shown(doc))
            return
        if doc.get("messageType", "DATA_MESSAGE") != "DATA_MESSAGE":
            self.control_messages += 1
            return
        events = doc.get("logEvents")
        if not isinstance(events, list):
            yield from _flush(batch)
            yield BadEvent(f"{where}: logEvents is {_kind(events)}; expected a list of "
                           "log events", _shown(events))
            return
        group, stream = _text_or_none(doc.get("logGroup")), _text_or_none(doc.get("logStream"))
        try:
            messages = [e["message"] for e in events]
            times = [e.get("timestamp") for e in events]
            "".join(messages)  # raises unless every message is text
        except (TypeError, KeyError, AttributeError):
            yield from self._events_one_by_one(events, group, stream, batch)
            return
        n = len(messages)
        batch.add(messages, {"log_group": [group] * n, "log_stream": [stream] * n,
                             "event_time": times})

    def _events_one_by_one(self, events: list[Any], group: str | None, stream: str | None,
                           batch: _Batch) -> Iterator[Item]:
        """The events of a payload that has a bad one, in order: each bad one a BadEvent."""
        for i, event in enumerate(events):
            message = event.get("message") if isinstance(event, dict) else None
            if isinstance(message, str):
                batch.add([message], {"log_group": [group], "log_stream": [stream],
                                      "event_time": [_millis(event.get("timestamp"))]})
                continue
            yield from _flush(batch)
            where = f"JSON value {self._objects}, logEvents[{i}]"
            yield BadEvent(f"{where}: 'message' is {_kind(message)}; expected the flow-log "
                           "record as text" if isinstance(event, dict) else
                           f"{where} is {_kind(event)}; expected a log event object",
                           _shown(event))

    # ---------------------------------------------------------------- JSON Lines

    def _feed_lines(self, data: bytes) -> Iterator[Item]:
        """Whole lines: by Arrow's JSON reader when every line is an object with a text
        message (and the extra keys of the expected types), or by one ``json.loads`` of them
        all as an array, or else line by line (bad lines become BadEvents)."""
        count = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        if not count:
            return
        if self._keys is None:
            self._learn_keys(data.split(b"\n", 1)[0])
        if self._keys is not None:
            fast = _arrow_lines(data, count, self._keys)
            if fast is not None:
                yield fast
                return
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        docs = _as_array(data)
        messages: list[str] = []
        if docs is not None and len(docs) == len(lines):
            try:
                messages = [d["message"] for d in docs]
                "".join(messages)  # raises unless every message is text
            except (TypeError, KeyError):
                docs = None
        else:
            docs = None
        if docs is None:
            yield from self._lines_one_by_one(lines)
            return
        if self._keys is None:
            self._learn_keys(data.split(b"\n", 1)[0])
        batch = _Batch(self.columns or ())
        batch.add(messages, self._line_extras(docs))
        yield from _flush(batch)

    def _line_extras(self, docs: list[dict[str, Any]]) -> dict[str, list[Any]]:
        """The extra columns of JSON lines, one value per line."""
        out: dict[str, list[Any]] = {}
        for column, key in (self._keys or {}).items():
            values = [d.get(key) for d in docs]
            out[column] = values  # converted by extra_array
        return out

    def _lines_one_by_one(self, lines: list[bytes]) -> Iterator[Item]:
        """Each line on its own: blank lines stay (blank) lines, bad ones are BadEvents."""
        batch = _Batch(self.columns or ())
        for raw in lines:
            if self._keys is None and self._learn_keys(raw):
                yield from _flush(batch)  # blank lines only: no records
                batch = _Batch(self.columns or ())
            doc, bad = _json_line(raw)
            if bad is not None:
                yield from _flush(batch)
                yield bad
                continue
            message = "" if doc is None else doc["message"]
            extras = self._line_extras([doc]) if doc is not None else \
                {c: [None] for c in batch.columns}
            batch.add([message], extras)
        yield from _flush(batch)

    def _learn_keys(self, raw: bytes) -> bool:
        """Take the extra columns from ``raw`` if it is a JSON object (the file's first)."""
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            return False
        if not isinstance(doc, dict):
            return False
        self._keys = _line_keys(doc)
        self.columns = tuple(self._keys)
        return True


def _line_keys(doc: dict[str, Any]) -> dict[str, str]:
    """The extra columns of a JSON Lines file and the key each is read from: those whose key
    its first object has."""
    out = {}
    for column, keys in (("log_group", _GROUP_KEYS), ("log_stream", _STREAM_KEYS),
                         ("event_time", _TIME_KEYS)):
        key = next((k for k in keys if k in doc), None)
        if key is not None:
            out[column] = key
    return out


def _arrow_lines(data: bytes, count: int, keys: dict[str, str]) -> Messages | None:
    """JSON lines read by Arrow's (multi-threaded) JSON reader, or None when any line is not
    plainly an object with a text ``message`` and extra keys of the expected types (blank
    lines, bad JSON, numbers as text, line breaks inside a message): the Python paths then
    decide, line by line when needed."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    fields = [("message", pa.string())] + [
        (k, pa.int64() if c == "event_time" else pa.string()) for c, k in keys.items()]
    try:
        table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(
            block_size=1 << 20), parse_options=pj.ParseOptions(
            explicit_schema=pa.schema(fields), unexpected_field_behavior="ignore"))
    except pa.ArrowException:  # the Python paths decide, and say why
        return None
    messages = table.column("message").combine_chunks()
    if table.num_rows != count or messages.null_count:
        return None
    lines = pc.binary_join_element_wise(messages, pa.scalar(""), pa.scalar("\n"))
    size = pc.sum(pc.binary_length(lines)).as_py() or 0
    block = lines.buffers()[2].slice(0, size).to_pybytes()
    if block.count(b"\n") != count or b"\r" in block:
        return None
    return Messages(block, count, {c: table.column(k).combine_chunks() for c, k in keys.items()})


def extra_array(name: str, values: Any, kept: list[int] | None) -> Any:
    """One extra column as an Arrow array (only the ``kept`` events when given):
    ``event_time`` from milliseconds to timestamp[ms, UTC] (times out of range null), the
    others text (anything else null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, list):
        if kept is not None:
            values = [values[i] for i in kept]
        try:
            values = pa.array(values, pa.int64() if name == "event_time" else pa.string())
        except (pa.ArrowException, OverflowError):
            values = pa.array([_millis(v) for v in values], pa.int64()) \
                if name == "event_time" else pa.array([_text_or_none(v) for v in values],
                                                      pa.string())
    elif kept is not None:
        values = values.take(pa.array(kept, pa.int64()))
    if name != "event_time":
        return values
    fine = pc.and_(pc.greater_equal(values, 0), pc.less(values, _MAX_MS))
    return pc.if_else(fine, values, pa.scalar(None, pa.int64())).cast(
        pa.timestamp("ms", tz="UTC"))


def _json_line(raw: bytes) -> tuple[dict[str, Any] | None, BadEvent | None]:
    """One JSON line: (object, None), (None, None) for a blank line, or (None, BadEvent)."""
    if not raw.strip():
        return None, None
    shown = raw[:200].decode("utf-8", "replace")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return None, BadEvent(f"not valid JSON: {exc}", shown)
    if not isinstance(doc, dict):
        return None, BadEvent(f"a JSON line is {_kind(doc)}; expected an object with a "
                              "'message'", shown)
    if not isinstance(doc.get("message"), str):
        return None, BadEvent(f"'message' is {_kind(doc.get('message'))}; expected the "
                              "flow-log record as text", shown)
    return doc, None


def _as_array(data: bytes) -> list[Any] | None:
    """Whole JSON lines parsed as one array (one C call), or None if that is not valid."""
    body = data.rstrip(b"\r\n").replace(b"\n", b",")
    try:
        docs = json.loads(b"[" + body + b"]")
    except (ValueError, RecursionError):
        return None
    return docs if isinstance(docs, list) else None


def _incomplete(exc: ValueError, end: int) -> bool:
    """Whether a decoding error means the text ended inside the value (more may come)."""
    if not isinstance(exc, json.JSONDecodeError):
        return False
    return exc.msg.startswith("Unterminated string") or exc.pos >= end - 8


def _flush(batch: _Batch) -> Iterator[Messages]:
    out = batch.take()
    if out is not None:
        yield out


__all__ = ["EXTRA_COLUMNS", "JSON_LINES", "SUBSCRIPTION", "BadEvent", "Messages",
           "WrappedDecoder", "extra_array", "sniff_json"]
