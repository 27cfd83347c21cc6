"""Tokenizing flow-log text: pyarrow's CSV reader against a numpy-vectorised tokenizer, one run.

    python benchmarks/bench_tokenizer.py [--records 1000000] [--dir /tmp/awsip-bench]

Issue 12's floor target (the reader within 2.5x of decompression alone) needs the parsing of
the 114 MB of text of the 1M-record file to cost little more than decompressing it. The reader
tokenizes with pyarrow's CSV reader; this asks whether a tokenizer written with numpy's
vectorised operations could do the same work in less CPU. Both take the same text, already in
memory, in the reader's 8 MiB blocks of whole lines, on one thread, and produce the same
columns: the eight numeric fields as integers and the six text fields as Arrow strings.

- ``pyarrow``: ``pyarrow.csv.read_csv`` with the reader's options, every column as text (what
  the reader's fast path does before its checks), then the numeric columns cast to integers;
- ``numpy``: separators found with one comparison over the block, field bounds from their
  positions, each number accumulated digit by digit from a gather of its bytes, each text
  column gathered into an Arrow string array (no checks beyond the field count).

The two results are compared value for value before the timings are printed.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
from pyarrow import csv  # noqa: E402

import gen_flowlogs  # noqa: E402

BLOCK = 8 << 20
FIELDS = gen_flowlogs.HEADER.split()
NUMERIC = {0: 3, 5: 5, 6: 5, 7: 3, 8: 20, 9: 20, 10: 10, 11: 10}  # field -> most digits
TEXT = [1, 2, 3, 4, 12, 13]


def blocks_of(text: bytes) -> list[bytes]:
    """``text`` in blocks of whole lines of about 8 MiB (the reader's block size)."""
    out, i = [], 0
    while i < len(text):
        j = text.rfind(b"\n", i, i + BLOCK) + 1
        j = len(text) if j <= i else j
        out.append(text[i:j])
        i = j
    return out


def by_pyarrow(block: bytes) -> dict[int, Any]:
    names = [f"c{i}" for i in range(len(FIELDS))]
    table = csv.read_csv(
        pa.py_buffer(block),
        read_options=csv.ReadOptions(column_names=names, use_threads=False,
                                     block_size=1 << 20),
        parse_options=csv.ParseOptions(delimiter=" ", quote_char=False, double_quote=False,
                                       escape_char=False),
        convert_options=csv.ConvertOptions(column_types={c: pa.string() for c in names},
                                           null_values=["-"], strings_can_be_null=True))
    out: dict[int, Any] = {i: table.column(i).combine_chunks() for i in TEXT}
    out.update({i: table.column(i).cast(pa.int64()).combine_chunks() for i in NUMERIC})
    return out


def _dash(a: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Fields that are ``-`` (null, as the reader's ``null_values``)."""
    return (length == 1) & (a[start] == 0x2D)


def _numbers(a: np.ndarray, start: np.ndarray, length: np.ndarray, most: int) -> Any:
    null = _dash(a, start, length)
    width = int(length.max())
    if width > most or length.min() < 1:
        return None
    cols = np.arange(width)
    index = (start + length)[:, None] - width + cols  # right-aligned: last digit last
    digits = a[np.maximum(index, 0)].astype(np.int64) - 48
    digits = np.where((cols[None, :] >= (width - length)[:, None]) & ~null[:, None], digits, 0)
    if ((digits < 0) | (digits > 9)).any():
        return None
    values = digits @ (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))
    return pa.array(values, mask=null if null.any() else None)


def _strings(a: np.ndarray, start: np.ndarray, length: np.ndarray) -> Any:
    null = _dash(a, start, length)
    length = np.where(null, 0, length)
    offsets = np.zeros(len(start) + 1, np.int32)
    np.cumsum(length, out=offsets[1:])
    index = np.repeat(start - offsets[:-1], length) + np.arange(int(offsets[-1]))
    nulls = int(null.sum())
    valid = pa.py_buffer(np.packbits(~null, bitorder="little")) if nulls else None
    return pa.StringArray.from_buffers(len(start), pa.py_buffer(offsets),
                                       pa.py_buffer(a[index]), valid, nulls)


def by_numpy(block: bytes) -> dict[int, Any] | None:
    a = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero((a == 0x20) | (a == 0x0A))
    n, width = len(ends) // len(FIELDS), len(FIELDS)
    if n * width != len(ends):
        return None
    ends = ends.reshape(n, width)
    if not (a[ends[:, -1]] == 0x0A).all():
        return None
    starts = np.empty_like(ends)
    starts[0, 0] = 0
    starts[:, 1:] = ends[:, :-1] + 1
    starts[1:, 0] = ends[:-1, -1] + 1
    lengths = ends - starts
    out: dict[int, Any] = {i: _strings(a, starts[:, i], lengths[:, i]) for i in TEXT}
    for i, most in NUMERIC.items():
        out[i] = _numbers(a, starts[:, i], lengths[:, i], most)
    return out


def cpu(fn: Any, blocks: list[bytes], repeat: int) -> float:
    """Best CPU seconds of ``repeat`` passes of ``fn`` over every block."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        for b in blocks:
            fn(b)
        best = min(best, time.process_time() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/awsip-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    path = gen_flowlogs.ensure(args.dir / f"flow-{args.records}.log.gz", args.records)
    text = gzip.decompress(path.read_bytes())
    text = text[text.index(b"\n") + 1:]  # the header line
    blocks = blocks_of(text)
    for b in blocks:  # the same values, or the comparison means nothing
        want, got = by_pyarrow(b), by_numpy(b)
        assert got is not None and all(got[i].equals(want[i]) for i in want), "differ"
    t_arrow = cpu(by_pyarrow, blocks, args.repeat)
    t_numpy = cpu(by_numpy, blocks, args.repeat)
    print(f"{args.records:,} records, {len(text) / 1e6:.0f} MB of text in {len(blocks)} blocks; "
          f"CPU seconds, best of {args.repeat}, one thread; Python "
          f"{platform.python_version()}, numpy {np.__version__}, pyarrow {pa.__version__}\n")
    print("| tokenizer | CPU s | vs pyarrow |")
    print("|---|---:|---:|")
    print(f"| pyarrow `read_csv` (text) + casts | {t_arrow:.2f} | 1.00x |")
    print(f"| numpy, vectorised | {t_numpy:.2f} | {t_numpy / t_arrow:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
