"""Flow-log records with AWS labels for both addresses (:func:`enrich_flow_logs`).

Each record comes out with its columns unchanged plus, for
``srcaddr`` and for ``dstaddr``, five columns from the bulk engine (:func:`awsip.classify`,
so the same answers as :meth:`Ranges.lookup`)::

    src_aws, src_service, src_region, src_network_border_group, src_prefix
    dst_aws, dst_service, dst_region, dst_network_border_group, dst_prefix

``*_aws`` is a bool (false for an address outside AWS, null when the address is null, as on
NODATA/SKIPDATA records, or not an address); the four labels are ``dictionary<int16, string>``
(null unless ``*_aws`` is true) whose dictionary is the same for every batch, so Parquet
writers keep it.

Records come from :func:`awsip.flowlogs.records.open_records` (files: one batch per parsed
block, ~75,000 records, read ahead in a thread) and are enriched two at a time in threads. In
each batch the source and destination columns are dictionary-encoded together and only the
distinct addresses go through the engine (:func:`awsip.classification.engine.classify`); the
labels are then gathered per row. A few blocks are held at a time, so memory does not grow
with the input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..errors import UsageError
from ..flowlogs.options import ReaderOptions
from ..flowlogs.records import Records, open_records
from ..index.bulk import bulk_index
from ..pipeline import ordered_map
from .engine import classify

if TYPE_CHECKING:
    from ..flowlogs.reader import FlowLogReader, FlowLogStats
    from ..ranges.model import Ranges

#: Columns added per address, after the prefix (``src_`` / ``dst_``).
LABELS = ("aws", "service", "region", "network_border_group", "prefix")
#: (address column, prefix of its added columns).
ADDRESS_COLUMNS = (("srcaddr", "src_"), ("dstaddr", "dst_"))


def enrich_batch(batch: pa.RecordBatch | pa.Table, ranges: Ranges) -> pa.RecordBatch:
    """``batch`` with the ``src_*``/``dst_*`` label columns appended (see the module doc).

    Raises UsageError when the batch has neither ``srcaddr`` nor ``dstaddr``."""
    if isinstance(batch, pa.Table):
        batch = batch.combine_chunks().to_batches()[0] if batch.num_rows else \
            pa.RecordBatch.from_pylist([], schema=batch.schema)
    present = [(c, p) for c, p in ADDRESS_COLUMNS if c in batch.schema.names]
    if not present:
        raise UsageError("flow-log records need a srcaddr or dstaddr field to be enriched")
    n = batch.num_rows
    columns = [_as_string(batch.column(c)) for c, _ in present]
    both = columns[0] if len(columns) == 1 else pa.concat_arrays(columns)
    encoded = both.dictionary_encode()  # nulls stay null indices: their labels come out null
    labels = classify(encoded.dictionary, ranges)
    arrays = list(batch.columns)
    names = list(batch.schema.names)
    for i, (_, prefix) in enumerate(present):
        rows = encoded.indices.slice(i * n, n)
        for name in LABELS:
            arrays.append(labels.column(name).chunk(0).take(rows))
            names.append(prefix + name)
    return pa.RecordBatch.from_arrays(arrays, names=names).replace_schema_metadata(
        batch.schema.metadata)


def _as_string(arr: Any) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return arr


def empty_schema(log_format: Any, ranges: Ranges) -> pa.Schema:
    """The columns enriched records of ``log_format`` (default: version 2) have, for outputs
    that must have a header even when no record was read."""
    from ..flowlogs.fields import DEFAULT_FIELDS, FIELDS, arrow_type
    from ..flowlogs.formats import parse_format

    fields = parse_format(log_format) if log_format else DEFAULT_FIELDS
    schema = pa.schema([(FIELDS[f].column, arrow_type(FIELDS[f].kind)) for f in fields])
    try:
        return enrich_batch(schema.empty_table(), ranges).schema
    except UsageError:
        return schema


class EnrichedFlowLogs:
    """Iterable (once) of enriched RecordBatches (see :func:`enrich_flow_logs`); ``stats`` are
    the records' counts, ``reader`` the FlowLogReader when files are read."""

    def __init__(self, records: Records, ranges: Ranges) -> None:
        self._records = records
        self.ranges = ranges

    @property
    def stats(self) -> FlowLogStats:
        """Counts (records, skipped, nodata, skipdata, files...), filled in as batches are
        produced."""
        return self._records.stats

    @property
    def reader(self) -> FlowLogReader | None:
        return self._records.reader

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        pieces = ordered_map(lambda table: enrich_batch(table, self.ranges),
                             self._records.tables(), first=lambda: bulk_index(self.ranges))
        for _, batch in pieces:
            yield batch


def enrich_flow_logs(source: Any, ranges: Ranges, options: ReaderOptions | None = None
                     ) -> EnrichedFlowLogs:
    """Flow-log records with ``src_``/``dst_`` ``aws, service, region, network_border_group,
    prefix`` columns, as a stream of pyarrow RecordBatches.

    ``source``: anything :func:`awsip.flowlogs.records.open_records` takes (paths,
    directories, globs, ``-``, ``s3://``, a list, a reader, Tables/RecordBatches). The result
    iterates once. Errors of the reader (a truncated gzip file, a bad line with ``strict``)
    are raised from the iteration. (:func:`awsip.enrich_flow_logs` is this with default ranges
    and the reader's keyword arguments.)
    """
    return EnrichedFlowLogs(open_records(source, options), ranges)


__all__ = ["ADDRESS_COLUMNS", "LABELS", "EnrichedFlowLogs", "empty_schema", "enrich_batch",
           "enrich_flow_logs"]
