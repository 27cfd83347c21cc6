"""NAT gateway cost attribution and gateway-endpoint advice: :func:`report` and :class:`Report`.

**Counting NAT bytes once.** In a NAT gateway's flow logs each processed byte appears on several
records: the leg between the NAT and the public peer (NAT private IP <-> public address, on the
NAT's ENI), the leg between the NAT and the instance (instance IP <-> NAT IP, also on the NAT's
ENI) and, when the whole VPC is logged, again on the instance's own ENI (instance IP <-> public
address). NAT data processing is billed once per byte, in both directions. awsip counts the
NAT's *public-facing leg* only: records on a NAT ENI (``nat_enis``) whose peer is public, or,
when only ``nat_ips`` are given, records between a NAT IP and a public address. Summing every
record that mentions the NAT would count each byte two or three times.

**Cost.** ``bytes / gb_bytes * price_per_gb``. The default price is the us-east-1 list price of
NAT gateway data processing, 0.045 USD per GB. AWS's price list says "per GB" without defining
it; awsip uses GB = 2**30 bytes (``gb_bytes``; pass ``10**9`` for decimal GB, which gives a 7.4%
higher figure). See docs/report.md.

**Advice.** S3 and DynamoDB have *gateway* VPC endpoints, which are free and carry traffic to
the service in the VPC's own region only. NAT bytes to S3/DynamoDB in the VPC's region are
avoidable: a recommendation with the bytes, the cost observed and a monthly projection
(observed cost scaled linearly from the observed time span, last record end minus first record
start, to 30 days). S3/DynamoDB in other regions is listed but not counted avoidable. Traffic to
other AWS services through the NAT is listed with its cost; interface endpoints (PrivateLink)
for them are billed per hour and per GB, so awsip does not call them free. The VPC's region comes
from ``vpc_region``, else the records' ``region`` field, else the S3 delivery path
(``AWSLogs/<account>/vpcflowlogs/<region>/...``); when none says (or they disagree), the report
says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .render import human_bytes, usd

if TYPE_CHECKING:
    import pyarrow as pa

    from .ranges import Ranges

#: us-east-1 list price of NAT gateway data processing, USD per GB.
DEFAULT_PRICE_PER_GB = 0.045
#: Bytes in the GB the price is quoted per (see the module doc).
GB_BYTES = 1 << 30
#: Services with free gateway VPC endpoints (labels of the primary service rule).
GATEWAY_ENDPOINT_SERVICES = {"S3": "s3-gateway-endpoint", "DYNAMODB": "dynamodb-gateway-endpoint"}
MONTH_DAYS = 30


@dataclass(frozen=True)
class Recommendation:
    """One piece of advice about traffic through the NAT gateway.

    ``kind``: ``s3-gateway-endpoint`` / ``dynamodb-gateway-endpoint`` (avoidable),
    ``cross-region`` (S3/DynamoDB in another region: not avoidable by a gateway endpoint),
    ``gateway-endpoint-region-unknown`` (S3/DynamoDB, VPC region unknown),
    ``aws-service-via-nat`` (other AWS service; interface endpoints cost money).
    """

    kind: str
    service: str
    region: str | None
    bytes: int
    cost_usd: float
    avoidable: bool
    savings_usd: float | None
    monthly_savings_usd: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "service": self.service, "region": self.region,
                "bytes": self.bytes, "cost_usd": round(self.cost_usd, 4),
                "avoidable": self.avoidable,
                "savings_usd": None if self.savings_usd is None else round(self.savings_usd, 4),
                "monthly_savings_usd": None if self.monthly_savings_usd is None
                else round(self.monthly_savings_usd, 2),
                "message": self.message}


@dataclass
class NatReport:
    """Bytes the NAT gateway(s) processed, counted once, and what they cost."""

    enis: tuple[str, ...]
    ips: tuple[str, ...]
    bytes: int
    bytes_in: int  # from public peers into the VPC
    bytes_out: int  # from the VPC to public peers
    flows: int
    price_per_gb: float
    gb_bytes: int
    by_service: pa.Table  # service, region, bytes, packets, flows, ..., share
    by_day: pa.Table  # day, bytes, ...

    @property
    def cost_usd(self) -> float:
        return cost(self.bytes, self.price_per_gb, self.gb_bytes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enis": list(self.enis), "ips": list(self.ips),
            "bytes": self.bytes, "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
            "flows": self.flows, "cost_usd": round(self.cost_usd, 4),
            "price_per_gb": self.price_per_gb, "gb_bytes": self.gb_bytes,
            "by_service": [
                {"service": r["service"], "region": r["region"], "bytes": r["bytes"],
                 "cost_usd": round(cost(r["bytes"], self.price_per_gb, self.gb_bytes), 4),
                 "share": r["share"]}
                for r in self.by_service.to_pylist()],
            "by_day": [{"day": r["day"].isoformat(), "bytes": r["bytes"],
                        "cost_usd": round(cost(r["bytes"], self.price_per_gb, self.gb_bytes), 4)}
                       for r in self.by_day.sort_by("day").to_pylist()],
        }


@dataclass
class Report:
    """Everything ``awsip report`` shows; :meth:`to_dict` is its JSON form (docs/report.md)."""

    by: list[str]
    groups: pa.Table
    records: int
    skipped: int
    nodata: int
    skipdata: int
    files: int
    flows: int  # traffic records counted
    bytes: int
    packets: int
    first_seen: datetime | None
    last_seen: datetime | None
    vpc_region: str | None
    vpc_region_source: str | None
    regions_seen: list[str]
    nat: NatReport | None
    recommendations: list[Recommendation]
    hourly: pa.Table | None = None  # hour, service, bytes...: NAT bytes when NAT given
    notes: list[str] = field(default_factory=list)
    top: int | None = None

    @property
    def span_seconds(self) -> float | None:
        if self.first_seen is None or self.last_seen is None:
            return None
        return (self.last_seen - self.first_seen).total_seconds()

    @property
    def monthly_factor(self) -> float | None:
        """30 days divided by the observed span (None when the span is zero or unknown)."""
        span = self.span_seconds
        return MONTH_DAYS * 86400 / span if span else None

    def to_dict(self) -> dict[str, Any]:
        rows = self.groups.to_pylist()
        if self.top is not None:
            rows = rows[: self.top]
        groups = []
        for r in rows:
            item = {k: _jsonable(r[k]) for k in self.by}
            item.update(bytes=r["bytes"], packets=r["packets"], flows=r["flows"],
                        share=r["share"], first_seen=_jsonable(r["first_seen"]),
                        last_seen=_jsonable(r["last_seen"]))
            groups.append(item)
        return {
            "records": self.records, "skipped": self.skipped, "nodata": self.nodata,
            "skipdata": self.skipdata, "files": self.files, "flows": self.flows,
            "bytes": self.bytes, "packets": self.packets,
            "first_seen": _jsonable(self.first_seen), "last_seen": _jsonable(self.last_seen),
            "span_seconds": self.span_seconds,
            "vpc_region": self.vpc_region, "vpc_region_source": self.vpc_region_source,
            "regions_seen": self.regions_seen,
            "by": self.by, "groups_total": self.groups.num_rows, "groups": groups,
            "nat": self.nat.to_dict() if self.nat else None,
            "recommendations": [r.to_dict() for r in self.recommendations],
            "projection": {"method": f"linear: observed cost x {MONTH_DAYS} days / observed span",
                           "factor": self.monthly_factor},
            "notes": self.notes,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def cost(nbytes: int | float, price_per_gb: float = DEFAULT_PRICE_PER_GB,
         gb_bytes: int = GB_BYTES) -> float:
    """USD for ``nbytes`` at ``price_per_gb`` per GB of ``gb_bytes`` bytes."""
    return float(nbytes) / gb_bytes * price_per_gb


def advise(by_service: list[dict[str, Any]], vpc_region: str | None, *,
           price_per_gb: float = DEFAULT_PRICE_PER_GB, gb_bytes: int = GB_BYTES,
           monthly_factor: float | None = None) -> list[Recommendation]:
    """Recommendations from NAT bytes per peer (``service``, ``region``, ``bytes`` rows).

    Avoidable gateway-endpoint traffic first (biggest first), then cross-region and
    unknown-region S3/DynamoDB, then other AWS services; INTERNET and PRIVATE peers ignored.
    """
    avoid: list[Recommendation] = []
    other: list[Recommendation] = []
    for row in by_service:
        service, region, nbytes = row["service"], row.get("region"), int(row["bytes"])
        if not nbytes or service in ("INTERNET", "PRIVATE", None):
            continue
        cost_ = cost(nbytes, price_per_gb, gb_bytes)
        size, money = human_bytes(nbytes, gb_bytes), usd(cost_)
        if service in GATEWAY_ENDPOINT_SERVICES:
            name = "S3" if service == "S3" else "DynamoDB"
            if vpc_region is None:
                other.append(Recommendation(
                    "gateway-endpoint-region-unknown", service, region, nbytes, cost_, False, None,
                    None,
                    f"{size} to {name} {region} crossed the NAT ({money}). A free "
                    f"{name} gateway endpoint removes this only if the VPC is in {region}; the "
                    "VPC's region is unknown (pass --vpc-region)."))
            elif region == vpc_region:
                monthly = cost_ * monthly_factor if monthly_factor else None
                per_month = f", about {usd(monthly)} per 30 days" if monthly is not None else ""
                avoid.append(Recommendation(
                    GATEWAY_ENDPOINT_SERVICES[service], service, region, nbytes, cost_, True, cost_,
                    monthly,
                    f"Add {'an' if name == 'S3' else 'a'} {name} gateway VPC endpoint in "
                    f"{region} (free) and route the private subnets to it: {size} "
                    f"({money}) would not have crossed the NAT"
                    f"{per_month}."))
            else:
                other.append(Recommendation(
                    "cross-region", service, region, nbytes, cost_, False, 0.0, 0.0,
                    f"{size} ({money}) to {name} in {region}, outside the VPC's region "
                    f"{vpc_region}: a gateway endpoint does not carry cross-region traffic."))
        else:
            other.append(Recommendation(
                "aws-service-via-nat", service, region, nbytes, cost_, False, None, None,
                f"{size} ({money}) to {service} {region or ''} crossed the NAT. An "
                "interface VPC endpoint (PrivateLink) may apply, but it is billed per hour and "
                "per GB: compare before switching."))
    avoid.sort(key=lambda r: -r.bytes)
    order = {"cross-region": 0, "gateway-endpoint-region-unknown": 1, "aws-service-via-nat": 2}
    other.sort(key=lambda r: (order[r.kind], -r.bytes))
    return avoid + other


def _totals(groups: pa.Table) -> dict[str, Any]:
    """Sums over a summary's groups (first/last seen: min/max)."""
    import pyarrow.compute as pc

    def scalar(value: Any, default: Any) -> Any:
        got = value.as_py()
        return default if got is None else got

    return {"bytes": scalar(pc.sum(groups.column("bytes")), 0),
            "packets": scalar(pc.sum(groups.column("packets")), 0),
            "flows": scalar(pc.sum(groups.column("flows")), 0),
            "first_seen": scalar(pc.min(groups.column("first_seen")), None),
            "last_seen": scalar(pc.max(groups.column("last_seen")), None)}


