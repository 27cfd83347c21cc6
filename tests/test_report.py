"""awsip.report: NAT bytes counted once, cost, gateway-endpoint advice, rendering, walkthrough."""

from __future__ import annotations

import gzip
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import awsip
from awsip.advice.prices import GB_BYTES, cost
from awsip.advice.report import ECR_NOTE, Report
from awsip.output.report import render
from awsip.ranges import Ranges
from oracle import NEWEST
from walkthrough_truth import Truth, count

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import nat_walkthrough as walk

RANGES = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))  # the bundled snapshot
T0 = datetime(2026, 3, 21, tzinfo=timezone.utc)
TS = pa.timestamp("s", tz="UTC")
NAT_ENI, NAT_IP, HOST_ENI, HOST = "eni-0a7c0e5f", "10.0.0.144", "eni-host", "10.0.1.23"


def table(rows: list[dict[str, Any]], region: str | None = None) -> pa.Table:
    names = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
             "bytes", "start", "end", "action", "log_status"]
    cols: dict[str, list[Any]] = {k: [] for k in names}
    for r in rows:
        v = {"srcport": 1, "dstport": 443, "protocol": 6, "packets": 1, "start": T0,
             "end": T0 + timedelta(minutes=10), "action": "ACCEPT", "log_status": "OK", **r}
        for k in names:
            cols[k].append(v.get(k))
    types = {"srcport": pa.int32(), "dstport": pa.int32(), "protocol": pa.int32(),
             "packets": pa.int64(), "bytes": pa.int64(), "start": TS, "end": TS}
    t = pa.table({k: pa.array(c, types.get(k, pa.string())) for k, c in cols.items()})
    if region is not None:
        t = t.append_column("region", pa.array([region] * t.num_rows, pa.string()))
    return t


#: NAT-section keys added by issue 13 (gateways, who, cross-AZ, prices), checked elsewhere.
ISSUE13_NAT_KEYS = {"gateways", "region", "price_source", "by_inside", "cross_az", "hours"}


def without_issue13_keys(nat: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in nat.items() if k not in ISSUE13_NAT_KEYS}


def nat_connection(peer: str, up: int, down: int, **extra: Any) -> list[dict[str, Any]]:
    """Every record AWS logs for one connection through the NAT (whole VPC logged)."""
    legs = [(NAT_ENI, HOST, NAT_IP, up), (NAT_ENI, NAT_IP, peer, up),
            (NAT_ENI, peer, NAT_IP, down), (NAT_ENI, NAT_IP, HOST, down),
            (HOST_ENI, HOST, peer, up), (HOST_ENI, peer, HOST, down)]
    return [{"interface_id": eni, "srcaddr": s, "dstaddr": d, "bytes": b, **extra}
            for eni, s, d, b in legs]


def test_nat_bytes_are_counted_once_from_the_public_leg() -> None:
    rows = nat_connection("52.216.58.42", 1_000, 90_000)
    t = table(rows, region="us-east-1")
    by_ip = awsip.report(t, ranges=RANGES, nat_ips=[NAT_IP]).nat
    by_eni = awsip.report(t, ranges=RANGES, nat_enis=[NAT_ENI]).nat
    both = awsip.report(t, ranges=RANGES, nat_enis=[NAT_ENI], nat_ips=[NAT_IP]).nat
    assert by_ip is not None and by_eni is not None and both is not None
    assert by_ip.bytes == by_eni.bytes == both.bytes == 91_000
    assert (by_ip.bytes_in, by_ip.bytes_out) == (90_000, 1_000)
    # What summing the legs would give, and why it is wrong: every byte is on 2 or 3 records.
    on_nat_eni = sum(r["bytes"] for r in rows if r["interface_id"] == NAT_ENI)
    mentions_nat_ip = sum(r["bytes"] for r in rows if NAT_IP in (r["srcaddr"], r["dstaddr"]))
    everything = sum(r["bytes"] for r in rows)
    assert on_nat_eni == mentions_nat_ip == 2 * 91_000
    assert everything == 3 * 91_000
    assert by_ip.bytes not in (on_nat_eni, everything)


