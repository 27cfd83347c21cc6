"""Render a :class:`awsip.advise.Report` as a terminal table, JSON, CSV, Markdown or a chart.

The table fits 80 columns and leads with the answer: the NAT gateway's bytes and cost, the
recommendations, then the top groups. Byte sizes use the report's GB convention (1 GB =
``gb_bytes``; 2**30 by default, so KB/MB/GB/TB step by 1024).
"""

from __future__ import annotations

import io
import json
import textwrap
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    from .advise import Report

FORMATS = ("table", "json", "csv", "markdown")
WIDTH = 80


def human_bytes(n: float, gb_bytes: int = 1 << 30) -> str:
    """``n`` bytes as e.g. ``659.0 GB`` (base 1024 when a GB is 2**30 bytes, else 1000)."""
    base = 1024 if gb_bytes == 1 << 30 else 1000
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < base or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= base
    return f"{value:,.1f} PB"  # pragma: no cover


def usd(value: float) -> str:
    """Dollars: cents for amounts of a cent or more, four decimals below (never '$0.00' for
    a non-zero cost)."""
    if value == 0 or abs(value) >= 0.01:
        return f"${value:,.2f}"
    return f"${value:.4f}" if abs(value) >= 0.0001 else "<$0.0001"


def _gb_rule(gb_bytes: int) -> str:
    return "2^30 bytes" if gb_bytes == 1 << 30 else f"{gb_bytes:,} bytes"


