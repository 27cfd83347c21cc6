"""awsip inside Spark (``pip install 'awsip[spark]'``): the same answers as ``awsip lookup``,
:func:`awsip.classify`, :func:`awsip.summarize` and :func:`awsip.report`,
computed by awsip's own engine on the workers (see :mod:`awsip.engines.spark` for how).

    from awsip import spark as awsip_spark
    logs = awsip_spark.read_flow_logs(spark, "s3://bucket/AWSLogs/")
    labelled = awsip_spark.classify_columns(logs.df, ["srcaddr", "dstaddr"])
    awsip_spark.summarize(logs.df, by=["service", "region"]).show()
    print(awsip_spark.report(logs).to_dict()["nat"])

``ranges`` defaults, as everywhere, to :func:`awsip.default_ranges`, resolved on the driver;
on a cluster pin a publication (``ranges=awsip.load_ranges("ip-ranges-....json")``) so every
run answers from the same one. Workers must run the driver's Python with the same awsip
(``spark.pyspark.python`` / ``PYSPARK_PYTHON``); docs/scale.md says how on EMR, Glue and
Databricks. pyspark is imported only when a function is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from .flowlogs.options import ReaderOptions, reader_options
from .loading import default_ranges

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from .advice.report import Report
    from .engines.spark import SparkFlowLogs, SparkNatReport
    from .ranges.model import Ranges


def _or_default(ranges: Ranges | None) -> Ranges:
    return ranges if ranges is not None else default_ranges()


def classify_columns(df: DataFrame, columns: str | Sequence[str],
                     ranges: Ranges | None = None) -> DataFrame:
    """``df`` with ``c_aws, c_service, c_region, c_network_border_group, c_prefix`` added for
    each address column ``c``: :func:`awsip.classify`'s answers row for row."""
    from .engines.spark import classify_columns as run

    return run(df, columns, _or_default(ranges))


def read_flow_logs(spark: SparkSession, path: Any, log_format: str | Sequence[str] | None = None,
                   *, schema: StructType | str | None = None,
                   columns: Iterable[str] | None = None,
                   options: ReaderOptions | None = None, **reader: Any) -> SparkFlowLogs:
    """Flow-log files (S3 text with or without the header line, gzip, Parquet; paths,
    directories, globs or ``s3://``) read by awsip's reader on the workers: ``.df`` is the
    DataFrame (the local reader's column names, Spark types for its Arrow types), ``.stats()``
    the local reader's counts (bad lines skipped and counted, NODATA...). ``schema``: the
    DataFrame's schema, which skips the first job that reads each file's first block to find
    the union of their columns. ``columns``: only these fields, as for
    :func:`awsip.read_flow_logs` (the others neither converted nor checked, so a line is
    skipped only when a field read is bad: what ``awsip.summarize(path)`` does). Other
    keywords: the reader's options (``strict``, ``since``, ``until``, ``region``...)."""
    from .engines.spark import read_flow_logs as run

    opts = reader_options(options, log_format=log_format, **reader)
    return run(spark, path, opts, schema, columns)


def summarize(df: DataFrame, by: str | Iterable[str] | None = ("service", "region"),
              ranges: Ranges | None = None, vpc_cidrs: Iterable[str] | None = None) -> DataFrame:
    """:func:`awsip.summarize` over a DataFrame of flow-log records: the same groups and sums
    (``<keys>, bytes, packets, flows, first_seen, last_seen, share``, biggest first)."""
    from .engines.spark import summarize as run

    return run(df, by, _or_default(ranges), vpc_cidrs)


def report(logs: SparkFlowLogs | DataFrame, *,
           by: str | Iterable[str] | None = ("service", "region"), top: int | None = None,
           ranges: Ranges | None = None,
           vpc_cidrs: Iterable[str] | None = None, vpc_region: str | None = None,
           nat_enis: Iterable[str] = (), nat_ips: Iterable[str] = (), nat_ids: Iterable[str] = (),
           price_per_gb: float | None = None, gb_bytes: int | None = None, hourly: bool = False,
           prices: Any = None, inventory: Any = None, dns_logs: Any = None) -> Report:
    """:func:`awsip.report` over flow logs in Spark: the same :class:`awsip.advice.report.Report`
    (summary, the NAT gateways named or detected, who inside caused their bytes, cross-AZ
    bytes, prices, advice; ``to_dict()`` is ``awsip report --json``), computed by the local
    report's code on the workers and merged on the driver. ``logs``: what
    :func:`read_flow_logs` returns (its counts are the report's) or any DataFrame of flow-log
    records (its rows are the records). ``inventory`` and ``dns_logs`` are read on the driver
    (:func:`awsip.traffic.inventory.Inventory.load`, Resolver query-log paths or a
    ``DnsLog``)."""
    from .advice.prices import GB_BYTES
    from .advice.report import ReportPlan, check_prices, read_dns
    from .engines.spark import SparkFlowLogs
    from .engines.spark import report as run
    from .traffic.nat import NatSpec

    gb = GB_BYTES if gb_bytes is None else gb_bytes
    check_prices(price_per_gb, gb)
    plan = ReportPlan.of(by, NatSpec.of(nat_enis, nat_ips, nat_ids), hourly, vpc_cidrs,
                         inventory)
    dns_log = read_dns(dns_logs)
    if isinstance(logs, SparkFlowLogs):
        return run(logs.df, _or_default(ranges), plan, stats=logs.stats, files=logs.files,
                   source=logs.files, top=top, vpc_region=vpc_region,
                   price_per_gb=price_per_gb, gb_bytes=gb, prices=prices,
                   inventory=inventory, dns_log=dns_log)
    return run(logs, _or_default(ranges), plan, top=top, vpc_region=vpc_region,
               price_per_gb=price_per_gb, gb_bytes=gb, prices=prices, inventory=inventory,
               dns_log=dns_log)


def nat_report(df: SparkFlowLogs | DataFrame, *, nat_enis: Iterable[str] = (),
               nat_ips: Iterable[str] = (), ranges: Ranges | None = None,
               vpc_cidrs: Iterable[str] | None = None, vpc_region: str | None = None,
               price_per_gb: float | None = None, gb_bytes: int | None = None,
               nat_ids: Iterable[str] = ()) -> SparkNatReport:
    """The NAT section of :func:`report` and its advice (``.nat``: None when no NAT gateway is
    named or found, ``.notes`` then names the likely ones), with the identifiers no record
    mentions (``.unmatched``, also warned)."""
    from .engines.spark import SparkNatReport

    return SparkNatReport.of(report(
        df, by=[], ranges=ranges, vpc_cidrs=vpc_cidrs, vpc_region=vpc_region,
        nat_enis=nat_enis, nat_ips=nat_ips, nat_ids=nat_ids, price_per_gb=price_per_gb,
        gb_bytes=gb_bytes))


def awsip_errors() -> AbstractContextManager[None]:
    """``with awsip.spark.awsip_errors(): logs.df.count()``: an awsip error raised on a worker
    (a damaged file, a bad line under ``strict=True``) is raised as that error, with its
    message naming the file and line, instead of Spark's wrapper of the worker's traceback.
    :meth:`SparkFlowLogs.stats` and :func:`nat_report` do this already."""
    from .engines.spark import awsip_errors as run

    return run()


__all__ = ["awsip_errors", "classify_columns", "nat_report", "read_flow_logs", "report",
           "summarize"]