def test_rejected_and_private_legs_are_not_nat_processed() -> None:
    rows = [*nat_connection("52.216.58.42", 10, 1000),
            {"interface_id": NAT_ENI, "srcaddr": "45.155.205.99", "dstaddr": NAT_IP,
             "dstport": 22, "bytes": 44, "action": "REJECT"},
            {"interface_id": NAT_ENI, "srcaddr": HOST, "dstaddr": NAT_IP, "bytes": 7}]
    nat = awsip.report(table(rows), ranges=RANGES, nat_ips=[NAT_IP]).nat
    assert nat is not None and nat.bytes == 1010


def test_price_math_uses_the_stated_gb_and_price() -> None:
    rows = nat_connection("52.216.58.42", 0, 3 * GB_BYTES)
    r = awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP])
    assert r.nat is not None
    assert r.nat.cost_usd == pytest.approx(3 * 0.045)
    assert r.nat.to_dict()["price_per_gb"] == 0.045
    dec = awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP],
                       price_per_gb=0.059, gb_bytes=10**9)
    assert dec.nat is not None
    assert dec.nat.cost_usd == pytest.approx(3 * 1.073741824 * 0.059)
    assert cost(5 * 10**9, 0.045, 10**9) == pytest.approx(0.225)


def test_same_region_s3_and_dynamodb_are_free_cross_region_s3_takes_an_interface_endpoint(
        ) -> None:
    rows = [*nat_connection("52.216.58.42", 0, 4 * GB_BYTES),   # S3 us-east-1
            *nat_connection("52.94.0.10", 0, 1 * GB_BYTES),     # DynamoDB us-east-1
            *nat_connection("52.218.128.10", 0, 2 * GB_BYTES),  # S3 us-west-2
            *nat_connection("3.80.10.20", 0, GB_BYTES // 2),    # EC2 us-east-1
            *nat_connection("8.8.8.8", 0, GB_BYTES // 4)]       # not AWS
    r = awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP])
    recs = {(x.kind, x.service, x.region): x for x in r.recommendations}
    assert set(recs) == {("s3-gateway-endpoint", "S3", "us-east-1"),
                         ("dynamodb-gateway-endpoint", "DYNAMODB", "us-east-1"),
                         ("cross-region-interface-endpoint", "S3", "us-west-2"),
                         ("aws-service-via-nat", "EC2", "us-east-1")}
    s3 = recs[("s3-gateway-endpoint", "S3", "us-east-1")]
    assert s3.avoidable and s3.savings_usd == pytest.approx(4 * 0.045)
    assert r.recommendations[0] is s3  # biggest avoidable first
    west = recs[("cross-region-interface-endpoint", "S3", "us-west-2")]
    # us-east-1 interface endpoint: $0.01/GB + $0.01 per AZ-hour x 2 AZs (assumed) x 10 min
    west_savings = 2 * 0.045 - (2 * 0.01 + 0.01 * 2 * 600 / 3600)
    assert west.avoidable and west.cost_usd == pytest.approx(0.09)
    assert west.savings_usd == pytest.approx(west_savings)
    ec2 = recs[("aws-service-via-nat", "EC2", "us-east-1")]
    assert ec2.savings_usd is None and "billed per hour and per GB" in ec2.message
    avoidable = sum(x.savings_usd or 0 for x in r.recommendations if x.avoidable)
    assert avoidable == pytest.approx(5 * 0.045 + west_savings)


def test_unknown_vpc_region_is_said_not_guessed() -> None:
    rows = nat_connection("52.216.58.42", 0, GB_BYTES)
    r = awsip.report(table(rows), ranges=RANGES, nat_ips=[NAT_IP])
    assert r.vpc_region is None
    assert [x.kind for x in r.recommendations] == ["gateway-endpoint-region-unknown"]
    assert r.recommendations[0].savings_usd is None
    assert any("region is unknown" in n for n in r.notes)
    given = awsip.report(table(rows), ranges=RANGES, nat_ips=[NAT_IP], vpc_region="us-east-1")
    assert given.vpc_region_source == "argument"
    assert given.recommendations[0].kind == "s3-gateway-endpoint"
    several = table(rows[:3], "us-east-1")
    several = pa.concat_tables([several, table(rows[3:], "eu-west-1")])
    r2 = awsip.report(several, ranges=RANGES, nat_ips=[NAT_IP])
    assert r2.vpc_region is None and any("several regions" in n for n in r2.notes)


def test_monthly_projection_scales_the_observed_span_to_30_days() -> None:
    rows = [{**x, "start": T0 + timedelta(hours=h), "end": T0 + timedelta(hours=h, minutes=10)}
            for h in (0, 47) for x in nat_connection("52.216.58.42", 0, GB_BYTES)]
    rows[-1]["end"] = T0 + timedelta(days=2)  # span: exactly 2 days
    r = awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP])
    assert r.span_seconds == 2 * 86400
    rec = r.recommendations[0]
    assert rec.savings_usd == pytest.approx(2 * 0.045)
    assert rec.monthly_savings_usd == pytest.approx(2 * 0.045 * 15)
    assert r.nat is not None and r.nat.to_dict()["by_day"] == [
        {"day": "2026-03-21", "bytes": GB_BYTES, "cost_usd": 0.045},
        {"day": "2026-03-22", "bytes": GB_BYTES, "cost_usd": 0.045}]


