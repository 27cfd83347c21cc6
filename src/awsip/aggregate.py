"""Aggregate flow-log traffic by AWS service, region, peer, direction, time... (:func:`summarize`).

Each record is turned into a *peer* view: the peer is the side of the flow outside the VPC.

Local (inside the VPC) addresses are private ones (RFC 1918 10/8, 172.16/12, 192.168/16;
RFC 6598 100.64/10; link-local 169.254/16 and fe80::/10; loopback 127/8 and ::1; IPv6 ULA
fc00::/7) and any address inside the ``vpc_cidrs`` the caller gives (needed for IPv6 VPCs, whose
addresses are public). **Direction**, relative to the VPC:

- both sides local: ``internal`` (the peer is the destination; its service is ``PRIVATE``);
- otherwise, where the record has ``flow_direction`` (relative to the logged interface):
  ``ingress`` means the source is the peer, ``egress`` the destination;
- otherwise from the addresses: local source and outside destination is ``egress``, the
  reverse ``ingress``; two outside addresses (an IPv6 VPC without ``vpc_cidrs``) is ``unknown``
  with the destination as peer.

The peer's service, region, border group and prefix come from :func:`awsip.classify` (the
primary service rule of :mod:`awsip.ranges`); a peer outside AWS is ``INTERNET``, a local peer
``PRIVATE`` (their region, border group and prefix are null). NODATA/SKIPDATA records and
records without addresses are never counted.

Memory: each batch the reader yields is enriched, grouped (:func:`group`, Acero's aggregate
node) and only the partial aggregate is kept; partials are merged whenever they grow, so memory
depends on the number of groups, not of records. In each batch the source and destination
columns are dictionary-encoded together and every distinct address is parsed and looked up
once (with :func:`awsip.classify`'s engine, :mod:`awsip.vindex`), not once per record.

Note that a byte crossing a NAT gateway appears on several records (see :mod:`awsip.advise`);
``summarize`` counts records as logged, per interface. The NAT section of a report counts
each processed byte once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .addr import parse_cidr
from .arrowutil import from_numpy, string_array, string_scalar
from .errors import UsageError
from .pipeline import ordered_map, prefetch

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from .ranges import Ranges

#: Group keys :func:`summarize` understands, in the order a result lists them.
GROUP_KEYS = (
    "service", "region", "network_border_group", "prefix", "peer", "direction",
    "interface_id", "local", "port", "local_port", "protocol", "action", "hour", "day",
)
#: Other spellings accepted for group keys.
ALIASES = {
    "peer_service": "service", "peer_region": "region", "nbg": "network_border_group",
    "peer_network_border_group": "network_border_group", "border_group": "network_border_group",
    "peer_prefix": "prefix", "peer_address": "peer", "peer_addr": "peer", "address": "peer",
    "ip": "peer", "interface": "interface_id", "eni": "interface_id",
    "local_address": "local", "local_addr": "local", "peer_port": "port", "dir": "direction",
}
#: Value columns of every summary, after the group keys.
VALUE_COLUMNS = ("bytes", "packets", "flows", "first_seen", "last_seen", "share")

PRIVATE, INTERNET = "PRIVATE", "INTERNET"
INGRESS, EGRESS, INTERNAL, UNKNOWN = "ingress", "egress", "internal", "unknown"

_LOCAL_V4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
             "169.254.0.0/16", "127.0.0.0/8")
_LOCAL_V6 = ("fc00::/7", "fe80::/10", "::1/128")
_TS = pa.timestamp("s", tz="UTC")
_MERGE_ROWS = 250_000  # merge partial aggregates when they hold more rows than this
_MERGE_PARTS = 64


def normalize_keys(by: str | Iterable[str] | None) -> list[str]:
    """Canonical group-key names for ``by`` (a list or a comma-separated string)."""
    if by is None:
        return []
    items = by.split(",") if isinstance(by, str) else list(by)
    keys: list[str] = []
    for item in items:
        name = item.strip().lower().replace("-", "_")
        if not name:
            continue
        name = ALIASES.get(name, name)
        if name not in GROUP_KEYS:
            raise UsageError(
                f"cannot group by {item!r}; choose from {', '.join(GROUP_KEYS)}")
        if name not in keys:
            keys.append(name)
    return keys


def parse_time(value: str | datetime | date | None, what: str = "time") -> datetime | None:
    """An aware UTC datetime from ISO-8601 text (``2026-03-21``, ``2026-03-21T06:00Z``), a
    datetime (naive means UTC) or a date; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(
                f"{what}: {value!r} is not an ISO-8601 time like 2026-03-21 or "
                "2026-03-21T06:00:00Z") from None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


