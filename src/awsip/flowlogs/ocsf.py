"""Amazon Security Lake's VPC flow records: OCSF "Network Activity" rows in Parquet, mapped back
onto the flow-log catalogue's columns.

Security Lake stores VPC flow logs normalised to OCSF, class 4001 "Network Activity": source
version 1 in OCSF 1.0.0-rc.2, source version 2 in OCSF 1.1.0 ("VPC Flow Logs in Security Lake",
https://docs.aws.amazon.com/security-lake/latest/userguide/vpc-flow-logs.html, which points at
the mappings in github.com/ocsf/examples, ``mappings/markdown/AWS/v1.0.0-rc.2/VPC Flowlogs`` and
``.../v1.1.0/VPC Flowlogs``; the boundary numbers are those of
``mappings/dataprepper/AWS/v1.1.0/VPC Flow/pipeline.yaml``). This module inverts that mapping:

==========================  ===============================================================
catalogue column            OCSF (first present, row by row)
==========================  ===============================================================
version                     ``metadata.product.version``
account_id                  ``cloud.account.uid`` (1.1.0), ``cloud.account_uid`` (rc.2)
region, az_id               ``cloud.region``, ``cloud.zone``
srcaddr / dstaddr           ``*_endpoint.intermediate_ips[0]``, else ``*_endpoint.ip``
pkt_srcaddr / pkt_dstaddr   ``*_endpoint.ip`` (the mapping puts the packet address there when
                            it differs from ``srcaddr``/``dstaddr``, and the address itself
                            when they are equal)
srcport, dstport            ``src_endpoint.port``, ``dst_endpoint.port``
protocol, tcp_flags, type   ``connection_info.protocol_num``, ``.tcp_flags``, ``.protocol_ver``
packets, bytes              ``traffic.packets``, ``traffic.bytes``
start                       ``start_time`` (ms), ``start_time_dt`` (timestamp), ``time`` (ms)
end                         ``end_time`` (ms), ``end_time_dt`` (timestamp)
action                      ``action_id`` 1/2, ``action`` Allowed/Denied, ``disposition_id``
                            1/2, ``disposition`` Allowed/Blocked, ``activity_id`` 6 Traffic /
                            5 Refuse → ACCEPT / REJECT
log_status                  ``status_code``
flow_direction              ``connection_info.direction_id`` 1/2, ``.direction``
                            Inbound/Outbound → ingress / egress
traffic_path                ``connection_info.boundary_id`` 4-11 → 1-8
pkt_src/dst_aws_service     ``src_endpoint.svc_name``, ``dst_endpoint.svc_name``
interface_id, vpc_id,       ``dst_endpoint.*_uid`` for ingress, ``src_endpoint.*_uid`` for
instance_id, subnet_id      egress (the other side when that one is empty)
others (sublocation_*, …)   a key of the ``unmapped`` map that is a catalogue column
==========================  ===============================================================

A file is OCSF when its schema has ``class_uid`` and a struct ``src_endpoint`` or
``dst_endpoint``. A row whose ``class_uid`` is not 4001 is skipped with its row number. The
values then go through the same rules as any Parquet delivery (:mod:`.parquet`): ``-`` is null,
numbers must fit their type, addresses must look like addresses, times lie in 1970-9999.
OCSF times are epoch milliseconds by definition, so they are not counted as
``millisecond_times`` (that count is for logs whose unit had to be guessed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import FlowLogError
from .fields import FIELDS

if TYPE_CHECKING:
    import pyarrow as pa

NETWORK_ACTIVITY = 4001
"""OCSF ``class_uid`` of Network Activity, the class Security Lake's VPC flow records have."""

_ACTION_IDS = {1: "ACCEPT", 2: "REJECT"}  # action_id (1.1.0) and disposition_id (both)
_ACTION_TEXT = {"allowed": "ACCEPT", "denied": "REJECT", "blocked": "REJECT",
                "accept": "ACCEPT", "reject": "REJECT"}
_ACTIVITY_IDS = {6: "ACCEPT", 5: "REJECT"}  # 6 Traffic, 5 Refuse
_DIRECTION_IDS = {1: "ingress", 2: "egress"}  # 1 Inbound, 2 Outbound
_DIRECTION_TEXT = {"inbound": "ingress", "outbound": "egress"}
_BOUNDARY_IDS = {b: b - 3 for b in range(4, 12)}  # boundary_id 4..11 = traffic-path 1..8
_ENDPOINT_IDS = (("interface_id", "interface_uid"), ("vpc_id", "vpc_uid"),
                 ("instance_id", "instance_uid"), ("subnet_id", "subnet_uid"))