def one_connection_report() -> Report:
    """One S3 download through the NAT (100 bytes up, 10,000 down), grouped three ways."""
    rows = nat_connection("52.216.58.42", 100, 10_000)
    return awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP],
                        by=["service", "region", "direction"])


#: The groups of :func:`one_connection_report`, by hand from the six legs: the peer's replies
#: are logged twice (NAT ENI, host ENI), the uploads twice, and host <-> NAT IP is internal.
ONE_CONNECTION_GROUPS = [("S3", "us-east-1", "ingress", 20_000),
                         ("PRIVATE", None, "internal", 10_100),
                         ("S3", "us-east-1", "egress", 200)]


def test_json_document_gives_every_group_nat_figure_and_recommendation_of_one_connection(
        ) -> None:
    doc = json.loads(render(one_connection_report(), "json"))
    total = 3 * 10_100
    first, last = "2026-03-21T00:00:00Z", "2026-03-21T00:10:00Z"
    assert doc["groups"] == [
        {"service": s, "region": reg, "direction": d, "bytes": b, "packets": 2, "flows": 2,
         "share": pytest.approx(b / total), "first_seen": first, "last_seen": last}
        for s, reg, d, b in ONE_CONNECTION_GROUPS]
    assert {k: doc[k] for k in ("records", "skipped", "nodata", "skipdata", "files", "flows",
                                "bytes", "packets", "first_seen", "last_seen", "span_seconds",
                                "vpc_region", "vpc_region_source", "regions_seen", "by",
                                "groups_total", "notes")} == {
        "records": 6, "skipped": 0, "nodata": 0, "skipdata": 0, "files": 0, "flows": 6,
        "bytes": total, "packets": 6, "first_seen": first, "last_seen": last,
        "span_seconds": 600.0, "vpc_region": "us-east-1", "vpc_region_source": "region field",
        "regions_seen": ["us-east-1"], "by": ["service", "region", "direction"],
        "groups_total": 3, "notes": [ECR_NOTE]}  # S3 via the NAT, no --dns-log (issue 13)
    nat_cost = pytest.approx(10_100 / 2**30 * 0.045, abs=5e-5)  # JSON rounds to 4 places
    assert without_issue13_keys(doc["nat"]) == {  # the issue-13 keys: test_nat_inside.py
        "enis": [], "ips": [NAT_IP], "bytes": 10_100, "bytes_in": 10_000, "bytes_out": 100,
        "flows": 2, "cost_usd": nat_cost, "price_per_gb": 0.045, "gb_bytes": 2**30,
        "by_service": [{"service": "S3", "region": "us-east-1", "bytes": 10_100,
                        "cost_usd": nat_cost, "share": 1.0}],
        "by_day": [{"day": "2026-03-21", "bytes": 10_100, "cost_usd": nat_cost}]}
    factor = 30 * 86400 / 600
    assert doc["projection"]["factor"] == factor
    assert doc["recommendations"] == [{
        "kind": "s3-gateway-endpoint", "service": "S3", "region": "us-east-1", "bytes": 10_100,
        "cost_usd": nat_cost, "avoidable": True, "savings_usd": nat_cost,
        "monthly_savings_usd": pytest.approx(10_100 / 2**30 * 0.045 * factor, abs=5e-5),
        "break_even_gb_per_month": 0.0,
        "commands": [
            'aws ec2 create-vpc-endpoint --region us-east-1 --vpc-id "$VPC_ID" '
            "--vpc-endpoint-type Gateway --service-name com.amazonaws.us-east-1.s3 "
            "--route-table-ids $ROUTE_TABLE_IDS",
            'resource "aws_vpc_endpoint" "s3" {\n  vpc_id            = var.vpc_id\n'
            '  service_name      = "com.amazonaws.us-east-1.s3"\n'
            '  vpc_endpoint_type = "Gateway"\n'
            "  route_table_ids   = var.private_route_table_ids\n}"],
        "message": "Add an S3 gateway VPC endpoint in us-east-1 (free) and route the private "
                   "subnets to it: 9.9 KB (<$0.0001) would not have crossed the NAT, about "
                   "$0.0018 per 30 days."}]