# --------------------------------------------------------------------- local address test
@dataclass(frozen=True)
class LocalNets:
    """The networks counted as inside the VPC: the private ranges plus user CIDRs."""

    v4: tuple[tuple[int, int], ...]  # (network, mask)
    v6: tuple[tuple[int, int], ...]

    @classmethod
    def build(cls, vpc_cidrs: Iterable[str] | None = None) -> LocalNets:
        v4: list[tuple[int, int]] = []
        v6: list[tuple[int, int]] = []
        for text in (*_LOCAL_V4, *_LOCAL_V6, *(vpc_cidrs or ())):
            try:
                version, network, plen = parse_cidr(text.strip())
            except ValueError as exc:
                raise UsageError(f"vpc_cidrs: {exc}") from None
            bits = 32 if version == 4 else 128
            mask = ((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1)
            (v4 if version == 4 else v6).append((network, mask))
        return cls(tuple(v4), tuple(v6))

    def contains(self, addresses: pa.Array) -> NDArray[np.bool_]:
        """For each string address: inside one of the networks (invalid or null: False)."""
        from .vindex import parse_strings

        if isinstance(addresses, pa.ChunkedArray):
            addresses = addresses.combine_chunks()
        encoded = addresses.dictionary_encode()
        uniques = encoded.dictionary
        out = self.mask(parse_strings(uniques))
        indices = encoded.indices
        if indices.null_count:
            out = np.append(out, False)
            indices = indices.fill_null(len(uniques))
        result: NDArray[np.bool_] = out[indices.to_numpy(zero_copy_only=False)]
        return result

    def mask(self, parsed: Any) -> NDArray[np.bool_]:
        """The same test on addresses already parsed by :func:`awsip.vindex.parse_strings`."""
        out = np.zeros(len(parsed.version), dtype=bool)
        is4 = parsed.version == 4
        if is4.any():
            v = parsed.v4
            for network, mask in self.v4:
                out |= is4 & ((v & np.uint32(mask)) == np.uint32(network))
        is6 = parsed.version == 6
        if is6.any():
            hi, lo = parsed.hi, parsed.lo
            m64 = (1 << 64) - 1
            for network, mask in self.v6:
                out |= (is6 & ((hi & np.uint64(mask >> 64)) == np.uint64(network >> 64))
                        & ((lo & np.uint64(mask & m64)) == np.uint64(network & m64)))
        return out


# --------------------------------------------------------------------- per-batch enrichment
@dataclass
class Context:
    """What enrichment needs besides the batch (built once per run)."""

    ranges: Ranges
    local: LocalNets
    since: datetime | None = None
    until: datetime | None = None
    nat_enis: frozenset[str] = frozenset()
    nat_ips: frozenset[str] = frozenset()

    @classmethod
    def build(cls, ranges: Ranges | None = None, vpc_cidrs: Iterable[str] | None = None,
              since: str | datetime | date | None = None,
              until: str | datetime | date | None = None,
              nat_enis: Iterable[str] = (), nat_ips: Iterable[str] = ()) -> Context:
        if ranges is None:
            from .source import default_ranges

            ranges = default_ranges()
        if isinstance(vpc_cidrs, str):
            vpc_cidrs = [vpc_cidrs]
        return cls(ranges, LocalNets.build(vpc_cidrs), parse_time(since, "since"),
                   parse_time(until, "until"), frozenset(nat_enis), frozenset(nat_ips))


def _column(t: pa.Table, name: str, type_: Any) -> Any:
    if name in t.column_names:
        col = t.column(name)
        return col.cast(type_) if col.type != type_ else col
    return pa.nulls(t.num_rows, type_)


def columns_needed(keys: Iterable[str], *, nat: bool = False) -> frozenset[str]:
    """The flow-log columns :func:`enrich` reads for these group keys (with ``nat``: also what
    the NAT test needs); the reader converts only these."""
    keys = set(keys)
    used = {"srcaddr", "dstaddr", "bytes", "packets", "start", "end", "flow_direction",
            "log_status"}
    used |= keys & {"interface_id", "action", "protocol"}
    if nat:
        used |= {"interface_id", "action"}
    if keys & {"port", "local_port"}:
        used |= {"srcport", "dstport"}
    return frozenset(used)


def enrich(data: pa.Table | pa.RecordBatch, ctx: Context,
           need: Iterable[str] | None = None) -> pa.Table:
    """Traffic records of ``data`` with peer-view columns: the keys of :data:`GROUP_KEYS` named
    in ``need`` (default: all), ``bytes``, ``packets``, ``start``, ``end``, ``peer_local`` and
    ``nat`` (the record is a NAT gateway's public-facing leg; see :mod:`awsip.advise`).

    Both address columns are dictionary-encoded together and each distinct address is parsed
    once, for both the inside-the-VPC test and the AWS lookup (the engine of
    :func:`awsip.classify`, so the same primary service rule). The service, region, border
    group, prefix and direction columns come dictionary-encoded (the same values for every
    batch of a run), which is cheaper to build and to group; summaries hold plain strings."""
    from .vindex import bulk_index, parse_strings

    want = set(GROUP_KEYS if need is None else need)
    t = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    if "srcaddr" not in t.column_names or "dstaddr" not in t.column_names:
        raise UsageError("flow-log records need srcaddr and dstaddr fields to be summarized")
    keep = pc.and_(pc.is_valid(t.column("srcaddr")), pc.is_valid(t.column("dstaddr")))
    if "log_status" in t.column_names:
        status = t.column("log_status")
        keep = pc.and_(keep, pc.fill_null(pc.equal(status, string_scalar("OK")), True))
    if ctx.since is not None or ctx.until is not None:
        if "start" not in t.column_names:
            raise UsageError("since/until need the 'start' field in the flow logs")
        start = t.column("start")
        if start.type != _TS:
            start = start.cast(_TS)
        if ctx.since is not None:
            keep = pc.and_(keep, pc.fill_null(
                pc.greater_equal(start, pa.scalar(ctx.since, _TS)), False))
        if ctx.until is not None:
            keep = pc.and_(keep, pc.fill_null(pc.less(start, pa.scalar(ctx.until, _TS)), False))
    nat = bool(ctx.nat_enis or ctx.nat_ips)
    used = columns_needed(want, nat=nat) - {"log_status"}  # that one is in ``keep`` already
    t = t.select([c for c in t.column_names if c in used])  # filter only what is used
    if not pc.all(keep).as_py():
        t = t.filter(keep)
    n = t.num_rows
    src = _string_array(t.column("srcaddr"))
    dst = _string_array(t.column("dstaddr"))
    encoded = pa.concat_arrays([src, dst]).dictionary_encode()
    parsed = parse_strings(encoded.dictionary)
    local_u = ctx.local.mask(parsed)
    index = bulk_index(ctx.ranges)
    codes_u = np.zeros(len(local_u), dtype=np.int32)
    is4, is6 = parsed.version == 4, parsed.version == 6
    if is4.any():
        codes_u[is4] = index.lookup4(parsed.v4[is4])
    if is6.any():
        codes_u[is6] = index.lookup6(parsed.hi[is6], parsed.lo[is6])
    rows = encoded.indices.to_numpy(zero_copy_only=False)
    si, di = rows[:n], rows[n:]
    src_local, dst_local = local_u[si], local_u[di]
    both = src_local & dst_local
    peer_is_src = ~src_local & dst_local
    known = src_local ^ dst_local
    if "flow_direction" in t.column_names and n:
        fd = t.column("flow_direction").cast(pa.string())

        def is_(value: str) -> NDArray[np.bool_]:
            same = pc.fill_null(pc.equal(fd, string_scalar(value)), False)
            return np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)

        fd_in = is_("ingress") & ~both
        fd_out = is_("egress") & ~both
        peer_is_src = np.where(fd_in, True, np.where(fd_out, False, peer_is_src))
        known = known | fd_in | fd_out
    peer_u = np.where(peer_is_src, si, di)
    peer_local_np = local_u[peer_u]
    codes = codes_u[peer_u]
    aws = (codes != 0) & ~peer_local_np
    peer_local = from_numpy(peer_local_np)
    peer_src = from_numpy(peer_is_src)

    def label(name: str, outside: tuple[str, str] | None = None) -> Any:
        column = index.columns[name]
        dictionary = column.dictionary
        indices = column.codes[codes].astype(np.int32)
        if outside is None:  # not AWS: null
            arr = pa.DictionaryArray.from_arrays(from_numpy(indices, mask=~aws), dictionary)
        else:
            size = len(dictionary)
            indices = np.where(peer_local_np, size, np.where(aws, indices, size + 1))
            dictionary = pa.concat_arrays(
                [dictionary.cast(pa.string()), string_array(list(outside))])  # local, internet
            arr = pa.DictionaryArray.from_arrays(from_numpy(indices.astype(np.int32)), dictionary)
        return arr

    out: dict[str, Any] = {}
    if "service" in want:
        out["service"] = label("service", (PRIVATE, INTERNET))
    for name in ("region", "network_border_group", "prefix"):
        if name in want:
            out[name] = label(name)
    if "peer" in want:
        out["peer"] = pc.if_else(peer_src, src, dst)
    if "direction" in want:
        direction = np.where(both, 2, np.where(~known, 3, np.where(peer_is_src, 0, 1)))
        out["direction"] = pa.DictionaryArray.from_arrays(
            from_numpy(direction.astype(np.int8)),
            string_array([INGRESS, EGRESS, INTERNAL, UNKNOWN]))
    interface_id = _column(t, "interface_id", pa.string())
    if "interface_id" in want:
        out["interface_id"] = interface_id
    if "local" in want:
        out["local"] = pc.if_else(peer_src, dst, src)
    if want & {"port", "local_port"}:
        srcport = _column(t, "srcport", pa.int32())
        dstport = _column(t, "dstport", pa.int32())
        if "port" in want:
            out["port"] = pc.if_else(peer_src, srcport, dstport)
        if "local_port" in want:
            out["local_port"] = pc.if_else(peer_src, dstport, srcport)
    if "protocol" in want:
        out["protocol"] = _column(t, "protocol", pa.int32())
    action = _column(t, "action", pa.string())
    if "action" in want:
        out["action"] = action
    start = _column(t, "start", _TS)
    if "hour" in want:
        out["hour"] = pc.floor_temporal(start, unit="hour")
    if "day" in want:
        out["day"] = pc.floor_temporal(start, unit="day").cast(pa.date32()) if n \
            else pa.array([], pa.date32())
    out["bytes"] = pc.fill_null(_column(t, "bytes", pa.int64()), 0)
    out["packets"] = pc.fill_null(_column(t, "packets", pa.int64()), 0)
    out["start"] = start
    out["end"] = _column(t, "end", _TS)
    out["peer_local"] = peer_local
    out["nat"] = nat_mask(interface_id, src, dst, peer_local, ctx, action) if nat \
        else from_numpy(np.zeros(n, dtype=bool))
    return pa.table(out)


