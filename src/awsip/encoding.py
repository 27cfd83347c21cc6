"""Text forms shared by every output: times as ISO-8601 UTC with ``Z``, and JSON.

Every ``--json`` output and every ``to_dict()`` goes through :func:`jsonable` / :func:`dumps`:
times are ``2026-08-22T15:17:05Z``, dates ``2026-08-22``, keys snake_case, paths strings. User
input of times (``--since``, ``at=``) is read by :func:`parse_time`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .errors import UsageError


def iso_utc(value: datetime) -> str:
    """``value`` as ISO-8601 in UTC with a ``Z`` (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_iso(value: object) -> datetime | None:
    """An aware UTC datetime from ISO-8601 text (``Z`` or an offset; none means UTC), or None
    when ``value`` is not such text. For awsip's own files; user input goes to
    :func:`parse_time`, which says what is wrong."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_time(value: str | datetime | date | None, what: str = "time", *,
               now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime from ISO-8601 text (``2026-03-21``, ``2026-03-21T06:00Z``), a
    duration before ``now`` (default: the current time) written as a number and a unit
    (``90s``, ``30m``, ``12h``, ``6d``, ``2w``: ``--since 6d`` is six days ago), a datetime
    (naive means UTC) or a date; None stays None. Raises :class:`UsageError`."""
    if value is None:
        return None
    if isinstance(value, str) and (ago := _AGO.match(value)):
        seconds = float(ago.group(1)) * _UNIT_SECONDS[ago.group(2).lower()]
        base = now if now is not None else datetime.now(timezone.utc)
        try:
            return base.astimezone(timezone.utc) - timedelta(seconds=seconds)
        except OverflowError:
            raise UsageError(f"{what}: {value!r} reaches before the year 1") from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else \
            value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    parsed = parse_iso(value)
    if parsed is None:
        raise UsageError(f"{what}: {value!r} is not an ISO-8601 time like 2026-03-21 or "
                         "2026-03-21T06:00:00Z, nor a duration before now like 6d or 12h")
    return parsed


def jsonable(value: Any) -> Any:
    """``value`` with times, dates, paths, tuples and sets turned into JSON values."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """The JSON text of ``value`` (through :func:`jsonable`), with a final newline when
    indented."""
    text = json.dumps(jsonable(value), indent=indent,
                      separators=None if indent is not None else (",", ":"))
    return text + "\n" if indent is not None else text


__all__ = ["dumps", "iso_utc", "jsonable", "parse_iso", "parse_time"]