def test_csv_of_one_connection_is_exactly_its_groups() -> None:
    total = 3 * 10_100
    # The groups are the CSV's first table; the NAT tables follow after a blank line.
    lines = render(one_connection_report(), "csv").split("\n\n")[0].splitlines()
    assert lines[0] == ('"service","region","direction","bytes","packets","flows","first_seen",'
                        '"last_seen","share"')
    cells = [line.split(",") for line in lines[1:]]
    assert [c[:-1] for c in cells] == [
        [f'"{s}"', "" if reg is None else f'"{reg}"', f'"{d}"', str(b), "2", "2",
         "2026-03-21 00:00:00Z", "2026-03-21 00:10:00Z"] for s, reg, d, b in ONE_CONNECTION_GROUPS]
    assert [float(c[-1]) for c in cells] == pytest.approx(
        [b / total for *_, b in ONE_CONNECTION_GROUPS])


def test_markdown_of_one_connection_is_exactly_its_figures() -> None:
    from awsip.units import usd

    r = one_connection_report()
    commands = [f"  {line}" for c in r.recommendations[0].commands for line in c.splitlines()]
    h = r.nat.to_dict()["hours"]  # type: ignore[union-attr]  # assumed hours: test_prices.py
    hours = f"NAT gateway hours: {h['gateway_hours']:,.0f} h, {usd(h['cost_usd'])} ({h['note']})"
    assert render(r, "markdown") == "\n".join([
        "# awsip report", "",
        "- 6 flow records (6 traffic, 0 NODATA, 0 SKIPDATA, 0 unreadable lines skipped) in 0 "
        "file(s)",
        "- Traffic from 2026-03-21 00:00 to 2026-03-21 00:10 UTC (10 min); VPC region: "
        "us-east-1 (from region field)", "",
        "## NAT gateway", "",
        "10.0.0.144: **9.9 KB** processed (counted once), estimated **<$0.0001** at $0.045/GB "
        "(GB = 2^30 bytes).", "",
        "| service | region | bytes | share | cost |", "|---|---|---:|---:|---:|",
        "| S3 | us-east-1 | 9.9 KB | 100.0% | <$0.0001 |", "",
        "### Per day (UTC)", "", "| day | bytes | cost |", "|---|---:|---:|",
        "| 2026-03-21 | 9.9 KB | <$0.0001 |", "",
        "### By inside source", "",
        "| address | interface | subnet | AZ | instance | bytes | cost |",
        "|---|---|---|---|---|---:|---:|",
        "| 10.0.1.23 | eni-host | - | - | - | 9.9 KB | <$0.0001 |", "", hours, "",
        "## Recommendations", "",
        "- Add an S3 gateway VPC endpoint in us-east-1 (free) and route the private subnets to "
        "it: 9.9 KB (<$0.0001) would not have crossed the NAT, about $0.0018 per 30 days.", "",
        "  ```", *commands, "  ```", "", f"> note: {ECR_NOTE}", "",
        "## Traffic by service, region, direction", "",
        "| service | region | direction | bytes | share | flows |",
        "|---|---|---|---:|---:|---:|",
        "| S3 | us-east-1 | ingress | 19.5 KB | 66.0% | 2 |",  # 20,000 B, 2/3 of 30,300
        "| PRIVATE | - | internal | 9.9 KB | 33.3% | 2 |",
        "| S3 | us-east-1 | egress | 200 B | 0.7% | 2 |", ""])


