"""NAT gateways found without --nat-* options: from translating records (pkt-* fields),
interface-type, a regional NAT's resource-id; candidates named (not asserted) for v2 logs."""

from __future__ import annotations

import gzip
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest

import awsip
from awsip.errors import UsageError
from awsip.ranges import Ranges
from awsip.traffic.detect import Gateway
from awsip.traffic.nat import NatSpec
from oracle import NEWEST

RANGES = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))
T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
TS = pa.timestamp("s", tz="UTC")
NAT_ENI, NAT_IP, NAT_AZ = "eni-0aaa0001", "10.0.0.10", "apse1-az1"
REGIONAL = "nat-0123456789abcdef0"
PEER = "203.0.113.5"  # outside the VPC
#: inside workloads: address -> (interface, subnet, AZ, instance)
HOSTS = {"10.0.1.5": ("eni-0a010001", "subnet-0a", "apse1-az1", "i-0aaa"),
         "10.0.2.7": ("eni-0b020002", "subnet-0b", "apse1-az2", "i-0bbb")}
COLUMNS = ["interface_id", "srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "bytes",
           "az_id", "subnet_id", "instance_id", "interface_type", "resource_id"]


def table(rows: list[dict[str, Any]], columns: list[str] = COLUMNS,
          region: str = "ap-southeast-1") -> pa.Table:
    """Records as the reader gives them (only ``columns`` logged)."""
    cols: dict[str, list[Any]] = {k: [] for k in [*columns, "start", "end", "action",
                                                  "log_status", "packets", "region"]}
    for r in rows:
        v = {"start": T0, "end": T0 + timedelta(minutes=1), "action": "ACCEPT",
             "log_status": "OK", "packets": 1, "region": region, **r}
        for k in cols:
            cols[k].append(v.get(k))
    types = {"bytes": pa.int64(), "packets": pa.int64(), "start": TS, "end": TS}
    return pa.table({k: pa.array(c, types.get(k, pa.string())) for k, c in cols.items()})


def through_zonal_nat(host: str, up: int, down: int) -> list[dict[str, Any]]:
    """Every record of one connection host -> NAT -> PEER, whole VPC logged (AWS's "Flow log
    record examples", NAT gateway: pkt-* name the peer on the NAT's instance legs)."""
    eni, subnet, az, instance = HOSTS[host]
    nat = {"interface_id": NAT_ENI, "az_id": NAT_AZ, "subnet_id": "subnet-0nat",
           "interface_type": "nat_gateway"}
    own = {"interface_id": eni, "az_id": az, "subnet_id": subnet, "instance_id": instance,
           "interface_type": "interface"}
    legs = [(nat, host, NAT_IP, host, PEER, up), (nat, NAT_IP, PEER, NAT_IP, PEER, up),
            (nat, PEER, NAT_IP, PEER, NAT_IP, down), (nat, NAT_IP, host, PEER, host, down),
            (own, host, PEER, host, PEER, up), (own, PEER, host, PEER, host, down)]
    return [{**where, "srcaddr": s, "dstaddr": d, "pkt_srcaddr": ps, "pkt_dstaddr": pd,
             "bytes": b} for where, s, d, ps, pd, b in legs]


def through_regional_nat(host: str, up: int, down: int) -> list[dict[str, Any]]:
    """AWS's "Traffic through a regional NAT gateway" shape: interface-id '-', resource-id the
    NAT, the instance and the peer on the record; plus the instance's own records."""
    eni, subnet, az, instance = HOSTS[host]
    own = {"interface_id": eni, "az_id": az, "subnet_id": subnet, "instance_id": instance}
    return [{"resource_id": REGIONAL, "srcaddr": host, "dstaddr": PEER, "bytes": up},
            {"resource_id": REGIONAL, "srcaddr": PEER, "dstaddr": host, "bytes": down},
            {**own, "srcaddr": host, "dstaddr": PEER, "bytes": up},
            {**own, "srcaddr": PEER, "dstaddr": host, "bytes": down}]


#: Not NAT traffic: an instance with its own public address, and east-west traffic.
OTHER = [{"interface_id": "eni-0ccc0003", "srcaddr": "10.0.3.9", "dstaddr": "8.8.8.8",
          "bytes": 7_000, "az_id": "apse1-az1"},
         {"interface_id": "eni-0a010001", "srcaddr": "10.0.1.5", "dstaddr": "10.0.2.7",
          "bytes": 3_000, "az_id": "apse1-az1"}]

CONNECTIONS = [("10.0.1.5", 1_000, 50_000), ("10.0.2.7", 2_000, 300_000),
               ("10.0.1.5", 500, 4_000)]


