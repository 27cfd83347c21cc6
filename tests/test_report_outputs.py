"""``awsip report -o FILE``: the format from the suffix, and the NAT section (cost, per day, per
service, per inside source) and the reconciliation in the CSV and the Markdown."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from awsip.advice.prices import cost
from awsip.cli import main
from awsip.units import human_bytes, usd
from test_report import NAT_ENI, NAT_IP, table

T0 = datetime(2026, 3, 21, 9, tzinfo=timezone.utc)
S3, WEB = "52.216.58.42", "8.8.8.8"
HOSTS = {"10.0.1.23": "eni-host-a", "10.0.2.40": "eni-host-b"}
PRICE = 0.045
GIB = 1 << 30

# (day offset, inside host, peer, service, up, down): connections through the NAT.
CONNECTIONS = [(0, "10.0.1.23", S3, "S3", 1_000, 700_000),
               (0, "10.0.2.40", WEB, "INTERNET", 5_000, 30_000),
               (1, "10.0.1.23", S3, "S3", 2_000, 400_000),
               (1, "10.0.2.40", S3, "S3", 500, 90_000)]


def legs(host: str, peer: str, up: int, down: int, start: datetime) -> list[dict[str, Any]]:
    """Every record AWS logs for one connection from ``host`` through the NAT."""
    eni = HOSTS[host]
    rows = [(NAT_ENI, host, NAT_IP, up), (NAT_ENI, NAT_IP, peer, up),
            (NAT_ENI, peer, NAT_IP, down), (NAT_ENI, NAT_IP, host, down),
            (eni, host, peer, up), (eni, peer, host, down)]
    return [{"interface_id": i, "srcaddr": s, "dstaddr": d, "bytes": b, "start": start,
             "end": start + timedelta(minutes=5)} for i, s, d, b in rows]


def expected(key: int) -> dict[Any, int]:
    """NAT bytes (up + down, once) summed by a field of CONNECTIONS."""
    out: dict[Any, int] = {}
    for c in CONNECTIONS:
        k = (T0 + timedelta(days=c[0])).date().isoformat() if key == 0 else c[key]
        out[k] = out.get(k, 0) + c[4] + c[5]
    return out


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [r for day, host, peer, _s, up, down in CONNECTIONS
            for r in legs(host, peer, up, down, T0 + timedelta(days=day))]
    path = tmp_path_factory.mktemp("outputs") / "flows.parquet"
    pq.write_table(table(rows, region="us-east-1"), path)
    return path


def run(capsys: Any, *args: str) -> tuple[int, str]:
    code = main(["report", *args, "--nat-ip", NAT_IP, "--offline", "--quiet"])
    return code, capsys.readouterr().err


def blocks(text: str) -> dict[str, list[dict[str, str]]]:
    """The CSV's tables: the groups first, then each NAT table by its ``section``."""
    parts = text.split("\n\n")
    out = {"groups": list(csv.DictReader(io.StringIO(parts[0])))}
    for part in parts[1:]:
        rows = list(csv.DictReader(io.StringIO(part)))
        out[rows[0]["section"]] = rows
    return out


def test_csv_file_has_the_groups_then_the_nat_tables(flows: Path, tmp_path: Path,
                                                     capsys: Any) -> None:
    out = tmp_path / "report.csv"
    code, err = run(capsys, str(flows), "-o", str(out))
    assert code == 0, err
    got = blocks(out.read_text())
    assert list(got["groups"][0])[:3] == ["service", "region", "bytes"]
    total = sum(expected(0).values())
    nat = got["nat"][0]
    assert (nat["gateways"], int(nat["bytes"])) == (NAT_IP, total)
    assert float(nat["cost_usd"]) == pytest.approx(cost(total, PRICE), abs=1e-4)
    assert {r["day"]: int(r["bytes"]) for r in got["nat_by_day"]} == expected(0)
    by_service = {r["service"]: int(r["bytes"]) for r in got["nat_by_service"]}
    assert by_service == expected(3)
    assert {r["address"]: int(r["bytes"]) for r in got["nat_by_inside"]} == expected(1)
    assert {r["address"]: r["interface_id"] for r in got["nat_by_inside"]} == HOSTS
    doc = tmp_path / "report.json"
    assert run(capsys, str(flows), "-o", str(doc))[0] == 0
    hours = json.loads(doc.read_text())["nat"]["hours"]  # the same figures as the JSON
    assert float(nat["gateway_hours"]) == hours["gateway_hours"]
    assert float(nat["hours_cost_usd"]) == hours["cost_usd"]


def test_markdown_file_has_per_day_and_per_inside_source_tables(flows: Path, tmp_path: Path,
                                                                capsys: Any) -> None:
    out = tmp_path / "report.md"
    code, err = run(capsys, str(flows), "-o", str(out))
    assert code == 0, err
    lines = out.read_text().splitlines()
    at = lines.index("### Per day (UTC)")
    assert lines[at + 2:at + 4] == ["| day | bytes | cost |", "|---|---:|---:|"]
    assert lines[at + 4:at + 6] == [f"| {d} | {human_bytes(b)} | {usd(cost(b, PRICE))} |"
                                    for d, b in sorted(expected(0).items())]
    at = lines.index("### By inside source")
    rows = lines[at + 4:at + 6]
    want = sorted(expected(1).items(), key=lambda kv: -kv[1])
    assert rows == [f"| {a} | {HOSTS[a]} | - | - | - | {human_bytes(b)} | "
                    f"{usd(cost(b, PRICE))} |" for a, b in want]


