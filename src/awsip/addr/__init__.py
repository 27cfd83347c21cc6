"""Strict parsing of addresses and CIDR prefixes into integers, and all integer prefix math.

Used by the ranges validator, the scalar lookup, the diff, the exports and the traffic
summaries: the one place that knows how prefixes, intervals and address counts relate.
``socket.inet_pton`` is strict (no ``1.2.3``, no leading-zero octets in IPv4) and an order of
magnitude faster than ``ipaddress``, which matters when validating 17,000 prefixes at start-up.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

from ..errors import InvalidAddressError

#: Address bits per family.
BITS = {4: 32, 6: 128}


def parse_cidr(text: str) -> tuple[int, int, int]:
    """Parse ``'a.b.c.d/n'`` or ``'x:y::/n'`` into ``(version, network_int, prefixlen)``.

    Raises ``ValueError`` with a short reason (the caller adds where it was found).
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a string")
    addr, sep, plen_text = text.partition("/")
    if not sep:
        raise ValueError(f"{text!r} has no prefix length")
    if not plen_text.isdigit() or not plen_text.isascii() or len(plen_text) > 3:
        raise ValueError(f"{text!r} has an invalid prefix length")
    plen = int(plen_text)
    version, value = _parse_ip_int(addr)
    if version == 0:
        raise ValueError(f"{text!r} is not a valid CIDR prefix")
    bits = 32 if version == 4 else 128
    if plen > bits:
        raise ValueError(f"{text!r} has a prefix length longer than {bits}")
    if value & ((1 << (bits - plen)) - 1):
        raise ValueError(f"{text!r} has host bits set")
    return version, value, plen


def _parse_ip_int(text: str) -> tuple[int, int]:
    """Return ``(version, int)``, or ``(0, 0)`` when ``text`` is not an address."""
    if ":" in text:
        try:
            return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
        except (OSError, ValueError):
            return 0, 0
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, ValueError):
        return 0, 0


def parse_address(value: object) -> tuple[int, int]:
    """Parse one address into ``(version, int)``; IPv4-mapped IPv6 becomes IPv4.

    Accepts ``str`` and ``ipaddress`` address objects. Surrounding whitespace is ignored; an
    IPv6 zone (``fe80::1%eth0``) is dropped. Raises :class:`InvalidAddressError` otherwise.
    """
    packed = getattr(value, "packed", None)
    if isinstance(packed, bytes) and len(packed) in (4, 16):
        version, number = (4 if len(packed) == 4 else 6), int.from_bytes(packed, "big")
    elif isinstance(value, str):
        text = value.strip()
        if "/" in text:
            raise InvalidAddressError(value, "a network prefix, not a single address")
        if "%" in text and ":" in text:
            text = text.split("%", 1)[0]
        version, number = _parse_ip_int(text)
        if version == 0:
            raise InvalidAddressError(value)
    else:
        raise InvalidAddressError(value, f"expected a string, got {type(value).__name__}")
    if version == 6 and (number >> 32) == 0xFFFF:
        return 4, number & 0xFFFFFFFF
    return version, number


def format_address(version: int, number: int) -> str:
    """Format an integer address the canonical way (``ipaddress``' text form)."""
    if version == 4:
        return socket.inet_ntop(socket.AF_INET, number.to_bytes(4, "big"))
    text = socket.inet_ntop(socket.AF_INET6, number.to_bytes(16, "big"))
    if number >> 32 == 0 and "." in text:  # glibc writes ::/96 as ::a.b.c.d, ipaddress as hex
        import ipaddress

        return str(ipaddress.IPv6Address(number))
    return text


# --------------------------------------------------------------------------- prefix math
def bounds(version: int, network: int, prefixlen: int) -> tuple[int, int]:
    """First and last address of a prefix, as integers of its family."""
    return network, network + (1 << (BITS[version] - prefixlen)) - 1


def span(version: int, network: int, prefixlen: int) -> tuple[int, int]:
    """The prefix as a half-open interval ``[first, last + 1)``."""
    return network, network + (1 << (BITS[version] - prefixlen))


def netmask(version: int, prefixlen: int) -> int:
    """The integer mask of a prefix length: ``network == address & netmask``."""
    bits = BITS[version]
    return ((1 << bits) - 1) ^ ((1 << (bits - prefixlen)) - 1)



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
        bits = BITS[version]
        spans[version].append((network, network + (1 << (bits - prefixlen))))
    out: list[tuple[int, int, int]] = []
    for version in (4, 6):
        for lo, hi in merge_intervals(spans[version]):
            out.extend((version, net, plen)
                       for net, plen in interval_to_blocks(lo, hi, BITS[version]))
    return out


def collapse_prefixes(prefixes: Iterable[str]) -> list[str]:
    """:func:`collapse_networks` on CIDR strings; returns canonical CIDR strings."""
    return [f"{format_address(v, n)}/{p}"
            for v, n, p in collapse_networks(parse_cidr(text) for text in prefixes)]



def union_size(intervals: Iterable[tuple[int, int]]) -> int:
    """Addresses covered by the union of half-open ``[lo, hi)`` intervals."""
    return sum(hi - lo for lo, hi in merge_intervals(intervals))


def count_addresses(prefixes: Iterable[str]) -> int:
    """Addresses covered by the union of CIDR ``prefixes`` (all of one family)."""
    return union_size(span(*parse_cidr(text)) for text in prefixes)
