"""Render a :class:`awsip.advice.Report` as a terminal table, JSON, CSV or Markdown.

The table fits 80 columns and leads with the answer: the NAT gateway's bytes and cost, the
recommendations, then the top groups. Byte sizes use the report's GB convention (1 GB =
``gb_bytes``; 2**30 by default, so KB/MB/GB/TB step by 1024).
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..advice.prices import cost
from ..encoding import dumps
from ..errors import UsageError
from ..ranges.names import printable
from ..units import duration, gb_rule, human_bytes, usd

if TYPE_CHECKING:
    from ..advice.report import Report

FORMATS = ("table", "json", "csv", "markdown")
WIDTH = 80


def _wrap(text: str, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """Lines of at most :data:`WIDTH`, never broken at a hyphen (``us-east-1``, ``--nat-eni``)."""
    return textwrap.wrap(text, WIDTH, break_on_hyphens=False, initial_indent=initial_indent,
                         subsequent_indent=subsequent_indent)


def _ts(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _cell(value: Any) -> str:
    """A value as table text; control characters from the data escaped (``\\x1b``)."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return printable(value)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _group_rows(report: Report) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = report.groups.to_pylist()
    return rows[: report.top] if report.top is not None else rows


def _span_days(report: Report) -> str:
    span = report.span_seconds
    return "-" if span is None else duration(span)


def _headline(report: Report) -> list[str]:
    lines = [
        f"{report.records:,} flow records ({report.flows:,} traffic, {report.nodata:,} NODATA, "
        f"{report.skipdata:,} SKIPDATA, {report.skipped:,} unreadable lines skipped) "
        f"in {report.files:,} file(s)",
        f"Traffic from {_ts(report.first_seen)} to {_ts(report.last_seen)} UTC "
        f"({_span_days(report)}); VPC region: "
        + (f"{printable(report.vpc_region)} (from {report.vpc_region_source})"
           if report.vpc_region
           else "unknown"),
    ]
    return lines


def _nat_lines(report: Report, bullet: str = "  ") -> list[str]:
    nat = report.nat
    if nat is None:
        return []
    gb = nat.gb_bytes
    who = printable(", ".join((*nat.enis, *nat.ips)))
    lines = [
        f"NAT gateway {who}: {human_bytes(nat.bytes, gb)} processed (counted once: "
        f"{human_bytes(nat.bytes_in, gb)} in, {human_bytes(nat.bytes_out, gb)} out), "
        f"est. {usd(nat.cost_usd)} at ${nat.price_per_gb:g}/GB (GB = {gb_rule(gb)})"
    ]
    out = _wrap(lines[0])
    for row in nat.by_service.to_pylist()[:8]:
        label = printable(f"{row['service']} {row['region'] or ''}".strip())
        money = usd(cost(row["bytes"], nat.price_per_gb, gb))
        out.append(f"{bullet}{_fit(label, 34):<34} {row['share'] * 100:6.1f}% "
                   f"{human_bytes(row['bytes'], gb):>12} {money:>12}")
    if nat.by_service.num_rows > 8:
        out.append(f"{bullet}... {nat.by_service.num_rows - 8} more peer services")
    return out


def _advice_lines(report: Report) -> list[str]:
    out: list[str] = []
    for rec in report.recommendations:
        out.extend(_wrap(printable(rec.message), initial_indent="  * ",
                                 subsequent_indent="    "))
    return out


def _table(rows: list[dict[str, Any]], columns: list[str], report: Report) -> list[str]:
    gb = report.nat.gb_bytes if report.nat else 1 << 30
    head = [c.upper() for c in columns] + ["BYTES", "SHARE", "FLOWS"]
    body = [[_cell(r[c]) for c in columns]
            + [human_bytes(r["bytes"], gb), f"{r['share'] * 100:.1f}%", f"{r['flows']:,}"]
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
              for i, h in enumerate(head)]
    fixed = sum(widths[len(columns):]) + 2 * len(head)
    room = WIDTH - fixed
    while columns and sum(widths[: len(columns)]) > room:  # shrink the widest key first
        i = max(range(len(columns)), key=lambda j: widths[j])
        if widths[i] <= 6:
            break
        widths[i] -= 1
    out = []
    for cells in [head, *body]:
        parts = []
        for i, cell in enumerate(cells):
            text = _fit(cell, widths[i])
            parts.append(text.ljust(widths[i]) if i < len(columns) else text.rjust(widths[i]))
        out.append("  ".join(parts).rstrip())
    return out


