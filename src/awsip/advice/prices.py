"""Prices used to turn NAT bytes into dollars, and the GB they are quoted per.

**Cost.** ``bytes / gb_bytes * price_per_gb``. The default price is the us-east-1 list price of
NAT gateway data processing, 0.045 USD per GB. AWS's price list says "per GB" without defining
it; awsip uses GB = 2**30 bytes (``gb_bytes``; pass ``10**9`` for decimal GB, which gives a 7.4%
higher figure). See docs/report.md.
"""

from __future__ import annotations

from ..units import GIB

#: us-east-1 list price of NAT gateway data processing, USD per GB.
DEFAULT_PRICE_PER_GB = 0.045
#: Bytes in the GB the price is quoted per (see the module doc).
GB_BYTES = GIB
#: Days in the month a monthly projection scales to.
MONTH_DAYS = 30


def cost(nbytes: int | float, price_per_gb: float = DEFAULT_PRICE_PER_GB,
         gb_bytes: int = GB_BYTES) -> float:
    """USD for ``nbytes`` at ``price_per_gb`` per GB of ``gb_bytes`` bytes."""
    return float(nbytes) / gb_bytes * price_per_gb


__all__ = ["DEFAULT_PRICE_PER_GB", "GB_BYTES", "MONTH_DAYS", "cost"]
