"""awsip.report: NAT bytes counted once, cost, gateway-endpoint advice, rendering, walkthrough."""

from __future__ import annotations

import gzip
import ipaddress
import json
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import awsip
from awsip.advice.prices import GB_BYTES, cost
from awsip.output.report import render
from awsip.ranges import Ranges
from oracle import NEWEST

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import nat_walkthrough as walk

RANGES = Ranges.from_json(gzip.decompress(NEWEST.read_bytes()))  # the bundled snapshot
T0 = datetime(2026, 3, 21, tzinfo=timezone.utc)
TS = pa.timestamp("s", tz="UTC")
NAT_ENI, NAT_IP, HOST_ENI, HOST = "eni-nat", "10.0.0.144", "eni-host", "10.0.1.23"


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


def test_same_region_s3_and_dynamodb_are_avoidable_cross_region_is_not() -> None:
    rows = [*nat_connection("52.216.58.42", 0, 4 * GB_BYTES),   # S3 us-east-1
            *nat_connection("52.94.0.10", 0, 1 * GB_BYTES),     # DynamoDB us-east-1
            *nat_connection("52.218.128.10", 0, 2 * GB_BYTES),  # S3 us-west-2
            *nat_connection("3.80.10.20", 0, GB_BYTES // 2),    # EC2 us-east-1
            *nat_connection("8.8.8.8", 0, GB_BYTES // 4)]       # not AWS
    r = awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP])
    recs = {(x.kind, x.service, x.region): x for x in r.recommendations}
    assert set(recs) == {("s3-gateway-endpoint", "S3", "us-east-1"),
                         ("dynamodb-gateway-endpoint", "DYNAMODB", "us-east-1"),
                         ("cross-region", "S3", "us-west-2"),
                         ("aws-service-via-nat", "EC2", "us-east-1")}
    s3 = recs[("s3-gateway-endpoint", "S3", "us-east-1")]
    assert s3.avoidable and s3.savings_usd == pytest.approx(4 * 0.045)
    assert r.recommendations[0] is s3  # biggest avoidable first
    west = recs[("cross-region", "S3", "us-west-2")]
    assert not west.avoidable and west.savings_usd == 0 and west.cost_usd == pytest.approx(0.09)
    ec2 = recs[("aws-service-via-nat", "EC2", "us-east-1")]
    assert ec2.savings_usd is None and "billed per hour and per GB" in ec2.message
    avoidable = sum(x.savings_usd or 0 for x in r.recommendations if x.avoidable)
    assert avoidable == pytest.approx(5 * 0.045)


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


def test_json_document_has_the_documented_fields() -> None:
    rows = nat_connection("52.216.58.42", 100, 10_000)
    r = awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP],
                     by=["service", "region", "direction"])
    doc = json.loads(render(r, "json"))
    for key in ("records", "skipped", "bytes", "groups", "nat", "recommendations"):
        assert key in doc
    assert doc["records"] == 6 and doc["bytes"] == 3 * 10_100
    g = doc["groups"][0]
    assert set(g) >= {"service", "region", "direction", "bytes", "packets", "flows", "share"}
    assert sum(x["bytes"] for x in doc["groups"]) == doc["bytes"]
    nat = doc["nat"]
    assert set(nat) >= {"bytes", "cost_usd", "price_per_gb", "by_service", "by_day"}
    assert nat["by_service"] == [{"service": "S3", "region": "us-east-1", "bytes": 10_100,
                                  "cost_usd": round(cost(10_100), 4), "share": 1.0}]
    assert nat["by_day"][0]["day"] == "2026-03-21"
    rec = doc["recommendations"][0]
    assert rec["kind"] == "s3-gateway-endpoint" and rec["bytes"] == 10_100
    assert set(rec) >= {"service", "region", "savings_usd", "monthly_savings_usd", "message"}


def test_report_with_only_nodata_counts_nothing_and_still_renders() -> None:
    t = table([{"srcaddr": None, "dstaddr": None, "bytes": None, "log_status": "NODATA"}] * 3)
    r = awsip.report(t, ranges=RANGES, nat_ips=[NAT_IP])
    assert (r.records, r.nodata, r.flows, r.bytes) == (3, 3, 0, 0)
    assert r.nat is not None and r.nat.bytes == 0 and r.recommendations == []
    for fmt in ("table", "json", "csv", "markdown"):
        assert render(r, fmt)
    assert json.loads(render(r, "json"))["groups"] == []


def test_empty_input_report() -> None:
    r = awsip.report([], ranges=RANGES)
    assert (r.records, r.bytes, r.first_seen, r.nat) == (0, 0, None, None)
    assert "0 flow records" in render(r, "table")


