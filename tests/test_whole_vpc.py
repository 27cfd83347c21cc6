"""examples/whole_vpc.py: the generated whole-VPC logs say what their truth says.

The files are read back with gzip and ``str.split`` (not awsip's reader): each crossing is on
exactly the legs AWS's NAT example logs, the NAT's public legs add up to the truth's bytes,
and the peers are what the bundled ranges call them.
"""

from __future__ import annotations

import gzip
from collections import Counter, defaultdict
from pathlib import Path

import pytest

import whole_vpc as wv
from awsip.ranges import Ranges
from oracle import NEWEST

RANGES = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))


def read(scenario: wv.Scenario) -> list[dict[str, str]]:
    """Every record of the scenario's files as a dict by AWS field name."""
    rows = []
    for path in sorted(scenario.logs.rglob("*.log.gz")):
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        header = lines[0].split(" ")
        assert tuple(header) == scenario.fields
        rows += [dict(zip(header, line.split(" "), strict=True)) for line in lines[1:]]
    return rows


@pytest.fixture(scope="module")
def zonal_v5(tmp_path_factory: pytest.TempPathFactory) -> wv.Scenario:
    return wv.zonal(tmp_path_factory.mktemp("zonal"), days=1)


def test_peers_are_what_the_bundled_ranges_call_them() -> None:
    for peer in wv.PEERS:
        m = RANGES.lookup(peer.address)
        assert (m.service, m.region) == (peer.service, peer.region), peer


def test_each_zonal_crossing_is_on_the_six_legs_of_awss_nat_example(
        zonal_v5: wv.Scenario) -> None:
    rows = read(zonal_v5)
    seen: Counter[tuple[str, ...]] = Counter()
    for r in rows:
        seen[(r["interface-id"], r["srcaddr"], r["dstaddr"], r["pkt-srcaddr"], r["pkt-dstaddr"],
              r["start"], r["bytes"])] += 1
    nat, ip = wv.NAT_ZONAL.interface_id or "", wv.NAT_ZONAL.private_ip or ""
    for c in zonal_v5.crossings:
        h, p, t, up, down = c.host.address, c.peer.address, str(c.start), str(c.up), str(c.down)
        legs = [(nat, h, ip, h, p, t, up), (nat, ip, p, ip, p, t, up),
                (nat, p, ip, p, ip, t, down), (nat, ip, h, p, h, t, down),
                (c.host.interface_id, h, p, h, p, t, up),
                (c.host.interface_id, p, h, p, h, t, down)]
        assert [seen[leg] for leg in legs] == [1] * 6, c


def test_zonal_public_legs_add_up_to_the_nat_bytes_of_the_truth(zonal_v5: wv.Scenario) -> None:
    rows = read(zonal_v5)
    ip = wv.NAT_ZONAL.private_ip
    public = {p.address for p in wv.PEERS}
    legs = [r for r in rows if r["interface-id"] == wv.NAT_ZONAL.interface_id
            and r["action"] == "ACCEPT" and ip in (r["srcaddr"], r["dstaddr"])
            and ({r["srcaddr"], r["dstaddr"]} & public)]
    t = zonal_v5.truth
    assert sum(int(r["bytes"]) for r in legs) == t.nat_bytes
    assert sum(int(r["bytes"]) for r in legs if r["dstaddr"] == ip) == t.nat_in
    assert len(legs) == 2 * t.nat_flows
    by_day: dict[str, int] = defaultdict(int)
    for c in zonal_v5.crossings:
        by_day[wv.datetime.fromtimestamp(c.start, wv.timezone.utc).date().isoformat()] += (
            c.up + c.down)
    assert dict(t.by_day) == dict(by_day)


def test_zonal_truth_splits_inside_sources_and_cross_az_bytes(zonal_v5: wv.Scenario) -> None:
    t = zonal_v5.truth
    assert sum(i.bytes for i in t.by_inside.values()) == t.nat_bytes
    assert sum(t.by_service.values()) == t.nat_bytes
    other_az = {h.address for h in wv.HOSTS if h.az_id != wv.NAT_ZONAL.az_id}
    assert set(t.cross_az_by_inside) == other_az == {"10.20.2.21", "10.20.2.22"}
    assert t.cross_az_bytes == sum(t.by_inside[a].bytes for a in other_az)
    ups = sum(c.up for c in zonal_v5.crossings if c.host.address in other_az)
    assert t.cross_az_to_nat == ups and t.cross_az_from_nat == t.cross_az_bytes - ups
    assert t.by_inside["10.20.2.21"].instance_id == "i-0b1b1b1b1b1b1b1b1"
    assert t.by_inside["10.20.2.21"].az_id == "apse1-az2"


