"""Reconciling the NAT bytes the flow logs explain with the bill (CUR) and CloudWatch metrics."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import awsip
from awsip.advice.reconcile import BillError, load_cur, load_metrics, reconcile
from awsip.cli import main
from test_report import HOST, HOST_ENI, NAT_ENI, NAT_IP, RANGES, table

GIB = 1 << 30
D1, D2, D3 = date(2026, 3, 21), date(2026, 3, 22), date(2026, 3, 23)
NAT_ARN = "arn:aws:ec2:us-east-1:123456789012:natgateway/nat-0a1b2c3d4e5f67890"
LEGACY = ["identity/LineItemId", "lineItem/LineItemType", "lineItem/UsageStartDate",
          "lineItem/UsageType", "lineItem/UsageAmount", "lineItem/UnblendedCost",
          "lineItem/ResourceId"]
CUR2 = ["identity_line_item_id", "line_item_line_item_type", "line_item_usage_start_date",
        "line_item_usage_type", "line_item_usage_amount", "line_item_unblended_cost",
        "line_item_resource_id"]

# (type, start, usage type, amount, cost, resource): a day of hourly-ish NAT lines and noise.
LINES: list[tuple[str, str, str, str, str, str]] = [
    ("Usage", "2026-03-21T00:00:00Z", "USE1-NatGateway-Bytes", "1.5", "0.0675", NAT_ARN),
    ("Usage", "2026-03-21T01:00:00Z", "USE1-NatGateway-Bytes", "2.5", "0.1125", NAT_ARN),
    ("Usage", "2026-03-21T00:00:00Z", "USE1-NatGateway-Hours", "24", "1.08", NAT_ARN),
    ("Usage", "2026-03-22T05:00:00Z", "USE1-NatGateway-Bytes", "8", "0.36", NAT_ARN),
    ("Usage", "2026-03-22T05:00:00Z", "USE1-BoxUsage:t3.micro", "1", "0.0104", "i-0abc"),
    ("Usage", "2026-03-22T06:00:00Z", "USE1-DataTransfer-Regional-Bytes", "9", "0.09", ""),
    ("Credit", "2026-03-22T00:00:00Z", "USE1-NatGateway-Bytes", "0", "-0.10", NAT_ARN),
]


def write_csv(path: Path, header: list[str], lines: list[tuple[str, ...]],
              opener: Any = open) -> Path:
    with opener(path, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, line in enumerate(lines):
            w.writerow([f"id{i}", *line])
    return path


def expected_gb(day: str) -> float:
    """The NatGateway-Bytes usage of one day, summed from LINES independently."""
    return sum(float(a) for t, s, u, a, _c, _r in LINES
               if t == "Usage" and u.endswith("NatGateway-Bytes") and s.startswith(day))


def test_legacy_cur_csv_gives_nat_gb_per_day_usage_lines_only(tmp_path: Path) -> None:
    usage = load_cur(write_csv(tmp_path / "cur.csv", LEGACY, LINES))
    assert usage.gb_by_day == {D1: expected_gb("2026-03-21"), D2: expected_gb("2026-03-22")}
    assert usage.gb_by_day == {D1: 4.0, D2: 8.0}
    assert usage.hours == 24.0 and usage.hours_cost == pytest.approx(1.08)
    assert sum(usage.cost_by_day.values()) == pytest.approx(0.0675 + 0.1125 + 0.36)
    assert usage.other_lines == {"Credit": 1}  # counted and named, not added
    assert usage.usage_types == {"USE1-NatGateway-Bytes", "USE1-NatGateway-Hours"}
    assert usage.gb_by_resource == {NAT_ARN: 12.0}


def test_cur2_parquet_gzip_and_zip_csv_read_the_same(tmp_path: Path) -> None:
    cols: dict[str, list[Any]] = {c: [] for c in CUR2}
    for i, (t, s, u, a, c, r) in enumerate(LINES):
        for name, value in zip(CUR2, (f"id{i}", t, datetime.fromisoformat(s[:-1]).replace(
                tzinfo=timezone.utc), u, float(a), float(c), r or None), strict=True):
            cols[name].append(value)
    pq.write_table(pa.table(cols), tmp_path / "cur2.parquet")
    write_csv(tmp_path / "cur2.csv.gz", CUR2, LINES, opener=gzip.open)
    with zipfile.ZipFile(tmp_path / "legacy.zip", "w") as z:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(LEGACY)
        w.writerows([f"id{i}", *line] for i, line in enumerate(LINES))
        z.writestr("report-00001.csv", buf.getvalue())
    got = [load_cur(tmp_path / n) for n in ("cur2.parquet", "cur2.csv.gz", "legacy.zip")]
    for usage in got:
        assert usage.gb_by_day == {D1: 4.0, D2: 8.0}
        assert usage.hours == 24.0 and usage.lines == 4


def test_cur_rows_of_other_nat_gateways_are_left_out_when_nat_ids_are_given(
        tmp_path: Path) -> None:
    other = NAT_ARN.replace("nat-0a1b2c3d4e5f67890", "nat-0ffff")
    lines = [*LINES, ("Usage", "2026-03-21T02:00:00Z", "USE1-NatGateway-Bytes", "100", "4.5",
                      other)]
    path = write_csv(tmp_path / "cur.csv", LEGACY, lines)
    assert load_cur(path).gb_by_day[D1] == 104.0
    assert load_cur(path, nat_ids=["nat-0a1b2c3d4e5f67890"]).gb_by_day[D1] == 4.0


def test_bad_cur_files_name_the_file_row_and_column(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", LEGACY, [
        *LINES[:2], ("Usage", "2026-03-21T03:00:00Z", "USE1-NatGateway-Bytes", "lots", "1", "")])
    with pytest.raises(BillError, match=r"bad\.csv: row 4: lineItem/UsageAmount is 'lots'"):
        load_cur(bad)
    when = write_csv(tmp_path / "when.csv", CUR2, [
        ("Usage", "yesterday", "APS1-NatGateway-Bytes", "1", "0.059", "")])
    with pytest.raises(BillError, match=r"when\.csv: row 2: line_item_usage_start_date is "
                                        r"'yesterday'"):
        load_cur(when)
    other = tmp_path / "flows.csv"
    other.write_text("srcaddr,dstaddr,bytes\n10.0.0.1,52.1.2.3,100\n")
    with pytest.raises(BillError, match=r"flows\.csv: not a Cost and Usage Report: no column "
                                        r"line_item_usage_type / lineItem/UsageType"):
        load_cur(other)
    with pytest.raises(BillError, match=r"missing\.csv: cannot read"):
        load_cur(tmp_path / "missing.csv")
    whole = write_csv(tmp_path / "whole.csv.gz", LEGACY, LINES * 200, opener=gzip.open)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[:300])
    with pytest.raises(BillError, match=r"cut\.csv\.gz: damaged or not CSV"):
        load_cur(cut)
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"PAR1" + b"\0" * 64)
    with pytest.raises(BillError, match=r"fake\.parquet: not a readable Parquet file"):
        load_cur(fake)


def metric_result(label: str, points: dict[str, float], rid: str = "m") -> dict[str, Any]:
    return {"Id": rid, "Label": label, "Timestamps": list(points), "Values": list(points.values()),
            "StatusCode": "Complete"}


def metrics_doc(tmp_path: Path, results: list[dict[str, Any]], name: str = "m.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"MetricDataResults": results, "Messages": []}))
    return path


def test_metrics_sum_the_public_side_pair_per_day(tmp_path: Path) -> None:
    out = {"2026-03-21T00:00:00+00:00": 3 * GIB, "2026-03-21T12:00:00+00:00": GIB,
           "2026-03-22T00:00:00+00:00": 2 * GIB}
    into = {"2026-03-21T00:00:00+00:00": 5 * GIB, "2026-03-22T00:00:00Z": 4 * GIB}
    # The VPC-side metrics count the same bytes again: never added to the public side.
    src = {"2026-03-21T00:00:00+00:00": 9 * GIB}
    path = metrics_doc(tmp_path, [
        metric_result("BytesOutToDestination", out, "out"),
        metric_result("BytesInFromDestination", into, "inn"),
        metric_result("BytesInFromSource", src, "src"),
        metric_result("ActiveConnectionCount", {"2026-03-21T00:00:00Z": 7}, "conn")])
    usage = load_metrics(path)
    assert usage.basis == ("BytesOutToDestination", "BytesInFromDestination")
    assert usage.bytes_by_day == {D1: (3 + 1 + 5) * GIB, D2: (2 + 4) * GIB}
    assert usage.ignored == ["ActiveConnectionCount"]
    assert usage.totals["BytesInFromSource"] == 9 * GIB


def test_metrics_fall_back_to_the_vpc_side_and_pages_add_up(tmp_path: Path) -> None:
    pages = [{"MetricDataResults": [metric_result("x", {"2026-03-21T00:00:00Z": 10.0},
                                                  "bytesInFromSource")]},
             {"MetricDataResults": [metric_result("y", {"2026-03-21T00:05:00Z": 20.0},
                                                  "bytesOutToSource")]}]
    path = tmp_path / "pages.json"
    path.write_text(json.dumps(pages))
    usage = load_metrics(path)
    assert usage.basis == ("BytesInFromSource", "BytesOutToSource")
    assert usage.bytes_by_day == {D1: 30.0}


def test_bad_metrics_files_name_the_file_and_the_result(tmp_path: Path) -> None:
    bad = metrics_doc(tmp_path, [metric_result("BytesOutToDestination",
                                               {"2026-03-21T00:00:00Z": 1.0})])
    doc = json.loads(bad.read_text())
    doc["MetricDataResults"][0]["Values"] = ["many"]
    bad.write_text(json.dumps(doc))
    with pytest.raises(BillError, match=r"m\.json: MetricDataResults\[0\] "
                                        r"\(BytesOutToDestination\): Values\[0\] is 'many'"):
        load_metrics(bad)
    none = metrics_doc(tmp_path, [metric_result("ActiveConnectionCount", {})], "n.json")
    with pytest.raises(BillError, match=r"n\.json: no NAT gateway byte metric"):
        load_metrics(none)
    text = tmp_path / "t.json"
    text.write_text("not json")
    with pytest.raises(BillError, match=r"t\.json: not JSON"):
        load_metrics(text)
    shape = tmp_path / "s.json"
    shape.write_text(json.dumps({"Datapoints": []}))
    with pytest.raises(BillError, match=r"s\.json: the document has no MetricDataResults"):
        load_metrics(shape)


def test_reconcile_gives_billed_vs_explained_gb_and_share_per_day(tmp_path: Path) -> None:
    cur = write_csv(tmp_path / "cur.csv", LEGACY, LINES)
    met = metrics_doc(tmp_path, [
        metric_result("BytesOutToDestination", {"2026-03-21T00:00:00Z": 4 * GIB,
                                                "2026-03-22T00:00:00Z": 6 * GIB})])
    explained = {D1: 3 * GIB, D3: GIB // 2}  # the flow logs: 3 GB on day 1, 0.5 GB on day 3
    r = reconcile(explained, cur=cur, metrics=met, gb_bytes=GIB)
    by_day = {d["day"]: d for d in r.to_dict()["by_day"]}
    assert by_day["2026-03-21"] == {"day": "2026-03-21", "billed_gb": 4.0, "cur_gb": 4.0,
                                    "metrics_gb": 4.0, "explained_gb": 3.0,
                                    "share_explained": 0.75}
    assert by_day["2026-03-22"]["explained_gb"] == 0 and by_day["2026-03-22"]["billed_gb"] == 8
    assert by_day["2026-03-22"]["metrics_gb"] == 6.0
    assert by_day["2026-03-23"]["billed_gb"] == 0 and by_day["2026-03-23"]["share_explained"] \
        is None
    d = r.to_dict()
    assert d["basis"] == "cur"
    assert d["billed_gb"] == 12.0 and d["explained_gb"] == 3.5
    assert d["share_explained"] == pytest.approx(3.5 / 12, abs=1e-6)
    assert d["covered_days"] == 2 and d["billed_gb_covered_days"] == 4.0
    assert d["share_explained_covered_days"] == pytest.approx(3.5 / 4, abs=1e-6)
    assert d["cur"]["hours"] == 24 and d["cur"]["not_usage_lines"] == {"Credit": 1}
    assert any("2 of 3 day(s)" in n for n in d["notes"])
    # day 3: 0.5 GB explained, nothing billed
    assert any(n.startswith("the flow logs explain more than the bill says on 2026-03-23:")
               for n in d["notes"])
    # metrics only: the measured bytes are the basis.
    alone = reconcile(explained, metrics=met, gb_bytes=GIB).to_dict()
    assert alone["basis"] == "metrics" and alone["billed_gb"] == 10.0
    with pytest.raises(BillError, match="nothing to reconcile"):
        reconcile(explained)


def nat_rows(day: datetime, up: int, down: int) -> list[dict[str, Any]]:
    peer = "52.216.58.42"
    legs = [(NAT_ENI, HOST, NAT_IP, up), (NAT_ENI, NAT_IP, peer, up),
            (NAT_ENI, peer, NAT_IP, down), (NAT_ENI, NAT_IP, HOST, down),
            (HOST_ENI, HOST, peer, up), (HOST_ENI, peer, HOST, down)]
    return [{"interface_id": e, "srcaddr": s, "dstaddr": d, "bytes": b, "start": day,
             "end": day + timedelta(minutes=10)} for e, s, d, b in legs]


def test_report_json_carries_the_reconciliation_from_the_cli(tmp_path: Path,
                                                             capsys: Any) -> None:
    t0 = datetime(2026, 3, 21, 6, tzinfo=timezone.utc)
    rows = [*nat_rows(t0, GIB, 2 * GIB), *nat_rows(t0 + timedelta(days=1), GIB // 4, GIB // 4)]
    flows = tmp_path / "flows.parquet"
    pq.write_table(table(rows, region="us-east-1"), flows)
    cur = write_csv(tmp_path / "cur.csv", LEGACY, LINES)
    code = main(["report", str(flows), "--nat-ip", NAT_IP, "--offline", "--cur", str(cur),
                 "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    rec = doc["reconciliation"]
    days = {d["day"]: d for d in rec["by_day"]}
    # Counted once: the public leg, up + down, per day.
    assert days["2026-03-21"]["explained_gb"] == 3.0 and days["2026-03-21"]["billed_gb"] == 4.0
    assert days["2026-03-22"]["explained_gb"] == 0.5
    assert days["2026-03-22"]["share_explained"] == pytest.approx(0.5 / 8, abs=1e-6)
    assert rec["share_explained"] == pytest.approx(3.5 / 12, abs=1e-6)
    # The library path gives the same figures.
    r = awsip.report(flows, ranges=RANGES, nat_ips=[NAT_IP])
    assert r.nat is not None
    lib = reconcile(r.nat.by_day, cur=cur).to_dict()
    assert lib["by_day"] == rec["by_day"]


def test_a_bad_cur_file_fails_the_report_before_reading_flow_logs(tmp_path: Path,
                                                                  capsys: Any) -> None:
    cur = tmp_path / "cur.csv"
    cur.write_text("a,b\n1,2\n")
    code = main(["report", str(tmp_path / "no-such-flows"), "--nat-ip", NAT_IP, "--offline",
                 "--cur", str(cur)])
    err = capsys.readouterr().err
    assert code == 1
    assert "cur.csv: not a Cost and Usage Report" in err and "Traceback" not in err
