"""Small Arrow helpers shared by the bulk engine and the flow-log reader."""

from __future__ import annotations

from collections.abc import Sequence
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
