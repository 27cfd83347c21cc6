"""The report: one read of the flow logs, the traffic summary, the NAT section and advice.

:func:`report` reads the records once (:func:`awsip.flowlogs.records.open_records`), turns each
table into its peer view (:mod:`awsip.traffic.peers`) and feeds several streaming group-bys at
once: the summary asked for, and, when NAT gateways are named, the NAT's public-facing bytes
(:mod:`awsip.traffic.nat`: each processed byte counted once) per peer service, day and
direction. Prices are :mod:`.prices`, advice :mod:`.recommend`.

The VPC's region comes from ``vpc_region``, else the records' ``region`` field, else the S3
delivery path (``AWSLogs/<account>/vpcflowlogs/<region>/...``); when none says (or they
disagree), the report says so instead of guessing.

Inputs that say nothing are errors, not empty reports (:func:`check_read`): no flow-log file
under the paths given, or no line readable (the message quotes the first bad line and, when
its field count is a known version's, the ``--log-format`` it needs). A NAT interface or IP
that no record mentions is a warning naming it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..arrowutil import bool_scalar, string_array
from ..encoding import jsonable
from ..errors import FlowLogError, UsageError
from ..flowlogs.options import ReaderOptions
from ..flowlogs.paths import region_from_path
from ..flowlogs.records import open_records
from ..traffic.detect import (
    NAT_FIELDS,
    Gateway,
    NatCollector,
    candidates,
    detect,
    inventory_gateway,
    with_addresses,
    with_inventory,
)
from ..traffic.inside import Inside, attribute, hourly_by_inside
from ..traffic.names import NameCollector, Names, name_bytes
from ..traffic.nat import NO_NAT, NatSpec, Seen
from ..traffic.peers import Context, LocalNets, columns_needed, normalize_keys
from ..traffic.summary import Aggregator, Viewed, traffic_views
from .prices import (
    GB_BYTES,
    MONTH_DAYS,
    HoursCost,
    cost,
    nat_hours_cost,
    prices_for,
)
from .recommend import Recommendation, advise

if TYPE_CHECKING:
    from ..flowlogs.dns import DnsLog
    from ..flowlogs.reader import FlowLogStats
    from ..ranges.model import Ranges
    from .reconcile import Reconciliation


@dataclass
class CrossAz:
    """NAT bytes between an inside address and a zonal NAT gateway in another AZ."""

    bytes: int
    cost_usd: float | None  # None when the inter-AZ price is unknown
    by_inside: pa.Table  # nat, nat_az_id, address, az_id, bytes
    price_per_gb: float | None

    def to_dict(self, gb_bytes: int) -> dict[str, Any]:
        def money(nbytes: int) -> float | None:
            return None if self.price_per_gb is None else round(
                cost(nbytes, self.price_per_gb, gb_bytes), 4)

        return {"bytes": self.bytes, "cost_usd": money(self.bytes),
                "price_per_gb": self.price_per_gb,
                "by_inside": [{**r, "cost_usd": money(r["bytes"])}
                              for r in self.by_inside.to_pylist()]}


def _no_cross_az() -> CrossAz:
    from ..traffic.inside import _table

    return CrossAz(0, 0.0, _table([], ["nat", "nat_az_id", "address", "az_id"], ["bytes"]), 0.0)


def _no_inside() -> pa.Table:
    from ..traffic.inside import INSIDE_COLUMNS, _table

    return _table([], list(INSIDE_COLUMNS[:-1]), ["bytes"])


#: DNS names listed in ``nat.by_name`` (the biggest by NAT bytes).
NAMES_SHOWN = 25
#: The note of a report without --dns-log whose NAT carried S3 bytes.
ECR_NOTE = ("ECR image pulls cannot be told from other S3 traffic by address (ECR publishes "
            "no IP ranges; its image layers are S3 objects): pass --dns-log with Route 53 "
            "Resolver query logs to find them and to name what the NAT carried")


@dataclass
class NatReport:
    """Bytes the NAT gateway(s) processed, counted once, and what they cost; which gateways
    (given or detected, :mod:`awsip.traffic.detect`), who inside caused the bytes and which
    crossed zones (:mod:`awsip.traffic.inside`)."""

    enis: tuple[str, ...]
    ips: tuple[str, ...]
    bytes: int
    bytes_in: int  # from public peers into the VPC
    bytes_out: int  # from the VPC to public peers
    flows: int
    price_per_gb: float | None  # None: no source gave the region's price (docs/prices.md)
    gb_bytes: int
    by_service: pa.Table  # service, region, bytes, packets, flows, ..., share
    by_day: pa.Table  # day, bytes, ...
    gateways: list[Gateway] = field(default_factory=list)
    region: str | None = None
    price_source: str | None = None
    by_inside: pa.Table = field(default_factory=_no_inside)
    cross_az: CrossAz = field(default_factory=_no_cross_az)
    hours: HoursCost | None = None  # gateway-hours over the span (prices.nat_hours_cost)
    gateway_bytes: dict[str, int] = field(default_factory=dict)  # Gateway.key -> its bytes
    names: Names | None = None  # by DNS name, with --dns-log (traffic/names.py)

    @property
    def cost_usd(self) -> float | None:
        """The NAT's data-processing cost; None when the price is unknown."""
        if self.price_per_gb is None:
            return None
        return cost(self.bytes, self.price_per_gb, self.gb_bytes)

    def _cost(self, nbytes: int) -> float | None:
        if self.price_per_gb is None:
            return None
        return round(cost(nbytes, self.price_per_gb, self.gb_bytes), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enis": list(self.enis), "ips": list(self.ips),
            "gateways": [{**g.to_dict(), "bytes": self.gateway_bytes.get(g.key, 0),
                          "cost_usd": self._cost(self.gateway_bytes.get(g.key, 0))}
                         for g in self.gateways],
            "bytes": self.bytes, "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
            "flows": self.flows, "cost_usd": self._cost(self.bytes),
            "region": self.region, "price_per_gb": self.price_per_gb,
            "price_source": self.price_source, "gb_bytes": self.gb_bytes,
            "by_service": [
                {"service": r["service"], "region": r["region"], "bytes": r["bytes"],
                 "cost_usd": self._cost(r["bytes"]), "share": r["share"]}
                for r in self.by_service.to_pylist()],
            "by_day": [{"day": r["day"].isoformat(), "bytes": r["bytes"],
                        "cost_usd": self._cost(r["bytes"])}
                       for r in self.by_day.sort_by("day").to_pylist()],
            "by_inside": [{**r, "cost_usd": self._cost(r["bytes"])}
                          for r in self.by_inside.to_pylist()],
            "cross_az": self.cross_az.to_dict(self.gb_bytes),
            "hours": None if self.hours is None else {
                "gateway_hours": self.hours.hours, "note": self.hours.note,
                "cost_usd": None if self.hours.cost_usd is None
                else round(self.hours.cost_usd, 4)},
            **(self._names_dict() if self.names is not None else {}),
        }

    def _names_dict(self) -> dict[str, Any]:
        """``by_name`` (the top :data:`NAMES_SHOWN` names), ``names`` (how they were joined
        and what is left unnamed) and ``ecr``: the keys --dns-log adds (docs/report.md)."""
        names = self.names
        assert names is not None
        rows = names.by_name.to_pylist()
        total = self.bytes or 1
        return {
            "by_name": [{"name": r["name"], "bytes": r["bytes"],
                         "cost_usd": self._cost(r["bytes"]), "share": r["bytes"] / total,
                         "ecr": r["ecr"]} for r in rows[:NAMES_SHOWN]],
            "names": {"join": names.join, "names": len(rows), "bytes": names.bytes,
                      "named_bytes": names.named_bytes, "unnamed_bytes": names.unnamed_bytes,
                      "ambiguous_bytes": names.ambiguous_bytes,
                      "by_address_bytes": names.by_address_bytes},
            "ecr": {"bytes": names.ecr_bytes, "cost_usd": self._cost(names.ecr_bytes),
                    "api_bytes": names.ecr.get("api", 0),
                    "registry_bytes": names.ecr.get("registry", 0),
                    "layer_bytes": names.ecr.get("layers", 0)},
        }


