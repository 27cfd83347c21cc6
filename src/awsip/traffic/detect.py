"""Evidence about NAT gateways gathered while a report reads the records, and what it shows.

A report reads the flow logs once. :class:`NatCollector` is fed each table's traffic rows with
their peer view (:mod:`awsip.traffic.peers`) and keeps only small aggregates, grouped by
interface (never by record), so that after the read the NAT gateways can be named
(:func:`detect`) and their bytes, inside sources and zones worked out
(:mod:`awsip.traffic.inside`):

- **evidence** per interface (``interface_id``, ``resource_id``, ``interface_type``, ``az_id``,
  ``subnet_id``): bytes with a public peer (ACCEPTed), bytes between two inside addresses, and
  bytes of records that *translate* addresses: ``pkt-dstaddr``/``pkt-srcaddr`` name a public
  address while ``dstaddr``/``srcaddr`` hold another one. AWS's "Flow log record examples"
  (Amazon VPC User Guide, "Traffic through a NAT gateway",
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html) show exactly
  that on a NAT gateway's interface: instance -> NAT private IP with ``pkt-dstaddr`` = the
  internet host, NAT private IP -> instance with ``pkt-srcaddr`` = the internet host; on an
  instance's own interface the ``pkt-*`` addresses equal ``srcaddr``/``dstaddr``.
- **public legs** (only when the records can show a NAT: ``pkt-*``, ``interface-type`` or
  ``resource-id`` logged, or ``--nat-id`` given): ACCEPTed bytes with a public peer per
  interface/resource, peer service, region, day, direction (and hour), to be filtered to the NAT
  gateways once they are known.
- **legs**: the records that tie an inside address to a NAT: translating records, records of a
  regional NAT gateway (``resource-id`` ``nat-...``: the instance and the public peer on one
  record, AWS's "Traffic through a regional NAT gateway" example), and, for NATs named by the
  user, records between the NAT and an inside address.
- **addresses**: an inside address's own interface, subnet, AZ, instance (and ECS/tag fields)
  from the records its interface logged with a public peer.

``interface-type`` values naming a NAT gateway: ``nat_gateway`` (the ``InterfaceType`` a NAT
gateway's interface has in ``describe-network-interfaces``, EC2 API Reference "NetworkInterface")
and ``regional_nat_gateway`` (AWS's version 11 example, tests/data/aws-examples); compared
lower-cased with ``-`` read as ``_`` (the API reference spells the enum ``natGateway``, also
accepted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowutil import (
    bool_scalar,
    from_numpy,
    int_scalar,
    null_scalar,
    numpy_bools,
    numpy_ints,
    string_array,
    string_scalar,
)
from .nat import NatSpec
from .peers import LocalNets
from .summary import Aggregator, group

#: ``interface-type`` / ``next-hop-interface-type`` values naming a NAT gateway (see the doc).
NAT_INTERFACE_TYPES = frozenset({"nat_gateway", "natgateway", "regional_nat_gateway"})
#: Per-interface keys of the evidence table.
EVIDENCE_KEYS = ("interface_id", "resource_id", "interface_type", "az_id", "subnet_id")
#: Inside attributes taken from an address's own records when logged (v3 ids, v7 ECS, v11 tags).
INSIDE_EXTRA = ("instance_id", "ecs_cluster_name", "ecs_service_name", "ecs_task_id",
                "instance_tag", "instance_tag_2", "interface_tag", "interface_tag_2", "asg_tag")
#: Fields that let records show a NAT gateway by themselves.
DETECT_FIELDS = frozenset({"pkt_srcaddr", "pkt_dstaddr", "interface_type", "resource_id",
                           "next_hop_interface_type"})
#: The version 11 next-hop fields read to name a zonal NAT gateway's interface and AZ.
NEXT_HOP_FIELDS = ("next_hop_interface_id", "next_hop_az_id", "next_hop_interface_type")
#: Every optional flow-log field the collector reads when present.
NAT_FIELDS = frozenset({*DETECT_FIELDS, *NEXT_HOP_FIELDS, "az_id", "subnet_id", *INSIDE_EXTRA})
_SUMS = [("public", "sum", "public"), ("internal", "sum", "internal"),
         ("translated", "sum", "translated"), ("typed", "sum", "typed")]
_BASE = frozenset({"srcaddr", "dstaddr", "log_status"})
_LEG_KEYS = ["interface_id", "resource_id", "src", "dst", "tsrc", "tdst"]


def _strings(t: pa.Table, name: str) -> Any:
    """Column ``name`` as strings (nulls when the records do not carry it)."""
    if name not in t.column_names:
        return pa.nulls(t.num_rows, pa.string())
    col = t.column(name)
    return col if col.type == pa.string() else col.cast(pa.string())


def nullable_strings(values: list[str | None]) -> Any:
    """A string array with nulls, built without ``pa.array`` (which imports pandas)."""
    arr = string_array([v or "" for v in values])
    if all(v is not None for v in values):
        return arr
    mask = from_numpy(np.array([v is None for v in values], dtype=bool))
    return pc.if_else(mask, null_scalar(pa.string()), arr)


def _bytes_where(mask: Any, nbytes: Any) -> Any:
    return pc.if_else(mask, nbytes, int_scalar(0))


@dataclass
class _Batch:
    """One table's traffic rows with what the collector uses, aligned with its peer view."""

    t: pa.Table
    view: pa.Table
    ok: Any  # ACCEPTed (not REJECT)
    public: Any  # peer outside the VPC
    internal: Any  # both sides inside
    ingress: Any  # the peer is the source
    src: Any
    dst: Any

    @property
    def local(self) -> Any:
        """The inside side's address (the peer view's ``local``)."""
        return pc.if_else(self.ingress, self.dst, self.src)

    @property
    def day(self) -> Any:
        start = self.view.column("start")
        return pc.floor_temporal(start, unit="day").cast(pa.date32())


