"""Amazon Security Lake's VPC flow records (OCSF Network Activity in Parquet) read as flow logs.

The records are the published mapping examples of github.com/ocsf/examples (the ones the
Security Lake user guide's "VPC Flow Logs in Security Lake" page links: source version 1 is OCSF
1.0.0-rc.2, source version 2 is OCSF 1.1.0; and the 1.5.0 one), written as Parquet with the
column types of Security Lake's Glue tables; each must read back as the flow-log record of the
example's ``vpcflowlog.raw``. Other records go through the forward mapping (as the examples'
Data Prepper pipeline does it) and must read back as the text reader reads the same lines.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awsip
from awsip.errors import FlowLogError

S, I32, I64 = pa.string(), pa.int32(), pa.int64()
TS = pa.timestamp("ms", tz="UTC")


def _endpoint() -> pa.DataType:
    return pa.struct([("port", I32), ("svc_name", S), ("ip", S),
                      ("intermediate_ips", pa.list_(S)), ("interface_uid", S),
                      ("vpc_uid", S), ("instance_uid", S), ("subnet_uid", S)])


_COMMON = [
    ("metadata", pa.struct([("product", pa.struct([("version", S), ("name", S),
                                                   ("feature", pa.struct([("name", S)])),
                                                   ("vendor_name", S)])),
                            ("profiles", pa.list_(S)), ("version", S)])),
    ("src_endpoint", _endpoint()), ("dst_endpoint", _endpoint()),
    ("connection_info", pa.struct([("protocol_num", I32), ("tcp_flags", I32),
                                   ("protocol_ver", S), ("boundary_id", I32), ("boundary", S),
                                   ("direction_id", I32), ("direction", S)])),
    ("traffic", pa.struct([("packets", I64), ("bytes", I64)])),
    ("time", I64), ("status_code", S), ("severity_id", I32), ("severity", S),
    ("class_name", S), ("class_uid", I32), ("category_name", S), ("category_uid", I32),
    ("activity_name", S), ("activity_id", I32), ("disposition", S), ("type_uid", I64),
    ("type_name", S), ("unmapped", pa.map_(S, S)),
]
#: Security Lake source version 2 (OCSF 1.1.0): cloud.account.uid, *_time_dt timestamps
V2 = pa.schema([*_COMMON,
                ("cloud", pa.struct([("account", pa.struct([("uid", S)])), ("provider", S),
                                     ("region", S), ("zone", S)])),
                ("time_dt", TS), ("start_time_dt", TS), ("end_time_dt", TS),
                ("action", S), ("action_id", I32),
                ("observables", pa.list_(pa.struct([("name", S), ("type", S),
                                                    ("type_id", I32), ("value", S)])))])
#: Security Lake source version 1 (OCSF 1.0.0-rc.2): cloud.account_uid, start/end_time in ms
V1 = pa.schema([*_COMMON,
                ("cloud", pa.struct([("account_uid", S), ("region", S), ("zone", S),
                                     ("provider", S)])),
                ("start_time", I64), ("end_time", I64), ("disposition_id", I32)])


def _metadata(version: str, ocsf: str) -> dict[str, Any]:
    return {"product": {"version": version, "name": "Amazon VPC",
                        "feature": {"name": "Flowlogs"}, "vendor_name": "AWS"},
            "profiles": ["cloud", "security_control", "datetime"], "version": ocsf}


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


# mappings/markdown/AWS/v1.1.0/VPC Flowlogs/samples/vpcflowlog.ocsf (timestamps in UTC)
SAMPLE_1_1_0 = {
    "action": "Denied", "action_id": 2, "activity_id": 5, "activity_name": "Refuse",
    "category_name": "Network Activity", "category_uid": 4,
    "class_name": "Network Activity", "class_uid": 4001,
    "cloud": {"account": {"uid": "123456789012"}, "provider": "AWS", "region": "us-east-1",
              "zone": "use1-az1"},
    "connection_info": {"boundary": "-", "boundary_id": 99, "direction": "Inbound",
                        "direction_id": 1, "protocol_num": 6, "protocol_ver": "IPv4",
                        "tcp_flags": 2},
    "disposition": "Blocked",
    "dst_endpoint": {"instance_uid": "i-000000000000000000",
                     "interface_uid": "eni-000000000000000000", "ip": "172.31.2.52",
                     "port": 39938, "subnet_uid": "subnet-000000000000000000",
                     "svc_name": "-", "vpc_uid": "vpc-00000000"},
    "end_time_dt": _at(1649721788),
    "metadata": _metadata("5", "1.1.0"),
    "observables": [{"name": "dst_endpoint.ip", "type": "IP Address", "type_id": 2,
                     "value": "172.31.2.52"}],
    "severity": "Informational", "severity_id": 1,
    "src_endpoint": {"ip": "1.2.3.4", "port": 56858, "svc_name": "-"},
    "start_time_dt": _at(1649721732), "status_code": "OK", "time": 1649721732000,
    "time_dt": _at(1649721732), "traffic": {"bytes": 40, "packets": 1},
    "type_name": "Network Activity: Refuse", "type_uid": 400105,
    "unmapped": [("sublocation_id", "-"), ("sublocation_type", "-")],
}

# mappings/markdown/AWS/v1.0.0-rc.2/VPC Flowlogs/samples/vpcflowlog.ocsf
SAMPLE_1_0_0_RC2 = {
    "metadata": _metadata("5", "1.0.0-rc.2"),
    "cloud": {"account_uid": "123456789012", "region": "us-east-1", "zone": "use1-az1",
              "provider": "AWS"},
    "src_endpoint": {"port": 56858, "svc_name": "-", "ip": "1.2.3.4"},
    "dst_endpoint": {"port": 39938, "svc_name": "-", "ip": "172.31.2.52",
                     "interface_uid": "eni-000000000000000000", "vpc_uid": "vpc-00000000",
                     "instance_uid": "i-000000000000000000",
                     "subnet_uid": "subnet-000000000000000000"},
    "connection_info": {"protocol_num": 6, "tcp_flags": 2, "protocol_ver": "IPv4",
                        "boundary_id": 99, "boundary": "-", "direction_id": 1,
                        "direction": "Inbound"},
    "traffic": {"packets": 1, "bytes": 40},
    "time": 1649721732000, "start_time": 1649721732000, "end_time": 1649721788000,
    "status_code": "OK", "severity_id": 1, "severity": "Informational",
    "class_name": "Network Activity", "class_uid": 4001, "category_name": "Network Activity",
    "category_uid": 4, "activity_name": "Refuse", "activity_id": 5, "disposition": "Blocked",
    "disposition_id": 2, "type_uid": 400105, "type_name": "Network Activity: Refuse",
    "unmapped": [("sublocation_id", "-"), ("sublocation_type", "-")],
}

# Both samples come from this record (samples/vpcflowlog.raw, v5 fields), as the reader gives
# it: "-" is null; the examples anonymised interface_id to 18 zeros on the OCSF side.
RAW_V5 = {
    "version": 5, "account_id": "123456789012", "interface_id": "eni-000000000000000000",
    "srcaddr": "1.2.3.4", "dstaddr": "172.31.2.52", "srcport": 56858, "dstport": 39938,
    "protocol": 6, "packets": 1, "bytes": 40, "start": _at(1649721732),
    "end": _at(1649721788), "action": "REJECT", "log_status": "OK",
    "vpc_id": "vpc-00000000", "subnet_id": "subnet-000000000000000000",
    "instance_id": "i-000000000000000000", "tcp_flags": 2, "type": "IPv4",
    "pkt_srcaddr": "1.2.3.4", "pkt_dstaddr": "172.31.2.52", "region": "us-east-1",
    "az_id": "use1-az1", "sublocation_type": None, "sublocation_id": None,
    "pkt_src_aws_service": None, "pkt_dst_aws_service": None, "flow_direction": "ingress",
    "traffic_path": None,
}


def write(path: Path, rows: list[dict[str, Any]], schema: pa.Schema) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def read(path: Path, **kw: Any) -> tuple[pa.Table, awsip.FlowLogStats]:
    reader = awsip.read_flow_logs(path, progress=False, **kw)
    return reader.read_all(), reader.stats


@pytest.mark.parametrize(("sample", "schema"), [(SAMPLE_1_1_0, V2), (SAMPLE_1_0_0_RC2, V1)],
                         ids=["source-version-2-ocsf-1.1.0", "source-version-1-ocsf-rc2"])
def test_security_lake_sample_reads_back_as_the_flow_log_record_it_maps(
        tmp_path: Path, sample: dict[str, Any], schema: pa.Schema) -> None:
    table, stats = read(write(tmp_path / "part-0000.gz.parquet", [sample], schema))
    assert table.to_pylist() == [RAW_V5]
    assert (stats.records, stats.skipped, stats.lines) == (1, 0, 1)
    assert table.schema.field("srcport").type == pa.int32()
    assert table.schema.field("bytes").type == pa.int64()
    assert table.schema.field("start").type == pa.timestamp("s", tz="UTC")
    assert stats.millisecond_times == 0  # OCSF times are milliseconds by definition
    assert "severity" in stats.ignored_columns and "type_uid" in stats.ignored_columns


def test_ocsf_1_5_sample_intermediate_ip_and_unmapped_fields(tmp_path: Path) -> None:
    """mappings/markdown/AWS/v1.5.0/VPC Flowlogs: an egress record whose destination went
    through NAT (dst intermediate_ips) and whose v8 and ECS fields are in ``unmapped``."""
    ecs = {"ecs_cluster_name": "HostingStack-servercluster001A1A00-VR6z36tUltC8",
           "ecs_task_id": "k5ivh86ham2ic6vhiadec7190329gyov",
           "ecs_container_instance_id": "-"}
    row = {
        **SAMPLE_1_1_0, "action": "Allowed", "action_id": 1, "activity_id": 6,
        "disposition": "Allowed",
        "cloud": {"account": {"uid": "123456789012"}, "provider": "AWS",
                  "region": "us-east-2", "zone": "use2-az2"},
        "connection_info": {"boundary": "Same VPC", "boundary_id": 4, "direction": "Outbound",
                            "direction_id": 2, "protocol_num": 6, "protocol_ver": "IPv4",
                            "tcp_flags": 19},
        "dst_endpoint": {"intermediate_ips": ["10.0.0.1"], "ip": "1.2.3.5", "port": 8864,
                         "svc_name": "-"},
        "src_endpoint": {"instance_uid": "-", "interface_uid": "eni-0000000000000000",
                         "ip": "1.2.3.4", "port": 8080, "subnet_uid": "subnet-04941e5249e5fb165",
                         "svc_name": "-", "vpc_uid": "vpc-00000000"},
        "metadata": _metadata("8", "1.5.0"),
        "time": 1752247584000, "start_time_dt": _at(1752247584),
        "end_time_dt": _at(1752247603), "traffic": {"bytes": 38526, "packets": 8},
        "unmapped": [("ecs_cluster_name", ecs["ecs_cluster_name"]),
                     ("ecs_task_id", ecs["ecs_task_id"]),
                     ("ecs_container_instance_id", "-"), ("reject_reason", "Accepted"),
                     ("sublocation_id", "-"), ("not_a_field", "x")],
    }
    table, stats = read(write(tmp_path / "v15.parquet", [row], V2))
    got = table.to_pylist()[0]
    assert {k: got[k] for k in ("srcaddr", "pkt_srcaddr", "dstaddr", "pkt_dstaddr")} == {
        "srcaddr": "1.2.3.4", "pkt_srcaddr": "1.2.3.4",
        "dstaddr": "10.0.0.1", "pkt_dstaddr": "1.2.3.5"}  # the raw record's four addresses
    assert (got["interface_id"], got["vpc_id"], got["subnet_id"], got["instance_id"]) == (
        "eni-0000000000000000", "vpc-00000000", "subnet-04941e5249e5fb165", None)
    assert (got["flow_direction"], got["traffic_path"], got["action"], got["version"]) == (
        "egress", 1, "ACCEPT", 8)
    assert (got["start"], got["end"]) == (_at(1752247584), _at(1752247603))
    assert got["ecs_cluster_name"] == ecs["ecs_cluster_name"]
    assert got["ecs_task_id"] == ecs["ecs_task_id"]
    assert got["ecs_container_instance_id"] is None
    assert got["reject_reason"] == "Accepted"
    assert "unmapped.not_a_field" in stats.ignored_columns
    assert table.schema.field("traffic_path").type == pa.int32()


# ---------------------------------------------------------------- forward mapping round trip

FIELDS_V5 = [
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id",
    "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region",
    "az-id", "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path"]
LINES = [
    "5 111122223333 eni-0a1 10.0.0.5 52.216.58.42 40000 443 6 12 5120 1700000000 1700000060 "
    "ACCEPT OK vpc-1 subnet-1 i-1 19 IPv4 10.0.0.5 52.216.58.42 us-east-1 use1-az1 - S3 egress 8",
    "5 111122223333 eni-0b2 10.0.1.9 10.0.0.5 443 40000 6 3 900 1700000005 1700000065 "
    "ACCEPT OK vpc-1 subnet-2 - 3 IPv4 52.95.1.1 10.0.0.5 us-east-1 use1-az2 AMAZON - ingress -",
    "5 111122223333 eni-0c3 10.0.2.7 10.0.0.9 0 0 1 1 84 1700000010 1700000070 "
    "REJECT OK vpc-2 subnet-3 i-3 0 IPv4 10.0.2.7 10.0.0.9 eu-west-1 euw1-az1 - - egress 1",
    "5 111122223333 eni-0d4 - - - - - - - 1700000020 1700000080 - NODATA vpc-2 subnet-4 - - - "
    "- - eu-west-1 euw1-az3 - - - -",
]


def forward(line: str) -> dict[str, Any]:
    """One flow-log line as Security Lake maps it (OCSF 1.1.0; the examples' pipeline.yaml)."""
    raw = {k: (None if v == "-" else v) for k, v in zip(FIELDS_V5, line.split(), strict=True)}

    def num(k: str) -> int | None:
        return None if raw[k] is None else int(raw[k])  # type: ignore[arg-type]

    ingress = raw["flow-direction"] == "ingress"
    ids = {"interface_uid": raw["interface-id"], "vpc_uid": raw["vpc-id"],
           "instance_uid": raw["instance-id"], "subnet_uid": raw["subnet-id"]}

    def endpoint(side: str, here: bool) -> dict[str, Any]:
        addr, pkt = raw[f"{side}addr"], raw[f"pkt-{side}addr"]
        moved = pkt is not None and pkt != addr
        return {"port": num(f"{side}port"), "svc_name": raw[f"pkt-{side}-aws-service"],
                "ip": pkt if moved else addr, "intermediate_ips": [addr] if moved else None,
                **(ids if here else {})}

    path = num("traffic-path")
    return {
        "metadata": _metadata(raw["version"] or "", "1.1.0"),
        "cloud": {"account": {"uid": raw["account-id"]}, "provider": "AWS",
                  "region": raw["region"], "zone": raw["az-id"]},
        "src_endpoint": endpoint("src", not ingress), "dst_endpoint": endpoint("dst", ingress),
        "connection_info": {"protocol_num": num("protocol"), "tcp_flags": num("tcp-flags"),
                            "protocol_ver": raw["type"],
                            "boundary_id": None if path is None else path + 3,
                            "direction_id": {"ingress": 1, "egress": 2}.get(
                                raw["flow-direction"] or ""),
                            "direction": {"ingress": "Inbound", "egress": "Outbound"}.get(
                                raw["flow-direction"] or "")},
        "traffic": {"packets": num("packets"), "bytes": num("bytes")},
        "time": int(raw["start"] or 0) * 1000, "start_time_dt": _at(int(raw["start"] or 0)),
        "end_time_dt": _at(int(raw["end"] or 0)), "status_code": raw["log-status"],
        "class_uid": 4001,
        "action": {"ACCEPT": "Allowed", "REJECT": "Denied"}.get(raw["action"] or ""),
        "action_id": {"ACCEPT": 1, "REJECT": 2}.get(raw["action"] or ""),
    }


def test_forward_mapped_records_read_as_the_text_reader_reads_their_lines(
        tmp_path: Path) -> None:
    text = tmp_path / "flow.log"
    text.write_text(" ".join(FIELDS_V5) + "\n" + "\n".join(LINES) + "\n")
    expected, _ = read(text)
    table, stats = read(write(tmp_path / "lake.parquet", [forward(x) for x in LINES], V2))
    assert (stats.records, stats.nodata) == (4, 1)
    columns = [c for c in expected.column_names if c != "version"]  # version: from metadata
    assert set(columns) <= set(table.column_names)
    assert table.select(columns).to_pylist() == expected.select(columns).to_pylist()


# ---------------------------------------------------------------- bad rows, detection


def test_rows_of_another_ocsf_class_are_skipped_with_their_row_number(tmp_path: Path) -> None:
    rows = [forward(LINES[0]), {**forward(LINES[1]), "class_uid": 4003}, forward(LINES[2])]
    table, stats = read(write(tmp_path / "mixed.parquet", rows, V2))
    assert table.column("interface_id").to_pylist() == ["eni-0a1", "eni-0c3"]
    assert (stats.records, stats.skipped, stats.lines) == (2, 1, 3)
    bad = stats.skipped_lines[0]
    assert (bad.line, bad.reason) == (
        2, "class_uid is 4003, not 4001 (OCSF Network Activity): not a flow record")
    with pytest.raises(FlowLogError, match=r"mixed\.parquet, line 2: class_uid is 4003"):
        read(tmp_path / "mixed.parquet", strict=True)


def test_a_bad_value_in_one_ocsf_row_skips_only_that_row(tmp_path: Path) -> None:
    rows = [forward(x) for x in LINES[:3]]
    rows[0]["src_endpoint"] = {**rows[0]["src_endpoint"], "ip": "not-an-address"}
    rows[2]["traffic"] = {"packets": -1, "bytes": 84}
    table, stats = read(write(tmp_path / "bad.parquet", rows, V2))
    assert table.column("interface_id").to_pylist() == ["eni-0b2"]
    assert [(s.line, s.reason) for s in stats.skipped_lines] == [
        (1, "srcaddr is not an IP address: 'not-an-address'"),
        (3, "packets is not a number: '-1'")]


def test_ocsf_is_detected_from_content_whatever_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "export.txt", [forward(LINES[0])], V2)
    table, _ = read(path)
    assert table.column("dstaddr").to_pylist() == ["52.216.58.42"]
    assert table.column("pkt_dst_aws_service").to_pylist() == ["S3"]