def _string_array(column: Any) -> pa.Array:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return arr


def nat_mask(interface_id: Any, src: Any, dst: Any, peer_local: Any, ctx: Context,
             action: Any = None) -> Any:
    """Records that are a NAT gateway's public-facing leg: on a NAT ENI, or involving a NAT
    IP, with a public peer; REJECTed records are left out (dropped, not processed)."""
    n = len(peer_local)
    if not ctx.nat_enis and not ctx.nat_ips:
        return from_numpy(np.zeros(n, dtype=bool))
    on_nat = from_numpy(np.zeros(n, dtype=bool))
    if ctx.nat_enis:
        on_nat = pc.fill_null(pc.is_in(interface_id, string_array(sorted(ctx.nat_enis))), False)
    if ctx.nat_ips:
        ips = string_array(sorted(ctx.nat_ips))
        involves = pc.or_(pc.is_in(src, ips), pc.is_in(dst, ips))
        on_nat = pc.or_(on_nat, involves)
    nat = pc.and_(on_nat, pc.invert(peer_local))
    if action is not None:  # a rejected packet was dropped, not processed by the NAT
        nat = pc.and_(nat, pc.fill_null(pc.not_equal(action, string_scalar("REJECT")), True))
    return nat


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
        part = group(t, self.keys, _AGGS)
        self.parts.append(part)
        self.rows += part.num_rows
        if self.rows > _MERGE_ROWS or len(self.parts) > _MERGE_PARTS:
            self._merge()

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
        share = pc.divide(t.column("bytes").cast(pa.float64()), float(total)) if total else \
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


