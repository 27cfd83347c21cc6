"""Scalar longest-prefix lookup: one address in, one :class:`Match` out.

Backed by two pytricia trees (IPv4, IPv6). The answer's primary service, region and border group
come from :meth:`Ranges.label`, the same function the vectorized classifier uses. Registered
as the ``scalar_index`` view of :class:`~awsip.ranges.Ranges`, which ``Ranges.lookup`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytricia

from ..addr import format_address, parse_address
from ..ranges.model import register_view

if TYPE_CHECKING:
    from ..ranges.model import Entry, Ranges


@dataclass(frozen=True, slots=True)
class Match:
    """The answer for one address.

    ``service``, ``region`` and ``network_border_group`` follow the primary service rule (see
    :mod:`awsip.ranges.model`). ``services`` lists every service tagged on any covering prefix: the
    primary service first, then the others narrowest first. ``matches`` holds every covering entry,
    most specific prefix first. For an address outside AWS, ``aws`` is False, the scalars are
    None and the tuples empty.
    """

    ip: str
    aws: bool
    prefix: str | None = None
    service: str | None = None
    services: tuple[str, ...] = ()
    region: str | None = None
    network_border_group: str | None = None
    matches: tuple[Entry, ...] = ()

    def __bool__(self) -> bool:
        return self.aws

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as printed by ``awsip lookup --json``."""
        return {
            "ip": self.ip,
            "aws": self.aws,
            "prefix": self.prefix,
            "service": self.service,
            "services": list(self.services),
            "region": self.region,
            "network_border_group": self.network_border_group,
            "matches": [m.to_dict() for m in self.matches],
        }


class ScalarIndex:
    """pytricia trees over one :class:`Ranges` (its ``scalar_index`` view)."""

    def __init__(self, ranges: Ranges) -> None:
        self._ranges = ranges
        self._trees = {4: pytricia.PyTricia(32), 6: pytricia.PyTricia(128)}
        # each prefix's own text kept with it: the tree's keys write ::/96 as ::a.b.c.d
        for prefix, entries in ranges.prefixes.items():
            self._trees[entries[0].version][prefix] = (prefix, entries)

    def lookup(self, ip: object) -> Match:
        """Longest-prefix match; raises :class:`~awsip.errors.InvalidAddressError`."""
        version, number = parse_address(ip)
        text = format_address(version, number)
        tree = self._trees[version]
        # pytricia < 1.3 rejects keys under four characters ("::", "::1", "1::": ValueError
        # "Invalid prefix."); the same address as a /128 prefix matches alike on every version.
        key = tree.get_key(text if len(text) > 3 else text + "/128")
        if key is None:
            return Match(ip=text, aws=False)
        covering: list[Entry] = []
        services: set[str] = set()
        best: str = tree[key][0]
        prefix: str | None = key
        while prefix is not None:
            entries = tree[prefix][1]
            covering.extend(entries)
            services.update(e.service for e in entries)
            prefix = tree.parent(prefix)
        label = self._ranges.label(best)
        services.discard(label.service)
        return Match(
            ip=text,
            aws=True,
            prefix=best,
            service=label.service,
            services=(label.service, *self._ranges.rank_services(services, version)),
            region=label.region,
            network_border_group=label.network_border_group,
            matches=tuple(covering),
        )


register_view("scalar_index", ScalarIndex)

__all__ = ["Match", "ScalarIndex"]
