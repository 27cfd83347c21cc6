"""Traffic: the peer view of flow-log records (:mod:`.peers`), which records are a NAT
gateway's public-facing leg (:mod:`.nat`), and group-by summaries (:mod:`.summary`)."""

from __future__ import annotations

from .nat import NatSpec, nat_mask
from .peers import GROUP_KEYS, Context, LocalNets, columns_needed, normalize_keys, peer_view
from .summary import Aggregator, group, peer_views, summarize, top

__all__ = ["GROUP_KEYS", "Aggregator", "Context", "LocalNets", "NatSpec", "columns_needed",
           "group", "nat_mask", "normalize_keys", "peer_view", "peer_views", "summarize", "top"]
