"""Who inside the VPC caused a NAT gateway's bytes, and which of them crossed zones.

From the aggregates of :class:`awsip.traffic.detect.NatCollector`, once the NAT gateways are
known (:func:`attribute`):

- a **regional** NAT gateway's records (``resource-id`` ``nat-...``) carry the instance and the
  public peer themselves: the inside address is the record's private side;
- on a **zonal** NAT gateway's interface, the instance legs carry the inside address: instance
  -> NAT with ``pkt-dstaddr`` public (inside = ``srcaddr``), NAT -> instance with
  ``pkt-srcaddr`` public (inside = ``dstaddr``) (AWS "Flow log record examples", NAT gateway);
- without ``pkt-*`` fields, for a NAT the user named, the records between the NAT's interface
  or address and another inside address: inside = the side that is not the NAT's address.
  When the NAT's own address is unknown, the bytes are left unattributed and a note says so.

Each inside address then gets its own interface, subnet, AZ, instance (and ECS/tag fields) from
the records its interface logged with a public peer; a field the records do not carry stays
null (never guessed). **Cross-AZ**: bytes between an inside address whose AZ is known and a
zonal NAT gateway in another known AZ; each byte of an instance leg is one direction, so bytes
are counted once per direction. A regional NAT gateway has no single AZ: nothing is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowutil import from_numpy
from .detect import INSIDE_EXTRA, Gateway, nullable_strings
from .peers import LocalNets

#: Columns of a ``by_inside`` table, before the optional extra attributes.
INSIDE_COLUMNS = ("nat", "address", "interface_id", "subnet_id", "az_id", "instance_id", "bytes")


@dataclass
class Inside:
    """Attribution of NAT bytes to inside addresses, and the cross-AZ part."""

    by_inside: pa.Table  # INSIDE_COLUMNS (+ extras present), biggest first
    cross_az: pa.Table  # nat, nat_az_id, address, az_id, bytes, biggest first
    unattributed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def cross_az_bytes(self) -> int:
        return int(sum(self.cross_az.column("bytes").to_pylist()))

    def cross_az_by_nat(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.cross_az.to_pylist():
            out[r["nat"]] = out.get(r["nat"], 0) + r["bytes"]
        return out


def _owner(gateways: list[Gateway], row: dict[str, Any]) -> Gateway | None:
    """The gateway a legs row belongs to (its interface, resource id or address)."""
    for g in gateways:
        if g.resource_id and row["resource_id"] == g.resource_id and not row["interface_id"]:
            return g
        if g.interface_id and row["interface_id"] == g.interface_id:
            return g
        if not g.interface_id and g.address and g.address in (row["src"], row["dst"]):
            return g
    return None


def _inside_of(g: Gateway, row: dict[str, Any], local: dict[str, bool],
               nat_ips: set[str]) -> str | None:
    if g.resource_id and not g.interface_id:
        src_in, dst_in = local.get(row["src"], False), local.get(row["dst"], False)
        return row["src"] if src_in and not dst_in else row["dst"] if dst_in and not src_in \
            else None
    if row["tdst"]:
        return str(row["src"])
    if row["tsrc"]:
        return str(row["dst"])
    if row["src"] in nat_ips and row["dst"] not in nat_ips:
        return str(row["dst"])
    if row["dst"] in nat_ips and row["src"] not in nat_ips:
        return str(row["src"])
    return None


def _sum_per_inside(gateways: list[Gateway], legs: pa.Table, local_nets: LocalNets
                    ) -> tuple[dict[tuple[str, str], int], int]:
    """Bytes per (gateway key, inside address), and the bytes no inside address explains."""
    rows = legs.to_pylist()
    addrs = sorted({a for r in rows for a in (r["src"], r["dst"]) if a})
    flags = local_nets.contains(nullable_strings(list(addrs))) if addrs else np.zeros(0, bool)
    local = dict(zip(addrs, (bool(x) for x in flags), strict=True))
    nat_ips = {g.key: {g.address} if g.address else set() for g in gateways}
    totals: dict[tuple[str, str], int] = {}
    lost = 0
    for r in rows:
        g = _owner(gateways, r)
        if g is None:
            continue
        inside = _inside_of(g, r, local, nat_ips[g.key])
        if inside is None:
            lost += r["bytes"]
            continue
        key = (g.key, inside)
        totals[key] = totals.get(key, 0) + r["bytes"]
    return totals, lost


def _who(addresses: pa.Table) -> dict[str, dict[str, Any]]:
    """Address -> its own interface, subnet, AZ, instance...: the row with most bytes."""
    best: dict[str, dict[str, Any]] = {}
    for r in addresses.to_pylist():
        a = r["local"]
        if a and (a not in best or r["bytes"] > best[a]["bytes"]):
            best[a] = r
    return best


def _from_inventory(who: dict[str, dict[str, Any]], addresses: Any, inventory: Any) -> None:
    """Interface, subnet, AZ and instance of ``addresses`` as the inventory names them (it
    wins over what the records suggest: it is the account's own description)."""
    for address in addresses:
        eni = inventory.by_address(address)
        if eni is None:
            continue
        me = who.setdefault(address, {"local": address, "bytes": 0})
        me.update(interface_id=eni.interface_id, subnet_id=eni.subnet_id or me.get("subnet_id"),
                  az_id=eni.az_id or me.get("az_id"),
                  instance_id=eni.instance_id or me.get("instance_id"))


def attribute(gateways: list[Gateway], legs: pa.Table, addresses: pa.Table,
              local_nets: LocalNets, fields: set[str], inventory: Any = None) -> Inside:
    """NAT bytes per inside address with its attributes, and the cross-AZ part (module doc).
    ``fields``: the optional flow-log fields the records carried (extras shown only then);
    ``inventory``: an :class:`awsip.traffic.inventory.Inventory` naming them exactly."""
    totals, lost = _sum_per_inside(gateways, legs, local_nets)
    who = _who(addresses)
    if inventory is not None:
        _from_inventory(who, {a for _, a in totals}, inventory)
    by_gw = {g.key: g for g in gateways}
    extras = [k for k in INSIDE_EXTRA if k in fields and k != "instance_id"]
    rows: list[dict[str, Any]] = []
    cross: list[dict[str, Any]] = []
    for (key, address), nbytes in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        me = who.get(address, {})
        row = {"nat": key, "address": address, "interface_id": me.get("interface_id"),
               "subnet_id": me.get("subnet_id"), "az_id": me.get("az_id"),
               "instance_id": me.get("instance_id"), "bytes": nbytes}
        row.update({k: me.get(k) for k in extras})
        rows.append(row)
        nat_az = by_gw[key].az_id
        if nat_az and row["az_id"] and row["az_id"] != nat_az:
            cross.append({"nat": key, "nat_az_id": nat_az, "address": address,
                          "az_id": row["az_id"], "bytes": nbytes})
    notes = []
    if lost:
        notes.append(f"{lost:,} bytes of NAT instance legs could not be tied to an inside "
                     "address (the NAT's own address is unknown): pass --nat-ip")
    by_inside = _table(rows, [*INSIDE_COLUMNS[:-1], *extras], ["bytes"])
    cross_t = _table(cross, ["nat", "nat_az_id", "address", "az_id"], ["bytes"])
    return Inside(by_inside, cross_t, lost, notes)


def hourly_by_inside(gateways: list[Gateway], legs: pa.Table, local_nets: LocalNets
                     ) -> pa.Table | None:
    """NAT bytes per (hour, inside address), attributed as :func:`attribute` does, from legs
    gathered per hour (``NatCollector(hourly=True)``); None when the legs have no hour."""
    if "hour" not in legs.column_names:
        return None
    column = legs.column("hour")
    hours = pc.unique(column)
    picks: list[int] = []
    addresses: list[str | None] = []
    counts: list[int] = []
    for i in pc.array_sort_indices(hours).to_pylist():
        hour = hours[i]
        mask = pc.equal(column, hour) if hour.is_valid else pc.is_null(column)
        totals, _lost = _sum_per_inside(gateways, legs.filter(mask), local_nets)
        per: dict[str, int] = {}
        for (_key, address), nbytes in totals.items():
            per[address] = per.get(address, 0) + nbytes
        for address in sorted(per):
            picks.append(i)
            addresses.append(address)
            counts.append(per[address])
    return pa.table({"hour": pc.take(hours, from_numpy(np.array(picks, dtype=np.int64))),
                     "address": nullable_strings(addresses),
                     "bytes": from_numpy(np.array(counts, dtype=np.int64))})


def _table(rows: list[dict[str, Any]], strings: list[str], ints: list[str]) -> pa.Table:
    """Rows as an Arrow table, built without ``pa.array`` on lists (it imports pandas)."""
    cols: dict[str, Any] = {k: nullable_strings([r.get(k) for r in rows]) for k in strings}
    for k in ints:
        cols[k] = from_numpy(np.array([int(r[k]) for r in rows], dtype=np.int64))
    return pa.table(cols)


__all__ = ["INSIDE_COLUMNS", "Inside", "attribute", "hourly_by_inside"]