class Observed:
    """The observed span of the traffic (``first_seen`` to ``last_seen``) and the factor that
    scales it to a 30-day month: shared by :class:`Report` and Spark's NAT report."""

    first_seen: datetime | None
    last_seen: datetime | None

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


@dataclass
class Report(Observed):
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
    hourly_by_inside: pa.Table | None = None  # hour, address, bytes: NAT bytes by inside source
    notes: list[str] = field(default_factory=list)
    top: int | None = None
    reconciliation: Reconciliation | None = None  # --cur/--metrics (advice/reconcile.py)
    dns_logs: DnsLog | None = None  # --dns-log (flowlogs/dns.py)
    nat_unmatched: list[str] = field(default_factory=list)  # named, in no record (warned)

    def to_dict(self) -> dict[str, Any]:
        rows = self.groups.to_pylist()
        if self.top is not None:
            rows = rows[: self.top]
        groups = []
        for r in rows:
            item = {k: jsonable(r[k]) for k in self.by}
            item.update(bytes=r["bytes"], packets=r["packets"], flows=r["flows"],
                        share=r["share"], first_seen=jsonable(r["first_seen"]),
                        last_seen=jsonable(r["last_seen"]))
            groups.append(item)
        return {
            "records": self.records, "skipped": self.skipped, "nodata": self.nodata,
            "skipdata": self.skipdata, "files": self.files, "flows": self.flows,
            "bytes": self.bytes, "packets": self.packets,
            "first_seen": jsonable(self.first_seen), "last_seen": jsonable(self.last_seen),
            "span_seconds": self.span_seconds,
            "vpc_region": self.vpc_region, "vpc_region_source": self.vpc_region_source,
            "regions_seen": self.regions_seen,
            "by": self.by, "groups_total": self.groups.num_rows, "groups": groups,
            "nat": self.nat.to_dict() if self.nat else None,
            "recommendations": [r.to_dict() for r in self.recommendations],
            "projection": {"method": f"linear: observed cost x {MONTH_DAYS} days / observed span",
                           "factor": self.monthly_factor},
            "notes": self.notes,
            **({"reconciliation": self.reconciliation.to_dict()}
               if self.reconciliation is not None else {}),
            **({"dns_logs": self.dns_logs.to_dict()} if self.dns_logs is not None else {}),
        }


