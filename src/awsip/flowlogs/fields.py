"""The catalogue of flow-log fields AWS can write, with the version that introduced each one.

Names are AWS's (hyphenated, as in ``${srcaddr}`` format strings and S3 header lines); the
Arrow column is the same name with hyphens turned into underscores. Types follow AWS's Parquet
delivery (INT_32 → int32, INT_64 → int64, STRING → string) except ``start``/``end``, which are
Unix seconds (Parquet INT_64) and become ``timestamp[s, tz=UTC]``.

Sources:

- "Flow log records", Amazon VPC User Guide,
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html ("Available fields":
  name, version and "Parquet data type" of every field). Versions 2-5 and their Parquet types
  are read from the page's table (also in awsdocs/amazon-vpc-user-guide,
  doc_source/flow-logs.md). Versions 7-11: the stored copy of the page that could be searched
  showed its opening only, so the names and versions of the fields added since (9:
  ``resource-id``, the regional NAT gateway of a flow whose ``interface-id`` is ``-``; 10:
  ``encryption-status``; 11: the EC2 tag fields, ``interface-type`` and the ``next-hop-*``
  fields) are the page's as quoted by write-ups citing it and by AWS's announcement of
  2026-06-10 (https://aws.amazon.com/about-aws/whats-new/2026/06/amazon-flow-logs-metadata/);
  all of them but ``encryption-status`` hold IDs, names or tag text (STRING).
- "CreateFlowLogs" / "TagFieldSpecificationRequest", Amazon EC2 API Reference,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TagFieldSpecificationRequest.html:
  the tag keys (one or two per resource type: ``instance``, ``network-interface``,
  ``auto-scaling-group``) whose values fill ``instance-tag``/``instance-tag-2``,
  ``interface-tag``/``interface-tag-2`` and ``asg-tag``/``asg-tag-2``; the values are written
  percent-encoded (UTF-8), see :mod:`awsip.flowlogs.tags`.
- "Logging network traffic using Transit Gateway Flow Logs", Transit Gateways guide,
  https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html (version 6 fields and their
  Parquet types; its 2023 text, awsdocs/aws-transit-gateway-guide, typed ``protocol`` INT_64,
  the current page INT_32 like the VPC page: the catalogue has INT_32).

``encryption-status`` holds the codes 0-3 or ``-`` ("Enforce VPC encryption in transit",
https://docs.aws.amazon.com/vpc/latest/userguide/vpc-encryption-controls.html): typed int32
like the other code fields (``traffic-path``, ``tcp-flags``); its Parquet type could not be
read from the page (a Parquet delivery typing it STRING is cast, ``-`` and text nulls alike).
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

    @property
    def parquet_type(self) -> str:
        """AWS's Parquet data type for the field (``start``/``end`` are INT_64 seconds)."""
        return _PARQUET[self.kind]

    @property
    def tag(self) -> bool:
        """Whether the field holds an EC2 tag value (written percent-encoded)."""
        return self.name in TAG_FIELDS


_S: Kind = "string"
_I: Kind = "int32"
_L: Kind = "int64"
_T: Kind = "timestamp"
_PARQUET: dict[str, str] = {"string": "STRING", "int32": "INT_32", "int64": "INT_64",
                            "timestamp": "INT_64"}

TAG_FIELDS = frozenset({"instance-tag", "instance-tag-2", "interface-tag", "interface-tag-2",
                        "asg-tag", "asg-tag-2"})
"""The fields holding EC2 tag values (version 11), percent-encoded by AWS."""

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
    # version 9 (regional NAT gateways)
    ("resource-id", _S, 9),
    # version 10 (VPC encryption controls)
    ("encryption-status", _I, 10),
    # version 11 (EC2 tags, interface type, next hop)
    ("instance-tag", _S, 11), ("instance-tag-2", _S, 11), ("interface-tag", _S, 11),
    ("interface-tag-2", _S, 11), ("asg-tag", _S, 11), ("asg-tag-2", _S, 11),
    ("interface-type", _S, 11), ("next-hop-interface-id", _S, 11),
    ("next-hop-subnet-id", _S, 11), ("next-hop-az-id", _S, 11), ("next-hop-vpc-id", _S, 11),
    ("next-hop-interface-type", _S, 11),
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

NEWEST_VERSION: int = max(f.version for f in FIELDS.values())
"""The newest flow-log record version this catalogue knows (records of any version are read)."""

TAG_COLUMNS = frozenset(FIELDS[n].column for n in TAG_FIELDS)
"""The Arrow columns of :data:`TAG_FIELDS`."""

PARQUET_UNCONFIRMED = frozenset({"encryption-status"})
"""Fields whose Parquet type could not be read from AWS's page (see the module docstring)."""

ADDRESS_COLUMNS = frozenset({"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr"})
"""Columns holding IP addresses: checked on read (``-``, or an IPv4/IPv6 address by the rule of
``awsip.classify``: :func:`awsip.addr.columns.invalid_addresses`)."""


def arrow_type(kind: Kind) -> object:
    """The pyarrow type for a field kind (imports pyarrow lazily)."""
    import pyarrow as pa

    return {
        "string": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "timestamp": pa.timestamp("s", tz="UTC"),
    }[kind]


def field_table_markdown() -> str:
    """The catalogue as the Markdown table of docs/flowlogs.md ("Every field by version"):
    version, AWS name, Arrow column, Parquet type, Arrow type; VPC fields by version in the
    catalogue's order, then the Transit Gateway ones. ``tests/test_catalogue.py`` checks that
    the document holds exactly this text, so the two cannot drift."""
    arrow = {"string": "string", "int32": "int32", "int64": "int64",
             "timestamp": "timestamp[s, tz=UTC]"}
    rows = ["| version | field | column | Parquet type | Arrow type |",
            "|---|---|---|---|---|"]
    ordered = sorted((f for f in FIELDS.values() if not f.tgw), key=lambda f: f.version)
    ordered += [f for f in FIELDS.values() if f.tgw]
    for f in ordered:
        where = f"{f.version} (Transit Gateway)" if f.tgw else str(f.version)
        parquet = f.parquet_type + (" (not confirmed)" if f.name in PARQUET_UNCONFIRMED else "")
        rows.append(f"| {where} | `{f.name}` | `{f.column}` | {parquet} | {arrow[f.kind]} |")
    return "\n".join(rows) + "\n"
