"""Which flow-log records are a NAT gateway's public-facing leg (:func:`nat_mask`).

In a NAT gateway's flow logs each processed byte appears on several records: the leg between
the NAT and the public peer (NAT private IP <-> public address, on the NAT's ENI), the leg
between the NAT and the instance (instance IP <-> NAT IP, also on the NAT's ENI) and, when the
whole VPC is logged, again on the instance's own ENI (instance IP <-> public address). NAT data
processing is billed once per byte, in both directions, so awsip counts the *public-facing leg*
only: records on a NAT ENI whose peer is public, or, when only NAT IPs are given, records
between a NAT IP and a public address. REJECTed records were dropped, not processed.

:meth:`NatSpec.of` validates what the user named: an ENI id is ``eni-`` and hex digits; a NAT
IP is one address (not a CIDR) and a private one, because flow logs carry the NAT's private
address, never its Elastic IP. Anything else is a :class:`~awsip.errors.UsageError` naming the
value. :func:`unmatched` says which of them no record mentioned.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow.compute as pc

from ..addr import format_address, parse_address
from ..arrowutil import (
    bool_scalar,
    from_numpy,
    string_array,
    string_scalar,
)
from ..errors import InvalidAddressError, UsageError

_ENI = re.compile(r"eni-[0-9a-f]+")
_NAT_ID = re.compile(r"nat-[0-9a-f]+")
_FIND_PRIVATE_IP = ("aws ec2 describe-nat-gateways --query "
                    "'NatGateways[].NatGatewayAddresses[].PrivateIp'")


def check_eni(value: object) -> str:
    """``value`` as a NAT gateway interface id (``eni-`` and hex digits, lower-cased), else
    :class:`UsageError` naming it."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text is None or not _ENI.fullmatch(text):
        raise UsageError(f"NAT interface {value!r} is not an ENI id (eni- and hex digits, e.g. "
                         "eni-0a1b2c3d4e5f67890)")
    return text


def check_nat_ip(value: object) -> str:
    """``value`` as a NAT gateway's private address in the form flow logs write it, else
    :class:`UsageError` naming it: not an address, a CIDR, or a public address."""
    text = value.strip() if isinstance(value, str) else None
    if text is not None and "/" in text:
        raise UsageError(f"NAT IP {value!r} is a CIDR; give the NAT gateway's private address "
                         f"(find it with {_FIND_PRIVATE_IP})")
    try:  # awsip's one address rule (what classify and the reader accept), written as
        address = format_address(*parse_address(text or ""))  # flow logs write it
    except InvalidAddressError:
        raise UsageError(f"NAT IP {value!r} is not an IPv4 or IPv6 address") from None
    if ipaddress.ip_address(address).is_global:  # IANA's special-purpose registries
        raise UsageError(f"NAT IP {value!r} is a public address: flow logs carry the NAT "
                         f"gateway's private address, not its Elastic IP; find it with "
                         f"{_FIND_PRIVATE_IP}")
    return address