def test_zonal_records_carry_subnet_az_and_instance_of_their_interface(
        zonal_v5: wv.Scenario) -> None:
    rows = read(zonal_v5)
    by_eni = {h.interface_id: h for h in (*wv.HOSTS, wv.BASTION)}
    for r in rows:
        if r["log-status"] != "OK":
            continue
        if r["interface-id"] == wv.NAT_ZONAL.interface_id:
            assert (r["subnet-id"], r["az-id"], r["instance-id"]) == (
                wv.NAT_ZONAL.subnet_id, "apse1-az1", "-")
        else:
            h = by_eni[r["interface-id"]]
            assert (r["subnet-id"], r["az-id"], r["instance-id"]) == (
                h.subnet_id, h.az_id, h.instance_id)
        assert r["traffic-path"] == "-" if r["flow-direction"] == "ingress" else r[
            "traffic-path"] in {"1", "2"}


def test_v2_logs_hold_the_same_traffic_without_the_fields_that_name_the_nat(
        tmp_path: Path, zonal_v5: wv.Scenario) -> None:
    v2 = wv.zonal(tmp_path, fmt="v2", days=1)
    rows = read(v2)
    assert v2.truth.detection == "candidates" and zonal_v5.truth.detection == "exact"
    assert v2.truth.nat_bytes == zonal_v5.truth.nat_bytes
    assert (v2.truth.records, v2.truth.all_bytes) == (zonal_v5.truth.records,
                                                      zonal_v5.truth.all_bytes)
    assert set(rows[0]) == set(wv.V2_FIELDS) and {r["version"] for r in rows} == {"2"}


def test_regional_gateway_records_name_it_in_resource_id_once_per_direction(
        tmp_path: Path) -> None:
    s = wv.regional(tmp_path, days=1)
    rows = read(s)
    gw = [r for r in rows if r["resource-id"] == wv.NAT_REGIONAL.nat_gateway_id]
    assert {r["interface-id"] for r in gw} == {"-"}
    assert {r["interface-type"] for r in gw} == {"regional_nat_gateway"}
    assert sum(int(r["bytes"]) for r in gw) == s.truth.nat_bytes
    assert len(gw) == 2 * len(s.crossings)
    hops = [r for r in rows if r["next-hop-interface-type"] == "regional_nat_gateway"]
    assert len(hops) == len(s.crossings)
    assert all(r["flow-direction"] == "egress" and r["next-hop-az-id"] == r["az-id"]
               for r in hops)
    assert s.truth.cross_az_bytes == 0 and s.truth.nat_interface_ids == ()


def test_records_and_bytes_of_the_truth_match_the_files(zonal_v5: wv.Scenario) -> None:
    rows = read(zonal_v5)
    t = zonal_v5.truth
    assert t.records == len(rows) and t.files == 24
    assert t.nodata == sum(r["log-status"] == "NODATA" for r in rows) == 24
    assert t.all_bytes == sum(int(r["bytes"]) for r in rows if r["bytes"] != "-")
    # whole VPC logged: NAT bytes appear on three interfaces' worth of legs (plus other traffic)
    assert t.all_bytes > 3 * t.nat_bytes


def test_inventory_documents_have_awss_response_shape() -> None:
    enis, nats = wv.inventory_documents(wv.NAT_ZONAL)
    nat_eni = [e for e in enis["NetworkInterfaces"] if e["InterfaceType"] == "nat_gateway"]
    assert [e["NetworkInterfaceId"] for e in nat_eni] == [wv.NAT_ZONAL.interface_id]
    assert nat_eni[0]["Description"] == f"Interface for NAT Gateway {wv.NAT_ZONAL.nat_gateway_id}"
    (gw,) = nats["NatGateways"]
    assert gw["AvailabilityMode"] == "zonal"
    assert gw["NatGatewayAddresses"][0]["PrivateIp"] == wv.NAT_ZONAL.private_ip
    _, regional = wv.inventory_documents(wv.NAT_REGIONAL)
    (rg,) = regional["NatGateways"]
    assert rg["AvailabilityMode"] == "regional" and "SubnetId" not in rg
    assert [a["AvailabilityZoneId"] for a in rg["NatGatewayAddresses"]] == ["apse1-az1",
                                                                             "apse1-az2"]