def _totals(groups: pa.Table) -> dict[str, Any]:
    """Sums over a summary's groups (first/last seen: min/max)."""

    def scalar(value: Any, default: Any) -> Any:
        got = value.as_py()
        return default if got is None else got

    return {"bytes": scalar(pc.sum(groups.column("bytes")), 0),
            "packets": scalar(pc.sum(groups.column("packets")), 0),
            "flows": scalar(pc.sum(groups.column("flows")), 0),
            "first_seen": scalar(pc.min(groups.column("first_seen")), None),
            "last_seen": scalar(pc.max(groups.column("last_seen")), None)}


def report_columns(keys: Iterable[str], *, nat: bool = False) -> frozenset[str]:
    """The flow-log fields :func:`report` reads for these group keys: what the peer view
    needs (:func:`awsip.traffic.peers.columns_needed`) and ``region``, for the VPC's region."""
    return columns_needed(keys, nat=nat) | {"region"}


class _Groups:
    """The streaming group-bys of one report: the summary asked for, the NAT's bytes per peer
    service, day and direction, and bytes per hour for the chart."""

    def __init__(self, keys: list[str], nat: bool, hourly: bool) -> None:
        self.nat = nat
        self.main = Aggregator(keys)
        self.nat_service = Aggregator(["service", "region"])
        self.nat_day = Aggregator(["day"])
        self.nat_dir = Aggregator(["direction"])
        self.hours = Aggregator(["hour", "service"]) if hourly else None

    @staticmethod
    def keys_needed(keys: list[str], nat: bool, hourly: bool) -> set[str]:
        need = set(keys)
        if nat:
            need |= {"service", "region", "day", "direction"}
        if hourly:
            need |= {"hour", "service"}
        return need

    def add(self, view: pa.Table) -> None:
        self.main.add(view)
        if not self.nat:
            if self.hours is not None:
                self.hours.add(view)
            return
        nat_rows = view.filter(view.column("nat"))
        for agg in (self.nat_service, self.nat_day, self.nat_dir, self.hours):
            if agg is not None:
                agg.add(nat_rows)

    def merge(self, other: _Groups) -> None:
        for mine, theirs in ((self.main, other.main), (self.nat_service, other.nat_service),
                             (self.nat_day, other.nat_day), (self.nat_dir, other.nat_dir),
                             (self.hours, other.hours)):
            if mine is not None and theirs is not None:
                mine.merge(theirs)


@dataclass
class _Regions:
    """Evidence of the VPC's region: the records' ``region`` field and S3 delivery paths."""

    from_field: set[str] = field(default_factory=set)
    from_path: set[str] = field(default_factory=set)
    files: set[bytes] = field(default_factory=set)

    def see(self, table: pa.Table) -> None:
        path = (table.schema.metadata or {}).get(b"awsip.file")
        if path is not None:
            self.see_file(path)
        if "region" in table.column_names:
            self.from_field.update(r for r in pc.unique(table.column("region")).to_pylist() if r)

    def see_file(self, path: bytes) -> None:
        """A file the records come from (its S3 delivery path may name the region)."""
        if path not in self.files:
            self.files.add(path)
            found = region_from_path(path.decode("utf-8", "replace"))
            if found:
                self.from_path.add(found)

    def merge(self, other: _Regions) -> None:
        self.from_field |= other.from_field
        self.from_path |= other.from_path
        self.files |= other.files

    def resolve(self, given: str | None, notes: list[str]) -> tuple[str | None, str | None]:
        """``(region, where it came from)``; a note when the evidence is missing or mixed."""
        if given:
            return given, "argument"
        for seen, source, what in ((self.from_field, "region field", "records"),
                                   (self.from_path, "S3 path", "files")):
            if len(seen) == 1:
                return next(iter(seen)), source
            if len(seen) > 1:
                notes.append(f"{what} come from several regions ({', '.join(sorted(seen))}); "
                             "pass --vpc-region to get endpoint advice")
                return None, None
        notes.append("the VPC's region is unknown (no region field, no S3 delivery path); "
                     "pass --vpc-region to get endpoint advice")
        return None, None


