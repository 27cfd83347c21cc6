"""Logs Insights and Parquet inputs of any shape: read, or a FlowLogError saying where and what.

Regression tests for the shapes fuzzing found (each crashed or misread before), then hypothesis
tests feeding random JSON documents and random Arrow schemas through ``read_flow_logs``.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awsip
from awsip.addr import parse_address
from awsip.errors import FlowLogError, InvalidAddressError
from flowlog_factory import T0, line, record, write

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def read(path: Path, **kw: Any) -> tuple[pa.Table, awsip.FlowLogStats]:
    reader = awsip.read_flow_logs(path, progress=False, **kw)
    return reader.read_all(), reader.stats


def parquet(path: Path, columns: dict[str, Any], **kw: Any) -> Path:
    """Write ``columns`` (name → pyarrow array, duplicates allowed as ``name#2``) to Parquet."""
    names = [n.split("#")[0] for n in columns]
    pq.write_table(pa.Table.from_arrays(list(columns.values()), names=names), path, **kw)
    return path


def addresses(n: int) -> dict[str, Any]:
    return {"srcaddr": pa.array([f"10.0.0.{i % 250}" for i in range(n)]),
            "dstaddr": pa.array(["52.216.58.42"] * n)}


# ---------------------------------------------------------------- Insights JSON


@pytest.mark.parametrize(("doc", "place"), [
    ({"results": [[{"value": 1}]]}, "results[0][0] has no 'field'"),
    ({"results": [[{"field": "srcAddr", "value": "10.0.0.1"}], [{"value": 1}]]},
     "results[1][0] has no 'field'"),
    ({"results": [1, 2]}, "results[0] is a number; expected a list"),
    ({"results": "x"}, "results is a string; expected a list of rows"),
    ({"results": [[1, 2]]}, "results[0][0] is a number"),
    ({"results": [["srcAddr"]]}, "results[0][0] is a string"),
    ({"results": [[{"field": 5, "value": "10.0.0.1"}]]}, "results[0][0].field is a number"),
    ({"results": [[{"field": "srcAddr", "value": "10.0.0.1"},
                   {"field": "srcAddr", "value": "10.0.0.2"}]]}, "results[0] has the field"),
    ({"results": [[{"field": "srcAddr", "value": {"ip": "10.0.0.1"}}]]},
     "results[0][0].value (column 'srcAddr') is an object or a list"),
    ([{"srcAddr": "10.0.0.1"}, {"srcAddr": ["10.0.0.2"]}],
     "[1]['srcAddr'] (column 'srcAddr') is an object or a list"),
    ([{"srcAddr": "10.0.0.1"}, 7], "[1] is a number; expected an object"),
    ([{"srcAddr": "10.0.0.1"}, [{"field": "srcAddr", "value": "10.0.0.1"}]],
     "[1] is a list; expected an object"),
    ([{"@message": {"version": 2}}], "[0]['@message'] (column '@message') is an object"),
])
def test_insights_json_of_an_unexpected_shape_is_an_error_naming_file_and_place(
        tmp_path: Path, doc: Any, place: str) -> None:
    path = write(tmp_path / "q.json", json.dumps(doc).encode(), gz=False)
    with pytest.raises(FlowLogError) as err:
        read(path)
    assert str(err.value).startswith(f"{path}: ")
    assert place in str(err.value)


def test_insights_json_nested_too_deeply_is_an_error_not_a_recursion_error(
        tmp_path: Path) -> None:
    path = write(tmp_path / "deep.json", b"[" * 100_000 + b"]" * 100_000, gz=False)
    with pytest.raises(FlowLogError, match="nested too deeply"):
        read(path)


def test_insights_results_list_alone_is_read_as_get_query_results(tmp_path: Path) -> None:
    rows = [[{"field": "srcAddr", "value": "10.0.0.1"}, {"field": "sum(bytes)", "value": "7"}],
            [{"field": "srcAddr", "value": "10.0.0.2"}, {"field": "sum(bytes)", "value": "8"},
             {"field": "@log", "value": {"group": ["/aws/vpc", 1]}}]]  # not read: any value
    table, stats = read(write(tmp_path / "r.json", json.dumps(rows).encode(), gz=False))
    assert table.to_pylist() == [{"srcaddr": "10.0.0.1", "bytes": 7},
                                 {"srcaddr": "10.0.0.2", "bytes": 8}]
    assert stats.ignored_columns == ["@log"]


@pytest.mark.parametrize("doc", [[], {"results": [], "status": "Complete"}])
def test_insights_json_without_results_is_no_records(tmp_path: Path, doc: Any) -> None:
    table, stats = read(write(tmp_path / "none.json", json.dumps(doc).encode(), gz=False))
    assert table.num_rows == 0 and stats.records == 0 and stats.skipped == 0


def test_insights_json_numbers_are_read_whole_floats_as_integers(tmp_path: Path) -> None:
    doc = [{"srcAddr": "10.0.0.1", "bytes": 1e16, "packets": 3, "dstPort": 443.0},
           {"srcAddr": "10.0.0.2", "bytes": 1.5, "packets": True, "dstPort": None}]
    table, stats = read(write(tmp_path / "n.json", json.dumps(doc).encode(), gz=False))
    assert table.to_pylist() == [{"srcaddr": "10.0.0.1", "bytes": 10**16, "packets": 3,
                                  "dstport": 443}]
    assert stats.skipped == 1


def test_insights_json_value_with_line_breaks_or_lone_surrogate_stays_one_row(
        tmp_path: Path) -> None:
    doc = [{"srcAddr": "10.0.0.1", "action": "ACC\nEPT"},
           {"srcAddr": "10.0.0.2", "dstPort": "44\r\n3"},
           {"srcAddr": "\ud800", "action": "ACCEPT"},
           {"srcAddr": "10.0.0.4", "action": "tab\there"}]
    data = json.dumps(doc).encode()  # ASCII with \\ud800 escaped: valid JSON
    table, stats = read(write(tmp_path / "b.json", data, gz=False))
    assert stats.records + stats.skipped == len(doc)
    assert table.column("srcaddr").to_pylist() == ["10.0.0.1", "10.0.0.4"]
    assert table.column("action").to_pylist() == ["ACC_EPT", "tab_here"]


# ---------------------------------------------------------------- Insights CSV


def test_insights_csv_with_cr_line_ends_is_read(tmp_path: Path) -> None:
    data = b"srcAddr,dstAddr,bytes\r10.0.0.1,52.216.58.42,5\r10.0.0.2,3.5.16.209,6\r"
    table, _ = read(write(tmp_path / "cr.csv", data, gz=False))
    assert table.column("bytes").to_pylist() == [5, 6]


def test_insights_csv_with_a_bare_cr_in_a_value_does_not_crash(tmp_path: Path) -> None:
    data = (b"srcAddr,dstAddr,action\n10.0.0.1,52.216.58.42,ACCEPT\n"
            b'10.0.0.2,3.5.16.209,"AC\rCEPT"\n10.0.0.3,3.5.16.209,RE\rJECT\n')
    table, stats = read(write(tmp_path / "cr.csv", data, gz=False))
    assert table.column("srcaddr").to_pylist()[:2] == ["10.0.0.1", "10.0.0.2"]
    assert table.column("action").to_pylist()[1] == "AC_CEPT"
    assert stats.records + stats.skipped == 4  # the unquoted CR ends a row: "JECT" is one


def test_insights_csv_message_with_quoted_commas_and_newlines_crlf(tmp_path: Path) -> None:
    broken = line(record(bytes=32)).replace(" 443 ", " 443\r\n")
    data = ("@timestamp,@message\r\n"
            f'"2026-03-27 01:38:05.000","{line(record(bytes=31))}\r\n"\r\n'
            f'"2026-03-27 01:38:06.000","{line(record(bytes=33, action="ACCEPT,x"))}"\r\n'
            f'"2026-03-27 01:38:07.000","{broken}"\r\n').encode()
    table, stats = read(write(tmp_path / "m.csv", data, gz=False))
    assert table.column("bytes").to_pylist()[:2] == [31, 33]
    assert table.column("action").to_pylist()[:2] == ["ACCEPT", "ACCEPT,x"]
    # the record with a line break inside is one line (read or skipped by the line rule)
    assert stats.records + stats.skipped == 3


def test_insights_csv_row_longer_than_the_header_is_an_error_naming_the_line(
        tmp_path: Path) -> None:
    data = b"srcAddr,dstAddr\n10.0.0.1,52.216.58.42\n10.0.0.2,3.5.16.209,extra\n"
    with pytest.raises(FlowLogError, match=r"long\.csv, line 3: 3 values, but the header"):
        read(write(tmp_path / "long.csv", data, gz=False))


def test_insights_csv_the_csv_module_rejects_is_an_error_naming_the_line(
        tmp_path: Path) -> None:
    data = b"srcAddr,dstAddr\n10.0.0.1,52.216.58.42\n10.0.0.2,\"" + b"x" * 200_000 + b"\"\n"
    with pytest.raises(FlowLogError, match=r"big\.csv, line 3: not valid CSV: field larger"):
        read(write(tmp_path / "big.csv", data, gz=False))


# ---------------------------------------------------------------- Parquet columns


def test_parquet_nested_columns_that_are_not_fields_are_left_out_and_listed(
        tmp_path: Path) -> None:
    path = parquet(tmp_path / "n.parquet", {
        **addresses(2), "bytes": pa.array([1, 2]), "tags": pa.array([[1, 2], []]),
        "meta": pa.array([{"a": 1}, {"a": 2}]),
        "attrs": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int64())),
        "note": pa.array(["x", "y"])})
    table, stats = read(path)
    assert table.column_names == ["srcaddr", "dstaddr", "bytes", "note"]
    assert table.column("bytes").to_pylist() == [1, 2]
    assert stats.ignored_columns == ["tags", "meta", "attrs"]


