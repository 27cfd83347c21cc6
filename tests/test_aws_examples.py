"""AWS's documented flow-log records, read with the values AWS states for them.

Sources (see tests/data/aws-examples/README.md for which file comes from where):

- "Flow log record examples", Amazon VPC User Guide,
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html: every
  section (accepted and rejected traffic; no data and skipped records; security group and
  network ACL rules; IPv6 traffic; TCP flag sequence; traffic through a NAT gateway; traffic
  through a transit gateway; service name, traffic path and flow direction).
- "Introducing VPC encryption controls", AWS News Blog (2025-11-21): the ``encryption-status``
  flow log it shows (version 10).
- Records constructed from the "Available fields" tables of "Flow log records"
  (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html) and of the Transit
  Gateway guide, for the versions no page gives an example of (4, 6-9, 11): their values are
  the ones written in the fixture, checked typed.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from awsip.flowlogs import FIELDS, FlowLogStats, read_flow_logs
from awsip.flowlogs.fields import NEWEST_VERSION
from awsip.flowlogs.formats import header_fields

DATA = Path(__file__).parent / "data" / "aws-examples"


def _t(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def read(name: str, **options: Any) -> tuple[list[dict[str, Any]], pa.Schema, FlowLogStats]:
    """The records of one fixture, its schema and the reader's stats (every line accounted)."""
    reader = read_flow_logs(DATA / name, progress=False, **options)
    table = reader.read_all()
    s = reader.stats
    assert s.skipped == 0, s.skipped_lines
    assert s.lines == s.header_lines + s.blank_lines + s.skipped + s.records + s.outside_window
    return table.to_pylist(), table.schema, s


def test_accepted_and_rejected_traffic() -> None:
    (ssh, rdp), _, _ = read("accepted-rejected.log")
    assert ssh == {
        "version": 2, "account_id": "123456789010", "interface_id": "eni-1235b8ca123456789",
        "srcaddr": "172.31.16.139", "dstaddr": "172.31.16.21", "srcport": 20641, "dstport": 22,
        "protocol": 6, "packets": 20, "bytes": 4249, "start": _t(1418530010),
        "end": _t(1418530070), "action": "ACCEPT", "log_status": "OK",
    }
    assert (rdp["srcaddr"], rdp["dstaddr"], rdp["srcport"], rdp["dstport"]) == \
        ("172.31.9.69", "172.31.9.12", 49761, 3389)
    assert rdp["action"] == "REJECT" and rdp["protocol"] == 6


def test_no_data_and_skipped_records_are_kept_and_counted_with_their_window() -> None:
    rows, _, stats = read("no-data-skipped.log")
    assert [r["log_status"] for r in rows] == ["NODATA", "SKIPDATA"]
    assert [r["interface_id"] for r in rows] == ["eni-1235b8ca123456789", "eni-11111111aaaaaaaaa"]
    for r in rows:
        assert r["srcaddr"] is None and r["bytes"] is None and r["action"] is None
    assert (stats.nodata, stats.skipdata, stats.records) == (1, 1, 2)
    window = (_t(1431280876), _t(1431280934))
    assert stats.nodata_span == window and stats.skipdata_span == window


def test_security_group_and_network_acl_ping_is_one_accept_and_one_reject() -> None:
    (request, response), _, _ = read("security-group-nacl.log")
    assert (request["srcaddr"], request["dstaddr"], request["action"]) == \
        ("203.0.113.12", "172.31.16.139", "ACCEPT")
    assert (response["srcaddr"], response["dstaddr"], response["action"]) == \
        ("172.31.16.139", "203.0.113.12", "REJECT")
    for r in (request, response):  # ICMP: protocol 1, no ports
        assert (r["protocol"], r["srcport"], r["dstport"], r["packets"], r["bytes"]) == \
            (1, 0, 0, 4, 336)
    assert request["start"] == _t(1432917027) and response["start"] == _t(1432917094)


