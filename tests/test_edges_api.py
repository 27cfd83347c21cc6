"""Trust at the edges, in the library: nulls from pandas row by row, NAT identifiers validated,
published names checked with suggestions, control characters escaped, and no input string
making awsip raise anything but an AwsipError."""

from __future__ import annotations

import contextlib
import gzip
import io
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awsip
from awsip.cli import build_parser, common, main
from awsip.errors import AwsipError, UsageError
from awsip.ranges import Ranges
from awsip.ranges.names import check_names, printable, suggest, unknown_names
from awsip.traffic.nat import NatSpec, check_eni, check_nat_ip

NEWEST = Path(__file__).parent / "data" / "ip-ranges-2026-08-22T151705.json.gz"
RANGES = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))
S3_INT = (3 << 24) | (5 << 16) | 1  # 3.5.0.1, an S3 address in us-east-1
T0 = datetime(2026, 3, 21, tzinfo=timezone.utc)
NAT_IP, PEER = "10.0.0.144", "52.216.58.42"


def records(src: str = NAT_IP, dst: str = PEER, eni: str = "eni-0a1b2c") -> pa.Table:
    ts = pa.timestamp("s", tz="UTC")
    return pa.table({
        "interface_id": [eni], "srcaddr": [src], "dstaddr": [dst], "srcport": [1],
        "dstport": [443], "protocol": [6], "packets": [1], "bytes": [1000],
        "start": pa.array([T0], ts), "end": pa.array([T0 + timedelta(minutes=1)], ts),
        "action": ["ACCEPT"], "log_status": ["OK"]})


# ------------------------------------------------------------------ 5. pandas nulls
def test_integers_with_a_missing_value_are_classified_row_by_row() -> None:
    pd = pytest.importorskip("pandas")
    for series in (pd.Series([S3_INT, None]), pd.Series([S3_INT, pd.NA], dtype="Int64")):
        rows = awsip.classify(series, RANGES).to_pylist()
        assert [r["valid"] for r in rows] == [True, False], series.dtype
        assert rows[0]["service"] == "S3" and rows[0]["region"] == "us-east-1"
        assert rows[1]["aws"] is None and rows[1]["service"] is None


def test_object_columns_with_none_and_nan_are_classified_row_by_row() -> None:
    pd = pytest.importorskip("pandas")
    series = pd.Series(["3.5.0.1", None, float("nan"), "nope", "10.0.0.1"], dtype=object)
    rows = awsip.classify(series, RANGES).to_pylist()
    assert [r["valid"] for r in rows] == [True, False, False, False, True]
    assert [r["aws"] for r in rows] == [True, None, None, None, False]
    assert rows[0]["service"] == "S3"


def test_a_mixed_object_column_answers_the_strings_and_never_raises() -> None:
    pd = pytest.importorskip("pandas")
    rows = awsip.classify(pd.Series(["3.5.0.1", 5, None], dtype=object), RANGES).to_pylist()
    assert [r["valid"] for r in rows] == [True, False, False]


def test_floats_that_are_not_whole_numbers_are_invalid_rows() -> None:
    pd = pytest.importorskip("pandas")
    rows = awsip.classify(pd.Series([S3_INT + 0.5, float(S3_INT)]), RANGES).to_pylist()
    assert [r["valid"] for r in rows] == [False, True]


def test_one_string_is_a_usage_error_that_is_still_a_type_error() -> None:
    with pytest.raises(UsageError) as caught:
        awsip.classify("3.5.0.1", RANGES)
    assert isinstance(caught.value, TypeError)


# ------------------------------------------------------------------ 2. NAT arguments
@pytest.mark.parametrize("kwargs, text", [
    ({"nat_ips": ["3.5.0.1"]}, "private address"),
    ({"nat_ips": ["3.5.0.1"]}, "aws ec2 describe-nat-gateways --query "
                               "'NatGateways[].NatGatewayAddresses[].PrivateIp'"),
    ({"nat_ips": ["10.0.0.0/16"]}, "CIDR"),
    ({"nat_ips": ["nat"]}, "not an IPv4 or IPv6 address"),
    ({"nat_enis": ["eni-zz"]}, "not an ENI id"),
    ({"nat_enis": ["0a1b2c"]}, "not an ENI id"),
])
def test_report_validates_nat_identifiers(kwargs: dict[str, list[str]], text: str) -> None:
    with pytest.raises(UsageError) as caught:
        awsip.report(records(), ranges=RANGES, **kwargs)  # type: ignore[arg-type]
    value = next(iter(kwargs.values()))[0]
    assert repr(value) in str(caught.value) and text in str(caught.value)


