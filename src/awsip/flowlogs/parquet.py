"""Flow logs delivered to S3 as Parquet: columns renamed and typed like the text reader's.

AWS writes Parquet flow logs with the field names and the types of the "Flow log records"
page's "Available fields" table (INT_32, INT_64, STRING); files written by others (pandas,
Spark) are accepted too and cast to the same catalogue types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import FlowLogError
from .fields import ADDRESS_COLUMNS, FIELDS, arrow_type

if TYPE_CHECKING:
    import pyarrow as pa

    from .paths import SourceFile
    from .reader import FlowLogStats

_ADDRESS_RE = r"^[0-9A-Fa-f:.]{2,45}$"  # IPv4, IPv6 (incl. mapped); '-' is null

#: called for a row that is not read: (file, row number from 1, reason, text shown)
OnBad = Callable[[str, int, str, str], None]


def parquet_tables(src: SourceFile, raw_stream: Any, head: bytes, stats: FlowLogStats,
                   on_bad: OnBad) -> Iterator[pa.Table]:
    """The canonical tables of one Parquet file, one per 65,536 rows; ``head`` is the bytes
    already read from ``raw_stream`` (the ``PAR1`` magic)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if src.seekable_opener is not None:
        handle: Any = src.seekable_opener()
    elif src.path != "-":
        handle = src.path
    else:
        handle = pa.BufferReader(head + raw_stream.read())
    try:
        pf = pq.ParquetFile(handle)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FlowLogError(f"{src.path}: not a readable Parquet file: {exc}") from exc
    if src.size:
        stats.bytes_read += src.size
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=65536):
            table = pa.Table.from_batches([batch])
            table = canonical_table(table, src.path, row, on_bad)
            row += batch.num_rows
            yield table
    except (pa.ArrowInvalid, OSError) as exc:
        raise FlowLogError(f"{src.path}: corrupt Parquet data after row {row}: {exc}") from exc


def canonical_table(table: pa.Table, path: str, first_row: int, on_bad: OnBad) -> pa.Table:
    """Rename columns to canonical names, cast to the catalogue's types, drop (and report)
    rows whose addresses are not addresses."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = [n.replace("-", "_").lower() for n in table.column_names]
    table = table.rename_columns(names)
    by_column = {f.column: f for f in FIELDS.values()}
    for i, name in enumerate(names):
        f = by_column.get(name)
        if f is None:
            continue
        col = table.column(i)
        target = arrow_type(f.kind)
        if f.kind == "timestamp" and not pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64()).cast(target)
        elif col.type != target:
            col = col.cast(target)
        table = table.set_column(i, name, col)
    bad = None
    for name in names:
        if name in ADDRESS_COLUMNS:
            col = table.column(name)
            if not pa.types.is_string(col.type):
                continue
            ok = pc.or_kleene(pc.is_null(col), pc.match_substring_regex(col, _ADDRESS_RE))
            nok = pc.invert(ok)
            bad = nok if bad is None else pc.or_(bad, nok)
    if bad is not None and pc.any(bad).as_py():
        idx = pc.indices_nonzero(bad).to_pylist()
        for j in idx:
            row = {n: table.column(n)[j].as_py() for n in names if n in ADDRESS_COLUMNS}
            on_bad(path, first_row + j + 1, f"invalid address in row: {row}", str(row))
        table = table.filter(pc.invert(bad))
    return table


__all__ = ["OnBad", "canonical_table", "parquet_tables"]
