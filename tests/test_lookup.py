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


def _decided_by(prefixes: dict[tuple[int, int, int], set[str]],
                keys: list[tuple[int, int, int]]) -> dict[tuple[int, int, int], int | None]:
    """For each prefix in ``keys``, its first address that no more specific prefix of
    ``prefixes`` covers (None if they cover all of it)."""
    inside: dict[tuple[int, int, int], list[tuple[int, int]]] = {key: [] for key in keys}
    for key in prefixes:  # each prefix's span, filed under every prefix of keys holding it
        for outer in _supernets(key):
            if outer in inside:
                inside[outer].append((key[1], _last(key)))
    return {key: _first_address_decided_by(key, spans) for key, spans in inside.items()}


def _ip(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


def _name(key: tuple[int, int, int]) -> str:
    version, network, plen = key
    cls = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    return str(cls((network, plen)))


def test_cloudfront_origin_facing_beats_cloudfront(ranges: Ranges, oracle: Oracle,
                                                   doc: Doc) -> None:
    """Every prefix tagged both, in both families, where it is the most specific prefix."""
    prefixes = _int_prefixes(doc)
    shared = [key for key, services in prefixes.items()
              if {"CLOUDFRONT", "CLOUDFRONT_ORIGIN_FACING"} <= services]
    assert len(shared) > 10
    decided = 0
    for key, own in _decided_by(prefixes, shared).items():
        if own is None:  # wholly covered by more specific prefixes: it decides nothing
            continue
        ip = _ip(key[0], own)
        match = ranges.lookup(ip)
        assert_agrees(match, oracle.enumerate(ip))
        assert (match.prefix, match.service) == (_name(key), "CLOUDFRONT_ORIGIN_FACING"), match
        decided += 1
    assert decided == len(shared)  # in this publication none is wholly covered


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
    decided = 0
    for key, own in _decided_by(prefixes, nested).items():
        for value in (key[1], _last(key)):
            ip = _ip(key[0], value)
            assert_agrees(ranges.lookup(ip), oracle.enumerate(ip))
        if own is None:  # wholly covered by more specific prefixes: it decides nothing
            continue
        ip = _ip(key[0], own)
        match = ranges.lookup(ip)
        assert_agrees(match, oracle.enumerate(ip))
        assert match.prefix == _name(key), match
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


def test_ipv6_lookup_finds_the_most_specific_prefix(ranges: Ranges, oracle: Oracle,
                                                    doc: Doc) -> None:
    for item in doc["ipv6_prefixes"]:  # the middle of each (its edges: the boundary test)
        net = ipaddress.IPv6Network(item["ipv6_prefix"])
        ip = str(net[net.num_addresses // 2])
        match = ranges.lookup(ip)
        assert_agrees(match, oracle.enumerate(ip))
        assert match.prefix is not None
        assert ipaddress.ip_network(match.prefix).prefixlen >= net.prefixlen


@pytest.mark.parametrize("bad", ["", "not-an-ip", "300.1.1.1", "1.2.3", "52.216.0.0/15",
                                 "01.2.3.4", "1:2:3:4:5:6:7:8:9", None, 12345])
def test_invalid_input_raises_an_error_naming_it(ranges: Ranges, bad: object) -> None:
    with pytest.raises(InvalidAddressError) as info:
        ranges.lookup(bad)
    assert repr(bad) in str(info.value)