@dataclass(frozen=True)
class _Price:
    """The NAT and inter-AZ prices a report uses, and where they came from."""

    nat_per_gb: float | None  # None: unknown (the source says which option supplies it)
    inter_az_per_gb: float | None
    source: str
    table: Any = None  # the region's prices (advice.prices.RegionPrices) when known


def region_prices(region: str | None, price_per_gb: float | None, table: Any = None) -> _Price:
    """The VPC region's prices from :func:`awsip.advice.prices.prices_for` (``table``: a
    ``--prices`` table; ``price_per_gb`` overrides the NAT's). A NAT price no source gives
    stays unknown (None), and the source says which option supplies it (J, issue 13)."""
    got = prices_for(region, table=table, price_per_gb=price_per_gb)
    inter_az = None if got.inter_az_per_gb is None else float(got.inter_az_per_gb)
    if got.nat_per_gb is None:
        return _Price(None, inter_az, str(got.source), got)
    return _Price(float(got.nat_per_gb), inter_az, str(got.source), got)


_MERGE = [("bytes", "sum", "bytes"), ("packets", "sum", "packets"), ("flows", "sum", "flows"),
          ("first_seen", "min", "first_seen"), ("last_seen", "max", "last_seen")]


def _regroup(t: pa.Table, keys: list[str]) -> pa.Table:
    """Summary rows (bytes, packets, flows, first/last seen) merged down to ``keys``, with
    ``share``, biggest first, as :meth:`Aggregator.result` gives them."""
    from ..traffic.summary import group

    return Aggregator(keys, parts=[group(t, keys, _MERGE)] if t.num_rows else []).result()


def _figures(groups: _Groups, collector: NatCollector, gateways: list[Gateway],
             masked: bool) -> dict[str, Any]:
    """bytes, in/out, flows, by service, by day and hourly of the NAT gateways' public legs:
    from the streaming mask when the user named interfaces/addresses, else from the
    per-interface public legs filtered to the gateways found."""
    if masked:
        by_service = groups.nat_service.result()
        by_dir = {r["direction"]: r["bytes"] for r in groups.nat_dir.result().to_pylist()}
        by_day = groups.nat_day.result()
        hours = groups.hours.result() if groups.hours else None
    else:
        legs = collector.legs_public.result()
        enis = string_array(sorted({g.interface_id for g in gateways if g.interface_id}))
        rids = string_array(sorted({g.resource_id for g in gateways
                                    if g.resource_id and not g.interface_id}))
        no = bool_scalar(False)
        mine = pc.or_(pc.fill_null(pc.is_in(legs.column("interface_id"), enis), no),
                      pc.and_(pc.is_null(legs.column("interface_id")),
                              pc.fill_null(pc.is_in(legs.column("resource_id"), rids), no)))
        legs = legs.filter(mine)
        by_service = _regroup(legs, ["service", "region"])
        by_dir = {r["direction"]: r["bytes"]
                  for r in _regroup(legs, ["direction"]).to_pylist()}
        by_day = _regroup(legs, ["day"])
        hours = _regroup(legs, ["hour", "service"]) if groups.hours else None
        per_gateway = {r["interface_id"] or r["resource_id"]: r["bytes"]
                       for r in _regroup(legs, ["interface_id", "resource_id"]).to_pylist()}
    if masked:
        per_gateway = _per_given_gateway(collector, gateways)
    return {"bytes": int(pc.sum(by_service.column("bytes")).as_py() or 0),
            "per_gateway": per_gateway,
            "bytes_in": by_dir.get("ingress", 0), "bytes_out": by_dir.get("egress", 0),
            "flows": int(pc.sum(by_service.column("flows")).as_py() or 0),
            "by_service": by_service,
            "by_day": by_day.select(["day", "bytes", "packets", "flows"]), "hours": hours}


def _per_given_gateway(collector: NatCollector, gateways: list[Gateway]) -> dict[str, int]:
    """Public-leg bytes of each named gateway: by its interface, else by its address."""
    rows = [r for part in collector.nat_addr_parts for r in part.to_pylist()]
    return {g.key: sum(r["bytes"] for r in rows
                       if (r["interface_id"] == g.interface_id if g.interface_id
                           else r["local"] == g.address)) for g in gateways}


