"""``awsip classify`` on flow logs: detection, enriched Parquet/CSV/JSONL output, totals, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import flowlog_factory as ff
from awsip import Ranges, UsageError
from awsip.classification.enrich import LABELS
from awsip.cli import main
from awsip.inputs import is_flow_log_input

DATA = Path(__file__).parent / "data"
RANGES = str(DATA / "ip-ranges-2026-08-22T151705.json.gz")
PAIRS = [("10.0.1.5", "52.216.58.42"), ("2600:1f18::1", "10.0.1.5"), ("10.0.1.5", "8.8.8.8"),
         ("192.168.1.1", "10.0.2.7")]
ADDED = [p + n for p in ("src_", "dst_") for n in LABELS]


@pytest.fixture(scope="module")
def ranges() -> Ranges:
    import awsip

    return awsip.load_ranges(RANGES)


def run(argv: list[str]) -> int:
    return main(["classify", "--ranges", RANGES, "--quiet", *argv])


def records(repeat: int = 1) -> list[dict[str, Any]]:
    recs: list[dict[str, Any]] = [ff.record(srcaddr=s, dstaddr=d) for s, d in PAIRS] * repeat
    recs.append(ff.nodata(ff.T0, ff.T0 + 60))
    return recs


def flow_file(tmp_path: Path, name: str = "a.log.gz", repeat: int = 1) -> Path:
    return ff.write(tmp_path / name, ff.text(records(repeat)))


def check_rows(rows: list[dict[str, Any]], ranges: Ranges, *repeats: int) -> None:
    """The rows are the records of files of ``records(repeat)`` for each of ``repeats`` (one
    file of ``records(1)`` by default), in order, and every row's labels are what Ranges.lookup
    says about its addresses."""
    want: list[tuple[str | None, str | None]] = []
    for repeat in repeats or (1,):
        want += [*PAIRS * repeat, (None, None)]
    assert [(r["srcaddr"], r["dstaddr"]) for r in rows] == want
    for row in rows:
        for column, prefix in (("srcaddr", "src_"), ("dstaddr", "dst_")):
            address = row[column]
            if address is None:
                assert all(row[prefix + n] is None for n in LABELS)
                continue
            m = ranges.lookup(address)
            assert (row[prefix + "aws"], row[prefix + "service"], row[prefix + "region"],
                    row[prefix + "network_border_group"], row[prefix + "prefix"]) == \
                (m.aws, m.service, m.region, m.network_border_group, m.prefix)
    s3 = next(r for r in rows if r["dstaddr"] == "52.216.58.42")
    assert (s3["dst_service"], s3["dst_region"], s3["src_aws"]) == ("S3", "us-east-1", False)


# ---------------------------------------------------------------------- detection
def test_address_lists_and_stdin_are_not_flow_logs(tmp_path: Path) -> None:
    ips = tmp_path / "ips.txt"
    ips.write_text("\n52.216.58.42\n8.8.8.8\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert not is_flow_log_input([str(ips)], None)
    assert not is_flow_log_input([str(empty)], None)
    assert not is_flow_log_input([], None)
    assert not is_flow_log_input(["-"], None)
    assert not is_flow_log_input([str(tmp_path / "missing.txt")], None)


def test_flow_log_files_directories_globs_and_s3_are_detected(tmp_path: Path) -> None:
    gz = flow_file(tmp_path / "logs")
    text = ff.write(tmp_path / "plain.log", ff.text(records(), header=False), gz=False)
    parquet = ff.write_parquet(tmp_path / "x.parquet", records())
    assert is_flow_log_input([str(gz)], None)
    assert is_flow_log_input([str(text)], None)  # first line: several fields
    assert is_flow_log_input([str(parquet)], None)
    assert is_flow_log_input([str(tmp_path / "logs")], None)
    assert is_flow_log_input([str(tmp_path / "logs" / "*.gz")], None)
    assert is_flow_log_input(["s3://bucket/AWSLogs/"], None)


def test_uncompressed_json_flow_logs_are_flow_logs_however_compact(tmp_path: Path) -> None:
    # A CloudWatch Logs subscription payload written uncompressed and pretty-printed (its first
    # line, "{", has one field, like an address) and JSON lines with a message field.
    record = ff.text(records(), header=False).splitlines()[0].decode()
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"messageType": "DATA_MESSAGE", "logEvents": [
        {"id": "1", "timestamp": 0, "message": record}]}, indent=2))
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n" + json.dumps({"message": record}, separators=(",", ":")) + "\n")
    assert is_flow_log_input([str(payload)], None)
    assert is_flow_log_input([str(lines)], None)


def test_a_column_means_a_table_of_addresses(tmp_path: Path) -> None:
    parquet = ff.write_parquet(tmp_path / "x.parquet", records())
    assert not is_flow_log_input([str(parquet)], "srcaddr")
    with pytest.raises(UsageError):
        is_flow_log_input([str(parquet)], "srcaddr", forced=True)


def test_the_flag_forces_flow_logs_and_mixing_kinds_is_refused(tmp_path: Path) -> None:
    ips = tmp_path / "ips.txt"
    ips.write_text("52.216.58.42\n")
    assert is_flow_log_input([str(ips)], None, forced=True)
    assert is_flow_log_input(["-"], None, forced=True)
    with pytest.raises(UsageError, match="separately"):
        is_flow_log_input([str(ips), str(flow_file(tmp_path))], None)


# ---------------------------------------------------------------------- outputs
def test_parquet_output_holds_records_and_labels(tmp_path: Path, ranges: Ranges,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.parquet"
    assert run([str(flow_file(tmp_path)), "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names[-len(ADDED):] == ADDED
    check_rows(table.to_pylist(), ranges)
    err = capsys.readouterr().err
    assert "5 records, 0 skipped, 1 nodata, 0 skipdata, 1 files" in err


def test_csv_output_reads_back(tmp_path: Path, ranges: Ranges) -> None:
    out = tmp_path / "out.csv"
    assert run([str(flow_file(tmp_path)), "-o", str(out)]) == 0
    check_rows(read_csv(out).to_pylist(), ranges)


def test_jsonl_output_reads_back(tmp_path: Path, ranges: Ranges) -> None:
    out = tmp_path / "out.jsonl"
    assert run([str(flow_file(tmp_path)), "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    check_rows(rows, ranges)
    assert rows[0]["start"] == "2026-03-27T01:38:05Z"


def read_csv(data: bytes | Path) -> pa.Table:
    """The enriched CSV with its address and label columns read as strings, aws as bool."""
    strings = {name: pa.string() for name in ("srcaddr", "dstaddr", *ADDED)
               if not name.endswith("_aws")}
    return pcsv.read_csv(io.BytesIO(data) if isinstance(data, bytes) else data,
                         convert_options=pcsv.ConvertOptions(
                             column_types={**strings, "src_aws": pa.bool_(),
                                           "dst_aws": pa.bool_()},
                             strings_can_be_null=True))


def test_csv_to_stdout_by_default(tmp_path: Path, ranges: Ranges,
                                  capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert run([str(flow_file(tmp_path))]) == 0
    table = read_csv(capsysbinary.readouterr().out)
    assert table.column_names[-len(ADDED):] == ADDED
    check_rows(table.to_pylist(), ranges)


def test_several_files_stream_into_one_output(tmp_path: Path, ranges: Ranges,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    flow_file(tmp_path / "logs", "a.log.gz", repeat=3)
    ff.write_parquet(tmp_path / "logs" / "b.parquet", records(2))
    out = tmp_path / "out.parquet"
    assert run([str(tmp_path / "logs"), "-o", str(out)]) == 0
    table = pq.read_table(out)
    check_rows(table.to_pylist(), ranges, 3, 2)  # a.log.gz, then b.parquet
    assert table.column("dst_service").to_pylist().count("S3") == 3 + 2
    total = (len(PAIRS) * 3 + 1) + (len(PAIRS) * 2 + 1)
    assert f"{total} records, 0 skipped, 2 nodata, 0 skipdata, 2 files" in \
        capsys.readouterr().err


def test_format_string_reads_header_less_custom_format(tmp_path: Path, ranges: Ranges) -> None:
    fields = ["srcaddr", "dstaddr", "bytes", "log-status"]
    path = ff.write(tmp_path / "custom.log", ff.text(records(), fields, header=False), gz=False)
    out = tmp_path / "out.parquet"
    fmt = " ".join("${" + f + "}" for f in fields)
    assert run([str(path), "--format-string", fmt, "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names == ["srcaddr", "dstaddr", "bytes", "log_status", *ADDED]
    rows = table.to_pylist()
    check_rows(rows, ranges)
    assert [(r["bytes"], r["log_status"]) for r in rows] == [(4000, "OK")] * len(PAIRS) + [
        (None, "NODATA")]


def test_no_records_still_writes_the_columns(tmp_path: Path) -> None:
    path = ff.write(tmp_path / "empty.log.gz", ff.text([]))
    out = tmp_path / "out.parquet"
    assert run(["--flow-logs", str(path), "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.column_names[-len(ADDED):] == ADDED


# ---------------------------------------------------------------------- errors
def test_truncated_gzip_exits_1_and_writes_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    good = flow_file(tmp_path / "in", "a.log.gz")
    bad = ff.truncate(flow_file(tmp_path / "in", "b.log.gz", repeat=400), 0.5)
    out = tmp_path / "out" / "out.parquet"
    out.parent.mkdir()
    assert run([str(good), str(bad), "-o", str(out)]) == 1
    assert list(out.parent.iterdir()) == []  # no output, no temp file
    err = capsys.readouterr().err
    assert f"awsip: error: {bad}: compressed data is truncated or corrupt at byte" in err
    assert f"({out} not written)" in err


def test_bad_line_is_skipped_and_counted_unless_strict(tmp_path: Path, ranges: Ranges,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    recs: list[Any] = [*records(), "2 123456789012 eni-1 not-an-address"]
    path = ff.write(tmp_path / "a.log.gz", ff.text(recs))
    out = tmp_path / "out.parquet"
    assert run([str(path), "-o", str(out)]) == 0
    check_rows(pq.read_table(out).to_pylist(), ranges)
    err = capsys.readouterr().err
    assert f"{len(PAIRS) + 1} records, 1 skipped, 1 nodata, 0 skipdata, 1 files" in err
    assert f"skipped {path}, line {len(recs) + 1}: expected 14 fields, found 4" in err
    out.unlink()
    assert run([str(path), "--strict", "-o", str(out)]) == 1
    assert not out.exists()
    assert f"{path}, line {len(recs) + 1}: expected 14 fields, found 4" in capsys.readouterr().err


def test_address_lists_still_take_the_address_path(tmp_path: Path,
                                                   capsysbinary: pytest.CaptureFixture[bytes]
                                                   ) -> None:
    ips = tmp_path / "ips.txt"
    ips.write_text("52.216.58.42\n8.8.8.8\n")
    assert run([str(ips)]) == 0
    table = pcsv.read_csv(io.BytesIO(capsysbinary.readouterr().out),
                          convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    assert table.to_pylist() == [
        {"ip": "52.216.58.42", "valid": True, "aws": True, "prefix": "52.216.0.0/15",
         "service": "S3", "region": "us-east-1", "network_border_group": "us-east-1"},
        {"ip": "8.8.8.8", "valid": True, "aws": False, "prefix": None, "service": None,
         "region": None, "network_border_group": None}]


def test_column_wise_json_lines_equal_json_dumps(tmp_path: Path, ranges: Ranges) -> None:
    from awsip import enrich_flow_logs
    from awsip.encoding import jsonable
    from awsip.output.tables import _plain, jsonl_lines

    batches = list(enrich_flow_logs(str(flow_file(tmp_path)), ranges, progress=False))
    for batch in map(_plain, batches):
        fast = jsonl_lines(batch)
        assert fast is not None
        assert fast.to_pylist() == [json.dumps(jsonable(r), separators=(",", ":"))
                                    for r in batch.to_pylist()]


def test_strings_needing_escapes_fall_back_to_json_dumps(tmp_path: Path) -> None:
    from awsip.output.tables import _write_jsonl, jsonl_lines

    batch = pa.record_batch({"interface_id": ['eni-"1"', "caf\u00e9\\"], "bytes": [1, None]})
    assert jsonl_lines(batch) is None
    fh = io.BytesIO()
    _write_jsonl(batch, fh)
    assert [json.loads(line) for line in fh.getvalue().splitlines()] == batch.to_pylist()
