"""How awsip writes quantities for people: bytes, dollars, durations and address counts.

Messages of every layer (a stale-cache warning, the report, ``awsip info``) use these, so one
quantity reads the same everywhere.
"""

from __future__ import annotations

import math

#: Bytes in the GB that prices are quoted per, unless told otherwise (see awsip.advice).
GIB = 1 << 30


def human_bytes(n: float, gb_bytes: int = GIB) -> str:
    """``n`` bytes as e.g. ``659.0 GB`` (base 1024 when a GB is 2**30 bytes, else 1000)."""
    base = 1024 if gb_bytes == GIB else 1000
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < base or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= base
    return f"{value:,.1f} PB"  # pragma: no cover


def gb_rule(gb_bytes: int) -> str:
    """What a GB means in a figure: ``2^30 bytes`` or ``1,000,000,000 bytes``."""
    return "2^30 bytes" if gb_bytes == GIB else f"{gb_bytes:,} bytes"


def usd(value: float) -> str:
    """Dollars: cents for amounts of a cent or more, four decimals below (never '$0.00' for
    a non-zero cost)."""
    if value == 0 or abs(value) >= 0.01:
        return f"${value:,.2f}"
    return f"${value:.4f}" if abs(value) >= 0.0001 else "<$0.0001"


def duration(seconds: float) -> str:
    """A span of time: ``45 s``, ``12 min``, ``5.5 hours``, ``3.2 days``."""
    s = max(0.0, float(seconds))
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} hours"
    return f"{s / 86400:.1f} days"


def address_count(version: int, count: int) -> str:
    """IPv4 counts in full; IPv6 counts as a power of two (``2^72`` or ``~2^72.6``)."""
    if version == 4:
        return f"{count:,}"
    if count and count & (count - 1) == 0:
        return f"2^{count.bit_length() - 1}"
    return f"~2^{math.log2(count):.1f}" if count else "0"


__all__ = ["GIB", "address_count", "duration", "gb_rule", "human_bytes", "usd"]