def test_table_of_one_connection_lists_its_groups_under_the_nat_figures() -> None:
    lines = render(one_connection_report(), "table").splitlines()
    nat_at = lines.index("NAT gateway 10.0.0.144: 9.9 KB processed (counted once: 9.8 KB in, "
                         "100 B out),")
    assert lines[nat_at + 1:nat_at + 3] == [
        "est. <$0.0001 at $0.045/GB (GB = 2^30 bytes)",
        "  S3 us-east-1                        100.0%       9.9 KB     <$0.0001"]
    assert lines[-4:] == ["SERVICE  REGION     DIRECTION    BYTES  SHARE  FLOWS",
                          "S3       us-east-1  ingress    19.5 KB  66.0%      2",
                          "PRIVATE  -          internal    9.9 KB  33.3%      2",
                          "S3       us-east-1  egress       200 B   0.7%      2"]


def test_table_never_splits_a_region_or_option_name_at_its_hyphen() -> None:
    nodata = table([{"srcaddr": None, "dstaddr": None, "bytes": None, "log_status": "NODATA"}])
    for report in (one_connection_report(), awsip.report(nodata, ranges=RANGES,
                                                         nat_ips=[NAT_IP])):
        lines = render(report, "table").splitlines()
        assert [line for line in lines if re.search(r"[A-Za-z0-9]-$", line)] == []


def test_report_of_only_nodata_records_renders_zero_totals_in_every_format() -> None:
    t = table([{"srcaddr": None, "dstaddr": None, "bytes": None, "log_status": "NODATA"}] * 3)
    r = awsip.report(t, ranges=RANGES, nat_ips=[NAT_IP])
    assert (r.records, r.nodata, r.flows, r.bytes) == (3, 3, 0, 0)
    assert r.nat is not None and r.nat.bytes == 0 and r.recommendations == []
    unknown_region = ("the VPC's region is unknown (no region field, no S3 delivery path); "
                      "pass --vpc-region to get endpoint advice")
    no_public_leg = ("no record matched the NAT gateway's public-facing leg: check "
                     "--nat-eni/--nat-ip and that the NAT's interface is logged")
    # no region, so no price: said with the options, not taken from us-east-1 (docs/prices.md)
    no_price = ("the NAT gateway per-GB price is unknown because the VPC's region is unknown: "
                "pass --vpc-region, or --price-per-gb USD or --prices FILE (see docs/prices.md)")
    doc = json.loads(render(r, "json"))
    doc["nat"] = without_issue13_keys(doc["nat"])  # the issue-13 keys: test_nat_inside.py
    assert doc == {
        "records": 3, "skipped": 0, "nodata": 3, "skipdata": 0, "files": 0, "flows": 0,
        "bytes": 0, "packets": 0, "first_seen": None, "last_seen": None, "span_seconds": None,
        "vpc_region": None, "vpc_region_source": None, "regions_seen": [],
        "by": ["service", "region"], "groups_total": 0, "groups": [],
        "nat": {"enis": [], "ips": [NAT_IP], "bytes": 0, "bytes_in": 0, "bytes_out": 0,
                "flows": 0, "cost_usd": None, "price_per_gb": None, "gb_bytes": 2**30,
                "by_service": [], "by_day": []},
        "recommendations": [],
        "projection": {"method": "linear: observed cost x 30 days / observed span",
                       "factor": None},
        "notes": [unknown_region, no_price, no_public_leg]}
    assert render(r, "csv").split("\n\n")[0] == (
        '"service","region","bytes","packets","flows","first_seen","last_seen","share"')
    headline = ("3 flow records (0 traffic, 3 NODATA, 0 SKIPDATA, 0 unreadable lines skipped) "
                "in 0 file(s)")
    assert render(r, "markdown") == "\n".join([
        "# awsip report", "", f"- {headline}", "- Traffic from - to - UTC (-); VPC region: unknown",
        "", "## NAT gateway", "",
        "10.0.0.144: **0 B** processed (counted once), estimated **unknown** at an unknown "
        "price per GB (GB = 2^30 bytes).", "",
        "| service | region | bytes | share | cost |", "|---|---|---:|---:|---:|", "",
        f"NAT gateway hours: not counted ({r.nat.to_dict()['hours']['note']})",  # type: ignore[union-attr]
        "",
        f"> note: {unknown_region}", f"> note: {no_price}", f"> note: {no_public_leg}", "",
        "## Traffic by service, region", "",
        "| service | region | bytes | share | flows |", "|---|---|---:|---:|---:|", ""])
    lines = render(r, "table").splitlines()
    assert lines[:6] == [
        "3 flow records (0 traffic, 3 NODATA, 0 SKIPDATA, 0 unreadable lines skipped) in",
        "0 file(s)", "Traffic from - to - UTC (-); VPC region: unknown", "",
        "NAT gateway 10.0.0.144: 0 B processed (counted once: 0 B in, 0 B out), est.",
        "unknown at an unknown price per GB (GB = 2^30 bytes)"]
    # The notes' wrapping is left to test_table_never_splits_a_region_or_option_name_at_...
    notes = [line for line in lines if line.startswith("note: ")]
    assert [n.split()[:4] for n in notes] == [["note:", "the", "VPC's", "region"],
                                              ["note:", "the", "NAT", "gateway"],
                                              ["note:", "no", "record", "matched"]]
    assert lines[-4:] == [
        "", "Traffic by service, region (bytes as logged on every interface: a byte through",
        "the NAT is logged up to three times, the NAT figures above count it once)",
        "SERVICE  REGION  BYTES  SHARE  FLOWS"]


