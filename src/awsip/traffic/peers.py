"""The peer view of flow-log records: which side is outside the VPC, which way the bytes go,
and what AWS service and region the peer is (:func:`peer_view`), for summaries and the report.

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
primary service rule of :mod:`awsip.ranges.model`); a peer outside AWS is ``INTERNET``, a local peer
``PRIVATE`` (their region, border group and prefix are null). NODATA/SKIPDATA records and
records without addresses are never counted.

Note that a byte crossing a NAT gateway appears on several records (see :mod:`awsip.traffic.nat`);
``summarize`` counts records as logged, per interface. The NAT section of a report counts
each processed byte once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..addr import netmask, parse_cidr
from ..arrowutil import (
    bool_scalar,
    from_numpy,
    int_scalar,
    numpy_bools,
    numpy_ints,
    string_array,
    string_scalar,
)
from ..classification.engine import label_codes
from ..errors import UsageError
from ..index.bulk import BulkIndex, bulk_index
from .nat import NO_NAT, NatSpec, nat_mask

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..addr.columns import Parsed
    from ..ranges.model import Ranges

#: Group keys :func:`awsip.summarize` understands, in the order a result lists them.
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
        if name not in GROUP_KEYS and name not in field_keys():
            raise UsageError(
                f"cannot group by {item!r}; choose from {', '.join(GROUP_KEYS)}, or a "
                "flow-log field (subnet_id, az_id, instance_id, pkt_dstaddr, ...)")
        if name not in keys:
            keys.append(name)
    return keys


@lru_cache(maxsize=1)
def field_keys() -> frozenset[str]:
    """Flow-log fields (Arrow column names) usable as group keys besides :data:`GROUP_KEYS`:
    every field of the catalogue but the summed ones, taken from the record as logged (issue
    13: ``--by subnet_id,az_id,instance_id``; for a NAT's inside sources see ``nat.by_inside``)."""
    from ..flowlogs.fields import FIELDS

    summed = {"bytes", "packets", "start", "end"}
    return frozenset(f.column for f in FIELDS.values()) - summed - set(GROUP_KEYS)


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
            (v4 if version == 4 else v6).append((network, netmask(version, plen)))
        return cls(tuple(v4), tuple(v6))

    def contains(self, addresses: pa.Array) -> NDArray[np.bool_]:
        """For each string address: inside one of the networks (invalid or null: False)."""
        from ..addr.columns import parse_strings

        if isinstance(addresses, pa.ChunkedArray):
            addresses = addresses.combine_chunks()
        encoded = addresses.dictionary_encode()
        uniques = encoded.dictionary
        out = self.mask(parse_strings(uniques))
        indices = encoded.indices
        if indices.null_count:
            out = np.append(out, False)
            indices = indices.fill_null(len(uniques))
        result: NDArray[np.bool_] = out[numpy_ints(indices)]
        return result

    def mask(self, parsed: Parsed) -> NDArray[np.bool_]:
        """The same test on addresses already parsed by
        :func:`awsip.addr.columns.parse_strings`."""
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


# --------------------------------------------------------------------- per-batch peer view
@dataclass(frozen=True)
class Context:
    """What the peer view needs besides the records (built once per run)."""

    ranges: Ranges
    local: LocalNets
    nat: NatSpec = NO_NAT

    @classmethod
    def build(cls, ranges: Ranges, vpc_cidrs: Iterable[str] | str | None = None,
              nat: NatSpec | None = None) -> Context:
        if isinstance(vpc_cidrs, str):
            vpc_cidrs = [vpc_cidrs]
        return cls(ranges, LocalNets.build(vpc_cidrs), nat or NatSpec())

    @property
    def index(self) -> BulkIndex:
        return bulk_index(self.ranges)


def columns_needed(keys: Iterable[str], *, nat: bool = False) -> frozenset[str]:
    """The flow-log columns :func:`peer_view` reads for these group keys (with ``nat``: also
    what the NAT test needs); the reader converts only these."""
    keys = set(keys)
    used = {"srcaddr", "dstaddr", "bytes", "packets", "start", "end", "flow_direction",
            "log_status"}
    used |= keys & {"interface_id", "action", "protocol"}
    if nat:
        used |= {"interface_id", "action"}
    if keys & {"port", "local_port"}:
        used |= {"srcport", "dstport"}
    used |= keys & field_keys()
    return frozenset(used)


@dataclass
class _Sides:
    """Per row: which side is the peer, where it is, and the peer's label code."""

    src: pa.Array
    dst: pa.Array
    peer_is_src: NDArray[np.bool_]
    peer_local: NDArray[np.bool_]
    both_local: NDArray[np.bool_]
    known: NDArray[np.bool_]
    codes: NDArray[np.int32]

    @property
    def aws(self) -> NDArray[np.bool_]:
        aws: NDArray[np.bool_] = (self.codes != 0) & ~self.peer_local
        return aws


#: Columns of every peer view besides the group keys asked for.
_ALWAYS = frozenset({"bytes", "packets", "start", "end", "peer_local", "nat"})


def peer_view(data: pa.Table | pa.RecordBatch, ctx: Context,
              need: Iterable[str] | None = None, *, rows_are_traffic: bool = False) -> pa.Table:
    """Traffic records of ``data`` with peer-view columns: the keys of :data:`GROUP_KEYS` named
    in ``need`` (default: all), ``bytes``, ``packets``, ``start``, ``end``, ``peer_local`` and
    ``nat`` (the record is a NAT gateway's public-facing leg; see :mod:`awsip.traffic.nat`).

    Both address columns are dictionary-encoded together and each distinct address is parsed
    once, for both the inside-the-VPC test and the AWS lookup (the one engine,
    :func:`awsip.classification.engine.label_codes`, so the same primary service rule). The
    service, region, border group, prefix and direction columns come dictionary-encoded (the
    same values for every batch of a run), which is cheaper to build and to group; summaries
    hold plain strings. ``rows_are_traffic``: ``data`` is :func:`traffic`'s result already
    (the rule is not applied again)."""
    want = set(GROUP_KEYS if need is None else need)
    t = _traffic_rows(data, want, nat=bool(ctx.nat), checked=rows_are_traffic)
    sides = _sides(t, ctx)
    out = _label_columns(sides, ctx.index, want)
    out.update(_record_columns(t, sides, want))
    for name in want & field_keys():  # flow-log fields as logged (null when not logged)
        out[name] = t.column(name) if name in t.column_names else pa.nulls(t.num_rows,
                                                                          pa.string())
    out["peer_local"] = from_numpy(sides.peer_local)
    if ctx.nat:
        out["nat"] = nat_mask(out["interface_id"], sides.src, sides.dst, out["peer_local"],
                              ctx.nat, out["action"])
    else:
        out["nat"] = from_numpy(np.zeros(t.num_rows, dtype=bool))
    return pa.table({k: v for k, v in out.items() if k in want or k in _ALWAYS})


def _traffic_rows(data: pa.Table | pa.RecordBatch, want: set[str], *, nat: bool,
                  checked: bool = False) -> pa.Table:
    """The records that are traffic (:func:`traffic`; ``checked``: they are already), only
    the columns used."""
    t = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    used = columns_needed(want, nat=nat) - {"log_status"}  # that one is in the rule already
    columns = [c for c in t.column_names if c in used]
    return t.select(columns) if checked else traffic(t, columns)  # filter only what is used


def traffic(table: pa.Table, columns: list[str] | None = None) -> pa.Table:
    """The rows of ``table`` that are traffic: both addresses present, ``log_status`` OK or
    not logged (NODATA/SKIPDATA rows carry no flow); ``columns``: only these (default all).
    The one rule of the peer view and of the report's collectors."""
    names = table.column_names
    if "srcaddr" not in names or "dstaddr" not in names:
        raise UsageError("flow-log records need srcaddr and dstaddr fields to be summarized")
    keep = pc.and_(pc.is_valid(table.column("srcaddr")), pc.is_valid(table.column("dstaddr")))
    if "log_status" in names:
        keep = pc.and_(keep, pc.fill_null(pc.equal(table.column("log_status"),
                                                   string_scalar("OK")), bool_scalar(True)))
    t = table if columns is None else table.select(columns)
    return t if pc.all(keep).as_py() else t.filter(keep)


def _sides(t: pa.Table, ctx: Context) -> _Sides:
    """Locality of both addresses, the peer side (``flow_direction`` when logged, else the
    addresses) and the peer's label code, from each distinct address parsed once."""
    n = t.num_rows
    src = _string_array(t.column("srcaddr"))
    dst = _string_array(t.column("dstaddr"))
    encoded = pa.concat_arrays([src, dst]).dictionary_encode()
    parsed, codes_u = label_codes(encoded.dictionary, ctx.index)
    local_u = ctx.local.mask(parsed)
    rows = numpy_ints(encoded.indices)
    si, di = rows[:n], rows[n:]
    src_local, dst_local = local_u[si], local_u[di]
    both = src_local & dst_local
    peer_is_src = ~src_local & dst_local
    known = src_local ^ dst_local
    if "flow_direction" in t.column_names and n:
        fd = t.column("flow_direction").cast(pa.string())

        def is_(value: str) -> NDArray[np.bool_]:
            same: NDArray[np.bool_] = numpy_bools(pc.equal(fd, string_scalar(value)))
            return same  # null: False

        fd_in = is_("ingress") & ~both
        fd_out = is_("egress") & ~both
        peer_is_src = np.where(fd_in, True, np.where(fd_out, False, peer_is_src))
        known = known | fd_in | fd_out
    peer_u = np.where(peer_is_src, si, di)
    return _Sides(src, dst, peer_is_src, local_u[peer_u], both, known, codes_u[peer_u])


def _label_columns(sides: _Sides, index: BulkIndex, want: set[str]) -> dict[str, Any]:
    """service (PRIVATE / INTERNET outside AWS), region, border group, prefix and direction."""
    aws = sides.aws

    def label(name: str, outside: tuple[str, str] | None = None) -> Any:
        column = index.columns[name]
        dictionary = column.dictionary
        indices = column.codes[sides.codes].astype(np.int32)
        if outside is None:  # not AWS: null
            return pa.DictionaryArray.from_arrays(from_numpy(indices, mask=~aws), dictionary)
        size = len(dictionary)
        indices = np.where(sides.peer_local, size, np.where(aws, indices, size + 1))
        dictionary = pa.concat_arrays(
            [dictionary.cast(pa.string()), string_array(list(outside))])  # local, internet
        return pa.DictionaryArray.from_arrays(from_numpy(indices.astype(np.int32)), dictionary)

    out: dict[str, Any] = {}
    if "service" in want:
        out["service"] = label("service", (PRIVATE, INTERNET))
    for name in ("region", "network_border_group", "prefix"):
        if name in want:
            out[name] = label(name)
    if "direction" in want:
        direction = np.where(sides.both_local, 2, np.where(
            ~sides.known, 3, np.where(sides.peer_is_src, 0, 1)))
        out["direction"] = pa.DictionaryArray.from_arrays(
            from_numpy(direction.astype(np.int8)),
            string_array([INGRESS, EGRESS, INTERNAL, UNKNOWN]))
    return out


def _record_columns(t: pa.Table, sides: _Sides, want: set[str]) -> dict[str, Any]:
    """Peer and local address and port, the record's own fields, time buckets and counts."""
    peer_src = from_numpy(sides.peer_is_src)
    out: dict[str, Any] = {}
    if "peer" in want:
        out["peer"] = pc.if_else(peer_src, sides.src, sides.dst)
    if "local" in want:
        out["local"] = pc.if_else(peer_src, sides.dst, sides.src)
    if want & {"port", "local_port"}:
        srcport = _column(t, "srcport", pa.int32())
        dstport = _column(t, "dstport", pa.int32())
        out["port"] = pc.if_else(peer_src, srcport, dstport)
        out["local_port"] = pc.if_else(peer_src, dstport, srcport)
    out["interface_id"] = _column(t, "interface_id", pa.string())
    out["action"] = _column(t, "action", pa.string())
    if "protocol" in want:
        out["protocol"] = _column(t, "protocol", pa.int32())
    start = _column(t, "start", _TS)
    if "hour" in want:
        out["hour"] = pc.floor_temporal(start, unit="hour")
    if "day" in want:
        out["day"] = pc.floor_temporal(start, unit="day").cast(pa.date32()) if t.num_rows \
            else pa.nulls(0, pa.date32())
    out["bytes"] = pc.fill_null(_column(t, "bytes", pa.int64()), int_scalar(0))
    out["packets"] = pc.fill_null(_column(t, "packets", pa.int64()), int_scalar(0))
    out["start"] = start
    out["end"] = _column(t, "end", _TS)
    return out


def _column(t: pa.Table, name: str, type_: Any) -> Any:
    if name in t.column_names:
        col = t.column(name)
        return col.cast(type_) if col.type != type_ else col
    return pa.nulls(t.num_rows, type_)


def _string_array(column: Any) -> pa.Array:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return arr


__all__ = ["ALIASES", "GROUP_KEYS", "INTERNET", "PRIVATE", "VALUE_COLUMNS", "Context",
           "LocalNets", "columns_needed", "field_keys", "normalize_keys", "peer_view", "traffic"]
