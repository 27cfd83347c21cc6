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

Typed sources (Parquet) add two rules. Text in a numeric, time or address column that spells "no
value" the way pandas, Spark or SQL exports do (:data:`NULL_TEXT`) is null there; a text flow
log knows only ``-``. A column typed as a timestamp is an instant, not a number to guess the
unit of: it is turned into seconds (floor) and must lie from 1970 to the end of the year 9999
(:data:`LAST_SECOND`, the last second Python's ``datetime`` holds).
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


NULL_TEXT = ("-", "", "none", "null", "nan", "nat", "na", "n/a", "<na>")
"""Text meaning "no value" in a numeric, time or address column of a typed source, compared
case-insensitively (``None``, ``NULL``, ``NaN``, ``<NA>`` ...)."""

LAST_SECOND = 253402300799
"""9999-12-31T23:59:59Z in Unix seconds: the last time a typed timestamp may hold."""


def number_problem(token: bytes, kind: Kind, column: str) -> str | None:
    """Why ``token`` is not a value of a numeric field, or None if it is (``-`` is null)."""
    if token == b"-":
        return None
    n = len(token)
    digits = DIGITS[kind]  # bytes.isdigit() is true for ASCII digits only
    if token.isdigit() and (n < digits or (n == digits and int(token) <= INT_MAX[kind])):
        if kind != "timestamp" or n <= 14:  # 14 digits or fewer: below TIME_LIMIT (10**14)
            return None
        return f"{column} is not a time in seconds or milliseconds: " \
               f"{token[:40].decode('utf-8', 'replace')!r}"
    return f"{column} is not a number: {token[:40].decode('utf-8', 'replace')!r}"


def seconds(values: Any) -> Any:
    """``values`` (int64, Unix seconds or milliseconds by :data:`MILLISECONDS_FROM`) as
    seconds; call :func:`bad_times` first: values at or above :data:`TIME_LIMIT` stay as
    they are."""
    import pyarrow.compute as pc

    from ..arrowutil import int_scalar

    big = pc.greater_equal(values, int_scalar(MILLISECONDS_FROM))
    if not pc.any(big).as_py():
        return values
    return pc.if_else(big, pc.divide(values, int_scalar(1000)), values)


def numbers_from_text(values: Any, kind: Kind) -> tuple[Any, Any]:
    """:func:`number_problem` for a whole Arrow string array at once: the values as int64
    (null where null or bad) and a boolean mask of the bad ones (false where null).
    :data:`NULL_TEXT` spellings are null; the time limit is :func:`bad_times`' job."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import bool_scalar, int_scalar, null_scalar, string_array, string_scalar

    null = pc.or_(pc.is_null(values), pc.is_in(pc.utf8_lower(values),
                                                value_set=string_array(list(NULL_TEXT))))
    digits = pc.match_substring_regex(values, f"^[0-9]{{1,{DIGITS[kind]}}}$")
    lengths = pc.binary_length(values)
    widest = pc.equal(lengths, int_scalar(DIGITS[kind], lengths.type))
    over = pc.and_(widest, pc.greater(values, string_scalar(str(INT_MAX[kind]))))
    good = pc.and_(digits, pc.invert(over))
    bad = pc.fill_null(pc.and_(pc.invert(null), pc.invert(good)), bool_scalar(False))
    kept = pc.if_else(pc.and_(good, pc.invert(null)), values, null_scalar(pa.string()))
    return pc.cast(kept, pa.int64()), bad


def bad_times(values: Any) -> Any:
    """A boolean mask of the values that are not times (negative or at/above
    :data:`TIME_LIMIT`); null where the value is null."""
    import pyarrow.compute as pc

    from ..arrowutil import int_scalar

    return pc.or_(pc.less(values, int_scalar(0)),
                  pc.greater_equal(values, int_scalar(TIME_LIMIT)))


__all__ = ["DIGITS", "INT_MAX", "LAST_SECOND", "MILLISECONDS_FROM", "NULL_TEXT", "TIME_LIMIT",
           "bad_times", "number_problem", "numbers_from_text", "seconds"]
