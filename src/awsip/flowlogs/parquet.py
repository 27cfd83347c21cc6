"""Flow logs delivered to S3 as Parquet: columns renamed and typed like the text reader's.

AWS writes Parquet flow logs with the field names and the types of the "Flow log records"
page's "Available fields" table (INT_32, INT_64, STRING); files written by others (pandas,
Spark) are accepted too and turned into the same catalogue types. The rules:

- Columns: a name is matched to the catalogue with ``-`` → ``_`` and case ignored
  (``SrcAddr`` is ``srcaddr``). Two columns for one catalogue field, or a catalogue field of a
  nested type (list, struct, map, union) or of a type that cannot hold its values (bool, date,
  binary for a number ...), is a :class:`FlowLogError` naming the file and the columns: the
  file does not say which column to trust. Nested columns that are not catalogue fields and
  pandas index columns (``__index_level_0__``) are left out and listed in
  ``stats.ignored_columns``; other columns are kept as they are (a second column of the same
  name is left out and listed; a row whose text there is not UTF-8, which Parquet readers do
  not check, is skipped).
- Values, row by row, by :mod:`awsip.flowlogs.values`: a number is a non-negative integer of
  the field's range, given as an integer, a float that is a whole number (pandas writes
  integers with nulls as float64; NaN is null), a decimal, or text of decimal digits; text in
  :data:`~awsip.flowlogs.values.NULL_TEXT` (``-``, empty, ``None``, ``null``, ``NaN`` ...) is
  null in numeric, time and address columns, and ``-`` is null in every catalogue column (as
  in text logs). ``start``/``end`` given as numbers are seconds, or milliseconds from 10**11;
  typed as timestamps they are turned into seconds and must lie in 1970-9999. A text field
  given as integers is their decimal text (account IDs zero-padded to 12 digits, as pandas
  drops the leading zeros); given as bytes it must be UTF-8. An address column must hold
  IPv4/IPv6 addresses (:func:`awsip.addr.columns.invalid_addresses`, the rule of
  ``awsip.classify``). A row with a value that breaks a rule is skipped and reported with its row
  number (``on_bad``); the others are read.
- Any error reading the file (unreadable schema, corrupt page) is a :class:`FlowLogError`
  naming the file and the row group; the rows of the row groups before it have been produced.
  A file without rows is no records.
- Counts: each row is one of ``stats.lines``; times read as milliseconds (of the rows kept)
  are counted in ``stats.millisecond_times``, as the text reader counts them.

All of it is vectorised (Arrow compute); Python loops only over the rows skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import FlowLogError
from .fields import ADDRESS_COLUMNS, BY_COLUMN, Field, arrow_type
from .ocsf import OcsfLayout, is_ocsf
from .ocsf import layout as ocsf_layout
from .values import (
    INT_MAX,
    LAST_SECOND,
    MILLISECONDS_FROM,
    NULL_TEXT,
    bad_times,
    number_problem,
    numbers_from_text,
    seconds,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from .paths import SourceFile
    from .reader import FlowLogStats

_INDEX_COLUMN = re.compile(r"__index_level_\d+__")
_ACCOUNT_COLUMNS = frozenset({"account_id", "tgw_src_vpc_account_id", "tgw_dst_vpc_account_id"})
_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, TypeError, KeyError,
                                                 IndexError, NotImplementedError, EOFError)
_UNIT_DIVISOR = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}

#: called for a row that is not read: (file, row number from 1, reason, text shown)
OnBad = Callable[[str, int, str, str], None]


@dataclass(frozen=True)
class _Column:
    """One column of the file that is produced: where it is and what it becomes."""

    index: int  # position among the file's top-level columns
    name: str  # as in the file
    column: str  # as produced
    field: Field | None  # the catalogue field, or None for a column kept as it is


@dataclass
class _Plan:
    """What to do with a file's columns, decided once from its schema."""

    columns: list[_Column] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    read: list[str] | None = None  # the names to ask pyarrow for; None: every column


