"""The public functions: the common case in one call, each a thin shell over the objects below.

As ``requests.get`` is a ``Session`` made and used once, :func:`classify`, :func:`summarize`
and :func:`report` resolve what the caller left out (the default ranges, once per process;
the reader's options from keywords) and call the layer that does the work with everything
explicit. Engines never load ranges themselves.

Every function that reads flow logs takes the reader's options the same way: an
``options=ReaderOptions(...)`` or the keywords ``log_format``, ``strict``, ``progress``,
``region``, ``endpoint_override``, ``since``, ``until``, ``use_threads`` (``format=`` is a
deprecated spelling of ``log_format=``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .flowlogs.options import ReaderOptions, reader_options
from .loading import default_ranges

if TYPE_CHECKING:
    import pyarrow as pa

    from .advice.report import Report
    from .classification.enrich import EnrichedFlowLogs
    from .flowlogs.reader import FlowLogReader
    from .index.scalar import Match
    from .ranges.model import Ranges


def _or_default(ranges: Ranges | None) -> Ranges:
    """``ranges``, or the default publication when None (an empty Ranges, say a filter that
    matched nothing, is an answer too: it is used, not replaced)."""
    return ranges if ranges is not None else default_ranges()


def lookup(ip: object, ranges: Ranges | None = None) -> Match:
    """Look up one address in ``ranges`` (default: :func:`awsip.default_ranges`)."""
    return (_or_default(ranges)).lookup(ip)


def classify(ips: Any, ranges: Ranges | None = None) -> pa.Table:
    """Classify many addresses at once, one row per input in input order; see
    :mod:`awsip.classification.engine` for the input kinds and the columns. ``ranges``
    defaults to :func:`awsip.default_ranges`."""
    from .classification.engine import classify as run

    return run(ips, _or_default(ranges))


def read_flow_logs(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                   options: ReaderOptions | None = None, *,
                   columns: Iterable[str] | None = None, **reader: Any) -> FlowLogReader:
    """Read VPC / Transit Gateway flow logs as pyarrow RecordBatches; see
    :func:`awsip.flowlogs.reader.read_flow_logs`."""
    from .flowlogs.reader import read_flow_logs as run

    return run(source, reader_options(options, **reader), columns=columns)


def enrich_flow_logs(source: Any, ranges: Ranges | None = None,
                     options: ReaderOptions | None = None, **reader: Any) -> EnrichedFlowLogs:
    """Flow-log records with ``src_``/``dst_`` AWS labels, as a stream of RecordBatches; see
    :func:`awsip.classification.enrich.enrich_flow_logs`."""
    from .classification.enrich import enrich_flow_logs as run

    return run(source, _or_default(ranges), reader_options(options, **reader))


def summarize(source: Any, by: str | Iterable[str] | None = ("service", "region"),
              ranges: Ranges | None = None, vpc_cidrs: Iterable[str] | None = None,
              options: ReaderOptions | None = None, **reader: Any) -> pa.Table:
    """Bytes, packets and flow records per group of peer keys; see
    :func:`awsip.traffic.summary.summarize`."""
    from .traffic.summary import summarize as run

    return run(source, _or_default(ranges), by, vpc_cidrs,
               reader_options(options, **reader))


def report(source: Any, *, by: str | Iterable[str] | None = ("service", "region"),
           top: int | None = None, ranges: Ranges | None = None,
           vpc_cidrs: Iterable[str] | None = None, vpc_region: str | None = None,
           nat_enis: Iterable[str] = (), nat_ips: Iterable[str] = (),
           price_per_gb: float | None = None, gb_bytes: int | None = None,
           hourly: bool = False, options: ReaderOptions | None = None,
           nat_ids: Iterable[str] = (), prices: Any = None, inventory: Any = None,
           dns_logs: Any = None, **reader: Any) -> Report:
    """Read flow logs once: the traffic summary, the NAT gateways (named, else detected) with
    their bytes counted once, who inside caused them, their cost at the VPC region's prices
    (``price_per_gb`` overrides), and endpoint advice; ``inventory``: an
    :class:`awsip.traffic.inventory.Inventory` (``Inventory.load(paths)``); ``dns_logs``:
    Route 53 Resolver query logs (files or directories, or a
    :func:`awsip.flowlogs.dns.read_dns_logs` result) naming the NAT's peers and finding ECR
    pulls; see :func:`awsip.advice.report.report`."""
    from .advice.prices import GB_BYTES
    from .advice.report import report as run
    from .traffic.nat import NatSpec

    return run(source, _or_default(ranges), by=by, top=top, vpc_cidrs=vpc_cidrs,
               vpc_region=vpc_region, nat=NatSpec.of(nat_enis, nat_ips, nat_ids),
               price_per_gb=price_per_gb,
               gb_bytes=GB_BYTES if gb_bytes is None else gb_bytes, hourly=hourly,
               options=reader_options(options, **reader), prices=prices, inventory=inventory,
               dns_logs=dns_logs)


def write_table(data: Any, path: str | os.PathLike[str], output_format: str | None = None) -> int:
    """Write a pyarrow Table, or a stream of RecordBatches such as :func:`enrich_flow_logs`
    gives, to ``path`` as CSV, JSON Lines or Parquet (from the suffix unless
    ``output_format`` says), atomically; the rows written. What ``awsip classify -o`` does."""
    from .output.tables import save

    return save(data, path, output_format)


def to_sql(dialect: str, table: str, columns: str | Iterable[str],
           ranges: Ranges | None = None, *, ranges_table: str | None = None,
           clickhouse_dictionary: bool = False) -> str:
    """SQL for ``dialect`` returning every row of ``table`` plus ``<column>_service``,
    ``_region``, ``_network_border_group`` and ``_prefix`` per address column, by the primary
    service rule, with equi-joins only; see :mod:`awsip.engines.sql`. The prefixes travel
    inside the SQL (``ranges``, default :func:`awsip.default_ranges`) unless ``ranges_table``
    names a table or Parquet file of ``awsip ranges --output-format parquet``."""
    from .engines.sql import clickhouse_dictionary_sql
    from .engines.sql import to_sql as run

    if clickhouse_dictionary:
        return clickhouse_dictionary_sql(table, columns, _or_default(ranges))
    return run(dialect, table, columns, None if ranges_table else _or_default(ranges),
               ranges_table=ranges_table)


__all__ = ["classify", "enrich_flow_logs", "lookup", "read_flow_logs", "report", "summarize",
           "to_sql", "write_table"]
