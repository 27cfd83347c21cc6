"""Gzip decompression that produces everything readable, then says where the damage is.

:func:`open_gzip` returns a :class:`GzipStream`: a background thread decompresses (ISA-L's
``isal_zlib`` when installed, which releases the GIL; the standard library's ``zlib``
otherwise) into a bounded queue of ~1 MiB batches while the caller parses the previous ones.
The gzip framing (header, trailer, members) is parsed here; the deflate data is inflated raw.

The rules. zlib is the reference: what ``zlib.decompressobj`` fed one byte at a time produces
before it raises is what is produced here before the damage.

- **Members**: concatenated members (``cat a.gz b.gz``, AWS deliveries) are read one after
  the other. Zero bytes after a complete member are padding and ignored, up to the end or up
  to the next member (as gzip and Python's ``gzip`` do); zero bytes at the very start, or any
  other bytes where a member should begin, are damage. An empty source is an empty stream.
- **Damage**: a bad header (magic, method, reserved flags, header CRC: zlib's checks), a
  corrupt deflate stream, data that ends inside a member (truncation), and a trailer whose
  CRC32 or ISIZE does not match the data (that data was already produced: the trailer comes
  after it; most damage inside a deflate block shows only there, after garbage). Each is
  raised once as :class:`GzipDamage` by the read after the last byte before it. Its
  ``offset`` counts from the first byte of the source: the byte where zlib fails (deflate
  data), the bad header field, the CRC32 or ISIZE field, or the end of the source.
- **Everything before the damage**: ISA-L, like zlib, drops the output of the call that fails
  and holds back up to a byte at a truncation, and it cannot copy its state. So the
  compressed bytes of the current member are kept (up to ``keep`` bytes; or read again
  through ``reopen``), and when ISA-L fails, runs out of input or the trailer disagrees, the
  member is inflated again from its start with zlib, whose state is copied before each
  64 KiB piece so the failing piece is replayed a byte at a time: the output goes on from
  where ISA-L's stopped (ISA-L's bytes are checked against zlib's by their CRC32s) up to the
  byte where zlib stops. ISA-L accepts some invalid Huffman codes that zlib rejects and then
  fails a little later: the bytes it produced past zlib's point (a few dozen seen; at most
  64 KiB taken as that) are counted in ``GzipDamage.overrun``. A member longer than
  ``keep`` with no ``reopen`` gets ISA-L's answer: at most one call's output (1 MiB, about
  256 KiB of text) lost before a corrupt block, a byte at a truncation.
- **Resync**: after damage inside a member (or bytes that are not a member), the bytes from
  one past that member's start are searched for ``1f 8b 08``: from its start, because the
  garbage decoded past a cut can run over the header of the member after it. A candidate is
  accepted when its header is valid and its deflate data either inflates 64 KiB without
  error or ends with a matching CRC32 and ISIZE: random bytes (a false magic inside
  compressed data) fail within a few bytes, so no garbage comes from them; a gzip file
  stored uncompressed inside the data would be found. A genuine member that is shorter than
  64 KiB of text *and* itself damaged is not resumed; a member is never read twice. After a
  trailer mismatch, the next member is where the trailer ends; if nothing follows, or that
  member is broken, the search starts one past the mismatched member's start (damaged data
  can end "validly" past later members). ``GzipDamage.resumes`` says whether more follows.
"""

from __future__ import annotations

import bisect
import contextlib
import queue
import re
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, TypeAlias

from ..errors import FlowLogError

try:
    from isal import isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib keeps it working without
    isal_zlib = None  # type: ignore[assignment]
_isal: Any = isal_zlib  # None: zlib does all the work