def parquet_tables(src: SourceFile, raw_stream: Any, head: bytes, stats: FlowLogStats,
                   on_bad: OnBad) -> Iterator[pa.Table]:
    """The canonical tables of one Parquet file, one per 65,536 rows at most; ``head`` is the
    bytes already read from ``raw_stream`` (the ``PAR1`` magic)."""
    import pyarrow as pa

    pf = _open(src, raw_stream, head)
    if src.size:
        stats.bytes_read += src.size
    try:
        schema, groups = pf.schema_arrow, pf.metadata.num_row_groups
    except (pa.ArrowException, *_READ_ERRORS) as exc:
        raise FlowLogError(f"{src.path}: the Parquet schema cannot be read: {exc}") from exc
    if is_ocsf(schema):  # Security Lake: OCSF Network Activity (see ocsf.py)
        yield from _ocsf_tables(pf, groups, src.path, stats, on_bad)
        return
    plan = _plan(schema, src.path)
    _note_ignored(stats, plan.ignored)
    row = 0
    for group in range(groups):
        for batch in _batches(pf, group, plan, src.path, row):
            stats.lines += batch.num_rows  # a row is a line: records + skipped
            yield canonical_batch(batch, plan, src.path, row, on_bad, stats)
            row += batch.num_rows


def _note_ignored(stats: FlowLogStats, ignored: list[str]) -> None:
    stats.ignored_columns.extend(c for c in ignored if c not in stats.ignored_columns)


def _ocsf_tables(pf: Any, groups: int, path: str, stats: FlowLogStats,
                 on_bad: OnBad) -> Iterator[pa.Table]:
    """The canonical tables of an OCSF file: each batch flattened onto catalogue columns by
    :mod:`.ocsf`, then converted like any Parquet delivery (rows of another class skipped)."""
    import pyarrow as pa

    shape = ocsf_layout(pf.schema_arrow, path)
    if shape.has_unmapped_map:
        _learn_unmapped_keys(pf, shape, path)
    plan: _Plan | None = None
    row = 0
    for group in range(groups):
        for raw in _batches(pf, group, _Plan(read=shape.read), path, row):
            try:
                raw.validate()
                flat, checks = shape.flatten(raw)
                if plan is None or [c.name for c in plan.columns] != flat.schema.names:
                    plan = _plan(flat.schema, path)
                _validate(flat, plan)
            except (pa.ArrowException, *_READ_ERRORS) as exc:
                raise FlowLogError(f"{path}: Parquet row group {group} cannot be read as OCSF "
                                   f"(the rows before row {row + 1} were read): {exc}") from exc
            _note_ignored(stats, shape.ignored)
            stats.lines += raw.num_rows
            yield canonical_batch(flat, plan, path, row, on_bad, stats, checks)
            row += raw.num_rows


def _learn_unmapped_keys(pf: Any, shape: OcsfLayout, path: str) -> None:
    """Show ``shape`` the keys of the whole ``unmapped`` column (one pass over that column
    only), so every batch of the file gets the same columns."""
    import pyarrow as pa

    try:
        for batch in pf.iter_batches(batch_size=65536, columns=["unmapped"]):
            shape.learn_keys(batch.column(0))
    except (pa.ArrowException, *_READ_ERRORS) as exc:
        raise FlowLogError(f"{path}: the OCSF column 'unmapped' cannot be read: {exc}") from exc


