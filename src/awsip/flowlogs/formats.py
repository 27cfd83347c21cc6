"""Format strings, S3 header lines and content sniffing for flow-log files."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import FlowLogError
from .fields import DEFAULT_FIELDS, FIELDS

_TOKEN = re.compile(r"\$\{([^}]*)\}")
_CW_TIMESTAMP = re.compile(
    rb"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$"
)


def _canonical(name: str) -> str | None:
    """A field's AWS name for ``name`` written with hyphens or underscores, else None."""
    n = name.strip().lower().replace("_", "-")
    return n if n in FIELDS else None


def known_fields_text() -> str:
    """The known field names, for error messages."""
    return ", ".join(FIELDS)


def parse_format(spec: str | Sequence[str]) -> tuple[str, ...]:
    """The field names of a format given as AWS writes it (``'${version} ${srcaddr} ...'``),
    as plain names separated by spaces (an S3 header line), or as a list of names.

    Raises FlowLogError naming any unknown field and listing the known ones.
    """
    if isinstance(spec, str):
        tokens = _TOKEN.findall(spec) if "${" in spec else spec.split()
        rest = _TOKEN.sub(" ", spec).strip() if "${" in spec else ""
        if rest:
            raise FlowLogError(
                f"format {spec!r}: text outside ${{...}} fields: {rest!r}; "
                "write the format as AWS does, e.g. '${version} ${srcaddr} ${dstaddr}'"
            )
    else:
        tokens = list(spec)
    if not tokens:
        raise FlowLogError(f"format {spec!r} names no fields")
    names: list[str] = []
    unknown: list[str] = []
    for t in tokens:
        c = _canonical(t)
        if c is None:
            unknown.append(t)
        else:
            names.append(c)
    if unknown:
        raise FlowLogError(
            f"unknown flow-log field(s) {', '.join(map(repr, unknown))} in format {spec!r}; "
            f"known fields: {known_fields_text()}"
        )
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise FlowLogError(f"format {spec!r} repeats field(s) {', '.join(dup)}")
    return tuple(names)


_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def header_fields(line: bytes) -> tuple[str, ...] | None:
    """The fields of an S3 header line (``version account-id ...``), or None if ``line`` is not
    one. A header holds only lowercase field names, at least two of them known; names this
    catalogue does not know yet (AWS adds fields) are kept and read as strings."""
    try:
        tokens = line.decode("ascii").split()
    except UnicodeDecodeError:
        return None
    if len(tokens) < 2 or not all(_NAME.match(t) for t in tokens):
        return None
    if sum(_canonical(t) is not None for t in tokens) < 2 or len(set(tokens)) != len(tokens):
        return None
    return tuple(_canonical(t) or t for t in tokens)


def is_cloudwatch_line(line: bytes) -> bool:
    """True when ``line`` starts with an ISO-8601 timestamp, as in CloudWatch Logs exports."""
    first = line.split(b" ", 1)[0]
    return bool(_CW_TIMESTAMP.match(first))


DEFAULT = DEFAULT_FIELDS
