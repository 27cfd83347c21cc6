"""Gzip decompression: awsip's GzipStream against isal's igzip_threaded and stdlib gzip, one run.

    python benchmarks/bench_gzip.py [--records 1800000] [--rounds 5] [--dir /tmp/awsip-bench]

Generates (once, cached in --dir) a default-format S3-style gzip file with gen_flowlogs.py
(1.8M records: ~206 MB of text, ~52 MB of gzip, one member) and decompresses it, in
interleaved rounds, the way the flow-log reader consumes a stream: ``readinto1`` into a reused
8 MiB buffer, emptied when full. Through:

(a) ``isal.igzip_threaded.open(raw, "rb", threads=1, block_size=1 << 20)`` (the reader's path
    before GzipStream); (b) ``awsip.flowlogs.decompress.open_gzip(raw)``, (b2) the same with
    ``reopen=`` (no compressed bytes kept); (c) the standard library's ``gzip.GzipFile``;
    (d) GzipStream with zlib instead of ISA-L (its fallback).

The raw stream is the reader's ``_Counting`` wrapper over the open file. Then (e, f) the whole
reader, parsing included, with its gzip stream and with ``_gzip_reader`` swapped for
open_gzip. Prints the best and median seconds of each and the ratios to the first of its
group. Then the rare paths, timed once each: damage recovery (a byte flipped at 90 % of the
file, which zlib and ISA-L only notice at the CRC32; the file cut at 90 %), where the member
is inflated again with zlib from its start, its bytes read again through ``reopen`` or kept
in memory; and with the default ``keep`` (8 MiB: shorter than this member, so ISA-L's answer
stands).
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import gen_flowlogs  # noqa: E402
from awsip.flowlogs import decompress  # noqa: E402

try:
    from awsip.flowlogs.reader import _Counting
except ImportError:  # pragma: no cover - the reader's private wrapper moved
    class _Counting:  # type: ignore[no-redef]
        def __init__(self, raw: Any) -> None:
            self.raw, self.pos = raw, 0

        def read(self, n: int = -1) -> bytes:
            data = bytes(self.raw.read(n))
            self.pos += len(data)
            return data

BLOCK = 8 << 20


def consume(stream: Any) -> int:
    """Fill one reused 8 MiB buffer with readinto1 until the end, like the reader's
    _LineBuffer; the number of bytes."""
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    total = filled = 0
    while True:
        n = stream.readinto1(view[filled:])
        if not n:
            return total + filled
        filled += n
        if filled == BLOCK:
            total, filled = total + filled, 0


def igzip_threaded(path: Path) -> int:
    from isal import igzip_threaded

    with open(path, "rb") as f:
        s = igzip_threaded.open(_Counting(f), "rb", threads=1, block_size=1 << 20)
        try:
            return consume(s)
        finally:
            s.close()


def gzip_stream(path: Path) -> int:
    with open(path, "rb") as f, decompress.open_gzip(_Counting(f)) as s:
        return consume(s)


def gzip_stream_reopen(path: Path) -> int:
    """(b) with ``reopen``: nothing of the member kept in memory."""
    with open(path, "rb") as f, decompress.open_gzip(
            _Counting(f), reopen=lambda: open(path, "rb")) as s:
        return consume(s)


def stdlib_gzip(path: Path) -> int:
    with open(path, "rb") as f, gzip.GzipFile(fileobj=_Counting(f), mode="rb") as s:
        return consume(s)


def gzip_stream_zlib(path: Path) -> int:
    saved = decompress._isal
    decompress._isal = None
    try:
        return gzip_stream(path)
    finally:
        decompress._isal = saved


def reader_rows(path: Path, ours: bool) -> int:
    """The whole flow-log reader (parsing included) over the file: with its own gzip stream,
    or with ``_gzip_reader`` swapped for open_gzip (not yet wired in: a private hook)."""
    import awsip
    from awsip.flowlogs import reader

    saved = reader._gzip_reader
    if ours:
        reader._gzip_reader = decompress.open_gzip  # type: ignore[assignment]
    try:
        return sum(b.num_rows for b in awsip.read_flow_logs(str(path), progress=False))
    finally:
        reader._gzip_reader = saved


def damaged_read(data: bytes, **kw: Any) -> tuple[int, str]:
    """Bytes produced and the damage raised, reading ``data`` with open_gzip(**kw)."""
    stream = decompress.open_gzip(io.BytesIO(data), **kw)
    buf = bytearray(BLOCK)
    total, note = 0, "none"
    while True:
        try:
            n = stream.readinto1(buf)
        except decompress.GzipDamage as exc:
            note = f"{exc.detail} at {exc.offset}"
            continue
        if not n:
            break
        total += n
    stream.close()
    return total, note


def rare_paths(path: Path) -> None:
    """Time damage recovery once each: the member inflated again with zlib after ISA-L."""
    data = path.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) * 9 // 10] ^= 0x55
    cut = data[: len(data) * 9 // 10]
    bad = bytes(flipped)
    cases: list[tuple[str, Callable[[], tuple[int, str]]]] = [
        ("undamaged, reopen given", lambda: damaged_read(data, reopen=lambda: io.BytesIO(data))),
        ("byte flipped at 90 %, reopen", lambda: damaged_read(bad, reopen=lambda: io.BytesIO(bad))),
        ("byte flipped at 90 %, member kept", lambda: damaged_read(bad, keep=len(data))),
        ("byte flipped at 90 %, default keep", lambda: damaged_read(bad)),
        ("cut at 90 %, reopen", lambda: damaged_read(cut, reopen=lambda: io.BytesIO(cut))),
    ]
    print("\nrare paths (one run each):")
    for name, fn in cases:
        t = time.perf_counter()
        produced, note = fn()
        print(f"  {name:36} {time.perf_counter() - t:6.2f} s  {produced:,} bytes; damage: {note}")
    # The replay of one failing 64 KiB piece a byte at a time, alone.
    import zlib

    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    text = ("\n".join(gen_flowlogs.generate_lines(20_000)) + "\n").encode()
    piece = (comp.compress(text) + comp.flush())[: 64 << 10]
    d = zlib.decompressobj(-15)
    t = time.perf_counter()
    for i in range(len(piece)):
        d.decompress(piece[i: i + 1])
    print(f"  one 64 KiB piece inflated a byte at a time: {time.perf_counter() - t:.3f} s")


def machine() -> str:
    import isal

    with open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f
                      if ln.startswith("model name")), platform.processor())
    return (f"{model}, nproc {os.cpu_count()}, CPython {platform.python_version()}, "
            f"isal {isal.__version__}")


def table(runs: list[tuple[str, Any]], times: dict[str, list[float]], size: int) -> None:
    """Best and median seconds of each run, and their ratios to the first."""
    base = min(times[runs[0][0]])
    base_med = statistics.median(times[runs[0][0]])
    print(f"{'reader':40} {'best s':>7} {'median s':>9} {'best/1st':>9} {'median/1st':>11}"
          f" {'MB/s':>6}")
    for name, _ in runs:
        best, med = min(times[name]), statistics.median(times[name])
        print(f"{name:40} {best:7.3f} {med:9.3f} {best / base:8.2f}x {med / base_med:10.2f}x"
              f" {size / best / 1e6:6.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_800_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/awsip-bench")
    ap.add_argument("--no-rare", action="store_true", help="skip the damage-recovery timings")
    ap.add_argument("--no-reader", action="store_true", help="skip the whole-reader runs")
    args = ap.parse_args(argv)
    path = gen_flowlogs.ensure(Path(args.dir) / f"gzip-{args.records // 1000}k.log.gz",
                               args.records)
    print(machine())
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB gzip")
    runs: list[tuple[str, Callable[[Path], int]]] = [
        ("(a) isal igzip_threaded", igzip_threaded),
        ("(b) awsip GzipStream (ISA-L)", gzip_stream),
        ("(b2) the same with reopen= given", gzip_stream_reopen),
        ("(c) stdlib gzip.GzipFile", stdlib_gzip),
        ("(d) awsip GzipStream (zlib fallback)", gzip_stream_zlib),
    ]
    whole: list[tuple[str, Callable[[Path], int]]] = [
        ("(e) read_flow_logs, igzip_threaded", lambda p: reader_rows(p, False)),
        ("(f) read_flow_logs, GzipStream", lambda p: reader_rows(p, True)),
    ] if not args.no_reader else []
    times: dict[str, list[float]] = {name: [] for name, _ in runs + whole}
    sizes: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, fn in runs + whole:
            t = time.perf_counter()
            sizes[name] = fn(path)
            times[name].append(time.perf_counter() - t)
    if len({sizes[name] for name, _ in runs}) != 1:
        raise SystemExit(f"the readers disagree on the size: {sizes}")
    size = sizes[runs[0][0]]
    print(f"{size / 1e6:.1f} MB of text, {args.rounds} interleaved rounds\n")
    table(runs, times, size)
    if whole:
        print(f"\nthe whole reader ({sizes[whole[0][0]]:,} records):")
        table(whole, times, size)
    if not args.no_rare:
        rare_paths(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