def test_parquet_pandas_index_column_is_left_out(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"srcaddr": ["10.0.0.1", "10.0.0.2"], "bytes": [1, 2]}, index=[7, 9])
    frame.to_parquet(tmp_path / "p.parquet")
    table, stats = read(tmp_path / "p.parquet")
    assert table.column_names == ["srcaddr", "bytes"]
    assert stats.ignored_columns == ["__index_level_0__"]


@pytest.mark.parametrize("column", [
    pa.array([[443], [80]]), pa.array([{"port": 443}, {"port": 80}]),
    pa.array([[("a", 1)], []], pa.map_(pa.string(), pa.int64()))])
def test_parquet_field_of_a_nested_type_is_an_error_naming_file_and_column(
        tmp_path: Path, column: pa.Array) -> None:
    path = parquet(tmp_path / "n.parquet", {**addresses(2), "srcPort": column})
    with pytest.raises(FlowLogError, match=r"n\.parquet: column 'srcPort' has a nested type"):
        read(path)


def test_parquet_field_of_a_type_that_cannot_hold_it_is_an_error(tmp_path: Path) -> None:
    path = parquet(tmp_path / "b.parquet", {**addresses(2), "bytes": pa.array([True, False])})
    with pytest.raises(FlowLogError, match="column 'bytes' has type bool; the field bytes needs"):
        read(path)


