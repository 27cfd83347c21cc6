"""awsip: which AWS service and region owns an IP address.

Quick start::

    >>> import awsip
    >>> awsip.lookup("52.216.58.42").service
    'S3'

The common case is one function (:func:`lookup`); :func:`load_ranges` gives a :class:`Ranges`
value for everything else. Heavy modules (numpy, pyarrow) are imported only by the bulk APIs,
so ``import awsip`` and single lookups stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    AwsipError,
    FetchError,
    FlowLogError,
    InvalidAddressError,
    RangesError,
    UsageError,
)
from .lookup import Match
from .ranges import Entry, Origin, Ranges
from .source import default_ranges, load_ranges

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    import pyarrow

    from .advise import Report
    from .enrich import EnrichedFlowLogs
    from .flowlogs import FlowLogReader

__version__ = "0.1.0"


def lookup(ip: object, ranges: Ranges | None = None) -> Match:
    """Look up one address in ``ranges`` (default: :func:`default_ranges`)."""
    return (ranges or default_ranges()).lookup(ip)


def classify(ips: Any, ranges: Ranges | None = None) -> pyarrow.Table:
    """Classify a whole column of addresses; see :func:`awsip.bulk.classify`."""
    from .bulk import classify as _classify

    return _classify(ips, ranges)


def read_flow_logs(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    format: str | list[str] | tuple[str, ...] | None = None,
    strict: bool = False,
    progress: bool | None = None,
    region: str | None = None,
    endpoint_override: str | None = None,
    use_threads: bool = True,
) -> FlowLogReader:
    """Read VPC / Transit Gateway flow logs (files, directories, globs, ``-``, ``s3://``) as
    pyarrow RecordBatches; see :func:`awsip.flowlogs.read_flow_logs` and docs/flowlogs.md."""
    from .flowlogs import read_flow_logs as _read

    return _read(source, format=format, strict=strict, progress=progress, region=region,
                 endpoint_override=endpoint_override, use_threads=use_threads)


def enrich_flow_logs(source: Any, ranges: Ranges | None = None,
                     **reader_options: Any) -> EnrichedFlowLogs:
    """Flow-log RecordBatches with ``src_``/``dst_`` aws, service, region, border group and
    prefix columns, streamed; see :func:`awsip.enrich.enrich_flow_logs`."""
    from .enrich import enrich_flow_logs as _enrich

    return _enrich(source, ranges, **reader_options)


def summarize(
    source: Any,
    by: str | Iterable[str] | None = ("service", "region"),
    ranges: Ranges | None = None,
    vpc_cidrs: Iterable[str] | None = None,
    since: Any = None,
    until: Any = None,
    **options: Any,
) -> pyarrow.Table:
    """Bytes, packets, flows, first/last seen per peer service, region, ...: a pyarrow Table;
    see :func:`awsip.aggregate.summarize`."""
    from .aggregate import summarize as _summarize

    return _summarize(source, by, ranges, vpc_cidrs, since, until, **options)


def report(source: Any, **options: Any) -> Report:
    """Traffic summary, NAT gateway cost and endpoint advice; see :func:`awsip.advise.report`."""
    from .advise import report as _report

    return _report(source, **options)


__all__ = [
    "AwsipError",
    "Entry",
    "FetchError",
    "FlowLogError",
    "InvalidAddressError",
    "Match",
    "Origin",
    "Ranges",
    "RangesError",
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
]