_SIMPLE: dict[str, tuple[str, ...]] = {
    "version": ("metadata.product.version",),
    "account_id": ("cloud.account.uid", "cloud.account_uid"),
    "region": ("cloud.region",),
    "az_id": ("cloud.zone",),
    "srcport": ("src_endpoint.port",),
    "dstport": ("dst_endpoint.port",),
    "protocol": ("connection_info.protocol_num",),
    "packets": ("traffic.packets",),
    "bytes": ("traffic.bytes",),
    "tcp_flags": ("connection_info.tcp_flags",),
    "type": ("connection_info.protocol_ver",),
    "log_status": ("status_code",),
    "pkt_src_aws_service": ("src_endpoint.svc_name",),
    "pkt_dst_aws_service": ("dst_endpoint.svc_name",),
}
_TIMES = {"start": ("start_time", "start_time_dt", "time"), "end": ("end_time", "end_time_dt")}
_USED_TOP = frozenset({"metadata", "cloud", "src_endpoint", "dst_endpoint", "connection_info",
                       "traffic", "status_code", "start_time", "start_time_dt", "time",
                       "end_time", "end_time_dt", "action_id", "action", "disposition_id",
                       "disposition", "activity_id", "class_uid", "unmapped"})
_ORDER = {f.column: i for i, f in enumerate(FIELDS.values())}

#: (mask of bad rows, values shown for them, why one is bad) as parquet.canonical_batch takes
Check = tuple[Any, Any, Callable[[Any], str]]


def is_ocsf(schema: pa.Schema) -> bool:
    """Whether a Parquet schema is OCSF-shaped: ``class_uid`` and a struct endpoint."""
    import pyarrow as pa

    names = set(schema.names)
    return "class_uid" in names and any(
        n in names and pa.types.is_struct(schema.field(n).type)
        for n in ("src_endpoint", "dst_endpoint"))