@pytest.mark.parametrize("second", ["SrcAddr", "srcaddr", "SRCADDR"])
def test_parquet_two_columns_for_one_field_is_an_error_naming_both(
        tmp_path: Path, second: str) -> None:
    path = parquet(tmp_path / "d.parquet", {"srcaddr": pa.array(["10.0.0.1"]),
                                            f"{second}#2": pa.array(["10.0.0.2"])})
    with pytest.raises(FlowLogError, match=f"columns 'srcaddr' and '{second}' are both the "
                                           "field srcaddr"):
        read(path)


def test_parquet_second_column_of_a_name_that_is_no_field_is_left_out(tmp_path: Path) -> None:
    path = parquet(tmp_path / "d.parquet", {**addresses(1), "note": pa.array(["first"]),
                                            "Note#2": pa.array(["second"])})
    table, stats = read(path)
    assert table.column("note").to_pylist() == ["first"]
    assert stats.ignored_columns == ["Note"]


# ---------------------------------------------------------------- Parquet values


def test_parquet_written_by_pandas_with_text_ports_skips_only_the_bad_rows(
        tmp_path: Path) -> None:
    import pandas as pd

    ports = ["443", "None", "80", "abc", "", "-", "NaN", "65536", "-5", "0443", "<NA>", "4.0"]
    sizes = ["10", "20", "abc", "40", "50", "60", "70", "80", "90", "1e3", "110", "120"]
    frame = pd.DataFrame({"srcaddr": [f"10.0.0.{i}" for i in range(len(ports))],
                          "dstport": ports, "bytes": sizes,
                          "start": [T0 + i for i in range(len(ports))]})
    frame.to_parquet(tmp_path / "pandas.parquet")
    table, stats = read(tmp_path / "pandas.parquet")
    # independently: a port is digits within the range or a null spelling; bytes digits
    nulls = {"none", "", "-", "nan", "<na>"}
    port_ok = [p.lower() in nulls or (p.isdigit() and int(p) <= 2**31 - 1) for p in ports]
    bytes_ok = [s.isdigit() for s in sizes]
    bad = [i + 1 for i in range(len(ports)) if not (port_ok[i] and bytes_ok[i])]
    assert bad == [3, 4, 9, 10, 12]  # bytes abc, port abc, port -5, bytes 1e3, port 4.0
    assert stats.skipped == len(bad) and stats.records == len(ports) - len(bad)
    assert [s.line for s in stats.skipped_lines] == bad
    assert [s.reason for s in stats.skipped_lines[:3]] == [
        "bytes is not a number: 'abc'", "dstport is not a number: 'abc'",
        "dstport is not a number: '-5'"]
    kept = [i for i in range(len(ports)) if i + 1 not in bad]
    assert table.column("dstport").to_pylist() == [
        None if ports[i].lower() in nulls else int(ports[i]) for i in kept]
    assert table.schema.field("dstport").type == pa.int32()


