"""CloudWatch Logs Insights results (the console's CSV/JSON export, or ``aws logs
get-query-results`` output) turned into flow-log text lines for the one text parser.

A query that kept ``@message`` gives the records themselves; one that selected fields
(``srcAddr``, ``dstAddr``, ``sum(bytes)`` ...) gives a line per result row, its columns mapped
onto the catalogue's fields by name (case and punctuation ignored; of two columns for one field
the first is read, the other listed in ``ignored_columns``).

The shapes read, and nothing else (anything else is a :class:`FlowLogError` naming the file and
the place, e.g. ``results[3][0] has no 'field'``):

- JSON: a list of row objects (``[{"srcAddr": "10.0.1.5", ...}]``, the console export), an
  object with ``results``, a list of rows of ``{"field": ..., "value": ...}`` cells
  (``get-query-results``), or that list of rows alone (``--query results``). Values are text,
  numbers or null; an object or list as the value of a column that is read is an error (in a
  column that is not read, it does not matter). ``[]`` and ``{"results": []}`` are no records.
- CSV: a header row, then rows (RFC 4180: quoted commas, quoted newlines, CRLF or LF line
  ends). A row shorter than the header has nulls for the missing columns; one longer (with
  non-empty extra values) is an error naming the line, as is any CSV the ``csv`` module rejects.

Each value becomes one token of a line: null or blank is ``-``, spaces, tabs and line breaks
inside it become ``_`` (so a value never splits into two fields or lines), and a number written
as ``5000.0`` (Insights writes sums so) is ``5000``; the text parser then checks the values
as it checks any log line, and skips, with its number, a line that breaks a rule. An
``@message`` value is one line: line breaks inside it become spaces.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import FlowLogError
from .fields import FIELDS
from .formats import is_cloudwatch_line

_AGG = re.compile(r"(sum|total|tot)")
_BLANKS = re.compile(r"[ \t\r\n\v\f]")  # would split a token (or a line) of the text parser
_BREAKS = re.compile(r"[\r\n\v\f]")
_WHOLE = re.compile(r"\d+\.0*")


@dataclass
class InsightsText:
    """Insights results as text: the fields of each line and the lines (one block)."""

    fields: tuple[str, ...]
    cloudwatch: bool
    block: bytes
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class _Results:
    """Result rows: one value per column (None where a row has none)."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    #: column index → where its first object or list value is (an error if the column is read)
    nested: dict[int, str] = field(default_factory=dict)


def insights_text(path: str, data: bytes, is_json: bool,
                  message_fields: tuple[str, ...]) -> InsightsText:
    """The results in ``data`` as lines of text; ``message_fields`` is the format of
    ``@message`` records."""
    res = _json_results(path, data) if is_json else _csv_results(path, data)
    if not res.columns:  # no rows at all: no records
        return InsightsText(("srcaddr", "dstaddr"), False, b"")
    mapping = _map_insights_columns(res.columns)
    if "srcaddr" not in mapping.values() and "dstaddr" not in mapping.values():
        return _message_text(path, res, message_fields)
    _no_nested(path, res, list(mapping))
    ignored = [c for i, c in enumerate(res.columns) if i not in mapping]
    used = sorted(mapping)
    kinds = [FIELDS[mapping[i]].kind for i in used]
    lines = [b" ".join(_token(row[i], kind != "string") for i, kind in zip(used, kinds,
                                                                          strict=True))
             for row in res.rows]
    return InsightsText(tuple(mapping[i] for i in used), False, b"\n".join(lines) + b"\n",
                        ignored)


def _message_text(path: str, res: _Results, message_fields: tuple[str, ...]) -> InsightsText:
    """The ``@message`` column's records as lines; FlowLogError if there is none."""
    msg = next((i for i, c in enumerate(res.columns) if c.lower() == "@message"), None)
    if msg is None:
        raise FlowLogError(
            f"{path}: CloudWatch Logs Insights results have no address column "
            f"(srcAddr/dstAddr or @message); columns are {res.columns}"
        )
    _no_nested(path, res, [msg])
    text = b"\n".join(_encode(_BREAKS.sub(" ", _text(row[msg]).strip())) for row in res.rows)
    text += b"\n"
    cw = any(is_cloudwatch_line(ln) for ln in text.split(b"\n")[:1])
    return InsightsText(message_fields, cw, text)


def _no_nested(path: str, res: _Results, read: list[int]) -> None:
    """FlowLogError if a column that is read has an object or list value."""
    for i in read:
        if i in res.nested:
            raise FlowLogError(
                f"{path}: {res.nested[i]} (column {res.columns[i]!r}) is an object or a list; "
                "expected text, a number or null")


def _text(value: Any) -> str:
    """A JSON or CSV value as text (whole floats without their ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _token(value: Any, numeric: bool) -> bytes:
    """One field of a line: ``-`` for no value, no blanks inside."""
    s = _text(value).strip()
    if not s:
        return b"-"
    if numeric and _WHOLE.fullmatch(s):
        s = s.split(".")[0]
    return _encode(_BLANKS.sub("_", s))


def _encode(s: str) -> bytes:
    """UTF-8 of ``s``; bytes that were not UTF-8 (CSV) or lone surrogates (JSON) stay invalid
    UTF-8, for the text parser to reject rather than to be altered here."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------ JSON


