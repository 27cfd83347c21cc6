"""Arrow data built from buffers (awsip.arrowutil) equals what pa.array builds."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip.arrowutil import from_numpy, string_array, string_scalar

DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_from_numpy_equals_pa_array_with_and_without_nulls(dtype: type, data: st.DataObject
                                                         ) -> None:
    n = data.draw(st.integers(0, 70))
    raw = data.draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
    values = np.array(raw).astype(dtype)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    assert from_numpy(values).equals(pa.array(values))
    got = from_numpy(values, mask=mask)
    assert got.equals(pa.array(values, mask=mask))
    assert got.null_count == int(mask.sum())


def test_from_numpy_takes_a_strided_view() -> None:
    values = np.arange(20, dtype=np.int64)[::3]
    assert from_numpy(values).to_pylist() == values.tolist()


def test_string_helpers() -> None:
    arr = string_array(["OK", "", "NODATA", "é"])
    assert arr.equals(pa.array(["OK", "", "NODATA", "é"]))
    assert pc.equal(arr, string_scalar("OK")).to_pylist() == [True, False, False, False]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.booleans()), max_size=80),
       cut=st.integers(0, 20), chunks=st.integers(1, 3))
def test_numpy_bools_reads_the_bitmaps_as_to_numpy_does_null_as_false(
        values: list[bool | None], cut: int, chunks: int) -> None:
    from awsip.arrowutil import numpy_bools

    whole = pa.array(values, pa.bool_()).slice(min(cut, len(values)))  # an offset in bits
    want = [bool(v) for v in whole.to_pylist()]
    assert numpy_bools(whole).tolist() == want
    step = max(1, len(whole) // chunks)
    parts = [whole.slice(i, step) for i in range(0, len(whole), step)] or [whole]
    assert numpy_bools(pa.chunked_array(parts, pa.bool_())).tolist() == want


@given(values=st.lists(st.integers(-2**31, 2**31 - 1), max_size=50), cut=st.integers(0, 10))
def test_numpy_ints_and_int_scalar_give_arrows_values(values: list[int], cut: int) -> None:
    from awsip.arrowutil import bool_scalar, int_scalar, null_scalar, numpy_ints

    arr = pa.array(values, pa.int32()).slice(min(cut, len(values)))
    assert numpy_ints(arr).tolist() == arr.to_pylist()
    assert int_scalar(7, pa.int32()).equals(pa.scalar(7, pa.int32()))
    assert int_scalar(2**40).equals(pa.scalar(2**40, pa.int64()))
    assert bool_scalar(True).as_py() is True and bool_scalar(False).as_py() is False
    assert null_scalar(pa.string()).as_py() is None and null_scalar(pa.string()).type == pa.string()
