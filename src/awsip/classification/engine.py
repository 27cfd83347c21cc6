"""The one classification engine: distinct values first, then the bulk index.

Every caller that labels addresses in bulk goes through here: :func:`classify` (a column in, a
table out), flow-log enrichment (:mod:`awsip.classification.enrich`) and the traffic summaries
(:mod:`awsip.traffic`). The steps are :func:`distinct` (dictionary-encode a column when its
values repeat), :func:`label_codes` (parse each distinct value once with
:func:`awsip.addr.columns.parse_strings` and look it up in the :class:`~awsip.index.bulk.BulkIndex`)
and :func:`label_arrays` (per-row dictionary columns gathered from the index's label tables).
The answers are exactly :meth:`Ranges.lookup`'s for every address (same primary service rule,
same parser semantics), millions of addresses per second; ``docs/performance.md`` has the
measurements.

The result is a :class:`pyarrow.Table` with one row per input, in input order:

=======================  ===========================  ==========================================
column                   type                         value
=======================  ===========================  ==========================================
``ip``                   string (or the integer type  the input unchanged, zero-copy (see
                         of integer input)            :func:`dotted` for text from integers)
``valid``                bool (never null)            the input is an IPv4/IPv6 address
``aws``                  bool                         inside a published prefix (null if invalid)
``prefix``               dictionary<int16, string>    most specific covering prefix
``service``              dictionary<int16, string>    primary service (the rule of
                                                      :mod:`awsip.ranges.model`)
``region``               dictionary<int16, string>    region of the deciding entry
``network_border_group`` dictionary<int16, string>    border group of the deciding entry
=======================  ===========================  ==========================================

The four label columns are null when ``aws`` is not true. Invalid inputs (null, empty, a CIDR,
``300.1.1.1``, ``01.2.3.4``...) never raise: ``valid`` is false, row by row; nulls in pandas
columns (``None``, ``NaN``, ``pd.NA``, so integers held as floats or nullable ``Int64``) are
such rows (as are floats that are not whole numbers), the other rows are answered. A value
of the wrong kind altogether (one string, a 2-d array, dates...) raises
:class:`InputTypeError`. The count is in the schema
metadata (:func:`invalid_count`), next to the ranges' ``syncToken``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..addr.columns import Parsed, format_ipv4, parse_strings
from ..arrowutil import from_numpy, is_string_like
from ..errors import UsageError
from ..index.bulk import BulkIndex, bulk_index

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..ranges.model import Ranges

COLUMNS = ("ip", "valid", "aws", "prefix", "service", "region", "network_border_group")
LABEL_COLUMNS = COLUMNS[3:]
META_INVALID = b"awsip.invalid"
META_SYNC_TOKEN = b"awsip.sync_token"


class InputTypeError(UsageError, TypeError):
    """What was given to :func:`classify` is not a collection of addresses (also a
    ``TypeError``, as it always was)."""

#: Unique-first pays when inputs repeat; below this many rows the hashing is not worth a branch.
_SMALL = 1024
#: Rows sampled to decide whether to deduplicate, and the distinct share above which it is not
#: worth it (hashing a million distinct strings costs twice as much as parsing them).
_SAMPLE = 4096
_MOSTLY_DISTINCT = 0.75


def classify(ips: Any, ranges: Ranges) -> pa.Table:
    """Classify many addresses at once; one output row per input, in input order.

    ``ips`` may be an iterable of ``str`` (``None`` allowed), a numpy array of strings or of
    integers (pre-parsed IPv4, 0..2**32-1), a pyarrow ``Array``/``ChunkedArray`` of strings or
    integers, or a pandas ``Series`` of either. The column layout is in the module doc.
    (:func:`awsip.classify` is this with ``ranges`` defaulting to :func:`awsip.default_ranges`.)
    """
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
        arr = _from_pandas(ips)
    elif isinstance(ips, (str, bytes)):
        raise InputTypeError("classify() takes a collection of addresses; for one, use "
                             "awsip.lookup")
    else:
        arr = _from_iterable(ips)
    if pa.types.is_floating(arr.type):
        arr = _whole_floats(arr)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    if not (pa.types.is_integer(arr.type) or is_string_like(arr.type)):
        raise InputTypeError(f"classify() takes strings or integers, not {arr.type}")
    return arr


def _from_pandas(ips: Any) -> pa.Array:
    """A pandas Series (or Index) of strings or integers, nulls kept as nulls row by row:
    nullable ``Int64`` with ``pd.NA``, integers made floats by ``NaN``, object columns with
    ``None``/``NaN``."""
    values = ips.to_numpy() if hasattr(ips, "to_numpy") else np.asarray(ips)
    if values.dtype.kind in "iu" and not getattr(ips, "hasnans", False):
        return _from_numpy(values)
    try:
        arr = pa.array(ips, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        # a mixed object column (strings and numbers): strings answered, the rest invalid
        return _from_iterable(values.tolist())
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    return arr


def _whole_floats(arr: pa.Array) -> pa.Array:
    """Floats that are whole numbers (integers with ``NaN`` for missing, as pandas keeps them)
    as int64; NaN, null and any other float (not an address) as null, so invalid rows."""
    raw = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
    ok = np.isfinite(raw)
    if arr.null_count:
        ok &= ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    safe = np.where(ok, raw, 0.0)
    ok &= (safe == np.floor(safe)) & (np.abs(safe) < 2.0**63)
    return from_numpy(np.where(ok, safe, 0.0).astype(np.int64), mask=~ok)


def _from_numpy(values: NDArray[Any]) -> pa.Array:
    if values.ndim != 1:
        raise InputTypeError(f"classify() takes a 1-d array, not shape {values.shape}")
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
    if values.dtype.kind == "f":
        return from_numpy(values.astype(np.float64))
    if values.dtype.kind == "U":
        return pa.array(values, type=pa.string())
    raise InputTypeError(f"classify() takes strings or integers, not {values.dtype}")


def _from_iterable(items: Iterable[Any]) -> pa.Array:
    items = list(items)
    try:
        return pa.array(items, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        pass  # ValueError: a lone surrogate cannot be UTF-8 (the row comes out invalid)
    texts: list[str | None] = []
    for item in items:
        if isinstance(item, str):
            texts.append(item.encode("utf-8", "replace").decode("utf-8"))
        elif isinstance(item, bytes):
            texts.append(item.decode("utf-8", "replace"))
        elif isinstance(getattr(item, "packed", None), bytes):  # ipaddress objects
            texts.append(str(item))
        else:
            texts.append(None)
    return pa.array(texts, type=pa.string())


# ---------------------------------------------------------------------- engine
def distinct(arr: pa.Array) -> tuple[pa.Array, NDArray[Any] | None]:
    """``(uniques, row_of)``: the distinct values of ``arr`` and, per row, the position of its
    value among them (a null row points one past the end); ``(arr, None)`` when deduplicating
    would not pay (small input, or a sample shows mostly distinct values)."""
    if len(arr) <= _SMALL or not _repeats(arr):
        return arr, None
    return encode(arr)


def encode(arr: pa.Array) -> tuple[pa.Array, NDArray[Any]]:
    """:func:`distinct` without the sampling: always dictionary-encode."""
    encoded = arr.dictionary_encode()
    indices = encoded.indices
    if indices.null_count:  # nulls get the extra, invalid slot after the uniques
        indices = indices.fill_null(len(encoded.dictionary))
    return encoded.dictionary, indices.to_numpy(zero_copy_only=False)


def label_codes(values: pa.Array, index: BulkIndex) -> tuple[Parsed, NDArray[np.int32]]:
    """Parse each string of ``values`` once and look it up: ``(parsed, codes)``, the label code
    per value (0: not AWS, or not an address)."""
    parsed = parse_strings(values)
    # Every value goes through the IPv4 table (v4 is 0 elsewhere): cheaper than selecting rows.
    codes = index.lookup4(parsed.v4).astype(np.int32)
    not4 = parsed.version != 4
    if not4.any():
        codes[not4] = 0
        is6 = np.flatnonzero(parsed.version == 6)
        if len(is6):
            codes[is6] = index.lookup6(parsed.hi[is6], parsed.lo[is6])
    return parsed, codes


def _classify_strings(arr: pa.Array, index: BulkIndex, ranges: Ranges) -> pa.Table:
    uniques, row_of = distinct(arr)
    parsed, codes = label_codes(uniques, index)
    valid = parsed.version != 0
    if row_of is not None:
        codes = np.append(codes, 0)[row_of]  # one row-level gather; labels index small tables
        valid = np.append(valid, False)[row_of]
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


def label_arrays(codes: NDArray[Any], index: BulkIndex, validity: pa.Buffer | None = None,
                 null_count: int = 0) -> dict[str, pa.DictionaryArray]:
    """The prefix, service, region and network_border_group columns for per-row label codes:
    dictionary arrays over the index's label tables (the same dictionary for every batch),
    null where ``validity`` (a bitmap, usually "is AWS") is off."""
    n = len(codes)
    out: dict[str, pa.DictionaryArray] = {}
    for name in LABEL_COLUMNS:
        column = index.columns[name]
        idx = column.codes[codes]
        kind = pa.from_numpy_dtype(idx.dtype)
        indices = pa.Array.from_buffers(kind, n, [validity, pa.py_buffer(idx)],
                                        null_count=null_count)
        out[name] = pa.DictionaryArray.from_arrays(indices, column.dictionary, safe=False)
    return out


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
    labels = label_arrays(codes, index, aws_bits if n_aws < n else None, n - n_aws)
    arrays.extend(labels[name] for name in LABEL_COLUMNS)
    metadata = {META_INVALID: str(invalid).encode(),
                META_SYNC_TOKEN: ranges.sync_token.encode()}
    return pa.Table.from_arrays(arrays, names=list(COLUMNS), metadata=metadata)


__all__ = ["COLUMNS", "LABEL_COLUMNS", "InputTypeError", "classify", "distinct", "dotted",
           "encode", "invalid_count", "label_arrays", "label_codes"]