def _open(src: SourceFile, raw_stream: Any, head: bytes) -> Any:
    """The ``pyarrow.parquet.ParquetFile`` of ``src``; FlowLogError if it is not one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if src.seekable_opener is not None:
            handle: Any = src.seekable_opener()
        elif src.path != "-":
            handle = src.path
        else:
            handle = pa.BufferReader(head + raw_stream.read())
        return pq.ParquetFile(handle)
    except (pa.ArrowException, *_READ_ERRORS) as exc:
        raise FlowLogError(f"{src.path}: not a readable Parquet file: {exc}") from exc


def _batches(pf: Any, group: int, plan: _Plan, path: str, row: int) -> Iterator[pa.RecordBatch]:
    """The record batches of row group ``group``; FlowLogError naming it if it is corrupt."""
    import pyarrow as pa

    try:
        batches = iter(pf.iter_batches(batch_size=65536, row_groups=[group], columns=plan.read))
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            _validate(batch, plan)
            yield batch
            row += batch.num_rows
    except (pa.ArrowException, *_READ_ERRORS) as exc:
        raise FlowLogError(f"{path}: Parquet row group {group} cannot be read (the rows before "
                           f"row {row + 1} were read): {exc}") from exc


def _validate(batch: pa.RecordBatch, plan: _Plan) -> None:
    """Raise ArrowInvalid if a column that is used is not a sound array (a corrupt page can
    give dictionary indices out of range); text is checked as bytes, its UTF-8 is a matter
    of rows (:func:`_utf8_or_bytes`)."""
    for col in plan.columns:
        values = batch.column(col.name) if plan.read is not None else batch.column(col.index)
        if _is_text(values.type):
            values = values.view(_bytes_type(values.type))
        values.validate(full=True)


# ------------------------------------------------------------------ the columns


def _plan(schema: pa.Schema, path: str) -> _Plan:
    """Which columns are produced, as what; FlowLogError for the shapes no rule reads."""
    plan = _Plan()
    by_field: dict[str, str] = {}
    seen: set[str] = set()
    for i, f in enumerate(schema):
        column = f.name.replace("-", "_").lower()
        catalogued = BY_COLUMN.get(column)
        if catalogued is None:
            if _INDEX_COLUMN.fullmatch(f.name) or _is_nested(f.type) or column in seen:
                plan.ignored.append(f.name)
                continue
        else:
            if column in by_field:
                raise FlowLogError(
                    f"{path}: columns {by_field[column]!r} and {f.name!r} are both the field "
                    f"{catalogued.name}; keep one of them")
            by_field[column] = f.name
            _check_type(f, catalogued, path)
        seen.add(column)
        plan.columns.append(_Column(i, f.name, column, catalogued))
    names = [c.name for c in plan.columns]
    counts = Counter(schema.names)
    if plan.ignored and names and all(counts[n] == 1 and "." not in n for n in names):
        plan.read = names  # leave the ignored columns unread when they can be named apart
    return plan


def _value_type(t: pa.DataType) -> pa.DataType:
    """The type of the values behind dictionary, extension and run-end encodings."""
    import pyarrow as pa

    while True:
        if pa.types.is_dictionary(t):
            t = t.value_type
        elif isinstance(t, pa.ExtensionType):
            t = t.storage_type
        elif pa.types.is_run_end_encoded(t):
            t = t.value_type
        else:
            return t


def _type_is(t: pa.DataType, *checks: str) -> bool:
    """Whether any of the ``pyarrow.types`` checks named holds for ``t``; a check this
    pyarrow does not have (the view types came in pyarrow 16) does not."""
    import pyarrow as pa

    return any(getattr(pa.types, name, lambda _t: False)(t) for name in checks)


def _is_nested(t: pa.DataType) -> bool:
    return _type_is(_value_type(t), "is_nested", "is_list_view", "is_large_list_view")


def _is_text(t: pa.DataType) -> bool:
    return _type_is(t, "is_string", "is_large_string", "is_string_view")


def _is_bytes(t: pa.DataType) -> bool:
    return _type_is(t, "is_binary", "is_large_binary", "is_fixed_size_binary",
                    "is_binary_view")


def _check_type(f: pa.Field, catalogued: Field, path: str) -> None:
    """FlowLogError unless column ``f`` has a type that can hold the field's values."""
    import pyarrow as pa

    t = _value_type(f.type)
    number = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    ok = pa.types.is_null(t) or number or _is_text(t) or _is_bytes(t) or (
        catalogued.kind == "timestamp" and pa.types.is_timestamp(t))
    if ok:
        return
    needs = {"string": "text or numbers", "int32": "integers or text of digits",
             "int64": "integers or text of digits",
             "timestamp": "Unix seconds (integers or text of digits) or timestamps"}
    shape = "a nested type" if _is_nested(t) else "type"
    raise FlowLogError(f"{path}: column {f.name!r} has {shape} {f.type}; the field "
                       f"{catalogued.name} needs {needs[catalogued.kind]}")


# ------------------------------------------------------------------ the values