def test_zonal_nat_is_found_from_translating_records_with_its_address_and_zone() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)] + OTHER
    r = awsip.report(table(rows, [c for c in COLUMNS if c != "interface_type"]), ranges=RANGES)
    assert r.nat is not None
    (gw,) = r.nat.gateways
    assert (gw.interface_id, gw.address, gw.az_id, gw.resource_id, gw.detected) == \
        (NAT_ENI, NAT_IP, NAT_AZ, None, True)
    assert "translate" in gw.reason and "pkt-" in gw.reason
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)
    assert (r.nat.bytes_out, r.nat.bytes_in) == (sum(c[1] for c in CONNECTIONS),
                                                 sum(c[2] for c in CONNECTIONS))
    assert r.nat.enis == (NAT_ENI,) and r.nat.ips == (NAT_IP,)


def test_interface_type_alone_names_the_nat_gateway() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)] + OTHER
    cols = [c for c in COLUMNS if not c.startswith("pkt_")]
    r = awsip.report(table(rows, cols), ranges=RANGES)
    assert r.nat is not None
    assert [(g.interface_id, g.detected) for g in r.nat.gateways] == [(NAT_ENI, True)]
    assert "interface-type" in r.nat.gateways[0].reason
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)


def test_regional_nat_is_found_from_resource_id_and_counted_once() -> None:
    rows = [r for c in CONNECTIONS for r in through_regional_nat(*c)] + OTHER
    r = awsip.report(table(rows), ranges=RANGES)
    assert r.nat is not None
    assert r.nat.gateways == [Gateway(None, None, None, REGIONAL, True, r.nat.gateways[0].reason)]
    assert REGIONAL in r.nat.gateways[0].reason and "regional" in r.nat.gateways[0].reason
    # each byte is on the regional record and again on the instance's own: counted once
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)
    assert r.bytes == 2 * r.nat.bytes + sum(o["bytes"] for o in OTHER)


def test_regional_nat_named_by_nat_id_gives_the_same_bytes() -> None:
    rows = [r for c in CONNECTIONS for r in through_regional_nat(*c)]
    r = awsip.report(table(rows), ranges=RANGES, nat_ids=[REGIONAL.upper().replace("NAT", "nat")])
    assert r.nat is not None
    (gw,) = r.nat.gateways
    assert (gw.resource_id, gw.detected, gw.reason.startswith("given: --nat-id")) == \
        (REGIONAL, False, True)
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)


def test_nat_id_no_record_carries_is_a_warning_naming_it() -> None:
    rows = [r for c in CONNECTIONS for r in through_regional_nat(*c)]
    with pytest.warns(UserWarning, match="nat-0fff.*--nat-eni"):
        r = awsip.report(table(rows), ranges=RANGES, nat_ids=["nat-0fff"])
    assert r.nat is not None and r.nat.bytes == 0 and r.nat.gateways == []


def test_bad_nat_id_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match=r"'eni-0aaa'.*nat-"):
        NatSpec.of(ids=["eni-0aaa"])


def test_v2_logs_name_candidates_and_the_option_instead_of_a_nat() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)] + OTHER
    v2 = ["interface_id", "srcaddr", "dstaddr", "bytes"]
    r = awsip.report(table(rows, v2), ranges=RANGES)
    assert r.nat is None and r.recommendations == []
    (note,) = [n for n in r.notes if "likely NAT gateway" in n]
    assert f"--nat-eni {NAT_ENI}" in note and "cannot show one" in note
    # the host interfaces have public bytes but no inside legs: not candidates
    assert all(HOSTS[h][0] not in note for h in HOSTS)


def test_several_detected_nats_are_each_reported_and_summed() -> None:
    zonal = [r for c in CONNECTIONS[:2] for r in through_zonal_nat(*c)]
    regional = [r for r in through_regional_nat("10.0.1.5", 10, 20)]
    r = awsip.report(table(zonal + regional), ranges=RANGES)
    assert r.nat is not None
    assert {g.key for g in r.nat.gateways} == {NAT_ENI, REGIONAL}
    assert r.nat.bytes == 1_000 + 50_000 + 2_000 + 300_000 + 10 + 20
    each = {g["resource_id"] or g["interface_id"]: g["bytes"]
            for g in r.nat.to_dict()["gateways"]}
    assert each == {NAT_ENI: 1_000 + 50_000 + 2_000 + 300_000, REGIONAL: 10 + 20}


def test_named_nat_skips_detection() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = awsip.report(table(rows), ranges=RANGES, nat_ips=[NAT_IP])
    assert r.nat is not None
    assert [(g.interface_id, g.address, g.detected, g.reason) for g in r.nat.gateways] == [
        (NAT_ENI, NAT_IP, False, "given: --nat-ip")]
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)
    assert r.nat.gateway_bytes == {NAT_ENI: r.nat.bytes}


# --------------------------------------------------------------- generated whole-VPC logs
def whole_vpc_report(scenario: Any, *args: str) -> dict[str, Any]:
    """``awsip report --json`` of a generated scenario (examples/whole_vpc.py), in-process."""
    import contextlib
    import io
    import json

    from awsip import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["report", str(scenario.logs), "--json", "--offline", "--quiet",
                           *args])
    assert status == 0
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