def _nat_section(nat: NatSpec, figures: dict[str, Any], gateways: list[Gateway],
                 inside: Inside, price: _Price, region: str | None, gb_bytes: int) -> NatReport:
    """``enis``/``ips``: as given, else those of the gateways detected."""
    cross = inside.cross_az_bytes
    enis, ips = nat.enis, nat.ips
    if not nat:
        enis = tuple(g.interface_id for g in gateways if g.interface_id)
        ips = tuple(g.address for g in gateways if g.address)
    return NatReport(
        enis=enis, ips=ips, bytes=figures["bytes"], bytes_in=figures["bytes_in"],
        bytes_out=figures["bytes_out"], flows=figures["flows"],
        price_per_gb=price.nat_per_gb, gb_bytes=gb_bytes, by_service=figures["by_service"],
        by_day=figures["by_day"], gateways=gateways, gateway_bytes=figures["per_gateway"],
        region=region, price_source=price.source,
        by_inside=inside.by_inside,
        cross_az=CrossAz(cross, None if price.inter_az_per_gb is None
                         else cost(cross, price.inter_az_per_gb, gb_bytes), inside.cross_az,
                         price.inter_az_per_gb))


def _given_gateways(nat: NatSpec, collector: NatCollector) -> list[Gateway]:
    """The gateways the user named, with what the records add (address, AZ, interface)."""
    evidence = collector.evidence().to_pylist()
    az = {r["interface_id"]: r["az_id"] for r in evidence if r["interface_id"] and r["az_id"]}
    addresses = collector.nat_addresses()
    by_ip = {v: k for k, v in addresses.items() if k}
    out = [Gateway(e, addresses.get(e), az.get(e), None, False, "given: --nat-eni")
           for e in nat.enis]
    covered = {g.address for g in out}
    out += [Gateway(by_ip.get(ip), ip, az.get(by_ip.get(ip)), None, False, "given: --nat-ip")
            for ip in nat.ips if ip not in covered]
    regional = {r["resource_id"] for r in evidence if r["resource_id"]}
    for nat_id in nat.ids:
        if nat_id in regional:
            out.append(Gateway(None, None, None, nat_id, False,
                               "given: --nat-id (records carry it in resource-id)"))
        else:
            warnings.warn(f"NAT gateway id {nat_id!r} appears in no record's resource-id (a "
                          "zonal NAT gateway's records name its interface, not its id): pass "
                          "its interface with --nat-eni", UserWarning, stacklevel=4)
    return out


def _find_gateways(nat: NatSpec, collector: NatCollector, notes: list[str]) -> list[Gateway]:
    """The NAT gateways of this report: named by the user, else detected in the records;
    when neither, a note naming the likely candidates and the option to pass."""
    if nat:
        return _given_gateways(nat, collector)
    found = detect(collector.evidence(), collector.legs(), collector.next_hops())
    if found:
        return with_addresses(found, collector.address_table())
    likely = candidates(collector.evidence())
    if likely:
        from ..units import human_bytes

        names = "; ".join(f"{eni} ({human_bytes(pub)} with public peers, {human_bytes(ins)} "
                          "with inside addresses)" for eni, pub, ins in likely)
        notes.append(
            "no NAT gateway named, and the records cannot show one (no pkt-srcaddr/"
            "pkt-dstaddr, interface-type or resource-id fields); likely NAT gateway "
            f"interfaces: {names}. Pass --nat-eni {likely[0][0]} (or --nat-ip/--nat-id) to "
            "count its bytes")
    return []


def report(
    source: Any,
    ranges: Ranges,
    *,
    by: str | Iterable[str] | None = ("service", "region"),
    top: int | None = None,
    vpc_cidrs: Iterable[str] | None = None,
    vpc_region: str | None = None,
    nat: NatSpec = NO_NAT,
    price_per_gb: float | None = None,
    gb_bytes: int = GB_BYTES,
    hourly: bool = False,
    options: ReaderOptions | None = None,
    prices: Any = None,
    inventory: Any = None,
    dns_logs: Any = None,
) -> Report:
    """Read flow logs once and build a :class:`Report`: the summary grouped ``by``
    (:func:`awsip.traffic.summary.summarize`); the NAT gateways (``nat``, else detected,
    :mod:`awsip.traffic.detect`; ``inventory``: an :class:`awsip.traffic.inventory.Inventory`
    naming them exactly) with their bytes counted once, who inside caused them and the
    cross-AZ part (:mod:`awsip.traffic.inside`), at the VPC region's prices (``prices``: a
    :func:`awsip.advice.prices.load_prices` table; ``price_per_gb`` overrides); advice.
    ``hourly``: bytes per hour and peer service (the NAT's when one is found, else all).
    ``dns_logs``: Resolver query logs (paths or a ``DnsLog``) naming the NAT's peers
    (:mod:`awsip.traffic.names`). :func:`awsip.report`: this with the defaults resolved."""
    check_prices(price_per_gb, gb_bytes)
    plan = ReportPlan.of(by, nat, hourly, vpc_cidrs, inventory)
    ctx = Context(ranges, plan.local, plan.nat.addressed)
    dns_log = read_dns(dns_logs, options)
    fold = plan.fold(dns_log is not None)
    records = open_records(source, options, columns=plan.columns(fold))
    for item in traffic_views(records, ctx, fold.need):
        fold.add(item)
    return fold.finish(plan, records.stats, source, top=top, vpc_region=vpc_region,
                       price_per_gb=price_per_gb, gb_bytes=gb_bytes, prices=prices,
                       inventory=inventory, dns_log=dns_log)


