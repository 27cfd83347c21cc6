"""Arrow data built from buffers (awsip.arrowutil) equals what pa.array builds."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
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