@pytest.mark.parametrize("fmt", ["v5", "v11"])
def test_whole_vpc_zonal_nat_found_attributed_and_cross_az_counted(tmp_path: Any,
                                                                    fmt: str) -> None:
    import whole_vpc

    s = whole_vpc.zonal(tmp_path, fmt=fmt, days=1)
    t = s.truth
    nat = whole_vpc_report(s)["nat"]
    (gw,) = nat["gateways"]
    assert (gw["interface_id"], gw["address"], gw["az_id"], gw["detected"]) == (
        t.nat_interface_ids[0], t.nat_ips[0], t.nat_az_id, True)
    assert (nat["bytes"], nat["bytes_in"], nat["bytes_out"]) == (t.nat_bytes, t.nat_in,
                                                                 t.nat_out)
    assert {r["address"]: (r["interface_id"], r["subnet_id"], r["az_id"], r["instance_id"],
                           r["bytes"]) for r in nat["by_inside"]} == {
        a: (i.interface_id, i.subnet_id, i.az_id, i.instance_id, i.bytes)
        for a, i in t.by_inside.items()}
    assert nat["cross_az"]["bytes"] == t.cross_az_bytes > 0
    assert {r["address"]: r["bytes"] for r in nat["cross_az"]["by_inside"]} == \
        dict(t.cross_az_by_inside)


def test_whole_vpc_regional_nat_found_by_resource_id_without_cross_az(tmp_path: Any) -> None:
    import whole_vpc

    s = whole_vpc.regional(tmp_path, days=1)
    t = s.truth
    nat = whole_vpc_report(s)["nat"]
    (gw,) = nat["gateways"]
    assert (gw["resource_id"], gw["interface_id"], gw["detected"]) == (
        t.nat_gateway_ids[0], None, True)
    assert (nat["bytes"], nat["bytes_in"], nat["bytes_out"]) == (t.nat_bytes, t.nat_in,
                                                                 t.nat_out)
    assert {r["address"]: (r["instance_id"], r["az_id"], r["bytes"])
            for r in nat["by_inside"]} == {a: (i.instance_id, i.az_id, i.bytes)
                                           for a, i in t.by_inside.items()}
    assert nat["cross_az"]["bytes"] == 0
    same = whole_vpc_report(s, "--nat-id", t.nat_gateway_ids[0])["nat"]
    assert same["bytes"] == t.nat_bytes and same["gateways"][0]["detected"] is False


def test_whole_vpc_v2_logs_give_candidates_then_the_named_nat(tmp_path: Any) -> None:
    import whole_vpc

    s = whole_vpc.zonal(tmp_path, fmt="v2", days=1)
    t = s.truth
    doc = whole_vpc_report(s)
    assert doc["nat"] is None
    (note,) = [n for n in doc["notes"] if "likely NAT gateway" in n]
    assert f"--nat-eni {t.nat_interface_ids[0]}" in note
    nat = whole_vpc_report(s, "--nat-eni", t.nat_interface_ids[0])["nat"]
    assert nat["bytes"] == t.nat_bytes
    assert {r["address"]: r["bytes"] for r in nat["by_inside"]} == {
        a: i.bytes for a, i in t.by_inside.items()}


def test_next_hop_fields_name_the_zonal_nat_and_its_zone() -> None:
    """Version 11: the instance's egress records name the NAT's interface as next hop."""
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    for r in rows:
        if r["interface_id"] != NAT_ENI and r["srcaddr"] in HOSTS:
            r.update(next_hop_interface_id=NAT_ENI, next_hop_az_id=NAT_AZ,
                     next_hop_interface_type="nat_gateway")
    cols = ["interface_id", "srcaddr", "dstaddr", "bytes", "next_hop_interface_id",
            "next_hop_az_id", "next_hop_interface_type"]
    r = awsip.report(table(rows, cols), ranges=RANGES)
    assert r.nat is not None
    (gw,) = r.nat.gateways
    assert (gw.interface_id, gw.address, gw.az_id, gw.detected) == (NAT_ENI, NAT_IP, NAT_AZ,
                                                                    True)
    assert "next hop" in gw.reason
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)
    # without pkt-* fields nothing ties the instance legs to a detected NAT: said, not guessed
    assert r.nat.by_inside.num_rows == 0
    assert any("cannot tell which inside address" in n and "--nat-eni" in n for n in r.notes)


def test_a_zonal_interface_and_a_regional_id_together_are_each_counted() -> None:
    zonal = [r for c in CONNECTIONS[:2] for r in through_zonal_nat(*c)]
    regional = through_regional_nat("10.0.1.5", 10, 20)
    r = awsip.report(table(zonal + regional), ranges=RANGES, nat_enis=[NAT_ENI],
                     nat_ids=[REGIONAL])
    assert r.nat is not None
    assert [(g.key, g.detected) for g in r.nat.gateways] == [(NAT_ENI, False),
                                                            (REGIONAL, False)]
    assert r.nat.bytes == 1_000 + 50_000 + 2_000 + 300_000 + 10 + 20
    assert r.nat.gateway_bytes == {NAT_ENI: 353_000, REGIONAL: 30}