def test_parquet_whole_floats_are_integers_and_other_numbers_skip_the_row(
        tmp_path: Path) -> None:
    values = [443.0, float("nan"), None, 1.5, -1.0, 2.0**31, float("inf"), 0.0, 65535.0]
    path = parquet(tmp_path / "f.parquet", {**addresses(len(values)),
                                            "srcport": pa.array(values, pa.float64())})
    table, stats = read(path)
    ok = [v is None or math.isnan(v) or (v.is_integer() and 0 <= v < 2**31) for v in values]
    assert [s.line for s in stats.skipped_lines] == [i + 1 for i, g in enumerate(ok) if not g]
    assert table.column("srcport").to_pylist() == [443, None, None, 0, 65535]
    assert "srcport is not a number: '2147483648'" in [s.reason for s in stats.skipped_lines]


def test_parquet_integers_out_of_the_field_range_skip_the_row(tmp_path: Path) -> None:
    path = parquet(tmp_path / "i.parquet", {
        **addresses(4),
        "srcport": pa.array([1, 2**31, 3, 4], pa.uint64()),
        "bytes": pa.array([5, 6, -7, 2**63 - 1], pa.int64())})
    table, stats = read(path)
    assert [s.line for s in stats.skipped_lines] == [2, 3]
    assert table.column("bytes").to_pylist() == [5, 2**63 - 1]


def test_parquet_bytes_text_with_one_bad_value_skips_that_row(tmp_path: Path) -> None:
    sizes = [str(i * 100) for i in range(10)]
    sizes[6] = "abc"
    path = parquet(tmp_path / "t.parquet", {**addresses(10), "bytes": pa.array(sizes)})
    _, stats = read(path)
    assert stats.records == 9 and [s.line for s in stats.skipped_lines] == [7]
    with pytest.raises(FlowLogError, match=r"t\.parquet, line 7: bytes is not a number"):
        read(path, strict=True)


def test_parquet_bad_row_in_a_later_row_group_is_reported_with_its_row_in_the_file(
        tmp_path: Path) -> None:
    sizes = [str(i) for i in range(300)]
    sizes[250] = "x"
    path = parquet(tmp_path / "g.parquet", {**addresses(300), "bytes": pa.array(sizes)},
                   row_group_size=100)
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    table, stats = read(path)
    assert [s.line for s in stats.skipped_lines] == [251]
    assert table.column("bytes").to_pylist() == [i for i in range(300) if i != 250]