def _direction_is(view: pa.Table) -> tuple[Any, Any]:
    """``(internal, ingress)`` per row from the peer view's dictionary-encoded direction."""
    col = view.column("direction")
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        words = arr.dictionary.to_pylist()
        codes = numpy_ints(arr.indices)
        return (from_numpy(codes == words.index("internal")),
                from_numpy(codes == words.index("ingress")))
    text = arr.cast(pa.string())
    return pc.equal(text, string_scalar("internal")), pc.equal(text, string_scalar("ingress"))


class NatCollector:
    """Streams tables and their peer views into the aggregates described in the module doc."""

    def __init__(self, local: LocalNets, nat: NatSpec, *, public_legs: bool,
                 hourly: bool) -> None:
        self.local = local
        self.nat = nat
        self.public_legs = public_legs
        self.hourly = hourly
        self.fields: set[str] = set()
        self.evidence_parts: list[pa.Table] = []
        self.hop_parts: list[pa.Table] = []
        self.legs_parts: list[pa.Table] = []
        self.nat_addr_parts: list[pa.Table] = []
        keys = ["interface_id", "resource_id", "service", "region", "day", "direction"]
        self.legs_public = Aggregator(keys + (["hour"] if hourly else []))
        self.address_keys = ["local", "interface_id", "subnet_id", "az_id", *INSIDE_EXTRA]
        self.address_parts: list[pa.Table] = []

    @staticmethod
    def keys_needed() -> set[str]:
        """Peer-view keys the collector reads."""
        return {"service", "region", "direction", "interface_id", "action"}

    def add(self, rows: pa.Table, view: pa.Table) -> None:
        """Fold in one table's traffic rows (:func:`awsip.traffic.peers.traffic`) and their
        peer view."""
        batch = self._batch(rows, view)
        if batch is None:
            return
        self.fields |= set(rows.column_names) & NAT_FIELDS
        self._evidence(batch)
        if "next_hop_interface_type" in batch.t.column_names:
            self._next_hops(batch)
        capable = bool(self.fields & DETECT_FIELDS) or bool(self.nat.ids)
        if capable or self.nat:
            self._legs(batch)
        if capable and self.public_legs:
            self._public_legs(batch)
        if capable or self.nat:
            self._addresses(batch)

    def _batch(self, rows: pa.Table, view: pa.Table) -> _Batch | None:
        t = rows.select([c for c in rows.column_names if c in NAT_FIELDS or c in _BASE])
        if t.num_rows != view.num_rows or t.num_rows == 0:
            return None
        ok = pc.fill_null(pc.not_equal(view.column("action"), string_scalar("REJECT")),
                          bool_scalar(True))
        public = pc.invert(view.column("peer_local"))
        internal, ingress = _direction_is(view)
        return _Batch(t, view, ok, public, internal, ingress, _strings(t, "srcaddr"),
                      _strings(t, "dstaddr"))

    @property
    def _translating(self) -> bool:
        return bool(self.fields & {"pkt_srcaddr", "pkt_dstaddr"})

    def _translated(self, b: _Batch) -> tuple[Any, Any]:
        """Per row: ``pkt-srcaddr`` / ``pkt-dstaddr`` is a public address other than
        ``srcaddr`` / ``dstaddr`` (see the module doc)."""
        out = []
        for pkt, addr in (("pkt_srcaddr", b.src), ("pkt_dstaddr", b.dst)):
            if pkt not in b.t.column_names:
                out.append(from_numpy(np.zeros(b.t.num_rows, dtype=bool)))
                continue
            p = _strings(b.t, pkt)
            differs = pc.fill_null(pc.not_equal(p, addr), bool_scalar(False))
            if not pc.any(differs).as_py():
                out.append(differs)
                continue
            public = from_numpy(~self.local.contains(p) & numpy_bools(pc.is_valid(p)))
            out.append(pc.and_(differs, public))
        return out[0], out[1]

    def _evidence(self, b: _Batch) -> None:
        """Per interface (and the per-interface fields logged): public, inside, translated
        and NAT-typed bytes; keys the records lack are added to the small result as nulls."""
        nbytes = b.view.column("bytes")
        self._tsrc, self._tdst = tsrc, tdst = self._translated(b)
        keys = ["interface_id", *(k for k in EVIDENCE_KEYS[1:] if k in b.t.column_names)]
        cols = {k: _strings(b.t, k) for k in keys[1:]}
        cols["interface_id"] = b.view.column("interface_id")
        cols["public"] = _bytes_where(pc.and_(b.public, b.ok), nbytes)
        cols["internal"] = _bytes_where(b.internal, nbytes)
        zero = int_scalar(0)
        cols["translated"] = _bytes_where(pc.and_(pc.or_(tsrc, tdst), b.ok), nbytes) \
            if self._translating else pc.multiply(nbytes, zero)
        if "interface_type" in b.t.column_names:
            norm = pc.replace_substring(pc.utf8_lower(pc.fill_null(
                b.t.column("interface_type").cast(pa.string()), "")), "-", "_")
            typed = pc.is_in(norm, string_array(sorted(NAT_INTERFACE_TYPES)))
            cols["typed"] = _bytes_where(typed, nbytes)
        else:
            cols["typed"] = pc.multiply(nbytes, zero)
        part = group(pa.table(cols), keys, _SUMS)
        for k in EVIDENCE_KEYS:
            if k not in part.column_names:
                part = part.append_column(k, pa.nulls(part.num_rows, pa.string()))
        self.evidence_parts.append(part.select([*EVIDENCE_KEYS, *(n for _, _, n in _SUMS)]))
        if len(self.evidence_parts) > 64:
            self.evidence_parts = [self.evidence()]

    def _next_hops(self, b: _Batch) -> None:
        """Bytes per next-hop interface and AZ of records whose ``next-hop-interface-type``
        names a zonal NAT gateway (version 11: an instance's records name the NAT it sends
        through)."""
        kind = pc.replace_substring(pc.utf8_lower(pc.fill_null(
            _strings(b.t, "next_hop_interface_type"), "")), "-", "_")
        keep = pc.and_(pc.is_in(kind, string_array(["nat_gateway", "natgateway"])),
                       pc.is_valid(_strings(b.t, "next_hop_interface_id")))
        if not pc.any(keep).as_py():
            return
        t = pa.table({"interface_id": _strings(b.t, "next_hop_interface_id"),
                      "az_id": _strings(b.t, "next_hop_az_id"),
                      "bytes": b.view.column("bytes")}).filter(keep)
        self.hop_parts.append(group(t, ["interface_id", "az_id"], [("bytes", "sum", "bytes")]))

    def next_hops(self) -> dict[str, str | None]:
        """Interface -> AZ id of the zonal NAT gateways records name as next hop."""
        out: dict[str, str | None] = {}
        for part in self.hop_parts:
            for r in part.to_pylist():
                out[r["interface_id"]] = out.get(r["interface_id"]) or r["az_id"]
        return out

    def _given(self, b: _Batch) -> Any:
        """Rows on a NAT interface or address the user named."""
        on = from_numpy(np.zeros(b.t.num_rows, dtype=bool))
        if self.nat.enis:
            on = pc.fill_null(pc.is_in(b.view.column("interface_id"),
                                       string_array(sorted(self.nat.enis))), False)
        if self.nat.ips:
            ips = string_array(sorted(self.nat.ips))
            on = pc.or_(on, pc.or_(pc.is_in(b.src, ips), pc.is_in(b.dst, ips)))
        return on

    def _legs(self, b: _Batch) -> None:
        resource = _strings(b.t, "resource_id")
        regional = pc.and_(pc.fill_null(pc.starts_with(resource, "nat-"), bool_scalar(False)),
                           b.public)
        translated = pc.or_(self._tsrc, self._tdst)
        keep = pc.or_(translated, regional)
        given = self._given(b) if self.nat else None
        if given is not None:
            keep = pc.or_(keep, pc.and_(given, b.internal))
            self._nat_addresses(b, pc.and_(pc.and_(given, b.public), b.ok))
        keep = pc.and_(keep, b.ok)
        if not pc.any(keep).as_py():
            return
        t = pa.table({"interface_id": b.view.column("interface_id"), "resource_id": resource,
                      "src": b.src, "dst": b.dst, "tsrc": self._tsrc, "tdst": self._tdst,
                      "bytes": b.view.column("bytes")}).filter(keep)
        if self.hourly:  # per hour too, for the HTML chart by inside source (output/html.py)
            t = t.append_column("hour", b.view.column("hour").filter(keep))
        self.legs_parts.append(group(t, self._leg_keys(), [("bytes", "sum", "bytes")]))
        if len(self.legs_parts) > 64:
            self.legs_parts = [self.legs()]

    def _nat_addresses(self, b: _Batch, mask: Any) -> None:
        """The local address of a named NAT's public legs (its private IP), per interface."""
        if not pc.any(mask).as_py():
            return
        t = pa.table({"interface_id": b.view.column("interface_id"), "local": b.local,
                      "bytes": b.view.column("bytes")})
        self.nat_addr_parts.append(group(t.filter(mask), ["interface_id", "local"],
                                         [("bytes", "sum", "bytes")]))

    def _public_legs(self, b: _Batch) -> None:
        keep = pc.and_(b.public, b.ok)
        cols = {k: b.view.column(k) for k in self.legs_public.keys if k in b.view.column_names}
        cols["resource_id"] = _strings(b.t, "resource_id")
        if "day" not in cols:
            cols["day"] = b.day
        for k in ("bytes", "packets", "start", "end"):
            cols[k] = b.view.column(k)
        self.legs_public.add(pa.table(cols).filter(keep))

    def _addresses(self, b: _Batch) -> None:
        """An inside address's own interface: rows with a public peer that no NAT translated
        and no regional NAT logged (the instance's own view)."""
        resource = _strings(b.t, "resource_id")
        keep = pc.and_(pc.and_(b.public, pc.is_null(resource)),
                       pc.invert(pc.or_(self._tsrc, self._tdst)))
        if self.nat:
            keep = pc.and_(keep, pc.invert(self._given(b)))
        keys = ["local", "interface_id",
                *(k for k in self.address_keys[2:] if k in b.t.column_names)]
        cols = {k: _strings(b.t, k) for k in keys[2:]}
        cols["local"] = b.local
        cols["interface_id"] = b.view.column("interface_id")
        for k in ("bytes", "packets", "start", "end"):
            cols[k] = b.view.column(k)
        part = pa.table(cols).filter(keep)
        if part.num_rows:
            self.address_parts.append(group(part, keys, [("bytes", "sum", "bytes")]))
        if len(self.address_parts) > 64:
            self.address_parts = [self.address_table()]

    def merge(self, other: NatCollector) -> None:
        """Fold in another collector's aggregates (another partition's, in Spark): every
        result is a group-by of the parts, so the order of folding does not matter."""
        self.fields |= other.fields
        self.evidence_parts.extend(other.evidence_parts)
        self.hop_parts.extend(other.hop_parts)
        self.legs_parts.extend(other.legs_parts)
        self.nat_addr_parts.extend(other.nat_addr_parts)
        self.address_parts.extend(other.address_parts)
        self.legs_public.merge(other.legs_public)

    # ------------------------------------------------------------------ results
    def evidence(self) -> pa.Table:
        """Per interface: public, internal, translated and NAT-typed bytes."""
        if not self.evidence_parts:
            return _empty(EVIDENCE_KEYS, [n for _, _, n in _SUMS])
        merged = pa.concat_tables(self.evidence_parts)
        return group(merged, list(EVIDENCE_KEYS), _SUMS)

    def address_table(self) -> pa.Table:
        """Bytes per inside address and its own interface, subnet, AZ, instance, ECS/tags
        (the fields the records lack: null)."""
        full = []
        for part in self.address_parts:
            for k in self.address_keys:
                if k not in part.column_names:
                    part = part.append_column(k, pa.nulls(part.num_rows, pa.string()))
            full.append(part.select([*self.address_keys, "bytes"]))
        if not full:
            return _empty(self.address_keys, ["bytes"])
        return group(pa.concat_tables(full), self.address_keys, [("bytes", "sum", "bytes")])

    def legs(self) -> pa.Table:
        """Bytes per (interface, resource, src, dst, translated src, translated dst)."""
        if not self.legs_parts:
            t = _empty(["interface_id", "resource_id", "src", "dst"], ["bytes"])
            none = from_numpy(np.zeros(0, dtype=bool))
            return t.append_column("tsrc", none).append_column("tdst", none).select(
                [*_LEG_KEYS, "bytes"])
        return group(pa.concat_tables(self.legs_parts), self._leg_keys(),
                     [("bytes", "sum", "bytes")])

    def _leg_keys(self) -> list[str]:
        """The legs' group keys: with ``hour`` when the report is hourly."""
        return [*_LEG_KEYS, "hour"] if self.hourly else _LEG_KEYS

    def nat_addresses(self) -> dict[str | None, str]:
        """Interface id -> the local address carrying most of its public-leg bytes."""
        if not self.nat_addr_parts:
            return {}
        rows = group(pa.concat_tables(self.nat_addr_parts), ["interface_id", "local"],
                     [("bytes", "sum", "bytes")]).to_pylist()
        best: dict[str | None, tuple[int, str]] = {}
        for r in rows:  # most bytes; a tie goes to the lesser address (any order of parts)
            known = best.get(r["interface_id"])
            if r["local"] and (known is None or r["bytes"] > known[0] or (
                    r["bytes"] == known[0] and r["local"] < known[1])):
                best[r["interface_id"]] = (r["bytes"], r["local"])
        return {k: v for k, (_, v) in best.items()}