def test_empty_input_report_is_all_zeros_without_nat_figures() -> None:
    r = awsip.report([], ranges=RANGES)
    assert (r.records, r.bytes, r.first_seen, r.nat) == (0, 0, None, None)
    assert render(r, "table") == "\n".join([
        "0 flow records (0 traffic, 0 NODATA, 0 SKIPDATA, 0 unreadable lines skipped) in",
        "0 file(s)", "Traffic from - to - UTC (-); VPC region: unknown",
        "note: the VPC's region is unknown (no region field, no S3 delivery path); pass",
        "--vpc-region to get endpoint advice", "",
        "Traffic by service, region (bytes as logged on every interface)",
        "SERVICE  REGION  BYTES  SHARE  FLOWS", ""])
    doc = json.loads(render(r, "json"))
    assert (doc["records"], doc["groups"], doc["nat"], doc["recommendations"]) == (0, [], None, [])


# ----------------------------------------------------------------------- the walkthrough
@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("walk")
    walk.generate(root, days=2, scale=0.01)
    return root


@pytest.fixture(scope="module")
def truth(walkthrough: Path) -> Truth:
    return count(walkthrough, RANGES)


def test_walkthrough_numbers_match_an_independent_count(walkthrough: Path, truth: Truth) -> None:
    r = awsip.report(str(walkthrough / "AWSLogs"), ranges=RANGES, nat_ips=[walk.NAT_IP],
                     progress=False)
    assert (r.records, r.nodata, r.files) == (truth.records, truth.nodata, truth.files)
    assert r.bytes == truth.all_bytes
    assert {(g["service"], g["region"]): (g["bytes"], g["packets"], g["flows"])
            for g in r.groups.to_pylist()} == {
        k: (t.bytes, t.packets, t.flows) for k, t in truth.group_by(("service", "region")).items()}
    assert r.vpc_region == "us-east-1" and r.vpc_region_source == "S3 path"
    assert r.nat is not None
    assert (r.nat.bytes, r.nat.bytes_in, r.nat.bytes_out) == (truth.nat, truth.nat_in,
                                                              truth.nat_out)
    assert {(x["service"], x["region"]): x["bytes"] for x in r.nat.by_service.to_pylist()} \
        == dict(truth.nat_by)
    assert {x["day"]: x["bytes"] for x in r.nat.to_dict()["by_day"]} == dict(truth.nat_by_day)
    s3 = truth.nat_by[("S3", "us-east-1")]
    assert s3 / truth.nat > 0.98  # the story: nearly all NAT bytes are S3 us-east-1
    rec = r.recommendations[0]
    assert (rec.kind, rec.bytes) == ("s3-gateway-endpoint", s3)
    assert rec.savings_usd == pytest.approx(s3 / 2**30 * 0.045)
    assert r.nat.cost_usd == pytest.approx(truth.nat / 2**30 * 0.045)
    # the naive total over every record is ~3x the processed bytes
    assert truth.all_bytes > 2.5 * truth.nat


