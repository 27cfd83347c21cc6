"""Bytes per hour as an inline SVG stacked bar chart: no matplotlib, no fonts, no network.

The HTML report (:mod:`.html`) embeds one chart per grouping (peer service, inside source).
Each hour is a column of rectangles, one per series, biggest series at the bottom; the eight
biggest series are named and the rest summed as ``other``. Every rectangle carries a
``<title>`` (the series, the hour and the bytes) so a browser shows the figure on hover. Spans
longer than :data:`MAX_HOURS` hours are drawn per day instead.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..ranges.names import printable
from ..units import human_bytes

#: Series colours (colour-blind friendly order), then the colour of ``other``.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7")
OTHER_COLOR = "#bab0ac"
#: Longest span drawn per hour; longer spans are drawn per day.
MAX_HOURS = 24 * 62
WIDTH, HEIGHT = 760, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 10, 30, 50


def _esc(value: Any) -> str:
    """Text for SVG: control characters escaped, XML special characters quoted."""
    return html.escape(printable(value), quote=True)


def series(rows: Iterable[Mapping[str, Any]], key: str, *, time: str = "hour",
           max_series: int = 8) -> tuple[list[datetime], dict[str, list[int]], timedelta]:
    """``(slots, {name: bytes per slot}, slot length)`` from rows with ``time``, ``key`` and
    ``bytes``: every hour from the first to the last (empty hours are zero), or every day when
    the span is longer than :data:`MAX_HOURS`. The biggest ``max_series`` names are kept,
    the rest summed as ``other``."""
    data = [(r[time], str(r[key]) if r[key] is not None else "-", int(r["bytes"] or 0))
            for r in rows if r[time] is not None]
    if not data:
        return [], {}, timedelta(hours=1)
    first, last = min(d[0] for d in data), max(d[0] for d in data)
    step = timedelta(hours=1)
    if (last - first) / step > MAX_HOURS:
        step = timedelta(days=1)
        data = [(t.replace(hour=0, minute=0, second=0, microsecond=0), k, b)
                for t, k, b in data]
        first = min(d[0] for d in data)
    count = int((max(d[0] for d in data) - first) / step) + 1
    totals: dict[str, int] = {}
    for _t, k, b in data:
        totals[k] = totals.get(k, 0) + b
    keep = sorted(totals, key=lambda k: (-totals[k], k))[:max_series]
    out: dict[str, list[int]] = {k: [0] * count for k in [*keep, "other"]}
    for t, k, b in data:
        out[k if k in keep else "other"][int((t - first) / step)] += b
    if not any(out["other"]):
        del out["other"]
    return [first + i * step for i in range(count)], out, step


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (axis steps)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for factor in (1, 2, 5, 10):
        if factor * power >= value:
            return factor * power
    return 10 * power  # pragma: no cover


def _top(peak: float, gb_bytes: int) -> float:
    """The axis maximum: four round steps in the unit the labels use (KB, MB, ...)."""
    if peak <= 0:
        return 1.0
    base = 1024 if gb_bytes == 1 << 30 else 1000
    unit = 1.0
    while peak / unit >= base:
        unit *= base
    return _nice(peak / 4 / unit) * 4 * unit


def _axes(slots: list[datetime], step: timedelta, top: float, gb_bytes: int) -> list[str]:
    """Grid lines with byte labels, and time labels under the first, middle and last slot."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    out = []
    for i in range(5):
        y = _TOP + plot_h - plot_h * i / 4
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                   f'{_esc(human_bytes(top * i / 4, gb_bytes))}</text>')
    fmt = "%Y-%m-%d %H:00" if step < timedelta(days=1) else "%Y-%m-%d"
    width = plot_w / max(len(slots), 1)
    for i in sorted({0, len(slots) // 2, len(slots) - 1}):
        x = _LEFT + width * (i + 0.5)
        anchor = "start" if i == 0 and len(slots) > 1 else \
            "end" if i == len(slots) - 1 and len(slots) > 1 else "middle"
        out.append(f'<text x="{x:.1f}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="{anchor}" '
                   f'font-size="11">{slots[i].strftime(fmt)}</text>')
    return out


def _bars(slots: list[datetime], data: dict[str, list[int]], top: float, gb_bytes: int
          ) -> list[str]:
    """One rectangle per slot and series, stacked, each with its figure as a title."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    width = plot_w / max(len(slots), 1)
    colors = _colors(data)
    out = []
    for i, slot in enumerate(slots):
        base = 0.0
        for name, values in data.items():
            if not values[i]:
                continue
            h = plot_h * values[i] / top
            y = _TOP + plot_h - base - h
            out.append(f'<rect class="bar" x="{_LEFT + width * i:.2f}" y="{y:.2f}" '
                       f'width="{max(width - 1, 0.5):.2f}" height="{h:.2f}" '
                       f'fill="{colors[name]}"><title>{_esc(name)} '
                       f'{slot.strftime("%Y-%m-%d %H:%M")} UTC: '
                       f'{_esc(human_bytes(values[i], gb_bytes))}</title></rect>')
            base += h
    return out


def _colors(data: dict[str, list[int]]) -> dict[str, str]:
    """A palette colour per named series, grey for ``other``."""
    names = [n for n in data if n != "other"]
    out = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    out["other"] = OTHER_COLOR
    return out


def _legend(data: dict[str, list[int]]) -> list[str]:
    """A colour square and the name of each series, in one row under the axis."""
    colors = _colors(data)
    out, x = [], float(_LEFT)
    y = HEIGHT - 14
    for name in data:
        label = printable(name)[:28]
        out.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" '
                   f'fill="{colors[name]}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{y}" font-size="11">{_esc(label)}</text>')
        x += 24 + 6.5 * len(label)
    return out


def stacked_bars(rows: Iterable[Mapping[str, Any]], key: str, *, title: str,
                 gb_bytes: int = 1 << 30, max_series: int = 8) -> str:
    """An ``<svg>`` element: bytes per hour stacked by ``key`` (see :func:`series`)."""
    slots, data, step = series(rows, key, max_series=max_series)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
            f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{_esc(title)}" font-family="sans-serif">')
    parts = [head, f'<text x="{_LEFT}" y="18" font-size="13" font-weight="bold">'
                   f'{_esc(title)}</text>']
    if not slots:
        parts.append(f'<text x="{_LEFT}" y="{HEIGHT // 2}" font-size="12">no traffic</text>')
        return "".join(parts) + "</svg>"
    peak = max(sum(v[i] for v in data.values()) for i in range(len(slots)))
    top = _top(peak, gb_bytes)
    parts += _axes(slots, step, top, gb_bytes)
    parts += _bars(slots, data, top, gb_bytes)
    parts += _legend(data)
    return "\n".join(parts) + "\n</svg>"


__all__ = ["MAX_HOURS", "OTHER_COLOR", "PALETTE", "series", "stacked_bars"]