def test_ipv6_traffic() -> None:
    (r,), _, _ = read("ipv6.log")
    assert r["srcaddr"] == "2001:db8:1234:a100:8d6e:3477:df66:f105"
    assert r["dstaddr"] == "2001:db8:1234:a102:3304:8879:34cf:4071"
    assert (r["srcport"], r["dstport"], r["packets"], r["bytes"]) == (34892, 22, 54, 8855)
    assert r["end"] == _t(1477913820)


def test_tcp_flag_sequence_including_the_record_with_two_spaces() -> None:
    raw = (DATA / "tcp-flag-sequence.log").read_text()
    assert "43638  10.0.0.62" in raw  # the page's record with a doubled space, kept as printed
    rows, schema, stats = read("tcp-flag-sequence.log")
    assert stats.records == 8
    assert [r["tcp_flags"] for r in rows] == [2, 18, 2, 18, 1, 1, 3, 19]
    assert schema.field("tcp_flags").type == pa.int32()
    # this custom format puts bytes before packets
    assert (rows[0]["bytes"], rows[0]["packets"]) == (568, 8)
    assert (rows[5]["bytes"], rows[5]["packets"]) == (23294588, 15774)
    doubled = rows[7]
    assert (doubled["srcaddr"], doubled["dstaddr"], doubled["srcport"], doubled["dstport"]) == \
        ("10.0.0.62", "52.213.180.42", 5001, 43638)
    assert (doubled["pkt_srcaddr"], doubled["pkt_dstaddr"]) == ("10.0.0.62", "52.213.180.42")
    assert (doubled["bytes"], doubled["packets"], doubled["action"]) == (967, 14, "ACCEPT")
    assert {r["vpc_id"] for r in rows} == {"vpc-abcdefab012345678"}
    assert {r["type"] for r in rows} == {"IPv4"} and rows[0]["version"] == 3
    assert rows[4]["start"] == _t(1566848933) and rows[4]["end"] == _t(1566849113)


def test_nat_gateway_interface_shows_the_packet_addresses_behind_its_own() -> None:
    rows, _, _ = read("nat-gateway-interface.log")
    assert [r["instance_id"] for r in rows] == [None] * 4  # requester-managed interface: '-'
    to_nat, out, back, to_instance = rows
    assert (to_nat["dstaddr"], to_nat["pkt_dstaddr"]) == ("10.0.0.220", "203.0.113.5")
    assert (out["srcaddr"], out["dstaddr"]) == ("10.0.0.220", "203.0.113.5")
    assert (back["srcaddr"], back["pkt_srcaddr"]) == ("203.0.113.5", "203.0.113.5")
    assert (to_instance["srcaddr"], to_instance["pkt_srcaddr"], to_instance["dstaddr"]) == \
        ("10.0.0.220", "203.0.113.5", "10.0.1.5")


def test_nat_gateway_flow_seen_from_the_instance_interface_has_no_intermediate_address() -> None:
    rows, _, _ = read("nat-gateway-instance.log")
    assert [r["instance_id"] for r in rows] == ["i-01234567890123456"] * 2
    assert [r["interface_id"] for r in rows] == ["eni-1111aaaa2222bbbb3"] * 2
    for r in rows:
        assert (r["srcaddr"], r["dstaddr"]) == (r["pkt_srcaddr"], r["pkt_dstaddr"])
    assert (rows[0]["srcaddr"], rows[0]["dstaddr"]) == ("10.0.1.5", "203.0.113.5")


def test_traffic_through_a_transit_gateway() -> None:
    rows, _, _ = read("transit-gateway.log")
    request, response, tgw_in, tgw_out = rows
    assert [r["version"] for r in rows] == [3] * 4
    assert (request["srcaddr"], request["dstaddr"], request["dstport"], request["tcp_flags"]) == \
        ("10.20.33.164", "10.40.2.236", 80, 3)
    assert (response["srcport"], response["dstport"], response["tcp_flags"]) == (80, 39812, 19)
    assert tgw_in["instance_id"] is None and tgw_out["instance_id"] is None
    assert (tgw_in["interface_id"], tgw_in["subnet_id"]) == \
        ("eni-11111111111111111", "subnet-11111111aaaaaaaaa")
    assert (tgw_in["srcaddr"], tgw_in["pkt_srcaddr"]) == ("10.40.1.175", "10.20.33.164")
    assert (tgw_out["dstaddr"], tgw_out["pkt_dstaddr"]) == ("10.40.2.31", "10.20.33.164")


