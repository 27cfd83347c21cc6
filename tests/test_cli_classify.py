"""``awsip classify``: inputs, output formats, invalid-input report, atomic output files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from awsip import InvalidAddressError, Ranges
from awsip.cli import classify as command
from awsip.cli import main

COLUMNS = ("ip", "valid", "aws", "prefix", "service", "region", "network_border_group")
INPUTS = ["52.216.58.42", "300.1.1.1", "2600:1f18::1", "", "::ffff:3.5.16.209", "8.8.8.8", "bad"]



@pytest.fixture(autouse=True)
def offline_ranges(monkeypatch: pytest.MonkeyPatch, ranges: Ranges) -> None:
    """The command's ranges come from the test snapshot, whatever the loader does."""
    monkeypatch.setattr(command, "ranges_from_args", lambda args: ranges)


def run(argv: list[str], stdin: bytes = b"",
        monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    return main(["classify", *argv])


def expected(ranges: Ranges, inputs: list[str]) -> list[dict[str, Any]]:
    """The rows the command should write, from scalar lookups (not the bulk engine it uses)."""
    rows = []
    for ip in inputs:
        try:
            m = ranges.lookup(ip)
        except InvalidAddressError:
            rows.append({"ip": ip, "valid": False, **dict.fromkeys(COLUMNS[2:])})
            continue
        rows.append({"ip": ip, "valid": True, "aws": m.aws, "prefix": m.prefix,
                     "service": m.service, "region": m.region,
                     "network_border_group": m.network_border_group})
    return rows


def test_stdin_lines_become_csv_rows_in_order(monkeypatch: pytest.MonkeyPatch, ranges: Ranges,
                                              capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    data = ("\n".join(INPUTS[:3]) + "\r\n" + "\n".join(INPUTS[3:]) + "\n").encode()
    assert run([], data, monkeypatch) == 0
    out, err = capsysbinary.readouterr()
    table = pcsv.read_csv(io.BytesIO(out), convert_options=pcsv.ConvertOptions(
        column_types={"ip": pa.string()}, strings_can_be_null=True))
    assert table.column_names == list(COLUMNS)
    rows = table.to_pylist()
    assert [r["ip"] or "" for r in rows] == INPUTS  # the \r before \n is not part of the line
    assert [{**r, "ip": r["ip"] or ""} for r in rows] == expected(ranges, INPUTS)
    assert [r["service"] for r in rows] == ["S3", None, "EC2", None, "S3", None, None]
    assert b"3 of 7 inputs are not addresses" in err
    assert b"line 2 of stdin: '300.1.1.1'" in err and b"line 7 of stdin: 'bad'" in err


def test_strict_exits_1_when_an_input_is_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["--strict"], b"52.216.58.42\nnope\n", monkeypatch) == 1
    assert run(["--strict"], b"52.216.58.42\n1.2.3.4", monkeypatch) == 0


def test_files_are_read_in_order_with_per_file_line_numbers(
        tmp_path: Path, ranges: Ranges, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("52.216.58.42\n1.2.3.4\n")
    b.write_text("2600:1f18::1\n01.2.3.4\n")
    out_path = tmp_path / "out.jsonl"
    assert run([str(a), str(b), "-o", str(out_path)]) == 0
    rows = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert rows == expected(ranges, ["52.216.58.42", "1.2.3.4", "2600:1f18::1", "01.2.3.4"])
    assert [r["service"] for r in rows] == ["S3", None, "EC2", None]
    err = capsysbinary.readouterr().err
    assert f"line 2 of {b}: '01.2.3.4'".encode() in err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_column_of_a_csv_or_parquet_file(tmp_path: Path, ranges: Ranges, suffix: str) -> None:
    source = pa.table({"n": list(range(len(INPUTS))), "addr": INPUTS})
    path = tmp_path / f"flows{suffix}"
    if suffix == ".csv":
        pcsv.write_csv(source, path)
    else:
        pq.write_table(source, path)
    out = tmp_path / "result.parquet"
    assert run(["--column", "addr", str(path), "-o", str(out)]) == 0
    got = pq.read_table(out)
    assert got.to_pylist() == expected(ranges, INPUTS)
    assert got.schema.field("service").type == pa.dictionary(pa.int16(), pa.string())


def test_missing_column_is_a_usage_error(tmp_path: Path,
                                         capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    assert run(["--column", "ip", str(path)]) == 2
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert f"awsip: error: {path}: cannot read column 'ip'".encode() in err


def test_format_flag_overrides_the_suffix(tmp_path: Path, ranges: Ranges,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "result.txt"
    assert run(["--format", "jsonl", "-o", str(out)], b"52.216.58.42\n", monkeypatch) == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"ip": "52.216.58.42", "valid": True, "aws": True, "prefix": "52.216.0.0/15",
         "service": "S3", "region": "us-east-1", "network_border_group": "us-east-1"}]


def test_a_failed_write_keeps_the_old_output_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "result.csv"
    out.write_text("old\n")

    def explode(table: pa.Table, fmt: str, fh: Any) -> None:
        fh.write(b"half a fi")
        raise OSError("disk full")

    monkeypatch.setattr("awsip.output.tables.write_table", explode)
    with pytest.raises(OSError):
        run(["-o", str(out)], b"52.216.58.42\n", monkeypatch)
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]  # no temp file left


def test_lines_that_are_not_utf8_are_invalid_rows(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path, ranges: Ranges) -> None:
    out = tmp_path / "r.jsonl"
    assert run(["-o", str(out)], b"52.216.58.42\n\xff\xfe\n1.2.3.4", monkeypatch) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["valid"] for r in rows] == [True, False, True]
    assert [rows[0], rows[2]] == expected(ranges, ["52.216.58.42", "1.2.3.4"])
    assert rows[1] == {"ip": "\ufffd\ufffd", "valid": False, **dict.fromkeys(COLUMNS[2:])}


def test_empty_input_writes_just_the_header(monkeypatch: pytest.MonkeyPatch,
                                            capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert run([], b"", monkeypatch) == 0
    out = capsysbinary.readouterr().out
    assert out.decode().splitlines() == [
        '"ip","valid","aws","prefix","service","region","network_border_group"']
