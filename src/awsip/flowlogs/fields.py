"""The catalogue of flow-log fields AWS can write, with the version that introduced each one.

Names are AWS's (hyphenated, as in ``${srcaddr}`` format strings and S3 header lines); the
Arrow column is the same name with hyphens turned into underscores. Types follow AWS's Parquet
delivery (INT_32 → int32, INT_64 → int64, STRING → string) except ``start``/``end``, which are
Unix seconds and become ``timestamp[s, tz=UTC]``.

Sources: "Flow log records" (VPC User Guide, fields of versions 2-8) and "Transit gateway flow
log records" (Transit Gateways guide, version 6 fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "int32", "int64", "timestamp"]


@dataclass(frozen=True)
class Field:
    """One flow-log field: AWS name, Arrow column name, value kind and introducing version."""

    name: str
    kind: Kind
    version: int
    tgw: bool = False  # only in Transit Gateway flow logs

    @property
    def column(self) -> str:
        """The Arrow column name: the AWS name with ``-`` → ``_``."""
        return self.name.replace("-", "_")


_S: Kind = "string"
_I: Kind = "int32"
_L: Kind = "int64"
_T: Kind = "timestamp"

_VPC: list[tuple[str, Kind, int]] = [
    # version 2 (the default format, in this order)
    ("version", _I, 2), ("account-id", _S, 2), ("interface-id", _S, 2), ("srcaddr", _S, 2),
    ("dstaddr", _S, 2), ("srcport", _I, 2), ("dstport", _I, 2), ("protocol", _I, 2),
    ("packets", _L, 2), ("bytes", _L, 2), ("start", _T, 2), ("end", _T, 2), ("action", _S, 2),
    ("log-status", _S, 2),
    # version 3
    ("vpc-id", _S, 3), ("subnet-id", _S, 3), ("instance-id", _S, 3), ("tcp-flags", _I, 3),
    ("type", _S, 3), ("pkt-srcaddr", _S, 3), ("pkt-dstaddr", _S, 3),
    # version 4
    ("region", _S, 4), ("az-id", _S, 4), ("sublocation-type", _S, 4), ("sublocation-id", _S, 4),
    # version 5
    ("pkt-src-aws-service", _S, 5), ("pkt-dst-aws-service", _S, 5), ("flow-direction", _S, 5),
    ("traffic-path", _I, 5),
    # version 7 (ECS)
    ("ecs-cluster-arn", _S, 7), ("ecs-cluster-name", _S, 7), ("ecs-container-instance-arn", _S, 7),
    ("ecs-container-instance-id", _S, 7), ("ecs-container-id", _S, 7),
    ("ecs-second-container-id", _S, 7), ("ecs-service-name", _S, 7),
    ("ecs-task-definition-arn", _S, 7), ("ecs-task-arn", _S, 7), ("ecs-task-id", _S, 7),
    # version 8
    ("reject-reason", _S, 8),
]

# Transit Gateway flow logs (version 6); the fields shared with VPC logs are listed above.
_TGW: list[tuple[str, Kind, int]] = [
    ("resource-type", _S, 6), ("tgw-id", _S, 6), ("tgw-attachment-id", _S, 6),
    ("tgw-src-vpc-account-id", _S, 6), ("tgw-dst-vpc-account-id", _S, 6),
    ("tgw-src-vpc-id", _S, 6), ("tgw-dst-vpc-id", _S, 6), ("tgw-src-subnet-id", _S, 6),
    ("tgw-dst-subnet-id", _S, 6), ("tgw-src-eni", _S, 6), ("tgw-dst-eni", _S, 6),
    ("tgw-src-az-id", _S, 6), ("tgw-dst-az-id", _S, 6), ("tgw-pair-attachment-id", _S, 6),
    ("packets-lost-no-route", _L, 6), ("packets-lost-blackhole", _L, 6),
    ("packets-lost-mtu-exceeded", _L, 6), ("packets-lost-ttl-expired", _L, 6),
]

FIELDS: dict[str, Field] = {
    **{n: Field(n, k, v) for n, k, v in _VPC},
    **{n: Field(n, k, v, tgw=True) for n, k, v in _TGW},
}
"""Every known field by AWS name."""

BY_COLUMN: dict[str, Field] = {f.column: f for f in FIELDS.values()}
"""Every known field by Arrow column name."""

DEFAULT_FIELDS: tuple[str, ...] = tuple(n for n, _, v in _VPC if v == 2)
"""The default (version 2) format, in AWS's order."""

TGW_DEFAULT_FIELDS: tuple[str, ...] = (
    "version", "resource-type", "account-id", "tgw-id", "tgw-attachment-id",
    "tgw-src-vpc-account-id", "tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id",
    "tgw-src-subnet-id", "tgw-dst-subnet-id", "tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id",
    "tgw-dst-az-id", "tgw-pair-attachment-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "log-status", "type",
    "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired", "tcp-flags", "region", "flow-direction", "pkt-src-aws-service",
    "pkt-dst-aws-service",
)
"""All Transit Gateway fields in the order AWS writes them when no format is given."""

ADDRESS_COLUMNS = frozenset({"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"})
"""Columns holding IP addresses: checked on read (must look like IPv4/IPv6, or be ``-``)."""


def arrow_type(kind: Kind) -> object:
    """The pyarrow type for a field kind (imports pyarrow lazily)."""
    import pyarrow as pa

    return {
        "string": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "timestamp": pa.timestamp("s", tz="UTC"),
    }[kind]