def canonical_batch(batch: pa.RecordBatch, plan: _Plan, path: str, first_row: int,
                    on_bad: OnBad, stats: FlowLogStats,
                    first_checks: list[tuple[pa.Array, pa.Array, _Why]] | None = None
                    ) -> pa.Table:
    """``batch`` with the plan's columns renamed and converted; the rows holding a value that
    breaks a rule (or one of ``first_checks``: mask, values shown, why) are reported (row
    numbers count from ``first_row + 1``) and left out; the millisecond times of the rows kept
    are counted in ``stats``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import bool_scalar, from_numpy

    by_name = plan.read is not None
    arrays, millis = [], []
    checks = list(first_checks or [])
    for col in plan.columns:
        raw = batch.column(col.name) if by_name else batch.column(col.index)
        if col.field is None:
            values, raw, bad, why = _kept(raw, col.column)
        else:
            raw = _utf8_or_bytes(_decoded(raw))
            values, bad, why, ms = _convert(raw, col.field)
            millis += [] if ms is None else [ms]
        arrays.append(values)
        if bad is not None:
            checks.append((pc.fill_null(bad, bool_scalar(False)), raw, why))
    table = pa.Table.from_arrays(arrays, names=[c.column for c in plan.columns]) if arrays \
        else pa.Table.from_batches([batch.select([])])  # no column: the rows still are
    bad_rows = from_numpy(np.zeros(batch.num_rows, dtype=bool)) if not checks else checks[0][0]
    for bad, _, _ in checks[1:]:
        bad_rows = pc.or_(bad_rows, bad)
    for ms in millis:
        stats.millisecond_times += int(pc.sum(pc.and_(ms, pc.invert(bad_rows))).as_py() or 0)
    if not pc.any(bad_rows).as_py():
        return table
    _report(bad_rows, checks, path, first_row, on_bad)
    return table.filter(pc.invert(bad_rows))


#: why a value is bad, from the value as the file holds it
_Why = Callable[[Any], str]


def _utf8_or_bytes(values: pa.Array) -> pa.Array:
    """A text array whose bytes are not all UTF-8 (a corrupt page: Parquet readers do not
    check) seen as the binary array it is; any other array as it is."""
    import pyarrow as pa

    if not _is_text(values.type):
        return values
    try:
        values.validate(full=True)
    except pa.ArrowInvalid:
        return values.view(_bytes_type(values.type))
    return values


def _bytes_type(text_type: pa.DataType) -> pa.DataType:
    """The binary type laid out like the text type ``text_type``."""
    import pyarrow as pa

    if pa.types.is_string(text_type):
        return pa.binary()
    if pa.types.is_large_string(text_type):
        return pa.large_binary()
    return pa.binary_view()  # string_view (pyarrow >= 16)


def _kept(raw: pa.Array, column: str) -> tuple[pa.Array, pa.Array, pa.Array | None, _Why]:
    """A column that is not a catalogue field, as it is, but for text that is not UTF-8 (see
    :func:`_utf8_or_bytes`): those values are bad. Returns the values, the values to show,
    the mask of the bad ones and why they are bad."""
    import pyarrow as pa

    def why(value: Any) -> str:
        return f"{column} is not UTF-8 text: {_shown(value)}"

    checked = _utf8_or_bytes(raw)
    if checked is raw:
        return raw, raw, None, why
    bad = _not_utf8(checked.cast(pa.binary()))
    return _null_where(checked, bad).view(raw.type), checked, bad, why


def _convert(values: pa.Array, f: Field
             ) -> tuple[pa.Array, pa.Array | None, _Why, pa.Array | None]:
    """``values`` (decoded) as the catalogue type of ``f``, the mask of its bad values (None:
    none can be bad), how to say why one is bad, and the mask of the times read as
    milliseconds (None: not a time column of numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import bool_scalar, int_scalar

    column = f.column
    if f.kind == "string":
        return (*_to_text(values, column), None)
    if f.kind == "timestamp" and pa.types.is_timestamp(values.type):
        return (*_from_timestamps(values, column), None)
    ints, bad = _to_ints(values, f)
    if f.kind != "timestamp":
        return ints.cast(arrow_type(f.kind)), bad, _number_why(f), None
    not_time = _or(bad, bad_times(ints))
    ints = _null_where(ints, not_time)
    millis = pc.fill_null(pc.greater_equal(ints, int_scalar(MILLISECONDS_FROM)),
                          bool_scalar(False))
    return seconds(ints).cast(arrow_type("timestamp")), not_time, _number_why(f), millis


def _decoded(raw: pa.Array) -> pa.Array:
    """``raw`` without dictionary, extension or run-end encoding."""
    import pyarrow as pa
    import pyarrow.compute as pc

    while True:
        if pa.types.is_dictionary(raw.type):
            raw = raw.dictionary_decode()
        elif isinstance(raw.type, pa.ExtensionType):
            raw = raw.storage
        elif pa.types.is_run_end_encoded(raw.type):
            raw = pc.run_end_decode(raw)
        else:
            return raw


def _to_ints(values: pa.Array, f: Field) -> tuple[pa.Array, pa.Array | None]:
    """A numeric column's values as int64 (null where bad) and the mask of the bad ones."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import int_scalar

    t = values.type
    top = INT_MAX[f.kind]
    if pa.types.is_null(t):
        return values.cast(pa.int64()), None
    if pa.types.is_integer(t):
        signed = pa.types.is_signed_integer(t)
        bad = pc.less(values, int_scalar(0, t)) if signed else None
        if 2 ** (t.bit_width - signed) - 1 > top:  # the type holds more than the field
            bad = _or(bad, pc.greater(values, int_scalar(top, t)))
        return _null_where(values, bad).cast(pa.int64()), bad
    if pa.types.is_floating(t):
        x = values.cast(pa.float64())
        x = _null_where(x, pc.is_nan(x))  # pandas' missing value
        whole = pc.and_(pc.equal(pc.floor(x), x), pc.less(x, pa.scalar(float(top + 1))))
        bad = pc.invert(pc.and_(whole, pc.greater_equal(x, pa.scalar(0.0))))
        return pc.cast(_null_where(x, bad), pa.int64(), safe=False), bad
    if pa.types.is_decimal(t):
        text = pc.replace_substring_regex(values.cast(pa.string()), r"\.0*$", "")
        return numbers_from_text(text, f.kind)
    if _is_text(t):
        return numbers_from_text(values.cast(pa.string()), f.kind)
    as_bytes = values.cast(pa.binary())
    not_utf8 = _not_utf8(as_bytes)
    ints, bad = numbers_from_text(_null_where(as_bytes, not_utf8).cast(pa.string()), f.kind)
    return ints, _or(bad, not_utf8)


def _from_timestamps(values: pa.Array, column: str) -> tuple[pa.Array, pa.Array, _Why]:
    """A timestamp column as ``timestamp[s, UTC]`` (floor); outside 1970-9999 is bad."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import int_scalar

    unit = values.type.unit
    raw = values.cast(pa.int64())
    secs = pc.divide(raw, int_scalar(_UNIT_DIVISOR[unit]))
    bad = pc.or_(pc.less(raw, int_scalar(0)), pc.greater(secs, int_scalar(LAST_SECOND)))

    def why(value: Any) -> str:
        return f"{column} is not a time from 1970 to the year 9999: {value} {unit} since 1970"

    return _null_where(secs, bad).cast(arrow_type("timestamp")), bad, why


def _to_text(values: pa.Array, column: str) -> tuple[pa.Array, pa.Array | None, _Why]:
    """A text column as ``string``: ``-`` null, bytes that are not UTF-8 bad; an address
    column also has the :data:`NULL_TEXT` spellings null and must look like an address."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..arrowutil import from_numpy, string_array, string_scalar

    t = values.type
    bad: pa.Array | None = None
    why = f"{column} is not UTF-8 text"
    if _is_bytes(t):
        bad = _not_utf8(values.cast(pa.binary()))
        text = _null_where(values.cast(pa.binary()), bad).cast(pa.string())
    elif pa.types.is_floating(t):
        text = _float_text(values.cast(pa.float64()))
    else:
        text = values.cast(pa.string())
    if column in _ACCOUNT_COLUMNS and (pa.types.is_integer(t) or pa.types.is_floating(t)):
        short = pc.match_substring_regex(text, "^[0-9]{1,11}$")
        text = pc.if_else(short, pc.utf8_lpad(text, width=12, padding="0"), text)
    if column not in ADDRESS_COLUMNS:
        text = _null_where(text, pc.equal(text, string_scalar("-")))
        return text, bad, lambda value: f"{why}: {_shown(value)}"
    from ..addr.columns import invalid_addresses  # the one address rule (awsip.classify's)

    not_address = from_numpy(invalid_addresses(text))
    if pc.any(not_address).as_py():  # only then can a null spelling be among them
        null = pc.is_in(pc.utf8_lower(text), value_set=string_array(list(NULL_TEXT)))
        text = _null_where(text, null)
        bad = _or(bad, pc.and_(not_address, pc.invert(null)))
    why = f"{column} is not an IP address"
    return text, bad, lambda value: f"{why}: {_shown(value)}"


def _float_text(values: pa.Array) -> pa.Array:
    """Floats as text: whole ones as integers (``443``, not ``443.0``), NaN null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pc.fill_null(pc.and_(pc.equal(pc.floor(values), values),
                                 pc.less(pc.abs(values), pa.scalar(2.0**63))), False)
    ints = pc.cast(_null_where(values, pc.invert(whole)), pa.int64(), safe=False)
    text = pc.if_else(whole, ints.cast(pa.string()), values.cast(pa.string()))
    return _null_where(text, pc.is_nan(values))


def _not_utf8(values: pa.Array) -> pa.Array:
    """The mask of the values of a binary array that are not UTF-8: found by halving the
    array around the failures, so the work beyond one check is per bad value."""
    import numpy as np
    import pyarrow as pa

    bad = np.zeros(len(values), dtype=bool)
    pending = [(0, len(values))]
    while pending:
        start, stop = pending.pop()
        try:
            values.slice(start, stop - start).cast(pa.string())
        except pa.ArrowInvalid:
            if stop - start == 1:
                bad[start] = True
            else:
                mid = (start + stop) // 2
                pending += [(mid, stop), (start, mid)]
    return pa.array(bad)


def _or(a: pa.Array | None, b: pa.Array) -> pa.Array:
    """``a`` or ``b``, null read as false (``a`` None: none)."""
    import pyarrow.compute as pc

    from ..arrowutil import bool_scalar

    no = bool_scalar(False)
    b = pc.fill_null(b, no)
    return b if a is None else pc.or_(pc.fill_null(a, no), b)


def _null_where(values: pa.Array, mask: pa.Array | None) -> pa.Array:
    """``values`` with null where ``mask`` is true."""
    import pyarrow.compute as pc

    from ..arrowutil import bool_scalar, null_scalar

    if mask is None or not pc.any(mask).as_py():
        return values
    return pc.if_else(pc.fill_null(mask, bool_scalar(False)), null_scalar(values.type), values)


def _number_why(f: Field) -> _Why:
    def why(value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        token = (value if isinstance(value, bytes) else str(value).encode("utf-8", "replace"))
        return number_problem(token, f.kind, f.column) or \
            f"{f.column} is not a number: {_shown(value)}"

    return why


def _shown(value: Any) -> str:
    return repr(value)[:60]


def _report(bad_rows: pa.Array, checks: list[tuple[pa.Array, pa.Array, _Why]], path: str,
            first_row: int, on_bad: OnBad) -> None:
    """``on_bad`` for each bad row, in row order, with the first rule it breaks."""
    import numpy as np

    from ..arrowutil import numpy_bools

    rows = np.flatnonzero(numpy_bools(bad_rows))
    reasons: list[tuple[str, str] | None] = [None] * len(rows)
    for bad, raw, why in checks:
        here = numpy_bools(bad.filter(bad_rows))
        if not here.any():
            continue
        shown = _raw_values(raw.filter(bad_rows))
        for k in np.flatnonzero(here):
            if reasons[k] is None:
                reasons[k] = (why(shown[k]), _shown(shown[k]))
    for n, j in enumerate(rows):
        reason, value = reasons[n] or ("a value breaks a rule", "")
        on_bad(path, first_row + int(j) + 1, reason, value)


def _raw_values(raw: pa.Array) -> list[Any]:
    """The values of ``raw`` as Python objects (timestamps as their integers: one past the
    year 9999 is not a ``datetime``)."""
    import pyarrow as pa

    values = _decoded(raw)
    if pa.types.is_timestamp(values.type):
        values = values.cast(pa.int64())
    return list(values.to_pylist())


__all__ = ["OnBad", "canonical_batch", "parquet_tables"]
