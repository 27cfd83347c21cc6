"""Aggregate flow-log traffic by AWS service, region, peer, direction, time... (:func:`summarize`).

Each record is first turned into its peer view (:func:`awsip.traffic.peers.peer_view`: the peer
is the side of the flow outside the VPC, labelled by the one classification engine).

Memory: each batch the reader yields is enriched, grouped (:func:`group`, Acero's aggregate
node) and only the partial aggregate is kept; partials are merged whenever they grow, so memory
depends on the number of groups, not of records. In each batch the source and destination
columns are dictionary-encoded together and every distinct address is parsed and looked up
once (with the engine of :mod:`awsip.classification.engine`), not once per record.


Note that a byte crossing a NAT gateway appears on several records (see
:mod:`awsip.traffic.nat`); ``summarize`` counts records as logged, per interface. The NAT section
of a report counts each processed byte once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowutil import float_scalar, from_numpy
from ..flowlogs.options import ReaderOptions
from ..flowlogs.records import Records, open_records
from ..pipeline import ordered_map
from .peers import Context, columns_needed, normalize_keys, peer_view, traffic

if TYPE_CHECKING:
    from ..ranges.model import Ranges

_TS = pa.timestamp("s", tz="UTC")
_MERGE_ROWS = 250_000  # merge partial aggregates when they hold more rows than this
_MERGE_PARTS = 64


# --------------------------------------------------------------------- aggregation
#: (input column or None, aggregate function, output column) for a batch, then for merging.
_AGGS = [("bytes", "sum", "bytes"), ("packets", "sum", "packets"), (None, "count_all", "flows"),
         ("start", "min", "first_seen"), ("end", "max", "last_seen")]
_MERGE_AGGS = [("bytes", "sum", "bytes"), ("packets", "sum", "packets"),
               ("flows", "sum", "flows"), ("first_seen", "min", "first_seen"),
               ("last_seen", "max", "last_seen")]


def group(table: pa.Table, keys: Sequence[str],
          aggregates: Sequence[tuple[str | None, str, str]]) -> pa.Table:
    """``table`` grouped by ``keys``: one row per group, the keys then one column per
    ``(input column or None, function, output name)`` of ``aggregates``, on one thread.

    What ``Table.group_by(keys).aggregate(...)`` does, run as the same Acero plan without
    importing ``pyarrow.acero``, which imports ``pyarrow.dataset`` (~35 ms per process)."""
    try:
        from pyarrow._acero import AggregateNodeOptions, Declaration, TableSourceNodeOptions
    except ImportError:  # pragma: no cover - a pyarrow that moved them: the public path
        from pyarrow.acero import AggregateNodeOptions, Declaration, TableSourceNodeOptions
    prefix = "hash_" if keys else ""
    specs = [([] if column is None else [column], prefix + function, None, name)
             for column, function, name in aggregates]
    plan = Declaration.from_sequence([
        Declaration("table_source", TableSourceNodeOptions(table)),
        Declaration("aggregate", AggregateNodeOptions(specs, keys=list(keys))),
    ])
    return plan.to_table(use_threads=False).select(
        [*keys, *(name for _, _, name in aggregates)])


@dataclass
class Aggregator:
    """Streaming group-by: ``add`` enriched tables, ``result`` the merged summary."""

    keys: list[str]
    parts: list[pa.Table] = field(default_factory=list)
    rows: int = 0

    def add(self, t: pa.Table) -> None:
        if t.num_rows == 0:
            return
        self._take(group(t, self.keys, _AGGS))

    def _take(self, part: pa.Table) -> None:
        """Keep one partial group table, merging the parts when they grow."""
        self.parts.append(part)
        self.rows += part.num_rows
        if self.rows > _MERGE_ROWS or len(self.parts) > _MERGE_PARTS:
            self._merge()

    def merge(self, other: Aggregator) -> None:
        """Fold in ``other``'s partial groups (same keys): another partition's, in Spark."""
        for part in other.parts:
            self._take(part)

    def _merge(self) -> None:
        if len(self.parts) <= 1:
            return
        self.parts = [group(pa.concat_tables(self.parts), self.keys, _MERGE_AGGS)]
        self.rows = self.parts[0].num_rows

    def result(self) -> pa.Table:
        """The summary: group keys, bytes, packets, flows, first/last seen, share; biggest
        first (ties by key), one row per group."""
        self._merge()
        t = self.parts[0] if self.parts else empty_summary(self.keys)
        for i, f in enumerate(t.schema):
            if pa.types.is_dictionary(f.type):
                t = t.set_column(i, f.name, t.column(i).cast(f.type.value_type))
        total = pc.sum(t.column("bytes")).as_py() or 0
        share = pc.divide(t.column("bytes").cast(pa.float64()), float_scalar(total)) if total else \
            from_numpy(np.zeros(t.num_rows))
        t = t.append_column("share", share)
        order = [("bytes", "descending"), *[(k, "ascending") for k in self.keys]]
        if t.num_rows:
            t = t.sort_by(order)
        return t


def empty_summary(keys: Sequence[str]) -> pa.Table:
    """A summary with no rows (and, without keys, also no total row)."""
    types = {"hour": _TS, "day": pa.date32(), "port": pa.int32(), "local_port": pa.int32(),
             "protocol": pa.int32()}
    fields = [(k, types.get(k, pa.string())) for k in keys]
    fields += [("bytes", pa.int64()), ("packets", pa.int64()), ("flows", pa.int64()),
               ("first_seen", _TS), ("last_seen", _TS)]
    return pa.schema(fields).empty_table()


def peer_views(records: Records, ctx: Context, need: Iterable[str] | None = None,
               workers: int = 2) -> Iterator[tuple[pa.Table, pa.Table]]:
    """``(table, peer_view(table))`` for every table of ``records``, in order, up to
    ``workers`` at once in threads (parsing, hashing and lookups run outside the GIL)."""
    wanted = None if need is None else list(need)
    return ordered_map(lambda table: peer_view(table, ctx, wanted), records.tables(), workers,
                       first=lambda: ctx.index)  # built while reading starts


@dataclass(frozen=True)
class Viewed:
    """A table as read, its traffic rows (:func:`awsip.traffic.peers.traffic`, every column)
    and their peer view (row for row)."""

    table: pa.Table
    traffic: pa.Table
    view: pa.Table


def viewed(table: pa.Table, ctx: Context, need: list[str] | None) -> Viewed:
    """``table``'s traffic rows and their peer view, the rows filtered once (in a worker
    thread, by :func:`traffic_views` and Spark's tasks)."""
    rows = traffic(table)
    return Viewed(table, rows, peer_view(rows, ctx, need, rows_are_traffic=True))


