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

from ..encoding import jsonable
from ..errors import FlowLogError, UsageError
from ..flowlogs.options import ReaderOptions
from ..flowlogs.paths import region_from_path
from ..flowlogs.records import open_records
from ..traffic.nat import NO_NAT, NatSpec, Seen
from ..traffic.peers import Context, columns_needed, normalize_keys
from ..traffic.summary import Aggregator, peer_views
from .prices import DEFAULT_PRICE_PER_GB, GB_BYTES, MONTH_DAYS, cost
from .recommend import Recommendation, advise

if TYPE_CHECKING:
    from ..flowlogs.reader import FlowLogStats
    from ..ranges.model import Ranges


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


@dataclass
class _Regions:
    """Evidence of the VPC's region: the records' ``region`` field and S3 delivery paths."""

    from_field: set[str] = field(default_factory=set)
    from_path: set[str] = field(default_factory=set)
    files: set[bytes] = field(default_factory=set)

    def see(self, table: pa.Table) -> None:
        path = (table.schema.metadata or {}).get(b"awsip.file")
        if path is not None and path not in self.files:
            self.files.add(path)
            found = region_from_path(path.decode("utf-8", "replace"))
            if found:
                self.from_path.add(found)
        if "region" in table.column_names:
            self.from_field.update(r for r in pc.unique(table.column("region")).to_pylist() if r)

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


def _nat_section(groups: _Groups, nat: NatSpec, price_per_gb: float, gb_bytes: int
                 ) -> NatReport:
    by_service = groups.nat_service.result()
    by_dir = {r["direction"]: r["bytes"] for r in groups.nat_dir.result().to_pylist()}
    return NatReport(
        enis=nat.enis, ips=nat.ips, bytes=int(pc.sum(by_service.column("bytes")).as_py() or 0),
        bytes_in=by_dir.get("ingress", 0), bytes_out=by_dir.get("egress", 0),
        flows=int(pc.sum(by_service.column("flows")).as_py() or 0), price_per_gb=price_per_gb,
        gb_bytes=gb_bytes, by_service=by_service,
        by_day=groups.nat_day.result().select(["day", "bytes", "packets", "flows"]))


def report(
    source: Any,
    ranges: Ranges,
    *,
    by: str | Iterable[str] | None = ("service", "region"),
    top: int | None = None,
    vpc_cidrs: Iterable[str] | None = None,
    vpc_region: str | None = None,
    nat: NatSpec = NO_NAT,
    price_per_gb: float = DEFAULT_PRICE_PER_GB,
    gb_bytes: int = GB_BYTES,
    hourly: bool = False,
    options: ReaderOptions | None = None,
) -> Report:
    """Read flow logs once and build a :class:`Report`: the traffic summary grouped ``by``
    (see :func:`awsip.traffic.summary.summarize`), NAT attribution when ``nat`` names gateways,
    and recommendations. ``hourly``: also bytes per hour and peer service (for plots; the NAT's
    bytes, counted once, when a NAT is given, else all traffic as logged).
    (:func:`awsip.report` is this with default ranges and the reader's keywords.)"""
    if price_per_gb < 0:
        raise UsageError("price per GB must not be negative")
    if gb_bytes <= 0:
        raise UsageError("gb_bytes must be positive")
    keys = normalize_keys(by)
    groups = _Groups(keys, bool(nat), hourly)
    need = groups.keys_needed(keys, bool(nat), hourly)
    records = open_records(source, options, columns=report_columns(need, nat=bool(nat)))
    regions = _Regions()
    seen = Seen(nat)
    for table, view in peer_views(records, Context.build(ranges, vpc_cidrs, nat), need):
        regions.see(table)
        seen.see(table)
        groups.add(view)
    check_read(records.stats, source)
    notes: list[str] = []
    _warn_unmatched(seen.unmatched(nat))
    region, region_source = regions.resolve(vpc_region, notes)
    if records.stats.listing.describe():
        notes.append(records.stats.listing.describe())
    result = _assemble(records.stats, groups, keys, top, region, region_source, regions, notes)
    if nat:
        result.nat = _nat_section(groups, nat, price_per_gb, gb_bytes)
        result.recommendations = advise(
            result.nat.by_service.to_pylist(), region, price_per_gb=price_per_gb,
            gb_bytes=gb_bytes, monthly_factor=result.monthly_factor)
        if result.nat.bytes == 0:
            notes.append("no record matched the NAT gateway's public-facing leg: check "
                         "--nat-eni/--nat-ip and that the NAT's interface is logged")
    return result


def _warn_unmatched(names: list[str]) -> None:
    """A warning per NAT identifier no record mentions."""
    for name in names:
        kind = "interface" if name.startswith("eni-") else "IP"
        warnings.warn(f"NAT gateway {kind} {name!r} appears in no flow-log record: check the "
                      "value and that the NAT's interface is logged", UserWarning, stacklevel=3)


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


__all__ = ["NatReport", "Report", "check_read", "log_format_hint", "report", "report_columns"]
