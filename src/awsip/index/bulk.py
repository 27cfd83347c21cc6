"""The bulk index behind :func:`awsip.classify`: a flattened interval table per family.

Imported only by the bulk APIs (it imports numpy and pyarrow at module level). Addresses are
parsed by :mod:`awsip.addr.columns`.

**Index.** Every prefix of a :class:`~awsip.ranges.Ranges` gets a *label code* (1..N; 0 means
"not AWS"). Per address family the nested prefixes are flattened once into non-overlapping,
contiguous segments ``[start_i, start_{i+1})`` covering the whole address space, each carrying
the code of its most specific covering prefix (so an EC2 /24 inside a CLOUDFRONT /18 and a /32
AMAZON inside EC2 come out right). The deciding entry of a code is ``Ranges.label(prefix)``,
the function the scalar lookup uses, so both answer the same.

* IPv4 is located with a DIR-24-8 table: one entry per /24 (2**24 entries, uint16 when the codes
  fit), holding either the code or, for the few /24s split by longer prefixes, a pointer to a
  256-entry second-level block. A lookup is one or two array gathers. (``np.searchsorted`` over
  the ~20k segment starts is kept for comparison; it is 20-40x slower per address.)
* IPv6 segments are kept as sorted (hi, lo) uint64 starts and located with ``np.searchsorted``
  on ``hi`` plus a short fix-up for starts that share the query's ``hi``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..addr import span
from ..arrowutil import string_array
from ..fileio import read_current, warn_damaged, write_sealed
from ..ranges.model import register_view

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..ranges.model import Ranges

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Column:
    """One label column: ``dictionary`` values and, per label code, the index into it.

    Code 0 (not AWS) maps to index 0 as well; the row is null there (the validity bitmap says so).
    Indices are int16 while the dictionary fits (it does by far: ~11k prefixes), else int32.
    """

    dictionary: pa.Array
    codes: NDArray[np.signedinteger[Any]]


class BulkIndex:
    """Flattened interval index over one :class:`Ranges` (build with :func:`bulk_index`)."""

    def __init__(self, ranges: Ranges) -> None:
        prefixes = list(ranges.prefixes)
        parsed = [ranges.parsed(p) for p in prefixes]
        #: label codes are 1..ncodes-1; code k is prefix ``columns["prefix"].dictionary[k - 1]``
        self.ncodes = len(prefixes) + 1
        self.columns = _label_columns(ranges, prefixes)
        spans: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
        for code, p in enumerate(parsed, start=1):
            spans[p.version].append((*span(p.version, p.network, p.prefixlen), code))
        starts4, codes4 = _flatten(spans[4], 1 << 32)
        self.starts4 = np.array(starts4, dtype=np.uint32)
        self.codes4 = np.array(codes4, dtype=np.int32)
        self._build_dir24()
        starts6, codes6 = _flatten(spans[6], 1 << 128)
        self.hi6 = np.array([s >> 64 for s in starts6], dtype=np.uint64)
        self.lo6 = np.array([s & _MASK64 for s in starts6], dtype=np.uint64)
        self.codes6 = np.array(codes6, dtype=np.int32)
        _, runs = np.unique(self.hi6, return_counts=True)
        self._run6 = int(runs.max()) if len(runs) else 1

    # ------------------------------------------------------------------ on disk
    #: What the index file keeps: all but the 32 MiB /24 table, which is expanded from
    #: ``starts4``/``codes4`` on load (3 ms; reading and hashing it would cost ten times that).
    _ARRAYS = ("starts4", "codes4", "_sub", "_top", "hi6", "lo6", "codes6")
    _SCALARS = ("ncodes", "_flag", "_mark", "_run6", "split_blocks", "pure16")

    def save(self, path: Path, key: str) -> None:
        """Write the index to ``path`` (atomically, sealed: see :func:`awsip.fileio.write_sealed`)
        for a source identified by ``key``."""
        arrays: dict[str, NDArray[Any]] = {name: getattr(self, name) for name in self._ARRAYS}
        for name, column in self.columns.items():
            offsets, data = _string_buffers(column.dictionary)
            arrays[f"{name}.offsets"], arrays[f"{name}.data"] = offsets, data
            arrays[f"{name}.codes"] = column.codes
        layout: dict[str, tuple[str, int, int]] = {}
        pos = 0
        for name, arr in arrays.items():
            layout[name] = (arr.dtype.str, len(arr), pos)
            pos += _align(arr.nbytes)
        payload = bytearray(pos)
        for name, arr in arrays.items():
            at = layout[name][2]
            payload[at:at + arr.nbytes] = np.ascontiguousarray(arr).view(np.uint8).data
        write_sealed(path, _INDEX_MAGIC, {
            "format": _INDEX_FORMAT, "key": key, "awsip": _version(),
            "scalars": {name: int(getattr(self, name)) for name in self._SCALARS},
            "arrays": layout}, payload)

    @classmethod
    def load(cls, path: Path, key: str) -> BulkIndex | None:
        """The index saved at ``path`` for ``key``; None when the file is missing or for another
        key, format or awsip version (stale), or damaged (with a warning; the caller rebuilds).

        The whole file is read into memory and verified (size against its header, sha256)
        before any array is used; it is not mapped, so a file truncated or rewritten while in
        use cannot take the process down (SIGBUS)."""
        sealed = read_current(path, _INDEX_MAGIC, legacy=lambda head: head[:8] == b"AWSIPIDX",
                              expect={"format": _INDEX_FORMAT, "key": key, "awsip": _version()},
                              action="ignored and rebuilt")
        if sealed is None:
            return None
        header = sealed.header
        try:
            return cls._from_arrays(sealed.payload, header)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            warn_damaged(path, f"inconsistent arrays: {exc}", "ignored and rebuilt")
            return None

    @classmethod
    def _from_arrays(cls, payload: memoryview, header: dict[str, Any]) -> BulkIndex:
        """An index from a verified file's payload and header (read-only arrays into it)."""
        arrays = {name: np.frombuffer(payload, dtype=np.dtype(dt), count=count, offset=at)
                  for name, (dt, count, at) in header["arrays"].items()}
        self = cls.__new__(cls)
        for name in cls._ARRAYS:
            setattr(self, name, arrays[name])
        for name in cls._SCALARS:
            setattr(self, name, int(header["scalars"][name]))
        self.columns = {
            name: Column(_string_from_buffers(arrays[f"{name}.offsets"], arrays[f"{name}.data"]),
                         arrays[f"{name}.codes"])
            for name in _LABEL_NAMES}
        table, split = _dir24_table(self.starts4, self.codes4, self._sub.dtype, self._flag)
        if len(split) != self.split_blocks or len(self._sub) != 256 * len(split):
            raise ValueError("the /24 table does not match its second-level blocks")
        table.flags.writeable = False
        self._table = table
        return self

    # ------------------------------------------------------------------ IPv4
    def _build_dir24(self) -> None:
        starts = self.starts4.astype(np.int64)
        split = _split_blocks(starts)
        ncodes = self.ncodes
        dtype: type[np.unsignedinteger[Any]]
        if ncodes < 1 << 15 and len(split) < 1 << 15:
            dtype, flag = np.uint16, 1 << 15
        else:
            dtype, flag = np.uint32, 1 << 31
        addrs = (split[:, None] * 256 + np.arange(256)).ravel()
        self._sub = self.codes4[np.searchsorted(starts, addrs, side="right") - 1].astype(dtype)
        table, _ = _dir24_table(self.starts4, self.codes4, np.dtype(dtype), flag)
        self._table: NDArray[Any] = table
        self._flag = flag
        self.split_blocks = len(split)
        # /16 summary (128 KiB, stays in L2): the code when all 256 /24s of the /16 agree and
        # none is split, else a marker sending the address to the /24 table.
        blocks = table.reshape(1 << 16, 256)
        pure = (blocks == blocks[:, :1]).all(axis=1) & (blocks[:, 0] < flag)
        self._mark = np.iinfo(dtype).max
        self._top: NDArray[Any] = np.where(pure, blocks[:, 0], self._mark).astype(dtype)
        self.pure16 = int(pure.sum())

    def lookup4(self, values: NDArray[np.uint32]) -> NDArray[Any]:
        """Label codes of IPv4 addresses given as uint32 (DIR-24-8: one or two gathers).

        A /16 summary answers first for the /16s without AWS boundaries (most of the Internet,
        from a table that stays in cache); the rest go to the /24 table, and all at once when
        they are the majority (addresses mostly inside AWS).

        The codes come in the table's unsigned dtype (uint16 normally), not widened: a 10M-row
        conversion pass costs more than the lookup itself.
        """
        values = np.asarray(values, dtype=np.uint32)
        probe = values[::max(1, len(values) // 1024)]
        codes: NDArray[Any]
        if np.count_nonzero(self._top[probe >> 16] == self._mark) * 4 > len(probe):
            codes = self._table[values >> 8]  # mostly inside AWS /16s: the /24 table for all
        else:
            codes = self._top[values >> 16]
            deep = np.flatnonzero(codes == self._mark)
            if len(deep):
                codes[deep] = self._table[values[deep] >> 8]
        far = np.flatnonzero(codes >= self._flag)
        if len(far):
            block = codes[far].astype(np.int64) - self._flag
            codes[far] = self._sub[block * 256 + (values[far] & 255)]
        return codes

    def lookup4_searchsorted(self, values: NDArray[np.uint32]) -> NDArray[np.int32]:
        """The same answer as :meth:`lookup4` by binary search (kept for the benchmark)."""
        found: NDArray[np.int32] = self.codes4[np.searchsorted(self.starts4, values, "right") - 1]
        return found

    # ------------------------------------------------------------------ IPv6
    def lookup6(self, hi: NDArray[np.uint64], lo: NDArray[np.uint64]) -> NDArray[np.int32]:
        """Label codes of IPv6 addresses given as (high, low) 64-bit halves."""
        left = np.searchsorted(self.hi6, hi, side="left")
        right = np.searchsorted(self.hi6, hi, side="right")
        idx = left - 1
        last = len(self.hi6) - 1
        tie = np.flatnonzero(right > left)
        if len(tie):
            tl, tr, tlo = left[tie], right[tie], lo[tie]
            extra = np.zeros(len(tie), dtype=np.int64)
            for k in range(self._run6):
                pos = tl + k
                extra += (pos < tr) & (self.lo6[np.minimum(pos, last)] <= tlo)
            idx[tie] += extra
        return self.codes6[idx]


_INDEX_MAGIC = b"AWSIPBIX"  # format 1 (mapped, unsealed) began b"AWSIPIDX": stale
_INDEX_FORMAT = 2  # bump when the arrays of BulkIndex change meaning
#: Suffix of the file, next to a cached publication, that keeps its bulk index.
INDEX_SUFFIX = ".index"


def _align(size: int) -> int:
    """``size`` rounded up to 64 bytes: where the next array of an index file starts."""
    return -(-size // 64) * 64


def _split_blocks(starts: NDArray[np.int64]) -> NDArray[np.int64]:
    """The /24 blocks that the (increasing) segment starts split: they get a 256-entry
    second-level block. Not ``np.unique``: it imports numpy.ma (~20 ms), and loading a stored
    index should not."""
    blocks = starts[(starts & 255) != 0] >> 8
    if not blocks.size:
        return np.zeros(0, dtype=np.int64)
    first: NDArray[np.int64] = blocks[np.concatenate(([True], blocks[1:] != blocks[:-1]))]
    return first


def _dir24_table(starts4: NDArray[Any], codes4: NDArray[Any], dtype: np.dtype[Any],
                 flag: int) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """The 2**24-entry /24 table of the IPv4 segments (and the split blocks it points into):
    each /24 holds its segment's code, or ``flag`` plus the number of its second-level block."""
    starts = starts4.astype(np.int64)
    if len(starts) == 0 or starts[0] != 0 or len(codes4) != len(starts) or \
            np.any(np.diff(starts) <= 0) or starts[-1] >= 1 << 32:
        raise ValueError("IPv4 segment starts are not increasing from 0")
    counts = np.diff(np.append((starts + 255) >> 8, 1 << 24))
    split = _split_blocks(starts)
    table = np.repeat(codes4.astype(dtype), counts)
    table[split] = (flag + np.arange(len(split))).astype(dtype)
    return table, split


def bulk_index(ranges: Ranges) -> BulkIndex:
    """The :class:`BulkIndex` of ``ranges``, built (or mapped from disk) once per Ranges."""
    index: BulkIndex = ranges.view("bulk_index")
    return index


def _stored_or_built(ranges: Ranges) -> BulkIndex:
    """When ``ranges`` is the content of a cache file (``Origin.derived``), its index is kept
    next to that file (``<name>.index``, ~1.2 MB, verified on load): later processes skip most
    of the build (~5 ms instead of ~40 ms)."""
    import contextlib

    if ranges.origin.derived is None:
        return BulkIndex(ranges)
    stem, key = ranges.origin.derived
    path = Path(stem).with_suffix(INDEX_SUFFIX)
    index = BulkIndex.load(path, key)
    if index is None:
        index = BulkIndex(ranges)
        with contextlib.suppress(OSError):  # a read-only cache: build every time
            index.save(path, key)
    return index


register_view("bulk_index", _stored_or_built)


def _flatten(spans: list[tuple[int, int, int]], top: int) -> tuple[list[int], list[int]]:
    """Nested half-open spans ``(start, end, code)`` -> contiguous segment starts and codes.

    Prefixes of one family are laminar (two are either disjoint or nested), so a stack sweep in
    (start, -end) order gives each segment the code of its innermost covering span; 0 where none.
    """
    starts, codes = [0], [0]

    def emit(pos: int, code: int) -> None:
        if starts[-1] == pos:
            codes[-1] = code
        else:
            starts.append(pos)
            codes.append(code)

    stack: list[tuple[int, int]] = []
    for start, end, code in sorted(spans, key=lambda s: (s[0], -s[1])):
        while stack and stack[-1][0] <= start:
            closed, _ = stack.pop()
            emit(closed, stack[-1][1] if stack else 0)
        emit(start, code)
        stack.append((end, code))
    while stack:
        closed, _ = stack.pop()
        emit(closed, stack[-1][1] if stack else 0)
    if starts[-1] == top:
        starts.pop()
        codes.pop()
    merged_s, merged_c = [starts[0]], [codes[0]]
    for s, c in zip(starts[1:], codes[1:], strict=True):
        if c != merged_c[-1]:
            merged_s.append(s)
            merged_c.append(c)
    return merged_s, merged_c


def _version() -> str:
    from ..version import __version__

    return __version__


def _string_buffers(arr: pa.Array) -> tuple[NDArray[np.int32], NDArray[np.uint8]]:
    """The offsets and data of a string array without nulls, as numpy arrays from offset 0."""
    if arr.null_count or arr.type != pa.string():
        raise ValueError("only string arrays without nulls are stored")
    _, offsets, data = arr.buffers()
    first = arr.offset
    offs = np.frombuffer(offsets, dtype=np.int32)[first:first + len(arr) + 1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return (offs - offs[0]).astype(np.int32), raw[offs[0]:offs[-1]].copy()


def _string_from_buffers(offsets: NDArray[np.int32], data: NDArray[np.uint8]) -> pa.Array:
    return pa.Array.from_buffers(pa.string(), len(offsets) - 1,
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])


_LABEL_NAMES = ("prefix", "service", "region", "network_border_group")


def _label_columns(ranges: Ranges, prefixes: list[str]) -> dict[str, Column]:
    """Dictionary columns for prefix, service, region and border group, indexed by label code."""
    labels = [ranges.label(p) for p in prefixes]
    values = {
        "prefix": prefixes,
        "service": [e.service for e in labels],
        "region": [e.region for e in labels],
        "network_border_group": [e.network_border_group for e in labels],
    }
    columns = {}
    for name, per_code in values.items():
        distinct = sorted(set(per_code)) if name != "prefix" else per_code
        position = {v: i for i, v in enumerate(distinct)}
        kind = np.int16 if len(distinct) < 1 << 15 else np.int32
        codes = np.array([0] + [position[v] for v in per_code], dtype=kind)
        columns[name] = Column(string_array(distinct), codes)
    return columns


__all__ = ["INDEX_SUFFIX", "BulkIndex", "Column", "bulk_index"]
