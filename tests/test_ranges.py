"""The Ranges model: parsing, validation errors that name what and where, accessors, filters."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from awsip import Ranges, RangesError
from oracle import Doc, Oracle


@pytest.fixture(scope="module")
def ranges(doc: Doc) -> Ranges:
    return Ranges.from_json(json.dumps(doc))


def test_parses_header_fields(ranges: Ranges, doc: Doc) -> None:
    assert ranges.sync_token == doc["syncToken"]
    assert ranges.create_date == datetime(2026, 8, 22, 15, 17, 5, tzinfo=timezone.utc)
    assert ranges.create_date.tzinfo is not None


def test_counts_every_entry_of_both_families(ranges: Ranges, doc: Doc) -> None:
    assert len(ranges.ipv4) == len(doc["prefixes"])
    assert len(ranges.ipv6) == len(doc["ipv6_prefixes"])
    assert len(ranges) == len(doc["prefixes"]) + len(doc["ipv6_prefixes"])


def test_accessors_list_services_regions_and_border_groups(ranges: Ranges, doc: Doc) -> None:
    items = doc["prefixes"] + doc["ipv6_prefixes"]
    assert ranges.services == {i["service"] for i in items}
    assert ranges.regions == {i["region"] for i in items}
    assert ranges.network_border_groups == {i["network_border_group"] for i in items}


def test_filter_is_case_insensitive_ors_within_and_ands_across(ranges: Ranges, doc: Doc) -> None:
    got = ranges.filter(service=["s3", "DynamoDB"], region="us-east-1", version=4)
    expected = [i["ip_prefix"] for i in doc["prefixes"]
                if i["service"] in ("S3", "DYNAMODB") and i["region"] == "us-east-1"]
    assert [e.prefix for e in got] == expected
    assert len(ranges.filter(version=6)) == len(doc["ipv6_prefixes"])
    assert len(ranges.filter(network_border_group="US-EAST-1-BOS-1")) == len(
        [i for i in doc["prefixes"] + doc["ipv6_prefixes"]
         if i["network_border_group"] == "us-east-1-bos-1"])


def test_filtered_view_keeps_the_publications_primary_service_rule(ranges: Ranges) -> None:
    only_us_east = ranges.filter(region="us-east-1")
    assert only_us_east.lookup("16.15.207.229").service == ranges.lookup("16.15.207.229").service


def test_round_trips_to_the_same_document(ranges: Ranges, doc: Doc) -> None:
    again = Ranges.from_json(ranges.to_document())
    assert again.entries == ranges.entries


def _broken(doc: Doc, change) -> Doc:
    d = copy.deepcopy(doc)
    change(d)
    return d


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["prefixes"][812].__setitem__("ip_prefix", "3.5.0.1/16"),
     "prefixes[812].ip_prefix: '3.5.0.1/16' has host bits set"),
    (lambda d: d["prefixes"][3].__setitem__("ip_prefix", "3.5.0.0/33"),
     "prefixes[3].ip_prefix: '3.5.0.0/33'"),
    (lambda d: d["prefixes"][4].__setitem__("ip_prefix", "banana/8"),
     "prefixes[4].ip_prefix: 'banana/8' is not a valid CIDR prefix"),
    (lambda d: d["prefixes"][5].__setitem__("ip_prefix", "2600::/32"),
     "prefixes[5].ip_prefix: '2600::/32' is not an IPv4 prefix"),
    (lambda d: d["ipv6_prefixes"][7].pop("ipv6_prefix"),
     "ipv6_prefixes[7]: missing key 'ipv6_prefix'"),
    (lambda d: d["prefixes"][9].__setitem__("region", 5), "prefixes[9].region: expected"),
    (lambda d: d["prefixes"].__setitem__(2, "x"), "prefixes[2]: expected an object"),
    (lambda d: d.pop("syncToken"), "missing key 'syncToken'"),
    (lambda d: d.__setitem__("createDate", "yesterday"), "createDate: 'yesterday'"),
    (lambda d: d.__setitem__("prefixes", {}), "prefixes: expected a list"),
])
def test_malformed_document_raises_error_naming_what_and_where(
        doc: Doc, change: Any, message: str) -> None:
    with pytest.raises(RangesError) as info:
        Ranges.from_json(_broken(doc, change))
    assert message in str(info.value)


@pytest.mark.parametrize("data", [b"<html><body>Login</body></html>", b'{"syncToken": "1"', b"[]",
                                  b"\xff\xfe"])
def test_not_a_document_raises_ranges_error(data: bytes) -> None:
    with pytest.raises(RangesError):
        Ranges.from_json(data)


def test_breadth_counts_merged_addresses_per_family(ranges: Ranges, doc: Doc) -> None:
    oracle = Oracle(doc)  # ipaddress.collapse_addresses over each service's prefixes
    assert {(v, s): ranges.breadth(s, v) for v, s in oracle.breadth} == oracle.breadth
    assert ranges.breadth("S3", 4) < ranges.breadth("EC2", 4) < ranges.breadth("AMAZON", 4)
    assert ranges.breadth("NO_SUCH_SERVICE", 4) == 0


def test_public_functions_are_those_of_the_api_module() -> None:
    import awsip
    from awsip import api

    assert awsip.classify is api.classify
    assert awsip.summarize is api.summarize
    assert awsip.report is api.report
    assert awsip.enrich_flow_logs is api.enrich_flow_logs
    assert awsip.read_flow_logs is api.read_flow_logs
    with pytest.raises(AttributeError):
        awsip.no_such_function  # noqa: B018
