"""Bulk classification agrees exactly with the scalar lookup, whatever the input."""

from __future__ import annotations

import ipaddress
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import awsip
import awsip.classification.engine as classify_module
from awsip import InvalidAddressError, Ranges
from awsip.classification.engine import COLUMNS, classify, dotted, invalid_count
from oracle import INVESTIGATION, Doc, boundary_addresses


@pytest.fixture(params=["unique-first", "direct"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test through both engine paths: dictionary-encoded (large inputs) and direct."""
    if request.param == "unique-first":
        monkeypatch.setattr(classify_module, "_SMALL", 0)
        monkeypatch.setattr(classify_module, "_MOSTLY_DISTINCT", 2.0)  # whatever the sample says
    else:
        monkeypatch.setattr(classify_module, "_SMALL", 10**9)
    return str(request.param)


def expected_row(ranges: Ranges, value: Any) -> dict[str, Any]:
    """What the scalar lookup says, in classify's row form (minus the ip column)."""
    try:
        match = ranges.lookup(value)
    except InvalidAddressError:
        return {"valid": False, "aws": None, "prefix": None, "service": None, "region": None,
                "network_border_group": None}
    return {"valid": True, "aws": match.aws, "prefix": match.prefix, "service": match.service,
            "region": match.region, "network_border_group": match.network_border_group}


def assert_agrees(ranges: Ranges, inputs: list[Any], table: pa.Table) -> None:
    assert table.column_names == list(COLUMNS)
    assert len(table) == len(inputs)
    rows = table.to_pylist()
    for value, row in zip(inputs, rows, strict=True):
        got = {k: v for k, v in row.items() if k != "ip"}
        assert got == expected_row(ranges, value), (value, row)


def test_every_prefix_boundary_agrees_with_lookup_in_one_mixed_call(ranges: Ranges, doc: Doc,
                                                                    path: str) -> None:
    addresses = boundary_addresses(doc)
    mapped = [f"::ffff:{a}" for a in addresses if ":" not in a]
    inputs = addresses + mapped[::7]
    assert any(":" in a for a in addresses) and any(":" not in a for a in addresses)
    table = classify(inputs, ranges)
    assert_agrees(ranges, inputs, table)
    assert table["ip"].to_pylist() == inputs


def test_boundaries_as_uint32_agree_with_lookup(ranges: Ranges, doc: Doc) -> None:
    v4 = [a for a in boundary_addresses(doc) if ":" not in a]
    numbers = np.array([int(ipaddress.IPv4Address(a)) for a in v4], dtype=np.uint32)
    table = classify(numbers, ranges)
    assert table["ip"].to_pylist() == numbers.tolist()  # the input, unchanged
    assert dotted(table["ip"]).to_pylist() == v4
    assert_agrees(ranges, v4, table)


def test_dir24_and_binary_search_give_the_same_codes(ranges: Ranges) -> None:
    from awsip.index.bulk import bulk_index

    index = bulk_index(ranges)
    values = np.random.default_rng(7).integers(0, 2**32, 200_000, dtype=np.uint32)
    values = np.concatenate([values, index.starts4, index.starts4 - 1])
    assert (index.lookup4(values) == index.lookup4_searchsorted(values)).all()
    inside = index.starts4[index.codes4 != 0]  # mostly AWS /16s: the all-/24-table branch
    for batch in (inside, inside + 1, inside - 1):
        assert (index.lookup4(batch) == index.lookup4_searchsorted(batch)).all()


@pytest.mark.parametrize("ip", INVESTIGATION)
def test_investigation_addresses_are_s3_in_us_east_1(ranges: Ranges, ip: str) -> None:
    row = classify([ip, f"::ffff:{ip}"], ranges).to_pylist()
    for r in row:
        assert (r["service"], r["region"], r["network_border_group"]) == \
            ("S3", "us-east-1", "us-east-1")


ipv4_text = st.ip_addresses(v=4).map(str)
ipv6_text = st.ip_addresses(v=6).map(str)
mapped_text = st.integers(0, 2**32 - 1).map(lambda n: f"::ffff:{ipaddress.IPv4Address(n)}")
dotted_garbage = st.text(alphabet="0123456789.", max_size=17)
near_misses = st.builds(
    lambda parts, seps: "".join(p + s for p, s in zip(parts, seps, strict=False)),
    st.lists(st.sampled_from(["0", "00", "1", "01", "9", "10", "099", "255", "256", "300", "25",
                              "249", "250", "199", "1000", ""]), min_size=1, max_size=5),
    st.lists(st.sampled_from([".", ".", ".", "..", "", " ", "/", ":"]), min_size=1, max_size=5))
garbage = st.one_of(st.text(max_size=20), dotted_garbage, near_misses,
                    ipv4_text.map(lambda s: f" {s}\t"), ipv4_text.map(lambda s: s + "/24"),
                    st.none())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(ipv4_text, ipv6_text, mapped_text, garbage), max_size=60))
