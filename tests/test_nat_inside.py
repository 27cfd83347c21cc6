"""Who inside caused a NAT gateway's bytes, the cross-AZ part, and the nat JSON contract."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

import awsip
from awsip.output.report import render
from test_nat_detect import (
    COLUMNS,
    CONNECTIONS,
    HOSTS,
    NAT_AZ,
    NAT_ENI,
    NAT_IP,
    OTHER,
    RANGES,
    REGIONAL,
    table,
    through_regional_nat,
    through_zonal_nat,
)

GIB = 2**30


def per_host() -> dict[str, int]:
    """Bytes each inside address sent and received through the NAT, counted by hand."""
    out: dict[str, int] = defaultdict(int)
    for host, up, down in CONNECTIONS:
        out[host] += up + down
    return dict(out)


def test_zonal_nat_bytes_are_attributed_to_each_instance_with_its_zone() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)] + OTHER
    r = awsip.report(table(rows), ranges=RANGES)
    assert r.nat is not None
    got = {x["address"]: x for x in r.nat.by_inside.to_pylist()}
    assert {a: x["bytes"] for a, x in got.items()} == per_host()
    for address, (eni, subnet, az, instance) in HOSTS.items():
        assert (got[address]["interface_id"], got[address]["subnet_id"], got[address]["az_id"],
                got[address]["instance_id"], got[address]["nat"]) == (eni, subnet, az, instance,
                                                                      NAT_ENI)
    assert sum(per_host().values()) == r.nat.bytes  # every NAT byte has its inside source


def test_cross_az_counts_the_bytes_of_instances_in_another_zone_once_per_direction() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)] + OTHER
    doc = json.loads(render(awsip.report(table(rows, region="us-east-1"), ranges=RANGES),
                            "json"))["nat"]
    other_zone = [h for h, (_, _, az, _) in HOSTS.items() if az != NAT_AZ]
    expected = sum(up + down for h, up, down in CONNECTIONS if h in other_zone)
    assert expected == 302_000
    cross = doc["cross_az"]
    assert cross["bytes"] == expected
    assert [(x["address"], x["az_id"], x["nat_az_id"], x["bytes"]) for x in cross["by_inside"]] \
        == [("10.0.2.7", "apse1-az2", NAT_AZ, expected)]
    price = cross["price_per_gb"]
    assert price is not None and price > 0
    assert cross["cost_usd"] == pytest.approx(expected / GIB * price, abs=5e-5)


def test_cross_az_cost_is_null_with_a_note_when_the_region_has_no_inter_az_price() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    r = awsip.report(table(rows, region="xx-nowhere-1"), ranges=RANGES)
    assert r.nat is not None and r.nat.cross_az.bytes == 302_000
    assert r.nat.cross_az.cost_usd is None
    assert any("cross-AZ" in n and "302,000" in n for n in r.notes)


def test_regional_nat_attributes_from_its_own_records_and_charges_no_cross_az() -> None:
    rows = [r for c in CONNECTIONS for r in through_regional_nat(*c)]
    r = awsip.report(table(rows), ranges=RANGES)
    assert r.nat is not None
    got = {x["address"]: (x["bytes"], x["az_id"], x["nat"])
           for x in r.nat.by_inside.to_pylist()}
    assert got == {h: (b, HOSTS[h][2], REGIONAL) for h, b in per_host().items()}
    assert r.nat.cross_az.bytes == 0


def test_v2_named_nat_attributes_through_the_nat_address_learned_from_its_public_legs() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    v2 = ["interface_id", "srcaddr", "dstaddr", "bytes"]
    r = awsip.report(table(rows, v2), ranges=RANGES, nat_enis=[NAT_ENI])
    assert r.nat is not None
    assert [(g.interface_id, g.address) for g in r.nat.gateways] == [(NAT_ENI, NAT_IP)]
    got = {x["address"]: (x["bytes"], x["interface_id"], x["az_id"])
           for x in r.nat.by_inside.to_pylist()}
    # the interface comes from the host's own records; the AZ is not logged: null, not a guess
    assert got == {h: (b, HOSTS[h][0], None) for h, b in per_host().items()}
    assert r.nat.cross_az.bytes == 0


def test_nat_json_has_the_contract_keys() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    doc = json.loads(render(awsip.report(table(rows), ranges=RANGES), "json"))
    nat = doc["nat"]
    assert {"gateways", "bytes", "region", "price_per_gb", "price_source", "cost_usd", "by_day",
            "by_service", "by_inside", "cross_az"} <= set(nat)
    (gw,) = nat["gateways"]
    assert {k: gw[k] for k in ("interface_id", "address", "az_id", "resource_id",
                               "detected")} == {"interface_id": NAT_ENI, "address": NAT_IP,
                                                "az_id": NAT_AZ, "resource_id": None,
                                                "detected": True}
    assert isinstance(gw["reason"], str) and gw["bytes"] == nat["bytes"]  # each, and in total
    assert nat["region"] == "ap-southeast-1" and isinstance(nat["price_source"], str)
    first = nat["by_inside"][0]
    assert {"address", "interface_id", "subnet_id", "az_id", "instance_id", "bytes",
            "cost_usd"} <= set(first)
    assert first["address"] == "10.0.2.7"  # the biggest first
    assert first["cost_usd"] == pytest.approx(302_000 / GIB * nat["price_per_gb"], abs=5e-5)
    assert set(nat["cross_az"]) >= {"bytes", "cost_usd", "by_inside"}


def test_rejected_instance_legs_are_not_attributed() -> None:
    rows = through_zonal_nat("10.0.1.5", 100, 200)
    rows.append({"interface_id": NAT_ENI, "srcaddr": "10.0.2.7", "dstaddr": NAT_IP,
                 "pkt_srcaddr": "10.0.2.7", "pkt_dstaddr": "203.0.113.9", "bytes": 999,
                 "action": "REJECT", "az_id": NAT_AZ})
    r = awsip.report(table(rows, COLUMNS), ranges=RANGES)
    assert r.nat is not None
    assert [(x["address"], x["bytes"]) for x in r.nat.by_inside.to_pylist()] == [
        ("10.0.1.5", 300)]


def inventory() -> Any:
    """The VPC as describe-network-interfaces / describe-nat-gateways print it."""
    from awsip.traffic.inventory import Inventory

    enis = [{"NetworkInterfaceId": NAT_ENI, "SubnetId": "subnet-0nat",
             "AvailabilityZone": "ap-southeast-1a", "AvailabilityZoneId": NAT_AZ,
             "InterfaceType": "nat_gateway", "PrivateIpAddress": NAT_IP,
             "Description": "Interface for NAT Gateway nat-0aaa0000000000001"}]
    enis += [{"NetworkInterfaceId": eni, "SubnetId": subnet, "AvailabilityZoneId": az,
              "InterfaceType": "interface", "PrivateIpAddress": address,
              "Attachment": {"InstanceId": instance}}
             for address, (eni, subnet, az, instance) in HOSTS.items()]
    nats = [{"NatGatewayId": "nat-0aaa0000000000001", "SubnetId": "subnet-0nat",
             "NatGatewayAddresses": [{"NetworkInterfaceId": NAT_ENI, "PrivateIp": NAT_IP}]}]
    return Inventory.from_documents([("enis.json", {"NetworkInterfaces": enis}),
                                     ("nats.json", {"NatGateways": nats})])


def test_inventory_names_the_nat_and_the_instances_of_v2_logs_and_their_zones() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)] + OTHER
    v2 = ["interface_id", "srcaddr", "dstaddr", "bytes"]
    r = awsip.report(table(rows, v2, region="us-east-1"), ranges=RANGES, inventory=inventory())
    assert r.nat is not None and not any("likely NAT" in n for n in r.notes)
    (gw,) = r.nat.gateways
    assert (gw.interface_id, gw.address, gw.az_id, gw.detected) == (NAT_ENI, NAT_IP, NAT_AZ,
                                                                     True)
    assert "inventory" in gw.reason and "nat-0aaa0000000000001" in gw.reason
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)
    got = {x["address"]: (x["bytes"], x["interface_id"], x["subnet_id"], x["az_id"],
                          x["instance_id"]) for x in r.nat.by_inside.to_pylist()}
    assert got == {h: (b, *HOSTS[h]) for h, b in per_host().items()}
    assert r.nat.cross_az.bytes == per_host()["10.0.2.7"]  # the inventory gives the zones


def test_zonal_nat_id_is_resolved_to_its_interface_through_the_inventory() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    v2 = ["interface_id", "srcaddr", "dstaddr", "bytes"]
    r = awsip.report(table(rows, v2), ranges=RANGES, inventory=inventory(),
                     nat_ids=["nat-0aaa0000000000001"])
    assert r.nat is not None
    (gw,) = r.nat.gateways
    assert (gw.interface_id, gw.detected) == (NAT_ENI, False)
    assert gw.reason.startswith("given: --nat-id nat-0aaa0000000000001")
    assert r.nat.bytes == sum(up + down for _, up, down in CONNECTIONS)


def test_by_accepts_flow_log_fields_such_as_subnet_az_and_instance() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    r = awsip.report(table(rows), ranges=RANGES, by=["az_id", "instance_id", "service"])
    assert r.by == ["az_id", "instance_id", "service"]
    got = {(g["az_id"], g["instance_id"], g["service"]): g["bytes"]
           for g in r.groups.to_pylist()}
    expected: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in rows:  # every record as logged, keyed by its own fields
        service = "PRIVATE" if row["srcaddr"].startswith("10.") and \
            row["dstaddr"].startswith("10.") else "INTERNET"
        expected[(row.get("az_id"), row.get("instance_id"), service)] += row["bytes"]
    assert got == dict(expected)


def test_by_a_field_the_logs_lack_groups_under_null_and_a_typo_is_refused() -> None:
    from awsip.errors import UsageError

    rows = through_zonal_nat("10.0.1.5", 10, 20)
    r = awsip.report(table(rows, ["interface_id", "srcaddr", "dstaddr", "bytes"]),
                     ranges=RANGES, by="ecs_service_name")
    assert [(g["ecs_service_name"], g["bytes"]) for g in r.groups.to_pylist()] == [
        (None, 3 * 30)]
    with pytest.raises(UsageError, match=r"cannot group by 'subnet'.*flow-log field"):
        awsip.report(table(rows), ranges=RANGES, by="subnet")


def test_inside_sources_carry_ecs_and_tag_fields_when_logged() -> None:
    rows = [r for c in CONNECTIONS for r in through_zonal_nat(*c)]
    for r in rows:
        if r["interface_id"] == HOSTS["10.0.2.7"][0]:
            r.update(ecs_service_name="web-svc", ecs_task_id="0f1e2d3c", instance_tag="Team Blue")
    cols = [*COLUMNS, "ecs_service_name", "ecs_task_id", "instance_tag"]
    r = awsip.report(table(rows, cols), ranges=RANGES)
    assert r.nat is not None
    got = {x["address"]: (x["ecs_service_name"], x["ecs_task_id"], x["instance_tag"])
           for x in r.nat.to_dict()["by_inside"]}
    assert got == {"10.0.2.7": ("web-svc", "0f1e2d3c", "Team Blue"),
                   "10.0.1.5": (None, None, None)}


def test_cli_nat_id_option_and_its_bad_value(tmp_path: Any) -> None:
    import contextlib
    import io

    import pyarrow.parquet as pq

    from awsip import cli

    rows = [r for c in CONNECTIONS for r in through_regional_nat(*c)]
    path = tmp_path / "flows.parquet"
    pq.write_table(table(rows), path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        ok = cli.main(["report", str(path), "--nat-id", REGIONAL, "--json", "--offline",
                       "--quiet"])
        bad = cli.main(["report", str(path), "--nat-id", "natgw-1", "--offline", "--quiet"])
    assert ok == 0 and bad == 2
    nat = json.loads(out.getvalue())["nat"]
    assert nat["bytes"] == sum(per_host().values())
    assert nat["gateways"][0]["resource_id"] == REGIONAL
    assert "'natgw-1'" in err.getvalue() and "nat-" in err.getvalue()