def test_parquet_binary_text_that_is_not_utf8_skips_that_row(tmp_path: Path) -> None:
    path = parquet(tmp_path / "b.parquet", {
        **addresses(3), "action": pa.array([b"ACCEPT", b"\xffREJECT", b"REJECT"]),
        "account_id": pa.array([12345678901, 2, 3])})
    table, stats = read(path)
    assert table.column("action").to_pylist() == ["ACCEPT", "REJECT"]
    assert table.column("account_id").to_pylist() == ["012345678901", "000000000003"]
    assert [(s.line, s.reason.split(":")[0]) for s in stats.skipped_lines] == [
        (2, "action is not UTF-8 text")]


def test_parquet_times_seconds_milliseconds_and_not_times(tmp_path: Path) -> None:
    starts = [T0, T0 * 1000, 10**14, -1, None, 10**11 - 1]
    path = parquet(tmp_path / "t.parquet", {**addresses(len(starts)),
                                            "start": pa.array(starts, pa.int64())})
    table, stats = read(path)
    secs = [None if s is None else s // 1000 if s >= 10**11 else s
            for s in starts if s is None or 0 <= s < 10**14]
    got = [None if v is None else int(v.timestamp()) for v in table.column("start").to_pylist()]
    assert got == secs
    assert [s.line for s in stats.skipped_lines] == [3, 4]
    assert stats.millisecond_times == 1 and stats.lines == len(starts)
    assert stats.skipped_lines[0].reason == \
        "start is not a time in seconds or milliseconds: '100000000000000'"


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_parquet_timestamp_columns_are_seconds(tmp_path: Path, unit: str) -> None:
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    raw = [T0 * per_second + per_second - 1, None]
    path = parquet(tmp_path / "ts.parquet", {**addresses(2),
                                             "start": pa.array(raw, pa.timestamp(unit))})
    table, _ = read(path)
    assert table.schema.field("start").type == pa.timestamp("s", tz="UTC")
    assert table.column("start").cast(pa.int64()).to_pylist() == [T0, None]


def test_parquet_nodata_row_with_a_time_past_year_9999_is_skipped_not_a_crash(
        tmp_path: Path) -> None:
    past = 253402300800  # 10000-01-01T00:00:00Z
    path = parquet(tmp_path / "nd.parquet", {
        "srcaddr": pa.array([None, None, "10.0.0.1"]),
        "start": pa.array([T0, past, T0], pa.timestamp("s")),
        "end": pa.array([(T0 + 60) * 1000, past * 1000, -1000], pa.timestamp("ms")),
        "log_status": pa.array(["NODATA", "NODATA", "OK"])})
    _, stats = read(path)
    assert stats.nodata == 1 and stats.records == 1 and stats.skipped == 2
    assert stats.skipped_lines[0].reason.startswith("start is not a time from 1970 to the year")
    assert stats.nodata_span is not None and stats.nodata_span[0].year == 2026


def test_parquet_null_spellings_in_address_columns_are_null(tmp_path: Path) -> None:
    path = parquet(tmp_path / "a.parquet", {
        "srcaddr": pa.array(["-", "None", "", "nan", "10.0.0.5", "garbage!"]),
        "action": pa.array(["-", "None", "ACCEPT", "REJECT", "ACCEPT", "ACCEPT"])})
    table, stats = read(path)
    assert table.column("srcaddr").to_pylist() == [None, None, None, None, "10.0.0.5"]
    assert table.column("action").to_pylist() == [None, "None", "ACCEPT", "REJECT", "ACCEPT"]
    assert [(s.line, s.reason) for s in stats.skipped_lines] == [
        (6, "srcaddr is not an IP address: 'garbage!'")]


# ---------------------------------------------------------------- Parquet files


def test_parquet_corrupt_row_group_is_an_error_naming_it_after_the_rows_before(
        tmp_path: Path) -> None:
    n = 1000
    path = parquet(tmp_path / "c.parquet", {**addresses(n), "bytes": pa.array(range(n))},
                   row_group_size=500, compression="none")
    meta = pq.ParquetFile(path).metadata
    chunk = meta.row_group(1).column(2)  # bytes, second row group
    data = bytearray(path.read_bytes())
    page = chunk.data_page_offset
    data[page:page + 40] = b"\xff" * 40  # the page header
    path.write_bytes(bytes(data))
    reader = awsip.read_flow_logs(path, progress=False)
    got = 0
    with pytest.raises(FlowLogError, match=r"c\.parquet: Parquet row group 1 cannot be read "
                                           r"\(the rows before row 501 were read\)"):
        for batch in reader:
            got += batch.num_rows
    assert got == 500