# ----------------------------------------------------------------------- the walkthrough
def _independent_truth(root: Path) -> dict[str, Any]:
    """What the generated files say, computed with gzip, str.split and scalar lookups."""
    private = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                 "192.168.0.0/16")]
    label: dict[str, tuple[str, str | None]] = {}
    truth: dict[str, Any] = {"records": 0, "nodata": 0, "files": 0, "nat": 0,
                             "nat_by": defaultdict(int), "nat_by_day": defaultdict(int),
                             "all_bytes": 0}
    for path in sorted(root.rglob("*.log.gz")):
        truth["files"] += 1
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        header = lines[0].split()
        for line in lines[1:]:
            rec = dict(zip(header, line.split(), strict=True))
            truth["records"] += 1
            if rec["log-status"] == "NODATA":
                truth["nodata"] += 1
                continue
            truth["all_bytes"] += int(rec["bytes"])
            src, dst = rec["srcaddr"], rec["dstaddr"]
            if rec["action"] != "ACCEPT" or walk.NAT_IP not in (src, dst):
                continue
            other = dst if src == walk.NAT_IP else src
            if any(ipaddress.ip_address(other) in n for n in private):
                continue
            if other not in label:
                m = awsip.lookup(other, RANGES)
                label[other] = (m.service or "INTERNET", m.region)
            truth["nat"] += int(rec["bytes"])
            truth["nat_by"][label[other]] += int(rec["bytes"])
            day = datetime.fromtimestamp(int(rec["start"]), timezone.utc).date().isoformat()
            truth["nat_by_day"][day] += int(rec["bytes"])
    return truth


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("walk")
    walk.generate(root, days=2, scale=0.01)
    return root


def test_walkthrough_numbers_match_an_independent_count(walkthrough: Path) -> None:
    truth = _independent_truth(walkthrough)
    r = awsip.report(str(walkthrough / "AWSLogs"), ranges=RANGES, nat_ips=[walk.NAT_IP],
                     progress=False)
    assert (r.records, r.nodata, r.files) == (truth["records"], truth["nodata"], truth["files"])
    assert r.bytes == truth["all_bytes"]
    assert r.vpc_region == "us-east-1" and r.vpc_region_source == "S3 path"
    assert r.nat is not None
    assert r.nat.bytes == truth["nat"]
    assert {(x["service"], x["region"]): x["bytes"] for x in r.nat.by_service.to_pylist()} \
        == dict(truth["nat_by"])
    assert {x["day"]: x["bytes"] for x in r.nat.to_dict()["by_day"]} == dict(truth["nat_by_day"])
    s3 = truth["nat_by"][("S3", "us-east-1")]
    assert s3 / truth["nat"] > 0.98  # the story: nearly all NAT bytes are S3 us-east-1
    rec = r.recommendations[0]
    assert (rec.kind, rec.bytes) == ("s3-gateway-endpoint", s3)
    assert rec.savings_usd == pytest.approx(s3 / 2**30 * 0.045)
    assert r.nat.cost_usd == pytest.approx(truth["nat"] / 2**30 * 0.045)
    # the naive total over every record is ~3x the processed bytes
    assert truth["all_bytes"] > 2.5 * truth["nat"]


def test_walkthrough_table_fits_80_columns_and_leads_with_the_answer(walkthrough: Path) -> None:
    r = awsip.report(str(walkthrough), ranges=RANGES, nat_ips=[walk.NAT_IP], top=5,
                     progress=False, by=["service", "region", "network_border_group", "peer"])
    text = render(r, "table")
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    nat_at = next(i for i, line in enumerate(lines) if line.startswith("NAT gateway"))
    advice_at = lines.index("Recommendations:")
    table_at = next(i for i, line in enumerate(lines) if line.startswith("Traffic by"))
    assert nat_at < advice_at < table_at
    assert "S3 gateway VPC endpoint in us-east-1" in text
    md = render(r, "markdown")
    assert "| service | region | bytes | share | cost |" in md


def test_small_costs_are_not_shown_as_zero() -> None:
    from awsip.units import human_bytes, usd

    assert (usd(0), usd(29.6861), usd(0.0037), usd(0.00001)) == (
        "$0.00", "$29.69", "$0.0037", "<$0.0001")
    assert (human_bytes(659.7 * 2**30), human_bytes(512), human_bytes(10**9, 10**9)) == (
        "659.7 GB", "512 B", "1.0 GB")
    rows = nat_connection("52.216.58.42", 0, 80 * 2**20)
    text = render(awsip.report(table(rows, "us-east-1"), ranges=RANGES, nat_ips=[NAT_IP]))
    assert "80.0 MB ($0.0035)" in text and "(10 min)" in text
