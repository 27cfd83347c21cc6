"""Render a :class:`awsip.advice.Report` as a terminal table, JSON, CSV, Markdown or HTML.

The table fits 80 columns and leads with the answer: the NAT gateway's bytes and cost, the
recommendations, then the top groups. Byte sizes use the report's GB convention (1 GB =
``gb_bytes``; 2**30 by default, so KB/MB/GB/TB step by 1024). The CSV is the groups, then,
after a blank line each, the NAT section's tables (every one with a leading ``section``
column); the Markdown and the HTML page (:mod:`.html`) show the NAT section per peer service,
per day and per inside source, and the reconciliation with the bill when given.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..encoding import dumps
from ..errors import UsageError
from ..ranges.names import printable
from ..units import gb_rule, human_bytes
from . import sections as sec
from .html import render_html

if TYPE_CHECKING:
    from ..advice.report import Report

FORMATS = ("table", "json", "csv", "markdown", "html")
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


def _headline(report: Report) -> list[str]:
    return sec.headline(report)


def _nat_lines(report: Report, bullet: str = "  ") -> list[str]:
    """The NAT section of the table: totals, per peer service, the gateways found, who inside,
    the cross-AZ part and the NAT hours."""
    nat = report.nat
    if nat is None:
        return []
    gb = nat.gb_bytes
    doc = nat.to_dict()
    out = _wrap(
        f"NAT gateway {printable(sec.nat_name(doc))}: {human_bytes(nat.bytes, gb)} processed "
        f"(counted once: {human_bytes(nat.bytes_in, gb)} in, {human_bytes(nat.bytes_out, gb)} "
        f"out), est. {sec.money(nat.cost_usd)} at {_price(nat.price_per_gb)} "
        f"(GB = {gb_rule(gb)})")
    for row in nat.by_service.to_pylist()[:8]:
        label = printable(f"{row['service']} {row['region'] or ''}".strip())
        money = sec.cost_text(row["bytes"], nat.price_per_gb, gb)
        out.append(f"{bullet}{_fit(label, 34):<34} {row['share'] * 100:6.1f}% "
                   f"{human_bytes(row['bytes'], gb):>12} {money:>12}")
    if nat.by_service.num_rows > 8:
        out.append(f"{bullet}... {nat.by_service.num_rows - 8} more peer services")
    out += _gateway_lines(doc) + _inside_lines(doc, bullet) + _name_lines(doc, bullet)
    cross = sec.cross_az(doc)
    if cross:
        out += _wrap(f"Cross-AZ: {human_bytes(cross['bytes'], gb)} between an inside address "
                     "and a NAT gateway in another AZ, inter-AZ transfer "
                     f"{sec.money(cross.get('cost_usd'))}")
    hours = sec.hours_text(doc)
    if hours:
        out += _wrap(printable(hours))
    return out


def _gateway_lines(nat: dict[str, Any]) -> list[str]:
    """The gateways the records revealed, each with why (given ones are named above)."""
    out = []
    for g in sec.gateway_rows(nat):
        if g["detected"]:
            names = ", ".join(str(v) for v in (g["interface_id"] or g["resource_id"],
                                                g["address"], g["az_id"]) if v)
            out += _wrap(printable(f"Detected NAT gateway {names}: {g['reason']}"))
    return out


def _inside_lines(nat: dict[str, Any], bullet: str) -> list[str]:
    """The five biggest inside sources of the NAT bytes."""
    rows = sec.inside_rows(nat)
    if not rows:
        return []
    gb = nat["gb_bytes"]
    out = ["Inside sources (NAT bytes by private address):"]
    for r in rows[:5]:
        where = " ".join(printable(v) for v in (r["interface_id"], r["instance_id"], r["az_id"])
                         if v)
        out.append(f"{bullet}{_fit(printable(r['address']), 15):<15} {_fit(where, 32):<32} "
                   f"{human_bytes(r['bytes'] or 0, gb):>12} "
                   f"{sec.cost_text(r['bytes'] or 0, nat['price_per_gb'], gb):>12}")
    if len(rows) > 5:
        out.append(f"{bullet}... {len(rows) - 5} more inside sources")
    return out


def _name_lines(nat: dict[str, Any], bullet: str) -> list[str]:
    """The five biggest DNS names of the NAT bytes (with --dns-log), ECR ones marked."""
    rows = nat.get("by_name") or []
    if not rows:
        return []
    gb = nat["gb_bytes"]
    out = ["By DNS name (Resolver query logs):"]
    for r in rows[:5]:
        label = printable(r["name"]) + (f" [ECR {r['ecr']}]" if r["ecr"] else "")
        out.append(f"{bullet}{_fit(label, 48):<48} {human_bytes(r['bytes'], gb):>12} "
                   f"{sec.cost_text(r['bytes'], nat['price_per_gb'], gb):>12}")
    if len(rows) > 5:
        out.append(f"{bullet}... {len(rows) - 5} more names")
    return out


def _price(price_per_gb: float | None) -> str:
    return "an unknown price per GB" if price_per_gb is None else f"${price_per_gb:g}/GB"


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
    recon = sec.recon_doc(report)
    if recon is not None:
        out += ["", *_wrap(f"Reconciliation: {sec.recon_summary(recon)}")]
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
                f"{md(sec.nat_name(nat.to_dict()))}: **{human_bytes(nat.bytes, gb)}** "
                "processed "
                f"(counted once), estimated **{sec.money(nat.cost_usd)}** at "
                f"{_price(nat.price_per_gb)} "
                f"(GB = {gb_rule(gb)}).", "",
                "| service | region | bytes | share | cost |", "|---|---|---:|---:|---:|"]
        for row in nat.by_service.to_pylist():
            out.append(f"| {md(row['service'])} | {md(row['region'] or '-')} | "
                       f"{human_bytes(row['bytes'], gb)} | {row['share'] * 100:.1f}% | "
                       f"{sec.cost_text(row['bytes'], nat.price_per_gb, gb)} |")
        out += [*_md_nat_more(report), *_md_hours(report)]
    if report.recommendations:
        out += ["", "## Recommendations", ""]
        for rec in report.recommendations:
            out.append(f"- {printable(rec.message)}")
            commands = getattr(rec, "commands", None) or []
            if commands:
                out += ["", "  ```", *(f"  {printable(line)}" for c in commands
                                         for line in str(c).splitlines()), "  ```"]
    out += _md_reconciliation(report)
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


def _md_table(columns: list[str], rows: list[list[str]], right: int) -> list[str]:
    """A pipe table; the last ``right`` columns right-aligned."""
    rule = "|" + "---|" * (len(columns) - right) + "---:|" * right
    return ["", "| " + " | ".join(columns) + " |", rule,
            *("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)]


def _md_nat_more(report: Report) -> list[str]:
    """Per day, per inside source and across zones, when the NAT section has them."""
    nat = sec.nat_doc(report)
    if nat is None:
        return []
    gb = nat["gb_bytes"]
    out: list[str] = []
    found = [g for g in sec.gateway_rows(nat) if g["detected"]]
    if found:
        out += ["", "### NAT gateways found in the records", *_md_table(
            ["interface", "address", "AZ", "NAT id", "why"],
            [[_cell(g["interface_id"]), _cell(g["address"]), _cell(g["az_id"]),
              _cell(g["resource_id"]), _cell(g["reason"])] for g in found], 0)]
    if nat["by_day"]:
        out += ["", "### Per day (UTC)", *_md_table(
            ["day", "bytes", "cost"],
            [[r["day"], human_bytes(r["bytes"], gb),
              sec.cost_text(r["bytes"], nat["price_per_gb"], gb)] for r in nat["by_day"]],
            2)]
    inside = sec.inside_rows(nat)
    if inside:
        out += ["", "### By inside source", *_md_table(
            ["address", "interface", "subnet", "AZ", "instance", "bytes", "cost"],
            [[_cell(r[c]) for c in sec.INSIDE_COLUMNS[:5]]
             + [human_bytes(r["bytes"] or 0, gb),
                sec.cost_text(r["bytes"] or 0, nat["price_per_gb"], gb)] for r in inside], 2)]
    if nat.get("by_name"):
        out += ["", "### By DNS name (Resolver query logs)", *_md_table(
            ["name", "ECR", "bytes", "cost"],
            [[_cell(r["name"]), _cell(r["ecr"]), human_bytes(r["bytes"], gb),
              sec.cost_text(r["bytes"], nat["price_per_gb"], gb)] for r in nat["by_name"]], 2)]
    cross = sec.cross_az(nat)
    if cross:
        out += ["", f"Across availability zones: {human_bytes(cross['bytes'], gb)} between an "
                "inside address and a NAT gateway in another AZ, inter-AZ transfer "
                f"{sec.money(cross.get('cost_usd'))}."]
    return out


def _md_hours(report: Report) -> list[str]:
    """A blank line and the NAT hours sentence (what was assumed, or why not counted)."""
    nat = sec.nat_doc(report)
    text = sec.hours_text(nat) if nat is not None else None
    return ["", printable(text)] if text else []


def _md_reconciliation(report: Report) -> list[str]:
    recon = sec.recon_doc(report)
    if recon is None:
        return []
    rows = [[r["day"], sec.gb_text(r["billed_gb"]), sec.gb_text(r["cur_gb"]),
             sec.gb_text(r["metrics_gb"]), sec.gb_text(r["explained_gb"]),
             sec.share_text(r["share_explained"])] for r in recon["by_day"]]
    return ["", "## Reconciliation with the bill", "", sec.recon_summary(recon),
            *_md_table(["day", "billed GB", "CUR GB", "CloudWatch GB", "explained GB",
                        "explained"], rows, 5),
            *(["", *(f"> {printable(n)}" for n in recon["notes"])] if recon["notes"] else [])]


def _md_cell(value: Any) -> str:
    """Table-cell text for Markdown: printable, ``|`` escaped."""
    return printable(value).replace("|", "\\|")


def render_json(report: Report) -> str:
    """The JSON document described in docs/report.md."""
    return dumps(report.to_dict())


def render_csv(report: Report) -> str:
    """The groups (top N when set) as CSV with a header line; then, when the report has a NAT
    section, its tables after a blank line each: ``nat`` (the totals), ``nat_by_day``,
    ``nat_by_service``, ``nat_by_inside``, ``nat_cross_az`` and ``reconciliation_by_day`` when
    present, every one led by a ``section`` column naming it."""
    from pyarrow import csv

    table = report.groups
    if report.top is not None:
        table = table.slice(0, report.top)
    buf = io.BytesIO()
    csv.write_csv(table, buf)
    for name, rows in _csv_sections(report):
        if rows:
            buf.write(b"\n")
            csv.write_csv(_rows_table([{"section": name, **r} for r in rows]), buf)
    return buf.getvalue().decode("utf-8")


def _rows_table(rows: list[dict[str, Any]]) -> Any:
    """A pyarrow table from dict rows (columns in the first row's order; nulls allowed)."""
    import pyarrow as pa

    return pa.table({k: [r.get(k) for r in rows] for k in rows[0]})


def _csv_sections(report: Report) -> list[tuple[str, list[dict[str, Any]]]]:
    """(section name, rows) of the NAT section and the reconciliation."""
    nat = sec.nat_doc(report)
    out: list[tuple[str, list[dict[str, Any]]]] = []
    if nat is not None:
        totals = {"gateways": sec.nat_name(nat), "region": nat.get("region"),
                  "price_per_gb": nat["price_per_gb"], "price_source": nat.get("price_source"),
                  "gb_bytes": nat["gb_bytes"], "bytes": nat["bytes"],
                  "bytes_in": nat["bytes_in"], "bytes_out": nat["bytes_out"],
                  "flows": nat["flows"], "cost_usd": nat["cost_usd"],
                  "gateway_hours": (nat.get("hours") or {}).get("gateway_hours"),
                  "hours_cost_usd": (nat.get("hours") or {}).get("cost_usd")}
        cross = sec.cross_az(nat) or {}
        out += [("nat", [totals]), ("nat_by_day", nat["by_day"]),
                ("nat_by_service", nat["by_service"]),
                ("nat_by_inside", sec.inside_rows(nat)),
                ("nat_cross_az", list(cross.get("by_inside") or []))]
        if "by_name" in nat:  # --dns-log
            out.append(("nat_by_name", nat["by_name"]))
    recon = sec.recon_doc(report)
    if recon is not None:
        out.append(("reconciliation_by_day", recon["by_day"]))
    return out


def render(report: Report, fmt: str = "table") -> str:
    """Text of ``report`` in one of :data:`FORMATS`."""
    renderers = {"table": render_table, "json": render_json, "csv": render_csv,
                 "markdown": render_markdown, "html": render_html}
    if fmt not in renderers:
        raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return renderers[fmt](report)


__all__ = ["FORMATS", "render", "render_csv", "render_html", "render_json", "render_markdown",
           "render_table"]