def test_service_name_traffic_path_and_flow_direction() -> None:
    (ingress, egress), schema, _ = read("service-traffic-path-direction.log")
    assert (ingress["version"], egress["version"]) == (5, 5)
    assert (ingress["flow_direction"], ingress["pkt_src_aws_service"],
            ingress["traffic_path"]) == ("ingress", "S3", None)
    assert (egress["flow_direction"], egress["pkt_dst_aws_service"], egress["traffic_path"]) == \
        ("egress", "S3", 8)
    assert schema.field("traffic_path").type == pa.int32()
    assert (ingress["region"], ingress["az_id"], ingress["sublocation_type"]) == \
        ("ap-southeast-2", "apse2-az3", None)
    assert (ingress["packets"], ingress["bytes"], egress["packets"], egress["bytes"]) == \
        (14, 15044, 7, 471)
    assert (ingress["tcp_flags"], egress["tcp_flags"]) == (19, 3)
    assert ingress["instance_id"] == "i-0c50d5961bcb2d47b"


# ---------------------------------------------------------------- one fixture per version


def test_v4_location_fields() -> None:
    rows, _, _ = read("v4-location.log")
    assert [r["version"] for r in rows] == [4, 4]
    assert (rows[0]["region"], rows[0]["az_id"], rows[0]["sublocation_id"]) == \
        ("ap-southeast-2", "apse2-az3", None)


def test_v6_transit_gateway_default_format() -> None:
    (r,), schema, _ = read("v6-transit-gateway-default.log")
    assert (r["version"], r["resource_type"], r["tgw_id"]) == \
        (6, "TransitGateway", "tgw-0123456789abcdef0")
    assert (r["tgw_src_vpc_id"], r["tgw_dst_vpc_account_id"]) == \
        ("vpc-aaaaaaaaaaaaaaaaa", "210987654321")
    assert (r["packets_lost_blackhole"], r["packets_lost_ttl_expired"]) == (2, 1)
    assert schema.field("packets_lost_blackhole").type == pa.int64()
    assert (r["srcaddr"], r["dstaddr"], r["tcp_flags"], r["pkt_dst_aws_service"]) == \
        ("10.20.33.164", "10.40.2.236", 3, None)