def traffic_views(records: Records, ctx: Context, need: Iterable[str] | None = None,
                  workers: int = 2) -> Iterator[Viewed]:
    """:func:`viewed` of every table of ``records``, in order, up to ``workers`` at once in
    threads (what the report folds: the tables for what any record says, the traffic rows
    for its collectors, the views for its group-bys)."""
    wanted = None if need is None else list(need)
    for _, item in ordered_map(lambda table: viewed(table, ctx, wanted), records.tables(),
                               workers, first=lambda: ctx.index):
        yield item


def summarize(source: Any, ranges: Ranges, by: str | Iterable[str] | None = ("service", "region"),
              vpc_cidrs: Iterable[str] | None = None, options: ReaderOptions | None = None
              ) -> pa.Table:
    """Sum bytes, packets and flow records, with first and last seen, per group.

    ``source``: anything :func:`awsip.flowlogs.records.open_records` takes. ``by``: keys of
    :data:`~awsip.traffic.peers.GROUP_KEYS` (aliases such as ``peer_service`` accepted);
    empty for one total row. Returns an Arrow table (``.to_pandas()`` works), biggest groups
    first, with the columns ``<keys>, bytes, packets, flows, first_seen, last_seen, share``
    (share of all bytes counted). See :mod:`awsip.traffic.peers` for the peer and direction
    rules. (:func:`awsip.summarize` is this with default ranges and the reader's keywords.)
    """
    keys = normalize_keys(by)
    ctx = Context.build(ranges, vpc_cidrs)
    agg = Aggregator(keys)
    for _, table in peer_views(open_records(source, options, columns=columns_needed(keys)),
                               ctx, keys):
        agg.add(table)
    return agg.result()


def top(summary: pa.Table, n: int, by: str = "bytes") -> pa.Table:
    """The ``n`` biggest rows of a summary by ``by`` (bytes, packets or flows)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if summary.num_rows == 0:
        return summary
    return summary.sort_by([(by, "descending")]).slice(0, n)


__all__ = ["Aggregator", "Viewed", "empty_summary", "group", "peer_views", "summarize",
           "top", "traffic_views", "viewed"]