def check_nat_id(value: object) -> str:
    """``value`` as a NAT gateway id (``nat-`` and hex digits, lower-cased; zonal or
    regional), else :class:`UsageError` naming it."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text is None or not _NAT_ID.fullmatch(text):
        raise UsageError(f"NAT gateway id {value!r} is not a NAT id (nat- and hex digits, e.g. "
                         "nat-0123456789abcdef0; list them with aws ec2 describe-nat-gateways)")
    return text


@dataclass(frozen=True)
class NatSpec:
    """The NAT gateways a run looks for: interface ids, private addresses and NAT ids."""

    enis: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, enis: Iterable[str] | str = (), ips: Iterable[str] | str = (),
           ids: Iterable[str] | str = ()) -> NatSpec:
        """Validated (:func:`check_eni`, :func:`check_nat_ip`, :func:`check_nat_id`),
        duplicates removed, order kept; one string is one value."""
        enis = (enis,) if isinstance(enis, str) else enis
        ips = (ips,) if isinstance(ips, str) else ips
        ids = (ids,) if isinstance(ids, str) else ids
        try:
            eni_list, ip_list, id_list = list(enis), list(ips), list(ids)
        except TypeError:
            raise UsageError("nat_enis, nat_ips and nat_ids take strings or lists of "
                             "strings") from None
        return cls(tuple(dict.fromkeys(check_eni(e) for e in eni_list)),
                   tuple(dict.fromkeys(check_nat_ip(i) for i in ip_list)),
                   tuple(dict.fromkeys(check_nat_id(i) for i in id_list)))

    def __bool__(self) -> bool:
        return bool(self.enis or self.ips or self.ids)

    @property
    def masked(self) -> bool:
        """Whether the NAT's public legs are picked record by record while reading (interfaces
        or addresses named, no NAT id); else from per-interface sums once the gateways are
        known (detected, or NAT ids resolved after the read)."""
        return bool(self.enis or self.ips) and not self.ids

    @property
    def addressed(self) -> NatSpec:
        """What the peer view's per-record NAT mask tests: the interfaces and addresses when
        :attr:`masked`, else nothing."""
        return NatSpec(self.enis, self.ips) if self.masked else NatSpec()


#: No NAT gateway named.
NO_NAT = NatSpec()


def nat_mask(interface_id: Any, src: Any, dst: Any, peer_local: Any, nat: NatSpec,
             action: Any = None) -> Any:
    """Per record: whether it is a NAT gateway's public-facing leg (see the module doc)."""
    n = len(peer_local)
    on_nat = from_numpy(np.zeros(n, dtype=bool))
    if not nat:
        return on_nat
    if nat.enis:
        on_nat = pc.fill_null(pc.is_in(interface_id, string_array(sorted(nat.enis))),
                              bool_scalar(False))
    if nat.ips:
        ips = string_array(sorted(nat.ips))
        involves = pc.or_(pc.is_in(src, ips), pc.is_in(dst, ips))
        on_nat = pc.or_(on_nat, involves)
    result = pc.and_(on_nat, pc.invert(peer_local))
    if action is not None:  # a rejected packet was dropped, not processed by the NAT
        result = pc.and_(result, pc.fill_null(pc.not_equal(action, string_scalar("REJECT")),
                                              True))
    return result


class Seen:
    """Which of a :class:`NatSpec`'s identifiers some record mentions (ENIs in
    ``interface_id``, IPs in ``srcaddr``/``dstaddr``), fed table by table; checks stop once
    all are seen."""

    def __init__(self, nat: NatSpec) -> None:
        self.missing_enis = set(nat.enis)
        self.missing_ips = set(nat.ips)

    def see(self, table: Any) -> None:
        names = table.column_names
        if self.missing_enis and "interface_id" in names:
            self.missing_enis -= _present(self.missing_enis, [table.column("interface_id")])
        if self.missing_ips:
            columns = [table.column(c) for c in ("srcaddr", "dstaddr") if c in names]
            self.missing_ips -= _present(self.missing_ips, columns)

    def merge(self, other: Seen) -> None:
        """Fold in what another partition saw: missing only if missing from both."""
        self.missing_enis &= other.missing_enis
        self.missing_ips &= other.missing_ips

    def unmatched(self, nat: NatSpec) -> list[str]:
        """The identifiers no record mentioned, in the order given."""
        return [e for e in nat.enis if e in self.missing_enis] + [
            i for i in nat.ips if i in self.missing_ips]


def _present(values: set[str], columns: list[Any]) -> set[str]:
    found: set[str] = set()
    wanted = string_array(sorted(values))
    for column in columns:
        if column.null_count == len(column):
            continue
        hits = pc.is_in(wanted, value_set=column.cast("string") if column.type != wanted.type
                        else column)
        found.update(v for v, hit in zip(wanted.to_pylist(), hits.to_pylist(), strict=True)
                     if hit)
    return found


__all__ = ["NO_NAT", "NatSpec", "Seen", "check_eni", "check_nat_id", "check_nat_ip", "nat_mask"]
