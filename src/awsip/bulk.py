"""Bulk classification (:func:`awsip.classify`): tag a column of addresses with AWS labels.

:func:`classify` answers exactly what :meth:`Ranges.lookup` answers for every address (same
primary service rule, same parser semantics), millions of addresses per second. See
:mod:`awsip.vindex` for the engine and ``docs/performance.md`` for measurements.

The result is a :class:`pyarrow.Table` with one row per input, in input order:

=======================  ===========================  ==========================================
column                   type                         value
=======================  ===========================  ==========================================
``ip``                   string (or the integer type  the input unchanged, zero-copy (see
                         of integer input)            :func:`dotted` for text from integers)
``valid``                bool (never null)            the input is an IPv4/IPv6 address
``aws``                  bool                         inside a published prefix (null if invalid)
``prefix``               dictionary<int16, string>    most specific covering prefix
``service``              dictionary<int16, string>    primary service (see :mod:`awsip.ranges`)
``region``               dictionary<int16, string>    region of the deciding entry
``network_border_group`` dictionary<int16, string>    border group of the deciding entry
=======================  ===========================  ==========================================

The four label columns are null when ``aws`` is not true. Invalid inputs (null, empty, a CIDR,
``300.1.1.1``, ``01.2.3.4``...) never raise: ``valid`` is false. The count is in the schema
metadata (:func:`invalid_count`), next to the ranges' ``syncToken``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .vindex import BulkIndex, bulk_index, format_ipv4, parse_strings

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from .ranges import Ranges

COLUMNS = ("ip", "valid", "aws", "prefix", "service", "region", "network_border_group")
LABEL_COLUMNS = COLUMNS[3:]
META_INVALID = b"awsip.invalid"
META_SYNC_TOKEN = b"awsip.sync_token"

#: Unique-first pays when inputs repeat; below this many rows the hashing is not worth a branch.
_SMALL = 1024
#: Rows sampled to decide whether to deduplicate, and the distinct share above which it is not
#: worth it (hashing a million distinct strings costs twice as much as parsing them).
_SAMPLE = 4096
_MOSTLY_DISTINCT = 0.75


def classify(ips: Any, ranges: Ranges | None = None) -> pa.Table:
    """Classify many addresses at once; one output row per input, in input order.

    ``ips`` may be an iterable of ``str`` (``None`` allowed), a numpy array of strings or of
    integers (pre-parsed IPv4, 0..2**32-1), a pyarrow ``Array``/``ChunkedArray`` of strings or
    integers, or a pandas ``Series`` of either. ``ranges`` defaults to
    :func:`awsip.default_ranges`. The column layout is in the module doc.
    """
    if ranges is None:
        from .source import default_ranges

        ranges = default_ranges()
    index = bulk_index(ranges)
    arr = _as_arrow(ips)
    if pa.types.is_integer(arr.type):
        return _classify_integers(arr, index, ranges)
    return _classify_strings(arr, index, ranges)


def invalid_count(table: pa.Table) -> int:
    """How many inputs of a :func:`classify` result were not addresses."""
    meta = table.schema.metadata or {}
    if META_INVALID in meta:
        return int(meta[META_INVALID])
    return len(table) - int(pc.sum(table["valid"]).as_py() or 0)


# ---------------------------------------------------------------------- input
def _as_arrow(ips: Any) -> pa.Array:
    """Normalise every accepted input kind to one Arrow array of strings or integers."""
    if isinstance(ips, pa.ChunkedArray):
        ips = ips.combine_chunks() if ips.num_chunks != 1 else ips.chunk(0)
    if isinstance(ips, pa.Array):
        arr = ips
    elif isinstance(ips, np.ndarray):
        arr = _from_numpy(ips)
    elif type(ips).__module__.startswith("pandas"):
        values = ips.to_numpy() if hasattr(ips, "to_numpy") else np.asarray(ips)
        if values.dtype.kind in "iu" and not getattr(ips, "hasnans", False):
            arr = _from_numpy(values)
        else:
            arr = pa.array(ips, from_pandas=True)
            if pa.types.is_floating(arr.type) or pa.types.is_null(arr.type):
                arr = pa.array([None] * len(arr), type=pa.string())
    elif isinstance(ips, (str, bytes)):
        raise TypeError("classify() takes a collection of addresses; for one, use awsip.lookup")
    else:
        arr = _from_iterable(ips)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    if not (pa.types.is_integer(arr.type) or pa.types.is_string(arr.type)
            or pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type)):
        raise TypeError(f"classify() takes strings or integers, not {arr.type}")
    return arr


def _from_numpy(values: NDArray[Any]) -> pa.Array:
    if values.ndim != 1:
        raise TypeError(f"classify() takes a 1-d array, not shape {values.shape}")
    if values.dtype.kind in "iu":
        return pa.array(values)
    if values.dtype.kind == "S":
        raw = pa.array(values.astype(object), type=pa.binary())
        try:
            return raw.cast(pa.string())
        except pa.ArrowInvalid:  # not UTF-8: such rows are invalid, never an exception
            return pa.array([v.decode("utf-8", "replace") for v in values.tolist()],
                            type=pa.string())
    if values.dtype.kind == "O":
        return _from_iterable(values.tolist())
    return pa.array(values, type=pa.string())


def _from_iterable(items: Iterable[Any]) -> pa.Array:
    items = list(items)
    try:
        return pa.array(items, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        pass
    texts: list[str | None] = []
    for item in items:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, bytes):
            texts.append(item.decode("utf-8", "replace"))
        elif isinstance(getattr(item, "packed", None), bytes):  # ipaddress objects
            texts.append(str(item))
        else:
            texts.append(None)
    return pa.array(texts, type=pa.string())


# ---------------------------------------------------------------------- engine
def _classify_strings(arr: pa.Array, index: BulkIndex, ranges: Ranges) -> pa.Table:
    n = len(arr)
    row_of: NDArray[Any] | None = None
    uniques = arr
    if n > _SMALL and _repeats(arr):
        encoded = arr.dictionary_encode()
        uniques = encoded.dictionary
        indices = encoded.indices
        if indices.null_count:  # nulls get the extra, invalid slot after the uniques
            indices = indices.fill_null(len(uniques))
        row_of = indices.to_numpy()
    parsed = parse_strings(uniques)
    # Every row goes through the IPv4 table (v4 is 0 elsewhere): cheaper than selecting rows.
    codes = index.lookup4(parsed.v4).astype(np.int32)
    not4 = parsed.version != 4
    if not4.any():
        codes[not4] = 0
        is6 = np.flatnonzero(parsed.version == 6)
        if len(is6):
            codes[is6] = index.lookup6(parsed.hi[is6], parsed.lo[is6])
    if row_of is not None:
        codes = np.append(codes, 0)
    valid = parsed.version != 0
    if row_of is not None:
        valid = np.append(valid, False)[row_of]
        codes = codes[row_of]  # one row-level gather; the label columns then index small tables
    return _assemble(arr, valid, codes, index, ranges)


def _repeats(arr: pa.Array) -> bool:
    """Whether a fixed-seed sample of ``arr`` repeats enough for unique-first to pay."""
    n = len(arr)
    if n <= _SAMPLE:
        return True
    picks = np.sort(np.random.default_rng(0).choice(n, _SAMPLE, replace=False))
    distinct = pc.count_distinct(arr.take(pa.array(picks)), mode="all").as_py()
    return bool(distinct < _MOSTLY_DISTINCT * _SAMPLE)


def _classify_integers(arr: pa.Array, index: BulkIndex, ranges: Ranges) -> pa.Table:
    """Pre-parsed IPv4: 0..2**32-1 valid, anything else (negative, too large, null) invalid.

    The ``ip`` column is the input array itself: formatting 10M addresses as dotted text costs
    several times more than classifying them (see :func:`dotted` when text is wanted).
    """
    raw = arr.to_numpy(zero_copy_only=False)
    if arr.null_count:
        notnull = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        raw = np.where(notnull, raw, 0)
    else:
        notnull = np.ones(len(arr), dtype=bool)
    if raw.dtype == np.uint32:
        values, valid = raw, notnull
    else:
        valid = notnull & (raw >= 0) & (raw <= 0xFFFFFFFF)
        values = np.where(valid, raw, 0).astype(np.uint32)
    codes = index.lookup4(values)
    if not valid.all():
        codes[~valid] = 0
    return _assemble(arr, valid, codes, index, ranges)


def dotted(values: Any) -> pa.Array:
    """Dotted-quad text of IPv4 addresses given as integers (e.g. the ``ip`` column of a
    :func:`classify` result for integer input); values outside 0..2**32-1 and nulls give null."""
    arr = _as_arrow(values)
    if not pa.types.is_integer(arr.type):
        raise TypeError(f"dotted() takes integers, not {arr.type}")
    raw = arr.to_numpy(zero_copy_only=False)
    valid = ~np.isnan(raw) if raw.dtype.kind == "f" else np.ones(len(raw), dtype=bool)
    raw = np.where(valid, raw, 0)
    valid &= (raw >= 0) & (raw <= 0xFFFFFFFF)
    text = format_ipv4(np.where(valid, raw, 0).astype(np.uint32))
    if not valid.all():
        text = pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))
    return text


def _bitmap(mask: NDArray[np.bool_]) -> pa.Buffer:
    return pa.py_buffer(np.packbits(mask, bitorder="little"))


def _assemble(ip: pa.Array, valid: NDArray[np.bool_], codes: NDArray[Any],
              index: BulkIndex, ranges: Ranges) -> pa.Table:
    """Build the result table from per-row validity and label codes, sharing bitmaps."""
    n = len(valid)
    aws = codes != 0
    n_aws = int(np.count_nonzero(aws))
    invalid = n - int(np.count_nonzero(valid))
    valid_bits = _bitmap(valid)
    aws_bits = _bitmap(aws)
    arrays: list[pa.Array] = [
        ip,
        pa.Array.from_buffers(pa.bool_(), n, [None, valid_bits], null_count=0),
        pa.Array.from_buffers(pa.bool_(), n, [valid_bits if invalid else None, aws_bits],
                              null_count=invalid),
    ]
    for name in LABEL_COLUMNS:
        column = index.columns[name]
        idx = column.codes[codes]
        kind = pa.from_numpy_dtype(idx.dtype)
        indices = pa.Array.from_buffers(kind, n, [aws_bits if n_aws < n else None,
                                                  pa.py_buffer(idx)], null_count=n - n_aws)
        arrays.append(pa.DictionaryArray.from_arrays(indices, column.dictionary, safe=False))
    metadata = {META_INVALID: str(invalid).encode(),
                META_SYNC_TOKEN: ranges.sync_token.encode()}
    return pa.Table.from_arrays(arrays, names=list(COLUMNS), metadata=metadata)


__all__ = ["COLUMNS", "classify", "dotted", "invalid_count"]