@dataclass(frozen=True)
class ReportPlan:
    """What one report asks, settled before the records are read: the group keys, the NAT
    gateways named (``inventory``'s added, with why), whether hourly, the inside networks."""

    keys: list[str]
    nat: NatSpec
    hourly: bool
    local: LocalNets
    reasons: dict[str, tuple[bool, str]]

    @classmethod
    def of(cls, by: str | Iterable[str] | None, nat: NatSpec, hourly: bool,
           vpc_cidrs: Iterable[str] | None, inventory: Any = None) -> ReportPlan:
        reasons: dict[str, tuple[bool, str]] = {}
        if inventory is not None:
            nat, reasons = with_inventory(nat, inventory)
        if isinstance(vpc_cidrs, str):
            vpc_cidrs = [vpc_cidrs]
        return cls(normalize_keys(by), nat, hourly, LocalNets.build(vpc_cidrs), reasons)

    def fold(self, dns: bool) -> ReportFold:
        """An empty fold for this plan (``dns``: gather the NAT legs query logs will name)."""
        return ReportFold(_Groups(self.keys, self.nat.masked, self.hourly), _Regions(),
                          Seen(self.nat),
                          NatCollector(self.local, self.nat, public_legs=not self.nat.masked,
                                       hourly=self.hourly),
                          NameCollector(self.local) if dns else None)

    def columns(self, fold: ReportFold) -> frozenset[str]:
        """The flow-log fields the report reads."""
        return report_columns(fold.need, nat=self.nat.masked) | NAT_FIELDS


@dataclass
class ReportFold:
    """The streaming state of one report: every group-by and collector the records feed.
    :meth:`add` folds in a table (as read, its traffic rows, their peer view); :meth:`merge`
    folds in another fold of the same plan (Spark folds each partition on a worker, then
    merges them on the driver: every part is a group-by, so the order does not change the
    answer); :meth:`finish` builds the :class:`Report`."""

    groups: _Groups
    regions: _Regions
    seen: Seen
    collector: NatCollector
    names: NameCollector | None = None

    @property
    def need(self) -> set[str]:
        """The peer-view keys the fold reads."""
        g = self.groups
        need = g.keys_needed(g.main.keys, g.nat, g.hours is not None)
        need |= NatCollector.keys_needed()
        return need | (self.names.keys_needed() if self.names is not None else set())

    def add(self, item: Viewed) -> None:
        """One table: what any of its records says (region, NAT identifiers), its traffic
        rows and their peer view."""
        self.regions.see(item.table)
        self.seen.see(item.table)
        self.groups.add(item.view)
        self.collector.add(item.traffic, item.view)
        if self.names is not None:
            self.names.add(item.traffic, item.view)

    def merge(self, other: ReportFold) -> None:
        self.regions.merge(other.regions)
        self.seen.merge(other.seen)
        self.groups.merge(other.groups)
        self.collector.merge(other.collector)
        if self.names is not None and other.names is not None:
            self.names.merge(other.names)

    def finish(self, plan: ReportPlan, stats: FlowLogStats, source: Any, *,
               top: int | None = None, vpc_region: str | None = None,
               price_per_gb: float | None = None, gb_bytes: int = GB_BYTES,
               prices: Any = None, inventory: Any = None, dns_log: DnsLog | None = None
               ) -> Report:
        """The report of everything folded in; ``stats``: the reader's counts (an error when
        they say nothing was read, :func:`check_read`)."""
        check_read(stats, source)
        nat = plan.nat
        notes: list[str] = []
        unmatched = self.seen.unmatched(nat)
        _warn_unmatched(unmatched)
        region, region_source = self.regions.resolve(vpc_region, notes)
        if stats.listing.describe():
            notes.append(stats.listing.describe())
        result = _assemble(stats, self.groups, plan.keys, top, region, region_source,
                           self.regions, notes)
        result.dns_logs, result.nat_unmatched = dns_log, unmatched
        gateways = [inventory_gateway(g, inventory, plan.reasons)
                    for g in _find_gateways(nat, self.collector, notes)]
        if nat or gateways:
            _add_nat(result, nat, self.groups, self.collector, gateways,
                     region_prices(region, price_per_gb, prices), gb_bytes, plan.local,
                     inventory, _Dns(dns_log, self.names))
        return result


