"""Writing Arrow tables and streams of batches to files by format: CSV, JSON Lines, Parquet.

:func:`write_batches` is the one writer behind ``awsip classify -o`` (addresses or flow logs)
and :func:`write_table`; :func:`format_for` picks the format from a file's suffix. Dictionary
columns are written as plain values; JSON Lines rows are built column-wise with Arrow compute
(:func:`jsonl_lines`), else through :func:`awsip.encoding.jsonable`, so times read the same as
in every other JSON awsip writes.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..encoding import jsonable
from ..errors import FlowLogError, UsageError
from ..fileio import atomic_file

if TYPE_CHECKING:
    import pyarrow

#: Table formats and the suffixes that name them.
TABLE_FORMATS = ("csv", "jsonl", "parquet")
TABLE_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
                  ".parquet": "parquet", ".pq": "parquet"}


def format_for(path: str | None, suffixes: Mapping[str, str], default: str,
               given: str | None = None) -> str:
    """``given`` if set, else the format ``path``'s suffix names, else ``default``."""
    if given:
        return given
    if path:
        return suffixes.get(Path(path).suffix.lower(), default)
    return default


def save(data: pyarrow.Table | Iterable[pyarrow.RecordBatch], path: str | os.PathLike[str],
         output_format: str | None = None) -> int:
    """Write a Table or a stream of RecordBatches to ``path`` in ``output_format`` (default:
    from the suffix: .csv, .jsonl/.ndjson/.json, .parquet/.pq), atomically: an existing file is
    replaced only when the whole output is written. Returns the rows written."""
    import pyarrow as pa

    fmt = format_for(os.fspath(path), TABLE_SUFFIXES, "", output_format)
    if fmt not in TABLE_FORMATS:
        raise UsageError(f"cannot tell the format of {os.fspath(path)!r} from its suffix; name "
                         f"one of {', '.join(TABLE_FORMATS)}")
    with atomic_file(path) as fh:
        if isinstance(data, pa.Table):
            return write_table(data, fmt, fh)
        return write_batches(data, fmt, fh)


def write_table(table: pyarrow.Table, fmt: str, fh: IO[bytes]) -> int:
    """Write a table as CSV (dictionary columns as text), JSON Lines or Parquet (dictionary
    columns kept); rows written."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, fh)
        return int(table.num_rows)
    return write_batches(table.to_batches(max_chunksize=65536), fmt, fh, table.schema)


def write_batches(batches: Iterable[pyarrow.RecordBatch], fmt: str, fh: IO[bytes],
                  empty_schema: pyarrow.Schema | None = None) -> int:
    """Stream RecordBatches to ``fh`` as Parquet (a row group per batch), CSV or JSON Lines
    (dictionary columns written as plain strings); the rows written. Every batch is made to
    fit the first one's schema (a column it lacks is null); a batch with columns the first
    lacks (files of different formats) raises FlowLogError. Without batches, ``empty_schema``
    gives Parquet/CSV their columns."""
    import pyarrow as pa

    writer: Any = None
    schema: pa.Schema | None = None
    rows = 0

    def open_writer(first: pa.Schema) -> Any:
        if fmt == "parquet":  # plain strings: Parquet dictionary-encodes only used values
            import pyarrow.parquet as pq

            return pq.ParquetWriter(fh, _plain_schema(first))
        if fmt == "csv":
            import pyarrow.csv as pcsv

            return pcsv.CSVWriter(fh, _plain_schema(first))
        return None

    try:
        for batch in batches:
            if schema is None:
                schema = batch.schema.remove_metadata()
                writer = open_writer(schema)
            batch = _conform(batch, schema)
            rows += batch.num_rows
            if fmt in ("parquet", "csv"):
                writer.write_batch(_plain(batch))
            else:
                _write_jsonl(_plain(batch), fh)
    except BaseException:
        if writer is not None:  # while fh is open; the caller discards what was written
            with contextlib.suppress(Exception):
                writer.close()
        raise
    if schema is None and empty_schema is not None and fmt != "jsonl":
        writer = open_writer(empty_schema)
    if writer is not None:
        writer.close()
    return rows


def _plain_schema(schema: pyarrow.Schema) -> pyarrow.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type)
                      else f for f in schema])


def _plain(batch: pyarrow.RecordBatch) -> pyarrow.RecordBatch:
    """Dictionary columns decoded (CSV and JSON want plain values)."""
    import pyarrow as pa

    return pa.RecordBatch.from_arrays(
        [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
         for c in batch.columns], names=batch.schema.names)


def _conform(batch: pyarrow.RecordBatch, schema: pyarrow.Schema) -> pyarrow.RecordBatch:
    import pyarrow as pa

    if batch.schema.equals(schema, check_metadata=False):
        return batch
    extra = [n for n in batch.schema.names if n not in schema.names]
    if extra:
        where = (batch.schema.metadata or {}).get(b"awsip.file", b"").decode() or "a file"
        raise FlowLogError(
            f"{where} has fields the first file lacks ({', '.join(extra)}); flow logs of "
            "different formats go to separate outputs")
    columns = []
    for f in schema:
        if f.name in batch.schema.names:
            col = batch.column(f.name)
            columns.append(col if col.type == f.type else col.cast(f.type))
        else:
            columns.append(pa.nulls(batch.num_rows, f.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _write_jsonl(batch: pyarrow.RecordBatch, fh: IO[bytes]) -> None:
    fast = jsonl_lines(batch)
    if fast is not None:
        lines = fast.to_pylist()
    else:
        lines = [json.dumps(jsonable(row), separators=(",", ":"), default=str)
                 for row in batch.to_pylist()]
    if lines:
        fh.write(("\n".join(lines) + "\n").encode())


def jsonl_lines(batch: pyarrow.RecordBatch) -> pyarrow.Array | None:
    """The JSON text of each row, built column-wise with Arrow compute (about 10x faster than
    ``json.dumps`` per row); the same text as :func:`json.dumps` with compact separators. None
    when a column needs what only json.dumps does well (escaped characters, floats, other
    types): the caller then falls back to it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces: list[Any] = []
    for i, (name, col) in enumerate(zip(batch.schema.names, batch.columns, strict=True)):
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            if len(col) and pc.any(pc.match_substring_regex(
                    col, r'[\x00-\x1f"\\\x7f-\x{10ffff}]')).as_py():
                return None
            text = pc.binary_join_element_wise('"', col, '"', "")
        elif pa.types.is_integer(t) or pa.types.is_boolean(t):
            text = col.cast(pa.string())
        elif pa.types.is_timestamp(t) and t.unit == "s" and t.tz in ("UTC", "+00:00"):
            text = pc.strftime(col, format='"%Y-%m-%dT%H:%M:%SZ"')
        else:
            return None
        if not name.isidentifier():
            return None  # keys are written unescaped
        pieces += [("{" if i == 0 else ",") + f'"{name}":', pc.fill_null(text, "null")]
    if not pieces:
        return None
    pieces.append("}")
    result: pa.Array = pc.binary_join_element_wise(*pieces, "")
    return result


__all__ = ["TABLE_FORMATS", "TABLE_SUFFIXES", "format_for", "jsonl_lines", "save",
           "write_batches", "write_table"]
