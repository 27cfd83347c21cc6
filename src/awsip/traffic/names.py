"""What the NAT gateway carried, by DNS name: its bytes joined with Route 53 Resolver answers.

A report given Resolver query logs (:mod:`awsip.flowlogs.dns`) names the public peers of the
NAT's bytes by the query names the VPC's resolver answered with those addresses.
:class:`NameCollector` is fed each table's traffic rows with their peer view while the report
reads the flow logs (as :class:`awsip.traffic.detect.NatCollector` is) and keeps two small
aggregates:

- the **public legs** per interface/resource and peer address (what the NAT bytes are, counted
  once, as in the report's NAT section);
- the **inside legs** per interface/resource, inside address and public peer: on a zonal NAT
  gateway's interface the records that translate (instance -> NAT with ``pkt-dstaddr`` the
  peer, NAT -> instance with ``pkt-srcaddr`` the peer; AWS's "Flow log record examples", NAT
  gateway), and a regional NAT gateway's records (``resource-id`` ``nat-...``: instance and
  peer on one record). See :mod:`awsip.traffic.detect` for why these are the NAT's bytes.

:func:`name_bytes` joins them with the answers once the gateways are known. When inside legs
exist, each (inside address, peer) pair is named by the queries **that inside address** sent
whose answers held the peer (Resolver logs' ``srcaddr``); an inside address that sent no query
the logs hold (its queries went through another resolver, e.g. a cluster's DNS pods) is named
by any source's answers for the peer. Without inside legs (no ``pkt-*`` fields, no regional NAT
records) the public legs are named by any source's answers. When several names were answered
with one address (S3 and CloudFront addresses serve many names), the name asked most often
wins (then the latest, then the first alphabetically); those bytes are counted as
``ambiguous_bytes``. Answers are joined over the whole window read, not per query time (the
Resolver log carries no TTL).

**ECR** (:func:`ecr_kind`): the registry API ``api.ecr.<region>.amazonaws.com``, the registry
``<account>.dkr.ecr.<region>.amazonaws.com`` (``ecr-fips`` too), and the image-layer bucket
``prod-<region>-starport-layer-bucket`` as the S3 names it is reached by
(``prod-<region>-starport-layer-bucket.s3.<region>.amazonaws.com`` ...). The bucket is the one
AWS's "Amazon ECR interface VPC endpoints (AWS PrivateLink)" page
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html, "Minimum Amazon S3
bucket permissions for Amazon ECR") tells to allow in the S3 gateway endpoint's policy:
``arn:aws:s3:::prod-region-starport-layer-bucket/*``. A name matches by its query name or its
CNAME target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowutil import (
    bool_scalar,
    from_numpy,
    int_scalar,
    numpy_bools,
    string_array,
    string_scalar,
)
from .detect import Gateway, nullable_strings
from .peers import LocalNets
from .summary import group

#: ECR names (module doc): kind -> pattern on a lower-case name without the trailing dot.
ECR_NAMES = {
    "api": re.compile(r"(?:api\.ecr|ecr)(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?"),
    "registry": re.compile(r"\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?"),
    "layers": re.compile(r"prod-[a-z0-9-]+-starport-layer-bucket\.s3[.-][a-z0-9.-]*"
                         r"amazonaws\.com(?:\.cn)?"),
}
_SUM = [("bytes", "sum", "bytes")]
_PUBLIC_KEYS = ["interface_id", "resource_id", "nat", "peer"]
_INSIDE_KEYS = ["interface_id", "resource_id", "inside", "peer"]


def ecr_kind(name: str | None) -> str | None:
    """``"api"``, ``"registry"`` or ``"layers"`` for an ECR name (module doc), else None."""
    if not name:
        return None
    for kind, pattern in ECR_NAMES.items():
        if pattern.fullmatch(name):
            return kind
    return None


def _strings(t: pa.Table, name: str) -> Any:
    if name not in t.column_names:
        return pa.nulls(t.num_rows, pa.string())
    col = t.column(name)
    return col if col.type == pa.string() else col.cast(pa.string())


class NameCollector:
    """Streams tables and their peer views into the public and inside legs (module doc)."""

    def __init__(self, local: LocalNets) -> None:
        self.local = local
        self.public_parts: list[pa.Table] = []
        self.inside_parts: list[pa.Table] = []

    @staticmethod
    def keys_needed() -> set[str]:
        """Peer-view keys the collector reads."""
        return {"peer", "local", "interface_id", "action"}

    def add(self, t: pa.Table, view: pa.Table) -> None:
        """Fold in one table's traffic rows (:func:`awsip.traffic.peers.traffic`) and their
        peer view."""
        if t.num_rows != view.num_rows or not t.num_rows:
            return
        ok = pc.fill_null(pc.not_equal(view.column("action"), string_scalar("REJECT")),
                          bool_scalar(True))
        public = pc.and_(pc.invert(view.column("peer_local")), ok)
        resource = _strings(t, "resource_id")
        legs = pa.table({"interface_id": view.column("interface_id"), "resource_id": resource,
                         "nat": view.column("nat"), "peer": view.column("peer"),
                         "bytes": view.column("bytes")})
        if pc.any(public).as_py():
            self.public_parts.append(group(legs.filter(public), _PUBLIC_KEYS, _SUM))
        self._inside(t, view, resource, ok)
        if len(self.public_parts) > 64:
            self.public_parts = [_merge(self.public_parts, _PUBLIC_KEYS)]
        if len(self.inside_parts) > 64:
            self.inside_parts = [_merge(self.inside_parts, _INSIDE_KEYS)]

    def merge(self, other: NameCollector) -> None:
        """Fold in another collector's legs (another partition's, in Spark)."""
        self.public_parts.extend(other.public_parts)
        self.inside_parts.extend(other.inside_parts)

    def _inside(self, t: pa.Table, view: pa.Table, resource: Any, ok: Any) -> None:
        """Translating records and regional NAT records: (inside, peer) and their bytes."""
        src, dst = _strings(t, "srcaddr"), _strings(t, "dstaddr")
        psrc, pdst = _strings(t, "pkt_srcaddr"), _strings(t, "pkt_dstaddr")
        tsrc, tdst = self._translated(psrc, src), self._translated(pdst, dst)
        regional = pc.and_(pc.fill_null(pc.starts_with(resource, "nat-"), bool_scalar(False)),
                           pc.invert(view.column("peer_local")))
        keep = pc.and_(pc.or_(pc.or_(tsrc, tdst), regional), ok)
        if not pc.any(keep).as_py():
            return
        inside = pc.if_else(tdst, src, pc.if_else(tsrc, dst, view.column("local")))
        peer = pc.if_else(tdst, pdst, pc.if_else(tsrc, psrc, view.column("peer")))
        legs = pa.table({"interface_id": view.column("interface_id"), "resource_id": resource,
                         "inside": inside, "peer": peer, "bytes": view.column("bytes")})
        self.inside_parts.append(group(legs.filter(keep), _INSIDE_KEYS, _SUM))

    def _translated(self, pkt: Any, addr: Any) -> Any:
        """Per row: the ``pkt-*`` address is public and differs from the logged one."""
        differs = pc.fill_null(pc.not_equal(pkt, addr), bool_scalar(False))
        if not pc.any(differs).as_py():
            return differs
        outside = from_numpy(~self.local.contains(pkt) & numpy_bools(pc.is_valid(pkt)))
        return pc.and_(differs, outside)

    def legs(self, gateways: list[Gateway], masked: bool) -> tuple[pa.Table, pa.Table]:
        """``(public, inside)`` legs of these gateways: public ``peer, bytes``; inside
        ``inside, peer, bytes``. ``masked``: the user named interfaces/addresses, and the
        peer view's ``nat`` column says which records are the public legs."""
        public = _merge(self.public_parts, _PUBLIC_KEYS)
        inside = _merge(self.inside_parts, _INSIDE_KEYS)
        mine = _mask(inside, gateways)
        public = public.filter(public.column("nat") if masked else _mask(public, gateways))
        return (group(public, ["peer"], _SUM),
                group(inside.filter(mine), ["inside", "peer"], _SUM))