def read_dns(dns_logs: Any, options: ReaderOptions | None = None) -> DnsLog | None:
    """Resolver query logs read (paths) or as given (a ``DnsLog``); None when not given."""
    from ..flowlogs.dns import DnsLog, read_dns_logs

    if dns_logs is None or (isinstance(dns_logs, (list, tuple)) and not dns_logs):
        return None
    if isinstance(dns_logs, DnsLog):
        return dns_logs
    return read_dns_logs(dns_logs, region=options.region if options else None,
                         endpoint_override=options.endpoint_override if options else None)


def check_prices(price_per_gb: float | None, gb_bytes: int) -> None:
    """A usage error for a negative price or a non-positive GB size, before any reading."""
    if price_per_gb is not None and price_per_gb < 0:
        raise UsageError("price per GB must not be negative")
    if gb_bytes <= 0:
        raise UsageError("gb_bytes must be positive")


@dataclass(frozen=True)
class _Dns:
    """The query logs of a report and the NAT legs gathered for them (both None without)."""

    log: DnsLog | None = None
    collector: NameCollector | None = None


def _names(result: Report, dns: _Dns, gateways: list[Gateway], masked: bool
           ) -> tuple[int, int]:
    """NAT bytes by DNS name into ``result.nat`` with its notes; the ECR bytes and the image
    layers among them. Without
    query logs: the note that ECR cannot be told from S3 when the NAT carried S3 bytes."""
    assert result.nat is not None
    if dns.log is None or dns.collector is None:
        s3 = sum(r["bytes"] for r in result.nat.by_service.to_pylist() if r["service"] == "S3")
        if s3:
            result.notes.append(ECR_NOTE)
        return 0, 0
    if dns.log.stats.skipped:
        result.notes.append(dns.log.stats.describe())
    public, inside = dns.collector.legs(gateways, masked)
    names = name_bytes(public, inside, dns.log.answers)
    result.nat.names = names
    if names.join == "address" and names.named_bytes:
        result.notes.append("NAT bytes are named by address only (no inside address is tied "
                            "to a public peer: no pkt-srcaddr/pkt-dstaddr fields): an address "
                            "several names share gets the name asked most often")
    if names.ambiguous_bytes:
        result.notes.append(f"{names.ambiguous_bytes:,} NAT bytes went to addresses answered "
                            "for several names; each got the name asked most often")
    if not dns.log.answers.num_rows:
        result.notes.append("the DNS query logs hold no A/AAAA answer: no NAT byte can be "
                            "named")
    return names.ecr_bytes, names.ecr.get("layers", 0)


def _add_nat(result: Report, nat: NatSpec, groups: _Groups, collector: NatCollector,
             gateways: list[Gateway], price: _Price, gb_bytes: int, local: LocalNets,
             inventory: Any, dns: _Dns) -> None:
    """The NAT section, its notes and the advice, into ``result``."""
    figures = _figures(groups, collector, gateways, nat.masked)
    inside = attribute(gateways, collector.legs(), collector.address_table(), local,
                       collector.fields, inventory)
    result.nat = _nat_section(nat, figures, gateways, inside, price, result.vpc_region, gb_bytes)
    if price.nat_per_gb is None:  # said, not guessed: which option gives the price
        result.notes.append(price.source)
    if price.table is not None:  # NAT hours when the span and gateway count are known
        result.nat.hours = nat_hours_cost(price.table, len(gateways), result.span_seconds)
    if figures["hours"] is not None:
        result.hourly = figures["hours"]
        result.hourly_by_inside = hourly_by_inside(gateways, collector.legs(), local)
    result.notes.extend(inside.notes)
    if figures["bytes"] and inside.by_inside.num_rows == 0:
        result.notes.append("the records cannot tell which inside address caused the NAT "
                            "gateway's bytes (no pkt-srcaddr/pkt-dstaddr fields): log them, or "
                            "name the NAT with --nat-eni/--nat-ip (or --inventory)")
    if inside.cross_az_bytes and price.inter_az_per_gb is None:
        why = price.table.unknown_note("inter_az_per_gb") if price.table is not None else ""
        result.notes.append(f"{inside.cross_az_bytes:,} bytes crossed AZs to reach a NAT "
                            f"gateway (cross-AZ), at no known price; {why}".rstrip("; "))
    ecr_bytes, ecr_layer_bytes = _names(result, dns, gateways, nat.masked)
    azs = {g.az_id for g in gateways if g.az_id} | (
        {a for a in inside.by_inside.column("az_id").to_pylist() if a}
        if "az_id" in inside.by_inside.column_names else set())
    result.recommendations = advise(  # at the region's prices (advice.prices)
        result.nat.by_service.to_pylist(), result.vpc_region, price_per_gb=price.nat_per_gb,
        gb_bytes=gb_bytes, monthly_factor=result.monthly_factor, prices=price.table,
        cross_az_bytes=inside.cross_az_bytes, cross_az_by_nat=inside.cross_az_by_nat(),
        nat_count=len(gateways), span_seconds=result.span_seconds, az_count=len(azs) or None,
        ecr_seen=ecr_bytes > 0, ecr_bytes=ecr_bytes, ecr_layer_bytes=ecr_layer_bytes)
    if result.nat.bytes == 0:
        result.notes.append("no record matched the NAT gateway's public-facing leg: check "
                            "--nat-eni/--nat-ip and that the NAT's interface is logged")


