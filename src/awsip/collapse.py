"""Merge prefixes into the minimal set of CIDR blocks covering exactly the same addresses.

Works on integers (``(version, network, prefixlen)`` triples) rather than :mod:`ipaddress`
objects: collapsing all 17,000 prefixes of a publication is then a sort and a linear sweep.
"""

from __future__ import annotations

from collections.abc import Iterable

from .addr import format_address, parse_cidr

_BITS = {4: 32, 6: 128}


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of half-open ``[lo, hi)`` intervals, merging overlapping *and* adjacent ones."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def interval_to_blocks(lo: int, hi: int, bits: int) -> list[tuple[int, int]]:
    """Split ``[lo, hi)`` into the fewest aligned CIDR blocks, as ``(network, prefixlen)``."""
    blocks: list[tuple[int, int]] = []
    while lo < hi:
        size = (lo & -lo) if lo else 1 << bits  # largest block aligned at lo
        while size > hi - lo:
            size >>= 1
        blocks.append((lo, bits - size.bit_length() + 1))
        lo += size
    return blocks


def collapse_networks(
        networks: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Minimal CIDR set covering the same addresses, per family: IPv4 first, then numerically.

    Input and output are ``(version, network, prefixlen)`` triples. Overlapping, nested and
    adjacent blocks are merged (two adjacent /25s become one /24 when aligned).
    """
    spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for version, network, prefixlen in networks:
        bits = _BITS[version]
        spans[version].append((network, network + (1 << (bits - prefixlen))))
    out: list[tuple[int, int, int]] = []
    for version in (4, 6):
        for lo, hi in merge_intervals(spans[version]):
            out.extend((version, net, plen)
                       for net, plen in interval_to_blocks(lo, hi, _BITS[version]))
    return out


def collapse_prefixes(prefixes: Iterable[str]) -> list[str]:
    """:func:`collapse_networks` on CIDR strings; returns canonical CIDR strings."""
    return [f"{format_address(v, n)}/{p}"
            for v, n, p in collapse_networks(parse_cidr(text) for text in prefixes)]


__all__ = ["collapse_networks", "collapse_prefixes", "interval_to_blocks", "merge_intervals"]