def _merge(parts: list[pa.Table], keys: list[str]) -> pa.Table:
    if not parts:
        cols: dict[str, Any] = {k: pa.array([], pa.bool_() if k == "nat" else pa.string())
                                for k in keys}
        cols["bytes"] = pa.array([], pa.int64())
        return pa.table(cols)
    return group(pa.concat_tables(parts), keys, _SUM)


def _mask(legs: pa.Table, gateways: list[Gateway]) -> Any:
    """Rows on one of the gateways: its interface, or (no interface) its NAT id."""
    enis = string_array(sorted({g.interface_id for g in gateways if g.interface_id}))
    rids = string_array(sorted({g.resource_id for g in gateways
                                if g.resource_id and not g.interface_id}))
    no = bool_scalar(False)
    return pc.or_(pc.fill_null(pc.is_in(legs.column("interface_id"), enis), no),
                  pc.and_(pc.is_null(legs.column("interface_id")),
                          pc.fill_null(pc.is_in(legs.column("resource_id"), rids), no)))


# ------------------------------------------------------------------------------ the join


@dataclass
class Names:
    """NAT bytes by DNS name (:func:`name_bytes`)."""

    by_name: pa.Table  # name, bytes, ecr (kind or null); biggest first; named bytes only
    join: str  # "source": by inside address and peer; "address": by peer address only
    bytes: int  # NAT bytes looked at
    named_bytes: int
    ambiguous_bytes: int  # named, but their address answered several names
    by_address_bytes: int  # named through another source's queries (module doc)
    ecr: dict[str, int] = field(default_factory=dict)  # kind -> bytes

    @property
    def unnamed_bytes(self) -> int:
        return self.bytes - self.named_bytes

    @property
    def ecr_bytes(self) -> int:
        return sum(self.ecr.values())


