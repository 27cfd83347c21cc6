"""Scalar lookup: the primary service rule, proven against a brute-force oracle."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsip import InvalidAddressError, Match, Ranges
from oracle import INVESTIGATION, Doc, Expected, Oracle, boundary_addresses


@pytest.fixture(scope="module")
def oracle(doc: Doc) -> Oracle:
    return Oracle(doc)


def assert_agrees(match: Match, expected: Expected) -> None:
    assert match.aws == expected.aws, match
    assert match.prefix == expected.prefix, match
    assert match.service == expected.service, match
    assert frozenset(match.services) == expected.services, match
    assert len(match.services) == len(expected.services)
    if match.aws:
        assert match.services[0] == match.service
    assert match.region == expected.region, match
    assert match.network_border_group == expected.network_border_group, match
    got = tuple((m.prefix, m.service, m.region, m.network_border_group) for m in match.matches)
    assert got == expected.matches, match


def test_every_prefix_boundary_agrees_with_the_oracle(ranges: Ranges, oracle: Oracle,
                                                      doc: Doc) -> None:
    addresses = boundary_addresses(doc)
    assert len(addresses) > 20_000  # both families, every prefix (shared edges counted once)
    for ip in addresses:
        assert_agrees(ranges.lookup(ip), oracle.enumerate(ip))


def test_random_sample_agrees_with_a_linear_scan(ranges: Ranges, oracle: Oracle,
                                                 doc: Doc) -> None:
    rng = random.Random(20261129)
    boundaries = boundary_addresses(doc)
    sample = rng.sample(boundaries, 150)
    sample += [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(100)]
    aws_prefixes = [item["ip_prefix"] for item in doc["prefixes"]]
    for _ in range(100):  # random addresses inside random AWS prefixes
        net = ipaddress.IPv4Network(rng.choice(aws_prefixes))
        sample.append(str(net[rng.randrange(net.num_addresses)]))
    for ip in sample:
        assert_agrees(ranges.lookup(ip), oracle.scan(ip))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6),
                 st.integers(0, 2**32 - 1).map(lambda n: f"::ffff:{ipaddress.IPv4Address(n)}")))
def test_random_addresses_agree_with_the_oracle(ranges: Ranges, oracle: Oracle,
                                                address: object) -> None:
    ip = str(address)
    assert_agrees(ranges.lookup(ip), oracle.enumerate(ip))


@pytest.mark.parametrize("ip", INVESTIGATION)
def test_investigation_addresses_are_s3_in_us_east_1(ranges: Ranges, ip: str) -> None:
    match = ranges.lookup(ip)
    assert (match.aws, match.service, match.region) == (True, "S3", "us-east-1")


@pytest.mark.parametrize("ip", ["10.0.0.144", "8.8.8.8", "2001:4860:4860::8888", "::1"])
def test_non_aws_addresses_are_not_aws(ranges: Ranges, ip: str) -> None:
    match = ranges.lookup(ip)
    assert not match
    assert match.to_dict() == {"ip": ip, "aws": False, "prefix": None, "service": None,
                               "services": [], "region": None, "network_border_group": None,
                               "matches": []}


def test_prefix_tagged_amazon_s3_and_ec2_is_s3(ranges: Ranges) -> None:
    match = ranges.lookup("16.15.207.229")
    assert match.prefix == "16.15.192.0/18"
    assert match.service == "S3"
    assert set(match.services) == {"AMAZON", "S3", "EC2"}


def test_api_gateway_nested_in_ec2_is_api_gateway(ranges: Ranges, doc: Doc) -> None:
    ec2 = [ipaddress.ip_network(p["ip_prefix"]) for p in doc["prefixes"] if p["service"] == "EC2"]
    nested = next(
        p["ip_prefix"] for p in doc["prefixes"]
        if p["service"] == "API_GATEWAY" and ipaddress.ip_network(p["ip_prefix"]).prefixlen == 25
        and any(ipaddress.ip_network(p["ip_prefix"]).subnet_of(n) and n.prefixlen == 13
                for n in ec2)
    )
    match = ranges.lookup(str(ipaddress.ip_network(nested)[1]))
    assert match.service == "API_GATEWAY"
    assert "EC2" in match.services


def _tags(doc: Doc) -> dict[str, set[str]]:
    tags: dict[str, set[str]] = {}
    for p in doc["prefixes"]:
        tags.setdefault(p["ip_prefix"], set()).add(p["service"])
    return tags


def test_cloudfront_origin_facing_beats_cloudfront(ranges: Ranges, doc: Doc) -> None:
    shared = [p for p, s in _tags(doc).items() if {"CLOUDFRONT", "CLOUDFRONT_ORIGIN_FACING"} <= s]
    decided = 0
    for prefix in shared:
        net = ipaddress.ip_network(prefix)
        for ip in (net.network_address, net.broadcast_address):
            match = ranges.lookup(str(ip))
            if match.prefix == prefix:  # not shadowed by a more specific prefix
                assert match.service == "CLOUDFRONT_ORIGIN_FACING"
                decided += 1
    assert decided > 0


def _int_prefixes(doc: Doc) -> dict[tuple[int, int, int], set[str]]:
    """Every distinct prefix as (family, network as an integer, length) -> its services."""
    out: dict[tuple[int, int, int], set[str]] = {}
    for item in doc["prefixes"] + doc["ipv6_prefixes"]:
        net = ipaddress.ip_network(item.get("ip_prefix") or item["ipv6_prefix"])
        out.setdefault((net.version, int(net.network_address), net.prefixlen),
                       set()).add(item["service"])
    return out


def _bits(version: int) -> int:
    return 32 if version == 4 else 128


def _supernets(key: tuple[int, int, int]) -> Iterator[tuple[int, int, int]]:
    """Every strictly wider prefix holding the prefix ``key``, as keys of the same shape."""
    version, network, plen = key
    bits = _bits(version)
    for p in range(plen):
        yield version, network >> (bits - p) << (bits - p), p


def _last(key: tuple[int, int, int]) -> int:
    version, network, plen = key
    return network + (1 << (_bits(version) - plen)) - 1


def _first_address_decided_by(key: tuple[int, int, int],
                              inside: list[tuple[int, int]]) -> int | None:
    """The lowest address of prefix ``key`` outside every (first, last) span in ``inside`` (its
    more specific prefixes): the prefix itself decides it. None if they cover all of it."""
    candidate = key[1]
    for first, last in sorted(inside):
        if first > candidate:
            break
        candidate = max(candidate, last + 1)
    return candidate if candidate <= _last(key) else None


def test_amazon_only_prefix_nested_in_ec2_stays_amazon(ranges: Ranges, oracle: Oracle,
                                                       doc: Doc) -> None:
    """Every prefix tagged only AMAZON inside a wider EC2 prefix, in both families: where it is
    the most specific prefix the answer is AMAZON with EC2 among the services, and its first and
    last addresses agree with the oracle."""
    prefixes = _int_prefixes(doc)
    ec2 = {key for key, services in prefixes.items() if "EC2" in services}
    nested = [key for key, services in prefixes.items()
              if services == {"AMAZON"} and any(s in ec2 for s in _supernets(key))]
    assert len(nested) > 100 and {key[0] for key in nested} == {4, 6}
    inside: dict[tuple[int, int, int], list[tuple[int, int]]] = {key: [] for key in nested}
    for key in prefixes:  # each prefix's span, filed under every nested prefix holding it
        for outer in _supernets(key):
            if outer in inside:
                inside[outer].append((key[1], _last(key)))
    decided = 0
    for key in nested:
        version, network, plen = key
        address = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        for value in (network, _last(key)):
            ip = str(address(value))
            assert_agrees(ranges.lookup(ip), oracle.enumerate(ip))
        own = _first_address_decided_by(key, inside[key])
        if own is None:  # wholly covered by more specific prefixes: it decides nothing
            continue
        ip = str(address(own))
        match = ranges.lookup(ip)
        assert_agrees(match, oracle.enumerate(ip))
        assert match.prefix == str(ipaddress.ip_network((network, plen))), match
        assert match.service == "AMAZON" and "EC2" in match.services, match
        decided += 1
    assert decided == len(nested)  # in this publication none is wholly covered


def test_amazon_slash_32_inside_ec2_range_stays_amazon() -> None:
    doc = {"syncToken": "1", "createDate": "2026-01-01-00-00-00", "ipv6_prefixes": [],
           "prefixes": [
               {"ip_prefix": "3.0.0.0/15", "service": "AMAZON", "region": "us-east-1",
                "network_border_group": "us-east-1"},
               {"ip_prefix": "3.0.0.0/16", "service": "EC2", "region": "us-east-1",
                "network_border_group": "us-east-1"},
               {"ip_prefix": "3.0.5.5/32", "service": "AMAZON", "region": "us-east-1",
                "network_border_group": "us-east-1"}]}
    ranges = Ranges.from_json(doc)
    assert ranges.lookup("3.0.5.5").service == "AMAZON"
    assert ranges.lookup("3.0.5.5").services == ("AMAZON", "EC2")
    assert ranges.lookup("3.0.5.6").service == "EC2"
    assert ranges.lookup("3.1.0.0").service == "AMAZON"


def test_ipv4_mapped_ipv6_is_looked_up_as_ipv4(ranges: Ranges) -> None:
    assert ranges.lookup("::ffff:52.216.58.42") == ranges.lookup("52.216.58.42")


def test_ipaddress_objects_are_accepted(ranges: Ranges) -> None:
    assert ranges.lookup(ipaddress.ip_address("52.216.58.42")).service == "S3"


def test_ipv6_lookup_finds_the_most_specific_prefix(ranges: Ranges, doc: Doc) -> None:
    item = doc["ipv6_prefixes"][0]
    net = ipaddress.IPv6Network(item["ipv6_prefix"])
    match = ranges.lookup(str(net.network_address + 1))
    assert match.aws and match.prefix is not None
    assert ipaddress.ip_network(match.prefix).prefixlen >= net.prefixlen


@pytest.mark.parametrize("bad", ["", "not-an-ip", "300.1.1.1", "1.2.3", "52.216.0.0/15",
                                 "01.2.3.4", "1:2:3:4:5:6:7:8:9", None, 12345])
def test_invalid_input_raises_an_error_naming_it(ranges: Ranges, bad: object) -> None:
    with pytest.raises(InvalidAddressError) as info:
        ranges.lookup(bad)
    assert repr(bad) in str(info.value)
