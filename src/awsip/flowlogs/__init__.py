"""Flow-log reading: VPC and Transit Gateway flow logs (text, gzip, Parquet, CloudWatch Logs
exports, Logs Insights results) to pyarrow tables. Knows nothing about AWS ip-ranges.

:mod:`.fields` is the field catalogue, :mod:`.formats` format strings and header lines,
:mod:`.paths` turns ``source`` arguments into files, :mod:`.options` holds
:class:`ReaderOptions`, :mod:`.reader` parses, and :mod:`.records` is the one path from any
``source`` to tables plus counts. Importing this package imports pyarrow only when a reader is
used.
"""

from __future__ import annotations

from .fields import BY_COLUMN, DEFAULT_FIELDS, FIELDS, TGW_DEFAULT_FIELDS, Field
from .formats import parse_format
from .options import ReaderOptions, reader_options
from .paths import region_from_path
from .reader import FlowLogReader, FlowLogStats, SkippedLine, read_flow_logs, traffic_only

__all__ = [
    "BY_COLUMN",
    "DEFAULT_FIELDS",
    "FIELDS",
    "TGW_DEFAULT_FIELDS",
    "Field",
    "FlowLogReader",
    "FlowLogStats",
    "ReaderOptions",
    "SkippedLine",
    "parse_format",
    "read_flow_logs",
    "reader_options",
    "region_from_path",
    "traffic_only",
]
