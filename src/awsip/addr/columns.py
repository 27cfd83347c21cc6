"""Vectorized address parsing: Arrow string columns to integer addresses.

**Parsing.** IPv4 text is parsed without a per-address Python loop: strings of at most 15 bytes
are cut from Arrow's data buffer into 16-byte rows (16k strings at a time, so the work stays in
cache) and checked/parsed with whole-chunk numpy operations, following
glibc's ``inet_pton(AF_INET)`` exactly (4 decimal octets 0-255, no empty octet, no leading zero,
nothing else). IPv6 text made only of hex digits and colons (up to 39 bytes: the usual
compressed and uncompressed forms, any case, leading zeros) is parsed the same way in 40-byte
rows, following glibc's ``inet_pton(AF_INET6)`` for such text (:func:`parse_ipv6_hex`), when
one call has at least ``_MIN_HEX6`` (65,536) such strings; below that the scalar loop is as fast
(the numpy path has fixed costs per chunk). Every other string (dotted IPv6 tails, surrounding
whitespace, zone ids, garbage) goes through ``socket.inet_pton`` and
:func:`awsip.addr.parse_address`, the scalar parser itself.
IPv4-mapped results (``::ffff:a.b.c.d``) become IPv4 either way, as in the scalar parser.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowutil import bit_count, from_numpy, is_view, numpy_bools, numpy_ints
from ..errors import InvalidAddressError
from . import parse_address

if TYPE_CHECKING:
    from numpy.typing import NDArray

_DOT = np.uint8((ord(".") - ord("0")) % 256)  # after subtracting '0' (wraps to 254)
_MASK64 = (1 << 64) - 1


@dataclass
class Parsed:
    """Addresses of one string array: family (0 invalid, 4, 6) and value halves."""

    version: NDArray[np.uint8]
    v4: NDArray[np.uint32]
    hi: NDArray[np.uint64]
    lo: NDArray[np.uint64]
    slow: int  # how many strings took the per-string Python path


def _offsets(arr: pa.Array) -> NDArray[np.int64]:
    kind = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    buf = arr.buffers()[1]
    return np.frombuffer(buf, dtype=kind, count=len(arr) + 1, offset=arr.offset * kind().itemsize
                         ).astype(np.int64)


def parse_strings(arr: pa.Array, values: bool = True) -> Parsed:
    """Parse a string array (no nulls expected; null entries come out invalid).

    ``values=False`` only decides which strings are addresses: ``version`` is exact, ``v4`` of
    IPv4 text is left zero (a third less work, for :func:`invalid_addresses`)."""
    n = len(arr)
    hi = np.zeros(n, dtype=np.uint64)
    lo = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return Parsed(np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.uint32), hi, lo, 0)
    if is_view(arr.type):
        arr = arr.cast(pa.large_string())
    offsets = _offsets(arr)
    lengths = np.diff(offsets)
    notnull = numpy_bools(arr.is_valid()) if arr.null_count else np.ones(n, dtype=bool)
    version, v4, fast = _parse_short(arr, lengths, notnull, values)
    if fast.all():
        return Parsed(version, v4, hi, lo, 0)
    undecided = np.flatnonzero(~fast & notnull)
    size = lengths[undecided]
    hexlike = undecided[(size >= 1) & (size < _W6)]
    if len(hexlike) >= _MIN_HEX6:  # IPv6 in hex-and-colon form, vectorized
        ok6, high, low, eligible6 = parse_ipv6_hex(
            np.frombuffer(arr.buffers()[2], dtype=np.uint8), offsets[hexlike], lengths[hexlike])
        _store6(hexlike[ok6], high[ok6], low[ok6], version, v4, hi, lo)
        fast[hexlike[eligible6]] = True
    slow = np.flatnonzero(~fast & notnull)
    if len(slow):
        texts = arr.take(from_numpy(slow)).to_pylist()
        rest = _parse_ipv6_plain(slow, texts, version, v4, hi, lo)
        for i, text in rest:
            try:
                fam, number = parse_address(text)
            except InvalidAddressError:
                continue
            version[i] = fam
            if fam == 4:
                v4[i] = number
            else:
                hi[i] = number >> 64
                lo[i] = number & _MASK64
    return Parsed(version, v4, hi, lo, len(slow))


def _parse_short(arr: pa.Array, lengths: NDArray[np.int64], notnull: NDArray[np.bool_],
                 values: bool) -> tuple[NDArray[np.uint8], NDArray[np.uint32], NDArray[np.bool_]]:
    """The IPv4 step of :func:`parse_strings`: ``(version, v4, fast)`` of the strings of 1-15
    bytes (``fast``: decided here; the others are left to the IPv6 and scalar steps)."""
    n = len(arr)
    is_short = (lengths >= 1) & (lengths <= 15) & notnull
    short = np.flatnonzero(is_short)
    version = np.zeros(n, dtype=np.uint8)
    v4 = np.zeros(n, dtype=np.uint32)
    fast = np.zeros(n, dtype=bool)
    if len(short) == n:  # the common case: no index juggling
        ok, v4, fast = parse_ipv4_padded(arr, lengths, values)
        version = ok.view(np.uint8) * np.uint8(4)
    elif len(short) >= n // 2:  # mostly short (nulls, some IPv6): in place, the rest as empty
        ok, v4, fast = parse_ipv4_padded(arr, np.where(is_short, lengths, 0), values)
        ok &= is_short
        fast &= is_short
        v4[~ok] = 0
        version = ok.view(np.uint8) * np.uint8(4)
    elif len(short):
        ok, numbers, eligible = parse_ipv4_padded(arr.take(from_numpy(short)), lengths[short],
                                                  values)
        fast[short] = eligible
        good = short[ok]
        version[good] = 4
        v4[good] = numbers[ok]
    return version, v4, fast


#: rows sampled to decide whether checking distinct values only pays, and the share of distinct
#: values in the sample below which it does (hashing costs about as much as checking)
_SAMPLE = 4096
_REPEATED = 0.5


def invalid_addresses(values: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    """Where a string column holds text that is not an IPv4 or IPv6 address (nulls are not).

    The one address rule: it is :func:`parse_strings`', so a value is refused exactly when
    :func:`awsip.classify` would mark it not ``valid`` (the flow-log readers skip such records).
    When the values repeat (flow logs repeat a few addresses millions of times) each distinct
    one is checked once.
    """
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    n = len(arr)
    if n == 0 or arr.null_count == n:
        return np.zeros(n, dtype=bool)
    if n > 2 * _SAMPLE and len(pc.unique(arr.slice(0, _SAMPLE))) < _SAMPLE * _REPEATED:
        encoded = arr.dictionary_encode()
        bad_value = parse_strings(encoded.dictionary, values=False).version == 0
        if not bad_value.any():
            return np.zeros(n, dtype=bool)
        codes = numpy_ints(encoded.indices.fill_null(0))
        bad: NDArray[np.bool_] = bad_value[codes]
    else:
        bad = parse_strings(arr, values=False).version == 0
    if arr.null_count:
        bad &= numpy_bools(arr.is_valid())
    return bad


def _parse_ipv6_plain(rows: NDArray[np.int64], texts: list[str], version: NDArray[np.uint8],
                      v4: NDArray[np.uint32], hi: NDArray[np.uint64], lo: NDArray[np.uint64]
                      ) -> list[tuple[int, str]]:
    """IPv6 strings that ``inet_pton(AF_INET6)`` accepts as they are, in one tight loop.

    If inet_pton accepts the raw string it has no whitespace, ``/`` or ``%``, so
    :func:`parse_address` would give the same number; IPv4-mapped results become IPv4 as there.
    Returns the ``(row, text)`` pairs left for :func:`parse_address`.
    """
    pton, family = socket.inet_pton, socket.AF_INET6
    rest: list[tuple[int, str]] = []
    try:  # usually all of them: one comprehension, ~30% faster than the loop below
        packed = [pton(family, text) for text in texts]
        done = rows
    except (OSError, ValueError):
        packed, kept = [], []
        for i, text in zip(rows.tolist(), texts, strict=True):
            try:
                packed.append(pton(family, text))
                kept.append(i)
            except (OSError, ValueError):
                rest.append((i, text))
        done = np.array(kept, dtype=np.int64)
    if len(done):
        words = np.frombuffer(b"".join(packed), dtype=">u8").reshape(-1, 2).astype(np.uint64)
        _store6(np.asarray(done, dtype=np.int64), words[:, 0], words[:, 1], version, v4, hi, lo)
    return rest


def _store6(at: NDArray[np.int64], high: NDArray[np.uint64], low: NDArray[np.uint64],
            version: NDArray[np.uint8], v4: NDArray[np.uint32], hi: NDArray[np.uint64],
            lo: NDArray[np.uint64]) -> None:
    """Record parsed IPv6 addresses at rows ``at``; IPv4-mapped ones become IPv4."""
    mapped = (high == 0) & ((low >> np.uint64(32)) == 0xFFFF)
    version[at] = np.where(mapped, 4, 6)
    v4[at[mapped]] = (low[mapped] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    six = ~mapped
    hi[at[six]] = high[six]
    lo[at[six]] = low[six]


def parse_ipv4_padded(arr: pa.Array, lengths: NDArray[np.int64], values: bool = True
                      ) -> tuple[NDArray[np.bool_], NDArray[np.uint32], NDArray[np.bool_]]:
    """Vectorized strict IPv4 parse of strings of 1..15 bytes.

    Returns ``(ok, value, eligible)``: ``eligible`` marks strings made only of ASCII digits and
    dots (decided here exactly like ``inet_pton(AF_INET)``); ``ok`` those that are valid
    addresses; other strings must be parsed by the caller. Works in chunks that stay in cache.
    ``values=False`` only decides (``value`` stays zero): about a third less work.
    """
    n = len(arr)
    ok = np.zeros(n, dtype=bool)
    value = np.zeros(n, dtype=np.uint32)
    eligible = np.zeros(n, dtype=bool)
    offsets = _offsets(arr)
    raw = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None \
        else np.zeros(0, dtype=np.uint8)
    small = lengths.astype(np.uint8)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        o, v, e = _parse_chunk(raw, offsets[lo:hi + 1], small[lo:hi], values)
        ok[lo:hi], value[lo:hi], eligible[lo:hi] = o, v, e
    return ok, value, eligible


_CHUNK = 16384
#: per string length L (0..16): 16 bytes, 0x00 for the first L and 0xFF after (as two uint64)
_PAST_END = np.array([[0] * n + [0xFF] * (16 - n) for n in range(17)], dtype=np.uint8
                     ).view(np.uint64)


def _parse_chunk(raw: NDArray[np.uint8], offsets: NDArray[np.int64], lengths: NDArray[np.uint8],
                 values: bool = True
                 ) -> tuple[NDArray[np.bool_], NDArray[np.uint32], NDArray[np.bool_]]:
    """One chunk of :func:`parse_ipv4_padded`.

    Each string becomes a 16-byte row (character minus '0', so digits are 0..9 and '.' is 254;
    bytes past the end are 0xFF). Rows are handled as one flat byte array: shifting by one
    character never mixes two strings because byte 15 of a row is always past the end. Per-row
    "any"/"count" use the row's two uint64 words. Only same-dtype numpy operations: mixed ones
    (and casts) cost several times more.

    It is one piece because its steps (the checks of glibc's rules, then the octet values) share
    a dozen chunk-sized arrays (the digit and dot masks, the digit runs, one reused ``flags``
    buffer) that are built once and stay in cache while the chunk is worked on; as separate
    functions they would be passed around in bulk or rebuilt.
    """
    c = len(lengths)
    first, last = int(offsets[0]), int(offsets[-1])
    data = np.zeros(last - first + 16, dtype=np.uint8)
    data[:last - first] = raw[first:last]
    rows = np.lib.stride_tricks.sliding_window_view(data, 16)[offsets[:-1] - first]
    rows -= np.uint8(ord("0"))
    words = rows.view(np.uint64)
    words |= _PAST_END[lengths]
    m = rows.reshape(-1)
    digit = m < 10
    dot = m == _DOT

    def any_per_row(flags: NDArray[np.bool_]) -> NDArray[np.bool_]:
        w = flags.view(np.uint64).reshape(c, 2)
        found: NDArray[np.bool_] = (w[:, 0] | w[:, 1]) != 0
        return found

    def count_per_row(flags: NDArray[np.bool_]) -> NDArray[Any]:
        w = flags.view(np.uint64).reshape(c, 2)
        counts: NDArray[Any] = bit_count(w[:, 0]) + bit_count(w[:, 1])
        return counts

    ndot = count_per_row(dot)
    eligible: NDArray[np.bool_] = (count_per_row(digit) + ndot) == lengths
    # glibc inet_pton4: exactly three dots, each followed by a digit; the first char a digit;
    # octets of at most three digits, no leading zero, at most 255.
    bad = (ndot != 3) | ~digit[::16]
    flags = np.zeros_like(digit)
    np.greater(dot[:-1], digit[1:], out=flags[:-1])  # a dot not followed by a digit
    bad |= any_per_row(flags)
    run2 = digit[:-1] & digit[1:]
    run3 = run2[:-1] & digit[2:]
    np.logical_and(run3[:-1], digit[3:], out=flags[:-3])  # four digits in a row
    flags[-3:] = False
    bad |= any_per_row(flags)
    zero = m == 0
    bad |= zero[::16] & digit[1::16]  # leading zero in the first octet
    np.logical_and(zero[1:-1], digit[2:], out=flags[1:-1])
    flags[1:-1] &= dot[:-2]  # ...in a later octet
    flags[0] = flags[-1] = False
    bad |= any_per_row(flags)
    a, b, d = m[:-2], m[1:-1], m[2:]  # a three-digit octet above 255
    over = (b > 5) | ((b == 5) & (d > 5))
    over &= a == 2
    over |= a > 2
    over &= run3
    flags[:-2] = over
    flags[-2:] = False
    bad |= any_per_row(flags)
    ok: NDArray[np.bool_] = eligible & ~bad
    if not values:
        return ok, np.zeros(c, dtype=np.uint32), eligible
    # value of the digit run ending at each position (uint8 holds every valid octet)
    run_value = m * digit.view(np.uint8)
    run_value[1:] += (m[:-1] * np.uint8(10)) * run2.view(np.uint8)
    run_value[2:] += (m[:-2] * np.uint8(100)) * run3.view(np.uint8)
    np.greater(digit[:-1], digit[1:], out=flags[:-1])  # run ends: a digit, then not
    flags[-1] = False
    flags.reshape(c, 16)[~ok] = False
    octets = run_value[np.flatnonzero(flags)].reshape(-1, 4).astype(np.uint32)
    value = np.zeros(c, dtype=np.uint32)
    value[ok] = (octets[:, 0] << 24) | (octets[:, 1] << 16) | (octets[:, 2] << 8) | octets[:, 3]
    return ok, value, eligible


# IPv6 text made only of hex digits and colons (the common forms, compressed or not) is parsed
# here with numpy; anything else (dotted tails, zone ids, whitespace, > 39 bytes) is left to
# the scalar path. The rules are glibc's inet_pton6 for such text:
#  * a leading ':' must be part of a leading '::', a trailing ':' of a trailing '::';
#  * at most one '::' (so no ':::'), groups of 1-4 hex digits (leading zeros count);
#  * exactly 8 groups without '::', at most 7 with it ('::' stands for >= 1 zero group).
_W6 = 40  # a row per string: at most 39 bytes, byte 39 is always past the end
_CHUNK6 = 4096
#: fewest candidate strings for the vectorized IPv6 parse: below, its fixed costs (~80 us per
#: chunk of numpy calls, fresh temporaries that glibc trims and re-faults) make it as slow as
#: or slower than the scalar loop (~250 ns/string); measured faster from ~64k strings on
_MIN_HEX6 = 65536
#: per string length L (0..40): 40 bytes, 0x00 for the first L and 0xFF after
_PAST_END6 = np.array([[0] * n + [0xFF] * (_W6 - n) for n in range(_W6 + 1)], dtype=np.uint8)


def parse_ipv6_hex(raw: NDArray[np.uint8], starts: NDArray[np.int64], lengths: NDArray[np.int64]
                   ) -> tuple[NDArray[np.bool_], NDArray[np.uint64], NDArray[np.uint64],
                              NDArray[np.bool_]]:
    """Vectorized ``inet_pton(AF_INET6)`` of strings of 1..39 bytes at ``raw[starts]``.

    ``starts`` must be increasing. Returns ``(ok, hi, lo, eligible)``: ``eligible`` marks the
    strings made only of hex digits and colons, which are decided here exactly like glibc;
    ``ok`` the valid ones among them. Other strings must be parsed by the caller.
    """
    n = len(starts)
    ok = np.zeros(n, dtype=bool)
    eligible = np.zeros(n, dtype=bool)
    hi = np.zeros(n, dtype=np.uint64)
    lo = np.zeros(n, dtype=np.uint64)
    for a in range(0, n, _CHUNK6):
        b = min(n, a + _CHUNK6)
        ok[a:b], hi[a:b], lo[a:b], eligible[a:b] = _parse6_chunk(raw, starts[a:b], lengths[a:b])
    return ok, hi, lo, eligible


def _parse6_chunk(raw: NDArray[np.uint8], starts: NDArray[np.int64], lengths: NDArray[np.int64]
                  ) -> tuple[NDArray[np.bool_], NDArray[np.uint64], NDArray[np.uint64],
                             NDArray[np.bool_]]:
    """One chunk of :func:`parse_ipv6_hex` (rows of 40 bytes, handled as one flat array).

    It is one piece because each step reads the arrays of the ones before (the hex and colon
    masks, the digit runs, the group ends and counts feed the checks, the group values and
    their slots), all chunk-sized and kept in cache while the chunk is worked on; as separate
    functions they would be passed around in bulk or rebuilt.
    """
    c = len(starts)
    first, last = int(starts[0]), int(starts[-1] + lengths[-1])
    data = np.empty(last - first + _W6, dtype=np.uint8)
    data[:last - first] = raw[first:last]
    rows = np.lib.stride_tricks.sliding_window_view(data, _W6)[starts - first]
    rows |= _PAST_END6[lengths]
    m = rows.reshape(-1)
    v = m - np.uint8(ord("0"))
    hexd = v < 10
    letter = (m | np.uint8(0x20)) - np.uint8(ord("a"))
    is_letter = letter < 6
    hexd |= is_letter
    letter += np.uint8(10)
    np.minimum(v, letter, out=v)  # the digit value at hex positions (the other wrapped high)
    colon = m == np.uint8(ord(":"))

    def count_per_row(flags: NDArray[np.bool_]) -> NDArray[np.uint64]:
        w = flags.view(np.uint64).reshape(c, _W6 // 8)
        total = w[:, 0] + w[:, 1]
        total += w[:, 2]
        total += w[:, 3]
        total += w[:, 4]  # each byte <= 5: no carries
        total *= np.uint64(0x0101010101010101)  # byte sum into the top byte
        total >>= np.uint64(56)
        return total

    eligible: NDArray[np.bool_] = count_per_row(hexd | colon) == lengths.astype(np.uint64)
    # flags indexed by the position a pattern ends at (byte 39 of a row is past the end, so no
    # pattern spans two rows); runs: 1 + the number of hex digits before, up to 4
    pair = np.zeros_like(hexd)
    np.logical_and(colon[:-1], colon[1:], out=pair[1:])
    run = hexd.view(np.uint8).copy()
    more = np.zeros_like(hexd)
    np.logical_and(hexd[:-1], hexd[1:], out=more[1:])
    run += more.view(np.uint8)
    np.logical_and(more[1:-1], hexd[2:], out=more[2:])
    more[1] = False
    run += more.view(np.uint8)
    np.logical_and(more[2:-1], hexd[3:], out=more[3:])
    more[2] = False
    run += more.view(np.uint8)
    np.logical_and(more[3:-1], hexd[4:], out=more[4:])  # five digits: a group too long
    more[3] = False
    ends = np.zeros_like(hexd)
    np.greater(hexd[:-1], hexd[1:], out=ends[:-1])  # the last digit of a group
    pairs = count_per_row(pair)
    groups = count_per_row(ends).astype(np.int64)
    lead = colon[::_W6] & ~colon[1::_W6]  # ':' not starting '::'
    final = np.arange(0, c * _W6, _W6) + lengths - 1
    tail = colon[final] & ~colon[np.maximum(final - 1, 0)]  # ':' not ending '::'
    bad = lead | tail | (count_per_row(more) != 0) | (pairs > 1)
    bad |= np.where(pairs == 1, groups > 7, groups != 8)
    good: NDArray[np.bool_] = eligible & ~bad
    if not good.all():
        ends.reshape(c, _W6)[~good] = False
        groups[~good] = 0
    # group values from the four bytes ending at each group's last digit (one unaligned
    # uint32 gather), bytes before the group masked off
    at = np.flatnonzero(ends)
    flat = np.zeros(len(v) + 3, dtype=np.uint8)
    flat[3:] = v
    window = np.ndarray((len(v),), dtype="<u4", buffer=flat.data, strides=(1,))
    w = window[at]  # at - 3 .. at, shifted by the 3 leading bytes
    w &= _KEEP[run[at]]
    val = (w >> np.uint32(24)) & np.uint32(0xF)
    val |= (w >> np.uint32(12)) & np.uint32(0xF0)
    val |= w & np.uint32(0xF00)
    val |= (w & np.uint32(0xF)) << np.uint32(12)
    # slot of each group: its rank in the row, shifted past the '::' gap when after it; stored
    # at slot ^ 3 of the row's eight little-endian uint16 so that each half reads as a uint64
    before = np.cumsum(groups) - groups
    slot = np.arange(len(at)) + np.repeat(8 * np.arange(c) - before, groups)
    gap = np.full(c, c * _W6, dtype=np.int64)
    p = np.flatnonzero(pair)  # the second colon of each '::'
    gap[p // _W6] = p
    slot += (at > np.repeat(gap, groups)) * np.repeat(8 - groups, groups)
    slot ^= 3
    words = np.zeros(c * 8, dtype="<u2")
    words[slot] = val
    halves = words.view("<u8").reshape(c, 2).astype(np.uint64)
    return good, halves[:, 0].copy(), halves[:, 1].copy(), eligible


#: per run length (0..4): the bytes of a little-endian uint32 window that belong to the group
_KEEP = np.array([0, 0xFF000000, 0xFFFF0000, 0xFFFFFF00, 0xFFFFFFFF], dtype=np.uint32)

_HALVES: list[pa.Array] = []


def format_ipv4(values: NDArray[np.uint32]) -> pa.Array:
    """Dotted-quad strings for uint32 addresses (vectorized: two 16-bit halves joined by Arrow)."""
    if not _HALVES:
        _HALVES.append(pa.array([f"{i >> 8}.{i & 255}" for i in range(65536)], type=pa.string()))
    half = _HALVES[0]
    values = np.asarray(values, dtype=np.uint32)
    high = half.take(pa.array(values >> np.uint32(16)))
    low = half.take(pa.array(values & np.uint32(0xFFFF)))
    return pc.binary_join_element_wise(high, low, ".")


__all__ = ["Parsed", "format_ipv4", "invalid_addresses", "parse_ipv4_padded", "parse_ipv6_hex",
           "parse_strings"]
