"""The NAT section of a report as plain rows, shared by the CSV, Markdown and HTML renderers.

Rows come from the report's JSON form (``Report.to_dict()``, the stable contract of
docs/report.md), so every output shows the same figures as ``--json``; keys a report does not
have (an older NAT section without ``by_inside``) are simply left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..advice.prices import cost
from ..ranges.names import printable
from ..units import duration, usd

if TYPE_CHECKING:
    from ..advice.report import Report

#: Columns of the per-inside-source rows (docs/report.md, ``nat.by_inside``).
INSIDE_COLUMNS = ("address", "interface_id", "subnet_id", "az_id", "instance_id", "bytes",
                  "cost_usd")
#: Columns of the gateways found (``nat.gateways``).
GATEWAY_COLUMNS = ("interface_id", "address", "az_id", "resource_id", "detected", "reason")
#: Columns of the per-day reconciliation rows (``reconciliation.by_day``).
RECON_COLUMNS = ("day", "billed_gb", "cur_gb", "metrics_gb", "explained_gb", "share_explained")


def _ts(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def headline(report: Report) -> list[str]:
    """Records read and skipped, the time span, the VPC's region and where it came from."""
    span = report.span_seconds
    return [
        f"{report.records:,} flow records ({report.flows:,} traffic, {report.nodata:,} NODATA, "
        f"{report.skipdata:,} SKIPDATA, {report.skipped:,} unreadable lines skipped) "
        f"in {report.files:,} file(s)",
        f"Traffic from {_ts(report.first_seen)} to {_ts(report.last_seen)} UTC "
        f"({'-' if span is None else duration(span)}); VPC region: "
        + (f"{printable(report.vpc_region)} (from {report.vpc_region_source})"
           if report.vpc_region else "unknown"),
    ]


def nat_doc(report: Report) -> dict[str, Any] | None:
    """The ``nat`` object of the report's JSON, or None without a NAT section."""
    return report.nat.to_dict() if report.nat is not None else None


def nat_name(nat: dict[str, Any]) -> str:
    """The gateways as one label: interface ids and addresses, else NAT ids."""
    names = [*nat.get("enis", []), *nat.get("ips", [])]
    if not names:
        names = [g.get("resource_id") or g.get("interface_id") or "?"
                 for g in nat.get("gateways", [])]
    return ", ".join(str(n) for n in names) or "NAT gateway"


def price_text(nat: dict[str, Any]) -> str:
    """``$0.059/GB (ap-southeast-1: <source>)``: the price used and where it came from."""
    price = nat.get("price_per_gb")
    text = "an unknown price per GB" if price is None else f"${price:g}/GB"
    where = [str(v) for v in (nat.get("region"), nat.get("price_source")) if v]
    return f"{text} ({': '.join(where)})" if where else text


def hours_text(nat: dict[str, Any]) -> str | None:
    """The NAT gateways' hourly charge over the span and what was assumed, or None."""
    hours = nat.get("hours")
    if not isinstance(hours, dict):
        return None
    count = hours.get("gateway_hours")
    if count is None:
        why = hours.get("note")
        return "NAT gateway hours: not counted" + (f" ({why})" if why else "")
    return (f"NAT gateway hours: {count:,.0f} h, {money(hours.get('cost_usd'))} "
            f"({hours.get('note')})")


def inside_rows(nat: dict[str, Any]) -> list[dict[str, Any]]:
    """``nat.by_inside`` with every contract column (missing ones None)."""
    return [{c: r.get(c) for c in INSIDE_COLUMNS} for r in nat.get("by_inside") or []]


def gateway_rows(nat: dict[str, Any]) -> list[dict[str, Any]]:
    return [{c: g.get(c) for c in GATEWAY_COLUMNS} for g in nat.get("gateways") or []]


def cross_az(nat: dict[str, Any]) -> dict[str, Any] | None:
    """``nat.cross_az`` when it has bytes, else None."""
    got = nat.get("cross_az")
    return got if isinstance(got, dict) and got.get("bytes") else None


def recon_doc(report: Report) -> dict[str, Any] | None:
    """The ``reconciliation`` object, or None when no bill or metrics were given."""
    got = getattr(report, "reconciliation", None)
    return got.to_dict() if got is not None else None


def recon_summary(recon: dict[str, Any]) -> str:
    """One sentence: billed vs explained GB and the share, overall and on the covered days."""
    basis = "the Cost and Usage Report" if recon["basis"] == "cur" else "CloudWatch"
    share = recon.get("share_explained")
    text = (f"{basis} says {recon['billed_gb']:,.3f} GB processed; the flow logs explain "
            f"{recon['explained_gb']:,.3f} GB"
            + (f" ({share * 100:.1f}%)" if share is not None else ""))
    covered = recon.get("share_explained_covered_days")
    if covered is not None and recon.get("covered_days", 0) < len(recon.get("by_day", [])):
        text += (f"; {covered * 100:.1f}% on the {recon['covered_days']} day(s) the flow logs "
                 "cover")
    return text + "."


def money(value: float | None) -> str:
    """Dollars, or ``unknown`` when no price gave them."""
    return "unknown" if value is None else usd(value)


def cost_text(nbytes: float, price_per_gb: float | None, gb_bytes: int) -> str:
    """What ``nbytes`` cost at ``price_per_gb`` (``unknown`` without a price)."""
    return money(None if price_per_gb is None else cost(nbytes, price_per_gb, gb_bytes))


def share_text(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def gb_text(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f}"


__all__ = ["GATEWAY_COLUMNS", "INSIDE_COLUMNS", "RECON_COLUMNS", "cost_text", "cross_az",
           "gateway_rows", "gb_text", "headline", "hours_text", "inside_rows", "money",
           "nat_doc", "nat_name", "price_text", "recon_doc", "recon_summary", "share_text"]