def test_valid_nat_identifiers_are_normalised() -> None:
    assert check_eni(" ENI-0A1B ") == "eni-0a1b"
    assert check_nat_ip("100.64.0.5") == "100.64.0.5"  # shared address space is not public
    assert check_nat_ip("FD00::1") == "fd00::1"
    # awsip's one address rule (awsip.addr.parse_address), written as flow logs write it: an
    # IPv4-mapped IPv6 address is its IPv4 address, an IPv6 zone is dropped
    assert check_nat_ip("::ffff:10.0.0.5") == "10.0.0.5"
    assert check_nat_ip("fe80::1%eth0") == "fe80::1"
    assert NatSpec.of("eni-1", "10.0.0.1") == NatSpec(("eni-1",), ("10.0.0.1",))


def test_a_nat_identifier_no_record_mentions_is_a_warning_naming_it() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = awsip.report(records(), ranges=RANGES, nat_ips=[NAT_IP, "10.1.1.1"],
                              nat_enis=["eni-0a1b2c", "eni-ffff"])
    messages = [str(w.message) for w in caught]
    assert any("'10.1.1.1'" in m for m in messages)
    assert any("'eni-ffff'" in m for m in messages)
    assert not any(repr(NAT_IP) in m or "'eni-0a1b2c'" in m for m in messages)
    assert report.nat is not None and report.nat.bytes == 1000


def test_no_readable_line_is_a_flow_log_error_with_a_log_format_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log"
    bad.write_text(" ".join(f"f{i}" for i in range(21)) + "\n")
    with pytest.raises(awsip.FlowLogError) as caught:
        awsip.report(str(bad), ranges=RANGES)
    assert "'f0 f1 f2" in str(caught.value)
    assert "all fields of version 3" in str(caught.value) and "${pkt-dstaddr}'" in str(
        caught.value)


# ------------------------------------------------------------------ names
def test_unknown_names_suggest_the_closest_published_ones() -> None:
    assert suggest("us-east1", RANGES.regions)[0] == "us-east-1"
    assert suggest("dynamo", RANGES.services) == ["DYNAMODB"]
    assert unknown_names(RANGES, service=["s3", "Ec2"], region=["us-EAST-1"]) == []
    problems = unknown_names(RANGES, region=["us-east1"], service=None)
    assert len(problems) == 1 and "did you mean us-east-1?" in problems[0]
    with pytest.raises(UsageError, match="no service 'QQQQQQQQ'"):
        check_names(RANGES, service=["QQQQQQQQ"])


def test_printable_escapes_control_characters() -> None:
    assert printable("S3\x1b[31m") == "S3\\x1b[31m"
    assert printable("a\u202eb\x00") == "a\\u202eb\\x00"
    assert printable("us-east-1") == "us-east-1"


# ------------------------------------------------------------------ 7. properties
def _quiet_main(argv: list[str]) -> int:
    """``main(argv)`` with stdout/stderr captured, for use inside hypothesis."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


TEXT = st.text(max_size=40) | st.sampled_from(
    ["", " ", "3.5.0.1", "10.0.0.1/8", "::ffff:3.5.0.1", "fe80::1%eth0", "eni-", "eni-0a",
     "us-east-1", "S3", ",", "-", "\x00", "1.2.3.4\n", "999.1.1.1", "0x7f.1", "\x1b[31m"])
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(TEXT)
def test_lookup_raises_only_awsip_errors(text: str) -> None:
    with contextlib.suppress(AwsipError):
        awsip.lookup(text, RANGES)


@SETTINGS
@given(st.lists(TEXT, max_size=5))
def test_classify_raises_only_awsip_errors(texts: list[str]) -> None:
    try:
        table = awsip.classify(texts, RANGES)
    except AwsipError:
        return
    assert table.num_rows == len(texts)


@SETTINGS
@given(TEXT, st.sampled_from(["--service", "--region", "--nbg"]))
def test_ranges_filters_through_the_cli_raise_nothing(text: str, option: str) -> None:
    # Import every command module before patching: a module first imported under the patch
    # (``from .common import ranges_from_args``) would keep the patched function for good.
    build_parser()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(common, "ranges_from_args", lambda args: RANGES)
        status = _quiet_main(["ranges", f"{option}={text}"])
    assert status in (0, 1, 2)


@SETTINGS
@given(TEXT, st.sampled_from(["nat_ips", "nat_enis"]))
def test_nat_options_raise_only_awsip_errors(text: str, keyword: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(AwsipError):
            awsip.report(records(), ranges=RANGES, **{keyword: [text]})  # type: ignore[arg-type]