def test_columns_and_time_window_apply_to_ocsf_records(tmp_path: Path) -> None:
    path = write(tmp_path / "w.parquet", [forward(x) for x in LINES], V2)
    table, stats = read(path, columns=["srcaddr", "bytes", "start"],
                        since="2023-11-14T22:13:25Z", until="2023-11-14T22:13:35Z")
    assert table.column_names == ["srcaddr", "bytes", "start"]
    assert table.column("srcaddr").to_pylist() == ["10.0.1.9", "10.0.2.7"]
    assert stats.outside_window == 2


def test_parquet_with_class_uid_but_flat_columns_is_read_as_plain_parquet(
        tmp_path: Path) -> None:
    pq.write_table(pa.table({"class_uid": [4001], "srcaddr": ["10.0.0.1"], "srcport": [80]}),
                   tmp_path / "flat.parquet")
    table, _ = read(tmp_path / "flat.parquet")
    assert table.to_pylist() == [{"class_uid": 4001, "srcaddr": "10.0.0.1", "srcport": 80}]


def test_row_numbers_and_unmapped_keys_span_every_row_group(tmp_path: Path) -> None:
    rows = [forward(LINES[i % 3]) for i in range(6)]
    rows[4]["class_uid"] = 2004  # a Detection Finding in row 5, in the third row group
    rows[5]["unmapped"] = [("reject_reason", "BPA"), ("zz_note", "x")]  # only in the last
    path = tmp_path / "groups.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=V2), path, row_group_size=2)
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    reader = awsip.read_flow_logs(path, progress=False)
    batches = list(reader)
    assert {b.schema.names.count("reject_reason") for b in batches} == {1}  # one schema
    table = pa.Table.from_batches(batches)
    assert table.column("reject_reason").to_pylist() == [None] * 4 + ["BPA"]
    assert [(s.line, s.reason.split(":")[0]) for s in reader.stats.skipped_lines] == [
        (5, "class_uid is 2004, not 4001 (OCSF Network Activity)")]
    assert "unmapped.zz_note" in reader.stats.ignored_columns


