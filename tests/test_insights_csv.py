"""Logs Insights CSV exports of any shape: quoted newlines, CRLF, files bigger than a read
block; never a ``csv.Error`` or another crash, always records or a FlowLogError."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awsip
from awsip.errors import FlowLogError
from awsip.flowlogs import reader as reader_mod
from flowlog_factory import line, record, write


def read(path: Path, **kw: Any) -> tuple[pa.Table, awsip.FlowLogStats]:
    reader = awsip.read_flow_logs(path, progress=False, **kw)
    return reader.read_all(), reader.stats


def export(rows: list[list[str]], newline: str = "\r\n") -> bytes:
    """CSV as the console writes it (RFC 4180: quoted where needed)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue().encode()


def test_message_with_a_quoted_newline_in_the_middle_is_one_record(tmp_path: Path) -> None:
    broken = line(record(bytes=2)).replace(" 443 ", " 443\n")
    data = export([["@timestamp", "@message"],
                   ["2026-03-27 01:38:05.000", line(record(bytes=1))],
                   ["2026-03-27 01:38:06.000", broken],
                   ["2026-03-27 01:38:07.000", line(record(bytes=3)) + "\r\n"]])
    assert b'443\n' in data  # the newline really is inside a quoted field
    table, stats = read(write(tmp_path / "m.csv", data, gz=False))
    assert table.column("bytes").to_pylist() == [1, 2, 3]
    assert (stats.records, stats.lines) == (3, 3)


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_selected_columns_with_quoted_newlines_and_commas(tmp_path: Path, newline: str) -> None:
    data = export([["srcAddr", "dstAddr", "sum(bytes)", "action", "note"],
                   ["10.0.1.5", "52.216.58.42", "5000.0", "ACCEPT", "two\nlines"],
                   ["10.0.1.6", "3.5.16.209", "7", "REJECT", "a, b\r\nc"]], newline)
    table, stats = read(write(tmp_path / "s.csv", data, gz=True))
    assert table.column("srcaddr").to_pylist() == ["10.0.1.5", "10.0.1.6"]
    assert table.column("bytes").to_pylist() == [5000, 7]
    assert table.column("action").to_pylist() == ["ACCEPT", "REJECT"]
    assert stats.ignored_columns == ["note"]


def test_csv_bigger_than_a_read_block_loses_no_row(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["@timestamp", "@message"]] + [
        [f"2026-03-27 01:38:{i % 60:02d}.000", line(record(bytes=i))] for i in range(300)]
    path = write(tmp_path / "big.csv", export(rows), gz=False)
    monkeypatch.setattr(reader_mod, "BLOCK_SIZE", 512)  # a row cut at every block end
    table, _ = read(path)
    assert table.column("bytes").to_pylist() == list(range(300))


_CELL = st.one_of(st.sampled_from(["10.0.0.1", "52.216.58.42", "443", "-", "", "ACCEPT",
                                   line(record()), "5000.0"]),
                  st.text(alphabet=st.sampled_from(list('a1., "\r\n\t\x00\x0b\u2028')),
                          max_size=8))
_ROWS = st.lists(st.lists(_CELL, min_size=0, max_size=5), max_size=6)
_HEADERS = st.sampled_from([["srcAddr", "dstAddr", "bytes"], ["@timestamp", "@message"],
                            ["srcAddr", "sum(bytes)", "@message", "x"]])


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(header=_HEADERS, rows=_ROWS, newline=st.sampled_from(["\r\n", "\n", "\r"]),
       raw=st.booleans(), cut=st.integers(0, 400))
def test_any_csv_shape_is_records_or_a_flow_log_error(
        tmp_path: Path, header: list[str], rows: list[list[str]], newline: str, raw: bool,
        cut: int) -> None:
    """Quoted by the csv module, or the same text with its quotes removed (unquoted CRs,
    newlines and stray quotes), possibly cut short: read, or a FlowLogError naming the file."""
    data = export([header, *rows], newline)
    if raw:
        data = data.replace(b'"', b"")[: len(data) - cut]
    path = write(tmp_path / "h.csv", data, gz=False)
    try:
        table, stats = read(path)
    except FlowLogError as exc:
        assert str(exc).startswith(str(path))
        return
    assert stats.records == table.num_rows
    assert stats.lines == stats.header_lines + stats.blank_lines + stats.skipped + stats.records
