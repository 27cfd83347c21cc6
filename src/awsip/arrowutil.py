"""Small Arrow and numpy helpers shared by the indexes, the reader and the traffic summaries.

Several build Arrow data without ``pa.array``: on Python lists it makes pyarrow import pandas
(and dateutil), on numpy arrays numpy.ma (~20 ms), costs paid once per process but on the
start-up of every ``awsip classify`` and ``awsip report``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyarrow as pa


def string_array(values: Sequence[str]) -> Any:
    """A pyarrow ``string`` array built from buffers.

    ``pa.array(list_of_str)`` makes pyarrow import pandas (~0.2 s of start-up) to check for
    pandas types; building the offsets and data buffers directly avoids it.
    """
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets.tobytes()),
                                  pa.py_buffer(b"".join(encoded))])



def is_string_like(type_: Any) -> bool:
    """Whether an Arrow type holds text: string, large_string or (pyarrow >= 16) string_view."""
    import pyarrow as pa

    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return True
    is_view = getattr(pa.types, "is_string_view", None)
    return bool(is_view is not None and is_view(type_))


def is_view(type_: Any) -> bool:
    """Whether an Arrow type is string_view or binary_view (pyarrow >= 16; never before)."""
    import pyarrow as pa

    checks = (getattr(pa.types, "is_string_view", None),
              getattr(pa.types, "is_binary_view", None))
    return any(check is not None and check(type_) for check in checks)


_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def bit_count(words: Any) -> Any:
    """Set bits per element of a uint64 array (``np.bitwise_count`` on numpy >= 2.0, a byte
    table before)."""
    native = getattr(np, "bitwise_count", None)
    if native is not None:
        return native(words)
    words = np.ascontiguousarray(words, dtype=np.uint64)
    as_bytes = words.view(np.uint8).reshape(*words.shape, 8)
    return _POPCOUNT8[as_bytes].sum(axis=-1, dtype=np.uint8)


@functools.lru_cache(maxsize=256)
def string_scalar(text: str) -> Any:
    """A pyarrow string scalar, for compute functions (built from buffers, see above; made
    once per text: scalars are immutable, and the readers ask for the same few per block)."""
    return string_array([text])[0]


@functools.lru_cache(maxsize=256)
def int_scalar(value: int, type_: Any = None) -> Any:
    """A pyarrow integer scalar (int64 unless ``type_``: any integer or timestamp type), for
    compute functions: ``pa.scalar`` makes pyarrow import pandas (see the module doc)."""
    scalar = from_numpy(np.array([value], dtype=np.int64))
    return (scalar if type_ is None else scalar.cast(type_))[0]


def float_scalar(value: float) -> Any:
    """A pyarrow float64 scalar (without ``pa.scalar``, see :func:`int_scalar`)."""
    return from_numpy(np.array([value], dtype=np.float64))[0]


@functools.lru_cache(maxsize=2)
def bool_scalar(value: bool) -> Any:
    """A pyarrow boolean scalar (for ``fill_null`` and the like: a Python ``True`` given to a
    compute function goes through ``pa.scalar``, which imports pandas)."""
    return from_numpy(np.array([value], dtype=bool))[0]


def null_scalar(type_: Any) -> Any:
    """A null pyarrow scalar of ``type_`` (without ``pa.scalar``)."""
    return pa.nulls(1, type_)[0]


def numpy_bools(values: Any) -> Any:
    """A pyarrow boolean array (or chunked array) as a numpy bool array, null as False, read
    from its bitmaps: pyarrow's ``to_numpy`` imports pandas (see the module doc)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts = [_bits(c.buffers()[1], c.offset, len(c)) & (
        _bits(c.buffers()[0], c.offset, len(c)) if c.null_count else True) for c in chunks]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _bits(buffer: Any, offset: int, n: int) -> Any:
    """``n`` bits of an Arrow bitmap from bit ``offset``, as numpy bools."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    raw = np.frombuffer(buffer, dtype=np.uint8, count=(offset + n + 7) // 8)
    return np.unpackbits(raw, count=offset + n, bitorder="little")[offset:].view(bool)


def numpy_ints(values: Any) -> Any:
    """A pyarrow integer array without nulls as a numpy array over its buffer (zero-copy),
    without ``to_numpy`` (see :func:`numpy_bools`)."""
    if values.null_count:
        raise ValueError("numpy_ints takes an array without nulls (fill them first)")
    type_ = values.type  # (not ``to_pandas_dtype``: on older pyarrow it imports pandas)
    dtype = np.dtype(f"{'i' if pa.types.is_signed_integer(type_) else 'u'}{type_.bit_width // 8}")
    return np.frombuffer(values.buffers()[1], dtype=dtype, count=values.offset + len(values)
                         )[values.offset:]


def from_numpy(values: Any, mask: Any = None) -> Any:
    """A pyarrow array over a 1-D numpy array of booleans or numbers (zero-copy except for
    booleans, which Arrow packs into bits); null where ``mask`` is True."""
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        type_, data = pa.bool_(), pa.py_buffer(np.packbits(values, bitorder="little"))
    else:
        type_, data = pa.from_numpy_dtype(values.dtype), pa.py_buffer(values)
    validity = None
    if mask is not None and np.any(mask):
        validity = pa.py_buffer(np.packbits(~np.asarray(mask, dtype=bool), bitorder="little"))
    return pa.Array.from_buffers(type_, len(values), [validity, data])


class _RefusePandas:
    """Import hook under which ``import pandas`` fails."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("the awsip command line does not import pandas",
                                      name=name)


@contextmanager
def pandas_refused() -> Iterator[None]:
    """Run a block with ``import pandas`` failing, so pyarrow does not import it (~0.1 s).

    pyarrow imports pandas the first time it converts Python or numpy values (``pa.array``,
    ``pa.scalar``, a compute function given a Python value), only to recognise pandas objects.
    The command line hands it none, so it runs its commands inside this block. pyarrow's own
    probe then remembers "not installed"; after the block, asking for pandas objects
    (``Table.to_pandas()``) imports pandas for real. Does nothing when pandas is already
    imported.
    """
    if "pandas" in sys.modules:
        yield
        return
    hook = _RefusePandas()
    sys.meta_path.insert(0, hook)
    try:
        shim = getattr(pa.lib, "_pandas_api", None)
        if shim is not None and hasattr(type(shim), "have_pandas"):
            shim.have_pandas  # noqa: B018 - pyarrow's probe: answered "no", remembered
        yield
    finally:
        sys.meta_path.remove(hook)