def test_v7_ecs_fields() -> None:
    (r,), _, _ = read("v7-ecs.log")
    assert (r["version"], r["ecs_cluster_name"], r["ecs_service_name"]) == (7, "web", "web-svc")
    assert r["ecs_task_id"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert r["ecs_task_arn"].endswith("task/web/0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert r["ecs_container_instance_id"] is None and r["ecs_second_container_id"] is None


def test_v8_reject_reason() -> None:
    (bpa, other), _, _ = read("v8-reject-reason.log")
    assert (bpa["version"], bpa["action"], bpa["reject_reason"], bpa["bytes"]) == \
        (8, "REJECT", "BPA", None)
    assert other["reject_reason"] is None and other["bytes"] == 4249


def test_v9_regional_nat_gateway_flow_names_the_gateway_in_resource_id() -> None:
    rows, _, _ = read("v9-regional-nat-gateway.log")
    assert [r["version"] for r in rows] == [9, 9]
    assert [r["interface_id"] for r in rows] == [None, None]
    assert [r["resource_id"] for r in rows] == ["nat-0123456789abcdef0"] * 2
    assert (rows[1]["srcaddr"], rows[1]["bytes"]) == ("203.0.113.5", 5120)


def test_v10_encryption_status_from_the_aws_news_blog() -> None:
    rows, schema, _ = read("v10-encryption-status.log")
    assert schema.field("encryption_status").type == pa.int32()
    assert [r["encryption_status"] for r in rows] == [1, 1, 1, 1, 0, 0, 0, 0]
    assert [r["traffic_path"] for r in rows] == [None, 1] * 4
    # 10.0.130.104 is the client without Nitro encryption: its flows are status 0
    assert {r["encryption_status"] for r in rows if "10.0.130.104" in
            (r["srcaddr"], r["dstaddr"])} == {0}


def test_v11_tags_are_percent_decoded_and_next_hop_read() -> None:
    (r, regional), _, _ = read("v11-tags-next-hop.log")
    assert r["version"] == 11
    assert r["instance_tag"] == "Team Blue"
    assert r["instance_tag_2"] == "café + crème"
    assert r["interface_tag"] == "web=front%50"  # %25 decodes to %, once
    assert r["interface_tag_2"] is None and r["asg_tag"] == "checkout-asg v2"
    assert (r["next_hop_interface_id"], r["next_hop_subnet_id"], r["next_hop_az_id"],
            r["next_hop_vpc_id"], r["next_hop_interface_type"]) == \
        ("eni-0a1b2c3d4e5f60718", "subnet-22222222bbbbbbbbb", "use1-az2",
         "vpc-abcdefab012345678", "regional_nat_gateway")
    assert r["az_id"] == "use1-az1" and r["interface_type"] is None
    assert (regional["interface_id"], regional["interface_type"]) == (None, "regional_nat_gateway")


def test_v11_tags_as_written_with_decode_tags_false() -> None:
    (r, _), _, _ = read("v11-tags-next-hop.log", decode_tags=False)
    assert r["instance_tag"] == "Team%20Blue"
    assert r["instance_tag_2"] == "caf%C3%A9%20%2B%20cr%C3%A8me"


@pytest.mark.parametrize("raw", [False, True])
def test_cli_decodes_tags_unless_raw_tags(raw: bool, capsys: pytest.CaptureFixture[str]) -> None:
    from awsip.cli import main

    args = ["classify", "--flow-logs", str(DATA / "v11-tags-next-hop.log"), "--offline",
            "--quiet", "--json"] + (["--raw-tags"] if raw else [])
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["instance_tag"] == ("Team%20Blue" if raw else "Team Blue")


def test_v11_tags_are_decoded_in_parquet_deliveries_too(tmp_path: Path) -> None:
    text = read_flow_logs(DATA / "v11-tags-next-hop.log", progress=False,
                          decode_tags=False).read_all()
    ints = {"int32": pa.int32(), "int64": pa.int64(), "timestamp": pa.int64()}
    columns = {}
    for name in text.column_names:  # as AWS delivers Parquet: INT_32, INT_64, STRING
        kind = FIELDS[name.replace("_", "-")].kind if name.replace("_", "-") in FIELDS else \
            next(f.kind for f in FIELDS.values() if f.column == name)
        col = text.column(name)
        columns[name] = col.cast(pa.int64()) if kind == "timestamp" else col.cast(
            ints.get(kind, pa.string()))
    pq.write_table(pa.table(columns), tmp_path / "v11.parquet")
    rows = read_flow_logs(tmp_path / "v11.parquet", progress=False).read_all().to_pylist()
    assert rows[0]["instance_tag"] == "Team Blue"
    assert rows[0]["instance_tag_2"] == "café + crème"
    assert rows[0]["next_hop_interface_type"] == "regional_nat_gateway"


def _fixture_fields(path: Path) -> tuple[str, ...]:
    first = path.read_bytes().split(b"\n", 1)[0]
    fields = header_fields(first)
    return fields if fields is not None else tuple(f for f in FIELDS if FIELDS[f].version == 2
                                                   and not FIELDS[f].tgw)


@pytest.mark.parametrize("path", sorted(DATA.glob("*.log")), ids=lambda p: p.name)
def test_version_is_the_highest_version_among_the_fields(path: Path) -> None:
    """AWS: "the version is the highest version among the specified fields" (Flow log records,
    field ``version``); checked against the catalogue wherever the record carries it."""
    fields = _fixture_fields(path)
    expected = max(FIELDS[f].version for f in fields)
    if "version" in fields:
        rows = read_flow_logs(path, progress=False).read_all().column("version").to_pylist()
        assert set(rows) == {expected}


def test_every_record_version_has_a_fixture() -> None:
    versions = {max(FIELDS[f].version for f in _fixture_fields(p)) for p in DATA.glob("*.log")}
    assert versions == set(range(2, NEWEST_VERSION + 1))