READ_SIZE = 1 << 20  # compressed bytes read from the source at a time
FAST_FEED = 1 << 20  # compressed bytes per ISA-L call (a few % faster than 64 KiB, near noise)
FEED_SIZE = 64 << 10  # compressed bytes per zlib call and state copy (the byte-by-byte replay)
OUT_LIMIT = 1 << 20  # output bytes per inflate call, at most
BATCH_SIZE = 1 << 20  # output bytes per queue item, about
QUEUE_BATCHES = 4  # batches in flight: ~5 MiB of output at most
KEEP_BYTES = 8 << 20  # compressed bytes of the current member kept (replay, resync); more
# costs fresh pages: 32 MiB made a 52 MB file 10-15 % slower to read (bench_gzip.py)
LENIENT_MAX = 64 << 10  # more ISA-L output than zlib's is taken as its leniency up to this
RESYNC_PROOF = 64 << 10  # output a resync candidate must inflate cleanly to be accepted
_NO_HOLD = 1 << 62
CLOSE_WAIT = 5.0  # seconds close() waits for the thread (it may be inside a blocking read)
MAGIC = b"\x1f\x8b\x08"
_FHCRC, _FEXTRA, _FNAME, _FCOMMENT, _FRESERVED = 2, 4, 8, 16, 0xE0
_ISAL_PREFIX = re.compile(r"^Error -?\d+:? *")
_crc32: Callable[[Any, int], int] = zlib.crc32 if _isal is None else _isal.crc32
_CODEC_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + (() if _isal is None
                                                             else (_isal.error,))


class GzipDamage(FlowLogError, ValueError):
    """Gzip data is damaged at ``offset`` (a compressed byte offset from the first byte of the
    source): ``detail`` says how; ``resumes`` says whether later reads go on with a later
    member. Everything readable before it was returned by earlier reads; ``overrun`` (almost
    always 0) counts the last of those bytes that zlib would not have produced (ISA-L
    accepted an invalid Huffman code a little longer). An AwsipError; a ValueError too, as
    corrupt data is to ``gzip``."""

    def __init__(self, offset: int, detail: str, resumes: bool, overrun: int = 0) -> None:
        self.offset = offset
        self.detail = detail
        self.resumes = resumes
        self.overrun = overrun
        after = ("; reading resumes at a later member" if resumes
                 else "; nothing after it could be read")
        super().__init__(f"gzip data damaged at byte {offset}: {detail}{after}")


class _Stopped(Exception):
    """The consumer closed the stream: the thread ends."""


class _Gone(Exception):
    """Bytes before the kept ones were asked for and there is no ``reopen``."""


class _Broken(Exception):
    """Damage inside a member, at ``offset``."""

    def __init__(self, offset: int, detail: str, overrun: int = 0) -> None:
        super().__init__(detail)
        self.offset, self.detail, self.overrun = offset, detail, overrun


class _Diverged(Exception):
    """Inflating a member again did not reproduce the bytes already produced from it."""


def _short(inp: _Input, where: str) -> _Broken:
    return _Broken(inp.live, f"truncated: the stream ends inside a member{where}")


@dataclass
class _Inflated:
    """How inflating a member's deflate data ended: ``end`` (its last block; the trailer is
    at ``offset``), ``error`` (at ``offset``), ``short`` (no more input) or ``proof`` (enough
    output to trust a resync candidate)."""

    kind: str
    crc: int
    size: int
    offset: int
    detail: str = ""
    marks: list[tuple[int, int]] = field(default_factory=list)  # ISA-L's, see _Crc
    overrun: int = 0  # bytes ISA-L produced past zlib's failing point


