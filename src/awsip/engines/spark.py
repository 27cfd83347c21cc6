"""awsip's own engine inside Spark: classification, flow-log reading, summaries, NAT figures.

Everything runs the local code on the workers, batch by batch, through
``DataFrame.mapInArrow``; Spark only moves batches and merges partial results. So the answers
are the local engine's by construction (and the tests check it row for row):

* :func:`classify_columns`: each batch's address columns go through the one engine's steps
  (:func:`~awsip.classification.engine.distinct`, ``label_codes``, ``label_arrays``) over a
  :class:`~awsip.index.bulk.BulkIndex` built **once on the driver**, saved in its compact,
  sealed on-disk form (~1.2 MB) and shipped with the job by ``SparkContext.addFile``
  (:func:`ship_index`). Each Python worker process reads and verifies it once and keeps it
  in a module-level dict keyed by its digest (Spark reuses Python workers), so no batch
  rebuilds or re-reads it.
* :func:`read_flow_logs`: the file list is expanded on the driver and distributed, one
  partition per group of files; each worker runs awsip's own reader
  (:class:`~awsip.flowlogs.reader.FlowLogReader`) per file. The schema must be known before
  the job: a first small job reads each file's first block and takes the union of the
  columns in file order (files with different formats: columns missing from a file are null),
  or the caller gives ``schema=``. The reader's counts come back through an accumulator keyed
  by file (a file's stats replace, never add to, an earlier report of the same file, so task
  retries and a DataFrame used twice do not double-count); :meth:`SparkFlowLogs.stats` reads
  the files no action has read completely yet, so the counts are always exact.
* :func:`summarize`: each partition turns its batches into peer views
  (:func:`~awsip.traffic.peers.peer_view`: the same peer, direction and NAT-leg rules) and
  groups them with the local :class:`~awsip.traffic.summary.Aggregator`; Spark sums the
  partial groups (bytes, packets, flows; min first seen, max last seen).
* :func:`report`: each partition folds its batches into the local report's
  :class:`~awsip.advice.report.ReportFold` (summary, NAT detection evidence, legs by inside
  source, DNS legs), sent back pickled; the driver merges the folds and finishes the report
  with the local code, so detection, inside attribution, cross-AZ bytes and advice are the
  local report's.

Workers must run the same Python and awsip version as the driver (``spark.pyspark.python``
or ``PYSPARK_PYTHON``): the shipped index says which awsip wrote it and a worker with another
refuses it with an error saying so. Needs a classic SparkSession (``sparkContext``: Spark
Connect has no ``addFile``).
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pyarrow as pa

from ..advice.report import Observed, Report, ReportPlan
from ..classification.engine import distinct, dotted, label_arrays, label_codes
from ..errors import AwsipError, FlowLogError, UsageError
from ..flowlogs.options import ReaderOptions
from ..flowlogs.reader import FlowLogStats
from ..index.bulk import BulkIndex, bulk_index
from ..traffic.nat import NO_NAT, NatSpec
from ..traffic.peers import Context, LocalNets, columns_needed, normalize_keys, peer_view
from ..traffic.summary import Aggregator, empty_summary, viewed

if TYPE_CHECKING:
    from pyspark.accumulators import Accumulator
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from ..advice.recommend import Recommendation
    from ..advice.report import NatReport
    from ..flowlogs.dns import DnsLog
    from ..ranges.model import Ranges

#: Suffixes of the columns :func:`classify_columns` adds per address column, in order.
SUFFIXES = ("aws", "service", "region", "network_border_group", "prefix")

_WORKER_ERROR = re.compile(r"awsip\.errors\.(FlowLogError|UsageError|AwsipError): (.+)")


@contextmanager
def awsip_errors() -> Iterator[None]:
    """Around a Spark action: an awsip error raised on a worker (a file that cannot be read, a
    bad line under ``strict``) comes back as that error with its message, not as Spark's
    wrapper of the worker's traceback."""
    try:
        yield
    except Exception as exc:
        # Spark 4 raises pyspark's own errors; 3.5 lets an RDD action's Py4JJavaError through
        if not type(exc).__module__.startswith(("pyspark", "py4j")):
            raise
        found = _WORKER_ERROR.findall(str(exc))
        if not found:
            raise
        kind, message = found[-1]
        error = {"FlowLogError": FlowLogError, "UsageError": UsageError}.get(kind, AwsipError)
        raise error(message.strip()) from None


