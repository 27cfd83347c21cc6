"""An independent, brute-force implementation of the primary service rule, for tests.

It shares no code with awsip: prefixes are parsed with :mod:`ipaddress`, breadth comes from
``ipaddress.collapse_addresses`` and covering prefixes are found by trying every prefix length.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Doc = dict[str, Any]

#: The public addresses of the NAT investigation in design.md: all S3 in us-east-1.
INVESTIGATION = ["52.216.58.42", "16.15.207.229", "16.15.191.63", "52.216.12.24", "3.5.16.209",
                 "16.15.199.52", "54.231.160.154"]

DATA = Path(__file__).parent / "data"
NEWEST = DATA / "ip-ranges-2026-08-22T151705.json.gz"


def load_document(path: Path = NEWEST) -> Doc:
    return json.loads(gzip.decompress(path.read_bytes()))


@dataclass(frozen=True)
class Expected:
    aws: bool
    prefix: str | None
    service: str | None
    services: frozenset[str]
    region: str | None
    network_border_group: str | None
    matches: tuple[tuple[str, str, str, str], ...]


class Oracle:
    def __init__(self, doc: Doc) -> None:
        self.entries: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str, str, str]] = []
        for item in doc["prefixes"]:
            self.entries.append((ipaddress.IPv4Network(item["ip_prefix"]), item["service"],
                                 item["region"], item["network_border_group"]))
        for item in doc["ipv6_prefixes"]:
            self.entries.append((ipaddress.IPv6Network(item["ipv6_prefix"]), item["service"],
                                 item["region"], item["network_border_group"]))
        nets: dict[tuple[int, str], list] = {}
        self.by_net: dict[tuple[int, int, int], list] = {}
        for e in self.entries:
            nets.setdefault((e[0].version, e[1]), []).append(e[0])
            key = (e[0].version, int(e[0].network_address), e[0].prefixlen)
            self.by_net.setdefault(key, []).append(e)
        self.breadth = {
            key: sum(n.num_addresses for n in ipaddress.collapse_addresses(v))
            for key, v in nets.items()
        }

    def _decide(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address,
                covering: list) -> Expected:
        if not covering:
            return Expected(False, None, None, frozenset(), None, None, ())
        covering.sort(key=lambda e: -e[0].prefixlen)
        top = covering[0][0]
        deciding = [e for e in covering if e[0] == top]
        best = min(deciding, key=lambda e: (self.breadth[(address.version, e[1])], e[1]))
        return Expected(True, str(top), best[1], frozenset(e[1] for e in covering), best[2],
                        best[3], tuple((str(e[0]), e[1], e[2], e[3]) for e in covering))

    def scan(self, ip: str) -> Expected:
        """Linear scan over every entry (slow: use on samples)."""
        address = _normalise(ip)
        covering = [e for e in self.entries if e[0].version == address.version and address in e[0]]
        return self._decide(address, covering)

    def enumerate(self, ip: str) -> Expected:
        """Try every possible covering network of the address (fast enough for all boundaries)."""
        address = _normalise(ip)
        bits = address.max_prefixlen
        value = int(address)
        covering = []
        for plen in range(bits + 1):
            network = value & (((1 << plen) - 1) << (bits - plen))
            covering.extend(self.by_net.get((address.version, network, plen), ()))
        return self._decide(address, covering)


def _normalise(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def boundary_addresses(doc: Doc) -> list[str]:
    """First and last address of every prefix, and the addresses just outside each side."""
    out: set[str] = set()
    for item in doc["prefixes"] + doc["ipv6_prefixes"]:
        net = ipaddress.ip_network(item.get("ip_prefix") or item["ipv6_prefix"])
        first, last = int(net.network_address), int(net.broadcast_address)
        top = (1 << net.max_prefixlen) - 1
        cls = type(net.network_address)
        for value in (first - 1, first, last, last + 1):
            if 0 <= value <= top:
                out.add(str(cls(value)))
    return sorted(out)
