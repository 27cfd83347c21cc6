"""The value rules of flow-log fields, one place for every reader (text lines, Parquet rows).

Numbers (the catalogue's ``int32``/``int64`` fields) are decimal digits only: no sign, no
``0x``, no spaces, at most as many digits as the type's largest value has, and no larger than
it. ``-`` is "no value" (null).

Times (``start``/``end``) are Unix seconds, as AWS writes them ("Flow log records", fields
``start`` and ``end``: "The time, in Unix seconds"). Some exports carry milliseconds instead
(``1512564058000``); a value from 10**11 up to 10**14 is read as milliseconds and turned into
seconds (floor), because no flow log starts after the year 5138 in seconds and milliseconds of
1973-5138 fall there. Anything from 10**14 up is not a time: the line (or Parquet row) is
skipped and counted with the reason. Both rules depend on the value alone, never on the values
around it.
"""

from __future__ import annotations

from typing import Any

from .fields import Kind

INT_MAX: dict[str, int] = {"int32": 2**31 - 1, "int64": 2**63 - 1, "timestamp": 2**63 - 1}
"""The largest value each numeric kind holds."""

DIGITS: dict[str, int] = {k: len(str(v)) for k, v in INT_MAX.items()}
"""The most digits a value of each numeric kind can have."""

MILLISECONDS_FROM = 10**11
"""A time at or above this is in milliseconds (10**11 s would be the year 5138)."""

TIME_LIMIT = 10**14
"""A time at or above this is not a time (10**14 ms would be the year 5138 again)."""


def number_problem(token: bytes, kind: Kind, column: str) -> str | None:
    """Why ``token`` is not a value of a numeric field, or None if it is (``-`` is null)."""
    if token == b"-":
        return None
    shown = token[:40].decode("utf-8", "replace")
    if not token.isdigit() or not token.isascii() or len(token) > DIGITS[kind] \
            or int(token) > INT_MAX[kind]:
        return f"{column} is not a number: {shown!r}"
    if kind == "timestamp" and int(token) >= TIME_LIMIT:
        return f"{column} is not a time in seconds or milliseconds: {shown!r}"
    return None


def seconds(values: Any) -> Any:
    """``values`` (int64, Unix seconds or milliseconds by :data:`MILLISECONDS_FROM`) as
    seconds; call :func:`bad_times` first: values at or above :data:`TIME_LIMIT` stay as
    they are."""
    import pyarrow as pa
    import pyarrow.compute as pc

    limit = pa.scalar(MILLISECONDS_FROM, pa.int64())
    big = pc.greater_equal(values, limit)
    if not pc.any(big).as_py():
        return values
    return pc.if_else(big, pc.divide(values, pa.scalar(1000, pa.int64())), values)


def bad_times(values: Any) -> Any:
    """A boolean mask of the values that are not times (negative or at/above
    :data:`TIME_LIMIT`); null where the value is null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.or_(pc.less(values, pa.scalar(0, pa.int64())),
                  pc.greater_equal(values, pa.scalar(TIME_LIMIT, pa.int64())))


__all__ = ["DIGITS", "INT_MAX", "MILLISECONDS_FROM", "TIME_LIMIT", "bad_times",
           "number_problem", "seconds"]