# ====================================================================== the shipped index
_KEY = "awsip.spark"
#: Worker side: indexes read from shipped files, by digest (one read per Python process).
_INDEXES: dict[str, BulkIndex] = {}
#: Driver side: what was shipped, by (SparkContext, index) identity; the objects kept alive.
_SHIPPED: dict[tuple[int, int], tuple[Any, BulkIndex, ShippedIndex]] = {}
_TEMP_DIRS: list[str] = []


@dataclass(frozen=True)
class ShippedIndex:
    """A :class:`BulkIndex` shipped with a Spark job: the file's name among the job's files
    and its sha256 digest (the key of the per-worker cache)."""

    name: str
    digest: str

    def load(self) -> BulkIndex:
        """The index, read from the job's files the first time this worker process asks
        (verified: size, checksum, awsip version), then from memory."""
        found = _INDEXES.get(self.digest)
        if found is None:
            from pyspark import SparkFiles

            path = Path(SparkFiles.get(self.name))
            found = BulkIndex.load(path, _KEY)
            if found is None:
                raise AwsipError(
                    f"the awsip index shipped to this Spark worker ({path}) could not be read: "
                    "the worker must run the same awsip version as the driver (set "
                    "spark.pyspark.python / PYSPARK_PYTHON to the driver's Python, or install "
                    "the same awsip on the cluster)")
            _INDEXES[self.digest] = found
        return found


def ship_index(spark: SparkSession, ranges: Ranges) -> ShippedIndex:
    """Build ``ranges``' bulk index on the driver (once per Ranges), write its compact form to
    a temporary directory and add it to the job's files (once per SparkContext)."""
    index = bulk_index(ranges)
    sc = spark.sparkContext
    key = (id(sc), id(index))
    known = _SHIPPED.get(key)
    if known is not None and known[0] is sc and known[1] is index:
        return known[2]
    folder = tempfile.mkdtemp(prefix="awsip-spark-")
    if not _TEMP_DIRS:
        atexit.register(_remove_temp_dirs)
    _TEMP_DIRS.append(folder)
    staged = Path(folder) / "index"
    index.save(staged, _KEY)
    digest = hashlib.sha256(staged.read_bytes()).hexdigest()[:24]
    final = staged.rename(Path(folder) / f"awsip-{digest}.index")
    sc.addFile(str(final))
    shipped = ShippedIndex(final.name, digest)
    _INDEXES[digest] = index  # the driver's own Python (local tasks) need not read it back
    _SHIPPED[key] = (sc, index, shipped)
    return shipped


def _remove_temp_dirs() -> None:
    for folder in _TEMP_DIRS:
        shutil.rmtree(folder, ignore_errors=True)


# ====================================================================== classify_columns
def classify_columns(df: DataFrame, columns: str | Sequence[str], ranges: Ranges) -> DataFrame:
    """``df`` with, for each address column ``c`` (strings, or integers holding IPv4), the
    columns ``c_aws, c_service, c_region, c_network_border_group, c_prefix``: the answers of
    :func:`awsip.classify` row for row (``c_aws`` null for what is not an address, the four
    labels null when not AWS)."""
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise UsageError("classify_columns: name at least one address column")
    _check_address_columns(df, names)
    fields = list(df.schema.fields)
    for c in names:
        fields.append(StructField(f"{c}_aws", BooleanType(), True))
        fields.extend(StructField(f"{c}_{s}", StringType(), True) for s in SUFFIXES[1:])
    schema = StructType(fields)
    shipped = ship_index(df.sparkSession, ranges)
    return df.mapInArrow(partial(_classify_batches, shipped, names, _arrow_schema(schema)),
                         schema)


