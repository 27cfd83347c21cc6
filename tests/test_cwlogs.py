"""Reading flow logs live from a CloudWatch Logs log group (``cwlogs://``) against a real
CloudWatch Logs and EC2 API: moto's server on 127.0.0.1, started here."""

from __future__ import annotations

import json
import sys
import threading
import time
import warnings
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import awsip
from awsip import FlowLogError
from awsip.cli import main
from awsip.encoding import parse_time
from awsip.errors import FlowLogWarning, UsageError
from awsip.flowlogs import cwlogs, read_flow_logs
from awsip.flowlogs.fields import DEFAULT_FIELDS
from flowlog_factory import line, record

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")  # moto_endpoint (conftest) starts its server

NEWEST = str(Path(__file__).parent / "data" / "ip-ranges-2026-08-22T151705.json.gz")
REGION = "us-east-1"
#: a recent whole hour: CloudWatch Logs (and moto) refuse events older than 14 days
T0 = (int(time.time()) // 3600 - 30) * 3600
CUSTOM = ("version", "srcaddr", "dstaddr", "bytes", "start", "end", "action")
CUSTOM_FORMAT = " ".join(f"${{{f}}}" for f in CUSTOM)
ROLE = "arn:aws:iam::123456789012:role/flow-logs"


@pytest.fixture(scope="module")
def endpoint(moto_endpoint: str) -> str:
    return moto_endpoint


@pytest.fixture(autouse=True)
def fake_credentials(aws_test_credentials: None) -> None:
    """Every test here runs with moto's test credentials (conftest.aws_test_credentials)."""


def _client(name: str, endpoint: str) -> Any:
    return boto3.client(name, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _put(logs: Any, group: str, stream: str, messages: list[tuple[int, str]]) -> None:
    """Events of one stream: (seconds, message), put in time order as the service wants."""
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": t * 1000, "message": m} for t, m in sorted(messages)]
    result = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    assert not result.get("rejectedLogEventsInfo"), result


def _custom(bytes_: int, start: int, action: str = "ACCEPT", dst: str = "52.216.58.42") -> str:
    """One record in the CUSTOM format (what a flow log with that LogFormat writes)."""
    return line(record(bytes=bytes_, start=start, end=start + 60, action=action, dstaddr=dst),
                CUSTOM)


def _flow_log(ec2: Any, group: str, log_format: str | None) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    extra = {"LogFormat": log_format} if log_format else {}
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="cloud-watch-logs", LogGroupName=group,
                         DeliverLogsPermissionArn=ROLE, **extra)


@pytest.fixture(scope="module")
def groups(endpoint: str) -> dict[str, str]:
    """The log groups: ``/vpc/flowlogs`` (a flow log with the CUSTOM format; two interfaces,
    three hours, a REJECT, a bad line), ``plain`` (no flow log: default format), ``mixed``
    (two flow logs with different formats), ``paged`` (a flow log with the default format;
    ten events)."""
    logs, ec2 = _client("logs", endpoint), _client("ec2", endpoint)
    names = {"custom": "/vpc/flowlogs", "plain": "plain-group", "mixed": "mixed/group",
             "paged": "paged", "odd": "odd"}
    for name in names.values():
        logs.create_log_group(logGroupName=name)
    _flow_log(ec2, names["custom"], CUSTOM_FORMAT)
    _put(logs, names["custom"], "eni-0aaa0000000000001-all", [
        (T0, _custom(100, T0)), (T0 + 3600, _custom(101, T0 + 3600)),
        (T0 + 7200, _custom(102, T0 + 7200))])
    _put(logs, names["custom"], "eni-0bbb0000000000002-all", [
        (T0 + 3600 + 5, _custom(200, T0 + 3600 + 5, action="REJECT")),
        (T0 + 3600 + 6, "2 10.0.1.5 not-a-record")])
    _put(logs, names["plain"], "eni-0ccc0000000000003-all", [
        (T0, line(record(bytes=300, start=T0, end=T0 + 60)))])
    _flow_log(ec2, names["mixed"], CUSTOM_FORMAT)
    _flow_log(ec2, names["mixed"], "${version} ${srcaddr} ${dstaddr} ${bytes}")
    _put(logs, names["mixed"], "eni-0ddd0000000000004-all", [(T0, _custom(400, T0))])
    _flow_log(ec2, names["paged"], None)  # AWS's default format, as DescribeFlowLogs says
    _put(logs, names["paged"], "eni-0eee0000000000005-all",
         [(T0 + i, line(record(bytes=500 + i, start=T0 + i, end=T0 + 60))) for i in range(10)])
    _put(logs, names["odd"], "eni-0fff0000000000006-all", [
        (T0, line(record(bytes=600, start=T0, end=T0 + 60, srcaddr="10.0.0.7"))),
        (T0 + 1, "2 123456789012 eni-0fff\nsplit 10.0.0.8"),
        (T0 + 2, line(record(bytes=601, start=T0, end=T0 + 60, action="ACCEPT\u00e9")))])
    return names


def _read(url: str, endpoint: str, **kw: Any) -> Any:
    kw.setdefault("progress", False)
    return read_flow_logs(url, endpoint_override=endpoint, region=REGION, **kw)


def test_records_are_read_with_the_format_of_the_flow_log_delivering_to_the_group(
        groups: dict[str, str], endpoint: str) -> None:
    reader = _read("cwlogs:///vpc/flowlogs", endpoint)
    table = reader.read_all()
    assert table.column_names == [f.replace("-", "_") for f in CUSTOM] + [
        "log_group", "log_stream", "event_time"]
    assert sorted(table.column("bytes").to_pylist()) == [100, 101, 102, 200]
    by_bytes = {r["bytes"]: r for r in table.to_pylist()}
    assert by_bytes[200]["action"] == "REJECT"
    assert by_bytes[101]["start"] == datetime.fromtimestamp(T0 + 3600, tz=timezone.utc)
    # each record keeps its event's log group, stream (the interface) and timestamp
    assert {r["log_group"] for r in by_bytes.values()} == {"/vpc/flowlogs"}
    assert by_bytes[200]["log_stream"] == "eni-0bbb0000000000002-all"
    assert by_bytes[102]["log_stream"] == "eni-0aaa0000000000001-all"
    assert by_bytes[200]["event_time"] == datetime.fromtimestamp(T0 + 3605, tz=timezone.utc)
    stats = reader.stats
    assert (stats.records, stats.skipped, stats.header_lines, stats.lines) == (4, 1, 1, 6)
    (bad,) = stats.skipped_lines
    assert bad.file == "cwlogs:///vpc/flowlogs" and bad.text == "2 10.0.1.5 not-a-record"
    assert "expected 7 fields, found 3" in bad.reason
    assert reader.files == ["cwlogs:///vpc/flowlogs"]


def test_the_time_window_is_asked_of_the_service_and_kept_exactly(
        groups: dict[str, str], endpoint: str) -> None:
    since = datetime.fromtimestamp(T0 + 3600, tz=timezone.utc)
    reader = _read("cwlogs:///vpc/flowlogs", endpoint, since=since,
                   until=since + timedelta(hours=1))
    assert sorted(reader.read_all().column("bytes").to_pylist()) == [101, 200]
    # T0's event is before since minus the margin: never fetched; T0+2h's is within the
    # margin after until: fetched, then left out by its start
    assert reader.stats.outside_window == 1 and reader.stats.records == 2


def test_stream_prefix_and_filter_pattern_narrow_the_events(
        groups: dict[str, str], endpoint: str) -> None:
    only_a = _read("cwlogs:///vpc/flowlogs?stream_prefix=eni-0aaa", endpoint).read_all()
    assert sorted(only_a.column("bytes").to_pylist()) == [100, 101, 102]
    rejects = _read("cwlogs:///vpc/flowlogs?filter=REJECT", endpoint)
    assert rejects.read_all().column("bytes").to_pylist() == [200]
    assert rejects.stats.skipped == 0


def test_every_page_is_read_when_there_are_more_events_than_a_page(
        groups: dict[str, str], endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cwlogs, "PAGE_LIMIT", 3)
    stream = cwlogs.open_log_group("cwlogs://paged", region=REGION, endpoint_url=endpoint)
    lines = [json.loads(x) for x in stream.read().decode().splitlines()]
    assert lines[0]["message"] == " ".join(DEFAULT_FIELDS)
    assert [int(x["message"].split()[9]) for x in lines[1:]] == list(range(500, 510))
    assert [x["timestamp"] for x in lines[1:]] == [(T0 + i) * 1000 for i in range(10)]
    assert (stream.pages, stream.events) == (4, 10)
    assert stream.fields_from.startswith("fl-")  # the flow log that said which fields
    table = _read("cwlogs://paged", endpoint).read_all()
    assert table.column("bytes").to_pylist() == list(range(500, 510))


def test_a_group_without_a_flow_log_is_read_with_the_default_format_and_a_warning(
        groups: dict[str, str], endpoint: str) -> None:
    with pytest.warns(FlowLogWarning, match="default version 2 format: no flow log"):
        table = _read("cwlogs://plain-group", endpoint).read_all()
    assert table.column("bytes").to_pylist() == [300]
    assert table.column("interface_id").to_pylist() == ["eni-0a1b2c3d4e5f60718"]


def test_an_event_stays_one_line_whatever_its_message_holds(groups: dict[str, str],
                                                            endpoint: str) -> None:
    reader = _read("cwlogs://odd", endpoint, log_format=" ".join(DEFAULT_FIELDS))
    table = reader.read_all()
    assert table.column("bytes").to_pylist() == [600, 601]
    assert table.column("action").to_pylist() == ["ACCEPT", "ACCEPT\u00e9"]
    stats = reader.stats
    assert (stats.records, stats.skipped, stats.lines) == (2, 1, 4)
    (bad,) = stats.skipped_lines
    assert (bad.line, bad.text) == (3, "2 123456789012 eni-0fff split 10.0.0.8")


def test_log_format_given_wins_over_the_flow_logs(groups: dict[str, str],
                                                 endpoint: str) -> None:
    table = _read("cwlogs://mixed/group", endpoint, log_format=CUSTOM_FORMAT).read_all()
    assert table.column("bytes").to_pylist() == [400]
    with pytest.raises(FlowLogError, match=r"different formats.*--log-format"):
        _read("cwlogs://mixed/group", endpoint).read_all()


def test_a_missing_group_is_an_error_naming_it_and_what_to_check(
        groups: dict[str, str], endpoint: str) -> None:
    with pytest.raises(FlowLogError, match=r"'/vpc/nope'.*ResourceNotFoundException.*region"):
        _read("cwlogs:///vpc/nope", endpoint, log_format=CUSTOM_FORMAT).read_all()
    with warnings.catch_warnings(record=True) as seen:  # the format lookup finds no flow
        warnings.simplefilter("always")                  # log, but the error comes alone
        with pytest.raises(FlowLogError, match=r"'/vpc/nope'.*ResourceNotFoundException"):
            _read("cwlogs:///vpc/nope", endpoint).read_all()
    assert not [w for w in seen if issubclass(w.category, FlowLogWarning)]


def test_no_credentials_is_an_error_saying_how_to_give_them(
        groups: dict[str, str], endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(FlowLogError, match=r"no AWS credentials found.*AWS_PROFILE"):
        _read("cwlogs:///vpc/flowlogs", endpoint).read_all()


class _Refusing(BaseHTTPRequestHandler):
    """A CloudWatch Logs endpoint that answers every call with one AWS error."""

    error = ("ThrottlingException", "Rate exceeded")
    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"__type": self.error[0], "message": self.error[1]}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(("error", "advice"), [
    (("ThrottlingException", "Rate exceeded"), r"still throttled after 2 attempts"),
    (("AccessDeniedException", "not authorized"), r"need logs:FilterLogEvents"),
])
def test_aws_errors_after_the_retries_are_one_error_saying_what_to_do(
        monkeypatch: pytest.MonkeyPatch, error: tuple[str, str], advice: str) -> None:
    monkeypatch.setattr(cwlogs, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(_Refusing, "error", error)
    monkeypatch.setattr(_Refusing, "calls", 0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(FlowLogError, match=rf"'/vpc/flowlogs' in {REGION}.*{error[0]}.*"
                                               rf"{advice}"):
            _read("cwlogs:///vpc/flowlogs", url, log_format=CUSTOM_FORMAT).read_all()
    finally:
        server.shutdown()
        server.server_close()
    retried = error[0] == "ThrottlingException"
    assert _Refusing.calls == (2 if retried else 1)


def test_without_boto3_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(FlowLogError, match=r"needs boto3: pip install 'awsip\[aws\]'"):
        read_flow_logs("cwlogs:///vpc/flowlogs", progress=False).read_all()


@pytest.mark.parametrize(("url", "message"), [
    ("cwlogs://", "is not a CloudWatch Logs log group name"),
    ("cwlogs://vpc flowlogs", "is not a CloudWatch Logs log group name"),
    ("cwlogs:///vpc/flowlogs?prefix=eni", "unknown parameter.*stream_prefix, filter, region"),
    ("cwlogs:///vpc/flowlogs?filter=a&filter=b", "repeated parameter"),
])
def test_a_bad_url_is_refused_before_anything_is_read(url: str, message: str) -> None:
    with pytest.raises(FlowLogError, match=message):
        read_flow_logs(url, progress=False)


def test_url_parameters_are_percent_decoded() -> None:
    spec = cwlogs.parse_url("cwlogs:///aws/vpc/x?filter=%22REJECT%22&stream_prefix=eni-0a"
                            "&region=eu-west-1")
    assert (spec.group, spec.filter_pattern, spec.stream_prefix, spec.region) == (
        "/aws/vpc/x", '"REJECT"', "eni-0a", "eu-west-1")


def test_progress_shows_the_events_read(groups: dict[str, str], endpoint: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _read("cwlogs://paged", endpoint, progress=True).read_all()
    assert "10 events" in capsys.readouterr().err


def test_durations_before_now_are_times() -> None:
    now = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
    assert parse_time("6d", "since", now=now) == datetime(2026, 11, 29, 10, 0,
                                                          tzinfo=timezone.utc)
    assert parse_time("90m", now=now) == now - timedelta(minutes=90)
    assert parse_time("1.5h", now=now) == now - timedelta(minutes=90)
    with pytest.raises(UsageError, match="duration before now like 6d"):
        parse_time("6x", "since")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_report_reads_a_log_group_since_a_duration(
        groups: dict[str, str], endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "report", "cwlogs:///vpc/flowlogs", "--since", "6d",
                        "--endpoint-url", endpoint, "--region", REGION, "--ranges", NEWEST,
                        "--json", "--quiet")
    assert code == 0
    result = json.loads(out)
    assert (result["bytes"], result["records"], result["skipped"]) == (503, 4, 1)
    code, old_spelling, _ = _cli(capsys, "report", "cwlogs:///vpc/flowlogs", "--since", "6d",
                                 "--s3-endpoint", endpoint, "--s3-region", REGION, "--ranges",
                                 NEWEST, "--json", "--quiet")
    assert code == 0 and json.loads(old_spelling)["bytes"] == 503
    code, _, _ = _cli(capsys, "report", "cwlogs:///vpc/flowlogs", "--since", "1h",
                        "--endpoint-url", endpoint, "--region", REGION, "--ranges", NEWEST,
                        "--json", "--quiet")
    assert code == 0  # no record started in the last hour: an empty report, not an error


def test_cli_classify_enriches_a_log_group(groups: dict[str, str], endpoint: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "classify", "cwlogs://paged", "--endpoint-url", endpoint,
                          "--region", REGION, "--ranges", NEWEST, "--json", "--quiet")
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["bytes"] for r in rows] == list(range(500, 510))
    assert {r["dst_service"] for r in rows} == {"S3"}


def test_cli_missing_group_is_one_error_line(groups: dict[str, str], endpoint: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "report", "cwlogs:///vpc/nope", "--endpoint-url", endpoint,
                        "--region", REGION, "--ranges", NEWEST, "--quiet", "--log-format",
                        CUSTOM_FORMAT)
    assert code == 1
    assert "'/vpc/nope'" in err and "Traceback" not in err


def test_the_api_functions_share_the_reader(groups: dict[str, str], endpoint: str) -> None:
    ranges = awsip.load_ranges(NEWEST)
    options = awsip.ReaderOptions(endpoint_override=endpoint, region=REGION, progress=False)
    summary = awsip.summarize("cwlogs://paged", by=[], ranges=ranges, options=options)
    assert summary.column("bytes").to_pylist() == [sum(range(500, 510))]


def test_every_flow_log_command_takes_region_and_endpoint_url_with_the_s3_spellings() -> None:
    from awsip.cli import build_parser

    for command in ("classify", "report"):
        args = build_parser().parse_args([command, "x", "--region", "eu-west-1",
                                          "--endpoint-url", "http://127.0.0.1:9"])
        old = build_parser().parse_args([command, "x", "--s3-region", "eu-west-1",
                                         "--s3-endpoint", "http://127.0.0.1:9"])
        for ns in (args, old):
            assert (ns.region, ns.endpoint_url) == ("eu-west-1", "http://127.0.0.1:9"), command