# ---------------------------------------------------------------- hypothesis: JSON

_NAMES = st.sampled_from(["srcAddr", "dstAddr", "bytes", "sum(bytes)", "@message", "field",
                          "value", "results", "action", "dstPort", "@timestamp", ""])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                     st.sampled_from(["10.0.0.1", "52.216.58.42", "443", "-", "\ud800", "a b",
                                      "x\ny", line(record())]))
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(_NAMES, st.text(max_size=5)),
                                                 inner, max_size=4)), max_leaves=25)
_CELL = st.one_of(st.fixed_dictionaries({"field": _NAMES, "value": _SCALARS}), _JSON)
_DOCS = st.one_of(
    st.lists(_JSON, max_size=5),
    st.dictionaries(_NAMES, _JSON, max_size=4),
    st.fixed_dictionaries({"results": st.one_of(st.lists(st.lists(_CELL, max_size=4),
                                                         max_size=5), _JSON)}),
    st.lists(st.dictionaries(_NAMES, st.one_of(_SCALARS, _JSON), max_size=5), max_size=5),
)


@SETTINGS
@given(doc=_DOCS)
def test_any_json_document_is_records_or_a_flow_log_error(tmp_path: Path, doc: Any) -> None:
    path = write(tmp_path / "h.json", json.dumps(doc).encode(), gz=False)
    try:
        _, stats = read(path)
    except FlowLogError as exc:
        assert str(exc).startswith(str(path))
        return
    rows = doc.get("results") if isinstance(doc, dict) else doc
    assert stats.records + stats.skipped <= (len(rows) if isinstance(rows, list) else 0)


# ---------------------------------------------------------------- hypothesis: Parquet

_NULLS = {"-", "", "none", "null", "nan", "nat", "na", "n/a", "<na>"}
_INT_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint32(),
              pa.uint64()]
#: catalogue columns used, with their kind; "address" is a string field that must be an address
#: (awsip.addr.parse_address: the rule of awsip.classify)
_FIELDS = {"srcaddr": "address", "dstaddr": "address", "srcport": "int32", "protocol": "int32",
           "bytes": "int64", "start": "time", "end": "time", "log_status": "string",
           "account_id": "string"}
_TOP = {"int32": 2**31 - 1, "int64": 2**63 - 1, "time": 2**63 - 1}


def _int_values(t: pa.DataType) -> st.SearchStrategy[Any]:
    lo, hi = ((-(2 ** (t.bit_width - 1)), 2 ** (t.bit_width - 1) - 1)
              if pa.types.is_signed_integer(t) else (0, 2**t.bit_width - 1))
    return st.integers(lo, hi) | st.sampled_from([v for v in (0, 443, T0, T0 * 1000, 10**14)
                                                  if lo <= v <= hi])


def _text_values() -> st.SearchStrategy[Any]:
    return st.sampled_from(["10.0.0.1", "2600:1f18::1", "443", "0443", "-5", "abc", "None",
                            "NaN", "", "-", "9223372036854775808", str(T0), str(T0 * 1000),
                            "100000000000000", "OK", "NODATA", " 1", "१२"]) | st.text(max_size=6)


@st.composite
def _column(draw: st.DrawFn, kind: str) -> tuple[pa.DataType, st.SearchStrategy[Any]]:
    """A type for a column of ``kind`` and a strategy for its values."""
    shapes = ["int", "float", "text", "binary", "null", "decimal", "nested", "bool"]
    if kind == "time":
        shapes.append("timestamp")
    shape = draw(st.sampled_from(shapes))
    if shape == "int":
        t = draw(st.sampled_from(_INT_TYPES))
        return t, _int_values(t)
    if shape == "float":
        return draw(st.sampled_from([pa.float32(), pa.float64()])), st.floats(
            width=32) | st.sampled_from([443.0, float(T0), 1.5, -1.0, 2.0**63])
    if shape == "text":
        return draw(st.sampled_from([pa.string(), pa.large_string()])), _text_values()
    if shape == "binary":
        return pa.binary(), st.one_of(_text_values().map(lambda s: s.encode()),
                                      st.binary(max_size=4))
    if shape == "decimal":
        return pa.decimal128(25, 0), st.integers(-(10**24) + 1, 10**24 - 1).map(Decimal)
    if shape == "timestamp":
        unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
        top = 2**62 // (1000 if unit == "s" else 1)  # Parquet stores seconds as ms
        return pa.timestamp(unit), st.integers(-top, top)
    if shape == "nested":
        return pa.list_(pa.int32()), st.lists(st.integers(0, 9), max_size=2)
    if shape == "bool":
        return pa.bool_(), st.booleans()
    return pa.null(), st.none()