def _check_address_columns(df: DataFrame, names: list[str]) -> None:
    """Each name is a string or integer column of ``df`` whose output columns are free."""
    from pyspark.sql.types import IntegralType, StringType

    types = {f.name: f.dataType for f in df.schema.fields}
    for c in names:
        if c not in types:
            raise UsageError(f"classify_columns: no column {c!r} in the DataFrame (columns: "
                             f"{', '.join(types)})")
        if not isinstance(types[c], (StringType, IntegralType)):
            raise UsageError(f"classify_columns: column {c!r} is {types[c].simpleString()}; "
                             "give addresses as strings (or IPv4 as integers)")
        taken = [f"{c}_{s}" for s in SUFFIXES if f"{c}_{s}" in types]
        if taken:
            raise UsageError(f"classify_columns: the DataFrame already has {', '.join(taken)}; "
                             f"rename or drop them first")


def _classify_batches(shipped: ShippedIndex, columns: list[str], target: pa.Schema,
                      batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Worker: each batch with the label columns of ``columns`` appended."""
    index = shipped.load()
    for batch in batches:
        arrays = list(batch.columns)
        for c in columns:
            arrays.extend(label_column(batch.column(c), index))
        yield pa.RecordBatch.from_arrays(arrays, schema=target)


def label_column(values: pa.Array, index: BulkIndex) -> list[pa.Array]:
    """aws, service, region, network_border_group, prefix of each value (plain strings, for
    Spark), by the engine's steps: distinct values parsed and looked up once."""
    if pa.types.is_integer(values.type):
        values = dotted(values)  # IPv4 as integers: outside 0..2**32-1 or null -> invalid
    elif values.type != pa.string():
        values = values.cast(pa.string())
    n = len(values)
    uniques, row_of = distinct(values)
    parsed, codes = label_codes(uniques, index)
    valid = parsed.version != 0
    if row_of is not None:
        codes = np.append(codes, 0)[row_of]
        valid = np.append(valid, False)[row_of]
    aws = codes != 0
    n_aws = int(np.count_nonzero(aws))
    bits = pa.py_buffer(np.packbits(aws, bitorder="little")) if n_aws < n else None
    labels = label_arrays(codes, index, bits, n - n_aws)
    out = [pa.array(aws, mask=~valid)]
    out.extend(labels[s].cast(pa.string()) for s in SUFFIXES[1:])
    return out


def to_arrow(df: DataFrame) -> pa.Table:
    """``df`` collected as an Arrow table, in its order: ``DataFrame.toArrow`` (Spark 4);
    Spark 3.5 has no public Arrow collect, so there each partition's batches are written in
    Arrow's IPC stream format by ``mapInArrow`` (public since 3.3), collected as bytes and
    read back here."""
    collect: Any = getattr(df, "toArrow", None)
    if collect is not None:
        return cast(pa.Table, collect())
    rows = df.mapInArrow(_ipc_batches, "ipc binary").collect()
    tables = [pa.ipc.open_stream(row[0]).read_all() for row in rows]
    if not tables:
        return _arrow_schema(df.schema).empty_table()
    return pa.concat_tables(tables)


def _ipc_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Worker: each batch as one row holding its bytes in Arrow's IPC stream format."""
    for batch in batches:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        yield pa.record_batch([pa.array([sink.getvalue().to_pybytes()], pa.binary())],
                              names=["ipc"])


def _arrow_schema(schema: StructType) -> pa.Schema:
    """The Arrow schema Spark expects back for ``schema`` (timestamps in microseconds, UTC)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    try:
        return to_arrow_schema(schema, timezone="UTC")  # Spark 4 asks for the zone
    except TypeError:  # Spark 3.5: always UTC
        return to_arrow_schema(schema)


def _spark_schema(schema: pa.Schema) -> StructType:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema, prefer_timestamp_ntz=False)


def conform(table: pa.Table, target: pa.Schema) -> tuple[pa.Table, list[str]]:
    """``table`` with ``target``'s columns in its order and types (missing ones null), and the
    names of the columns it had that ``target`` lacks (left out)."""
    arrays = []
    for f in target:
        if f.name in table.column_names:
            column = table.column(f.name)
            arrays.append(column if column.type == f.type else column.cast(f.type))
        else:
            arrays.append(pa.nulls(table.num_rows, f.type))
    extra = [c for c in table.column_names if c not in target.names]
    return pa.Table.from_arrays(arrays, schema=target), extra


# ====================================================================== read_flow_logs
class _StatsByFile:
    """Accumulator param: ``{file: FlowLogStats}``, a later report of a file replacing an
    earlier one (so re-running a task, or a second action, never adds twice)."""

    def zero(self, value: dict[str, FlowLogStats]) -> dict[str, FlowLogStats]:
        return {}

    def addInPlace(self, a: dict[str, FlowLogStats], b: dict[str, FlowLogStats]
                   ) -> dict[str, FlowLogStats]:
        a.update(b)
        return a


@dataclass(frozen=True)
class ReadSpec:
    """How every worker reads: the reader's options and the fields to produce (None: all)."""

    options: ReaderOptions
    columns: tuple[str, ...] | None = None


@dataclass
class SparkFlowLogs:
    """Flow logs read by Spark: the records as ``df`` and the reader's counts by
    :meth:`stats`."""

    df: DataFrame
    files: list[str]
    spec: ReadSpec
    _accumulator: Accumulator[dict[str, FlowLogStats]] = field(repr=False)
    skipped_paths: list[Any] = field(default_factory=list)
    #: what the driver's ``s3://`` listing found and left out (``FlowLogStats.listing``)
    listing: Any = None

    def stats(self) -> FlowLogStats:
        """The counts the local reader gives for the same files (:class:`FlowLogStats`),
        merged in file order. Files no action has read completely are read now by a
        Spark job that keeps only their counts."""
        seen: dict[str, FlowLogStats] = dict(self._accumulator.value)
        missing = [f for f in self.files if f not in seen]
        if missing:
            spark = self.df.sparkSession
            rdd = spark.sparkContext.parallelize(missing, min(len(missing),
                                                              _partitions(spark, len(missing))))
            with awsip_errors():
                seen.update(rdd.map(partial(_stats_of, self.spec)).collect())
        total = merge_stats([seen[f] for f in self.files])
        total.skipped_paths = list(self.skipped_paths)
        if self.listing is not None:
            total.listing = self.listing
        return total


def _partitions(spark: SparkSession, files: int) -> int:
    """One partition per file up to four per core: files are the unit of work."""
    return max(1, min(files, 4 * spark.sparkContext.defaultParallelism))


def merge_stats(parts: Iterable[FlowLogStats]) -> FlowLogStats:
    """Per-file counts as one :class:`FlowLogStats`, as one reader reading the files in this
    order counts them (:meth:`FlowLogStats.add`)."""
    total = FlowLogStats()
    for part in parts:
        total.add(part)
    return total


def _read_one(path: str, spec: ReadSpec) -> Any:
    """The local reader over the one file ``path`` (an ``s3://`` key is listed as a prefix:
    only the object of that exact name is kept), never with a progress bar, and on one thread:
    Spark runs a task per core, so a task's own parsing threads would only compete with the
    other tasks (the records and counts do not depend on it)."""
    from ..flowlogs.paths import expand
    from ..flowlogs.reader import FlowLogReader

    opts = dataclasses.replace(spec.options, progress=False, use_threads=False)
    found = [f for f in expand(path, region=opts.region, endpoint_override=opts.endpoint_override)
             if f.path == path]
    if not found:
        raise FlowLogError(f"{path}: listed by the Spark driver but not found by a worker; "
                           "was it removed, or can the workers not reach it?")
    return FlowLogReader(found[:1], opts, columns=spec.columns)


def _stats_of(spec: ReadSpec, path: str) -> tuple[str, FlowLogStats]:
    """Worker: read ``path`` for its counts only."""
    reader = _read_one(path, spec)
    for _ in reader.tables():
        pass
    return path, reader.stats


def _first_schema(spec: ReadSpec, path: str) -> pa.Schema | None:
    """Worker: the columns and types the reader gives for ``path``: those of its first block
    (None when the file has no record)."""
    tables = _read_one(path, spec).tables()
    try:
        first = next(iter(tables), None)
    finally:
        tables.close()
    return None if first is None else first.schema.remove_metadata()


def _read_batches(spec: ReadSpec, target: pa.Schema,
                  accumulator: Accumulator[dict[str, FlowLogStats]],
                  batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Worker: the records of each file named in ``batches``, in ``target``'s columns; each
    file's counts go to ``accumulator`` once it is read to its end."""
    for batch in batches:
        for path in batch.column(0).to_pylist():
            reader = _read_one(path, spec)
            extra: list[str] = []
            for table in reader.tables():
                table, left_out = conform(table, target)
                extra.extend(c for c in left_out if c not in extra)
                yield from table.to_batches()
            reader.stats.ignored_columns.extend(f"{path}: {c}" for c in extra)
            accumulator.add({path: reader.stats})


def read_flow_logs(spark: SparkSession, source: Any, options: ReaderOptions,
                   schema: StructType | str | None = None,
                   columns: Iterable[str] | None = None) -> SparkFlowLogs:
    """Flow logs (text with or without the S3 header line, gzip, Parquet; paths, directories,
    globs or ``s3://``) as a Spark DataFrame with the local reader's columns and types (see
    the module doc for how the work and the counts are split). ``columns``: only these
    fields, as the local reader's ``columns=`` (the others neither converted nor checked)."""
    from ..flowlogs.paths import SkippedPath, expand
    from ..flowlogs.s3 import ListingStats

    skipped: list[SkippedPath] = []
    listing = ListingStats()
    files = [f.path for f in expand(source, region=options.region,
                                    endpoint_override=options.endpoint_override,
                                    skipped=skipped, select=options.selection(),
                                    listing=listing, options=options)]
    for f in files:
        if f == "-" or ("://" in f and not f.startswith("s3://")):
            raise UsageError(f"read_flow_logs in Spark reads files and s3:// objects, not "
                             f"{f!r}: read it with awsip.read_flow_logs and pass the records "
                             "to spark.createDataFrame")
    sc = spark.sparkContext
    spec = ReadSpec(options, None if columns is None else tuple(columns))
    target = _target_schema(spark, files, spec, schema)
    accumulator = sc.accumulator(cast(dict[str, FlowLogStats], {}),
                                 cast(Any, _StatsByFile()))
    paths = spark.createDataFrame(
        sc.parallelize([(f,) for f in files], _partitions(spark, len(files))), "path string")
    df = paths.mapInArrow(partial(_read_batches, spec, target, accumulator),
                          _spark_schema(target))
    return SparkFlowLogs(df, files, spec, accumulator, skipped, listing)


def _target_schema(spark: SparkSession, files: list[str], spec: ReadSpec,
                   schema: StructType | str | None) -> pa.Schema:
    """The Arrow schema of the DataFrame: ``schema`` when given, else the union of every
    file's columns (first block of each, read by a small Spark job), in file order."""
    from pyspark.sql.types import StructType

    if schema is not None:
        given = spark.createDataFrame([], schema).schema if isinstance(schema, str) else schema
        if not isinstance(given, StructType):
            raise UsageError(f"read_flow_logs: schema {schema!r} is not a struct of columns")
        return _arrow_schema(given)
    rdd = spark.sparkContext.parallelize(files, _partitions(spark, len(files)))
    with awsip_errors():
        schemas = rdd.map(partial(_first_schema, spec)).collect()
    found = [s for s in schemas if s is not None]
    if not found:
        from ..flowlogs.fields import DEFAULT_FIELDS, FIELDS, arrow_type
        from ..flowlogs.formats import parse_format

        log_format = spec.options.log_format
        names = parse_format(log_format) if log_format else DEFAULT_FIELDS
        found = [pa.schema([(FIELDS[n].column, arrow_type(FIELDS[n].kind)) for n in names
                            if spec.columns is None or FIELDS[n].column in spec.columns])]
    union: dict[str, pa.DataType] = {}
    for s in found:
        for f in s:
            union.setdefault(f.name, f.type)
    return _arrow_schema(_spark_schema(pa.schema(list(union.items()))))


# ====================================================================== peer views
@dataclass(frozen=True)
class _ShippedContext(Context):
    """The peer view's context on a worker: the index comes from the shipped file (the
    Ranges itself stays on the driver; the peer view needs only its index)."""

    shipped: ShippedIndex | None = None

    @property
    def index(self) -> BulkIndex:
        assert self.shipped is not None
        return self.shipped.load()


def _context(spark: SparkSession, ranges: Ranges, vpc_cidrs: Iterable[str] | None,
             nat: NatSpec = NO_NAT, local: LocalNets | None = None) -> _ShippedContext:
    """``local``: the inside networks already built (else from ``vpc_cidrs``)."""
    return _ShippedContext(cast("Ranges", None), local or LocalNets.build(vpc_cidrs), nat,
                           ship_index(spark, ranges))


def _inputs(df: DataFrame, need: frozenset[str]) -> DataFrame:
    """Only the columns the peer view reads (it needs the two addresses)."""
    missing = [c for c in ("srcaddr", "dstaddr") if c not in df.columns]
    if missing:
        raise UsageError(f"flow-log records need srcaddr and dstaddr fields to be summarized "
                         f"(the DataFrame lacks {', '.join(missing)})")
    return df.select(*[c for c in df.columns if c in need])


def _local_batch(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """A Spark batch (or table) as the reader gives it: timestamps in seconds."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    ts = pa.timestamp("s", tz="UTC")
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type) and f.type != ts:
            table = table.set_column(i, f.name, table.column(i).cast(ts, safe=False))
    return table


# ====================================================================== summarize
def _summary_batches(ctx: _ShippedContext, keys: list[str], target: pa.Schema,
                     batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Worker: the partition's partial summary (the local group-by over peer views)."""
    agg = Aggregator(keys)
    for batch in batches:
        agg.add(peer_view(_local_batch(batch), ctx, keys))
    part = agg.result().drop_columns(["share"])
    yield from conform(part, target)[0].to_batches()


def summarize(df: DataFrame, by: str | Iterable[str] | None, ranges: Ranges,
              vpc_cidrs: Iterable[str] | None = None) -> DataFrame:
    """The traffic summary of :func:`awsip.summarize` as a Spark DataFrame: ``<keys>, bytes,
    packets, flows, first_seen, last_seen, share``, biggest first (ties by key)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = normalize_keys(by)
    spark = df.sparkSession
    ctx = _context(spark, ranges, vpc_cidrs)
    target = _arrow_schema(_spark_schema(empty_summary(keys).schema))
    parts = _inputs(df, columns_needed(keys)).mapInArrow(
        partial(_summary_batches, ctx, keys, target), _spark_schema(target))
    merged = parts.groupBy(*keys).agg(
        F.sum("bytes").alias("bytes"), F.sum("packets").alias("packets"),
        F.sum("flows").alias("flows"), F.min("first_seen").alias("first_seen"),
        F.max("last_seen").alias("last_seen")).where(F.col("flows").isNotNull())
    # The groups (few next to the records) meet in one partition for the total and the order:
    # no second pass over the records, no sampling job for a range sort.
    total = F.col("_total")
    share = F.when(total > 0, F.col("bytes").cast("double") / total).otherwise(F.lit(0.0))
    return (merged.coalesce(1).withColumn("_total", F.sum("bytes").over(Window.partitionBy()))
            .withColumn("share", share).drop("_total")
            .orderBy(F.col("bytes").desc(), *[F.col(k).asc_nulls_last() for k in keys]))


# ====================================================================== report
def report(df: DataFrame, ranges: Ranges, plan: ReportPlan, *,
           stats: Callable[[], FlowLogStats] | None = None,
           files: Sequence[str] = (), source: Any = None, top: int | None = None,
           vpc_region: str | None = None, price_per_gb: float | None = None,
           gb_bytes: int, prices: Any = None, inventory: Any = None,
           dns_log: DnsLog | None = None) -> Report:
    """:func:`awsip.advice.report.report` over ``df``'s records: each partition folds its
    batches into the local report's :class:`~awsip.advice.report.ReportFold` (the same peer
    views, group-bys and NAT collectors) on a worker and sends it back pickled; the driver
    merges the folds and finishes the report with the local code. ``stats``: the reader's
    counts (:meth:`SparkFlowLogs.stats`, asked after the job, which has read every file to
    its end; without them the rows are counted as the local report counts records given as
    tables: records, NODATA/SKIPDATA...); ``files``: the
    files read (their S3 delivery paths may name the region)."""
    import pickle

    spark = df.sparkSession
    ctx = _context(spark, ranges, None, plan.nat.addressed, plan.local)
    empty = plan.fold(dns_log is not None)
    parts = _inputs(df, plan.columns(empty)).mapInArrow(
        partial(_report_batches, ctx, plan, dns_log is not None), "fold binary")
    with awsip_errors():
        rows = parts.collect()
    fold, counted = empty, FlowLogStats()
    for row in rows:
        part, part_counts = pickle.loads(row[0])
        fold.merge(part)
        counted.add(part_counts)
    for f in files:
        fold.regions.see_file(f.encode("utf-8"))
    counts = counted if stats is None else stats()
    return fold.finish(plan, counts, source, top=top, vpc_region=vpc_region,
                       price_per_gb=price_per_gb, gb_bytes=gb_bytes, prices=prices,
                       inventory=inventory, dns_log=dns_log)


def _report_batches(ctx: _ShippedContext, plan: ReportPlan, dns: bool,
                    batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Worker: the partition's batches folded into one report fold and counted as records
    given as tables are (:func:`awsip.flowlogs.reader.account`), as one pickled row."""
    import pickle

    from ..flowlogs.reader import account

    fold, counts, options = plan.fold(dns), FlowLogStats(), ReaderOptions()
    need = list(fold.need)
    for batch in batches:
        table = account(_local_batch(batch), counts, options)
        if table.num_rows:
            fold.add(viewed(table, ctx, need))
    state = pickle.dumps((fold, counts), protocol=pickle.HIGHEST_PROTOCOL)
    yield pa.record_batch([pa.array([state], pa.binary())], names=["fold"])


@dataclass
class SparkNatReport(Observed):
    """The NAT section of :func:`report` and its advice, with their inputs (observed span,
    the VPC's region), the NAT identifiers no record mentions, and the notes."""

    nat: NatReport | None
    recommendations: list[Recommendation]
    first_seen: datetime | None
    last_seen: datetime | None
    vpc_region: str | None
    unmatched: list[str]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, result: Report) -> SparkNatReport:
        return cls(result.nat, result.recommendations, result.first_seen, result.last_seen,
                   result.vpc_region, result.nat_unmatched, result.notes)


__all__ = ["SUFFIXES", "ReadSpec", "ShippedIndex", "SparkFlowLogs", "SparkNatReport",
           "awsip_errors", "classify_columns", "conform", "label_column", "merge_stats",
           "read_flow_logs", "report", "ship_index", "summarize", "to_arrow"]
