"""A report as one self-contained HTML page, to hand to a colleague.

Nothing is fetched when the page opens: the style is inline, there is no script, no web font,
no image file; the hourly charts are inline SVG drawn by :mod:`.svg` from the report's hourly
groups (NAT bytes per hour by peer service, and by inside source when the report has them).
Every value from the data is escaped. The figures are the JSON's (``Report.to_dict()``), so the
page, ``--json``, the CSV and the Markdown agree.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..ranges.names import printable
from ..units import gb_rule, human_bytes
from ..version import __version__
from . import sections as sec
from .svg import stacked_bars

if TYPE_CHECKING:
    from ..advice.report import Report

STYLE = """
body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
h3{font-size:15px}table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}
td.n,th.n{text-align:right}th{background:#f3f3f3}
pre{background:#f6f6f6;padding:8px;font-size:12px;white-space:pre-wrap;word-break:break-all}
.note{color:#7a4b00}.big{font-size:16px}
"""


def _e(value: Any) -> str:
    """Text for the page: control characters shown escaped, HTML special characters quoted."""
    return html.escape(printable(value if value is not None else "-"), quote=True)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[str] = ()
          ) -> str:
    """An HTML table; ``numeric`` columns right-aligned."""
    right = set(numeric)
    cls = [' class="n"' if c in right else "" for c in columns]
    head = "".join(f"<th{k}>{_e(c)}</th>" for c, k in zip(columns, cls, strict=True))
    body = "".join("<tr>" + "".join(f"<td{k}>{_e(v)}</td>" for v, k in
                                    zip(row, cls, strict=True)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _gateways(nat: dict[str, Any]) -> list[str]:
    """The gateways found or given, and why."""
    rows = sec.gateway_rows(nat)
    if not rows:
        return []
    return ["<h3>Gateways</h3>", table(sec.GATEWAY_COLUMNS, (
        [g[c] if c != "detected" else ("detected" if g[c] else "given")
         for c in sec.GATEWAY_COLUMNS] for g in rows))]


def _service_and_day(nat: dict[str, Any], gb: int) -> list[str]:
    """NAT bytes and cost per peer service and per UTC day."""
    price = nat["price_per_gb"]
    return ["<h3>By peer service</h3>", table(
        ["service", "region", "bytes", "share", "cost"],
        ([r["service"], r["region"], human_bytes(r["bytes"], gb), sec.share_text(r["share"]),
          sec.cost_text(r["bytes"], price, gb)] for r in nat["by_service"]),
        ["bytes", "share", "cost"]),
        "<h3>Per day (UTC)</h3>", table(
        ["day", "bytes", "cost"],
        ([r["day"], human_bytes(r["bytes"], gb), sec.cost_text(r["bytes"], price, gb)]
         for r in nat["by_day"]), ["bytes", "cost"])]


def _inside(nat: dict[str, Any], gb: int) -> list[str]:
    """NAT bytes and cost per inside source, when the report attributes them."""
    rows = sec.inside_rows(nat)
    if not rows:
        return []
    price = nat["price_per_gb"]
    return ["<h3>By inside source</h3>", table(
        ["address", "interface", "subnet", "AZ", "instance", "bytes", "cost"],
        ([r["address"], r["interface_id"], r["subnet_id"], r["az_id"], r["instance_id"],
          human_bytes(r["bytes"] or 0, gb), sec.cost_text(r["bytes"] or 0, price, gb)]
         for r in rows), ["bytes", "cost"])]


def _names(nat: dict[str, Any], gb: int) -> list[str]:
    """NAT bytes and cost per DNS name (with --dns-log), ECR names marked."""
    rows = nat.get("by_name") or []
    if not rows:
        return []
    price = nat["price_per_gb"]
    return ["<h3>By DNS name (Resolver query logs)</h3>", table(
        ["name", "ECR", "bytes", "share", "cost"],
        ([r["name"], r["ecr"], human_bytes(r["bytes"], gb), sec.share_text(r["share"]),
          sec.cost_text(r["bytes"], price, gb)] for r in rows), ["bytes", "share", "cost"])]


def _cross_az(nat: dict[str, Any], gb: int) -> list[str]:
    """The bytes that crossed zones to reach a NAT gateway, when there are any."""
    cross = sec.cross_az(nat)
    if not cross:
        return []
    out = ["<h3>Across availability zones</h3>",
           f"<p>{_e(human_bytes(cross['bytes'], gb))} between an inside address and a NAT "
           f"gateway in another AZ: inter-AZ transfer {_e(sec.money(cross.get('cost_usd')))}.</p>"]
    rows = cross.get("by_inside") or []
    if rows:
        cols = [c for c in rows[0] if c not in ("bytes", "cost_usd")]
        out.append(table([*cols, "bytes", "cost"], (
            [*(r.get(c) for c in cols), human_bytes(r.get("bytes") or 0, gb),
             sec.money(r.get("cost_usd"))] for r in rows), ["bytes", "cost"]))
    return out


def _nat_tables(nat: dict[str, Any], gb: int) -> list[str]:
    """Every NAT table of the page, in reading order."""
    return [*_gateways(nat), *_service_and_day(nat, gb), *_inside(nat, gb),
            *_names(nat, gb), *_cross_az(nat, gb)]


def _nat_part(report: Report) -> list[str]:
    """The NAT section: the headline figures, then its tables."""
    nat = sec.nat_doc(report)
    if nat is None:
        return []
    gb = nat["gb_bytes"]
    head = (f"<p class=\"big\">NAT gateway {_e(sec.nat_name(nat))}: "
            f"<b>{_e(human_bytes(nat['bytes'], gb))}</b> processed (counted once: "
            f"{_e(human_bytes(nat['bytes_in'], gb))} in, {_e(human_bytes(nat['bytes_out'], gb))}"
            f" out), estimated <b>{_e(sec.money(nat.get('cost_usd')))}</b> at "
            f"{_e(sec.price_text(nat))} (GB = {_e(gb_rule(gb))}).</p>")
    hours = sec.hours_text(nat)
    return ["<h2>NAT gateway</h2>", head, *([f"<p>{_e(hours)}</p>"] if hours else []),
            *_nat_tables(nat, gb)]


def _charts(report: Report) -> list[str]:
    """The hourly charts: by peer service, and by inside source when present."""
    gb = report.nat.gb_bytes if report.nat else 1 << 30
    out = []
    what = "NAT bytes processed" if report.nat is not None else "Traffic (bytes as logged)"
    if report.hourly is not None:
        out.append(stacked_bars(report.hourly.to_pylist(), "service", gb_bytes=gb,
                                title=f"{what} per hour by peer service"))
    by_source = getattr(report, "hourly_by_inside", None)
    if by_source is not None:
        key = "address" if "address" in by_source.column_names else by_source.column_names[1]
        out.append(stacked_bars(by_source.to_pylist(), key, gb_bytes=gb,
                                title=f"{what} per hour by inside source"))
    return ["<h2>Per hour</h2>", *out] if out else []


def _advice(report: Report) -> list[str]:
    """The recommendations, each with its commands."""
    recs = [r.to_dict() for r in report.recommendations]
    if not recs:
        return []
    out = ["<h2>Recommendations</h2>", "<ol>"]
    for rec in recs:
        out.append(f"<li><p>{_e(rec.get('message') or rec.get('kind'))}</p>")
        commands = rec.get("commands") or []
        if commands:
            text = "\n\n".join("\n".join(_e(line) for line in str(c).splitlines())
                               for c in commands)  # printable() would escape the newlines
            out.append(f"<pre>{text}</pre>")
        out.append("</li>")
    return [*out, "</ol>"]


def _reconciliation(report: Report) -> list[str]:
    """Billed vs explained GB per day, when --cur/--metrics were given."""
    recon = sec.recon_doc(report)
    if recon is None:
        return []
    rows = ([r["day"], sec.gb_text(r["billed_gb"]), sec.gb_text(r["cur_gb"]),
             sec.gb_text(r["metrics_gb"]), sec.gb_text(r["explained_gb"]),
             sec.share_text(r["share_explained"])] for r in recon["by_day"])
    return ["<h2>Reconciliation with the bill</h2>", f"<p>{_e(sec.recon_summary(recon))}</p>",
            table(["day", "billed GB", "CUR GB", "CloudWatch GB", "explained GB", "explained"],
                  rows, ["billed GB", "CUR GB", "CloudWatch GB", "explained GB", "explained"]),
            *(f'<p class="note">note: {_e(n)}</p>' for n in recon["notes"])]


def _groups(report: Report) -> list[str]:
    """The traffic groups (bytes as logged)."""
    gb = report.nat.gb_bytes if report.nat else 1 << 30
    rows = report.groups.to_pylist()
    if report.top is not None:
        rows = rows[: report.top]
    title = "Traffic by " + (", ".join(report.by) if report.by else "total")
    return [f"<h2>{_e(title)} (bytes as logged)</h2>", table(
        [*report.by, "bytes", "share", "flows"],
        ([*(r[k] for k in report.by), human_bytes(r["bytes"], gb), sec.share_text(r["share"]),
          f"{r['flows']:,}"] for r in rows), ["bytes", "share", "flows"])]


def render_html(report: Report) -> str:
    """The whole page (UTF-8 text): headline, NAT section, charts, advice, reconciliation,
    notes, then the traffic groups."""
    body = ["<h1>awsip report</h1>", "<ul>", *(f"<li>{_e(line)}</li>"
                                              for line in sec.headline(report)), "</ul>",
            *_nat_part(report), *_charts(report), *_advice(report), *_reconciliation(report),
            *(f'<p class="note">note: {_e(n)}</p>' for n in report.notes), *_groups(report),
            f"<footer><p>awsip {_e(__version__)}</p></footer>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\"><title>awsip report</title>"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


__all__ = ["render_html", "table"]