def render_table(report: Report) -> str:
    """The terminal report (80 columns): headline, NAT, advice, then the top groups."""
    out = [w for line in _headline(report) for w in _wrap(line)]
    if report.nat is not None:
        out += ["", *_nat_lines(report)]
    if report.recommendations:
        out += ["", "Recommendations:", *_advice_lines(report)]
    for note in report.notes:
        out += _wrap(f"note: {printable(note)}")
    rows = _group_rows(report)
    title = "Traffic by " + (", ".join(report.by) if report.by else "total")
    title += " (bytes as logged on every interface"
    if report.nat is not None:
        title += ": a byte through the NAT is logged up to three times, the NAT figures above " \
                 "count it once"
    if report.top is not None and report.groups.num_rows > len(rows):
        title += f"; top {len(rows)} of {report.groups.num_rows}"
    title += ")"
    out += ["", *_wrap(title), *_table(rows, report.by, report)]
    if report.nat is None and report.flows:
        out += ["", "Pass --nat-eni ENI or --nat-ip PRIVATE_IP for NAT gateway cost and advice."]
    return "\n".join(out) + "\n"


def render_markdown(report: Report) -> str:
    """The report as Markdown: bullets and pipe tables."""
    out = ["# awsip report", "", *(f"- {line}" for line in _headline(report))]
    md = _md_cell
    nat = report.nat
    if nat is not None:
        gb = nat.gb_bytes
        out += ["", "## NAT gateway", "",
                f"{md(', '.join((*nat.enis, *nat.ips)))}: **{human_bytes(nat.bytes, gb)}** "
                "processed "
                f"(counted once), estimated **{usd(nat.cost_usd)}** at ${nat.price_per_gb:g}/GB "
                f"(GB = {gb_rule(gb)}).", "",
                "| service | region | bytes | share | cost |", "|---|---|---:|---:|---:|"]
        for row in nat.by_service.to_pylist():
            out.append(f"| {md(row['service'])} | {md(row['region'] or '-')} | "
                       f"{human_bytes(row['bytes'], gb)} | {row['share'] * 100:.1f}% | "
                       f"{usd(cost(row['bytes'], nat.price_per_gb, gb))} |")
    if report.recommendations:
        out += ["", "## Recommendations", "",
                *(f"- {printable(r.message)}" for r in report.recommendations)]
    if report.notes:
        out += ["", *(f"> note: {printable(n)}" for n in report.notes)]
    rows = _group_rows(report)
    gb = nat.gb_bytes if nat else 1 << 30
    out += ["", f"## Traffic by {', '.join(report.by) or 'total'}", "",
            "| " + " | ".join([*report.by, "bytes", "share", "flows"]) + " |",
            "|" + "---|" * len(report.by) + "---:|---:|---:|"]
    for r in rows:
        cells = [md(_cell(r[k])) for k in report.by]
        cells += [human_bytes(r["bytes"], gb), f"{r['share'] * 100:.1f}%", f"{r['flows']:,}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _md_cell(value: Any) -> str:
    """Table-cell text for Markdown: printable, ``|`` escaped."""
    return printable(value).replace("|", "\\|")


def render_json(report: Report) -> str:
    """The JSON document described in docs/report.md."""
    return dumps(report.to_dict())


def render_csv(report: Report) -> str:
    """The groups (top N when set) as CSV with a header line."""
    from pyarrow import csv

    table = report.groups
    if report.top is not None:
        table = table.slice(0, report.top)
    buf = io.BytesIO()
    csv.write_csv(table, buf)
    return buf.getvalue().decode("utf-8")


def render(report: Report, fmt: str = "table") -> str:
    """Text of ``report`` in one of :data:`FORMATS`."""
    renderers = {"table": render_table, "json": render_json, "csv": render_csv,
                 "markdown": render_markdown}
    if fmt not in renderers:
        raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return renderers[fmt](report)


__all__ = ["FORMATS", "render", "render_csv", "render_json", "render_markdown", "render_table"]
