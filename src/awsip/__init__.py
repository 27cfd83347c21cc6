"""awsip: which AWS service and region owns an IP address.

Quick start::

    >>> import awsip
    >>> awsip.lookup("52.216.58.42").service
    'S3'

The common case is one function (:func:`lookup`); :func:`load_ranges` gives a :class:`Ranges`
value for everything else. The bulk functions (:func:`classify`, :func:`read_flow_logs`,
:func:`enrich_flow_logs`, :func:`summarize`, :func:`report`) import numpy and pyarrow when
called, so ``import awsip`` and single lookups never load them. The layers below are mapped in
``docs/architecture.md``.
"""

from __future__ import annotations

from . import index as _index  # registers the scalar index behind Ranges.lookup
from .api import (
    classify,
    enrich_flow_logs,
    lookup,
    read_flow_logs,
    report,
    summarize,
    to_sql,
    write_table,
)
from .errors import (
    AwsipError,
    BundledRangesWarning,
    FetchError,
    FlowLogError,
    FlowLogWarning,
    HistoryError,
    InvalidAddressError,
    RangesError,
    RangesWarning,
    UsageError,
)
from .flowlogs.options import ReaderOptions
from .index.scalar import Match
from .loading import default_ranges, load_ranges
from .ranges import Entry, Origin, Publication, Ranges, RangesDiff
from .version import __version__

del _index

__all__ = [
    "AwsipError",
    "BundledRangesWarning",
    "Entry",
    "FetchError",
    "FlowLogError",
    "FlowLogWarning",
    "HistoryError",
    "InvalidAddressError",
    "Match",
    "Origin",
    "Publication",
    "Ranges",
    "RangesDiff",
    "RangesError",
    "RangesWarning",
    "ReaderOptions",
    "UsageError",
    "__version__",
    "classify",
    "default_ranges",
    "enrich_flow_logs",
    "load_ranges",
    "lookup",
    "read_flow_logs",
    "report",
    "summarize",
    "to_sql",
    "write_table",
]