def test_endpoint_text_of_other_string_types_is_read_alike(tmp_path: Path) -> None:
    """Writers other than Security Lake may use large_string or dictionaries for text."""
    endpoint = pa.struct([("port", I64), ("ip", pa.large_string()),
                          ("intermediate_ips", pa.list_(S)),
                          ("interface_uid", pa.dictionary(pa.int32(), S))])
    schema = pa.schema([("class_uid", I32), ("src_endpoint", endpoint),
                        ("dst_endpoint", endpoint),
                        ("connection_info", pa.struct([("direction_id", I32)]))])
    rows = [{"class_uid": 4001, "connection_info": {"direction_id": 2},
             "src_endpoint": {"port": 40000, "ip": "10.0.0.5", "interface_uid": "eni-1"},
             "dst_endpoint": {"port": 443, "ip": "52.216.58.42",
                              "intermediate_ips": ["10.0.9.9"]}}]
    table, _ = read(write(tmp_path / "types.parquet", rows, schema))
    assert table.to_pylist() == [{
        "interface_id": "eni-1", "srcaddr": "10.0.0.5", "dstaddr": "10.0.9.9",
        "srcport": 40000, "dstport": 443, "pkt_srcaddr": "10.0.0.5",
        "pkt_dstaddr": "52.216.58.42", "flow_direction": "egress"}]