class _Input:
    """The source's bytes by absolute offset. Read once from ``raw``; the bytes from ``pin``
    on are kept (the oldest dropped past ``keep`` bytes) so a member can be inflated again;
    older ones come from ``reopen`` (a fresh stream of the same bytes) or are gone."""

    def __init__(self, raw: Any, reopen: Callable[[], IO[bytes]] | None, keep: int,
                 stopped: threading.Event) -> None:
        self.raw, self.reopen, self.stopped = raw, reopen, stopped
        self.keep = 0 if reopen is not None else keep
        self.chunks: list[bytes] = []
        self.starts: list[int] = []
        self.base = self.live = self.pos = self.pin = 0
        self.hold = _NO_HOLD  # no chunk ending after this is dropped, even past ``keep``
        self.eof = False
        self.old: IO[bytes] | None = None
        self.old_pos = 0

    def read(self, n: int) -> memoryview:
        """Up to ``n`` bytes at ``pos`` (empty only at the end), advancing ``pos``."""
        if self.stopped.is_set():
            raise _Stopped
        if self.pos >= self.live and not self._more():
            return memoryview(b"")
        if self.pos < self.base:
            return self._read_old(min(n, self.base - self.pos))
        i = bisect.bisect_right(self.starts, self.pos) - 1
        at = self.pos - self.starts[i]
        piece = memoryview(self.chunks[i])[at: at + n]
        self.pos += len(piece)
        return piece

    def take(self, n: int) -> bytes:
        """Exactly ``n`` bytes at ``pos``, fewer only at the end."""
        parts = []
        while n > 0 and (piece := self.read(n)):
            parts.append(bytes(piece))
            n -= len(piece)
        return b"".join(parts)

    def _more(self) -> bool:
        """Read the next chunk of the source; False at its end."""
        if self.eof:
            return False
        data = bytes(self.raw.read(READ_SIZE))
        if not data:
            self.eof = True
            return False
        self._trim()
        self.chunks.append(data)
        self.starts.append(self.live)
        self.live += len(data)
        return True

    def _trim(self) -> None:
        """Drop kept chunks that end before both ``pin`` and ``pos``, and the oldest ones
        past ``keep`` bytes (never one that ends after ``pos`` or ``hold``)."""
        while self.chunks:
            end = self.starts[0] + len(self.chunks[0])
            over = self.live - self.starts[0] > self.keep
            if end > min(self.pos, self.hold) or (end > self.pin and not over):
                break
            del self.chunks[0], self.starts[0]
        self.base = self.starts[0] if self.starts else self.live

    def _read_old(self, n: int) -> memoryview:
        """Bytes before the kept ones, from a fresh stream of the source."""
        if self.reopen is None:
            raise _Gone
        if self.old is None or self.old_pos != self.pos:
            self.close_old()
            self.old = self.reopen()
            self.old_pos = self._skip_to(self.old, self.pos)
            if self.old_pos != self.pos:
                raise _Gone
        data = bytes(self.old.read(n))
        if not data:
            raise _Gone
        self.old_pos += len(data)
        self.pos += len(data)
        return memoryview(data)

    @staticmethod
    def _skip_to(stream: IO[bytes], offset: int) -> int:
        """Position a fresh ``stream`` at ``offset`` (by seeking or reading); where it got."""
        seekable = getattr(stream, "seekable", None)
        if seekable is not None and seekable():
            return stream.seek(offset)
        done = 0
        while done < offset and (data := stream.read(min(READ_SIZE, offset - done))):
            done += len(data)
        return done

    def close_old(self) -> None:
        """Close the reopened stream, if any."""
        if self.old is not None:
            old, self.old = self.old, None
            with contextlib.suppress(Exception):  # a stream we only read from
                old.close()


class _Crc:
    """The running CRC32 and size of a member's output. Inflating again after ISA-L, the
    bytes ISA-L already produced (up to the last of its ``marks``, (size, CRC32) after each
    piece) are withheld, and must have the CRC32 of each mark as they pass it."""

    def __init__(self, marks: list[tuple[int, int]] | None = None) -> None:
        self.marks = marks or []
        self.next = 0  # the next mark to check
        self.skip = self.marks[-1][0] if self.marks else 0
        self.crc = self.size = 0

    def add(self, out: bytes, emit: Callable[[bytes], None] | None) -> None:
        """Count ``out``; pass what is not withheld to ``emit``."""
        if not out:
            return
        crc, size = self.crc, self.size
        self.crc, self.size = _crc32(out, crc), size + len(out)
        while self.next < len(self.marks) and self.marks[self.next][0] <= self.size:
            at, want = self.marks[self.next]
            if _crc32(memoryview(out)[: at - size], crc) != want:
                raise _Diverged
            self.next += 1
        if emit is not None and self.size > self.skip:
            emit(out[max(0, self.skip - size):])

    def overrun(self, failed: bool) -> int:
        """At an end: how many bytes ISA-L produced past the point where zlib fails (it
        accepts some invalid Huffman codes, then stops a little later: up to ~150 bytes
        seen); _Diverged if zlib did not get as far for another reason."""
        short = self.skip - self.size
        if short <= 0:
            return 0
        if failed and short <= LENIENT_MAX:
            return short
        raise _Diverged


# a batch of output; damage or a read error of the source; None: the end
_Item: TypeAlias = "list[bytes] | BaseException | None"


