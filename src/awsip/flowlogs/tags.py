"""Percent-decoding of the EC2 tag fields of flow-log records (version 11).

AWS writes the value of each tag field (``instance-tag``, ``instance-tag-2``, ``interface-tag``,
``interface-tag-2``, ``asg-tag``, ``asg-tag-2``: one tag key's value per field, the keys chosen
with the flow log's ``TagFieldSpecifications``) percent-encoded in UTF-8, so that a value with
spaces or other special characters stays one space-separated field (AWS's announcement of
2026-06-10, https://aws.amazon.com/about-aws/whats-new/2026/06/amazon-flow-logs-metadata/: tag
values are percent-encoded in UTF-8 to convert special characters; "Flow log records",
https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html; EC2 API Reference,
``TagFieldSpecificationRequest``, for the keys). The reader decodes them by default
(``ReaderOptions(decode_tags=False)`` keeps the text as written).

The rule: every ``%`` followed by two hexadecimal digits becomes the byte they spell; any other
``%`` stays as it is; the bytes must then be UTF-8, else the value is kept as written (it was
not percent-encoded UTF-8). Decoding works on the Arrow buffers with numpy, one pass per
column chunk, with no per-record Python (only a chunk whose decoded bytes are not all UTF-8
falls back to a per-value check of its values holding ``%``).
"""

from __future__ import annotations

from typing import Any

from .fields import TAG_COLUMNS

_HEX = b"0123456789abcdefABCDEF"


def decode_tag_columns(table: Any) -> Any:
    """``table`` with its tag columns (:data:`~awsip.flowlogs.fields.TAG_COLUMNS`) decoded;
    the same table when it has none (the default formats have none: no cost)."""
    present = [c for c in table.column_names if c in TAG_COLUMNS]
    for name in present:
        i = table.column_names.index(name)
        table = table.set_column(i, name, percent_decode(table.column(i)))
    return table


def percent_decode(values: Any) -> Any:
    """A string array or chunked array with ``%XX`` escapes decoded (see the module rule)."""
    import pyarrow as pa

    if values.type != pa.string():  # large_string, dictionary, ...: decoded as string
        values = values.cast(pa.string())
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([_decode_chunk(c) for c in values.chunks], type=pa.string())
    return _decode_chunk(values)


def _decode_chunk(chunk: Any) -> Any:
    """One string array decoded; returned unchanged when it holds no escape."""
    import numpy as np
    import pyarrow as pa

    if len(chunk) == 0 or chunk.null_count == len(chunk):
        return chunk
    bufs = chunk.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[chunk.offset: chunk.offset + len(chunk) + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(bufs[2], dtype=np.uint8)[first:last] if bufs[2] is not None \
        else np.zeros(0, dtype=np.uint8)
    escapes = _escape_positions(data, offsets - first)
    if not escapes.size:
        return chunk
    decoded, new_offsets = _apply(data, offsets - first, escapes)
    validity = chunk.buffers()[0]
    raw = pa.Array.from_buffers(pa.binary(), len(chunk),
                                [_validity(chunk, validity), pa.py_buffer(new_offsets),
                                 pa.py_buffer(decoded)])
    try:
        return raw.cast(pa.string())
    except pa.ArrowInvalid:  # some decoded value is not UTF-8: decide value by value
        return _per_value(chunk, raw)


def _escape_positions(data: Any, offsets: Any) -> Any:
    """Positions of the ``%`` that start a ``%XX`` escape inside one value (escapes never
    overlap: a ``%`` is not a hexadecimal digit)."""
    import numpy as np

    if data.size < 3:
        return np.zeros(0, dtype=np.int64)
    lut = np.zeros(256, dtype=bool)
    lut[np.frombuffer(_HEX, dtype=np.uint8)] = True
    pct = np.flatnonzero(data[:-2] == 0x25)
    if not pct.size:
        return pct
    pct = pct[lut[data[pct + 1]] & lut[data[pct + 2]]]
    # the escape must end inside the value that holds its '%': no value starts at p+1 or p+2
    starts = np.zeros(data.size + 1, dtype=bool)
    starts[offsets] = True
    return pct[~(starts[pct + 1] | starts[pct + 2])]


def _apply(data: Any, offsets: Any, escapes: Any) -> tuple[Any, Any]:
    """The decoded data bytes and the new int32 offsets."""
    import numpy as np

    def nibble(b: Any) -> Any:
        b = b.astype(np.int16)
        return np.where(b <= 0x39, b - 0x30, (b | 0x20) - 0x57)

    out = data.copy()
    out[escapes] = (nibble(data[escapes + 1]) * 16 + nibble(data[escapes + 2])).astype(np.uint8)
    keep = np.ones(data.size, dtype=bool)
    keep[escapes + 1] = False
    keep[escapes + 2] = False
    removed = np.zeros(data.size + 1, dtype=np.int32)  # bytes removed before each position
    removed[escapes + 3] = 2  # escapes + 3 <= data.size: an escape ends inside the data
    np.cumsum(removed, out=removed)
    new_offsets = (offsets - removed[offsets]).astype(np.int32)
    return out[keep], new_offsets


def _validity(chunk: Any, validity: Any) -> Any:
    """The validity buffer for a rebuilt array (offset 0): the chunk's own when it has no
    offset, else its nulls recomputed."""
    import pyarrow.compute as pc

    if validity is None or chunk.null_count == 0:
        return None
    if chunk.offset == 0:
        return validity
    return pc.is_valid(chunk).buffers()[1]


def _per_value(chunk: Any, raw: Any) -> Any:
    """Decoded values where they are UTF-8, the text as written elsewhere (rare: only for a
    chunk holding an escape that does not decode to UTF-8)."""
    import pyarrow as pa

    out: list[str | None] = []
    for written, decoded in zip(chunk.to_pylist(), raw.to_pylist(), strict=True):
        if written is None:
            out.append(None)
            continue
        try:
            out.append(decoded.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(written)
    return pa.array(out, pa.string())


__all__ = ["decode_tag_columns", "percent_decode"]
