"""GzipStream against zlib as the independent oracle: everything zlib decompresses before
damage is produced, then GzipDamage once, then the later members resync finds.

The oracle is ``zlib.decompressobj(wbits=31)`` fed one byte at a time, member after member
(zero padding between members skipped, as gzip does): what it produced before it raised (or
before the data ran out) and the byte it raised at. After damage, the stream must produce
exactly the members that lie wholly after the damaged bytes, decompressed by zlib alone.
"""

from __future__ import annotations

import functools
import gc
import gzip
import io
import random
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowlog_factory as ff
from awsip.errors import AwsipError
from awsip.flowlogs import decompress
from awsip.flowlogs.decompress import GzipDamage, GzipStream, open_gzip

Segments = list[tuple[bytes, GzipDamage | None]]


# ---------------------------------------------------------------------------- data


def flow_text(n: int, seed: int) -> bytes:
    """``n`` default-format records with varied values, after the header line."""
    rng = random.Random(seed)
    recs = [ff.record(srcaddr=f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
                      dstaddr=f"52.216.{rng.randrange(256)}.{rng.randrange(256)}",
                      srcport=rng.randrange(1024, 65536), dstport=rng.choice((443, 80, 53)),
                      packets=rng.randrange(1, 500), bytes=rng.randrange(40, 10**7),
                      start=ff.T0 + i, end=ff.T0 + i + 60,
                      action=rng.choice(("ACCEPT", "REJECT")))
            for i in range(n)]
    return ff.text(recs)