class _Worker:
    """The decompressing thread: members in order; batches and damage to the queue."""

    def __init__(self, inp: _Input, out: queue.Queue[_Item], stopped: threading.Event,
                 fast: bool) -> None:
        self.inp, self.out, self.stopped, self.fast = inp, out, stopped, fast
        self.batch: list[bytes] = []
        self.batched = 0
        self.tried: set[int] = set()  # the starts of the members read (resync skips them)

    # ------------------------------------------------------------------ the queue

    def run(self) -> None:
        """Decompress everything, then put the end (or the exception that stopped it)."""
        try:
            self._members()
            self._flush()
            self._put(None)
        except _Stopped:
            pass
        except _CODEC_ERRORS as exc:  # not seen: each inflate call catches its own
            with contextlib.suppress(_Stopped):
                self._flush()
                self._put(GzipDamage(self.inp.pos, f"unexpected: {exc}", False))
                self._put(None)
        except BaseException as exc:  # a read error of the source: the consumer raises it
            with contextlib.suppress(_Stopped):
                self._flush()
                self._put(exc)
        finally:
            self.inp.close_old()

    def _put(self, item: _Item) -> None:
        while True:
            if self.stopped.is_set():
                raise _Stopped
            try:
                self.out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _emit(self, data: bytes) -> None:
        self.batch.append(data)
        self.batched += len(data)
        if self.batched >= BATCH_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self.batch:
            batch, self.batch, self.batched = self.batch, [], 0
            self._put(batch)

    def _damage(self, offset: int, detail: str, resumes: bool, overrun: int = 0) -> None:
        self._flush()
        self._put(GzipDamage(offset, detail, resumes, overrun))

    # ------------------------------------------------------------------ members

    def _members(self) -> None:
        """Each member in turn; after damage, the member resync finds (if any). A trailer
        mismatch can come from damaged deflate data that happened to end in the wrong place,
        past later members: so if nothing follows it, or the member after it is broken, a
        search starts one past the mismatched member's start. Each search starts later than
        the one before and never resumes at a member already read: the loop ends."""
        inp = self.inp
        pos: int | None = 0
        padded = False  # zero bytes may come first (after a complete member)
        mismatched: int | None = None  # the start of a member whose trailer did not match
        searched = -1
        while pos is not None:
            if padded and (pos := self._skip_zeros(pos, pos)) is None:
                return
            floor = pos if mismatched is None else mismatched
            inp.pos, inp.pin = pos, floor
            if not inp.read(1):
                return
            start = pos
            if start in self.tried:  # reached again after a resync went back: not twice
                searched = max(start + 1, searched + 1)
                pos, padded, mismatched = self._resync(searched), False, None
                continue
            self.tried.add(start)
            try:
                end, mismatch = self._member(start)
            except _Broken as bad:
                searched = max(floor + 1, searched + 1)
                pos = self._resync(searched)
                self._damage(bad.offset, bad.detail, pos is not None, bad.overrun)
                padded, mismatched = False, None
                continue
            if mismatch is None:
                pos, padded, mismatched = end, True, None
                continue
            pos, padded, mismatched = self._skip_zeros(end, start), False, start
            if pos is None:  # the end: the mismatch may have run over later members
                searched = max(start + 1, searched + 1)
                pos, mismatched = self._resync(searched), None
            self._damage(*mismatch, pos is not None)

    def _member(self, start: int) -> tuple[int, tuple[int, str] | None]:
        """Inflate the member at ``start``: where it ends, and a trailer mismatch if any.
        After ISA-L, zlib inflates the member again when ISA-L failed, ran out of input or
        the trailer does not match (zlib may have stopped earlier: it is the reference)."""
        dstart = self._header(start)
        self.inp.hold = _NO_HOLD  # held while it was a resync candidate
        if not self.fast:
            got = self._inflate_exact(dstart, emit=True)
        else:
            got = self._inflate_fast(dstart)
            if got.kind == "end" and (ended := self._trailer(got))[1] is None:
                return ended
            got = self._recover(dstart, got)
        if got.kind == "error":
            raise _Broken(got.offset, got.detail, got.overrun)
        if got.kind == "short":
            raise _short(self.inp, "")
        return self._trailer(got)

    def _header(self, start: int) -> int:
        """Check the gzip header at ``start`` as zlib does; where the deflate data begins."""
        inp = self.inp
        inp.pos = start
        head = inp.take(10)
        if head[:2] != MAGIC[:2]:
            if len(head) < 2 and MAGIC.startswith(head):
                raise _short(inp, " header")
            raise _Broken(start, f"not a gzip member (bytes {head[:2].hex(' ')})")
        if len(head) > 2 and head[2] != MAGIC[2]:
            raise _Broken(start + 2, f"unknown compression method {head[2]}")
        if len(head) > 3 and head[3] & _FRESERVED:
            raise _Broken(start + 3, "unknown header flags set")
        if len(head) < 10:
            raise _short(inp, " header")
        flags, crc = head[3], zlib.crc32(head)  # read once: the header CRC is computed here
        if flags & _FEXTRA:
            xlen = inp.take(2)
            size = struct.unpack("<H", xlen)[0] if len(xlen) == 2 else -1
            extra = inp.take(max(size, 0))
            if len(extra) != size:
                raise _short(inp, " header")
            crc = zlib.crc32(xlen + extra, crc)
        for flag in (_FNAME, _FCOMMENT):
            if flags & flag:
                text = self._cstring()
                if text is None:
                    raise _short(inp, " header")
                crc = zlib.crc32(text, crc)
        if flags & _FHCRC:
            here = inp.pos
            crc16 = inp.take(2)
            if len(crc16) < 2:
                raise _short(inp, " header")
            if struct.unpack("<H", crc16)[0] != crc & 0xFFFF:
                raise _Broken(here, "header crc mismatch")
        return inp.pos

    def _cstring(self) -> bytes | None:
        """A zero-terminated header field (with its zero); None if the data ends first."""
        inp = self.inp
        parts = []
        while piece := bytes(inp.read(256)):
            nul = piece.find(b"\0")
            if nul >= 0:
                inp.pos -= len(piece) - nul - 1
                parts.append(piece[: nul + 1])
                return b"".join(parts)
            parts.append(piece)
        return None

    def _trailer(self, got: _Inflated) -> tuple[int, tuple[int, str] | None]:
        """Check the trailer after the deflate data: its end, and a mismatch if any."""
        inp = self.inp
        at = inp.pos = got.offset
        trailer = inp.take(8)
        if len(trailer) < 8:
            raise _short(inp, " trailer")
        crc, size = struct.unpack("<II", trailer)
        if crc != got.crc:
            return at + 8, (at, f"CRC32 mismatch: the trailer says {crc:08x}, the data "
                                f"has {got.crc:08x}")
        if size != got.size & 0xFFFFFFFF:
            return at + 8, (at + 4, f"ISIZE mismatch: the trailer says {size} bytes, the "
                                    f"data has {got.size & 0xFFFFFFFF} (mod 2**32)")
        return at + 8, None

    def _skip_zeros(self, pos: int, pin: int) -> int | None:
        """The first non-zero byte at or after ``pos``, or None at the end (zero padding);
        the bytes from ``pin`` on stay at hand."""
        inp = self.inp
        inp.pos, inp.pin = pos, pin
        while piece := inp.read(READ_SIZE):
            rest = len(bytes(piece).lstrip(b"\0"))
            if rest:
                return inp.pos - rest
            if pin == pos:
                inp.pin = inp.pos
        return None

    # ------------------------------------------------------------------ inflating

    def _inflate_fast(self, dstart: int) -> _Inflated:
        """ISA-L over the deflate data from ``dstart``; every output byte emitted."""
        inp = self.inp
        inp.pos = dstart
        d = _isal.decompressobj(wbits=-15)
        crc = size = 0
        marks: list[tuple[int, int]] = []
        while piece := inp.read(FAST_FEED):
            data: Any = piece
            try:
                while True:
                    out = d.decompress(data, OUT_LIMIT)
                    if out:
                        crc, size = _crc32(out, crc), size + len(out)
                        marks.append((size, crc))
                        self._emit(out)
                    if d.eof:
                        return _Inflated("end", crc, size, inp.pos - len(d.unused_data),
                                         marks=marks)
                    data = d.unconsumed_tail
                    if not data and len(out) < OUT_LIMIT:
                        break
            except _isal.error as exc:
                detail = _ISAL_PREFIX.sub("", str(exc))
                return _Inflated("error", crc, size, inp.pos - len(data),
                                 f"{detail} (ISA-L, in bytes {inp.pos - len(data)}-{inp.pos})",
                                 marks=marks)
        return _Inflated("short", crc, size, inp.pos, marks=marks)

    def _recover(self, dstart: int, got: _Inflated) -> _Inflated:
        """Inflate the member again with zlib and emit what follows the ``got.size`` bytes
        ISA-L produced. ISA-L's answer (less exact) when the member's first bytes are gone
        (longer than ``keep``, no ``reopen``) or zlib does not reproduce ISA-L's bytes."""
        try:
            again = self._inflate_exact(dstart, emit=True, marks=got.marks)
        except (_Gone, _Diverged):
            if got.kind == "error":
                got.detail += "; the member could not be inflated again for the exact byte"
            return got
        if again.overrun:
            again.detail += (f" (ISA-L accepted it: the last {again.overrun} bytes produced "
                             f"before this point are not zlib's)")
        return again

    def _inflate_exact(self, dstart: int, *, emit: bool,
                       marks: list[tuple[int, int]] | None = None,
                       proof: int = 0) -> _Inflated:
        """zlib over the deflate data from ``dstart``, its state copied before each call so
        a failing call is replayed a byte at a time. With ``emit``, the output past ISA-L's
        ``marks`` (see _Crc) goes to the queue; with ``proof``, stop once that much came
        out."""
        inp = self.inp
        inp.pos = dstart
        d = zlib.decompressobj(-15)
        seen = _Crc(marks)
        sink = self._emit if emit else None
        while piece := inp.read(FEED_SIZE):
            data: Any = piece
            while True:
                saved = d.copy()
                try:
                    out = d.decompress(data, OUT_LIMIT)
                except zlib.error:
                    return self._replay(saved, data, seen, sink)
                seen.add(out, sink)
                if d.eof:
                    seen.overrun(failed=False)
                    return _Inflated("end", seen.crc, seen.size, inp.pos - len(d.unused_data))
                if proof and seen.size >= proof:
                    return _Inflated("proof", seen.crc, seen.size, inp.pos)
                data = d.unconsumed_tail
                if not data and len(out) < OUT_LIMIT:
                    break
        try:
            seen.add(d.flush(), sink)
        except zlib.error as exc:  # not seen: flush after input that inflated cleanly
            return _Inflated("error", seen.crc, seen.size, inp.pos, str(exc),
                             overrun=seen.overrun(failed=True))
        seen.overrun(failed=False)
        return _Inflated("short", seen.crc, seen.size, inp.pos)

    def _replay(self, saved: Any, data: Any, seen: _Crc,
                sink: Callable[[bytes], None] | None) -> _Inflated:
        """Feed ``data`` to ``saved`` a byte at a time: the output up to the failing byte."""
        view = memoryview(data)
        at = self.inp.pos - len(view)
        for i in range(len(view)):
            try:
                out = saved.decompress(view[i: i + 1])
            except zlib.error as exc:
                detail = str(exc).split(": ", 1)[-1]
                return _Inflated("error", seen.crc, seen.size, at + i, detail,
                                 overrun=seen.overrun(failed=True))
            seen.add(out, sink)
        # not seen: zlib failed on the piece, then took it byte by byte
        return _Inflated("error", seen.crc, seen.size, self.inp.pos,
                         "zlib failed on a piece it then took byte by byte",
                         overrun=seen.overrun(failed=True))

    # ------------------------------------------------------------------ resync

    def _resync(self, start: int) -> int | None:
        """The first valid member at or after ``start`` (see the module docstring), or None."""
        while (cand := self._find_magic(start)) is not None:
            if cand not in self.tried and self._looks_valid(cand):
                return cand
            start = cand + 1
        return None

    def _find_magic(self, start: int) -> int | None:
        """Where ``1f 8b 08`` next occurs at or after ``start`` (or at the oldest byte still
        at hand, if those are gone), or None."""
        inp = self.inp
        inp.pos = inp.pin = inp.hold = start
        carry, at = b"", start
        while True:
            try:
                piece = bytes(inp.read(READ_SIZE))
            except _Gone:
                inp.pos = inp.pin = inp.hold = at = max(at + len(carry), inp.base)
                carry = b""
                continue
            if not piece:
                return None
            buf = carry + piece
            found = buf.find(MAGIC)
            if found >= 0:
                inp.hold = at + found
                return at + found
            tail = min(len(buf), len(MAGIC) - 1)
            carry, at = buf[len(buf) - tail:], at + len(buf) - tail
            inp.pin = inp.hold = at

    def _looks_valid(self, cand: int) -> bool:
        """Whether a member starts at ``cand``: a valid header, then deflate data that
        inflates ``RESYNC_PROOF`` bytes cleanly or ends with a matching trailer."""
        self.inp.pin = self.inp.hold = cand
        try:
            got = self._inflate_exact(self._header(cand), emit=False, proof=RESYNC_PROOF)
            return got.kind == "proof" or (got.kind == "end" and self._trailer(got)[1] is None)
        except (_Broken, _Gone):
            return False


