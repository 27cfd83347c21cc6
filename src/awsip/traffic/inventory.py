"""An offline inventory of a VPC's interfaces and NAT gateways, from the AWS CLI's JSON.

``--inventory FILE`` takes what ``aws ec2 describe-network-interfaces`` and/or ``aws ec2
describe-nat-gateways`` print (``--output json``; several files are merged, each one's kind told
from its content) so that the report can name ENIs, NAT gateways, subnets, AZs and instances
exactly instead of inferring them from the records. :meth:`Inventory.load` reads the files;
:meth:`Inventory.lookup_addresses` and :meth:`Inventory.lookup_interfaces` label a whole Arrow
column of addresses or ENI ids at once (one hash lookup per distinct value, then ``take``).

The shapes are the EC2 API's, as the CLI prints them (PascalCase keys):

- ``{"NetworkInterfaces": [NetworkInterface, ...]}``, "NetworkInterface", Amazon EC2 API
  Reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html:
  ``NetworkInterfaceId``, ``SubnetId``, ``VpcId``, ``AvailabilityZone``,
  ``AvailabilityZoneId``, ``InterfaceType`` (``interface``, ``nat_gateway``, ``vpc_endpoint``,
  ...), ``Attachment.InstanceId``, ``PrivateIpAddress``, ``PrivateIpAddresses[].
  PrivateIpAddress``, ``Association.PublicIp``, ``Description`` (a NAT gateway's interface is
  described ``Interface for NAT Gateway nat-...``), ``RequesterId``.
- ``{"NatGateways": [NatGateway, ...]}``, "NatGateway" and "NatGatewayAddress",
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGateway.html and
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGatewayAddress.html:
  ``NatGatewayId``, ``VpcId``, ``SubnetId``, ``State``, ``ConnectivityType``
  (``public``/``private``), ``AvailabilityMode`` (``zonal``/``regional``; absent before regional
  NAT gateways existed, and ``zonal`` is CreateNatGateway's default), ``AutoProvisionZones``,
  and ``NatGatewayAddresses[]`` with ``NetworkInterfaceId``, ``PrivateIp``, ``PublicIp``,
  ``AllocationId`` and, for a regional gateway, the ``AvailabilityZone``/``AvailabilityZoneId``
  where each Elastic IP handles traffic ("Regional NAT gateways for automatic multi-AZ
  expansion", https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html).

A bare list of such items (``--query NetworkInterfaces``) and one object holding both lists are
read too. Anything else is an :class:`InventoryError` naming the file, the place in it and what
was expected; nothing is skipped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..addr import format_address, parse_address
from ..errors import AwsipError, InvalidAddressError

_NAT_DESCRIPTION = re.compile(r"Interface for NAT Gateway (nat-[0-9a-f]+)")
_EXPECTED = ("the JSON output of `aws ec2 describe-network-interfaces` or `aws ec2 "
             "describe-nat-gateways` (an object with a \"NetworkInterfaces\" or \"NatGateways\" "
             "list)")

#: The columns :meth:`Inventory.lookup_addresses` / :meth:`Inventory.lookup_interfaces` return.
LOOKUP_COLUMNS = ("interface_id", "subnet_id", "vpc_id", "az", "az_id", "instance_id",
                  "interface_type", "nat_gateway_id")


class InventoryError(AwsipError):
    """An inventory file could not be read or is not the JSON of describe-network-interfaces
    or describe-nat-gateways; the message names the file and what was expected."""


@dataclass(frozen=True)
class Interface:
    """One network interface: where it is, what it is attached to, its addresses."""

    interface_id: str
    subnet_id: str | None = None
    vpc_id: str | None = None
    az: str | None = None
    az_id: str | None = None
    instance_id: str | None = None
    private_ips: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    interface_type: str | None = None
    nat_gateway_id: str | None = None
    description: str | None = None
    requester_id: str | None = None
    source: str = field(default="", compare=False)  # the file it was read from

    def to_dict(self) -> dict[str, Any]:
        """The interface as JSON-ready values (tuples as lists, no source)."""
        return _plain(self)

    def row(self) -> tuple[str | None, ...]:
        """The values of :data:`LOOKUP_COLUMNS`."""
        return (self.interface_id, self.subnet_id, self.vpc_id, self.az, self.az_id,
                self.instance_id, self.interface_type, self.nat_gateway_id)


@dataclass(frozen=True)
class NatGateway:
    """One NAT gateway: its interfaces and addresses, subnet and zone(s), kind and mode."""

    nat_gateway_id: str
    vpc_id: str | None = None
    subnet_id: str | None = None
    state: str | None = None
    connectivity_type: str | None = None  # "public" | "private"
    availability_mode: str = "zonal"  # "zonal" | "regional"
    interface_ids: tuple[str, ...] = ()
    private_ips: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    az: str | None = None  # a zonal gateway's AZ (from its interface), else None
    az_id: str | None = None
    az_ids: tuple[str, ...] = ()  # every AZ id it serves that the inventory names
    source: str = field(default="", compare=False)

    @property
    def regional(self) -> bool:
        """Whether it is a regional (multi-AZ) NAT gateway."""
        return self.availability_mode == "regional"

    def to_dict(self) -> dict[str, Any]:
        """The gateway as JSON-ready values (tuples as lists, no source)."""
        return _plain(self)


@dataclass
class Inventory:
    """Interfaces by ENI id and NAT gateways by id, with an address index; see the module."""

    interfaces: dict[str, Interface] = field(default_factory=dict)
    nat_gateways: dict[str, NatGateway] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    @classmethod
    def load(cls, paths: str | Path | Iterable[str | Path]) -> Inventory:
        """Read and merge inventory files (see the module doc); :class:`InventoryError` on a
        missing, unreadable or unrecognised file."""
        items = [paths] if isinstance(paths, (str, Path)) else list(paths)
        if not items:
            raise InventoryError(f"no inventory file given: expected {_EXPECTED}")
        docs = []
        for p in items:
            name = str(p)
            docs.append((name, _read_json(Path(p), name)))
        return cls.from_documents(docs)

    @classmethod
    def from_documents(cls, docs: Iterable[tuple[str, Any]]) -> Inventory:
        """Merge already parsed JSON documents, each given with the name errors use."""
        enis: dict[str, Interface] = {}
        nats: dict[str, NatGateway] = {}
        names = []
        for name, doc in docs:
            names.append(name)
            found_enis, found_nats = _split_document(doc, name)
            for n, raw in enumerate(found_enis):
                eni = _interface(raw, f"{name}: NetworkInterfaces[{n}]", name)
                _put(enis, eni.interface_id, eni, name)
            for n, raw in enumerate(found_nats):
                nat = _nat(raw, f"{name}: NatGateways[{n}]", name)
                _put(nats, nat.nat_gateway_id, nat, name)
        enis, nats = _link(enis, nats)
        return cls(enis, nats, tuple(names))

    def __bool__(self) -> bool:
        return bool(self.interfaces or self.nat_gateways)

    # --- scalar look-ups ---------------------------------------------------------------------

    def interface(self, interface_id: str) -> Interface | None:
        """The interface with this ENI id, if the inventory names it."""
        return self.interfaces.get(interface_id)

    def by_address(self, address: str) -> Interface | None:
        """The interface holding this private address, if the inventory names it."""
        return self._address_index().get(address)

    def nat_for_interface(self, interface_id: str) -> NatGateway | None:
        """The NAT gateway owning this interface."""
        eni = self.interfaces.get(interface_id)
        return self.nat_gateways.get(eni.nat_gateway_id or "") if eni else None

    def nat_for_address(self, address: str) -> NatGateway | None:
        """The NAT gateway owning this private address."""
        eni = self.by_address(address)
        return self.nat_gateways.get(eni.nat_gateway_id or "") if eni else None

    @property
    def nat_interface_ids(self) -> frozenset[str]:
        """Every NAT gateway interface (ENI id) the inventory names."""
        return frozenset(e for g in self.nat_gateways.values() for e in g.interface_ids)

    @property
    def regional_nat_ids(self) -> frozenset[str]:
        """The regional NAT gateways (their flow-log records carry ``resource-id``)."""
        return frozenset(g.nat_gateway_id for g in self.nat_gateways.values() if g.regional)

    @property
    def nat_private_ips(self) -> frozenset[str]:
        """Every NAT gateway private address the inventory names."""
        return frozenset(a for g in self.nat_gateways.values() for a in g.private_ips)

    def summary(self) -> str:
        """One line for people: what the inventory holds and where from."""
        zonal = sum(not g.regional for g in self.nat_gateways.values())
        return (f"inventory: {len(self.interfaces)} interface(s), {len(self.nat_gateways)} NAT "
                f"gateway(s) ({zonal} zonal, {len(self.nat_gateways) - zonal} regional) from "
                f"{', '.join(self.sources) or 'no file'}")

    # --- column look-ups ---------------------------------------------------------------------

    def lookup_addresses(self, column: Any) -> Any:
        """For an Arrow column of addresses, a table of :data:`LOOKUP_COLUMNS` (null where the
        inventory does not know the address): one row per input row, in order."""
        return _lookup(self._address_index(), column)

    def lookup_interfaces(self, column: Any) -> Any:
        """For an Arrow column of ENI ids, a table of :data:`LOOKUP_COLUMNS` (null where the
        inventory does not know the interface)."""
        return _lookup(self.interfaces, column)

    def _address_index(self) -> dict[str, Interface]:
        cached: dict[str, Interface] | None = self.__dict__.get("_by_address")
        if cached is None:
            cached = {a: eni for eni in self.interfaces.values() for a in eni.private_ips}
            self.__dict__["_by_address"] = cached
        return cached


# --- reading -----------------------------------------------------------------------------------


def _read_json(path: Path, name: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InventoryError(f"inventory file {name}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"inventory file {name}: cannot be read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"inventory file {name}: not JSON ({exc.msg} at line {exc.lineno} "
                             f"column {exc.colno}); expected {_EXPECTED}") from None


def _split_document(doc: Any, name: str) -> tuple[list[Any], list[Any]]:
    """The NetworkInterfaces and NatGateways items of one document (see the module doc)."""
    if isinstance(doc, dict):
        enis, nats = doc.get("NetworkInterfaces"), doc.get("NatGateways")
        if enis is None and nats is None:
            keys = ", ".join(sorted(map(str, doc))[:6]) or "none"
            raise InventoryError(f"inventory file {name}: a JSON object with keys {keys}; "
                                 f"expected {_EXPECTED}")
        for key, value in (("NetworkInterfaces", enis), ("NatGateways", nats)):
            if value is not None and not isinstance(value, list):
                raise InventoryError(f"inventory file {name}: \"{key}\" is not a list; expected "
                                     f"{_EXPECTED}")
        return list(enis or []), list(nats or [])
    if isinstance(doc, list):
        enis, nats = [], []
        for n, item in enumerate(doc):
            if isinstance(item, dict) and "NetworkInterfaceId" in item:
                enis.append(item)
            elif isinstance(item, dict) and "NatGatewayId" in item:
                nats.append(item)
            else:
                raise InventoryError(f"inventory file {name}: item [{n}] of the top-level list "
                                     "has neither NetworkInterfaceId nor NatGatewayId; expected "
                                     f"{_EXPECTED}")
        return enis, nats
    raise InventoryError(f"inventory file {name}: the JSON is a {type(doc).__name__}; expected "
                         f"{_EXPECTED}")


def _text(item: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise InventoryError(f"inventory file {where}: no {key}; expected {_EXPECTED}")
        return None
    if not isinstance(value, str):
        raise InventoryError(f"inventory file {where}.{key}: {value!r} is not a string")
    return value


def _object(item: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventoryError(f"inventory file {where}.{key}: {value!r} is not an object")
    return value


def _objects(item: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InventoryError(f"inventory file {where}.{key}: not a list of objects")
    return value


def _address(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    try:
        return format_address(*parse_address(value))  # the one address rule, as flow logs
    except InvalidAddressError:
        raise InventoryError(f"inventory file {where}: {value!r} is not an IP address") from None


def _interface(item: Any, where: str, source: str) -> Interface:
    """One NetworkInterfaces[] item."""
    if not isinstance(item, dict):
        raise InventoryError(f"inventory file {where}: not an object")
    eni = _text(item, "NetworkInterfaceId", where, required=True) or ""
    ips = [_address(_text(item, "PrivateIpAddress", where), f"{where}.PrivateIpAddress")]
    publics = [_text(_object(item, "Association", where), "PublicIp", f"{where}.Association")]
    for n, entry in enumerate(_objects(item, "PrivateIpAddresses", where)):
        at = f"{where}.PrivateIpAddresses[{n}]"
        ips.append(_address(_text(entry, "PrivateIpAddress", at), f"{at}.PrivateIpAddress"))
        publics.append(_text(_object(entry, "Association", at), "PublicIp", f"{at}.Association"))
    description = _text(item, "Description", where)
    match = _NAT_DESCRIPTION.search(description or "")
    return Interface(
        eni, _text(item, "SubnetId", where), _text(item, "VpcId", where),
        _text(item, "AvailabilityZone", where), _text(item, "AvailabilityZoneId", where),
        _text(_object(item, "Attachment", where), "InstanceId", f"{where}.Attachment"),
        _unique(ips), _unique(publics),
        _text(item, "InterfaceType", where), match.group(1) if match else None, description,
        _text(item, "RequesterId", where), source)


def _nat(item: Any, where: str, source: str) -> NatGateway:
    """One NatGateways[] item."""
    if not isinstance(item, dict):
        raise InventoryError(f"inventory file {where}: not an object")
    nat_id = _text(item, "NatGatewayId", where, required=True) or ""
    enis, privates, publics, az_ids = [], [], [], []
    for n, entry in enumerate(_objects(item, "NatGatewayAddresses", where)):
        at = f"{where}.NatGatewayAddresses[{n}]"
        enis.append(_text(entry, "NetworkInterfaceId", at))
        privates.append(_address(_text(entry, "PrivateIp", at), f"{at}.PrivateIp"))
        publics.append(_text(entry, "PublicIp", at))  # kept as given: never matched
        az_ids.append(_text(entry, "AvailabilityZoneId", at))
    mode = (_text(item, "AvailabilityMode", where) or "zonal").lower()
    if mode not in ("zonal", "regional"):
        raise InventoryError(f"inventory file {where}.AvailabilityMode: {mode!r}; expected "
                             "zonal or regional")
    return NatGateway(nat_id, _text(item, "VpcId", where), _text(item, "SubnetId", where),
                      _text(item, "State", where), _text(item, "ConnectivityType", where), mode,
                      _unique(enis), _unique(privates), _unique(publics),
                      az_ids=_unique(az_ids), source=source)


def _plain(item: Any) -> dict[str, Any]:
    return {f.name: list(v) if isinstance(v := getattr(item, f.name), tuple) else v
            for f in fields(item) if f.name != "source"}


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _put(into: dict[str, Any], key: str, item: Any, name: str) -> None:
    """Add ``item``; the same id described differently by two files is an error."""
    old = into.get(key)
    if old is not None and old != item:
        raise InventoryError(f"inventory: {key} is described differently in {old.source} and "
                             f"{name}; give one snapshot of the VPC")
    into[key] = item


def _link(enis: dict[str, Interface], nats: dict[str, NatGateway]
          ) -> tuple[dict[str, Interface], dict[str, NatGateway]]:
    """Tie NAT gateways to their interfaces both ways; add the interfaces only a NatGateways
    document names; give a zonal gateway the AZ of its interface."""
    out_enis = _tie_interfaces(enis, nats)
    out_nats = {}
    for nat_id, gw in nats.items():
        own = [e for e in out_enis.values() if e.nat_gateway_id == nat_id]
        out_nats[nat_id] = _with_interfaces(gw, own)
    return out_enis, out_nats


def _tie_interfaces(enis: dict[str, Interface], nats: dict[str, NatGateway]
                    ) -> dict[str, Interface]:
    """The interfaces with their NAT gateway id set, plus those only a NAT document names."""
    owner = {e: g.nat_gateway_id for g in nats.values() for e in g.interface_ids}
    for e in enis.values():
        if e.nat_gateway_id:
            owner.setdefault(e.interface_id, e.nat_gateway_id)
    out = dict(enis)
    for eni_id, nat_id in owner.items():
        eni, gw = out.get(eni_id), nats.get(nat_id)
        if eni is None and gw is None:
            continue
        if eni is None:
            assert gw is not None
            eni = Interface(eni_id, gw.subnet_id, gw.vpc_id, interface_type="nat_gateway",
                            source=gw.source)
        ips = gw.private_ips if gw is not None and len(gw.interface_ids) == 1 else ()
        out[eni_id] = replace(eni, nat_gateway_id=nat_id,
                              private_ips=_unique((*eni.private_ips, *ips)))
    return out


def _with_interfaces(gw: NatGateway, own: list[Interface]) -> NatGateway:
    """``gw`` with the ids, addresses and zone of its interfaces ``own``."""
    zone = {(e.az, e.az_id) for e in own if e.az or e.az_id}
    az, az_id = next(iter(zone)) if len(zone) == 1 and not gw.regional else (None, None)
    return replace(
        gw, interface_ids=_unique((*gw.interface_ids, *(e.interface_id for e in own))),
        private_ips=_unique((*gw.private_ips, *(a for e in own for a in e.private_ips))),
        az=az, az_id=az_id, az_ids=_unique((*gw.az_ids, *(z for _, z in zone))))


def _lookup(index: Mapping[str, Interface], column: Any) -> Any:
    """Rows of :data:`LOOKUP_COLUMNS` for ``column`` through ``index`` (see the class)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = list(index)
    rows = [index[k].row() for k in keys]
    attrs = pa.table({name: pa.array([r[i] for r in rows], pa.string())
                      for i, name in enumerate(LOOKUP_COLUMNS)})
    value_set = pa.array(keys, pa.string())
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = []
    for chunk in chunks:
        strings = chunk if chunk.type == pa.string() else chunk.cast(pa.string())
        parts.append(attrs.take(pc.index_in(strings, value_set=value_set)))
    if not parts:
        return attrs.slice(0, 0)
    return pa.concat_tables(parts) if len(parts) > 1 else parts[0]


__all__ = ["LOOKUP_COLUMNS", "Interface", "Inventory", "InventoryError", "NatGateway"]
