"""Classification: the one engine that labels addresses in bulk (:mod:`.engine`) and the
labelling of flow-log records with it (:mod:`.enrich`). Imports numpy and pyarrow."""

from __future__ import annotations

from .engine import COLUMNS, LABEL_COLUMNS, classify, dotted, invalid_count
from .enrich import EnrichedFlowLogs, enrich_batch, enrich_flow_logs

__all__ = ["COLUMNS", "LABEL_COLUMNS", "EnrichedFlowLogs", "classify", "dotted",
           "enrich_batch", "enrich_flow_logs", "invalid_count"]