def test_random_mixed_inputs_agree_with_lookup(ranges: Ranges, inputs: list[Any]) -> None:
    for small in (0, 10**9):  # both engine paths
        classify_module._SMALL = small
        try:
            table = classify(inputs, ranges)
        finally:
            classify_module._SMALL = 1024
        assert_agrees(ranges, inputs, table)
        assert table["ip"].to_pylist() == inputs


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.", min_size=7, max_size=15), min_size=1))
def test_digit_and_dot_strings_are_judged_like_inet_pton(ranges: Ranges,
                                                         inputs: list[str]) -> None:
    table = classify(inputs * 2, ranges)  # the repeat also exercises unique-first
    assert_agrees(ranges, inputs * 2, table)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=50))
def test_random_integers_agree_with_lookup_of_their_dotted_form(ranges: Ranges,
                                                                numbers: list[int]) -> None:
    table = classify(np.array(numbers, dtype=np.uint32), ranges)
    text = [str(ipaddress.IPv4Address(n)) for n in numbers]
    assert dotted(table["ip"]).to_pylist() == text
    assert_agrees(ranges, text, table)


def test_invalid_inputs_are_flagged_not_raised(ranges: Ranges, path: str) -> None:
    inputs = ["52.216.58.42", "", None, "10.0.0.0/8", "300.1.1.1", "01.2.3.4", "1.2.3",
              "not an address", "2600:1f18::1", "::ffff:1.2.3.4", "1.2.3.4\x00"]
    table = classify(inputs, ranges)
    assert table["valid"].to_pylist() == [True, False, False, False, False, False, False, False,
                                          True, True, False]
    assert table["aws"].to_pylist()[:3] == [True, None, None]
    assert invalid_count(table) == 8
    assert table.schema.metadata[b"awsip.sync_token"] == ranges.sync_token.encode()


def test_unique_first_is_chosen_only_when_inputs_repeat() -> None:
    distinct = [str(ipaddress.IPv4Address(n)) for n in range(10_000, 30_000)]
    assert not classify_module._repeats(pa.array(distinct))
    assert classify_module._repeats(pa.array(distinct[:100] * 200))


def test_results_keep_input_order_and_repeats(ranges: Ranges, path: str) -> None:
    inputs = ["52.216.58.42", "1.1.1.1", "52.216.58.42", "bad", "1.1.1.1"] * 300
    table = classify(inputs, ranges)
    assert table["ip"].to_pylist() == inputs
    assert table["service"].to_pylist() == ["S3", None, "S3", None, None] * 300


def test_label_columns_are_dictionary_encoded_strings(ranges: Ranges) -> None:
    table = classify(["52.216.58.42", "2600:1f18::1"], ranges)
    schema = table.schema
    assert schema.field("ip").type == pa.string()
    assert schema.field("valid").type == pa.bool_()
    assert schema.field("aws").type == pa.bool_()
    for name in ("prefix", "service", "region", "network_border_group"):
        assert schema.field(name).type == pa.dictionary(pa.int16(), pa.string())


@pytest.mark.parametrize("kind", ["list", "tuple-iter", "numpy-str", "numpy-object", "numpy-bytes",
                                  "arrow", "arrow-large", "chunked", "pandas", "pandas-string"])