class GzipStream:
    """A binary read stream of the decompressed data (see the module docstring): reads return
    data, raise each :class:`GzipDamage` once where it occurs, go on with the member resync
    found (if any), and return empty at the end. A read error of the source is raised as
    it is, after the data before it, and ends the stream."""

    def __init__(self, raw: Any, reopen: Callable[[], IO[bytes]] | None = None,
                 keep: int = KEEP_BYTES) -> None:
        self._stopped = threading.Event()
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=QUEUE_BATCHES)
        worker = _Worker(_Input(raw, reopen, keep, self._stopped), self._queue,
                         self._stopped, fast=_isal is not None)
        self._thread = threading.Thread(target=worker.run, name="awsip-gunzip", daemon=True)
        self._batch: list[bytes] = []
        self._next = 0  # the next chunk of _batch
        self._view = memoryview(b"")  # the unread rest of the current chunk
        self._held: BaseException | None = None  # met by a call that had already read data
        self._ended = False
        self.closed = False
        self._thread.start()

    def readable(self) -> bool:
        return True

    def readinto1(self, b: Any) -> int:
        """Up to ``len(b)`` bytes of one decompressed piece into ``b``; 0 at the end."""
        view = self._current()
        out = memoryview(b).cast("B")
        n = min(len(out), len(view))
        out[:n] = view[:n]
        self._view = view[n:]
        return n

    def readinto(self, b: Any) -> int:
        """Fill ``b`` as far as the data goes before the end or the next damage."""
        out = memoryview(b).cast("B")
        total = 0
        while total < len(out):
            try:
                n = self.readinto1(out[total:])
            except Exception as exc:
                if not total:
                    raise
                self._held = exc
                break
            if not n:
                break
            total += n
        return total

    def read(self, n: int | None = -1) -> bytes:
        """Up to ``n`` bytes (all, if negative or None) before the end or the next damage."""
        want = -1 if n is None or n < 0 else n
        parts: list[bytes] = []
        got = 0
        while want < 0 or got < want:
            try:
                view = self._current()
            except Exception as exc:
                if not got:
                    raise
                self._held = exc
                break
            if not len(view):
                break
            take = len(view) if want < 0 else min(len(view), want - got)
            parts.append(bytes(view[:take]))
            self._view = view[take:]
            got += take
        return b"".join(parts)

    def _current(self) -> memoryview:
        """The unread rest of the current chunk, the next one once it is used up (empty at
        the end); raises what the thread reported, once, where it comes in the data."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if self._held is not None:
            exc, self._held = self._held, None
            raise exc
        while not len(self._view) and not self._ended:
            if self._next < len(self._batch):
                self._view = memoryview(self._batch[self._next])
                self._next += 1
                continue
            item = self._queue.get()
            if isinstance(item, list):
                self._batch, self._next = item, 0
            elif item is None:
                self._ended = True
            else:
                self._ended = not isinstance(item, GzipDamage)
                raise item
        return self._view

    def close(self) -> None:
        """Stop the thread (promptly, even mid-file) and drop what it decompressed."""
        if self.closed:
            return
        self.closed = True
        self._stopped.set()
        self._drain()
        self._thread.join(CLOSE_WAIT)
        self._drain()
        self._batch, self._view = [], memoryview(b"")

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def __enter__(self) -> GzipStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self._stopped.set()


def open_gzip(raw: Any, *, reopen: Callable[[], IO[bytes]] | None = None,
              keep: int = KEEP_BYTES) -> GzipStream:
    """A :class:`GzipStream` over ``raw`` (anything with ``read(n)``; offsets count from the
    first byte it returns). ``reopen``, when given, returns a fresh stream of the same bytes
    from byte 0: used instead of keeping the current member's bytes in memory, only after
    damage (never pass one for stdin). ``keep``: how many compressed bytes of the current
    member are kept for exact recovery otherwise."""
    return GzipStream(raw, reopen, keep)


__all__ = ["GzipDamage", "GzipStream", "open_gzip"]