def _empty(strings: Any, ints: Any) -> pa.Table:
    fields = [(k, pa.string()) for k in strings] + [(k, pa.int64()) for k in ints]
    return pa.schema(fields).empty_table()


@dataclass(frozen=True)
class Gateway:
    """One NAT gateway of a report: what identifies it, and how awsip knows it is one."""

    interface_id: str | None
    address: str | None
    az_id: str | None
    resource_id: str | None
    detected: bool
    reason: str

    @property
    def key(self) -> str:
        """The gateway's name in tables: its resource id, interface or address."""
        return self.resource_id or self.interface_id or self.address or "?"

    def to_dict(self) -> dict[str, Any]:
        return {"interface_id": self.interface_id, "address": self.address,
                "az_id": self.az_id, "resource_id": self.resource_id,
                "detected": self.detected, "reason": self.reason}


def _gib(n: int) -> str:
    from ..units import human_bytes

    return human_bytes(n)


def detect(evidence: pa.Table, legs: pa.Table,
           next_hops: dict[str, str | None] | None = None) -> list[Gateway]:
    """The NAT gateways the records show by themselves (module doc), biggest first: interfaces
    whose records translate to public peers, whose ``interface-type`` names a NAT gateway or
    that other records name as next hop (``next-hop-interface-type``), and regional NAT
    gateways (``resource-id`` ``nat-...``)."""
    per_eni: dict[str, dict[str, Any]] = {}
    regional: dict[str, int] = {}
    for r in evidence.to_pylist():
        rid, eni = r["resource_id"], r["interface_id"]
        if rid and rid.startswith("nat-") and not eni:
            regional[rid] = regional.get(rid, 0) + r["public"]
            continue
        if not eni:
            continue
        d = per_eni.setdefault(eni, {"translated": 0, "typed": 0, "public": 0, "az": None})
        for k in ("translated", "typed", "public"):
            d[k] += r[k]
        d["az"] = d["az"] or r["az_id"]
    for eni, az in (next_hops or {}).items():
        d = per_eni.setdefault(eni, {"translated": 0, "typed": 0, "public": 0, "az": None})
        d["az"], d["hop"] = d["az"] or az, True
    addresses = _translated_addresses(legs)
    found: list[tuple[int, Gateway]] = []
    for eni, d in per_eni.items():
        why = []
        if d["translated"]:
            why.append(f"its records translate addresses ({_gib(d['translated'])} where "
                       "pkt-srcaddr/pkt-dstaddr name a public peer and srcaddr/dstaddr do not)")
        if d["typed"]:
            why.append("its records' interface-type names a NAT gateway")
        if d.get("hop"):
            why.append("other interfaces' records name it as next hop "
                       "(next-hop-interface-type nat_gateway)")
        if why:
            found.append((d["public"], Gateway(eni, addresses.get(eni), d["az"], None, True,
                                               "; ".join(why))))
    for rid, nbytes in regional.items():
        found.append((nbytes, Gateway(None, None, None, rid, True,
                                      "records carry resource-id " + rid
                                      + " with no interface-id (a regional NAT gateway)")))
    found.sort(key=lambda x: (-x[0], x[1].key))
    return [g for _, g in found]


