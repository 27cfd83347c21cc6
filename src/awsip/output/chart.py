"""Charts of a report: bytes per hour stacked by peer service (needs matplotlib, ``awsip[plot]``).

The image is drawn to memory and written with the one atomic writer, so an interrupted or
failed ``--plot`` never leaves a truncated file under the final name.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..fileio import atomic_write
from ..ranges.names import printable
from ..units import gb_rule

if TYPE_CHECKING:
    from ..advice.report import Report

#: File types ``--plot`` writes.
CHART_SUFFIXES = (".png", ".svg")


def check_chart_path(path: str) -> None:
    """Raise :class:`UsageError` unless ``path`` ends in a chart suffix and matplotlib is
    installed: what can be known before any flow log is read."""
    if not str(path).lower().endswith(CHART_SUFFIXES):
        raise UsageError(f"--plot {path!r}: the file name must end in .png or .svg")
    _pyplot()


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'awsip[plot]'") from None
    return plt


def plot(report: Report, path: str, *, max_services: int = 8) -> None:
    """Bytes per hour stacked by peer service, to ``path`` (.png or .svg): the NAT's bytes when
    the report has a NAT section, else all traffic. Needs matplotlib (``pip install
    'awsip[plot]'``); the report must have been built with ``hourly=True``."""
    write_chart(chart_bytes(report, path, max_services=max_services), path)


def write_chart(image: bytes, path: str) -> None:
    """The image of :func:`chart_bytes` to ``path``, atomically."""
    atomic_write(path, image, mkdir=False)


def chart_bytes(report: Report, path: str, *, max_services: int = 8) -> bytes:
    """The image :func:`plot` writes, in memory (the format from ``path``'s suffix)."""
    check_chart_path(path)
    plt = _pyplot()
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
        ax.stackplot(hours, *series.values(), labels=[printable(s) for s in series],
                     step="post")
        ax.legend(loc="upper left", fontsize="small")
    ax.set_ylabel(f"GB per hour (GB = {gb_rule(gb)})")
    ax.set_xlabel("hour (UTC)")
    if report.nat is not None:
        who = ", ".join((*report.nat.enis, *report.nat.ips))
        ax.set_title(f"NAT gateway {who}: bytes processed per hour by peer service")
    else:
        ax.set_title("Traffic per hour by peer service (bytes as logged)")
    fig.autofmt_xdate()
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format=str(path).lower().rsplit(".", 1)[-1])
    plt.close(fig)
    return image.getvalue()


__all__ = ["CHART_SUFFIXES", "chart_bytes", "check_chart_path", "plot", "write_chart"]
