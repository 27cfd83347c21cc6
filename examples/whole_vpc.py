"""Whole-VPC flow logs through a NAT gateway, generated with the truth computed independently.

The generator of the second walkthrough (``examples/nat_walkthrough_az.py``) and of the tests'
whole-VPC checks (``tests/test_whole_vpc.py`` and others): it writes S3-delivered flow-log
files (gzip, a header line, one file per hour under
``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/``) for one VPC in ap-southeast-1, and
returns a :class:`Scenario` whose :class:`Truth` is computed from the *plan* (the list of
connections), never from the written lines, so a reader or detector that gets a line wrong
cannot agree with it by accident.

Three scenarios (issue 13, item 9):

- :func:`zonal`: a zonal NAT gateway in ``apse1-az1`` and instances in ``apse1-az1`` and
  ``apse1-az2``. Custom version 5 format (``pkt-srcaddr``, ``pkt-dstaddr``, ``az-id``,
  ``subnet-id``, ``instance-id``, ``flow-direction``, ``traffic-path``); ``fmt="v11"`` adds the
  version 11 fields ``interface-type`` and ``next-hop-*``; ``fmt="v2"`` writes the same traffic
  in the default format, where a detector can only name candidates.
- :func:`regional`: a regional NAT gateway (no ENI in the VPC): its records have
  ``interface-id`` ``-`` and ``resource-id`` naming the gateway (version 9), and the instances'
  own records name it as next hop (``next-hop-interface-type`` ``regional_nat_gateway``,
  version 11).

How a NAT crossing is logged follows AWS's "Flow log record examples", section "NAT gateway
traffic" (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html,
the two tables kept as tests/data/aws-examples/nat-gateway-*.log): on the NAT gateway's
interface, instance -> NAT private IP with ``pkt-dstaddr`` the public peer, NAT IP -> peer,
peer -> NAT IP, and NAT IP -> instance with ``pkt-srcaddr`` the peer; on the instance's own
interface, instance <-> peer with ``pkt-*`` equal to ``srcaddr``/``dstaddr``. The regional
gateway's records follow the version 9 record of tests/data/aws-examples (``interface-id``
``-``, ``resource-id`` ``nat-...``, instance <-> peer), and its next-hop fields the version 11
one. ``flow-direction`` is relative to the interface that logs the record; ``traffic-path``
is set on egress records only (1: through another resource in the same VPC, 2: through an
internet gateway), as the "Available fields" table of "Flow log records"
(https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html) defines them.

Public peers are addresses of the bundled ranges (checked by tests/test_whole_vpc.py): S3 in
ap-southeast-1, S3 in us-east-1, DynamoDB in ap-southeast-1, an AWS API address published as
``AMAZON`` only (standing for ``api.ecr.ap-southeast-1.amazonaws.com``), an EC2 host, and
GitHub (not AWS). Besides the NAT traffic the VPC holds a bastion with its own public IP (no
NAT), private traffic between instances across AZs (no NAT), an inbound probe the NAT rejects
and an idle interface that logs only NODATA.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "ap-southeast-1"
VPC_ID = "vpc-0a5e1b2c3d4e5f607"
FLOW_LOG_ID = "fl-0c4a1e2b3d5f60718"
START = datetime(2026, 11, 2, tzinfo=timezone.utc)
WINDOW = 600  # seconds: the default maximum aggregation interval

AZ1, AZ2 = ("ap-southeast-1a", "apse1-az1"), ("ap-southeast-1b", "apse1-az2")

#: The custom version 5 format of the zonal scenario (AWS field names, this order).
V5_FIELDS = ("version", "account-id", "vpc-id", "subnet-id", "instance-id", "interface-id",
             "srcaddr", "dstaddr", "srcport", "dstport", "pkt-srcaddr", "pkt-dstaddr",
             "protocol", "packets", "bytes", "start", "end", "action", "log-status", "region",
             "az-id", "flow-direction", "traffic-path")
#: Version 11: the version 5 fields, ``resource-id`` (9), ``interface-type`` and next hop (11).
V11_FIELDS = (*V5_FIELDS, "resource-id", "interface-type", "next-hop-interface-id",
              "next-hop-subnet-id", "next-hop-az-id", "next-hop-vpc-id",
              "next-hop-interface-type")
#: The default format.
V2_FIELDS = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
             "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log-status")
FORMATS = {"v2": V2_FIELDS, "v5": V5_FIELDS, "v11": V11_FIELDS}
VERSION = {"v2": 2, "v5": 5, "v11": 11}


@dataclass(frozen=True)
class Host:
    """An instance in a private subnet (or, with ``public_ip``, a public one)."""

    instance_id: str
    interface_id: str
    address: str
    subnet_id: str
    az: str
    az_id: str
    public_ip: str | None = None


@dataclass(frozen=True)
class Peer:
    """A public address and what the bundled ranges call it (service None: not AWS)."""

    address: str
    service: str | None
    region: str | None
    what: str
    port: int = 443
    weight: float = 1.0  # share of a host's NAT bytes


@dataclass(frozen=True)
class Gateway:
    """The NAT gateway: zonal (one ENI, one private IP, one AZ) or regional (no ENI)."""

    nat_gateway_id: str
    mode: str  # "zonal" | "regional"
    public_ips: tuple[str, ...]
    interface_id: str | None = None
    private_ip: str | None = None
    subnet_id: str | None = None
    az: str | None = None
    az_id: str | None = None


NAT_ZONAL = Gateway("nat-0f1e2d3c4b5a69788", "zonal", ("54.251.10.20",),
                    interface_id="eni-0a9b8c7d6e5f40312", private_ip="10.20.0.37",
                    subnet_id="subnet-0aa11bb22cc33dd01", az=AZ1[0], az_id=AZ1[1])
NAT_REGIONAL = Gateway("nat-0123456789abcdef0", "regional", ("54.251.10.20", "54.251.10.21"))

PUBLIC_SUBNET = NAT_ZONAL.subnet_id
HOSTS = (
    Host("i-0a1a1a1a1a1a1a1a1", "eni-0a1a000000000a101", "10.20.1.11",
         "subnet-0aa11bb22cc33dd11", *AZ1),
    Host("i-0a2a2a2a2a2a2a2a2", "eni-0a2a000000000a202", "10.20.1.12",
         "subnet-0aa11bb22cc33dd11", *AZ1),
    Host("i-0b1b1b1b1b1b1b1b1", "eni-0b1b000000000b101", "10.20.2.21",
         "subnet-0aa11bb22cc33dd22", *AZ2),
    Host("i-0b2b2b2b2b2b2b2b2", "eni-0b2b000000000b202", "10.20.2.22",
         "subnet-0aa11bb22cc33dd22", *AZ2),
)
#: NAT bytes per host relative to each other: the AZ-b hosts pull most (cross-AZ matters).
HOST_WEIGHTS = (1.0, 0.5, 2.5, 1.5)
BASTION = Host("i-0c0c0c0c0c0c0c0c0", "eni-0c0c000000000c001", "10.20.0.10", PUBLIC_SUBNET,
               *AZ1, public_ip="13.250.0.10")
IDLE_ENI = "eni-0d0d000000000d001"
PROBE = "45.155.205.99"

PEERS = (
    Peer("52.219.32.15", "S3", REGION, "S3 ap-southeast-1 (image layers)", weight=0.40),
    Peer("52.219.128.40", "S3", REGION, "S3 ap-southeast-1", weight=0.20),
    Peer("3.5.146.7", "S3", REGION, "S3 ap-southeast-1", weight=0.10),
    Peer("52.216.58.42", "S3", "us-east-1", "S3 us-east-1 (cross-region)", weight=0.08),
    Peer("52.94.11.20", "DYNAMODB", REGION, "DynamoDB ap-southeast-1", weight=0.08),
    Peer("15.221.35.10", "AMAZON", REGION, "an AWS API address (AMAZON only), as ecr.api",
         weight=0.06),
    Peer("54.255.0.10", "EC2", REGION, "an EC2 host in ap-southeast-1", weight=0.04),
    Peer("140.82.114.4", None, None, "GitHub (not AWS)", weight=0.04),
)


@dataclass(frozen=True)
class Crossing:
    """One connection through the NAT in one aggregation window: ``up`` bytes from the
    instance to the peer, ``down`` back. The NAT processed ``up + down``."""

    host: Host
    peer: Peer
    up: int
    down: int
    start: int
    end: int
    eph: int  # the instance's port
    nat_port: int  # the NAT's port towards the peer (zonal)


@dataclass
class Inside:
    """NAT bytes of one inside source."""

    address: str
    interface_id: str
    subnet_id: str
    az_id: str
    instance_id: str
    bytes: int = 0


@dataclass
class Truth:
    """The expected figures, from the plan (see the module doc)."""

    region: str
    mode: str
    nat_gateway_ids: tuple[str, ...]
    nat_interface_ids: tuple[str, ...]  # empty for a regional NAT
    nat_ips: tuple[str, ...]  # private IPs; empty for a regional NAT
    nat_az_id: str | None
    #: what a detector may claim: "exact" (fields say NAT) or "candidates" (v2: only guesses)
    detection: str
    nat_bytes: int = 0
    nat_in: int = 0  # from public peers into the VPC
    nat_out: int = 0
    nat_flows: int = 0  # crossings
    by_inside: dict[str, Inside] = field(default_factory=dict)
    cross_az_to_nat: int = 0  # instance in another AZ -> NAT
    cross_az_from_nat: int = 0  # NAT -> instance in another AZ
    cross_az_by_inside: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_service: dict[tuple[str | None, str | None], int] = field(
        default_factory=lambda: defaultdict(int))
    by_day: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    files: int = 0  # one per hour with traffic
    records: int = 0  # NAT legs per crossing plus the other traffic of each hour
    nodata: int = 0
    all_bytes: int = 0  # every traffic record's bytes, as logged (set when written)

    @property
    def cross_az_bytes(self) -> int:
        """Bytes crossing AZs between inside sources and the NAT, each direction once."""
        return self.cross_az_to_nat + self.cross_az_from_nat


@dataclass
class Scenario:
    """What was written and what it must give."""

    root: Path
    fmt: str
    fields: tuple[str, ...]
    gateway: Gateway
    hosts: tuple[Host, ...]
    crossings: list[Crossing]
    paths: list[Path]
    truth: Truth

    @property
    def logs(self) -> Path:
        """The ``AWSLogs`` directory to give ``awsip report``."""
        return self.root / "AWSLogs"


# --- records --------------------------------------------------------------------------------


def _rec(fields: tuple[str, ...], **values: Any) -> str:
    """One line in ``fields`` order; keys use ``_`` for ``-``; missing values are ``-``."""
    vals = {k.replace("_", "-"): v for k, v in values.items()}
    return " ".join(str(vals.get(f, "-")) if vals.get(f) is not None else "-" for f in fields)


def _base(fmt: str, c: Crossing, eni: str, src: str, dst: str, sp: int, dp: int,
          size: int, *, pkt: tuple[str, str] | None = None) -> dict[str, Any]:
    packets = max(1, size // 1200)
    return {"version": VERSION[fmt], "account_id": ACCOUNT, "vpc_id": VPC_ID,
            "interface_id": eni, "srcaddr": src, "dstaddr": dst, "srcport": sp, "dstport": dp,
            "pkt_srcaddr": (pkt or (src, dst))[0], "pkt_dstaddr": (pkt or (src, dst))[1],
            "protocol": 6, "packets": packets, "bytes": size, "start": c.start,
            "end": c.end, "action": "ACCEPT", "log_status": "OK", "region": REGION}


def zonal_legs(fmt: str, c: Crossing, nat: Gateway = NAT_ZONAL) -> list[str]:
    """The six records of one crossing of a zonal NAT (module doc: AWS's NAT example)."""
    h, p, f = c.host, c.peer, FORMATS[fmt]
    ip, eni = nat.private_ip or "", nat.interface_id or ""
    on_nat = {"subnet_id": nat.subnet_id, "az_id": nat.az_id, "interface_type": "nat_gateway"}
    on_host = {"subnet_id": h.subnet_id, "az_id": h.az_id, "instance_id": h.instance_id,
               "interface_type": "interface"}
    hop = {"next_hop_interface_id": eni, "next_hop_subnet_id": nat.subnet_id,
           "next_hop_az_id": nat.az_id, "next_hop_vpc_id": VPC_ID,
           "next_hop_interface_type": "nat_gateway"}
    return [
        _rec(f, **_base(fmt, c, eni, h.address, ip, c.eph, p.port, size=c.up,
                        pkt=(h.address, p.address)), **on_nat, flow_direction="ingress"),
        _rec(f, **_base(fmt, c, eni, ip, p.address, c.nat_port, p.port, c.up), **on_nat,
             flow_direction="egress", traffic_path=2),
        _rec(f, **_base(fmt, c, eni, p.address, ip, p.port, c.nat_port, c.down), **on_nat,
             flow_direction="ingress"),
        _rec(f, **_base(fmt, c, eni, ip, h.address, p.port, c.eph, c.down,
                        pkt=(p.address, h.address)), **on_nat, flow_direction="egress",
             traffic_path=1),
        _rec(f, **_base(fmt, c, h.interface_id, h.address, p.address, c.eph, p.port, c.up),
             **on_host, **hop, flow_direction="egress", traffic_path=1),
        _rec(f, **_base(fmt, c, h.interface_id, p.address, h.address, p.port, c.eph, c.down),
             **on_host, flow_direction="ingress"),
    ]


def regional_legs(fmt: str, c: Crossing, nat: Gateway = NAT_REGIONAL) -> list[str]:
    """The four records of one crossing of a regional NAT: two on the gateway (``interface-id``
    ``-``, ``resource-id``), two on the instance's interface (next hop on the egress one)."""
    h, p, f = c.host, c.peer, FORMATS[fmt]
    on_nat = {"interface_id": None, "resource_id": nat.nat_gateway_id, "az_id": h.az_id,
              "interface_type": "regional_nat_gateway"}
    on_host = {"subnet_id": h.subnet_id, "az_id": h.az_id, "instance_id": h.instance_id,
               "interface_type": "interface"}
    hop = {"next_hop_az_id": h.az_id, "next_hop_vpc_id": VPC_ID,
           "next_hop_interface_type": "regional_nat_gateway"}
    return [
        _rec(f, **{**_base(fmt, c, "-", h.address, p.address, c.eph, p.port, c.up), **on_nat},
             flow_direction="egress", traffic_path=2),
        _rec(f, **{**_base(fmt, c, "-", p.address, h.address, p.port, c.eph, c.down),
                   **on_nat}, flow_direction="ingress"),
        _rec(f, **_base(fmt, c, h.interface_id, h.address, p.address, c.eph, p.port, c.up),
             **on_host, **hop, flow_direction="egress", traffic_path=1),
        _rec(f, **_base(fmt, c, h.interface_id, p.address, h.address, p.port, c.eph, c.down),
             **on_host, flow_direction="ingress"),
    ]


def _other_traffic(fmt: str, start: int, rng: random.Random, nat: Gateway) -> list[str]:
    """Traffic that is not the NAT's: the bastion's own internet traffic, private traffic
    between AZs, a probe the NAT rejects (zonal only), an idle interface (NODATA)."""
    f = FORMATS[fmt]
    c = Crossing(BASTION, PEERS[-1], 0, 0, start + 3, start + 60, rng.randrange(32768, 61000), 0)
    b, a1, b1 = BASTION, HOSTS[0], HOSTS[2]
    on_b = {"subnet_id": b.subnet_id, "az_id": b.az_id, "instance_id": b.instance_id,
            "interface_type": "interface"}
    up, down = rng.randrange(2_000, 9_000), rng.randrange(20_000, 90_000)
    lines = [
        _rec(f, **_base(fmt, c, b.interface_id, b.address, "140.82.114.4", c.eph, 443, up),
             **on_b, flow_direction="egress", traffic_path=2),
        _rec(f, **_base(fmt, c, b.interface_id, "140.82.114.4", b.address, 443, c.eph, down),
             **on_b, flow_direction="ingress"),
    ]
    for src, dst, eni, host in ((a1, b1, a1.interface_id, a1), (a1, b1, b1.interface_id, b1)):
        size = 40_000
        lines.append(_rec(f, **_base(fmt, c, eni, src.address, dst.address, c.eph, 5432, size),
                          subnet_id=host.subnet_id, az_id=host.az_id,
                          instance_id=host.instance_id, interface_type="interface",
                          flow_direction="egress" if host is src else "ingress",
                          traffic_path=1 if host is src else None))
    if nat.interface_id:
        lines.append(_rec(f, **{**_base(fmt, c, nat.interface_id, PROBE, nat.private_ip or "",
                                        rng.randrange(1024, 65535), 22, 44),
                                "action": "REJECT", "packets": 1},
                          subnet_id=nat.subnet_id, az_id=nat.az_id,
                          interface_type="nat_gateway", flow_direction="ingress"))
    lines.append(_rec(f, version=VERSION[fmt], account_id=ACCOUNT, interface_id=IDLE_ENI,
                      start=start, end=start + 3600, log_status="NODATA"))
    return lines


# --- the plan and its truth -----------------------------------------------------------------


def plan(*, days: int = 2, windows_per_hour: int = 1, scale: float = 1.0, seed: int = 13,
         start: datetime = START, hosts: tuple[Host, ...] = HOSTS) -> list[Crossing]:
    """Every crossing: each host talks to each peer in each window, bytes by weights."""
    rng = random.Random(seed)
    out = []
    step = 3600 // windows_per_hour
    base = 40 * (1 << 20) * scale  # bytes per host-weight unit per window
    for hour in range(days * 24):
        for w in range(windows_per_hour):
            t0 = int((start + timedelta(hours=hour)).timestamp()) + w * step
            t0 += rng.randrange(0, 20)
            t1 = t0 + min(step, WINDOW) - rng.randrange(1, 20)
            for host, hw in zip(hosts, HOST_WEIGHTS, strict=False):
                for peer in PEERS:
                    total = int(base * hw * peer.weight * rng.uniform(0.7, 1.3))
                    up = max(300, total // 40)
                    out.append(Crossing(host, peer, up, max(1, total - up), t0, t1,
                                        rng.randrange(32768, 61000),
                                        rng.randrange(1024, 65535)))
    return out


def truth_of(crossings: list[Crossing], gateway: Gateway, fmt: str) -> Truth:
    """The expected NAT figures of ``crossings`` (bytes counted once per crossing)."""
    t = Truth(REGION, gateway.mode, (gateway.nat_gateway_id,),
              (gateway.interface_id,) if gateway.interface_id else (),
              (gateway.private_ip,) if gateway.private_ip else (), gateway.az_id,
              "candidates" if fmt == "v2" else "exact")
    for c in crossings:
        size = c.up + c.down
        t.nat_bytes += size
        t.nat_in += c.down
        t.nat_out += c.up
        t.nat_flows += 1
        h = c.host
        inside = t.by_inside.setdefault(h.address, Inside(h.address, h.interface_id,
                                                          h.subnet_id, h.az_id, h.instance_id))
        inside.bytes += size
        if gateway.mode == "zonal" and h.az_id != gateway.az_id:
            t.cross_az_to_nat += c.up
            t.cross_az_from_nat += c.down
            t.cross_az_by_inside[h.address] += size
        t.by_service[(c.peer.service, c.peer.region)] += size
        t.by_day[datetime.fromtimestamp(c.start, timezone.utc).date().isoformat()] += size
    hours = len({c.start - c.start % 3600 for c in crossings})
    legs, other = (6, 6) if gateway.mode == "zonal" else (4, 5)  # see zonal_legs, _other_traffic
    t.files, t.nodata = hours, hours
    t.records = legs * len(crossings) + other * hours
    return t


# --- writing --------------------------------------------------------------------------------


def _write_hours(root: Path, fields: tuple[str, ...], by_hour: dict[datetime, list[str]],
                 seed: int) -> list[Path]:
    paths = []
    for hour, lines in sorted(by_hour.items()):
        stamp = hour.strftime("%Y%m%dT%H%MZ")
        digest = hashlib.sha1(f"{seed}{stamp}".encode()).hexdigest()[:8]
        folder = root / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / hour.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{ACCOUNT}_vpcflowlogs_{REGION}_{FLOW_LOG_ID}_{stamp}_{digest}.log.gz"
        path.write_bytes(gzip.compress(("\n".join([" ".join(fields), *lines]) + "\n").encode(),
                                       mtime=0))
        paths.append(path)
    return paths


def _generate(root: Path, fmt: str, gateway: Gateway, crossings: list[Crossing],
              seed: int) -> Scenario:
    if fmt not in FORMATS:
        raise ValueError(f"fmt {fmt!r}: one of {sorted(FORMATS)}")
    legs = zonal_legs if gateway.mode == "zonal" else regional_legs
    rng = random.Random(seed + 1)
    by_hour: dict[datetime, list[str]] = defaultdict(list)
    for c in crossings:
        hour = datetime.fromtimestamp(c.start - c.start % 3600, timezone.utc)
        by_hour[hour] += legs(fmt, c, gateway)
    truth = truth_of(crossings, gateway, fmt)
    for hour, lines in by_hour.items():
        lines += _other_traffic(fmt, int(hour.timestamp()), rng, gateway)
        rng.shuffle(lines)
    paths = _write_hours(root, FORMATS[fmt], by_hour, seed)
    records, nodata, truth.all_bytes = _count_written(by_hour, FORMATS[fmt])
    assert (records, nodata, len(paths)) == (truth.records, truth.nodata, truth.files)
    return Scenario(root, fmt, FORMATS[fmt], gateway, HOSTS, crossings, paths, truth)


def _count_written(by_hour: dict[datetime, list[str]], fields: tuple[str, ...]
                   ) -> tuple[int, int, int]:
    """Records, NODATA records and logged bytes of what was written."""
    at_bytes, at_status = fields.index("bytes"), fields.index("log-status")
    records = nodata = logged = 0
    for lines in by_hour.values():
        for line in lines:
            parts = line.split(" ")
            records += 1
            if parts[at_status] == "NODATA":
                nodata += 1
            else:
                logged += int(parts[at_bytes])
    return records, nodata, logged


def zonal(root: Path | str, *, fmt: str = "v5", days: int = 2, windows_per_hour: int = 1,
          scale: float = 1.0, seed: int = 13) -> Scenario:
    """The zonal NAT scenario (``fmt`` ``v5``, ``v11`` or ``v2``), written under ``root``."""
    crossings = plan(days=days, windows_per_hour=windows_per_hour, scale=scale, seed=seed)
    return _generate(Path(root), fmt, NAT_ZONAL, crossings, seed)


def regional(root: Path | str, *, days: int = 2, windows_per_hour: int = 1, scale: float = 1.0,
             seed: int = 13) -> Scenario:
    """The regional NAT scenario, version 11 format with ``resource-id``."""
    crossings = plan(days=days, windows_per_hour=windows_per_hour, scale=scale, seed=seed)
    return _generate(Path(root), "v11", NAT_REGIONAL, crossings, seed)


# --- the inventory (aws ec2 describe-network-interfaces / describe-nat-gateways) --------------


def _eni_doc(eni: str, address: str, subnet: str, az: tuple[str, str], *,
             instance_id: str | None = None, public_ip: str | None = None,
             interface_type: str = "interface", description: str = "") -> dict[str, Any]:
    """One ``NetworkInterfaces[]`` item in the shape of the EC2 API's NetworkInterface
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html) as the
    AWS CLI prints it (PascalCase keys)."""
    doc: dict[str, Any] = {
        "AvailabilityZone": az[0], "AvailabilityZoneId": az[1], "Description": description,
        "Groups": [], "InterfaceType": interface_type, "Ipv6Addresses": [],
        "MacAddress": "02:" + ":".join(eni[-10:][i:i + 2] for i in range(0, 10, 2)),
        "NetworkInterfaceId": eni, "OwnerId": ACCOUNT,
        "PrivateDnsName": f"ip-{address.replace('.', '-')}.{REGION}.compute.internal",
        "PrivateIpAddress": address,
        "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": address,
                                "PrivateDnsName": f"ip-{address.replace('.', '-')}.{REGION}"
                                                  ".compute.internal"}],
        "RequesterManaged": interface_type == "nat_gateway",
        "SourceDestCheck": interface_type != "nat_gateway", "Status": "in-use",
        "SubnetId": subnet, "TagSet": [], "VpcId": VPC_ID,
    }
    if instance_id:
        doc["Attachment"] = {"AttachmentId": "eni-attach-" + eni[4:], "DeleteOnTermination": True,
                             "DeviceIndex": 0, "InstanceId": instance_id,
                             "InstanceOwnerId": ACCOUNT, "Status": "attached"}
    if public_ip:
        assoc = {"IpOwnerId": "amazon", "PublicIp": public_ip,
                 "PublicDnsName": f"ec2-{public_ip.replace('.', '-')}.{REGION}.compute"
                                  ".amazonaws.com"}
        doc["Association"] = assoc
        doc["PrivateIpAddresses"][0]["Association"] = assoc
    return doc