def with_addresses(gateways: list[Gateway], addresses: pa.Table) -> list[Gateway]:
    """Zonal gateways without a known address given the local address carrying most of their
    interface's bytes with public peers (their public legs: NAT private IP <-> peer)."""
    from dataclasses import replace

    missing = {g.interface_id for g in gateways if g.interface_id and not g.address}
    if not missing:
        return gateways
    best: dict[str, tuple[int, str]] = {}
    for r in addresses.to_pylist():
        eni = r["interface_id"]
        if eni in missing and r["local"] and (eni not in best or r["bytes"] > best[eni][0]):
            best[eni] = (r["bytes"], r["local"])
    return [replace(g, address=best[g.interface_id][1])
            if g.interface_id in best and not g.address else g for g in gateways]


def _translated_addresses(legs: pa.Table) -> dict[str, str]:
    """Interface -> the NAT's private address: the ``dstaddr`` of instance -> NAT records whose
    ``pkt-dstaddr`` is public, the ``srcaddr`` of NAT -> instance records."""
    best: dict[str, tuple[int, str]] = {}
    for r in legs.to_pylist():
        eni = r["interface_id"]
        addr = r["dst"] if r["tdst"] else r["src"] if r["tsrc"] else None
        if not eni or addr is None:
            continue
        if eni not in best or r["bytes"] > best[eni][0]:
            best[eni] = (r["bytes"], addr)
    return {k: v for k, (_, v) in best.items()}


