"""Reconcile the NAT bytes the flow logs explain with the bill or with CloudWatch, per UTC day.

Two optional inputs, either or both:

**The bill** (``--cur FILE``): an AWS Cost and Usage Report, CUR 2.0 (Data Exports) or legacy,
as CSV (plain, gzip or zip) or Parquet. Columns are read by their documented names, in either
spelling: CUR 2.0 and the legacy report's Parquet/Athena form use ``line_item_usage_type``,
``line_item_usage_amount``, ``line_item_usage_start_date``, ``line_item_unblended_cost``,
``line_item_resource_id``, ``line_item_line_item_type``; the legacy CSV uses
``lineItem/UsageType``, ``lineItem/UsageAmount``, ``lineItem/UsageStartDate``,
``lineItem/UnblendedCost``, ``lineItem/ResourceId``, ``lineItem/LineItemType`` ("Line item
details", AWS Cost and Usage Reports User Guide,
https://docs.aws.amazon.com/cur/latest/userguide/Lineitem-columns.html; "Cost and Usage Report
(CUR) 2.0", https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html). NAT
gateway lines are the usage types ending in ``NatGateway-Bytes`` (data processed, in GB) and
``NatGateway-Hours``, behind a region prefix such as ``USE1-``, ``APS1-`` or ``EU-``. Only usage
line items count (``Usage``, ``DiscountedUsage``, ``SavingsPlanCoveredUsage``); credits,
refunds and taxes are counted and named, not added.

**CloudWatch** (``--metrics FILE``): the JSON ``aws cloudwatch get-metric-data`` prints for the
``AWS/NATGateway`` namespace (``MetricDataResults`` with ``Id``, ``Label``, ``Timestamps``,
``Values``; one response or a list of pages). "Monitor NAT gateways with Amazon CloudWatch"
(https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway-cloudwatch.html) defines
``BytesOutToDestination`` (sent to the destination) and ``BytesInFromDestination`` (received
from it) on the public side, ``BytesInFromSource`` and ``BytesOutToSource`` on the VPC side:
the same bytes counted on each side of the gateway (they differ only by drops). awsip's
flow-log figure is the public leg, so the processed bytes compared are
``BytesOutToDestination + BytesInFromDestination``; when only the VPC-side pair was exported,
``BytesInFromSource + BytesOutToSource``. Adding all four would count every byte twice.

Per day: the billed (or measured) GB, the GB the flow logs explain (the NAT section's bytes per
day / ``gb_bytes``) and the share explained, so the user sees whether the flow logs cover the
bill. A damaged file is a :class:`BillError` naming the file, the row and the column.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

from ..encoding import parse_iso
from ..errors import AwsipError
from .prices import GB_BYTES


class BillError(AwsipError):
    """A ``--cur`` or ``--metrics`` file could not be read: the message names the file, the row
    or result, the column and what to do. A data problem (exit status 1)."""


#: CUR columns by role: (CUR 2.0 / legacy Parquet name, legacy CSV name).
CUR_COLUMNS: dict[str, tuple[str, str]] = {
    "usage_type": ("line_item_usage_type", "lineItem/UsageType"),
    "amount": ("line_item_usage_amount", "lineItem/UsageAmount"),
    "start": ("line_item_usage_start_date", "lineItem/UsageStartDate"),
    "cost": ("line_item_unblended_cost", "lineItem/UnblendedCost"),
    "resource": ("line_item_resource_id", "lineItem/ResourceId"),
    "line_type": ("line_item_line_item_type", "lineItem/LineItemType"),
}
_REQUIRED = ("usage_type", "amount", "start")
#: Line item types that are usage (the others: credits, refunds, taxes, fees).
USAGE_LINE_TYPES = frozenset({"Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"})
_NAT_USAGE = re.compile(r"NatGateway-(Bytes|Hours)")

#: CloudWatch NAT gateway byte metrics: the public side (what awsip's flow-log figure measures)
#: and the VPC side (the same bytes on the other side of the gateway).
PUBLIC_SIDE = ("BytesOutToDestination", "BytesInFromDestination")
VPC_SIDE = ("BytesInFromSource", "BytesOutToSource")


@dataclass
class CurUsage:
    """The NAT gateway lines of a Cost and Usage Report, per UTC day of their start."""

    path: str
    gb_by_day: dict[date, float] = field(default_factory=dict)  # NatGateway-Bytes usage
    cost_by_day: dict[date, float] = field(default_factory=dict)  # their unblended cost
    hours: float = 0.0  # NatGateway-Hours usage
    hours_cost: float = 0.0
    lines: int = 0  # NAT usage lines counted
    other_lines: dict[str, int] = field(default_factory=dict)  # NAT lines of other types
    usage_types: set[str] = field(default_factory=set)
    gb_by_resource: dict[str, float] = field(default_factory=dict)
    multi_day_lines: int = 0  # lines spanning more than a day (monthly granularity)

    @property
    def gb(self) -> float:
        return sum(self.gb_by_day.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "lines": self.lines, "usage_types": sorted(self.usage_types),
            "billed_gb": round(self.gb, 6),
            "cost_usd": round(sum(self.cost_by_day.values()), 4),
            "hours": round(self.hours, 4), "hours_cost_usd": round(self.hours_cost, 4),
            "not_usage_lines": dict(sorted(self.other_lines.items())),
            "by_resource": [{"resource_id": k, "billed_gb": round(v, 6)}
                            for k, v in sorted(self.gb_by_resource.items(),
                                               key=lambda kv: -kv[1])],
        }


@dataclass
class MetricsUsage:
    """NAT gateway byte metrics from CloudWatch, per UTC day of their timestamps."""

    path: str
    bytes_by_day: dict[date, float] = field(default_factory=dict)  # processed bytes
    basis: tuple[str, ...] = ()  # the metrics summed into bytes_by_day
    totals: dict[str, float] = field(default_factory=dict)  # every byte metric seen
    ignored: list[str] = field(default_factory=list)  # results that are not byte metrics

    def to_dict(self, gb_bytes: int) -> dict[str, Any]:
        return {
            "path": self.path, "processed": " + ".join(self.basis),
            "gb": round(sum(self.bytes_by_day.values()) / gb_bytes, 6),
            "metrics": {k: v for k, v in sorted(self.totals.items())},
            "ignored": self.ignored,
        }


@dataclass
class ReconDay:
    """One UTC day: billed (or measured) GB against the GB the flow logs explain."""

    day: date
    explained_gb: float
    cur_gb: float | None
    metrics_gb: float | None

    @property
    def billed_gb(self) -> float | None:
        return self.cur_gb if self.cur_gb is not None else self.metrics_gb

    @property
    def share_explained(self) -> float | None:
        billed = self.billed_gb
        return self.explained_gb / billed if billed else None

    def to_dict(self) -> dict[str, Any]:
        share = self.share_explained
        return {"day": self.day.isoformat(), "billed_gb": _round(self.billed_gb),
                "cur_gb": _round(self.cur_gb), "metrics_gb": _round(self.metrics_gb),
                "explained_gb": round(self.explained_gb, 6),
                "share_explained": None if share is None else round(share, 6)}


def _round(value: float | None) -> float | None:
    """Six decimals, None kept."""
    return None if value is None else round(value, 6)


@dataclass
class Reconciliation:
    """Per day and in total: what the bill (or CloudWatch) says the NAT gateways processed,
    and how much of it the flow logs explain. :meth:`to_dict` is the report's
    ``reconciliation`` key (docs/report.md)."""

    gb_bytes: int
    days: list[ReconDay]
    cur: CurUsage | None = None
    metrics: MetricsUsage | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def basis(self) -> str:
        """Where the billed figure comes from: ``cur`` when given, else ``metrics``."""
        return "cur" if self.cur is not None else "metrics"

    @property
    def billed_gb(self) -> float:
        return sum(d.billed_gb or 0.0 for d in self.days)

    @property
    def explained_gb(self) -> float:
        return sum(d.explained_gb for d in self.days)

    @property
    def share_explained(self) -> float | None:
        billed = self.billed_gb
        return self.explained_gb / billed if billed else None

    def covered(self) -> list[ReconDay]:
        """The days the flow logs have NAT bytes on."""
        return [d for d in self.days if d.explained_gb > 0]

    def to_dict(self) -> dict[str, Any]:
        covered = self.covered()
        billed_cov = sum(d.billed_gb or 0.0 for d in covered)
        explained_cov = sum(d.explained_gb for d in covered)
        share = self.share_explained
        return {
            "basis": self.basis, "gb_bytes": self.gb_bytes,
            "billed_gb": round(self.billed_gb, 6), "explained_gb": round(self.explained_gb, 6),
            "share_explained": None if share is None else round(share, 6),
            "covered_days": len(covered), "billed_gb_covered_days": round(billed_cov, 6),
            "share_explained_covered_days":
                round(explained_cov / billed_cov, 6) if billed_cov else None,
            "by_day": [d.to_dict() for d in self.days],
            "cur": self.cur.to_dict() if self.cur else None,
            "metrics": self.metrics.to_dict(self.gb_bytes) if self.metrics else None,
            "notes": self.notes,
        }


def reconcile(nat_by_day: Any, *, cur: str | os.PathLike[str] | CurUsage | None = None,
              metrics: str | os.PathLike[str] | MetricsUsage | None = None,
              gb_bytes: int = GB_BYTES, nat_ids: Iterable[str] = ()) -> Reconciliation:
    """Compare the NAT bytes the flow logs explain per day (``nat_by_day``: the NAT section's
    ``by_day`` table with ``day`` and ``bytes``, a ``{date: bytes}`` mapping, or None when the
    report has no NAT section) with a Cost and Usage Report and/or CloudWatch metrics (paths,
    or what :func:`load_cur` / :func:`load_metrics` returned). ``nat_ids``: keep only the CUR
    lines of these NAT gateways when the report has resource ids."""
    if cur is None and metrics is None:
        raise BillError("nothing to reconcile with: give a Cost and Usage Report (--cur) "
                        "and/or CloudWatch metrics (--metrics)")
    bill = cur if isinstance(cur, CurUsage) or cur is None else load_cur(cur, nat_ids=nat_ids)
    measured = metrics if isinstance(metrics, MetricsUsage) or metrics is None \
        else load_metrics(metrics)
    explained = _explained(nat_by_day)
    days = sorted(set(explained) | set(bill.gb_by_day if bill else ())
                  | set(measured.bytes_by_day if measured else ()))
    rows = [ReconDay(
        day=d, explained_gb=explained.get(d, 0) / gb_bytes,
        cur_gb=bill.gb_by_day.get(d, 0.0) if bill else None,
        metrics_gb=measured.bytes_by_day.get(d, 0.0) / gb_bytes if measured else None)
        for d in days]
    result = Reconciliation(gb_bytes=gb_bytes, days=rows, cur=bill, metrics=measured)
    result.notes = _notes(result)
    return result


def load_bill(cur: str | os.PathLike[str] | None, metrics: str | os.PathLike[str] | None, *,
              nat_ids: Iterable[str] = ()) -> tuple[CurUsage | None, MetricsUsage | None] | None:
    """Both inputs read and checked (None when neither is given): called before any flow log
    is read, so a damaged bill costs nothing."""
    if cur is None and metrics is None:
        return None
    return (load_cur(cur, nat_ids=nat_ids) if cur is not None else None,
            load_metrics(metrics) if metrics is not None else None)


def _explained(nat_by_day: Any) -> dict[date, int]:
    """``{day: bytes}`` from the NAT section's ``by_day`` (a table or a mapping)."""
    if nat_by_day is None:
        return {}
    if isinstance(nat_by_day, Mapping):
        return {_as_day(k): int(v) for k, v in nat_by_day.items()}
    out: dict[date, int] = {}
    for row in nat_by_day.select(["day", "bytes"]).to_pylist():
        if row["day"] is not None:
            day = _as_day(row["day"])
            out[day] = out.get(day, 0) + int(row["bytes"] or 0)
    return out