def json_kind(value: Any) -> str:
    """What a JSON value is, for messages (also those of :mod:`.wrapped`)."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "a number"


def _json_results(path: str, data: bytes) -> _Results:
    """The rows of a JSON document, in any of the shapes the module docstring lists."""
    try:
        doc = json.loads(data)
    except RecursionError as exc:
        raise FlowLogError(f"{path}: JSON nested too deeply to be Logs Insights results") \
            from exc
    except ValueError as exc:
        raise FlowLogError(f"{path}: not valid JSON: {exc}") from exc
    if isinstance(doc, dict):
        if "results" not in doc:
            raise FlowLogError(f"{path}: JSON object without 'results': not get-query-results "
                               f"output (its keys are {list(doc)[:10]}), nor a CloudWatch Logs "
                               "subscription payload ('messageType', 'logEvents') or JSON Lines "
                               "of records (a 'message' in the first line)")
        return _cell_rows(path, doc["results"], "results")
    if isinstance(doc, list):
        if doc and isinstance(doc[0], list):
            return _cell_rows(path, doc, "")
        return _object_rows(path, doc)
    raise FlowLogError(
        f"{path}: JSON is {json_kind(doc)}; expected a list of result rows "
        '([{"srcAddr": ...}, ...]) or get-query-results output ({"results": [[{"field": ..., '
        '"value": ...}]]})')


def _add(res: _Results, index: dict[str, int], cells: dict[str, Any], places: Any) -> None:
    """Add one row (column → value); ``places(name)`` says where a value is, for errors."""
    row: list[Any] = [None] * len(res.columns)
    for name, value in cells.items():
        i = index.get(name)
        if i is None:
            i = index[name] = len(res.columns)
            res.columns.append(name)
            row.append(None)
        row[i] = value
        if isinstance(value, (dict, list)) and i not in res.nested:
            res.nested[i] = places(name)
    res.rows.append(row)


def _object_rows(path: str, doc: list[Any]) -> _Results:
    """Rows given as objects of column: value (the console's JSON export)."""
    res, index = _Results(), dict[str, int]()
    for i, row in enumerate(doc):
        if not isinstance(row, dict):
            raise FlowLogError(f"{path}: [{i}] is {json_kind(row)}; expected an object of column "
                               "names and values, like the rows before it")
        _add(res, index, row, lambda name, i=i: f"[{i}][{name!r}]")
    _pad(res)
    return res


def _cell_rows(path: str, results: Any, where: str) -> _Results:
    """Rows given as lists of ``{"field": name, "value": value}`` (get-query-results)."""
    if not isinstance(results, list):
        raise FlowLogError(f"{path}: {where or 'the document'} is {json_kind(results)}; expected a "
                           'list of rows, each a list of {"field": ..., "value": ...}')
    res, index = _Results(), dict[str, int]()
    for i, row in enumerate(results):
        place = f"{where}[{i}]"
        if not isinstance(row, list):
            raise FlowLogError(f"{path}: {place} is {json_kind(row)}; expected a list of "
                               '{"field": ..., "value": ...}')
        cells: dict[str, Any] = {}
        for j, cell in enumerate(row):
            name = _cell_name(path, cell, f"{place}[{j}]")
            if name in cells:
                raise FlowLogError(f"{path}: {place} has the field {name!r} twice")
            cells[name] = cell.get("value")
        _add(res, index, cells,
             lambda name, p=place, c=cells: f"{p}[{list(c).index(name)}].value")
    _pad(res)
    return res


def _cell_name(path: str, cell: Any, place: str) -> str:
    """The ``field`` of one result cell; FlowLogError naming ``place`` if it has none."""
    if not isinstance(cell, dict):
        raise FlowLogError(f"{path}: {place} is {json_kind(cell)}; expected "
                           '{"field": ..., "value": ...}')
    if "field" not in cell:
        raise FlowLogError(f"{path}: {place} has no 'field' (its keys are {list(cell)[:10]})")
    name = cell["field"]
    if not isinstance(name, str):
        raise FlowLogError(f"{path}: {place}.field is {json_kind(name)}; expected a column name")
    return name


def _pad(res: _Results) -> None:
    """Give every row a value (None) for the columns first seen after it."""
    width = len(res.columns)
    for row in res.rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))


# ------------------------------------------------------------------ CSV


def _csv_results(path: str, data: bytes) -> _Results:
    """The rows of a CSV export (header first); FlowLogError naming the line otherwise."""
    import csv

    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", "surrogateescape"), newline=""))
    res = _Results()
    try:
        res.columns = next(reader, [])
        width = len(res.columns)
        for row in reader:
            if not row:
                continue
            if len(row) > width:
                if any(v.strip() for v in row[width:]):
                    raise FlowLogError(f"{path}, line {reader.line_num}: {len(row)} values, "
                                       f"but the header has {width} columns")
                del row[width:]
            res.rows.append(row + [None] * (width - len(row)))
    except csv.Error as exc:
        raise FlowLogError(f"{path}, line {reader.line_num}: not valid CSV: {exc}") from exc
    return res


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _map_insights_columns(columns: list[str]) -> dict[int, str]:
    """Query column (by position) → canonical field: case-insensitive, punctuation ignored
    (srcAddr→srcaddr, interfaceId→interface-id); sums of bytes/packets read as the field; of
    two columns for one field, the first."""
    canon = {_norm(f): f for f in FIELDS}
    out: dict[int, str] = {}
    taken: set[str] = set()
    for i, c in enumerate(columns):
        n = _norm(c)
        f = canon.get(n)
        if f is None:
            for counted in ("bytes", "packets"):
                if counted in n and _AGG.search(n) and n != counted:
                    f = counted
        if f is not None and f not in taken:
            out[i] = f
            taken.add(f)
    return out


__all__ = ["InsightsText", "insights_text"]