def test_an_ocsf_column_written_twice_is_an_error_naming_file_and_column(
        tmp_path: Path) -> None:
    one = pa.Table.from_pylist([forward(LINES[0])], schema=V2)
    doubled = pa.Table.from_arrays([*one.columns, one.column("traffic")],
                                   names=[*one.column_names, "traffic"])
    pq.write_table(doubled, tmp_path / "twice.parquet")
    with pytest.raises(FlowLogError, match=r"twice\.parquet: OCSF columns \['traffic'\] appear "
                                           r"more than once"):
        read(tmp_path / "twice.parquet")


# ---------------------------------------------------------------- every row accounted for

_MUTATIONS: dict[str, Any] = {
    "none": None,
    "other_class": ("class_uid", 3002),
    "bad_address": ("src_endpoint", "ip", "10.0.0.x"),
    "negative_bytes": ("traffic", "bytes", -3),
    "negative_port": ("dst_endpoint", "port", -1),
    "null_endpoint": ("dst_endpoint", None),
    "no_class": ("class_uid", None),
}
_BAD = {"other_class", "bad_address", "negative_bytes", "negative_port"}


def _mutated(row: dict[str, Any], how: str) -> dict[str, Any]:
    change = _MUTATIONS[how]
    row = {**row, **{k: dict(v) for k, v in row.items() if isinstance(v, dict)}}
    if change is None:
        return row
    if len(change) == 2:
        row[change[0]] = change[1]
    else:
        row[change[0]][change[1]] = change[2]
    return row


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(LINES) - 1), st.sampled_from(sorted(_MUTATIONS))),
                min_size=1, max_size=12))
def test_every_ocsf_row_is_a_record_or_skipped_with_its_row_number(
        tmp_path: Path, plan: list[tuple[int, str]]) -> None:
    rows = [_mutated(forward(LINES[i]), how) for i, how in plan]
    path = write(tmp_path / "rows.parquet", rows, V2)
    table, stats = read(path)
    bad = [n + 1 for n, (_, how) in enumerate(plan) if how in _BAD]
    assert stats.lines == len(rows) == stats.records + stats.skipped
    assert [s.line for s in stats.skipped_lines] == bad
    ingress_without_dst = [" ingress " in LINES[i] and how == "null_endpoint"
                           for i, how in plan]  # the interface was on dst_endpoint
    kept = [None if ingress_without_dst[n] else LINES[i].split()[2]
            for n, (i, _) in enumerate(plan) if n + 1 not in bad]
    assert table.column("interface_id").to_pylist() == kept