def candidates(evidence: pa.Table, limit: int = 3) -> list[tuple[str, int, int]]:
    """Interfaces that look like a NAT gateway in records that cannot show one (v2): many
    bytes with public peers *and* about as many with inside addresses (each byte through a NAT
    is on both its legs), as ``(interface, public bytes, inside bytes)``, likeliest first."""
    per: dict[str, list[int]] = {}
    for r in evidence.to_pylist():
        if r["interface_id"]:
            got = per.setdefault(r["interface_id"], [0, 0])
            got[0] += r["public"]
            got[1] += r["internal"]
    out = [(eni, pub, inside) for eni, (pub, inside) in per.items()
           if pub and inside and 0.5 <= inside / pub <= 2.0]
    out.sort(key=lambda x: (-min(x[1], x[2]), x[0]))
    return out[:limit]


__all__ = [
    "DETECT_FIELDS",
    "EVIDENCE_KEYS",
    "INSIDE_EXTRA",
    "NAT_FIELDS",
    "NAT_INTERFACE_TYPES",
    "Gateway",
    "NatCollector",
    "candidates",
    "detect",
    "inventory_gateway",
    "nullable_strings",
    "with_addresses",
    "with_inventory",
]


# ------------------------------------------------------------------ the offline inventory
def with_inventory(nat: NatSpec, inventory: Any) -> tuple[NatSpec, dict[str, tuple[bool, str]]]:
    """``nat`` completed from an :class:`awsip.traffic.inventory.Inventory`: a zonal
    ``--nat-id`` becomes its interfaces; with no ``--nat-*`` option, every NAT gateway the
    inventory names (zonal: its interfaces; regional: its id, matched with ``resource-id``).
    Also ``{interface or NAT id: (found without an option, why)}`` for the gateways' reasons."""
    reasons: dict[str, tuple[bool, str]] = {}
    enis, ids = list(nat.enis), []
    named = nat.ids if nat else tuple(sorted(inventory.nat_gateways))
    for nat_id in named:
        gw = inventory.nat_gateways.get(nat_id)
        how = f"given: --nat-id {nat_id}" if nat else "named by the inventory"
        if gw is None or gw.regional or not gw.interface_ids:
            ids.append(nat_id)
            if gw is not None:
                reasons[nat_id] = (not nat, f"{how} (a regional NAT gateway, "
                                   f"describe-nat-gateways in {gw.source or 'the inventory'})")
            continue
        for eni in gw.interface_ids:
            enis.append(eni)
            reasons[eni] = (not nat, f"{how}: {nat_id}'s interface (describe-nat-gateways in "
                            f"{gw.source or 'the inventory'})")
    if not nat and not named:
        return nat, reasons
    return NatSpec(tuple(dict.fromkeys(enis)), nat.ips, tuple(dict.fromkeys(ids))), reasons


def inventory_gateway(g: Gateway, inventory: Any, reasons: dict[str, tuple[bool, str]]
                      ) -> Gateway:
    """``g`` with its address, AZ and reason from the inventory where it names them."""
    from dataclasses import replace

    detected, reason = reasons.get(g.interface_id or g.resource_id or "", (g.detected, g.reason))
    address, az = g.address, g.az_id
    if inventory is not None and g.interface_id:
        eni = inventory.interface(g.interface_id)
        if eni is not None:
            address = address or (eni.private_ips[0] if eni.private_ips else None)
            az = eni.az_id or az
    return replace(g, address=address, az_id=az, detected=detected, reason=reason)