def inventory_documents(gateway: Gateway) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON of ``aws ec2 describe-network-interfaces`` and ``describe-nat-gateways`` for
    this VPC (NatGateway and NatGatewayAddress shapes:
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGateway.html,
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGatewayAddress.html)."""
    enis = [_eni_doc(h.interface_id, h.address, h.subnet_id, (h.az, h.az_id),
                     instance_id=h.instance_id, public_ip=h.public_ip)
            for h in (*HOSTS, BASTION)]
    nat: dict[str, Any] = {"CreateTime": "2026-10-01T08:00:00+00:00",
                           "NatGatewayId": gateway.nat_gateway_id, "State": "available",
                           "VpcId": VPC_ID, "Tags": [], "ConnectivityType": "public",
                           "AvailabilityMode": gateway.mode}
    if gateway.mode == "zonal":
        eni, ip = gateway.interface_id or "", gateway.private_ip or ""
        enis.append(_eni_doc(eni, ip, gateway.subnet_id or "", (gateway.az or "",
                                                                  gateway.az_id or ""),
                             public_ip=gateway.public_ips[0], interface_type="nat_gateway",
                             description=f"Interface for NAT Gateway {gateway.nat_gateway_id}"))
        nat["SubnetId"] = gateway.subnet_id
        nat["NatGatewayAddresses"] = [{
            "AllocationId": "eipalloc-0a1b2c3d4e5f60001", "NetworkInterfaceId": eni,
            "PrivateIp": ip, "PublicIp": gateway.public_ips[0],
            "AssociationId": "eipassoc-0a1b2c3d4e5f60001", "IsPrimary": True,
            "Status": "succeeded"}]
    else:
        nat.update({"AutoProvisionZones": "enabled", "AutoScalingIps": "enabled",
                    "RouteTableId": "rtb-0a1b2c3d4e5f60718"})
        nat["NatGatewayAddresses"] = [
            {"AllocationId": f"eipalloc-0a1b2c3d4e5f6000{i}", "PublicIp": ip,
             "AssociationId": f"eipassoc-0a1b2c3d4e5f6000{i}", "IsPrimary": i == 1,
             "Status": "succeeded", "AvailabilityZone": az[0], "AvailabilityZoneId": az[1]}
            for i, (ip, az) in enumerate(zip(gateway.public_ips, (AZ1, AZ2), strict=True), 1)]
    return {"NetworkInterfaces": enis}, {"NatGateways": [nat]}


def write_inventory(folder: Path | str, gateway: Gateway) -> tuple[Path, Path]:
    """Write ``enis.json`` and ``nat-gateways.json`` under ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    enis, nats = inventory_documents(gateway)
    a, b = folder / "enis.json", folder / "nat-gateways.json"
    a.write_text(json.dumps(enis, indent=2) + "\n")
    b.write_text(json.dumps(nats, indent=2) + "\n")
    return a, b