def _best(answers: pa.Table, keys: list[str]) -> pa.Table:
    """Per key: the name asked most often (then latest, then first by name), its target
    and how many names the key had."""
    per = answers.group_by([*keys, "name", "target"], use_threads=False).aggregate(
        [("queries", "sum"), ("last_seen", "max")])
    per = per.sort_by([*((k, "ascending") for k in keys), ("queries_sum", "descending"),
                       ("last_seen_max", "descending"), ("name", "ascending")])
    counts = per.group_by(keys, use_threads=False).aggregate([("name", "count_distinct")])
    if not per.num_rows:
        return per.select([*keys, "name", "target"]).append_column(
            "names", pa.array([], pa.int64()))
    key_cols = [np.asarray(per.column(k).to_numpy(zero_copy_only=False), dtype=object)
                for k in keys]
    first = np.ones(per.num_rows, dtype=bool)
    for col in key_cols:
        first[1:] &= col[1:] == col[:-1]
    first = ~first
    first[0] = True
    best = per.filter(from_numpy(first)).select([*keys, "name", "target"])
    return best.join(counts, keys=keys).rename_columns([*keys, "name", "target", "names"])


def name_bytes(public: pa.Table, inside: pa.Table, answers: pa.Table) -> Names:
    """Join the NAT's legs (:meth:`NameCollector.legs`) with Resolver answers
    (:attr:`awsip.flowlogs.dns.DnsLog.answers`); see the module doc."""
    total_public = int(pc.sum(public.column("bytes")).as_py() or 0)
    if inside.num_rows and int(pc.sum(inside.column("bytes")).as_py() or 0):
        rows, join = inside, "source"
    else:
        rows, join = public, "address"
    by_addr = _best(answers.rename_columns(
        ["peer" if c == "address" else c for c in answers.column_names]), ["peer"])
    named = rows.join(by_addr, keys=["peer"], join_type="left outer")
    via_address = pc.is_valid(named.column("name"))
    if join == "source":
        by_src = _best(answers.rename_columns(
            ["peer" if c == "address" else "inside" if c == "srcaddr" else c
             for c in answers.column_names]), ["inside", "peer"])
        named = named.rename_columns([c if c not in ("name", "target", "names") else f"a_{c}"
                                      for c in named.column_names])
        named = named.join(by_src, keys=["inside", "peer"], join_type="left outer")
        asked = pc.is_in(named.column("inside"), pc.unique(answers.column("srcaddr")))
        own = pc.fill_null(asked, bool_scalar(False))
        for c in ("name", "target", "names"):
            named = named.set_column(named.column_names.index(c), c, pc.if_else(
                own, named.column(c), named.column(f"a_{c}")))
        via_address = pc.and_(pc.invert(own), pc.is_valid(named.column("name")))
    return _summarise(named, join, total_public if join == "address" else
                      int(pc.sum(rows.column("bytes")).as_py() or 0), via_address)


def _summarise(named: pa.Table, join: str, total: int, via_address: Any) -> Names:
    """Bytes per name (with its ECR kind), named/ambiguous totals and ECR bytes."""
    has = pc.is_valid(named.column("name"))
    nbytes = named.column("bytes")

    def total_of(mask: Any) -> int:
        return int(pc.sum(pc.if_else(mask, nbytes, 0)).as_py() or 0)

    by = group(named.filter(has).select(["name", "target", "bytes"]), ["name", "target"],
               _SUM)
    kinds = [ecr_kind(n) or ecr_kind(t) for n, t in zip(
        by.column("name").to_pylist(), by.column("target").to_pylist(), strict=True)]
    by = group(by.select(["name", "bytes"]).append_column("ecr", nullable_strings(kinds)),
               ["name", "ecr"], _SUM).sort_by([("bytes", "descending"), ("name", "ascending")])
    ecr: dict[str, int] = {}
    for r in by.filter(pc.is_valid(by.column("ecr"))).to_pylist():
        ecr[r["ecr"]] = ecr.get(r["ecr"], 0) + r["bytes"]
    ambiguous = pc.fill_null(pc.greater(named.column("names"), int_scalar(1)), bool_scalar(False))
    return Names(by.select(["name", "bytes", "ecr"]), join, total, total_of(has),
                 total_of(ambiguous), total_of(via_address), ecr)


__all__ = ["ECR_NAMES", "NameCollector", "Names", "ecr_kind", "name_bytes"]