def test_walkthrough_table_fits_80_columns_and_leads_with_the_answer(walkthrough: Path,
                                                                     truth: Truth) -> None:
    from awsip.units import human_bytes, usd

    r = awsip.report(str(walkthrough), ranges=RANGES, nat_ips=[walk.NAT_IP], top=5,
                     progress=False, by=["service", "region", "network_border_group", "peer"])
    text = render(r, "table")
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    nat_at = next(i for i, line in enumerate(lines) if line.startswith("NAT gateway"))
    advice_at = lines.index("Recommendations:")
    table_at = next(i for i, line in enumerate(lines) if line.startswith("Traffic by"))
    assert nat_at < advice_at < table_at
    assert lines[nat_at].startswith(f"NAT gateway {walk.NAT_IP}: {human_bytes(truth.nat)} "
                                    f"processed (counted once: {human_bytes(truth.nat_in)} in,")
    nat_rows = sorted(truth.nat_by.items(), key=lambda kv: -kv[1])
    assert lines[nat_at + 2:nat_at + 2 + len(nat_rows)] == [
        f"  {' '.join(filter(None, key)):<34} {b / truth.nat * 100:6.1f}% "
        f"{human_bytes(b):>12} {usd(cost(b)):>12}" for key, b in nat_rows]
    s3 = truth.nat_by[("S3", "us-east-1")]
    assert lines[advice_at + 1] == "  * Add an S3 gateway VPC endpoint in us-east-1 (free) and " \
        "route the private"
    assert f"{human_bytes(s3)} ({usd(cost(s3))}) would not have crossed the NAT" in text
    peers = truth.group_by(("service", "region", "peer"))
    assert lines[table_at + 2].endswith(f"top 5 of {len(peers)})")
    total = sum(t.bytes for t in peers.values())
    assert [line.split() for line in lines[table_at + 4:]] == [
        [s, reg or "-", RANGES.lookup(peer).network_border_group or "-", peer,
         *human_bytes(t.bytes).split(), f"{t.bytes / total * 100:.1f}%", f"{t.flows:,}"]
        for (s, reg, peer), t in sorted(peers.items(), key=lambda kv: -kv[1].bytes)[:5]]
    md = render(r, "markdown").splitlines()
    at = md.index("| service | region | bytes | share | cost |")
    assert md[at + 2:at + 2 + len(nat_rows)] == [
        f"| {s} | {reg or '-'} | {human_bytes(b)} | {b / truth.nat * 100:.1f}% | "
        f"{usd(cost(b))} |" for (s, reg), b in nat_rows]
    assert md[at + 2 + len(nat_rows)] == ""


def test_small_costs_are_not_shown_as_zero() -> None:
    from awsip.units import human_bytes, usd

    assert (usd(0), usd(29.6861), usd(0.0037), usd(0.00001)) == (
        "$0.00", "$29.69", "$0.0037", "<$0.0001")
    assert (human_bytes(659.7 * 2**30), human_bytes(512), human_bytes(10**9, 10**9)) == (
        "659.7 GB", "512 B", "1.0 GB")
    rows = nat_connection("52.216.58.42", 0, 80 * 2**20)
    text = render(awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP]))
    assert "80.0 MB ($0.0035)" in text and "(10 min)" in text