def _warn_unmatched(names: list[str]) -> None:
    """A warning per NAT identifier no record mentions."""
    for name in names:
        kind = "interface" if name.startswith("eni-") else "IP"
        warnings.warn(f"NAT gateway {kind} {name!r} appears in no flow-log record: check the "
                      "value and that the NAT's interface is logged", UserWarning, stacklevel=4)


def _known_formats() -> dict[int, tuple[str, tuple[str, ...]]]:
    """Field lists of the known default formats, by field count."""
    from ..flowlogs.fields import FIELDS, TGW_DEFAULT_FIELDS

    vpc = [f for f in FIELDS.values() if not f.tgw]
    known: dict[int, tuple[str, tuple[str, ...]]] = {}
    for version in sorted({f.version for f in vpc}):
        names = tuple(f.name for f in vpc if f.version <= version)
        known.setdefault(len(names), (f"all fields of version {version}" if version > 2
                                      else "the version 2 default", names))
    known.setdefault(len(TGW_DEFAULT_FIELDS), ("the Transit Gateway default",
                                               TGW_DEFAULT_FIELDS))
    return known


def log_format_hint(line: str) -> str:
    """What to try for a flow-log line that could not be read: ``--log-format`` with the
    format string of a known version when the line's field count matches one."""
    count = len(line.split())
    known = _known_formats().get(count)
    if known is None:
        return (f"it has {count} fields; give the log's format with --log-format "
                "'${version} ${account-id} ...' (the format string shown in the flow log's "
                "settings)")
    what, names = known
    spec = " ".join(f"${{{n}}}" for n in names)
    return f"it has {count} fields, like {what}: try --log-format '{spec}'"


def _source_names(source: Any) -> list[str] | None:
    """The paths of a path-like ``source`` (for messages); None for tables and readers."""
    if isinstance(source, (str, os.PathLike)):
        return [os.fspath(source)]
    if isinstance(source, (list, tuple)) and source and all(
            isinstance(s, (str, os.PathLike)) for s in source):
        return [os.fspath(s) for s in source]
    return None


def check_read(stats: FlowLogStats, source: Any) -> None:
    """Raise :class:`FlowLogError` when the input said nothing: no flow-log file under the
    paths given, or lines but none readable (quoting the first, with a --log-format hint)."""
    if stats.records:
        return
    if stats.skipped and stats.skipped_lines:
        bad = stats.skipped_lines[0]
        raise FlowLogError(
            f"no line of the flow logs could be read ({stats.skipped:,} skipped); the first, "
            f"{bad.file} line {bad.line} ({bad.reason}): {bad.text!r}; "
            f"{log_format_hint(bad.text)}")
    names = _source_names(source)
    if not stats.files and names and names != ["-"]:
        raise FlowLogError(f"no flow-log file found in {', '.join(repr(n) for n in names)}")


def _assemble(stats: FlowLogStats, groups: _Groups, keys: list[str], top: int | None,
              region: str | None, region_source: str | None, regions: _Regions,
              notes: list[str]) -> Report:
    summary = groups.main.result()
    tot = _totals(summary)
    return Report(
        by=keys, groups=summary, records=stats.records, skipped=stats.skipped,
        nodata=stats.nodata, skipdata=stats.skipdata, files=stats.files or len(regions.files),
        flows=tot["flows"], bytes=tot["bytes"], packets=tot["packets"],
        first_seen=tot["first_seen"], last_seen=tot["last_seen"], vpc_region=region,
        vpc_region_source=region_source,
        regions_seen=sorted(regions.from_field | regions.from_path), nat=None,
        recommendations=[], hourly=groups.hours.result() if groups.hours else None,
        notes=notes, top=top)


__all__ = ["NatReport", "Report", "ReportFold", "ReportPlan", "check_prices", "check_read",
           "log_format_hint", "read_dns", "report", "report_columns"]