def test_every_input_kind_gives_the_same_answers(ranges: Ranges, kind: str) -> None:
    inputs = ["52.216.58.42", "3.5.16.209", "2600:1f18::1", "8.8.8.8", "bogus"]
    converted: Any = {
        "list": lambda: list(inputs),
        "tuple-iter": lambda: iter(tuple(inputs)),
        "numpy-str": lambda: np.array(inputs),
        "numpy-object": lambda: np.array(inputs, dtype=object),
        "numpy-bytes": lambda: np.array([s.encode() for s in inputs]),
        "arrow": lambda: pa.array(inputs),
        "arrow-large": lambda: pa.array(inputs, type=pa.large_string()),
        "chunked": lambda: pa.chunked_array([inputs[:2], inputs[2:]]),
        "pandas": lambda: pd.Series(inputs),
        "pandas-string": lambda: pd.Series(inputs, dtype="string"),
    }[kind]()
    table = classify(converted, ranges)
    assert_agrees(ranges, inputs, table)


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64, np.int64])
def test_integer_inputs_outside_ipv4_are_invalid(ranges: Ranges, dtype: Any) -> None:
    values = [int(ipaddress.IPv4Address("52.216.58.42")), 0, 2**32 - 1]
    if dtype != np.uint32:
        values.append(2**32)
    if dtype == np.int64:
        values.append(-1)
    table = classify(np.array(values, dtype=dtype), ranges)
    assert table["valid"].to_pylist() == [True, True, True] + [False] * (len(values) - 3)
    assert table["service"][0].as_py() == "S3"
    assert table["ip"].to_pylist() == values
    assert dotted(table["ip"]).to_pylist() == ["52.216.58.42", "0.0.0.0", "255.255.255.255"] + \
        [None] * (len(values) - 3)
    assert classify(pd.Series(values, dtype=dtype), ranges).equals(table)


def test_bytes_that_are_not_utf8_are_invalid_rows(ranges: Ranges) -> None:
    table = classify(np.array([b"52.216.58.42", b"\xff1.2.3.4"]), ranges)
    assert table["valid"].to_pylist() == [True, False]
    assert classify([b"52.216.58.42", b"\xff"], ranges)["valid"].to_pylist() == [True, False]


def test_empty_input_gives_an_empty_table(ranges: Ranges) -> None:
    table = classify([], ranges)
    assert table.column_names == list(COLUMNS) and len(table) == 0
    assert invalid_count(table) == 0


def test_the_index_is_built_once_per_ranges(ranges: Ranges) -> None:
    from awsip.index.bulk import bulk_index

    classify(["1.2.3.4"], ranges)
    index = bulk_index(ranges)
    classify(["5.6.7.8"], ranges)
    assert bulk_index(ranges) is index


def test_nested_prefixes_follow_the_most_specific_label() -> None:
    doc = {"syncToken": "1", "createDate": "2026-01-01-00-00-00", "prefixes": [
        {"ip_prefix": "10.0.0.0/8", "service": "AMAZON", "region": "r1",
         "network_border_group": "r1"},
        {"ip_prefix": "10.1.0.0/16", "service": "EC2", "region": "r2",
         "network_border_group": "r2"},
        {"ip_prefix": "10.1.2.3/32", "service": "AMAZON", "region": "r3",
         "network_border_group": "r3"},
        {"ip_prefix": "10.1.2.128/25", "service": "S3", "region": "r4",
         "network_border_group": "r4"},
    ], "ipv6_prefixes": [
        {"ipv6_prefix": "2001:db8::/32", "service": "AMAZON", "region": "r1",
         "network_border_group": "r1"},
        {"ipv6_prefix": "2001:db8::1:0/112", "service": "EC2", "region": "r2",
         "network_border_group": "r2"},
        {"ipv6_prefix": "2001:db8::1:5/128", "service": "S3", "region": "r3",
         "network_border_group": "r3"},
    ]}
    ranges = Ranges.from_json(doc)
    inputs = ["10.0.0.0", "10.1.0.0", "10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.127",
              "10.1.2.128", "10.1.2.255", "10.1.3.0", "10.255.255.255", "11.0.0.0", "9.255.255.255",
              "2001:db8::", "2001:db8::1:4", "2001:db8::1:5", "2001:db8::1:6", "2001:db8::2:0",
              "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"]
    assert_agrees(ranges, inputs, classify(inputs, ranges))
    assert classify(["10.1.2.3"], ranges)["service"][0].as_py() == "AMAZON"


@pytest.mark.filterwarnings("ignore:offline and no cached copy")
def test_default_ranges_are_used_when_none_given(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Any) -> None:
    monkeypatch.setenv("AWSIP_OFFLINE", "1")  # no network in tests: empty cache -> bundled
    monkeypatch.setenv("AWSIP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("awsip.loading.load._default", None)
    table = awsip.classify(["52.216.58.42"])
    assert table["service"][0].as_py() == "S3"
    assert callable(awsip.classify)  # the engine module does not shadow the function