def batches_of(source: Any, *, format: Any = None, progress: bool | None = None,
               reader_out: list[Any] | None = None, columns: Iterable[str] | None = None,
               ) -> Iterator[pa.RecordBatch | pa.Table]:
    """Batches from a path/list of paths (read with :func:`awsip.read_flow_logs`, only
    ``columns`` when given), a FlowLogReader, a Table, a RecordBatch or an iterable of
    batches/tables."""
    if isinstance(source, (pa.Table, pa.RecordBatch)):
        yield source
        return
    if isinstance(source, (str, os.PathLike)) or (
            isinstance(source, (list, tuple)) and source
            and all(isinstance(s, (str, os.PathLike)) for s in source)):
        from .flowlogs import read_flow_logs

        source = read_flow_logs(source, format=format, progress=progress, columns=columns)
    if reader_out is not None and hasattr(source, "stats"):
        reader_out.append(source)
    if hasattr(source, "tables"):  # a reader: decompress and parse ahead while we aggregate,
        yield from prefetch(source.tables())  # a whole parsed block at a time
    else:
        yield from source


def enrich_all(batches: Iterable[Any], ctx: Context, need: Iterable[str] | None = None,
               workers: int = 2) -> Iterator[tuple[Any, pa.Table]]:
    """``(batch, enrich(batch))`` in input order, enriching up to ``workers`` batches at once
    in threads (parsing, hashing and lookups run outside the GIL)."""
    from .vindex import bulk_index

    wanted = None if need is None else list(need)
    return ordered_map(lambda batch: enrich(batch, ctx, wanted), batches, workers,
                       first=lambda: bulk_index(ctx.ranges))  # built while reading starts


