"""Advice: NAT gateway cost attribution and endpoint recommendations, read from aggregates
only. :mod:`.prices` (the price and the GB it is quoted per), :mod:`.recommend` (what to change)
and :mod:`.report` (the one read of the flow logs that feeds them)."""

from __future__ import annotations

from .prices import DEFAULT_PRICE_PER_GB, GB_BYTES, cost
from .recommend import GATEWAY_ENDPOINT_SERVICES, Recommendation, advise
from .report import NatReport, Report, report, report_columns

__all__ = ["DEFAULT_PRICE_PER_GB", "GATEWAY_ENDPOINT_SERVICES", "GB_BYTES", "NatReport",
           "Recommendation", "Report", "advise", "cost", "report", "report_columns"]