def split_lines(text: bytes, parts: int) -> list[bytes]:
    cuts = [0] + [text.find(b"\n", len(text) * i // parts) + 1 for i in range(1, parts)]
    return [text[a:b] for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]


def gz(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def gz_blocks(data: bytes, every: int = 8192) -> tuple[bytes, list[int]]:
    """A gzip member whose deflate data is flushed (Z_SYNC_FLUSH) every ``every`` bytes of
    text, and the offsets where its blocks start on a byte boundary: a 0xFF there is an
    invalid block type, a corrupt block zlib reports at that very byte (damage inside a
    block mostly goes unnoticed until the CRC32)."""
    head = b"\x1f\x8b\x08\x00\0\0\0\0\0\x03"
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body, starts = b"", []
    for i in range(0, len(data), every):
        body += c.compress(data[i: i + every]) + c.flush(zlib.Z_SYNC_FLUSH)
        starts.append(len(head) + len(body))
    body += c.flush()
    return head + body + struct.pack("<II", zlib.crc32(data), len(data)), starts[:-1]


@dataclass
class File:
    """A multi-member gzip file: the members' text and their compressed bytes."""

    texts: list[bytes]
    members: list[bytes]

    @property
    def blob(self) -> bytes:
        return b"".join(self.members)

    @property
    def text(self) -> bytes:
        return b"".join(self.texts)

    def starts(self) -> list[int]:
        out, at = [], 0
        for m in self.members:
            out.append(at)
            at += len(m)
        return out

    def text_after(self, last_damaged_byte: int) -> bytes:
        """The text of the members that start after ``last_damaged_byte``."""
        return b"".join(t for t, s in zip(self.texts, self.starts(), strict=True)
                        if s > last_damaged_byte)


def make_file(records: int = 900, members: int = 3, seed: int = 1, level: int = 6) -> File:
    texts = split_lines(flow_text(records, seed), members)
    return File(texts, [gz(t, level) for t in texts])


SMALL = make_file()


# ---------------------------------------------------------------------------- oracle and reads


@dataclass
class Oracle:
    data: bytes  # what zlib produced before the first damage
    at: int | None  # the byte where zlib raised, len(blob) if the data ran out; None: clean


def zlib_oracle(blob: bytes) -> Oracle:
    """zlib fed one byte at a time, member after member (zero padding between skipped)."""
    out: list[bytes] = []
    pos = 0
    first = True
    while True:
        if not first:
            while pos < len(blob) and blob[pos] == 0:
                pos += 1
        if pos >= len(blob):
            return Oracle(b"".join(out), None)
        first = False
        d = zlib.decompressobj(31)
        while not d.eof:
            if pos >= len(blob):
                out.append(d.flush())
                return Oracle(b"".join(out), len(blob))
            try:
                out.append(d.decompress(blob[pos: pos + 1]))
            except zlib.error:
                return Oracle(b"".join(out), pos)
            pos += 1


def _chunks(stream: GzipStream, how: str) -> Iterator[bytes]:
    """What each read call returns, as the caller ``how`` reads."""
    buf = bytearray(100_003)
    while True:
        if how == "read":
            chunk = stream.read(100_003)
        elif how == "read-all":
            chunk = stream.read()
        else:
            n = (stream.readinto1 if how == "readinto1" else stream.readinto)(buf)
            chunk = bytes(buf[:n])
        yield chunk


def read_segments(blob: bytes, how: str = "readinto1", **kw: Any) -> Segments:
    """The data between damages: [(data, damage), ..., (data after the last, None)]."""
    segments: Segments = []
    current: list[bytes] = []
    with open_gzip(io.BytesIO(blob), **kw) as stream:
        chunks = _chunks(stream, how)
        while True:
            try:
                chunk = next(chunks)
            except GzipDamage as exc:
                segments.append((b"".join(current), exc))
                current = []
                chunks = _chunks(stream, how)
                continue
            if not chunk:
                break
            current.append(chunk)
        assert stream.read() == b""  # the end stays the end
    segments.append((b"".join(current), None))
    return segments


def check_against_zlib(blob: bytes, segments: Segments, after: bytes | None) -> None:
    """The first segment is what zlib produced (and, rarely, ``overrun`` bytes more, where
    ISA-L accepts an invalid Huffman code that zlib rejects: a few dozen bytes); the first
    damage is where zlib raised (at most 3 bytes earlier: the start of a header or trailer
    field zlib reads whole); what follows is ``after`` (the members wholly after the
    damage), resumed only if there is any."""
    oracle = zlib_oracle(blob)
    first, damage = segments[0]
    overrun = damage.overrun if damage is not None else 0  # ISA-L's leniency, see below
    assert first[: len(first) - overrun] == oracle.data
    assert overrun <= 1000
    if oracle.at is None:
        assert damage is None
        assert len(segments) == 1
        return
    assert damage is not None
    assert oracle.at - 3 <= damage.offset <= oracle.at
    rest = b"".join(data for data, _ in segments[1:])
    if after is not None:
        assert rest == after
    if not damage.resumes:
        assert segments[1:] == [(b"", None)]
    if rest:
        assert damage.resumes


@pytest.fixture(params=["isal", "zlib"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both engines: ISA-L with the zlib replay, and zlib alone (the fallback)."""
    if request.param == "zlib":
        monkeypatch.setattr(decompress, "_isal", None)
        monkeypatch.setattr(decompress, "_crc32", zlib.crc32)
    else:
        pytest.importorskip("isal")
    return str(request.param)


# ---------------------------------------------------------------------------- undamaged


@pytest.mark.parametrize("how", ["readinto1", "readinto", "read", "read-all"])
def test_an_undamaged_multi_member_file_round_trips_exactly(engine: str, how: str) -> None:
    assert read_segments(SMALL.blob, how) == [(SMALL.text, None)]


def test_many_members_empty_ones_and_zero_padding_read_as_one_stream(engine: str) -> None:
    texts = split_lines(flow_text(400, 2), 7)
    blob = b"".join([gz(t) + b"\0" * (i % 3) * 5 for i, t in enumerate(texts)]
                    + [gz(b""), gz(b"", 9), b"\0" * 4096])
    assert read_segments(blob) == [(b"".join(texts), None)]


def test_a_member_with_every_optional_header_field_is_read(engine: str) -> None:
    text = flow_text(50, 3)
    head = b"\x1f\x8b\x08" + bytes([2 | 4 | 8 | 16]) + b"\0\0\0\0\0\xff"
    head += struct.pack("<H", 6) + b"AB\x02\x00xy" + b"name.log\0" + b"a comment\0"
    head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(text) + deflate.flush()
    member = head + body + struct.pack("<II", zlib.crc32(text), len(text))
    assert read_segments(member + gz(text)) == [(text + text, None)]
    assert zlib_oracle(member).data == text  # the hand-made member is valid gzip


def test_an_empty_source_is_an_empty_stream(engine: str) -> None:
    assert read_segments(b"") == [(b"", None)]


def test_a_source_of_only_a_header_is_truncated_there(engine: str) -> None:
    [(data, damage), rest] = read_segments(gz(b"")[:10])
    assert data == b"" and rest == (b"", None)
    assert damage is not None
    assert (damage.offset, damage.resumes) == (10, False)
    assert damage.detail == "truncated: the stream ends inside a member"


def test_offsets_count_from_the_first_byte_even_when_the_caller_peeked_it() -> None:
    class Peeked:  # like the reader's _Counting: the magic bytes were read to pick gzip
        def __init__(self, raw: Any, head: bytes) -> None:
            self.raw, self.head, self.pos = raw, head, 0

        def read(self, n: int) -> bytes:
            data, self.head = self.head[:n], self.head[n:]
            data += self.raw.read(n - len(data)) if n > len(data) else b""
            self.pos += len(data)
            return data

    blob = SMALL.blob[:5000]
    with open_gzip(Peeked(io.BytesIO(blob[2:]), blob[:2])) as stream:
        data = stream.read()
        with pytest.raises(GzipDamage) as info:
            stream.read()
    assert data == zlib_oracle(blob).data
    assert info.value.offset == 5000


# ---------------------------------------------------------------------------- damage, one kind each


def test_a_small_truncated_file_gives_every_line_zlib_can_read(engine: str) -> None:
    text = flow_text(1000, 4)
    blob = gz(text)
    for cut in (len(blob) // 3, len(blob) // 2, len(blob) - 20, len(blob) - 9):
        segments = read_segments(blob[:cut])
        check_against_zlib(blob[:cut], segments, b"")
        produced = segments[0][0]
        assert produced.count(b"\n") > 300  # complete lines before the cut (was 0 of 1,000)
        assert text.startswith(produced)
        assert segments[0][1] is not None
        assert segments[0][1].offset == cut


def test_a_truncated_trailer_after_complete_data_says_so() -> None:
    blob = SMALL.blob[:-4]
    [(data, damage), _] = read_segments(blob)
    assert data == SMALL.text
    assert damage is not None and damage.detail.endswith("inside a member trailer")


def test_a_corrupt_deflate_block_is_gzip_damage_not_an_isal_error(engine: str) -> None:
    blob = bytearray(SMALL.blob)
    blob[200:216] = b"\xff" * 16  # an invalid code in the first member's first block
    segments = read_segments(bytes(blob))
    check_against_zlib(bytes(blob), segments, SMALL.text_after(215))
    damage = segments[0][1]
    assert isinstance(damage, ValueError) and isinstance(damage, AwsipError) and damage.resumes
    assert "isal" not in type(damage).__module__.lower()


def test_a_crc_mismatch_is_reported_after_all_the_data(engine: str) -> None:
    first = len(SMALL.members[0])
    blob = bytearray(SMALL.blob)
    blob[first - 8] ^= 0x01  # the first member's CRC32
    segments = read_segments(bytes(blob))
    check_against_zlib(bytes(blob), segments, SMALL.text_after(first - 8))
    data, damage = segments[0]
    assert data == SMALL.texts[0]
    assert damage is not None and damage.offset == first - 8 and damage.resumes
    assert damage.detail.startswith("CRC32 mismatch")
    assert segments[1:] == [(b"".join(SMALL.texts[1:]), None)]


def test_an_isize_mismatch_is_reported_at_its_field(engine: str) -> None:
    blob = bytearray(SMALL.blob)
    blob[-1] ^= 0x10
    segments = read_segments(bytes(blob))
    check_against_zlib(bytes(blob), segments, b"")
    damage = segments[0][1]
    assert damage is not None and damage.offset == len(blob) - 4 and not damage.resumes
    assert segments[0][0] == SMALL.text and damage.detail.startswith("ISIZE mismatch")


@pytest.mark.parametrize(("where", "value", "detail"), [
    (0, 0x1E, "not a gzip member"),
    (2, 0x07, "unknown compression method 7"),
    (3, 0x20, "unknown header flags set"),
])
def test_a_corrupt_header_names_the_field_and_resyncs(engine: str, where: int, value: int,
                                                      detail: str) -> None:
    start = len(SMALL.members[0])
    blob = bytearray(SMALL.blob)
    blob[start + where] = value
    segments = read_segments(bytes(blob))
    check_against_zlib(bytes(blob), segments, SMALL.text_after(start + where))
    damage = segments[0][1]
    assert damage is not None and damage.offset == start + where
    assert damage.detail.startswith(detail) and damage.resumes


def test_a_header_crc_mismatch_is_damage() -> None:
    head = b"\x1f\x8b\x08\x02\0\0\0\0\0\xff" + b"\x00\x00"  # FHCRC, and a wrong CRC16
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    member = head + deflate.compress(b"x\n") + deflate.flush() + struct.pack("<II", 0, 2)
    [(data, damage), _] = read_segments(member + SMALL.blob)
    assert data == b"" and damage is not None
    assert (damage.offset, damage.detail) == (10, "header crc mismatch")


def test_a_member_cut_in_the_middle_of_a_multi_member_file_resyncs(engine: str) -> None:
    f = make_file(records=1500, members=5, seed=5)
    starts = f.starts()
    for j in range(4):
        half = len(f.members[j]) // 2
        blob = b"".join(f.members[:j]) + f.members[j][:half] + b"".join(f.members[j + 1:])
        segments = read_segments(blob)
        check_against_zlib(blob, segments, b"".join(f.texts[j + 1:]))
        assert segments[0][0].startswith(b"".join(f.texts[:j]))
        damage = segments[0][1]
        assert damage is not None and damage.offset > starts[j] and damage.resumes


def test_zero_bytes_at_the_start_are_damage_and_the_member_after_them_is_found(
        engine: str) -> None:
    segments = read_segments(b"\0" * 100 + SMALL.blob)
    assert segments[0][0] == b""
    assert segments[0][1] is not None and segments[0][1].offset == 0
    assert segments[1:] == [(SMALL.text, None)]


def test_garbage_after_a_member_is_damage_then_the_next_member(engine: str) -> None:
    blob = SMALL.members[0] + b"\0\0junk!" + b"".join(SMALL.members[1:])
    segments = read_segments(blob)
    first = len(SMALL.members[0])
    assert segments[0][0] == SMALL.texts[0]
    assert segments[0][1] is not None and segments[0][1].offset == first + 2
    assert segments[1:] == [(b"".join(SMALL.texts[1:]), None)]


def test_false_gzip_magic_inside_the_damaged_member_produces_no_garbage(engine: str) -> None:
    rng = random.Random(9)
    fake = b"".join(b"\x1f\x8b\x08\x00\0\0\0\0\0\x03" + rng.randbytes(300) for _ in range(40))
    stored = gz(flow_text(20, 6) + fake + flow_text(20, 7), level=0)  # the bytes as they are
    cut = stored.rfind(b"\x1f\x8b\x08") + 100
    assert cut < len(stored) - 100
    blob = stored[:cut] + SMALL.blob
    segments = read_segments(blob)
    check_against_zlib(blob, segments, SMALL.text)


def test_a_member_broken_after_64_KiB_behind_a_trailer_mismatch_is_read_once(
        engine: str) -> None:
    """The search after it starts inside the mismatched member and meets this member's
    start again: it is not read a second time."""
    big = make_file(records=3000, members=2, seed=8)
    first = bytearray(big.members[0])
    first[-8] ^= 1  # a CRC mismatch
    second = bytearray(big.members[1])
    second[len(second) * 3 // 4: len(second) * 3 // 4 + 8] = b"\xff" * 8
    blob = bytes(first) + bytes(second) + SMALL.blob
    segments = read_segments(blob)
    check_against_zlib(blob, segments, None)
    assert len(segments) == 3
    (data0, crc), (data1, broken), last = segments
    assert data0 == big.texts[0]
    assert crc is not None and crc.detail.startswith("CRC32 mismatch")
    assert len(data1) > decompress.RESYNC_PROOF and data1 == zlib_oracle(bytes(second)).data
    assert broken is not None and broken.resumes
    assert last == (SMALL.text, None)


# ---------------------------------------------------------------------------- exact recovery modes


def _blocky(records: int, seed: int, members: int = 2) -> tuple[File, list[int]]:
    """A file of members with byte-aligned blocks; the first member's block starts."""
    texts = split_lines(flow_text(records, seed), members)
    built = [gz_blocks(t) for t in texts]
    return File(texts, [m for m, _ in built]), built[0][1]


def _broken_block(f: File, starts: list[int]) -> bytes:
    """``f`` with an invalid block type at a block start 4/5 into its first member."""
    at = starts[len(starts) * 4 // 5]
    return f.blob[:at] + b"\xff" + f.blob[at + 1:]


def test_reopen_recovers_exactly_without_keeping_the_member(
        engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decompress, "READ_SIZE", 4096)  # chunks dropped as they are read
    f, starts = _blocky(6000, 10)
    blob = _broken_block(f, starts)
    opened: list[int] = []

    def reopen() -> io.BytesIO:
        opened.append(1)
        return io.BytesIO(blob)

    segments = read_segments(blob, reopen=reopen, keep=0)
    check_against_zlib(blob, segments, f.texts[1])
    assert opened  # the member's bytes came from a fresh stream
    assert read_segments(f.blob, reopen=reopen) == [(f.text, None)]
    assert len(opened) <= 2  # reopened only for the damage


def test_a_member_longer_than_keep_still_yields_a_prefix_of_what_zlib_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("isal")
    monkeypatch.setattr(decompress, "READ_SIZE", 4096)
    f, starts = _blocky(6000, 11)
    blob = _broken_block(f, starts)
    segments = read_segments(blob, keep=1)  # ISA-L's output only: at most a piece is lost
    oracle = zlib_oracle(blob)
    data, damage = segments[0]
    assert oracle.data.startswith(data) and len(data) < len(oracle.data)
    assert len(oracle.data) - len(data) <= decompress.OUT_LIMIT  # one inflate call's output
    assert damage is not None and damage.resumes
    assert b"".join(d for d, _ in segments[1:]) == f.texts[1]


def test_a_reopen_that_gives_other_bytes_is_noticed_not_trusted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("isal")
    monkeypatch.setattr(decompress, "READ_SIZE", 4096)
    f, starts = _blocky(6000, 12, members=1)
    blob = _broken_block(f, starts)
    other = make_file(records=6000, members=1, seed=13).blob  # like stdin: not the same bytes
    segments = read_segments(blob, reopen=lambda: io.BytesIO(other))
    oracle = zlib_oracle(blob)
    assert oracle.data.startswith(segments[0][0]) and segments[0][1] is not None


def test_where_isal_accepts_a_code_zlib_rejects_the_extra_bytes_are_counted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """ISA-L takes some incomplete Huffman codes ("invalid literal/lengths set" to zlib) and
    fails a little later; fed in small pieces, it has produced a few bytes past zlib's
    point by then: they come before the damage, counted in ``overrun``."""
    pytest.importorskip("isal")
    monkeypatch.setattr(decompress, "FAST_FEED", 7)
    f, blocks = PROPERTY_FILE, PROPERTY_BLOCKS
    for at in blocks:
        for value in range(256):
            blob = f.blob[:at] + bytes([value]) + f.blob[at + 1:]
            try:
                zlib.decompressobj(31).decompress(blob)
                continue
            except zlib.error as exc:
                if "literal/lengths set" not in str(exc):
                    continue
            segments = read_segments(blob)
            damage = segments[0][1]
            assert damage is not None
            if damage.overrun:
                check_against_zlib(blob, segments, f.text_after(at))
                assert damage.detail.startswith("invalid literal/lengths set (ISA-L accepted")
                return
    raise AssertionError("no code found that ISA-L accepts and zlib rejects")


# ---------------------------------------------------------------------------- the property


def _damage(f: File, blocks: list[int], kind: str, at: int, value: int) -> tuple[bytes, int]:
    """``f``'s bytes damaged, and the offset of the last damaged byte."""
    blob = f.blob
    at %= len(blob)
    if kind == "truncate":
        return blob[:at], len(blob)
    if kind == "block":  # a byte-aligned block start of the first member overwritten
        at = blocks[at % len(blocks)]
        return blob[:at] + bytes([value]) + blob[at + 1:], at
    if kind == "flip":
        return blob[:at] + bytes([blob[at] ^ value]) + blob[at + 1:], at
    if kind == "zeros":
        end = min(len(blob), at + value)
        return blob[:at] + b"\0" * (end - at) + blob[end:], end - 1
    starts = f.starts()  # "cut": bytes dropped from inside a member
    start = max(s for s in starts if s <= at)
    end = min(start + len(f.members[starts.index(start)]), at + 1 + value * 16)
    return blob[:at] + blob[end:], at


def _property_file() -> tuple[File, list[int]]:
    """Three members: the first with byte-aligned blocks, the others as gzip writes them."""
    texts = split_lines(flow_text(900, 14), 3)
    first, blocks = gz_blocks(texts[0], every=4096)
    return File(texts, [first] + [gz(t) for t in texts[1:]]), blocks


PROPERTY_FILE, PROPERTY_BLOCKS = _property_file()


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["truncate", "block", "flip", "zeros", "cut"]),
       at=st.integers(min_value=0, max_value=10**6), value=st.integers(1, 255))
def test_damage_anywhere_gives_what_zlib_gives_then_the_later_members(
        engine: str, kind: str, at: int, value: int) -> None:
    blob, last = _damage(PROPERTY_FILE, PROPERTY_BLOCKS, kind, at, value)
    after = b"" if kind == "truncate" else PROPERTY_FILE.text_after(last)
    check_against_zlib(blob, read_segments(blob), after)


# ---------------------------------------------------------------------------- the thread


@functools.cache
def _big_text() -> bytes:
    """~30 MB of lines, ~4 MB of gzip: more than the queue and a few source reads hold."""
    return b"".join(b"2 123456789012 eni-0 10.0.%d.%d 52.216.0.1 %d 443 6 1 40 0 60 ACCEPT OK\n"
                    % (i % 251, i % 241, i) for i in range(400_000))


@functools.cache
def _big_blob() -> bytes:
    return gz(_big_text(), level=1)


def test_close_mid_stream_stops_the_thread() -> None:
    stream = open_gzip(io.BytesIO(_big_blob()))
    assert stream.read(1000)
    thread = stream._thread
    stream.close()
    assert not thread.is_alive()
    with pytest.raises(ValueError, match="closed"):
        stream.read(1)
    stream.close()  # twice is fine


def test_a_stream_dropped_without_close_stops_its_thread() -> None:
    stream = open_gzip(io.BytesIO(_big_blob()))
    assert stream.read(1000)
    thread = stream._thread
    del stream
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()


def test_a_read_error_of_the_source_comes_after_the_data_before_it(engine: str) -> None:
    class Failing:
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def read(self, n: int) -> bytes:
            chunk = self.data.read(min(n, 3000))
            if not chunk:
                raise OSError("connection reset")
            return chunk

    with open_gzip(Failing(SMALL.members[0])) as stream:
        assert stream.read() == SMALL.texts[0]  # the whole first member came first
        with pytest.raises(OSError, match="connection reset"):
            stream.read()
        assert stream.read() == b""


def test_damage_is_raised_once_by_the_read_after_the_last_byte_before_it(engine: str) -> None:
    blob = SMALL.blob[: len(SMALL.blob) // 2]
    expected = zlib_oracle(blob).data
    with open_gzip(io.BytesIO(blob)) as stream:
        buf = bytearray(len(expected) + 1000)
        assert stream.readinto(buf) == len(expected)
        assert bytes(buf[: len(expected)]) == expected
        with pytest.raises(GzipDamage):
            stream.readinto(buf)
        assert stream.readinto(buf) == 0
        assert stream.readinto1(buf) == 0


def test_the_thread_stops_reading_while_the_consumer_does_not_read() -> None:
    class Counting(io.BytesIO):
        pos = 0

        def read(self, n: int | None = -1) -> bytes:
            data = super().read(n)
            self.pos += len(data)
            return data

    blob = _big_blob()
    raw = Counting(blob)
    with open_gzip(raw) as stream:
        first = stream.read(1)
        threading.Event().wait(0.2)  # time for the thread to fill the queue and wait
        assert raw.pos <= len(blob) // 2  # bounded: a few MiB of output in flight
        assert first + stream.read() == _big_text()
