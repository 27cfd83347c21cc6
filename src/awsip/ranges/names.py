"""Service, region and border-group names checked against a publication.

``awsip ranges -r us-east1`` used to match nothing and write an empty file; :func:`check_names`
makes it a usage error that names the value and suggests the closest published names
(``did you mean us-east-1?``). Matching is case-insensitive, as :meth:`Ranges.filter` is.
Pure functions over a :class:`~awsip.ranges.model.Ranges`: nothing is read or printed here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .model import Ranges

#: The filter kinds, the word used in messages, and the Ranges property listing the names.
KINDS: Mapping[str, tuple[str, str]] = {
    "service": ("service", "services"),
    "region": ("region", "regions"),
    "network_border_group": ("network border group", "network_border_groups"),
}

#: Suggestions offered per unknown name, and how close (difflib ratio) they must be.
_SUGGESTIONS = 3
_CUTOFF = 0.6
#: With no close name, the published names are listed when there are at most this many.
_LISTED = 60


def printable(text: object) -> str:
    """``text`` with control and other non-printable characters escaped (ESC as ``\\x1b``,
    U+202E as ``\\u202e``): names from a server are shown, never obeyed by a terminal."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def known_names(ranges: Ranges, kind: str) -> frozenset[str]:
    """The names of ``kind`` (a key of :data:`KINDS`) the publication uses."""
    if kind not in KINDS:
        raise UsageError(f"unknown name kind {kind!r}; choose from {', '.join(KINDS)}")
    names: frozenset[str] = getattr(ranges, KINDS[kind][1])
    return names


def suggest(value: str, names: Iterable[str], n: int = _SUGGESTIONS) -> list[str]:
    """The published names closest to ``value`` (case-insensitive), closest first."""
    by_upper = {name.upper(): name for name in names}
    close = difflib.get_close_matches(value.upper(), list(by_upper), n=n, cutoff=_CUTOFF)
    return [by_upper[c] for c in close]


def unknown_names(ranges: Ranges, **wanted: Iterable[str] | None) -> list[str]:
    """One message per value of ``wanted`` (``service=[...]``, ``region=[...]``,
    ``network_border_group=[...]``) that the publication does not use, with suggestions."""
    problems: list[str] = []
    for kind, values in wanted.items():
        if values is None:
            continue
        names = known_names(ranges, kind)
        upper = {name.upper() for name in names}
        for value in values:
            if value.upper() in upper:
                continue
            word = KINDS[kind][0]
            text = f"no {word} {value!r} in this publication"
            close = suggest(value, names)
            if close:
                text += f"; did you mean {printable(close[0])}?"
                if len(close) > 1:
                    text += f" (also close: {', '.join(printable(c) for c in close[1:])})"
            elif len(names) <= _LISTED:
                text += f"; it has {', '.join(printable(n) for n in sorted(names))}"
            else:
                text += f" ({len(names)} {KINDS[kind][1].replace('_', ' ')} in it)"
            problems.append(text)
    return problems


def check_names(ranges: Ranges, **wanted: Iterable[str] | None) -> None:
    """Raise :class:`UsageError` listing every value of ``wanted`` the publication does not
    use (see :func:`unknown_names`)."""
    problems = unknown_names(ranges, **wanted)
    if problems:
        raise UsageError("; ".join(problems))


__all__ = ["KINDS", "check_names", "known_names", "printable", "suggest", "unknown_names"]