def _as_day(value: Any) -> date:
    """A UTC date from a date, a datetime or ISO text."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _notes(result: Reconciliation) -> list[str]:
    """What a reader should know to trust the comparison."""
    notes = []
    if result.cur is not None:
        cur = result.cur
        if cur.lines == 0:
            notes.append(f"{cur.path}: no NatGateway-Bytes or NatGateway-Hours usage line")
        if cur.multi_day_lines:
            notes.append(f"{cur.path}: {cur.multi_day_lines} NAT line(s) span more than a day "
                         "(monthly granularity): their GB are on the day they start; export "
                         "the report with DAILY or HOURLY granularity for a per-day comparison")
        for kind, n in sorted(cur.other_lines.items()):
            notes.append(f"{cur.path}: {n} NAT line(s) of type {kind} not counted as usage")
    if result.metrics is not None and result.metrics.ignored:
        notes.append(f"{result.metrics.path}: not NAT byte metrics, left out: "
                     + ", ".join(result.metrics.ignored))
    covered = result.covered()
    if covered and len(covered) < len(result.days):
        notes.append(f"the flow logs have NAT bytes on {len(covered)} of {len(result.days)} "
                     "day(s); compare the share on the days they cover")
    if not covered:
        notes.append("the flow logs explain no NAT bytes (no NAT section or no NAT record)")
    over = [d.day.isoformat() for d in result.days
            if d.billed_gb is not None and d.explained_gb > d.billed_gb * 1.05]
    if over:
        said = "the bill" if result.basis == "cur" else "CloudWatch"
        notes.append(f"the flow logs explain more than {said} says on {', '.join(over)}: "
                     "usage billed on another day, a record counted twice (overlapping "
                     "files), or another GB (--gb-bytes)")
    return notes


# ---------------------------------------------------------------- Cost and Usage Report


def load_cur(path: str | os.PathLike[str], *, nat_ids: Iterable[str] = ()) -> CurUsage:
    """The NAT gateway usage lines of a CUR file (CSV, gzip/zip CSV or Parquet), per day.
    Raises :class:`BillError` naming the file, row and column of anything unreadable."""
    name = os.fspath(path)
    ids = {i for i in nat_ids if i}
    usage = CurUsage(path=name)
    for row_number, row, roles in _cur_rows(name):
        _add_cur_row(usage, name, row_number, row, roles, ids)
    return usage


def _open_bytes(path: str) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzip or zip (the first CSV member)."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise BillError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if magic == b"PK\x03\x04":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
        if not members:
            raise BillError(f"{path}: a zip file without a .csv member")
        return archive.open(members[0])
    return open(path, "rb")


def _is_parquet(path: str) -> bool:
    """Parquet by its magic bytes (a CUR file's suffix is not trusted)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError as exc:
        raise BillError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _columns_for(path: str, names: list[str]) -> dict[str, str]:
    """``{role: column name}`` for the columns present; :class:`BillError` for a missing
    required one, naming both spellings."""
    found: dict[str, str] = {}
    present = set(names)
    for role, spellings in CUR_COLUMNS.items():
        for spelling in spellings:
            if spelling in present:
                found[role] = spelling
                break
    missing = [role for role in _REQUIRED if role not in found]
    if missing:
        wanted = " and ".join(" / ".join(CUR_COLUMNS[r]) for r in missing)
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        raise BillError(f"{path}: not a Cost and Usage Report: no column {wanted} "
                        f"(columns found: {shown or 'none'}); give the CUR 2.0 or legacy "
                        "CUR file itself")
    return found


def _cur_rows(path: str) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
    """(row number, {role: value}) of the lines whose usage type names a NAT gateway."""
    if _is_parquet(path):
        yield from _parquet_rows(path)
    else:
        yield from _csv_rows(path)


def _nat_filter(batch: Any, column: str) -> Any:
    """Rows whose usage type mentions ``NatGateway-`` (the few rows read further)."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.match_substring(batch.column(column), "NatGateway-"), False)


def _parquet_rows(path: str) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
    """Parquet rows (numbered from 1) whose usage type names a NAT gateway."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged footer
        raise BillError(f"{path}: not a readable Parquet file ({exc})") from None
    roles = _columns_for(path, pf.schema_arrow.names)
    offset = 0
    batches = pf.iter_batches(columns=list(roles.values()))
    while True:
        try:
            batch = next(batches, None)
        except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
            raise BillError(f"{path}: damaged Parquet after row {offset} ({exc})") from None
        if batch is None:
            return
        keep = _nat_filter(batch, roles["usage_type"])
        index = pc.indices_nonzero(keep).to_pylist()
        rows = batch.filter(keep).to_pylist()
        for i, row in zip(index, rows, strict=True):
            yield offset + i + 1, {role: row[col] for role, col in roles.items()}, roles
        offset += batch.num_rows


def _csv_rows(path: str) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
    """CSV rows, numbered from the header (row 1), read by pyarrow as text."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    with _open_bytes(path) as fh:
        header = _csv_header(path, fh)
    roles = _columns_for(path, header)
    convert = csv.ConvertOptions(include_columns=list(roles.values()),
                                 column_types={c: pa.string() for c in roles.values()},
                                 strings_can_be_null=True)
    offset = 1
    with _open_bytes(path) as fh:
        try:
            reader = csv.open_csv(fh, convert_options=convert)
            for batch in reader:
                keep = _nat_filter(batch, roles["usage_type"])
                index = pc.indices_nonzero(keep).to_pylist()
                for i, row in zip(index, batch.filter(keep).to_pylist(),
                                  strict=True):
                    yield (offset + i + 1, {role: row[col] for role, col in roles.items()},
                           roles)
                offset += batch.num_rows
        except (pa.ArrowInvalid, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise BillError(f"{path}: damaged or not CSV after row {offset} ({exc}); give the "
                            "report file as AWS delivered it") from None


def _csv_header(path: str, fh: IO[bytes]) -> list[str]:
    """The CSV's column names, from its first line."""
    import csv as stdcsv

    try:
        line = fh.readline(1 << 20).decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise BillError(f"{path}: cannot read its header line ({exc})") from None
    return next(stdcsv.reader(io.StringIO(line)), [])


def _number(path: str, row: int, column: str, value: Any, *, optional: bool = False
            ) -> float:
    """A CUR amount as a float; :class:`BillError` naming the row and column."""
    if value is None or value == "":
        if optional:
            return 0.0
        raise BillError(f"{path}: row {row}: {column} is empty; a NAT usage line needs it")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BillError(f"{path}: row {row}: {column} is {value!r}, not a number") from None


def _start(path: str, row: int, column: str, value: Any) -> datetime:
    """A CUR start time as an aware UTC datetime; :class:`BillError` otherwise."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    parsed = parse_iso(value)
    if parsed is None:
        raise BillError(f"{path}: row {row}: {column} is {value!r}, not a time like "
                        "2026-03-21T00:00:00Z")
    return parsed


def _add_cur_row(usage: CurUsage, path: str, row: int, values: dict[str, Any],
                 names: dict[str, str], nat_ids: set[str]) -> None:
    """Count one NAT line (usage lines only; other types counted by type)."""
    kind = str(values["usage_type"] or "")
    matched = _NAT_USAGE.search(kind)
    if matched is None:
        return
    resource = values.get("resource") or ""
    if nat_ids and resource and not any(resource.endswith(i) for i in nat_ids):
        return
    line_type = values.get("line_type")
    if line_type and line_type not in USAGE_LINE_TYPES:
        usage.other_lines[line_type] = usage.other_lines.get(line_type, 0) + 1
        return
    amount = _number(path, row, names["amount"], values["amount"])
    spent = _number(path, row, names.get("cost", "cost"), values.get("cost"), optional=True)
    start = _start(path, row, names["start"], values["start"])
    usage.lines += 1
    usage.usage_types.add(kind)
    if matched.group(1) == "Hours":
        usage.hours += amount
        usage.hours_cost += spent
        return
    day = start.date()
    usage.gb_by_day[day] = usage.gb_by_day.get(day, 0.0) + amount
    usage.cost_by_day[day] = usage.cost_by_day.get(day, 0.0) + spent
    if resource:
        usage.gb_by_resource[resource] = usage.gb_by_resource.get(resource, 0.0) + amount


# ---------------------------------------------------------------- CloudWatch metrics


def load_metrics(path: str | os.PathLike[str]) -> MetricsUsage:
    """NAT gateway byte metrics per UTC day from ``aws cloudwatch get-metric-data`` JSON.
    Raises :class:`BillError` naming the file and the result of anything unreadable."""
    name = os.fspath(path)
    try:
        doc = json.loads(Path(name).read_bytes())
    except OSError as exc:
        raise BillError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BillError(f"{name}: not JSON ({exc}); give the output of aws cloudwatch "
                        "get-metric-data") from None
    pages = doc if isinstance(doc, list) else [doc]
    per_metric: dict[str, dict[date, float]] = {}
    usage = MetricsUsage(path=name)
    for p, page in enumerate(pages):
        results = page.get("MetricDataResults") if isinstance(page, dict) else None
        if not isinstance(results, list):
            where = f"page {p + 1}" if isinstance(doc, list) else "the document"
            raise BillError(f"{name}: {where} has no MetricDataResults list; give the output "
                            "of aws cloudwatch get-metric-data")
        for r, result in enumerate(results):
            _add_result(usage, per_metric, name, f"MetricDataResults[{r}]", result)
    _choose_basis(usage, per_metric)
    return usage


def _metric_name(result: dict[str, Any]) -> str | None:
    """The NAT byte metric a result holds: its Label, else its Id, naming one."""
    for key in ("Label", "Id"):
        text = str(result.get(key) or "").lower()
        hits = [m for m in (*PUBLIC_SIDE, *VPC_SIDE) if m.lower() in text]
        if len(hits) == 1:
            return hits[0]
    return None


def _add_result(usage: MetricsUsage, per_metric: dict[str, dict[date, float]], path: str,
                where: str, result: Any) -> None:
    """Fold one ``MetricDataResults`` entry into the per-metric, per-day sums."""
    if not isinstance(result, dict):
        raise BillError(f"{path}: {where} is not an object")
    label = result.get("Label") or result.get("Id") or where
    metric = _metric_name(result)
    if metric is None:
        usage.ignored.append(str(label))
        return
    stamps, values = result.get("Timestamps"), result.get("Values")
    if not isinstance(stamps, list) or not isinstance(values, list) \
            or len(stamps) != len(values):
        raise BillError(f"{path}: {where} ({label}): Timestamps and Values must be lists of "
                        "the same length")
    days = per_metric.setdefault(metric, {})
    for i, (stamp, value) in enumerate(zip(stamps, values, strict=True)):
        when = parse_iso(stamp)
        if when is None:
            raise BillError(f"{path}: {where} ({label}): Timestamps[{i}] is {stamp!r}, not an "
                            "ISO-8601 time")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise BillError(f"{path}: {where} ({label}): Values[{i}] is {value!r}, not a "
                            "byte count")
        days[when.date()] = days.get(when.date(), 0.0) + float(value)
        usage.totals[metric] = usage.totals.get(metric, 0.0) + float(value)


def _choose_basis(usage: MetricsUsage, per_metric: dict[str, dict[date, float]]) -> None:
    """Processed bytes per day: the public-side pair, else the VPC-side pair."""
    for side in (PUBLIC_SIDE, VPC_SIDE):
        present = tuple(m for m in side if m in per_metric)
        if present:
            usage.basis = present
            for metric in present:
                for day, value in per_metric[metric].items():
                    usage.bytes_by_day[day] = usage.bytes_by_day.get(day, 0.0) + value
            return
    raise BillError(f"{usage.path}: no NAT gateway byte metric (one of "
                    f"{', '.join((*PUBLIC_SIDE, *VPC_SIDE))}) among its results; query "
                    "AWS/NATGateway BytesOutToDestination and BytesInFromDestination with the "
                    "Sum statistic")


__all__ = ["CUR_COLUMNS", "PUBLIC_SIDE", "USAGE_LINE_TYPES", "VPC_SIDE", "BillError",
           "CurUsage", "MetricsUsage", "ReconDay", "Reconciliation", "load_bill", "load_cur",
           "load_metrics", "reconcile"]
