"""Reading flow logs: every format AWS writes, values and types, bad input, stats."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest

import awsip
from awsip import FlowLogError
from awsip.flowlogs import (
    DEFAULT_FIELDS,
    FIELDS,
    TGW_DEFAULT_FIELDS,
    FlowLogStats,
    parse_format,
    read_flow_logs,
    region_from_path,
    traffic_only,
)
from awsip.flowlogs import reader as reader_mod
from flowlog_factory import (
    ACCOUNT,
    T0,
    hive_key,
    line,
    nodata,
    record,
    s3_key,
    skipdata,
    text,
    truncate,
    write,
    write_parquet,
)

UTC = timezone.utc


def ts(x: int) -> datetime:
    return datetime.fromtimestamp(x, tz=UTC)


def rows(source: object, **kw: object) -> list[dict[str, object]]:
    return read_flow_logs(source, progress=False, **kw).read_all().to_pylist()  # type: ignore[arg-type]


# ---------------------------------------------------------------- default format, S3 layout


def test_s3_gzip_file_with_header_gives_typed_values(tmp_path: Path) -> None:
    recs = [record(), record(srcaddr="52.216.58.42", dstaddr="10.0.1.5", srcport=443,
                             dstport=49152, packets=3, bytes=9_000_000_000, action="REJECT")]
    path = write(s3_key(tmp_path), text(recs))
    table = read_flow_logs(path, progress=False).read_all()
    assert table.schema == pa.schema([
        ("version", pa.int32()), ("account_id", pa.string()), ("interface_id", pa.string()),
        ("srcaddr", pa.string()), ("dstaddr", pa.string()), ("srcport", pa.int32()),
        ("dstport", pa.int32()), ("protocol", pa.int32()), ("packets", pa.int64()),
        ("bytes", pa.int64()), ("start", pa.timestamp("s", tz="UTC")),
        ("end", pa.timestamp("s", tz="UTC")), ("action", pa.string()),
        ("log_status", pa.string()),
    ])
    got = table.to_pylist()
    assert got[0] == {
        "version": 2, "account_id": ACCOUNT, "interface_id": "eni-0a1b2c3d4e5f60718",
        "srcaddr": "10.0.1.5", "dstaddr": "52.216.58.42", "srcport": 49152, "dstport": 443,
        "protocol": 6, "packets": 20, "bytes": 4000, "start": ts(T0), "end": ts(T0 + 60),
        "action": "ACCEPT", "log_status": "OK",
    }
    assert got[1]["bytes"] == 9_000_000_000 and got[1]["action"] == "REJECT"
    assert got[1]["srcport"] == 443


def test_plain_text_without_header_uses_default_format(tmp_path: Path) -> None:
    path = write(tmp_path / "flows.txt", text([record(bytes=77)], header=False), gz=False)
    (got,) = rows(path)
    assert got["bytes"] == 77 and got["dstaddr"] == "52.216.58.42"


def test_gzip_is_detected_from_content_not_name(tmp_path: Path) -> None:
    gz_named_txt = write(tmp_path / "a.txt", text([record(bytes=1)]))
    plain_named_gz = write(tmp_path / "b.log.gz", text([record(bytes=2)]), gz=False)
    assert [r["bytes"] for r in rows([gz_named_txt, plain_named_gz])] == [1, 2]


def test_multi_member_gzip_is_read_completely(tmp_path: Path) -> None:
    recs = [record(bytes=i) for i in range(300)]
    path = write(tmp_path / "multi.log.gz", text(recs), members=3)
    assert [r["bytes"] for r in rows(path)] == list(range(300))


def test_ipv6_records_keep_their_addresses(tmp_path: Path) -> None:
    rec = record(srcaddr="2600:1f18:aaaa:bb01::5", dstaddr="2606:4700:4700::1111")
    (got,) = rows(write(tmp_path / "v6.gz", text([rec])))
    assert got["srcaddr"] == "2600:1f18:aaaa:bb01::5"
    assert got["dstaddr"] == "2606:4700:4700::1111"


# ---------------------------------------------------------------- custom formats


def test_custom_field_order_from_format_string(tmp_path: Path) -> None:
    fmt = "${srcaddr} ${dstaddr} ${bytes} ${vpc-id} ${tcp-flags} ${flow-direction}"
    fields = parse_format(fmt)
    rec = record(vpc_id="vpc-0abc", tcp_flags=19, flow_direction="egress", bytes=123)
    path = write(tmp_path / "custom.log", text([rec], fields, header=False), gz=False)
    table = read_flow_logs(path, format=fmt, progress=False).read_all()
    assert table.column_names == ["srcaddr", "dstaddr", "bytes", "vpc_id", "tcp_flags",
                                  "flow_direction"]
    assert table.to_pylist() == [{"srcaddr": "10.0.1.5", "dstaddr": "52.216.58.42",
                                  "bytes": 123, "vpc_id": "vpc-0abc", "tcp_flags": 19,
                                  "flow_direction": "egress"}]
    assert table.schema.field("tcp_flags").type == pa.int32()


def test_header_line_wins_over_format_argument(tmp_path: Path) -> None:
    fields = ("dstaddr", "srcaddr", "bytes")
    path = write(tmp_path / "h.gz", text([record(bytes=5)], fields))
    (got,) = rows(path, format="${version} ${srcaddr}")
    assert got == {"dstaddr": "52.216.58.42", "srcaddr": "10.0.1.5", "bytes": 5}


def test_all_vpc_fields_v3_to_v8_are_read_with_their_types(tmp_path: Path) -> None:
    fields = tuple(f for f in FIELDS if not FIELDS[f].tgw)
    rec = record(
        vpc_id="vpc-1", subnet_id="subnet-1", instance_id="i-1", tcp_flags=18, type="IPv4",
        pkt_srcaddr="10.0.9.9", pkt_dstaddr="3.5.16.209", region="us-east-1",
        az_id="use1-az4", sublocation_type="-", sublocation_id="-",
        pkt_src_aws_service="-", pkt_dst_aws_service="S3", flow_direction="egress",
        traffic_path=8, ecs_cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/c",
        ecs_cluster_name="c", ecs_container_instance_arn="-", ecs_container_instance_id="-",
        ecs_container_id="abc123", ecs_second_container_id="-", ecs_service_name="web",
        ecs_task_definition_arn="arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
        ecs_task_arn="arn:aws:ecs:us-east-1:123456789012:task/c/0f1e",
        ecs_task_id="0f1e", reject_reason="BPA", version=8,
    )
    (got,) = rows(write(tmp_path / "v8.gz", text([rec], fields)))
    assert got["traffic_path"] == 8 and got["tcp_flags"] == 18 and got["version"] == 8
    assert got["pkt_dst_aws_service"] == "S3" and got["pkt_dstaddr"] == "3.5.16.209"
    assert got["sublocation_type"] is None and got["reject_reason"] == "BPA"
    assert got["ecs_task_id"] == "0f1e" and got["ecs_service_name"] == "web"
    assert got["az_id"] == "use1-az4" and got["region"] == "us-east-1"


def test_transit_gateway_flow_logs(tmp_path: Path) -> None:
    rec = record(version=6, resource_type="TransitGateway", tgw_id="tgw-0123",
                 tgw_attachment_id="tgw-attach-1", tgw_src_vpc_account_id=ACCOUNT,
                 tgw_dst_vpc_account_id="210987654321", tgw_src_vpc_id="vpc-a",
                 tgw_dst_vpc_id="vpc-b", tgw_src_subnet_id="subnet-a",
                 tgw_dst_subnet_id="subnet-b", tgw_src_eni="eni-a", tgw_dst_eni="eni-b",
                 tgw_src_az_id="use1-az1", tgw_dst_az_id="use1-az2",
                 tgw_pair_attachment_id="tgw-attach-2", type="IPv4",
                 packets_lost_no_route=0, packets_lost_blackhole=7,
                 packets_lost_mtu_exceeded=0, packets_lost_ttl_expired=0, tcp_flags=2,
                 region="us-east-1", flow_direction="ingress", pkt_src_aws_service="-",
                 pkt_dst_aws_service="-")
    path = write(s3_key(tmp_path, service="transitgatewayflowlogs"),
                 text([rec], TGW_DEFAULT_FIELDS))
    table = read_flow_logs(path, progress=False).read_all()
    (got,) = table.to_pylist()
    assert got["tgw_id"] == "tgw-0123" and got["packets_lost_blackhole"] == 7
    assert table.schema.field("packets_lost_blackhole").type == pa.int64()
    assert got["tgw_dst_vpc_account_id"] == "210987654321" and got["srcport"] == 49152
    assert region_from_path(str(path)) == "us-east-1"


def test_unknown_field_in_format_is_an_error_listing_known_names() -> None:
    with pytest.raises(FlowLogError) as err:
        parse_format("${version} ${srcaddr} ${dst-addr}")
    assert "'dst-addr'" in str(err.value) and "pkt-dstaddr" in str(err.value)
    with pytest.raises(FlowLogError):
        read_flow_logs("-", format="${nope}")


def test_format_accepts_header_style_and_underscore_names() -> None:
    assert parse_format("version srcaddr log_status") == ("version", "srcaddr", "log-status")
    assert parse_format(["account_id", "tcp-flags"]) == ("account-id", "tcp-flags")


# ---------------------------------------------------------------- other deliveries


def test_parquet_with_hive_partitions_in_a_directory(tmp_path: Path) -> None:
    write_parquet(hive_key(tmp_path, "eu-west-1", "01"), [record(bytes=10)])
    write_parquet(hive_key(tmp_path, "eu-west-1", "02"),
                  [record(bytes=20, srcaddr="2600:1f18::1"), nodata(T0, T0 + 60)])
    reader = read_flow_logs(tmp_path, progress=False)
    table = reader.read_all()
    assert table.column("bytes").to_pylist() == [10, 20, None]
    assert table.schema.field("start").type == pa.timestamp("s", tz="UTC")
    assert table.column("start")[0].as_py() == ts(T0)
    assert table.column("srcaddr")[1].as_py() == "2600:1f18::1"
    assert reader.stats.nodata == 1 and reader.stats.files == 2
    assert [region_from_path(f) for f in reader.files] == ["eu-west-1", "eu-west-1"]


def test_cloudwatch_logs_export_timestamp_is_stripped(tmp_path: Path) -> None:
    lines = [f"2026-03-27T01:38:05.000Z {line(record(bytes=b))}" for b in (11, 12)]
    path = write(tmp_path / "000000.gz", ("\n".join(lines) + "\n").encode())
    got = rows(path)
    assert [r["bytes"] for r in got] == [11, 12]
    assert got[0]["version"] == 2 and got[0]["log_status"] == "OK"
    assert "__cw_timestamp" not in got[0]


def test_logs_insights_csv_columns_are_mapped_to_canonical_fields(tmp_path: Path) -> None:
    csv = ("srcAddr,dstAddr,dstPort,interfaceId,totalBytes,sum(packets)\n"
           "10.0.1.5,52.216.58.42,443,eni-1,123456,7\n"
           "10.0.1.6,3.5.16.209,443,eni-2,99,1\n")
    path = write(tmp_path / "logs-insights-results.csv", csv.encode(), gz=False)
    reader = read_flow_logs(path, progress=False)
    table = reader.read_all()
    assert table.column_names == ["srcaddr", "dstaddr", "dstport", "interface_id", "bytes",
                                  "packets"]
    assert table.to_pylist()[0] == {"srcaddr": "10.0.1.5", "dstaddr": "52.216.58.42",
                                    "dstport": 443, "interface_id": "eni-1", "bytes": 123456,
                                    "packets": 7}
    assert table.schema.field("bytes").type == pa.int64()


def test_logs_insights_json_list_and_get_query_results(tmp_path: Path) -> None:
    listing = [{"@timestamp": "2026-03-27 01:38:05.000", "srcAddr": "10.0.1.5",
                "dstAddr": "52.216.58.42", "bytes_sum": "5000"}]
    p1 = write(tmp_path / "a.json", json.dumps(listing).encode(), gz=False)
    api = {"status": "Complete", "results": [[{"field": "dstaddr", "value": "3.5.16.209"},
                                                {"field": "sum(bytes)", "value": "42"}]]}
    p2 = write(tmp_path / "b.json", json.dumps(api).encode(), gz=False)
    reader = read_flow_logs([p1, p2], progress=False)
    got = reader.read_all().to_pylist()
    assert got[0]["srcaddr"] == "10.0.1.5" and got[0]["bytes"] == 5000
    assert got[1]["dstaddr"] == "3.5.16.209" and got[1]["bytes"] == 42
    assert got[1]["srcaddr"] is None
    assert "@timestamp" in reader.stats.ignored_columns


def test_logs_insights_message_column_is_parsed_as_records(tmp_path: Path) -> None:
    listing = [{"@timestamp": "2026-03-27 01:38:05.000",
                "@message": line(record(bytes=31))}]
    (got,) = rows(write(tmp_path / "m.json", json.dumps(listing).encode(), gz=False))
    assert got["bytes"] == 31 and got["dstport"] == 443


def test_logs_insights_without_address_column_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "agg.csv", b"interfaceId,totalBytes\neni-1,5\n", gz=False)
    with pytest.raises(FlowLogError, match="no address column"):
        rows(path)


# ---------------------------------------------------------------- NODATA / SKIPDATA


def test_nodata_and_skipdata_are_kept_counted_with_time_span(tmp_path: Path) -> None:
    recs = [record(), nodata(T0 - 600, T0 - 540), skipdata(T0 + 100, T0 + 160),
            nodata(T0 + 1000, T0 + 1060), record(bytes=1)]
    reader = read_flow_logs(write(tmp_path / "n.gz", text(recs)), progress=False)
    table = reader.read_all()
    assert table.column("log_status").to_pylist() == ["OK", "NODATA", "SKIPDATA", "NODATA",
                                                      "OK"]
    s = reader.stats
    assert (s.records, s.nodata, s.skipdata, s.skipped) == (5, 2, 1, 0)
    assert s.nodata_span == (ts(T0 - 600), ts(T0 + 1060))
    assert s.skipdata_span == (ts(T0 + 100), ts(T0 + 160))
    traffic = traffic_only(table)
    assert traffic.column("bytes").to_pylist() == [4000, 1]


# ---------------------------------------------------------------- bad input


GARBAGE = [
    ("2 123456789012 eni-1 10.0.1.5 52.216.58.42 443", "expected 14 fields"),
    (line(record(packets="lots")), "packets is not a number"),
    (line(record(dstaddr="not-an-ip")), "dstaddr is not an IP address"),
]


def test_bad_lines_are_skipped_and_reported_with_line_numbers(tmp_path: Path) -> None:
    lines = [line(record(bytes=1)), *(g for g, _ in GARBAGE), line(record(bytes=2))]
    data = ("\n".join(["version " + " ".join(DEFAULT_FIELDS[1:]), *lines]) + "\n").encode()
    data += b"\xff\xfe\x00binary\x01garbage\n" + line(record(bytes=3)).encode() + b"\n"
    path = write(tmp_path / "bad.gz", data)
    reader = read_flow_logs(path, progress=False)
    assert reader.read_all().column("bytes").to_pylist() == [1, 2, 3]
    s = reader.stats
    assert s.skipped == 4 and s.records == 3
    assert [(x.line, x.file) for x in s.skipped_lines] == [(3, str(path)), (4, str(path)),
                                                           (5, str(path)), (7, str(path))]
    for x, (_, reason) in zip(s.skipped_lines[:3], GARBAGE, strict=True):
        assert reason in x.reason


def test_strict_mode_raises_at_first_bad_line_naming_file_line_value(tmp_path: Path) -> None:
    data = text([record(), line(record(packets="lots")), record()])
    path = write(tmp_path / "bad.log", data, gz=False)
    with pytest.raises(FlowLogError) as err:
        rows(path, strict=True)
    assert str(path) in str(err.value) and "line 3" in str(err.value)
    assert "'lots'" in str(err.value)


def test_bad_line_in_a_later_block_has_the_right_line_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_mod, "BLOCK_SIZE", 4096)
    recs: list[dict[str, object] | str] = [record(bytes=i) for i in range(500)]
    recs[400] = "garbage here"
    reader = read_flow_logs(write(tmp_path / "x.gz", text(recs)), progress=False)
    got = reader.read_all().column("bytes").to_pylist()
    assert got == [i for i in range(500) if i != 400]
    assert [x.line for x in reader.stats.skipped_lines] == [402]  # header is line 1


def test_truncated_gzip_yields_readable_records_then_raises(tmp_path: Path) -> None:
    recs = [record(bytes=i) for i in range(20000)]
    path = truncate(write(tmp_path / "cut.log.gz", text(recs)), 0.5)
    reader = read_flow_logs(path, progress=False)
    got: list[int] = []
    with pytest.raises(FlowLogError) as err:
        for batch in reader:
            got.extend(batch.column("bytes").to_pylist())
    assert str(path) in str(err.value) and "truncated or corrupt" in str(err.value)
    assert "byte" in str(err.value)
    assert len(got) > 1000 and got == list(range(len(got)))


def test_empty_and_header_only_files_give_no_rows(tmp_path: Path) -> None:
    a = write(tmp_path / "empty.gz", b"")
    b = write(tmp_path / "header.gz", text([]))
    reader = read_flow_logs([a, b], progress=False)
    assert reader.read_all().num_rows == 0 and reader.stats.files == 2


# ---------------------------------------------------------------- sources


def test_directory_recursion_and_glob_and_lists(tmp_path: Path) -> None:
    write(s3_key(tmp_path, "us-east-1", "20260327T0135Z"), text([record(bytes=1)]))
    write(s3_key(tmp_path, "eu-west-1", "20260327T0140Z"), text([record(bytes=2)]))
    write(tmp_path / "AWSLogs" / ".hidden.gz", b"junk")
    reader = read_flow_logs(tmp_path, progress=False)
    assert sorted(reader.read_all().column("bytes").to_pylist()) == [1, 2]
    assert sorted(region_from_path(f) or "" for f in reader.files) == ["eu-west-1",
                                                                        "us-east-1"]
    by_glob = rows(str(tmp_path / "AWSLogs" / "**" / "*_us-east-1_*.log.gz"))
    assert [r["bytes"] for r in by_glob] == [1]


def test_batches_carry_their_file_path(tmp_path: Path) -> None:
    p = write(s3_key(tmp_path, "ap-southeast-2"), text([record()]))
    (batch,) = list(read_flow_logs(p, progress=False))
    assert batch.schema.metadata[b"awsip.file"].decode() == str(p)
    assert region_from_path(str(p)) == "ap-southeast-2"


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FlowLogError, match="no such file"):
        read_flow_logs(tmp_path / "nope.gz")
    with pytest.raises(FlowLogError, match="no files match"):
        read_flow_logs(str(tmp_path / "*.nothing"))


def test_stdin_gzip(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(text([record(bytes=9)]))

    class FakeStdin:
        buffer = io.BytesIO(data)

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    assert [r["bytes"] for r in rows("-")] == [9]


def test_files_with_different_formats_are_unified_by_read_all(tmp_path: Path) -> None:
    a = write(tmp_path / "a.gz", text([record(bytes=1)]))
    b = write(tmp_path / "b.gz", text([record(bytes=2, vpc_id="vpc-9")],
                                      (*DEFAULT_FIELDS, "vpc-id")))
    table = read_flow_logs([a, b], progress=False).read_all()
    assert table.column("vpc_id").to_pylist() == [None, "vpc-9"]
    assert table.column("bytes").to_pylist() == [1, 2]


def test_progress_bar_goes_to_stderr_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = write(tmp_path / "a.gz", text([record()]))
    assert len(read_flow_logs(p, progress=True).read_all()) == 1
    out, err = capsys.readouterr()
    assert out == "" and "flow logs" in err


def test_import_awsip_does_not_import_pyarrow() -> None:
    code = ("import sys, awsip; awsip.read_flow_logs; import awsip.flowlogs; "
            "print('pyarrow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_reading_text_and_parquet_flow_logs_does_not_make_pyarrow_import_pandas(
        tmp_path: Path) -> None:
    # pyarrow imports pandas (~0.15 s) when it converts Python values (pa.array, pa.scalar,
    # to_numpy) and pandas is installed; the reader builds its Arrow values from buffers
    # (awsip.arrowutil), so a script that only reads flow logs does not pay for it.
    pytest.importorskip("pandas", reason="pandas is not installed: nothing to import")
    recs = [record(bytes=5), record(bytes=6, start=T0 * 1000, end=T0 * 1000 + 60_000),
            nodata(T0, T0 + 60), record(srcaddr="999.1.2.3")]
    gz = write(tmp_path / "a.log.gz", text(recs))
    parquet = write_parquet(tmp_path / "b.parquet", recs)
    code = ("import sys, awsip\n"
            "for path in sys.argv[1:]:\n"
            "    reader = awsip.read_flow_logs(path, progress=False)\n"
            "    assert reader.read_all().num_rows == 3 and reader.stats.skipped == 1\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(gz), str(parquet)],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_public_api_reads(tmp_path: Path) -> None:
    p = write(tmp_path / "a.gz", text([record(bytes=5)]))
    assert awsip.read_flow_logs(p, progress=False).read_all().column("bytes").to_pylist() == [5]


def test_header_with_a_field_unknown_to_the_catalogue_reads_it_as_string(tmp_path: Path) -> None:
    fields = (*DEFAULT_FIELDS, "future-field")
    data = text([line(record(bytes=8)) + " some-value"], fields)
    reader = read_flow_logs(write(tmp_path / "f.gz", data), progress=False)
    (got,) = reader.read_all().to_pylist()
    assert got["future_field"] == "some-value" and got["bytes"] == 8
    assert reader.stats.unknown_fields == ["future-field"]


def test_values_stay_intact_across_reused_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_mod, "BLOCK_SIZE", 1000)
    recs = [record(srcaddr=f"10.0.{i // 256}.{i % 256}", interface_id=f"eni-{i:08x}", bytes=i)
            for i in range(2000)]
    recs.append(record(srcaddr="10.9.9.9", action="X" * 5000))  # longer than the buffer
    table = read_flow_logs(write(tmp_path / "r.gz", text(recs)), progress=False).read_all()
    assert table.column("srcaddr").to_pylist()[:2000] == [f"10.0.{i // 256}.{i % 256}"
                                                         for i in range(2000)]
    assert table.column("interface_id").to_pylist()[1999] == "eni-000007cf"
    assert table.column("action").to_pylist()[-1] == "X" * 5000


def test_last_line_without_newline_and_crlf_endings(tmp_path: Path) -> None:
    data = text([record(bytes=1), record(bytes=2)]).rstrip(b"\n")
    crlf = text([record(bytes=3), line(record(packets="x")), record(bytes=4)]).replace(
        b"\n", b"\r\n")
    a = write(tmp_path / "a.log", data, gz=False)
    b = write(tmp_path / "b.gz", crlf)
    reader = read_flow_logs([a, b], progress=False)
    assert reader.read_all().column("bytes").to_pylist() == [1, 2, 3, 4]
    assert [x.line for x in reader.stats.skipped_lines] == [3]


@pytest.mark.parametrize("exact_bytes", [64, 1 << 20])
def test_bisection_to_bad_lines_keeps_every_good_line_and_line_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exact_bytes: int
) -> None:
    monkeypatch.setattr(reader_mod, "EXACT_BYTES", exact_bytes)
    bad_at = {7, 500, 501, 2999}
    recs: list[dict[str, object] | str] = [
        line(record(bytes="NaN")) if i in bad_at else record(bytes=i) for i in range(3000)
    ]
    reader = read_flow_logs(write(tmp_path / "b.gz", text(recs)), progress=False)
    assert reader.read_all().column("bytes").to_pylist() == [
        i for i in range(3000) if i not in bad_at]
    assert [x.line for x in reader.stats.skipped_lines] == sorted(i + 2 for i in bad_at)


def test_concatenated_s3_files_repeat_their_header_which_is_not_a_bad_line(
    tmp_path: Path,
) -> None:
    data = text([record(bytes=1)]) + text([record(bytes=2)]) + text([record(bytes=3)])
    reader = read_flow_logs(write(tmp_path / "cat.log", data, gz=False), progress=False)
    assert reader.read_all().column("bytes").to_pylist() == [1, 2, 3]
    assert (reader.stats.skipped, reader.stats.repeated_headers) == (0, 2)


def test_corrupt_gzip_raises_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.log.gz", text([record(bytes=i) for i in range(20000)]))
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 50):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    with pytest.raises(FlowLogError, match="truncated or corrupt") as err:
        rows(path)
    assert str(path) in str(err.value)


def test_stopping_early_closes_the_file_and_decompression_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setattr(reader_mod, "BLOCK_SIZE", 1 << 16)
    path = write(tmp_path / "big.gz", text([record(bytes=i) for i in range(50000)]))
    before = threading.active_count()
    it = iter(read_flow_logs(path, progress=False))
    next(it)
    it.close()  # type: ignore[attr-defined]
    assert threading.active_count() == before


def test_threaded_parser_failure_without_reason_is_retried_serially(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyarrow import csv

    real = csv.read_csv
    calls = {"threaded": 0}

    def flaky(data: object, read_options: csv.ReadOptions, **kw: object) -> pa.Table:
        if read_options.use_threads:
            calls["threaded"] += 1
            raise pa.ArrowException("a chunk failed converting for an unknown reason")
        return real(data, read_options=read_options, **kw)

    monkeypatch.setattr(csv, "read_csv", flaky)
    reader = read_flow_logs(write(tmp_path / "a.gz", text([record(bytes=3)])), progress=False)
    assert reader.read_all().column("bytes").to_pylist() == [3]
    assert calls["threaded"] == 1 and reader.stats.skipped == 0


@pytest.mark.parametrize(("path", "region"), [
    ("s3://b/AWSLogs/123456789012/vpcflowlogs/eu-central-1/2026/03/27/x.log.gz", "eu-central-1"),
    ("/d/AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=us-gov-west-1/year=2026/"
     "f.parquet", "us-gov-west-1"),
    ("123456789012_vpcflowlogs_ap-northeast-3_fl-1_20260327T0135Z_ab.log.gz", "ap-northeast-3"),
    ("/tmp/flows.log.gz", None),
])
def test_region_from_path(path: str, region: str | None) -> None:
    assert region_from_path(path) == region


def test_cloudwatch_export_with_custom_format(tmp_path: Path) -> None:
    fmt = "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${bytes} ${flow-direction}"
    rec = record(version=5, vpc_id="vpc-7", bytes=64, flow_direction="ingress")
    data = f"2026-03-27T01:38:05.000Z {line(rec, parse_format(fmt))}\n".encode()
    (got,) = rows(write(tmp_path / "cw.gz", data), format=fmt)
    assert got == {"version": 5, "vpc_id": "vpc-7", "srcaddr": "10.0.1.5",
                   "dstaddr": "52.216.58.42", "bytes": 64, "flow_direction": "ingress"}


def test_parquet_row_with_a_bad_address_is_skipped_or_strict_error(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "p.parquet",
                         [record(bytes=1), record(bytes=2, dstaddr="garbage!"), record(bytes=3)])
    reader = read_flow_logs(path, progress=False)
    assert reader.read_all().column("bytes").to_pylist() == [1, 3]
    assert [x.line for x in reader.stats.skipped_lines] == [2]
    with pytest.raises(FlowLogError, match="line 2"):
        rows(path, strict=True)


def test_tables_hold_the_same_records_as_the_batches_one_table_per_block(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_mod, "BLOCK_SIZE", 4000)
    recs = [record(srcaddr=f"10.0.{i // 256}.{i % 256}", bytes=i) for i in range(600)]
    path = write(tmp_path / "t.gz", text(recs))
    batches = list(read_flow_logs(path, progress=False))
    reader = read_flow_logs(path, progress=False)
    tables = list(reader.tables())
    assert len(tables) > 1
    assert all(t.schema.metadata[b"awsip.file"] == str(path).encode() for t in tables)
    assert pa.concat_tables(tables).to_pylist() == pa.Table.from_batches(batches).to_pylist()
    assert reader.stats.records == 600
    with pytest.raises(FlowLogError, match="only once"):
        list(reader.tables())


def test_columns_reads_only_the_named_fields_that_the_file_has(tmp_path: Path) -> None:
    recs = [record(bytes=10), record(bytes=20, srcaddr="2600:1f18::1"), nodata(T0, T0 + 60)]
    path = write(tmp_path / "c.gz", text(recs))
    wanted = ["bytes", "srcaddr", "log_status", "flow_direction"]  # no flow-direction in v2
    reader = read_flow_logs(path, progress=False, columns=wanted)
    table = reader.read_all()
    full = read_flow_logs(path, progress=False).read_all()
    assert table.column_names == ["srcaddr", "bytes", "log_status"]  # the file's order
    assert table.to_pylist() == full.select(table.column_names).to_pylist()
    assert reader.stats.nodata == 1 and reader.stats.records == 3
    empty = read_flow_logs(write(tmp_path / "e.gz", b""), progress=False, columns=wanted)
    assert empty.read_all().column_names == ["srcaddr", "bytes", "log_status"]


def test_with_columns_only_the_fields_read_decide_whether_a_line_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad_port = line(record(srcport="x", bytes=2))
    short = " ".join(line(record()).split()[:-1])
    recs = [record(bytes=1), bad_port, record(bytes=3), short, record(bytes=4)]
    path = write(tmp_path / "b.gz", text(recs))
    # the same answer line by line (the whole small file fails the fast path and is re-read
    # line by line) and with one line per block (the fast path takes the bad port)
    for block in (reader_mod.BLOCK_SIZE, 64):
        monkeypatch.setattr(reader_mod, "BLOCK_SIZE", block)
        some = read_flow_logs(path, progress=False, columns=["bytes", "srcaddr"])
        assert some.read_all().column("bytes").to_pylist() == [1, 2, 3, 4]
        assert [x.line for x in some.stats.skipped_lines] == [5]  # wrong field count (line 1:
        # the header)
        every = read_flow_logs(path, progress=False)
        assert every.read_all().column("bytes").to_pylist() == [1, 3, 4]
        assert [x.line for x in every.stats.skipped_lines] == [3, 5]


def test_columns_apply_to_parquet_files(tmp_path: Path) -> None:
    write_parquet(hive_key(tmp_path, "eu-west-1", "01"), [record(bytes=10)])
    table = read_flow_logs(tmp_path, progress=False, columns=["dstaddr", "bytes"]).read_all()
    assert table.column_names == ["dstaddr", "bytes"] and table.column("bytes").to_pylist() == [10]


def test_many_small_files_give_the_records_and_counts_of_reading_each_alone(
        tmp_path: Path) -> None:
    # Files are read as one pipeline (the next file opened while this one's block is parsed):
    # the records, their order and every count are those of reading the files one by one.
    paths = []
    for k in range(9):
        recs = [record(bytes=100 * k + i, srcport=1024 + i) for i in range(5)] + \
            ([nodata(T0 + k, T0 + k + 60)] if k % 3 == 0 else []) + \
            ([record(dstaddr="999.1.2.3")] if k == 4 else [])
        paths.append(write(tmp_path / f"f{k}.log.gz", text(recs), gz=k % 2 == 0))
    paths.insert(5, write_parquet(tmp_path / "p.parquet", [record(bytes=7777)]))
    together = read_flow_logs(paths, progress=False)
    got = together.read_all()
    alone = [read_flow_logs(p, progress=False) for p in paths]
    want = pa.concat_tables([r.read_all() for r in alone], promote_options="permissive")
    assert got.column("bytes").to_pylist() == want.column("bytes").to_pylist()
    assert together.files == [str(p) for p in paths]
    total = FlowLogStats()
    for r in alone:
        total.add(r.stats)
    assert together.stats == total
    assert (together.stats.files, together.stats.nodata, together.stats.skipped) == (10, 3, 1)


def test_an_unreadable_file_stops_the_read_after_the_records_of_the_files_before_it(
        tmp_path: Path) -> None:
    first = write(tmp_path / "a.log.gz", text([record(bytes=1), record(bytes=2)]))
    whole = text([record(bytes=b) for b in range(3, 2000)])
    broken = tmp_path / "b.log.gz"
    broken.write_bytes(gzip.compress(whole)[:-3000])  # truncated inside its data
    last = write(tmp_path / "c.log.gz", text([record(bytes=9999)]))
    reader = read_flow_logs([first, broken, last], progress=False)
    seen: list[int] = []
    with pytest.raises(FlowLogError, match=r"b\.log\.gz"):
        for table in reader.tables():
            seen.extend(table.column("bytes").to_pylist())
    assert seen[:2] == [1, 2] and 9999 not in seen and len(seen) > 2
    assert reader.files == [str(first), str(broken)]


@pytest.mark.parametrize("times", [2, 3])
def test_text_compressed_again_and_again_is_read(tmp_path: Path, times: int) -> None:
    data = text([record(bytes=5), record(bytes=6)])
    for _ in range(times):
        data = gzip.compress(data)
    path = tmp_path / "nested.log.gz"
    path.write_bytes(data)
    reader = read_flow_logs(path, progress=False)
    assert reader.read_all().column("bytes").to_pylist() == [5, 6]
    assert (reader.stats.files, reader.stats.records) == (1, 2)