def test_html_and_json_files_by_suffix(flows: Path, tmp_path: Path, capsys: Any) -> None:
    page, doc = tmp_path / "r.html", tmp_path / "r.json"
    assert run(capsys, str(flows), "-o", str(page))[0] == 0
    assert run(capsys, str(flows), "-o", str(doc))[0] == 0
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text  # hourly charts without --plot
    assert f"<b>{human_bytes(sum(expected(0).values()))}</b> processed" in text
    assert json.loads(doc.read_text())["nat"]["bytes"] == sum(expected(0).values())


def test_reconciliation_is_in_the_csv_and_the_markdown(flows: Path, tmp_path: Path,
                                                       capsys: Any) -> None:
    cur = tmp_path / "cur.csv"
    billed = {"2026-03-21": 0.002, "2026-03-22": 0.001}
    cur.write_text("lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageType,"
                   "lineItem/UsageAmount\n"
                   + "".join(f"Usage,{d}T00:00:00Z,USE1-NatGateway-Bytes,{gb}\n"
                             for d, gb in billed.items()))
    out_csv, out_md = tmp_path / "r.csv", tmp_path / "r.md"
    assert run(capsys, str(flows), "--cur", str(cur), "-o", str(out_csv))[0] == 0
    assert run(capsys, str(flows), "--cur", str(cur), "-o", str(out_md))[0] == 0
    rows = blocks(out_csv.read_text())["reconciliation_by_day"]
    explained = {d: b / GIB for d, b in expected(0).items()}
    assert {r["day"]: float(r["billed_gb"]) for r in rows} == billed
    for r in rows:
        assert float(r["explained_gb"]) == pytest.approx(explained[r["day"]], abs=1e-6)
        assert float(r["share_explained"]) == pytest.approx(
            explained[r["day"]] / billed[r["day"]], abs=1e-5)
    md = out_md.read_text()
    share = sum(explained.values()) / sum(billed.values())
    assert "## Reconciliation with the bill" in md
    assert f"the flow logs explain {sum(explained.values()):,.3f} GB ({share * 100:.1f}%)" in md


def test_table_states_the_share_of_the_bill_explained(flows: Path, tmp_path: Path,
                                                      capsys: Any) -> None:
    met = tmp_path / "m.json"
    total = sum(expected(0).values())
    met.write_text(json.dumps({"MetricDataResults": [
        {"Id": "out", "Label": "BytesOutToDestination", "Timestamps": ["2026-03-21T00:00:00Z"],
         "Values": [2 * total]}]}))
    code = main(["report", str(flows), "--nat-ip", NAT_IP, "--offline", "--quiet",
                 "--metrics", str(met)])
    out = capsys.readouterr().out
    assert code == 0
    text = " ".join(out.split())
    assert (f"Reconciliation: CloudWatch says {2 * total / GIB:,.3f} GB processed; the flow "
            f"logs explain {total / GIB:,.3f} GB (50.0%)") in text


def test_hourly_bytes_by_inside_source_and_their_chart(flows: Path) -> None:
    import awsip
    from awsip.output.report import render
    from test_report import RANGES

    r = awsip.report(flows, ranges=RANGES, nat_ips=[NAT_IP], hourly=True)
    assert r.hourly_by_inside is not None
    got = {(row["hour"], row["address"]): row["bytes"]
           for row in r.hourly_by_inside.to_pylist()}
    want: dict[tuple[datetime, str], int] = {}
    for day, host, _peer, _s, up, down in CONNECTIONS:
        key = (T0 + timedelta(days=day), host)  # T0 is on the hour
        want[key] = want.get(key, 0) + up + down
    assert got == want
    page = render(r, "html")
    chart = page[page.index("per hour by inside source"):]
    titles = re.findall(r"<title>([0-9.]+) ([0-9-]+ [0-9:]+) UTC: ([^<]+)</title>", chart)
    assert sorted(titles) == sorted((a, h.strftime("%Y-%m-%d %H:%M"), human_bytes(b))
                                    for (h, a), b in want.items())


def test_table_names_the_inside_sources_with_their_bytes(flows: Path, capsys: Any) -> None:
    code = main(["report", str(flows), "--nat-ip", NAT_IP, "--offline", "--quiet"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    at = lines.index("Inside sources (NAT bytes by private address):")
    want = sorted(expected(1).items(), key=lambda kv: -kv[1])
    assert [line.split() for line in lines[at + 1:at + 3]] == [
        [a, HOSTS[a], *human_bytes(b).split(), usd(cost(b, PRICE))] for a, b in want]
    assert max(len(line) for line in lines) <= 80


def test_markdown_and_html_say_which_nat_was_detected_and_why() -> None:
    import awsip
    from awsip.output.report import render
    from test_nat_detect import CONNECTIONS as THROUGH
    from test_nat_detect import NAT_AZ, OTHER, through_zonal_nat
    from test_nat_detect import NAT_ENI as ENI
    from test_nat_detect import NAT_IP as IP
    from test_nat_detect import table as detect_table
    from test_report import RANGES

    rows = [r for c in THROUGH for r in through_zonal_nat(*c)] + OTHER
    r = awsip.report(detect_table(rows), ranges=RANGES)
    md = render(r, "markdown").splitlines()
    at = md.index("### NAT gateways found in the records")
    assert md[at + 4].startswith(f"| {ENI} | {IP} | {NAT_AZ} | - | its records translate")
    assert md[md.index("## NAT gateway") + 2].startswith(f"{ENI}, {IP}: **")
    page = render(r, "html")
    assert f"<td>{ENI}</td><td>{IP}</td><td>{NAT_AZ}</td><td>-</td><td>detected</td>" in page