@dataclass
class OcsfLayout:
    """How one OCSF file's rows become catalogue columns, decided from its schema and, for the
    ``unmapped`` map, from the keys :meth:`learn_keys` was shown (every row of the file, so
    every batch has the same columns)."""

    path: str
    read: list[str]  # the top-level columns used
    ignored: list[str]  # top-level columns left out, then ``unmapped.KEY`` for keys
    has_unmapped_map: bool = False  # an ``unmapped`` column of a map type: keys to learn
    unmapped_keys: list[str] = field(default_factory=list)

    def learn_keys(self, values: pa.Array) -> None:
        """Take note of the keys of an ``unmapped`` map array: catalogue fields become columns,
        the others are listed as ignored (``unmapped.KEY``)."""
        for key in _map_keys(values):
            if _catalogued(key) is not None:
                if key not in self.unmapped_keys:
                    self.unmapped_keys.append(key)
            elif f"unmapped.{key}" not in self.ignored:
                self.ignored.append(f"unmapped.{key}")

    def flatten(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, list[Check]]:
        """``batch`` as flat catalogue-named columns (values not yet checked or typed) and
        the check that every row is Network Activity."""
        import pyarrow as pa

        columns: dict[str, pa.Array] = {}
        for column, paths in _SIMPLE.items():
            _put(columns, column, _first(batch, paths))
        _put(columns, "action", _action(batch))
        _put(columns, "flow_direction", _direction(batch))
        _put(columns, "traffic_path", _lookup(_get(batch, "connection_info.boundary_id"),
                                              _BOUNDARY_IDS, pa.int32()))
        for column, paths in _TIMES.items():
            _put(columns, column, _time(batch, paths))
        _addresses(batch, columns)
        _endpoint_ids(batch, columns)
        self._unmapped(batch, columns)
        names = sorted(columns, key=lambda c: _ORDER.get(c, len(_ORDER)))
        flat = pa.RecordBatch.from_arrays([columns[n] for n in names], names=names) \
            if names else batch.select([])
        return flat, _class_check(batch)

    def _unmapped(self, batch: pa.RecordBatch, columns: dict[str, pa.Array]) -> None:
        """Catalogue fields carried in the ``unmapped`` map (``sublocation_id`` ...)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if not self.has_unmapped_map:
            return
        values = batch.column("unmapped")
        for key in self.unmapped_keys:
            column = _catalogued(key)
            if column is not None and column not in columns:  # a mapped path wins
                columns[column] = pc.map_lookup(values, pa.scalar(key, values.type.key_type),
                                                "first")


def layout(schema: pa.Schema, path: str) -> OcsfLayout:
    """The :class:`OcsfLayout` of an OCSF file; FlowLogError if a top-level name repeats."""
    import pyarrow as pa

    names = schema.names
    dup = sorted({n for n in names if names.count(n) > 1} & _USED_TOP)
    if dup:
        raise FlowLogError(f"{path}: OCSF columns {dup} appear more than once; keep one of each")
    unmapped = "unmapped" in names and pa.types.is_map(schema.field("unmapped").type)
    ignored = [n for n in names if n not in _USED_TOP or (n == "unmapped" and not unmapped)]
    return OcsfLayout(path, [n for n in names if n in _USED_TOP and n not in ignored], ignored,
                      has_unmapped_map=unmapped)


# ------------------------------------------------------------------ getting values


def _get(batch: pa.RecordBatch, path: str) -> pa.Array | None:
    """The values at a dotted path of structs, or None if the schema has no such path."""
    import pyarrow as pa
    import pyarrow.compute as pc

    top, *rest = path.split(".")
    if top not in batch.schema.names:
        return None
    values = batch.column(top)
    for name in rest:
        t = values.type
        if not pa.types.is_struct(t) or t.get_field_index(name) < 0:
            return None
        values = pc.struct_field(values, name)
    return values


def _first(batch: pa.RecordBatch, paths: tuple[str, ...]) -> pa.Array | None:
    """Row by row the first non-null of the paths present (those of one type as the first)."""
    import pyarrow.compute as pc

    found = [v for v in (_get(batch, p) for p in paths) if v is not None]
    if not found:
        return None
    same = [v for v in found if v.type == found[0].type]
    return same[0] if len(same) == 1 else pc.coalesce(*same)


def _put(columns: dict[str, pa.Array], column: str, values: pa.Array | None) -> None:
    if values is not None:
        columns[column] = values


def _lookup(values: pa.Array | None, table: dict[Any, str] | dict[Any, int],
            out_type: pa.DataType) -> pa.Array | None:
    """``values`` looked up in ``table`` (keys compared as text, lower case); null elsewhere."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import from_numpy, string_array

    if values is None:
        return None
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    try:
        text = pc.utf8_lower(values.cast(pa.string()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a type that cannot be one of the keys
    keys = string_array([str(k) for k in table])
    index = pc.index_in(text, value_set=keys)
    mapped = list(table.values())
    values_array = string_array([str(v) for v in mapped]) if out_type == pa.string() \
        else from_numpy(np.array(mapped)).cast(out_type)
    return values_array.take(index)


def _coalesced(*arrays: pa.Array | None) -> pa.Array | None:
    import pyarrow.compute as pc

    present = [a for a in arrays if a is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else pc.coalesce(*present)


def _action(batch: pa.RecordBatch) -> pa.Array | None:
    import pyarrow as pa

    s = pa.string()
    return _coalesced(_lookup(_top(batch, "action_id"), _ACTION_IDS, s),
                      _lookup(_top(batch, "action"), _ACTION_TEXT, s),
                      _lookup(_top(batch, "disposition_id"), _ACTION_IDS, s),
                      _lookup(_top(batch, "disposition"), _ACTION_TEXT, s),
                      _lookup(_top(batch, "activity_id"), _ACTIVITY_IDS, s))


def _direction(batch: pa.RecordBatch) -> pa.Array | None:
    import pyarrow as pa

    s = pa.string()
    return _coalesced(_lookup(_get(batch, "connection_info.direction_id"), _DIRECTION_IDS, s),
                      _lookup(_get(batch, "connection_info.direction"), _DIRECTION_TEXT, s))


def _top(batch: pa.RecordBatch, name: str) -> pa.Array | None:
    """A top-level column of ``batch``, or None when it has none of that name."""
    return batch.column(name) if name in batch.schema.names else None


def _time(batch: pa.RecordBatch, paths: tuple[str, ...]) -> pa.Array | None:
    """A time as ``timestamp[ms, UTC]``: integers are epoch milliseconds (OCSF's
    ``timestamp_t``), timestamps are instants; a column of another type is given as it is
    (then the catalogue's rule reads it: seconds, or milliseconds from 10**11)."""
    import pyarrow as pa

    ms = pa.timestamp("ms", tz="UTC")
    found = [v for v in (_top(batch, p) for p in paths) if v is not None]
    typed = []
    for values in found:
        if pa.types.is_integer(values.type):
            typed.append(values.cast(pa.int64()).cast(ms))
        elif pa.types.is_timestamp(values.type):
            typed.append(values.cast(ms, safe=False))
    if typed:
        return _coalesced(*typed)
    return found[0] if found else None


def _addresses(batch: pa.RecordBatch, columns: dict[str, pa.Array]) -> None:
    """srcaddr/dstaddr and their packet-level twins from the endpoints."""
    for side, addr, pkt in (("src", "srcaddr", "pkt_srcaddr"), ("dst", "dstaddr", "pkt_dstaddr")):
        ip = _text(_get(batch, f"{side}_endpoint.ip"))
        hop = _text(_first_item(_get(batch, f"{side}_endpoint.intermediate_ips")))
        _put(columns, addr, _coalesced(hop, ip))
        _put(columns, pkt, ip)


def _text(values: pa.Array | None) -> pa.Array | None:
    """A text field (address, ID) as ``string``, so values from two places can be coalesced
    (``large_string``, dictionary or numbers become ``string``)."""
    import pyarrow as pa

    if values is None or pa.types.is_string(values.type):
        return values
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values.cast(pa.string())


def _first_item(values: pa.Array | None) -> pa.Array | None:
    """The first item of each list (null for null or empty lists); text as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values is None:
        return None
    if not (pa.types.is_list(values.type) or pa.types.is_large_list(values.type)):
        return values if pa.types.is_string(values.type) or pa.types.is_large_string(
            values.type) else None
    some = pc.fill_null(pc.greater(pc.list_value_length(values), 0), False)
    return pc.list_element(pc.if_else(some, values, pa.scalar(None, values.type)), 0)


def _endpoint_ids(batch: pa.RecordBatch, columns: dict[str, pa.Array]) -> None:
    """interface/vpc/instance/subnet IDs: on the destination endpoint for ingress, on the
    source for egress; the other endpoint's when that one has none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    direction = columns.get("flow_direction")
    ingress = None if direction is None else pc.fill_null(
        pc.equal(direction, pa.scalar("ingress")), False)
    for column, uid in _ENDPOINT_IDS:
        src = _text(_get(batch, f"src_endpoint.{uid}"))
        dst = _text(_get(batch, f"dst_endpoint.{uid}"))
        if src is None or dst is None or ingress is None:
            _put(columns, column, _coalesced(src, dst))
            continue
        columns[column] = pc.if_else(ingress, pc.coalesce(dst, src), pc.coalesce(src, dst))


def _map_keys(values: pa.Array) -> list[str]:
    """The distinct keys of a map array (of this slice only), in first-seen order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = values.type
    entries = values.cast(pa.list_(pa.struct([t.key_field, t.item_field])))
    keys = pc.struct_field(pc.list_flatten(entries), t.key_field.name)
    return [k for k in pc.unique(keys).to_pylist() if isinstance(k, str)]


def _catalogued(key: str) -> str | None:
    column = key.replace("-", "_").lower()
    return column if column in _ORDER else None


def _class_check(batch: pa.RecordBatch) -> list[Check]:
    """Rows whose ``class_uid`` is set and not Network Activity are bad."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import bool_scalar, string_array, string_scalar

    values = batch.column("class_uid")
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    try:
        text = values.cast(pa.int64()).cast(pa.string()) if pa.types.is_floating(values.type) \
            else values.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text = string_array(["?"] * len(values))  # not a class number at all
    bad = pc.fill_null(pc.not_equal(text, string_scalar(str(NETWORK_ACTIVITY))),
                       bool_scalar(False))

    def why(value: Any) -> str:
        return (f"class_uid is {value!r}, not {NETWORK_ACTIVITY} (OCSF Network Activity): "
                "not a flow record")

    return [(bad, values, why)]


__all__ = ["NETWORK_ACTIVITY", "OcsfLayout", "is_ocsf", "layout"]
