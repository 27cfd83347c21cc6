"""The one path from a ``source`` argument to flow-log tables plus the reader's counts.

:func:`open_records` takes what every bulk function takes as ``source`` (paths, directories,
globs, ``-``, ``s3://``, a list of those, a :class:`~awsip.flowlogs.reader.FlowLogReader`, a
pyarrow Table or RecordBatch, or an iterable of them) and gives a :class:`Records`: whole parsed
blocks, read ahead in a thread, and a :class:`~awsip.flowlogs.reader.FlowLogStats` that counts
records given as tables the way the reader counts files (records, NODATA/SKIPDATA, the time
window), so enrichment, summaries and the report never care where records came from.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from ..errors import FlowLogError, UsageError
from ..pipeline import prefetch
from .options import ReaderOptions
from .reader import FlowLogReader, FlowLogStats, account, read_flow_logs


class Records:
    """Flow-log records as Arrow tables (iterate :meth:`tables` once) and their counts."""

    def __init__(self, tables: Iterable[pa.Table], stats: FlowLogStats,
                 reader: FlowLogReader | None = None) -> None:
        self._tables = tables
        self._started = False
        #: counts, filled in as tables are produced
        self.stats = stats
        #: the reader, when files are read (None for records given as tables)
        self.reader = reader

    def tables(self) -> Iterator[pa.Table]:
        """The records, one table per parsed block (files) or per given table/batch."""
        if self._started:
            raise FlowLogError("flow-log records can be iterated only once")
        self._started = True
        yield from self._tables


def is_path_source(source: Any) -> bool:
    """Whether ``source`` names files: a path, ``-``, ``s3://...``, or a non-empty list of them."""
    if isinstance(source, (str, os.PathLike)):
        return True
    return isinstance(source, (list, tuple)) and bool(source) and all(
        isinstance(s, (str, os.PathLike)) for s in source)


def open_records(source: Any, options: ReaderOptions | None = None, *,
                 columns: Iterable[str] | None = None, read_ahead: bool = True) -> Records:
    """:class:`Records` from any accepted ``source`` (see the module doc). ``columns``: the
    fields needed (files are read with only those; see
    :func:`~awsip.flowlogs.reader.read_flow_logs`). ``read_ahead``: decompress and parse in a
    background thread while the consumer works."""
    opts = options or ReaderOptions()
    if is_path_source(source):
        source = read_flow_logs(source, opts, columns=columns)
    if isinstance(source, FlowLogReader):
        tables = prefetch(source.tables()) if read_ahead else source.tables()
        return Records(tables, source.stats, source)
    if options is not None and (options.log_format is not None or options.region is not None
                                or options.endpoint_override is not None or options.strict):
        raise UsageError("log_format, strict, region and endpoint_override apply only when "
                         "files are read; these records are already tables")
    stats = FlowLogStats()
    return Records(_given(source, stats, opts), stats)


def _given(source: Any, stats: FlowLogStats, options: ReaderOptions) -> Iterator[pa.Table]:
    items = [source] if isinstance(source, (pa.Table, pa.RecordBatch)) else source
    files: set[bytes] = set()
    try:
        iterator = iter(items)
    except TypeError:
        raise UsageError(f"cannot read flow-log records from {type(source).__name__}: give "
                         "paths, a reader, or pyarrow Tables/RecordBatches") from None
    for item in iterator:
        if isinstance(item, pa.RecordBatch):
            item = pa.Table.from_batches([item])
        if not isinstance(item, pa.Table):
            raise UsageError(f"flow-log records must be pyarrow Tables or RecordBatches, not "
                             f"{type(item).__name__}")
        path = (item.schema.metadata or {}).get(b"awsip.file")
        if path is not None and path not in files:
            files.add(path)
            stats.files += 1
        table = account(item, stats, options)
        if table.num_rows:
            yield table


__all__ = ["Records", "is_path_source", "open_records"]