def _ts(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _group_rows(report: Report) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = report.groups.to_pylist()
    return rows[: report.top] if report.top is not None else rows


def _span_days(report: Report) -> str:
    span = report.span_seconds
    if span is None:
        return "-"
    return f"{span / 86400:.1f} days" if span >= 86400 else f"{span / 3600:.1f} hours"


def _headline(report: Report) -> list[str]:
    lines = [
        f"{report.records:,} flow records ({report.flows:,} traffic, {report.nodata:,} NODATA, "
        f"{report.skipdata:,} SKIPDATA, {report.skipped:,} unreadable lines skipped) "
        f"in {report.files:,} file(s)",
        f"Traffic from {_ts(report.first_seen)} to {_ts(report.last_seen)} UTC "
        f"({_span_days(report)}); VPC region: "
        + (f"{report.vpc_region} (from {report.vpc_region_source})" if report.vpc_region
           else "unknown"),
    ]
    return lines


def _nat_lines(report: Report, bullet: str = "  ") -> list[str]:
    nat = report.nat
    if nat is None:
        return []
    gb = nat.gb_bytes
    who = ", ".join((*nat.enis, *nat.ips))
    lines = [
        f"NAT gateway {who}: {human_bytes(nat.bytes, gb)} processed (counted once: "
        f"{human_bytes(nat.bytes_in, gb)} in, {human_bytes(nat.bytes_out, gb)} out), "
        f"est. {usd(nat.cost_usd)} at ${nat.price_per_gb:g}/GB (GB = {_gb_rule(gb)})"
    ]
    out = textwrap.wrap(lines[0], WIDTH)
    for row in nat.by_service.to_pylist()[:8]:
        label = f"{row['service']} {row['region'] or ''}".strip()
        from .advise import cost

        money = usd(cost(row["bytes"], nat.price_per_gb, gb))
        out.append(f"{bullet}{_fit(label, 34):<34} {row['share'] * 100:6.1f}% "
                   f"{human_bytes(row['bytes'], gb):>12} {money:>12}")
    if nat.by_service.num_rows > 8:
        out.append(f"{bullet}... {nat.by_service.num_rows - 8} more peer services")
    return out


def _advice_lines(report: Report) -> list[str]:
    out: list[str] = []
    for rec in report.recommendations:
        out.extend(textwrap.wrap(rec.message, WIDTH, initial_indent="  * ",
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
    out = [w for line in _headline(report) for w in textwrap.wrap(line, WIDTH)]
    if report.nat is not None:
        out += ["", *_nat_lines(report)]
    if report.recommendations:
        out += ["", "Recommendations:", *_advice_lines(report)]
    for note in report.notes:
        out += textwrap.wrap(f"note: {note}", WIDTH)
    rows = _group_rows(report)
    title = "Traffic by " + (", ".join(report.by) if report.by else "total")
    title += " (bytes as logged on every interface"
    if report.nat is not None:
        title += ": a byte through the NAT is logged up to three times, the NAT figures above " \
                 "count it once"
    if report.top is not None and report.groups.num_rows > len(rows):
        title += f"; top {len(rows)} of {report.groups.num_rows}"
    title += ")"
    out += ["", *textwrap.wrap(title, WIDTH), *_table(rows, report.by, report)]
    if report.nat is None and report.flows:
        out += ["", "Pass --nat-eni ENI or --nat-ip PRIVATE_IP for NAT gateway cost and advice."]
    return "\n".join(out) + "\n"


def render_markdown(report: Report) -> str:
    """The report as Markdown: bullets and pipe tables."""
    out = ["# awsip report", "", *(f"- {line}" for line in _headline(report))]
    nat = report.nat
    if nat is not None:
        from .advise import cost

        gb = nat.gb_bytes
        out += ["", "## NAT gateway", "",
                f"{', '.join((*nat.enis, *nat.ips))}: **{human_bytes(nat.bytes, gb)}** processed "
                f"(counted once), estimated **{usd(nat.cost_usd)}** at ${nat.price_per_gb:g}/GB "
                f"(GB = {_gb_rule(gb)}).", "",
                "| service | region | bytes | share | cost |", "|---|---|---:|---:|---:|"]
        for row in nat.by_service.to_pylist():
            out.append(f"| {row['service']} | {row['region'] or '-'} | "
                       f"{human_bytes(row['bytes'], gb)} | {row['share'] * 100:.1f}% | "
                       f"{usd(cost(row['bytes'], nat.price_per_gb, gb))} |")
    if report.recommendations:
        out += ["", "## Recommendations", "", *(f"- {r.message}" for r in report.recommendations)]
    if report.notes:
        out += ["", *(f"> note: {n}" for n in report.notes)]
    rows = _group_rows(report)
    gb = nat.gb_bytes if nat else 1 << 30
    out += ["", f"## Traffic by {', '.join(report.by) or 'total'}", "",
            "| " + " | ".join([*report.by, "bytes", "share", "flows"]) + " |",
            "|" + "---|" * len(report.by) + "---:|---:|---:|"]
    for r in rows:
        cells = [_cell(r[k]) for k in report.by]
        cells += [human_bytes(r["bytes"], gb), f"{r['share'] * 100:.1f}%", f"{r['flows']:,}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def render_json(report: Report) -> str:
    """The JSON document described in docs/report.md."""
    return json.dumps(report.to_dict(), indent=2) + "\n"


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


def plot(report: Report, path: str, *, max_services: int = 8) -> None:
    """Bytes per hour stacked by peer service, to ``path`` (.png or .svg): the NAT's bytes when
    the report has a NAT section, else all traffic. Needs matplotlib (``pip install
    'awsip[plot]'``); the report must have been built with ``hourly=True``."""
    if not str(path).lower().endswith((".png", ".svg")):
        raise UsageError(f"--plot {path!r}: the file name must end in .png or .svg")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib: pip install 'awsip[plot]'") from None
    if report.hourly is None:
        raise UsageError("the report has no hourly data (build it with hourly=True)")
    rows = report.hourly.to_pylist()
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["service"]] = totals.get(r["service"], 0) + r["bytes"]
    keep = sorted(totals, key=lambda s: -totals[s])[:max_services]
    hours = sorted({r["hour"] for r in rows if r["hour"] is not None})
    index = {h: i for i, h in enumerate(hours)}
    series: dict[str, list[float]] = {s: [0.0] * len(hours) for s in [*keep, "other"]}
    gb = report.nat.gb_bytes if report.nat else 1 << 30
    for r in rows:
        if r["hour"] is None:
            continue
        name = r["service"] if r["service"] in keep else "other"
        series[name][index[r["hour"]]] += r["bytes"] / gb
    if not any(series["other"]):
        del series["other"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    if hours:
        ax.stackplot(hours, *series.values(), labels=list(series), step="post")
        ax.legend(loc="upper left", fontsize="small")
    ax.set_ylabel(f"GB per hour (GB = {_gb_rule(gb)})")
    ax.set_xlabel("hour (UTC)")
    if report.nat is not None:
        who = ", ".join((*report.nat.enis, *report.nat.ips))
        ax.set_title(f"NAT gateway {who}: bytes processed per hour by peer service")
    else:
        ax.set_title("Traffic per hour by peer service (bytes as logged)")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


__all__ = ["FORMATS", "human_bytes", "plot", "render", "render_csv", "render_json",
           "render_markdown", "render_table"]