def report_columns(keys: Iterable[str], *, nat: bool = False) -> frozenset[str]:
    """The flow-log fields :func:`report` reads for these group keys: what the enrichment
    needs (:func:`awsip.aggregate.columns_needed`) and ``region``, for the VPC's region."""
    from .aggregate import columns_needed

    return columns_needed(keys, nat=nat) | {"region"}


def report(
    source: Any,
    *,
    by: str | Iterable[str] | None = ("service", "region"),
    top: int | None = None,
    ranges: Ranges | None = None,
    vpc_cidrs: Iterable[str] | None = None,
    vpc_region: str | None = None,
    nat_enis: Iterable[str] = (),
    nat_ips: Iterable[str] = (),
    since: str | datetime | date | None = None,
    until: str | datetime | date | None = None,
    price_per_gb: float = DEFAULT_PRICE_PER_GB,
    gb_bytes: int = GB_BYTES,
    hourly: bool = False,
    format: Any = None,
    progress: bool | None = None,
) -> Report:
    """Read flow logs once and build a :class:`Report`: the traffic summary grouped ``by``
    (see :func:`awsip.summarize`), NAT attribution when ``nat_enis``/``nat_ips`` are given, and
    recommendations. ``hourly``: also bytes per hour and peer service (for plots; the NAT's
    bytes, counted once, when a NAT is given, else all traffic as logged)."""
    import pyarrow.compute as pc

    from .aggregate import (
        Aggregator,
        Context,
        batches_of,
        enrich_all,
        normalize_keys,
    )
    from .arrowutil import string_scalar
    from .flowlogs import region_from_path

    if price_per_gb < 0:
        raise UsageError("price per GB must not be negative")
    if gb_bytes <= 0:
        raise UsageError("gb_bytes must be positive")
    keys = normalize_keys(by)
    nat_enis = tuple(dict.fromkeys(nat_enis))
    nat_ips = tuple(dict.fromkeys(nat_ips))
    ctx = Context.build(ranges, vpc_cidrs, since, until, nat_enis, nat_ips)
    main = Aggregator(keys)
    need = set(keys)
    if nat_enis or nat_ips:
        need |= {"service", "region", "day", "direction"}
    if hourly:
        need |= {"hour", "service"}
    nat_service = Aggregator(["service", "region"])
    nat_day = Aggregator(["day"])
    nat_dir = Aggregator(["direction"])
    hours = Aggregator(["hour", "service"]) if hourly else None
    region_field: set[str] = set()
    region_path: set[str] = set()
    seen_files: set[str] = set()
    readers: list[Any] = []
    records = 0
    nodata = skipdata = 0
    batches = batches_of(source, format=format, progress=progress, reader_out=readers,
                         columns=report_columns(need, nat=bool(nat_enis or nat_ips)))
    for batch, t in enrich_all(batches, ctx, need):
        meta = batch.schema.metadata or {}
        path = meta.get(b"awsip.file")
        if path is not None and path not in seen_files:
            seen_files.add(path)
            found = region_from_path(path.decode("utf-8", "replace"))
            if found:
                region_path.add(found)
        if "region" in batch.schema.names:
            region_field.update(
                r for r in pc.unique(batch.column("region")).to_pylist() if r)
        if not readers:
            records += batch.num_rows
            if "log_status" in batch.schema.names:
                status = batch.column("log_status")
                nodata += pc.sum(pc.equal(status, string_scalar("NODATA"))).as_py() or 0
                skipdata += pc.sum(pc.equal(status, string_scalar("SKIPDATA"))).as_py() or 0
        main.add(t)
        if hours is not None and not (nat_enis or nat_ips):
            hours.add(t)
        if nat_enis or nat_ips:
            nt = t.filter(t.column("nat"))
            if hours is not None:
                hours.add(nt)
            nat_service.add(nt)
            nat_day.add(nt)
            nat_dir.add(nt)
    skipped = files = 0
    if readers:
        stats = readers[0].stats
        records, skipped, nodata, skipdata, files = (
            stats.records, stats.skipped, stats.nodata, stats.skipdata, stats.files)
    else:
        files = len(seen_files)
    groups = main.result()
    tot = _totals(groups)
    first = tot["first_seen"]
    last = tot["last_seen"]
    notes: list[str] = []
    region_source: str | None = None
    if vpc_region:
        region_source = "argument"
    elif len(region_field) == 1:
        vpc_region, region_source = next(iter(region_field)), "region field"
    elif len(region_field) > 1:
        notes.append(f"records come from several regions ({', '.join(sorted(region_field))}); "
                     "pass --vpc-region to get endpoint advice")
    elif len(region_path) == 1:
        vpc_region, region_source = next(iter(region_path)), "S3 path"
    elif len(region_path) > 1:
        notes.append(f"files come from several regions ({', '.join(sorted(region_path))}); "
                     "pass --vpc-region to get endpoint advice")
    else:
        notes.append("the VPC's region is unknown (no region field, no S3 delivery path); "
                     "pass --vpc-region to get endpoint advice")
    report_ = Report(
        by=keys, groups=groups, records=records, skipped=skipped, nodata=nodata,
        skipdata=skipdata, files=files, flows=tot["flows"], bytes=tot["bytes"],
        packets=tot["packets"],
        first_seen=first, last_seen=last, vpc_region=vpc_region,
        vpc_region_source=region_source, regions_seen=sorted(region_field | region_path),
        nat=None, recommendations=[], hourly=hours.result() if hours else None, notes=notes,
        top=top)
    if nat_enis or nat_ips:
        by_service = nat_service.result()
        by_dir = {r["direction"]: r["bytes"] for r in nat_dir.result().to_pylist()}
        nat_total = int(pc.sum(by_service.column("bytes")).as_py() or 0)
        nat_flows = int(pc.sum(by_service.column("flows")).as_py() or 0)
        report_.nat = NatReport(
            enis=nat_enis, ips=nat_ips, bytes=nat_total, bytes_in=by_dir.get("ingress", 0),
            bytes_out=by_dir.get("egress", 0), flows=nat_flows, price_per_gb=price_per_gb,
            gb_bytes=gb_bytes, by_service=by_service,
            by_day=nat_day.result().select(["day", "bytes", "packets", "flows"]))
        report_.recommendations = advise(
            by_service.to_pylist(), vpc_region, price_per_gb=price_per_gb, gb_bytes=gb_bytes,
            monthly_factor=report_.monthly_factor)
        if nat_total == 0:
            notes.append("no record matched the NAT gateway's public-facing leg: check "
                         "--nat-eni/--nat-ip and that the NAT's interface is logged")
    return report_


__all__ = ["DEFAULT_PRICE_PER_GB", "GB_BYTES", "NatReport", "Recommendation", "Report",
           "advise", "cost", "report", "report_columns"]
