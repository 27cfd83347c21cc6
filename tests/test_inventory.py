"""awsip.traffic.inventory: describe-network-interfaces / describe-nat-gateways JSON read,
merged and used to label columns of addresses and interface ids."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

import whole_vpc as wv
from awsip.errors import AwsipError
from awsip.traffic.inventory import LOOKUP_COLUMNS, Inventory, InventoryError

DATA = Path(__file__).parent / "data" / "inventory"
ENIS, NATS = DATA / "apse1-network-interfaces.json", DATA / "apse1-nat-gateways.json"
REGIONAL = DATA / "apse1-regional-nat-gateways.json"


def test_fixtures_are_what_the_whole_vpc_generator_writes() -> None:
    enis, nats = wv.inventory_documents(wv.NAT_ZONAL)
    assert json.loads(ENIS.read_text()) == enis
    assert json.loads(NATS.read_text()) == nats
    assert json.loads(REGIONAL.read_text()) == wv.inventory_documents(wv.NAT_REGIONAL)[1]


def test_awss_cli_examples_are_read_as_documented() -> None:
    inv = Inventory.load([DATA / "aws-cli-describe-network-interfaces.json",
                          DATA / "aws-cli-describe-nat-gateways.json"])
    eni = inv.interface("eni-e5aa89a3")
    assert eni is not None
    assert (eni.subnet_id, eni.vpc_id, eni.az, eni.az_id, eni.instance_id) == (
        "subnet-b61f49f0", "vpc-a01106c2", "us-east-1d", None, "i-1234567890abcdef0")
    assert (eni.private_ips, eni.public_ips) == (("10.0.1.17",), ("203.0.113.12",))
    assert inv.by_address("10.0.1.149").instance_id == "i-0598c7d356eba48d7"  # type: ignore[union-attr]
    nat = inv.nat_gateways["nat-05dba92075d71c408"]
    assert (nat.interface_ids, nat.private_ips, nat.public_ips) == (
        ("eni-9dec76cd",), ("10.0.0.149",), ("198.11.222.333",))  # as printed on AWS's page
    assert (nat.subnet_id, nat.state, nat.availability_mode, nat.regional) == (
        "subnet-847e4dc2", "available", "zonal", False)
    assert inv.nat_gateways["nat-0a93acc57881d4199"].state == "deleting"
    # only describe-nat-gateways names the NAT interfaces: they are added, tied to their NAT
    assert inv.nat_for_address("10.0.0.77").nat_gateway_id == "nat-0a93acc57881d4199"  # type: ignore[union-attr]
    assert inv.interface("eni-71ec7621").interface_type == "nat_gateway"  # type: ignore[union-attr]
    assert inv.nat_interface_ids == {"eni-9dec76cd", "eni-71ec7621"}
    assert inv.nat_private_ips == {"10.0.0.149", "10.0.0.77"}


def test_zonal_nat_gets_the_az_of_its_interface_and_its_interface_the_nat() -> None:
    inv = Inventory.load([ENIS, NATS])
    nat = inv.nat_gateways[wv.NAT_ZONAL.nat_gateway_id]
    assert (nat.interface_ids, nat.private_ips, nat.public_ips) == (
        (wv.NAT_ZONAL.interface_id,), (wv.NAT_ZONAL.private_ip,), ("54.251.10.20",))
    assert (nat.az, nat.az_id, nat.az_ids, nat.subnet_id) == (
        "ap-southeast-1a", "apse1-az1", ("apse1-az1",), wv.NAT_ZONAL.subnet_id)
    eni = inv.interface(wv.NAT_ZONAL.interface_id or "")
    assert eni is not None and eni.nat_gateway_id == wv.NAT_ZONAL.nat_gateway_id
    assert eni.interface_type == "nat_gateway" and eni.instance_id is None
    assert eni.to_dict()["private_ips"] == [wv.NAT_ZONAL.private_ip]
    assert inv.regional_nat_ids == frozenset()


def test_nat_interface_is_tied_by_its_description_when_nat_gateways_are_not_given() -> None:
    inv = Inventory.load(ENIS)
    assert inv.nat_for_interface(wv.NAT_ZONAL.interface_id or "") is None  # no NAT document
    eni = inv.by_address(wv.NAT_ZONAL.private_ip or "")
    assert eni is not None and eni.nat_gateway_id == wv.NAT_ZONAL.nat_gateway_id
    assert inv.nat_interface_ids == frozenset() and not inv.nat_gateways


def test_regional_nat_has_its_mode_and_zones_and_no_interface() -> None:
    inv = Inventory.load(REGIONAL)
    nat = inv.nat_gateways[wv.NAT_REGIONAL.nat_gateway_id]
    assert nat.regional and nat.availability_mode == "regional"
    assert (nat.interface_ids, nat.private_ips, nat.subnet_id, nat.az_id) == ((), (), None, None)
    assert nat.az_ids == ("apse1-az1", "apse1-az2")
    assert nat.public_ips == ("54.251.10.20", "54.251.10.21")
    assert "1 NAT gateway(s) (0 zonal, 1 regional)" in inv.summary()
    assert inv.regional_nat_ids == {wv.NAT_REGIONAL.nat_gateway_id}
    assert nat.to_dict()["az_ids"] == ["apse1-az1", "apse1-az2"]
    assert json.loads(json.dumps(nat.to_dict()))["availability_mode"] == "regional"
    assert "source" not in nat.to_dict()


def test_column_of_addresses_is_labelled_row_by_row_with_nulls_for_unknown() -> None:
    inv = Inventory.load([ENIS, NATS])
    column = pa.chunked_array([["10.20.2.21", "8.8.8.8", None], [], ["10.20.0.37", "10.20.2.21"]])
    t = inv.lookup_addresses(column)
    assert t.column_names == list(LOOKUP_COLUMNS) and t.num_rows == 5
    rows = t.to_pylist()
    assert rows[0] == {"interface_id": "eni-0b1b000000000b101",
                       "subnet_id": "subnet-0aa11bb22cc33dd22", "vpc_id": wv.VPC_ID,
                       "az": "ap-southeast-1b", "az_id": "apse1-az2",
                       "instance_id": "i-0b1b1b1b1b1b1b1b1", "interface_type": "interface",
                       "nat_gateway_id": None}
    assert rows[1] == dict.fromkeys(LOOKUP_COLUMNS) and rows[2] == dict.fromkeys(LOOKUP_COLUMNS)
    assert (rows[3]["interface_id"], rows[3]["nat_gateway_id"], rows[3]["az_id"]) == (
        wv.NAT_ZONAL.interface_id, wv.NAT_ZONAL.nat_gateway_id, "apse1-az1")
    assert rows[4] == rows[0]


def test_column_of_interface_ids_is_labelled_including_dictionary_columns() -> None:
    inv = Inventory.load([ENIS, NATS])
    ids = pa.array(["eni-0a1a000000000a101", "-", "eni-0a9b8c7d6e5f40312"]).dictionary_encode()
    rows = inv.lookup_interfaces(ids).to_pylist()
    assert [r["instance_id"] for r in rows] == ["i-0a1a1a1a1a1a1a1a1", None, None]
    assert [r["nat_gateway_id"] for r in rows] == [None, None, wv.NAT_ZONAL.nat_gateway_id]
    assert Inventory().lookup_interfaces(pa.array(["eni-1"])).to_pylist() == [
        dict.fromkeys(LOOKUP_COLUMNS)]


def test_a_bare_list_and_a_combined_object_are_read_too(tmp_path: Path) -> None:
    enis, nats = wv.inventory_documents(wv.NAT_ZONAL)
    bare = tmp_path / "list.json"
    bare.write_text(json.dumps(enis["NetworkInterfaces"] + nats["NatGateways"]))
    both = tmp_path / "both.json"
    both.write_text(json.dumps({**enis, **nats}))
    a, b, c = Inventory.load(bare), Inventory.load(both), Inventory.load([ENIS, NATS])
    assert a.interfaces == b.interfaces == c.interfaces
    assert a.nat_gateways == b.nat_gateways == c.nat_gateways


def test_same_file_twice_is_fine_but_two_different_descriptions_are_an_error(
        tmp_path: Path) -> None:
    assert Inventory.load([ENIS, ENIS]).interfaces == Inventory.load(ENIS).interfaces
    doc = json.loads(ENIS.read_text())
    doc["NetworkInterfaces"][0]["SubnetId"] = "subnet-0ffffffffffffffff"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    with pytest.raises(InventoryError, match=r"eni-0a1a000000000a101 is described differently "
                                             r"in .*apse1-network-interfaces.json and .*other"):
        Inventory.load([ENIS, other])


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", r"bad\.json: not JSON \(Expecting property name .* line 1 column 2\); "
                  r"expected the JSON output of `aws ec2 describe-network-interfaces`"),
    ('{"Reservations": []}', r"bad\.json: a JSON object with keys Reservations; expected"),
    ('{"NetworkInterfaces": {}}', r"bad\.json: \"NetworkInterfaces\" is not a list"),
    ('"text"', r"bad\.json: the JSON is a str; expected"),
    ('[{"InstanceId": "i-1"}]', r"bad\.json: item \[0\] of the top-level list has neither"),
    ('{"NetworkInterfaces": [{"SubnetId": "subnet-1"}]}',
     r"bad\.json: NetworkInterfaces\[0\]: no NetworkInterfaceId"),
    ('{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.0.300"}]}',
     r"NetworkInterfaces\[0\]\.PrivateIpAddress: '10\.0\.0\.300' is not an IP address"),
    ('{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddresses": 3}]}',
     r"NetworkInterfaces\[0\]\.PrivateIpAddresses: not a list of objects"),
    ('{"NatGateways": [{"NatGatewayId": 7}]}', r"NatGateways\[0\]\.NatGatewayId: 7 is not a str"),
    ('{"NatGateways": [{"NatGatewayId": "nat-1", "AvailabilityMode": "global"}]}',
     r"NatGateways\[0\]\.AvailabilityMode: 'global'; expected zonal or regional"),
])
def test_bad_inventory_is_an_error_naming_the_file_and_what_was_expected(
        tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(InventoryError, match=message) as info:
        Inventory.load(bad)
    assert isinstance(info.value, AwsipError)


def test_missing_file_and_no_file_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"inventory file .*nope\.json: no such file"):
        Inventory.load(tmp_path / "nope.json")
    with pytest.raises(InventoryError, match="no inventory file given"):
        Inventory.load([])