def summarize(
    source: Any,
    by: str | Iterable[str] | None = ("service", "region"),
    ranges: Ranges | None = None,
    vpc_cidrs: Iterable[str] | None = None,
    since: str | datetime | date | None = None,
    until: str | datetime | date | None = None,
    *,
    format: Any = None,
    progress: bool | None = None,
) -> pa.Table:
    """Sum bytes, packets and flow records, with first and last seen, per group.

    ``source``: flow-log path(s) (anything :func:`awsip.read_flow_logs` takes), a reader, or
    pyarrow Tables/RecordBatches with the reader's column names. ``by``: keys of
    :data:`GROUP_KEYS` (aliases such as ``peer_service`` accepted); empty for one total row.
    ``since``/``until``: keep records whose ``start`` is in ``[since, until)`` (UTC).
    Returns an Arrow table (``.to_pandas()`` works), biggest groups first, with the columns
    ``<keys>, bytes, packets, flows, first_seen, last_seen, share`` (share of all bytes
    counted). See the module doc for the peer and direction rules.
    """
    keys = normalize_keys(by)
    ctx = Context.build(ranges, vpc_cidrs, since, until)
    agg = Aggregator(keys)
    batches = batches_of(source, format=format, progress=progress, columns=columns_needed(keys))
    for _, table in enrich_all(batches, ctx, keys):
        agg.add(table)
    return agg.result()


def top(summary: pa.Table, n: int, by: str = "bytes") -> pa.Table:
    """The ``n`` biggest rows of a summary by ``by`` (bytes, packets or flows)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if summary.num_rows == 0:
        return summary
    return summary.sort_by([(by, "descending")]).slice(0, n)


__all__ = ["ALIASES", "GROUP_KEYS", "LocalNets", "columns_needed", "enrich", "normalize_keys",
           "parse_time", "summarize", "top"]
