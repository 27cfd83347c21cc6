"""Which flow-log records are a NAT gateway's public-facing leg (:func:`nat_mask`).

In a NAT gateway's flow logs each processed byte appears on several records: the leg between
the NAT and the public peer (NAT private IP <-> public address, on the NAT's ENI), the leg
between the NAT and the instance (instance IP <-> NAT IP, also on the NAT's ENI) and, when the
whole VPC is logged, again on the instance's own ENI (instance IP <-> public address). NAT data
processing is billed once per byte, in both directions, so awsip counts the *public-facing leg*
only: records on a NAT ENI whose peer is public, or, when only NAT IPs are given, records
between a NAT IP and a public address. REJECTed records were dropped, not processed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow.compute as pc

from ..arrowutil import from_numpy, string_array, string_scalar


@dataclass(frozen=True)
class NatSpec:
    """The NAT gateways a run looks for: interface ids and private addresses."""

    enis: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()

    @classmethod
    def of(cls, enis: Iterable[str] = (), ips: Iterable[str] = ()) -> NatSpec:
        """Duplicates removed, order kept."""
        return cls(tuple(dict.fromkeys(enis)), tuple(dict.fromkeys(ips)))

    def __bool__(self) -> bool:
        return bool(self.enis or self.ips)


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
        on_nat = pc.fill_null(pc.is_in(interface_id, string_array(sorted(nat.enis))), False)
    if nat.ips:
        ips = string_array(sorted(nat.ips))
        involves = pc.or_(pc.is_in(src, ips), pc.is_in(dst, ips))
        on_nat = pc.or_(on_nat, involves)
    result = pc.and_(on_nat, pc.invert(peer_local))
    if action is not None:  # a rejected packet was dropped, not processed by the NAT
        result = pc.and_(result, pc.fill_null(pc.not_equal(action, string_scalar("REJECT")),
                                              True))
    return result


__all__ = ["NO_NAT", "NatSpec", "nat_mask"]
