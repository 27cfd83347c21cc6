"""CloudWatch Logs Insights results (the console's CSV/JSON export, or ``aws logs
get-query-results`` output) turned into flow-log text lines for the one text parser.

A query that kept ``@message`` gives the records themselves; one that selected fields
(``srcAddr``, ``dstAddr``, ``sum(bytes)`` ...) gives a line per result row, its columns mapped
onto the catalogue's fields by name (case and punctuation ignored).
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


@dataclass
class InsightsText:
    """Insights results as text: the fields of each line and the lines (one block)."""

    fields: tuple[str, ...]
    cloudwatch: bool
    block: bytes
    ignored_columns: list[str] = field(default_factory=list)


def insights_text(path: str, data: bytes, is_json: bool,
                  message_fields: tuple[str, ...]) -> InsightsText:
    """The results in ``data`` as lines of text; ``message_fields`` is the format of
    ``@message`` records."""
    rows, columns = _insights_rows(path, data, is_json)
    mapping = _map_insights_columns(columns)
    if "srcaddr" not in mapping.values() and "dstaddr" not in mapping.values():
        msg_col = next((c for c in columns if c.lower() == "@message"), None)
        if msg_col is None:
            raise FlowLogError(
                f"{path}: CloudWatch Logs Insights results have no address column "
                f"(srcAddr/dstAddr or @message); columns are {columns}"
            )
        text = b"\n".join(str(r.get(msg_col) or "").encode() for r in rows) + b"\n"
        cw = any(is_cloudwatch_line(ln) for ln in text.split(b"\n")[:1])
        return InsightsText(message_fields, cw, text)
    ignored = [c for c in columns if c not in mapping]
    fields = tuple(dict.fromkeys(mapping.values()))
    order = {f: c for c, f in mapping.items()}
    lines = []
    for r in rows:
        toks = []
        for f in fields:
            v = r.get(order[f])
            s = "-" if v is None or str(v).strip() == "" else str(v).strip()
            if FIELDS[f].kind != "string" and re.fullmatch(r"\d+\.0*", s):
                s = s.split(".")[0]
            toks.append(s.replace(" ", "_"))
        lines.append(" ".join(toks).encode())
    return InsightsText(fields, False, b"\n".join(lines) + b"\n", ignored)


def _insights_rows(path: str, data: bytes, is_json: bool) -> tuple[list[dict[str, Any]], list[str]]:
    if is_json:
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise FlowLogError(f"{path}: not valid JSON: {exc}") from exc
        if isinstance(doc, dict) and "results" in doc:  # get-query-results output
            rows = [{d["field"]: d.get("value") for d in r} for r in doc["results"]]
        elif isinstance(doc, list):
            rows = [r for r in doc if isinstance(r, dict)]
        else:
            raise FlowLogError(f"{path}: JSON is neither a list of results nor get-query-results")
        columns = list(dict.fromkeys(k for r in rows for k in r))
        return rows, columns
    import csv as pycsv

    reader = pycsv.DictReader(io.StringIO(data.decode("utf-8", "replace")))
    rows = list(reader)
    return rows, list(reader.fieldnames or [])


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _map_insights_columns(columns: list[str]) -> dict[str, str]:
    """Query column → canonical field: case-insensitive, punctuation ignored
    (srcAddr→srcaddr, interfaceId→interface-id); sums of bytes/packets read as the field."""
    canon = {_norm(f): f for f in FIELDS}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for c in columns:
        n = _norm(c)
        f = canon.get(n)
        if f is None:
            for counted in ("bytes", "packets"):
                if counted in n and _AGG.search(n) and n != counted:
                    f = counted
        if f is not None and f not in taken:
            out[c] = f
            taken.add(f)
    return out


__all__ = ["InsightsText", "insights_text"]
