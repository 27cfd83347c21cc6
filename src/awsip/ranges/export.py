"""Ranges as data: Arrow tables with integer bounds, and CIDR/JSON/CSV/Parquet bytes.

The Arrow table (:func:`ranges_to_arrow`, also :meth:`Ranges.to_arrow`) has one row per entry and
everything a SQL engine needs to classify addresses with a range join *and* apply the primary
service rule (see :mod:`awsip.ranges.model`) without awsip:

==========================  =====================================================================
column                      meaning
==========================  =====================================================================
``prefix``                  the CIDR prefix, canonical text
``family``                  4 or 6 (int32)
``prefixlen``               prefix length (int32)
``service``, ``region``,    the entry's tags
``network_border_group``
``service_rank``            1 for the narrowest service of the family in the publication, then 2,
                            ... (order of the rule: fewest addresses covered, ties by name)
``label``                   True on the one entry per prefix that decides (:meth:`Ranges.label`)
``first_hi``, ``first_lo``  first address as two uint64 halves; IPv4: hi = 0, lo = the 32-bit
``last_hi``, ``last_lo``    address (so ``ip BETWEEN first_lo AND last_lo`` for IPv4)
``first_ip``, ``last_ip``   the bounds as 16 bytes, big-endian; IPv4 in IPv4-mapped form
                            (``::ffff:a.b.c.d``), as Trino/Athena ``CAST(ipaddress AS VARBINARY)``
==========================  =====================================================================

Rows are sorted by family, first address, prefix length and ``service_rank``, so the deciding
entry of a prefix comes first. pyarrow is imported inside the functions that need it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..addr import bounds, format_address
from ..encoding import dumps
from .model import Entry, Ranges, register_view

if TYPE_CHECKING:
    import pyarrow

_MASK64 = (1 << 64) - 1
_V4_MAPPED = 0xFFFF << 32

#: Output formats of :func:`to_bytes` / ``awsip ranges --output-format``.
FORMATS = ("cidr", "json", "csv", "parquet")


def _bytes16(version: int, value: int) -> bytes:
    return (value | _V4_MAPPED if version == 4 else value).to_bytes(16, "big")


def service_ranks(ranges: Ranges) -> dict[tuple[int, str], int]:
    """Rank of each service per family, 1 = narrowest (the rule's order: breadth, then name)."""
    ranks: dict[tuple[int, str], int] = {}
    for version in (4, 6):
        services = {e.service for e in ranges.entries if e.version == version}
        for i, service in enumerate(ranges.rank_services(services, version), start=1):
            ranks[(version, service)] = i
    return ranks


def sorted_entries(ranges: Ranges) -> list[Entry]:
    """Entries by family, first address, prefix length, then the rule's service order."""
    ranks = service_ranks(ranges)

    def key(e: Entry) -> tuple[int, int, int, int]:
        p = ranges.parsed(e.prefix)
        return p.version, p.network, p.prefixlen, ranks[(p.version, e.service)]

    return sorted(ranges.entries, key=key)


def _bound_columns(rows: Iterable[tuple[int, int, int]]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in (
        "first_hi", "first_lo", "last_hi", "last_lo", "first_ip", "last_ip")}
    for version, network, prefixlen in rows:
        first, last = bounds(version, network, prefixlen)
        cols["first_hi"].append(first >> 64)
        cols["first_lo"].append(first & _MASK64)
        cols["last_hi"].append(last >> 64)
        cols["last_lo"].append(last & _MASK64)
        cols["first_ip"].append(_bytes16(version, first))
        cols["last_ip"].append(_bytes16(version, last))
    return cols


def _schema_types() -> dict[str, pyarrow.DataType]:
    import pyarrow as pa

    return {
        "prefix": pa.string(), "family": pa.int32(), "prefixlen": pa.int32(),
        "service": pa.string(), "region": pa.string(), "network_border_group": pa.string(),
        "service_rank": pa.int32(), "label": pa.bool_(),
        "first_hi": pa.uint64(), "first_lo": pa.uint64(),
        "last_hi": pa.uint64(), "last_lo": pa.uint64(),
        "first_ip": pa.binary(), "last_ip": pa.binary(),
    }


def _table(cols: dict[str, list[Any]]) -> pyarrow.Table:
    import pyarrow as pa

    types = _schema_types()
    return pa.table({name: pa.array(values, type=types[name]) for name, values in cols.items()})


def ranges_to_arrow(ranges: Ranges) -> pyarrow.Table:
    """One row per entry with tags, rule columns and integer bounds (see the module doc)."""
    ranks = service_ranks(ranges)
    entries = sorted_entries(ranges)
    parsed = [ranges.parsed(e.prefix) for e in entries]
    cols: dict[str, list[Any]] = {
        "prefix": [e.prefix for e in entries],
        "family": [p.version for p in parsed],
        "prefixlen": [p.prefixlen for p in parsed],
        "service": [e.service for e in entries],
        "region": [e.region for e in entries],
        "network_border_group": [e.network_border_group for e in entries],
        "service_rank": [ranks[(p.version, e.service)] for e, p in zip(entries, parsed,
                                                                       strict=True)],
        "label": [ranges.label(e.prefix) == e for e in entries],
    }
    cols.update(_bound_columns((p.version, p.network, p.prefixlen) for p in parsed))
    return _table(cols)


def networks_to_arrow(networks: Iterable[tuple[int, int, int]]) -> pyarrow.Table:
    """Untagged prefixes (e.g. collapsed) as a table: prefix, family, prefixlen and bounds."""
    nets = list(networks)
    cols: dict[str, list[Any]] = {
        "prefix": [f"{format_address(v, n)}/{p}" for v, n, p in nets],
        "family": [v for v, _, _ in nets],
        "prefixlen": [p for _, _, p in nets],
    }
    cols.update(_bound_columns(nets))
    return _table(cols)


def distinct_prefixes(ranges: Ranges) -> list[str]:
    """Each prefix once: IPv4 first, then by address and prefix length."""
    def key(prefix: str) -> tuple[int, int, int]:
        p = ranges.parsed(prefix)
        return p.version, p.network, p.prefixlen

    return sorted(ranges.prefixes, key=key)


def to_bytes(ranges: Ranges, fmt: str, *, collapse: bool = False) -> bytes:
    """The bytes ``awsip ranges`` writes for ``ranges`` in format ``fmt``.

    ``collapse`` replaces the entries by :meth:`Ranges.collapse` (tags are dropped): ``cidr``
    prints one block per line, ``json`` a list of strings, ``csv``/``parquet`` the untagged
    table of :func:`networks_to_arrow`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt in ("cidr", "json"):
        if collapse:
            items: list[Any] = ranges.collapse()
        elif fmt == "cidr":
            items = distinct_prefixes(ranges)
        else:
            items = [e.to_dict() for e in sorted_entries(ranges)]
        if fmt == "cidr":
            return "".join(f"{p}\n" for p in items).encode()
        return dumps(items).encode()
    table = networks_to_arrow(ranges.collapsed_networks()) if collapse else ranges_to_arrow(ranges)
    return table_bytes(table, fmt)


def table_bytes(table: pyarrow.Table, fmt: str) -> bytes:
    """``table`` as Parquet or CSV bytes (CSV leaves out the binary columns)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, sink, compression="zstd")
    elif fmt == "csv":
        import pyarrow.csv as pcsv

        keep = [n for n, t in zip(table.column_names, table.schema.types, strict=True)
                if not pa.types.is_binary(t)]
        pcsv.write_csv(table.select(keep), sink)
    else:
        raise ValueError(f"not a table format: {fmt!r}")
    data: bytes = sink.getvalue().to_pybytes()
    return data


register_view("arrow", ranges_to_arrow)

__all__ = ["FORMATS", "distinct_prefixes", "networks_to_arrow", "ranges_to_arrow",
           "service_ranks", "sorted_entries", "table_bytes", "to_bytes"]
