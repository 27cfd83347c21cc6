"""Route 53 Resolver query logs (awsip/flowlogs/dns.py) and what they add to the report
(awsip/traffic/names.py): NAT bytes by DNS name, and ECR pulls found by name.

The query logs are AWS's documented example record (kept as published) and records written
here in the documented format; the flow logs are examples/whole_vpc.py's generated VPC. Expected
figures come from the generator's plan (its crossings) and the naming table below, never from
awsip's reader or join.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import whole_vpc as wv
from awsip import cli
from awsip.advice.report import ECR_NOTE
from awsip.errors import FlowLogError, UsageError
from awsip.flowlogs.dns import read_dns_logs

#: AWS's example record, as published on "Route 53 VPC Resolver query log example"
#: (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs-example-json.html).
AWS_EXAMPLE = {
    "srcaddr": "4.5.64.102",
    "vpc_id": "vpc-7example",
    "answers": [{"Rdata": "203.0.113.9", "Type": "PTR", "Class": "IN"}],
    "firewall_rule_group_id": "rslvr-frg-01234567890abcdef",
    "firewall_rule_action": "BLOCK",
    "query_name": "15.3.4.32.in-addr.arpa.",
    "firewall_domain_list_id": "rslvr-fdl-01234567890abcdef",
    "query_class": "IN",
    "srcids": {"instance": "i-0d15cd0d3example"},
    "rcode": "NOERROR",
    "query_type": "PTR",
    "transport": "UDP",
    "version": "1.100000",
    "account_id": "111122223333",
    "srcport": "56067",
    "query_timestamp": "2021-02-04T17:51:55Z",
    "region": "us-east-1",
}

R = wv.REGION
LAYERS = f"prod-{R}-starport-layer-bucket.s3.{R}.amazonaws.com"  # the ECR layer bucket
REGISTRY = f"{wv.ACCOUNT}.dkr.ecr.{R}.amazonaws.com"
API = f"api.ecr.{R}.amazonaws.com"
ASSETS = f"assets-team-a.s3.{R}.amazonaws.com"  # an ordinary bucket on the same S3 address
GITHUB = "github.com"
S3_LAYERS_IP, ECR_API_IP, GITHUB_IP = "52.219.32.15", "15.221.35.10", "140.82.114.4"
ECR = {LAYERS: "layers", REGISTRY: "registry", API: "api"}


def record(host: wv.Host, name: str, answers: list[tuple[str, str]], when: str,
           qtype: str = "A") -> dict[str, Any]:
    """One query log record in the documented format (resolver-query-logs-format.html)."""
    return {"version": "1.100000", "account_id": wv.ACCOUNT, "region": R,
            "vpc_id": wv.VPC_ID, "query_timestamp": when, "query_name": name + ".",
            "query_type": qtype, "query_class": "IN", "rcode": "NOERROR",
            "answers": [{"Rdata": d, "Type": t, "Class": "IN"} for t, d in answers],
            "srcaddr": host.address, "srcport": "53211", "transport": "UDP",
            "srcids": {"instance": host.instance_id}}


def vpc_queries() -> list[dict[str, Any]]:
    """What the hosts of examples/whole_vpc.py asked. Hosts 0 and 1 pull ECR images: the layer
    bucket (through a CNAME chain) on the S3 address, the registry three times and the API
    once on one AWS address. Host 2 asks an ordinary bucket on the same S3 address, and
    GitHub. Host 3 asks nothing (its queries go elsewhere)."""
    h = wv.HOSTS
    t = "2026-11-02T00:00:0{}Z"
    out = []
    for host in h[:2]:
        out.append(record(host, LAYERS, [("CNAME", f"s3-r-w.{R}.amazonaws.com."),
                                         ("A", S3_LAYERS_IP)], t.format(1)))
        out += [record(host, REGISTRY, [("A", ECR_API_IP)], t.format(i)) for i in (2, 3, 4)]
        out.append(record(host, API, [("A", ECR_API_IP)], t.format(5)))
    out.append(record(h[2], ASSETS, [("CNAME", f"s3-r-w.{R}.amazonaws.com."),
                                     ("A", S3_LAYERS_IP)], t.format(6)))
    out.append(record(h[2], GITHUB, [("A", GITHUB_IP)], t.format(7)))
    return out


#: Which name each (host, peer) pair's NAT bytes get, worked out by hand from vpc_queries:
#: a host that asked gets its own answer (the most asked name: the registry over the API);
#: host 3 asked nothing and gets the most asked name of the address (2 layer queries over 1
#: for the other bucket; the registry; GitHub).
NAMED_BY_SOURCE = {
    (0, S3_LAYERS_IP): LAYERS, (0, ECR_API_IP): REGISTRY,
    (1, S3_LAYERS_IP): LAYERS, (1, ECR_API_IP): REGISTRY,
    (2, S3_LAYERS_IP): ASSETS, (2, GITHUB_IP): GITHUB,
    (3, S3_LAYERS_IP): LAYERS, (3, ECR_API_IP): REGISTRY, (3, GITHUB_IP): GITHUB,
}
#: Pairs whose address answered several names for the asker (hosts 0/1: registry and API) or,
#: for host 3, for anyone (layers and the other bucket; registry and API).
AMBIGUOUS = {(0, ECR_API_IP), (1, ECR_API_IP), (3, S3_LAYERS_IP), (3, ECR_API_IP)}
#: Without an inside address on the NAT's records: by address alone.
NAMED_BY_ADDRESS = {S3_LAYERS_IP: LAYERS, ECR_API_IP: REGISTRY, GITHUB_IP: GITHUB}


def expected(s: wv.Scenario, by_source: bool = True) -> dict[str, Any]:
    """Bytes per name, ECR bytes by kind, ambiguous and by-address bytes, from the plan."""
    index = {host.address: i for i, host in enumerate(wv.HOSTS)}
    names: dict[str, int] = defaultdict(int)
    ecr: dict[str, int] = defaultdict(int)
    ambiguous = by_address = 0
    for c in s.crossings:
        i, peer, size = index[c.host.address], c.peer.address, c.up + c.down
        name = NAMED_BY_SOURCE.get((i, peer)) if by_source else NAMED_BY_ADDRESS.get(peer)
        if name is None:
            continue
        names[name] += size
        if name in ECR:
            ecr[ECR[name]] += size
        if (i, peer) in AMBIGUOUS if by_source else peer != GITHUB_IP:
            ambiguous += size
        if i == 3 or not by_source:  # named by another source's queries, or by address
            by_address += size
    return {"names": dict(names), "ecr": dict(ecr), "ambiguous": ambiguous,
            "by_address": by_address}


def write_lines(path: Path, records: list[dict[str, Any]], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(text, mtime=0) if compress else text)
    return path


def run_report(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["report", *args, "--json", "--offline", "--quiet"])
    assert status == 0
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


# ------------------------------------------------------------------------------ the reader


def test_awss_example_record_is_one_record_and_its_ptr_answer_no_address(
        tmp_path: Path) -> None:
    log = read_dns_logs(write_lines(tmp_path / "q.log", [AWS_EXAMPLE]))
    assert (log.stats.records, log.stats.skipped, log.answers.num_rows) == (1, 0, 0)


def test_an_a_answer_behind_a_cname_chain_maps_to_the_query_name_and_the_chains_end(
        tmp_path: Path) -> None:
    rec = record(wv.HOSTS[0], "Www.Example.COM", [("CNAME", "edge.example.net."),
                                                  ("CNAME", "d1.cloudfront.net."),
                                                  ("A", "13.32.1.1"), ("A", "13.32.1.2")],
                 "2026-11-02T10:00:00Z")
    log = read_dns_logs(write_lines(tmp_path / "q.log", [AWS_EXAMPLE, rec, rec]))
    rows = sorted(log.answers.to_pylist(), key=lambda r: r["address"])
    assert [(r["address"], r["name"], r["target"], r["srcaddr"], r["instance"], r["queries"])
            for r in rows] == [
        (a, "www.example.com", "d1.cloudfront.net", wv.HOSTS[0].address,
         wv.HOSTS[0].instance_id, 2) for a in ("13.32.1.1", "13.32.1.2")]
    assert (log.stats.records, log.stats.answers) == (3, 4)


def test_aaaa_answers_are_written_as_flow_logs_write_addresses(tmp_path: Path) -> None:
    rec = record(wv.HOSTS[1], "v6.example.com", [("AAAA", "2600:1F18:0000:0000::0010")],
                 "2026-11-02T10:00:00.250Z", "AAAA")
    log = read_dns_logs(write_lines(tmp_path / "q.log", [rec]))
    assert log.answers.column("address").to_pylist() == ["2600:1f18::10"]
    assert log.answers.column("first_seen")[0].as_py().isoformat() == \
        "2026-11-02T10:00:00+00:00"


def test_plain_gzip_a_directory_and_firehose_wrapped_payloads_give_the_same_answers(
        tmp_path: Path) -> None:
    records = [AWS_EXAMPLE, *vpc_queries()]
    plain = read_dns_logs(write_lines(tmp_path / "plain.log", records))
    folder = tmp_path / "AWSLogs"
    folder.mkdir()
    write_lines(folder / "a.log.gz", records[:5], compress=True)
    write_lines(folder / "b.log", records[5:])
    walked = read_dns_logs(folder)
    payloads = b"".join(gzip.compress(json.dumps({
        "messageType": "DATA_MESSAGE", "owner": wv.ACCOUNT,
        "logGroup": "/aws/route53/resolver", "logStream": wv.VPC_ID,
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": str(i), "timestamp": 1793577600000 + i, "message": json.dumps(r)}
                      for i, r in enumerate(chunk)]}).encode())
        for chunk in (records[:4], records[4:]))
    (tmp_path / "firehose").write_bytes(payloads)
    wrapped = read_dns_logs(tmp_path / "firehose")
    (tmp_path / "export.gz").write_bytes(gzip.compress("".join(  # CloudWatch Logs export
        f"{r['query_timestamp'][:19]}.000Z {json.dumps(r)}\n" for r in records).encode()))
    exported = read_dns_logs(tmp_path / "export.gz")

    def rows(log: Any) -> list[tuple[Any, ...]]:
        return sorted(tuple(r.values()) for r in log.answers.to_pylist())

    assert plain.stats.records == len(records) and plain.answers.num_rows > 0
    for other in (walked, wrapped, exported):
        assert rows(other) == rows(plain)
        assert (other.stats.records, other.stats.skipped) == (len(records), 0)
    assert walked.stats.files == 2


def test_bad_lines_are_counted_with_file_line_and_reason_and_the_good_ones_kept(
        tmp_path: Path) -> None:
    good = vpc_queries()[0]
    lines = [json.dumps(AWS_EXAMPLE), "", "{not json", "[1, 2]",
             json.dumps({**good, "query_name": 7}),
             json.dumps({k: v for k, v in good.items() if k != "query_name"}),
             json.dumps({**good, "query_timestamp": "yesterday"}),
             json.dumps({**good, "answers": "52.219.32.15"}), json.dumps(good)]
    path = tmp_path / "q.log"
    path.write_text("\n".join(lines) + "\n")
    log = read_dns_logs(path)
    assert (log.stats.records, log.stats.skipped, log.stats.lines) == (2, 6, 9)
    where = [(s.file, s.line) for s in log.stats.skipped_lines]
    assert where == [(str(path), n) for n in (3, 4, 5, 6, 7, 8)]
    reasons = [s.reason for s in log.stats.skipped_lines]
    for got, want in zip(reasons, ("not JSON", "not a Resolver query log record",
                                   "query_name is int", "no query_name",
                                   "query_timestamp", "answers"), strict=True):
        assert want in got
    assert log.answers.column("address").to_pylist() == [S3_LAYERS_IP]


def test_gzip_damage_is_a_skipped_line_and_what_precedes_it_is_read(tmp_path: Path) -> None:
    records = vpc_queries() * 40  # enough text that a cut member has whole lines before it
    whole = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode(), mtime=0)
    path = tmp_path / "cut.log.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])  # truncated inside the member
    log = read_dns_logs(path)
    assert 0 < log.stats.records < len(records)
    assert log.stats.skipped == 1
    assert "gzip damage" in log.stats.skipped_lines[0].reason


def test_nothing_to_read_is_an_error_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(FlowLogError, match="no DNS query log file"):
        read_dns_logs(tmp_path / "empty")
    with pytest.raises(UsageError, match="files or s3://"):
        read_dns_logs("cwlogs:///aws/route53/resolver")


# ------------------------------------------------------------------------------ the report


@pytest.fixture(scope="module")
def zonal(tmp_path_factory: pytest.TempPathFactory) -> wv.Scenario:
    return wv.zonal(tmp_path_factory.mktemp("zonal"), days=1)


@pytest.fixture(scope="module")
def queries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_lines(tmp_path_factory.mktemp("dns") / "queries.log.gz",
                       [AWS_EXAMPLE, *vpc_queries()], compress=True)


def check_names(nat: dict[str, Any], want: dict[str, Any], join: str) -> None:
    """``nat.by_name``, ``nat.names`` and ``nat.ecr`` against the expected figures."""
    assert [(r["name"], r["bytes"]) for r in nat["by_name"]] == sorted(
        want["names"].items(), key=lambda kv: (-kv[1], kv[0]))
    assert [r["ecr"] for r in nat["by_name"]] == [ECR.get(r["name"]) for r in nat["by_name"]]
    named = sum(want["names"].values())
    assert nat["names"] == {"join": join, "names": len(want["names"]), "bytes": nat["bytes"],
                            "named_bytes": named, "unnamed_bytes": nat["bytes"] - named,
                            "ambiguous_bytes": want["ambiguous"],
                            "by_address_bytes": want["by_address"]}
    ecr = want["ecr"]
    assert (nat["ecr"]["bytes"], nat["ecr"]["layer_bytes"], nat["ecr"]["registry_bytes"],
            nat["ecr"]["api_bytes"]) == (sum(ecr.values()), ecr.get("layers", 0),
                                         ecr.get("registry", 0), ecr.get("api", 0))


@pytest.mark.parametrize("mode", ["zonal", "regional"])
def test_nat_bytes_are_named_by_the_inside_source_that_asked_and_ecr_pulls_found(
        tmp_path: Path, zonal: wv.Scenario, queries: Path, mode: str) -> None:
    s = zonal if mode == "zonal" else wv.regional(tmp_path, days=1)
    doc = run_report(str(s.logs), "--dns-log", str(queries))
    nat, want = doc["nat"], expected(s)
    assert nat["bytes"] == s.truth.nat_bytes
    check_names(nat, want, "source")
    ecr = [r for r in doc["recommendations"] if r["kind"] == "ecr-endpoints"]
    assert len(ecr) == 1 and ecr[0]["bytes"] == sum(want["ecr"].values()) > 0
    assert ECR_NOTE not in doc["notes"]
    assert doc["dns_logs"]["records"] == 1 + len(vpc_queries())
    assert doc["dns_logs"]["skipped"] == 0


def test_without_an_inside_address_on_the_nats_records_names_go_by_address(
        tmp_path: Path, queries: Path) -> None:
    s = wv.zonal(tmp_path, fmt="v2", days=1)
    doc = run_report(str(s.logs), "--nat-eni", wv.NAT_ZONAL.interface_id or "",
                     "--dns-log", str(queries))
    check_names(doc["nat"], expected(s, by_source=False), "address")
    assert any("named by address only" in n for n in doc["notes"])


def test_without_dns_logs_the_report_says_once_that_ecr_cannot_be_told_from_s3(
        zonal: wv.Scenario) -> None:
    doc = run_report(str(zonal.logs))
    assert doc["notes"].count(ECR_NOTE) == 1 and "--dns-log" in ECR_NOTE
    assert "by_name" not in doc["nat"] and "dns_logs" not in doc
    assert not [r for r in doc["recommendations"] if r["kind"] == "ecr-endpoints"]


def test_bad_dns_lines_are_a_note_with_file_and_line(tmp_path: Path,
                                                     zonal: wv.Scenario) -> None:
    path = tmp_path / "q.log"
    path.write_text(json.dumps(vpc_queries()[0]) + "\n{oops\n")
    doc = run_report(str(zonal.logs), "--dns-log", str(path))
    assert f"{path}:2: not JSON" in " ".join(doc["notes"])
    assert doc["dns_logs"]["skipped"] == 1
    assert doc["dns_logs"]["skipped_lines"][0]["line"] == 2


def test_the_command_line_end_to_end(zonal: wv.Scenario, queries: Path,
                                     tmp_path: Path) -> None:
    more = write_lines(tmp_path / "more.log", [AWS_EXAMPLE])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "awsip", "report", str(zonal.logs), "--dns-log", str(queries),
         "--dns-log", str(more), "--json", "--offline", "--quiet"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    check_names(doc["nat"], expected(zonal), "source")
    assert (doc["dns_logs"]["files"], doc["dns_logs"]["records"]) == (2, 2 + len(vpc_queries()))


def test_the_library_call_and_every_text_format_show_the_names(zonal: wv.Scenario,
                                                              queries: Path) -> None:
    import awsip
    from awsip.flowlogs.dns import read_dns_logs as read
    from awsip.loading import load_bundled
    from awsip.output.report import render
    from awsip.units import human_bytes

    want = expected(zonal)
    top, top_bytes = max(want["names"].items(), key=lambda kv: kv[1])
    for given in (str(queries), read(queries)):  # paths, or query logs read once
        r = awsip.report(str(zonal.logs), dns_logs=given, ranges=load_bundled())
        assert r.nat is not None and r.nat.names is not None
        assert r.nat.names.ecr_bytes == sum(want["ecr"].values())
    table = render(r, "table")
    assert "By DNS name" in table and human_bytes(top_bytes) in table
    markdown = render(r, "markdown")
    assert f"| {top} | layers | {human_bytes(top_bytes)} |" in markdown
    sections = {part.splitlines()[1].split(",")[0]: part for part in
                render(r, "csv").split("\n\n")[1:]}
    assert '"nat_by_name"' in sections and top in sections['"nat_by_name"']
    page = render(r, "html")
    assert "By DNS name" in page and f"<td>{top}</td><td>layers</td>" in page
