"""What changed between two publications of ip-ranges.json.

A prefix is *added* when only the new publication has it, *removed* when only the old one has
it, and *changed* when both have it with a different set of (service, region,
network_border_group) tags. Entries of a prefix are compared as sets, so reordering the document
is not a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..addr import count_addresses
from .model import Entry, Publication, Ranges, register_view


@dataclass(frozen=True, slots=True)
class PrefixChange:
    """A prefix present in both publications whose tags differ (entries sorted)."""

    prefix: str
    before: tuple[Entry, ...]
    after: tuple[Entry, ...]

    @property
    def gained(self) -> tuple[Entry, ...]:
        """Entries only the new publication has."""
        old = set(self.before)
        return tuple(e for e in self.after if e not in old)

    @property
    def lost(self) -> tuple[Entry, ...]:
        """Entries only the old publication has."""
        new = set(self.after)
        return tuple(e for e in self.before if e not in new)

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "before": [e.to_dict() for e in self.before],
                "after": [e.to_dict() for e in self.after]}


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """Prefixes and addresses of one kind of change, for one service, region and family.

    ``kind`` is ``added``/``removed`` (whole prefixes) or ``gained``/``lost`` (a tag that a
    changed prefix gained or lost). ``addresses`` counts the union of the prefixes, so nested
    prefixes are not counted twice.
    """

    kind: str
    service: str
    region: str
    version: int
    prefixes: int
    addresses: int


@dataclass(frozen=True, slots=True)
class RangesDiff:
    """Differences from ``old`` to ``new``; build with :meth:`Ranges.diff`.

    ``added`` and ``removed`` hold every entry of the added/removed prefixes; ``changed`` one
    :class:`PrefixChange` per retagged prefix. All three are sorted by family, address and
    prefix length (entries of one prefix by service, region, border group). False when empty.
    """

    old: Publication
    new: Publication
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    changed: tuple[PrefixChange, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    @property
    def added_prefixes(self) -> list[str]:
        return list(dict.fromkeys(e.prefix for e in self.added))

    @property
    def removed_prefixes(self) -> list[str]:
        return list(dict.fromkeys(e.prefix for e in self.removed))

    def summary(self) -> list[SummaryRow]:
        """Counts per (kind, service, region, family), kinds in the order added, removed,
        gained, lost; within a kind by family, then service and region."""
        groups: dict[tuple[str, str, str, int], set[str]] = {}

        def add(kind: str, entries: Iterable[Entry]) -> None:
            for e in entries:
                groups.setdefault((kind, e.service, e.region, e.version), set()).add(e.prefix)

        add("added", self.added)
        add("removed", self.removed)
        for c in self.changed:
            add("gained", c.gained)
            add("lost", c.lost)
        order = {"added": 0, "removed": 1, "gained": 2, "lost": 3}
        rows = [SummaryRow(kind, service, region, version, len(prefixes),
                           count_addresses(prefixes))
                for (kind, service, region, version), prefixes in groups.items()]
        rows.sort(key=lambda r: (order[r.kind], r.version, r.service, r.region))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as printed by ``awsip diff --json``."""
        return {
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "added": [e.to_dict() for e in self.added],
            "removed": [e.to_dict() for e in self.removed],
            "changed": [c.to_dict() for c in self.changed],
        }


def _tags(e: Entry) -> tuple[str, str, str]:
    return e.service, e.region, e.network_border_group


def diff_ranges(old: Ranges, new: Ranges) -> RangesDiff:
    """Compare two publications prefix by prefix (see the module doc)."""
    before, after = old.prefixes, new.prefixes

    def order(r: Ranges, prefixes: Iterable[str]) -> list[str]:
        def key(p: str) -> tuple[int, int, int]:
            q = r.parsed(p)
            return q.version, q.network, q.prefixlen
        return sorted(prefixes, key=key)

    def entries(group: tuple[Entry, ...]) -> tuple[Entry, ...]:
        return tuple(sorted(set(group), key=_tags))

    added = [e for p in order(new, after.keys() - before.keys()) for e in entries(after[p])]
    removed = [e for p in order(old, before.keys() - after.keys()) for e in entries(before[p])]
    changed = [PrefixChange(p, entries(before[p]), entries(after[p]))
               for p in order(new, before.keys() & after.keys())
               if set(map(_tags, before[p])) != set(map(_tags, after[p]))]
    return RangesDiff(old.publication, new.publication, tuple(added), tuple(removed),
                      tuple(changed))


register_view("diff", diff_ranges)


__all__ = [
    "PrefixChange",
    "Publication",
    "RangesDiff",
    "SummaryRow",
    "diff_ranges",
]
