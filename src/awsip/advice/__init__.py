"""Advice: NAT gateway cost attribution and endpoint recommendations, read from aggregates
only. :mod:`.prices` (the region's prices from a sourced, dated table, and the GB they are
quoted per), :mod:`.recommend` (what to change, with the arithmetic) and :mod:`.report` (the
one read of the flow logs that feeds them)."""

from __future__ import annotations

from .prices import (
    DEFAULT_PRICE_PER_GB,
    GB_BYTES,
    Prices,
    RegionPrices,
    cost,
    load_prices,
    prices_for,
)
from .recommend import GATEWAY_ENDPOINT_SERVICES, Recommendation, advise
from .report import NatReport, Report, report, report_columns

__all__ = ["DEFAULT_PRICE_PER_GB", "GATEWAY_ENDPOINT_SERVICES", "GB_BYTES", "NatReport", "Prices",
           "Recommendation", "RegionPrices", "Report", "advise", "cost", "load_prices",
           "prices_for", "report", "report_columns"]
