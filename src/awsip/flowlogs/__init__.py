"""Flow-log reading: VPC and Transit Gateway flow logs (text, gzip, Parquet, CloudWatch Logs
exports, Logs Insights results) to pyarrow RecordBatches. Knows nothing about AWS ip-ranges.

Importing this package imports pyarrow only when a reader is used.
"""

from __future__ import annotations

from .fields import BY_COLUMN, DEFAULT_FIELDS, FIELDS, TGW_DEFAULT_FIELDS, Field
from .formats import parse_format
from .reader import FlowLogReader, FlowLogStats, SkippedLine, read_flow_logs, traffic_only
from .sources import region_from_path

__all__ = [
    "BY_COLUMN",
    "DEFAULT_FIELDS",
    "FIELDS",
    "TGW_DEFAULT_FIELDS",
    "Field",
    "FlowLogReader",
    "FlowLogStats",
    "SkippedLine",
    "parse_format",
    "read_flow_logs",
    "region_from_path",
    "traffic_only",
]
