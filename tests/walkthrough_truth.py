"""What the walkthrough's generated flow logs say, counted without awsip's reader or engine.

Records are read with gzip and ``str.split``; an address is labelled by a scalar
``Ranges.lookup`` (proven against the brute-force oracle in test_lookup.py). A record's peer is
its side outside the private ranges, or its destination when both sides are private (the
walkthrough writes no record with two public sides). Used by test_report.py and
test_cli_report.py.
"""

from __future__ import annotations

import gzip
import ipaddress
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from awsip.ranges import Ranges

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import nat_walkthrough as walk

PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
KEYS = ("service", "region", "peer", "day")


@dataclass
class Totals:
    bytes: int = 0
    packets: int = 0
    flows: int = 0


@dataclass
class Truth:
    files: int = 0
    records: int = 0
    nodata: int = 0
    all_bytes: int = 0
    nat: int = 0  # bytes the NAT processed: its public-facing legs, ACCEPT only
    nat_in: int = 0
    nat_out: int = 0
    nat_by: dict[tuple[str, str | None], int] = field(default_factory=lambda: defaultdict(int))
    nat_by_day: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: every traffic record's bytes, packets and count by (service, region, peer, day)
    groups: dict[tuple[str, str | None, str, str], Totals] = field(
        default_factory=lambda: defaultdict(Totals))

    def group_by(self, keys: Iterable[str]) -> dict[tuple[object, ...], Totals]:
        """The groups merged down to ``keys`` (a subset of :data:`KEYS`)."""
        at = [KEYS.index(k) for k in keys]
        out: dict[tuple[object, ...], Totals] = defaultdict(Totals)
        for key, t in self.groups.items():
            merged = out[tuple(key[i] for i in at)]
            merged.bytes += t.bytes
            merged.packets += t.packets
            merged.flows += t.flows
        return dict(out)


def _private(ip: str) -> bool:
    return any(ipaddress.ip_address(ip) in n for n in PRIVATE)


def count(root: Path, ranges: Ranges) -> Truth:
    """Count the flow logs under ``root`` (the generator's output directory or AWSLogs/)."""
    labels: dict[str, tuple[str, str | None]] = {}

    def label(ip: str) -> tuple[str, str | None]:
        if ip not in labels:
            if _private(ip):
                labels[ip] = ("PRIVATE", None)
            else:
                m = ranges.lookup(ip)
                labels[ip] = (m.service or "INTERNET", m.region)
        return labels[ip]

    truth = Truth()
    for path in sorted(root.rglob("*.log.gz")):
        truth.files += 1
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        header = lines[0].split()
        for line in lines[1:]:
            rec = dict(zip(header, line.split(), strict=True))
            truth.records += 1
            if rec["log-status"] == "NODATA":
                truth.nodata += 1
                continue
            size = int(rec["bytes"])
            truth.all_bytes += size
            src, dst = rec["srcaddr"], rec["dstaddr"]
            day = datetime.fromtimestamp(int(rec["start"]), timezone.utc).date().isoformat()
            assert _private(src) or _private(dst), rec  # the peer rule above needs one
            peer = src if _private(dst) and not _private(src) else dst
            group = truth.groups[(*label(peer), peer, day)]
            group.bytes += size
            group.packets += int(rec["packets"])
            group.flows += 1
            if rec["action"] != "ACCEPT" or walk.NAT_IP not in (src, dst) or _private(peer):
                continue
            truth.nat += size
            if dst == walk.NAT_IP:
                truth.nat_in += size
            else:
                truth.nat_out += size
            truth.nat_by[label(peer)] += size
            truth.nat_by_day[day] += size
    return truth