def _is_address(value: str) -> bool:
    try:
        parse_address(value)
    except InvalidAddressError:
        return False
    return True


def _text_ok(kind: str, value: str) -> bool:
    """The rule for text in a column of ``kind``, written out again for the test."""
    if kind == "address":
        return value.lower() in _NULLS or _is_address(value)
    if kind == "string":
        return True
    return value.lower() in _NULLS or (value.isascii() and value.isdigit()
                                       and len(value) <= len(str(_TOP[kind]))
                                       and int(value) <= _TOP[kind]
                                       and (kind != "time" or int(value) < 10**14))


def _value_ok(kind: str, t: pa.DataType, value: Any) -> bool:
    """Whether ``value`` (stored as type ``t``) is read, by the documented rules."""
    if value is None or pa.types.is_null(t):
        return True
    if pa.types.is_timestamp(t):
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[t.unit]
        return value >= 0 and value // per_second <= 253402300799
    if pa.types.is_binary(t):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return _text_ok(kind, value)
    if isinstance(value, str):
        return _text_ok(kind, value)
    if kind == "address":
        raise AssertionError("address columns hold text only in this test")
    if kind == "string":
        return True
    if pa.types.is_floating(t):
        value = float(np.float32(value)) if t == pa.float32() else value
        if math.isnan(value):
            return True
        if not value.is_integer() or value > 2**63:
            return False
    return 0 <= int(value) <= _TOP[kind] and (kind != "time" or int(value) < 10**14)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[pa.Table, bool, int]:
    """A table, whether reading it must be an error (by the column rules), and how many of
    its rows hold a value that is not read (by the value rules)."""
    rows = draw(st.integers(0, 12))
    names = draw(st.lists(st.sampled_from([*_FIELDS, "SrcPort", "note", "tags"]), min_size=1,
                          max_size=6))
    arrays, error, bad = [], False, np.zeros(rows, dtype=bool)
    seen: set[str] = set()
    for name in names:
        canon = name.lower()
        kind = _FIELDS.get(canon)
        if kind is None:
            arrays.append(pa.array([[i] for i in range(rows)]) if name == "tags"
                          else pa.array([str(i) for i in range(rows)]))
            continue
        if kind == "address":
            t, values = draw(st.sampled_from([(pa.string(), _text_values()),
                                              (pa.binary(), _text_values().map(str.encode)),
                                              (pa.list_(pa.int8()), st.just([1]))]))
        else:
            t, values = draw(_column(kind))
        data = draw(st.lists(st.none() | values, min_size=rows, max_size=rows))
        arrays.append(pa.array(data, t))
        nested_or_bool = pa.types.is_list(t) or pa.types.is_boolean(t)
        error = error or nested_or_bool or canon in seen
        seen.add(canon)
        if not nested_or_bool:
            bad |= np.array([not _value_ok(kind, t, v) for v in data], dtype=bool)
    table = pa.Table.from_arrays(arrays, names=names)
    return table, error, int(bad.sum())


@SETTINGS
@given(case=_tables())
def test_any_arrow_schema_is_records_plus_skipped_rows_or_a_flow_log_error(
        tmp_path: Path, case: tuple[pa.Table, bool, int]) -> None:
    table, error, bad = case
    path = tmp_path / "h.parquet"
    pq.write_table(table, path)
    try:
        got, stats = read(path)
    except FlowLogError as exc:
        assert error, exc
        assert str(exc).startswith(str(path))
        return
    assert not error
    assert stats.skipped == bad
    assert stats.records == table.num_rows - bad
    assert stats.lines == table.num_rows
    if set(table.column_names) - {"tags"}:  # rows without columns are counted, not produced
        assert got.num_rows == stats.records
