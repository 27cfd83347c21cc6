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

From flow-log files, one batch comes out per block the reader parses (~75,000 records; see
``FlowLogReader.tables``), read ahead in a thread and enriched two at a time in threads. In each
batch the source and destination columns are dictionary-encoded together and only the distinct
addresses go through :func:`awsip.bulk.classify`; the labels are then gathered per row. A few
blocks are held at a time, so memory does not grow with the input.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .errors import UsageError

if TYPE_CHECKING:
    from .flowlogs import FlowLogReader, FlowLogStats
    from .ranges import Ranges

#: Columns added per address, after the prefix (``src_`` / ``dst_``).
LABELS = ("aws", "service", "region", "network_border_group", "prefix")
#: (address column, prefix of its added columns).
ADDRESS_COLUMNS = (("srcaddr", "src_"), ("dstaddr", "dst_"))


def enrich_batch(batch: pa.RecordBatch | pa.Table, ranges: Ranges) -> pa.RecordBatch:
    """``batch`` with the ``src_*``/``dst_*`` label columns appended (see the module doc).

    Raises UsageError when the batch has neither ``srcaddr`` nor ``dstaddr``."""
    from .bulk import classify

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


class EnrichedFlowLogs:
    """Iterable of enriched RecordBatches (see :func:`enrich_flow_logs`); ``stats`` and
    ``reader`` are the underlying :class:`~awsip.flowlogs.FlowLogReader`'s (None when the
    input was batches, not a reader)."""

    def __init__(self, batches: Any, ranges: Ranges, reader: FlowLogReader | None) -> None:
        self._batches = batches
        self.ranges = ranges
        self.reader = reader

    @property
    def stats(self) -> FlowLogStats | None:
        """The reader's counts (records, skipped, nodata, skipdata, files...), filled in as
        batches are produced."""
        return None if self.reader is None else self.reader.stats

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        from .pipeline import ordered_map, prefetch
        from .vindex import bulk_index

        if self.reader is not None:  # whole parsed blocks, read ahead, two enriched at a time
            pieces = ordered_map(lambda table: enrich_batch(table, self.ranges),
                                 prefetch(self.reader.tables()),
                                 first=lambda: bulk_index(self.ranges))
            for _, batch in pieces:
                yield batch
            return
        bulk_index(self.ranges)  # build the lookup tables once, before the first batch
        for item in self._batches:
            if isinstance(item, pa.Table):
                for batch in item.to_batches():
                    yield enrich_batch(batch, self.ranges)
            else:
                yield enrich_batch(item, self.ranges)


def enrich_flow_logs(source: Any, ranges: Ranges | None = None,
                     **reader_options: Any) -> EnrichedFlowLogs:
    """Flow-log records with ``src_``/``dst_`` ``aws, service, region, network_border_group,
    prefix`` columns, as a stream of pyarrow RecordBatches.

    ``source``: anything :func:`awsip.read_flow_logs` takes (path, directory, glob, ``-``,
    ``s3://``, a list), together with its ``reader_options`` (``format``, ``strict``,
    ``progress``, ``region``, ``endpoint_override``, ``use_threads``); or a FlowLogReader; or a
    Table, RecordBatch or iterable of them with the reader's column names. ``ranges`` defaults
    to :func:`awsip.default_ranges`. The result iterates once; its ``stats`` are the reader's.
    Errors of the reader (a truncated gzip file, a bad line with ``strict=True``) are raised
    from the iteration.
    """
    if ranges is None:
        from .source import default_ranges

        ranges = default_ranges()
    reader: FlowLogReader | None = None
    batches: Iterable[Any]
    opened = False
    if isinstance(source, (pa.Table, pa.RecordBatch)):
        batches = [source]
    elif isinstance(source, (str, os.PathLike)) or (
            isinstance(source, (list, tuple)) and source
            and all(isinstance(s, (str, os.PathLike)) for s in source)):
        from .flowlogs import read_flow_logs

        reader = read_flow_logs(source, **reader_options)
        batches = reader
        opened = True
    elif hasattr(source, "stats"):
        reader = source
        batches = source
    else:
        batches = source
    if reader_options and not opened:
        raise UsageError("reader options apply only when enrich_flow_logs opens the files")
    return EnrichedFlowLogs(batches, ranges, reader)


__all__ = ["ADDRESS_COLUMNS", "LABELS", "EnrichedFlowLogs", "enrich_batch", "enrich_flow_logs"]
