"""``s3://`` with a time window, accounts or regions lists and reads only the delivery folders
and objects that can hold them, observed as real requests at a logging proxy in front of moto's
server on 127.0.0.1; and what is read equals a full read filtered the same way."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from awsip import FlowLogError, UsageError
from awsip.cli import main
from awsip.flowlogs import ReaderOptions, read_flow_logs
from awsip.flowlogs.s3 import LOOKAHEAD, LOOKBACK
from flowlog_factory import record, text

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")  # moto_endpoint (conftest) starts its server

BUCKET = "pruned-flow-logs"
ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")
#: the first file's name time; files every 3 hours for three days
DAY0 = datetime(2026, 3, 26, tzinfo=timezone.utc)
STAMPS = [DAY0 + timedelta(hours=3 * i, minutes=5) for i in range(24)]


class _Log:
    """Requests seen by the proxy: (method, bucket-relative key or None, query dict)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def fetched(self) -> set[str]:
        """Keys of objects whose bytes were requested (GET of an object)."""
        return {key for method, key, query in self.requests
                if method == "GET" and key and "list-type" not in query}

    def touched(self) -> set[str]:
        """Keys named by any request (HEAD or GET of an object)."""
        return {key for method, key, query in self.requests
                if method in ("GET", "HEAD") and key and "list-type" not in query}

    def listed(self) -> list[str]:
        """The prefixes of LIST requests, in order (continuation pages once)."""
        out = []
        for method, _key, query in self.requests:
            if method == "GET" and "list-type" in query and "continuation-token" not in query:
                out.append(query.get("prefix", [""])[0])
        return out


def _proxy(upstream: str, log: _Log) -> ThreadingHTTPServer:
    """A tiny HTTP/1.1 reverse proxy that records every request and forwards it to moto."""
    host, port = urlsplit(upstream).hostname, urlsplit(upstream).port

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            parts = urlsplit(self.path)
            segments = unquote(parts.path).lstrip("/").split("/", 1)
            key = segments[1] if len(segments) == 2 and segments[1] else ""
            with log.lock:
                log.requests.append((self.command, key, parse_qs(parts.query)))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            conn = http.client.HTTPConnection(host, port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            # a HEAD answer says the object's length, not the (empty) body's
            self.send_header("Content-Length", resp.getheader("Content-Length", "0")
                             if self.command == "HEAD" else str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture(autouse=True)
def fake_credentials(aws_test_credentials: None) -> None:
    """Every test here runs with moto's test credentials (conftest.aws_test_credentials)."""


@pytest.fixture(scope="module")
def moto(moto_endpoint: str) -> str:
    return moto_endpoint


@pytest.fixture(scope="module")
def proxied(moto: str) -> Iterator[tuple[str, _Log]]:
    log = _Log()
    server = _proxy(moto, log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


def _key(account: str, region: str, when: datetime, *, hive: bool, prefix: str) -> str:
    """Where AWS delivers a text file: classic folders with daily partitions, or Hive-style
    prefixes with hourly partitions."""
    name = (f"{account}_vpcflowlogs_{region}_fl-0a1b2c3d4e5f60718_{when:%Y%m%dT%H%MZ}_"
            f"a1b2c3d4.log.gz")
    if hive:
        return (f"{prefix}AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/"
                f"aws-region={region}/year={when:%Y}/month={when:%m}/day={when:%d}/"
                f"hour={when:%H}/{name}")
    return f"{prefix}AWSLogs/{account}/vpcflowlogs/{region}/{when:%Y/%m/%d}/{name}"


def _records(account: str, region: str, when: datetime, serial: int) -> list[dict[str, Any]]:
    """Two records per file: one starting 50 minutes before the name time (a late delivery,
    inside LOOKBACK) and one 2 minutes before; ``bytes`` says which file and record."""
    t = int(when.timestamp())
    return [record(account_id=account, start=t - 3000, end=t - 2940, bytes=serial * 10 + 1),
            record(account_id=account, start=t - 120, end=t - 60, bytes=serial * 10 + 2)]


@pytest.fixture(scope="module")
def bucket(moto: str) -> dict[str, list[dict[str, Any]]]:
    """Both layouts (classic under ``classic/``, Hive under ``hive/``), two accounts, two
    regions, a file every 3 hours for three days; returns each key's records."""
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=BUCKET)
    objects: dict[str, list[dict[str, Any]]] = {}
    serial = 0
    for hive, prefix in ((False, "classic/"), (True, "hive/")):
        for account in ACCOUNTS:
            for region in REGIONS:
                for when in STAMPS:
                    serial += 1
                    key = _key(account, region, when, hive=hive, prefix=prefix)
                    objects[key] = _records(account, region, when, serial)
                    s3.put_object(Bucket=BUCKET, Key=key,
                                  Body=gzip.compress(text(objects[key])))
    return objects


def _read(url: str, endpoint: str, **options: Any) -> tuple[list[int], Any]:
    reader = read_flow_logs(url, endpoint_override=endpoint, region="us-east-1",
                            progress=False, **options)
    table = reader.read_all()
    return sorted(table.column("bytes").to_pylist()), reader


def _expected(objects: dict[str, list[dict[str, Any]]], prefix: str, since: datetime,
              until: datetime, accounts: tuple[str, ...] = ACCOUNTS,
              regions: tuple[str, ...] = REGIONS) -> list[int]:
    lo, hi = since.timestamp(), until.timestamp()
    return sorted(r["bytes"] for key, recs in objects.items() if key.startswith(prefix)
                  and any(a in key for a in accounts) and any(f"{g}" in key for g in regions)
                  for r in recs if lo <= r["start"] < hi)


def _can_hold(key: str, since: datetime, until: datetime) -> bool:
    """The documented rule, restated: a file named T may hold starts in [T-LOOKBACK,
    T+LOOKAHEAD]."""
    stamp = key.rsplit("_", 2)[1]
    when = datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc)
    return when - LOOKBACK < until and when + LOOKAHEAD >= since


@pytest.mark.parametrize("prefix", ["classic/", "hive/"])
def test_a_window_fetches_only_objects_whose_names_can_hold_it(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log],
        prefix: str) -> None:
    endpoint, log = proxied
    since = DAY0 + timedelta(days=1, hours=2, minutes=30)
    until = since + timedelta(hours=5)
    log.clear()
    got, reader = _read(f"s3://{BUCKET}/{prefix}", endpoint, since=since, until=until)
    assert got == _expected(bucket, prefix, since, until)
    assert got  # the window holds records, near both edges included
    fetched = log.fetched()
    wanted = {k for k in bucket if k.startswith(prefix) and _can_hold(k, since, until)}
    assert fetched == wanted and log.touched() == wanted
    assert len(wanted) == 2 * 2 * 2  # two stamps in reach, per account and region
    stats = reader.stats.listing
    assert stats.selected == len(wanted) == reader.stats.files
    assert stats.skipped_by_time == stats.listed - len(wanted)


def test_a_bounded_window_lists_only_its_day_folders(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log]) -> None:
    endpoint, log = proxied
    since = DAY0 + timedelta(days=1, hours=6)
    until = since + timedelta(hours=3)
    log.clear()
    got, _ = _read(f"s3://{BUCKET}/classic/", endpoint, since=since, until=until)
    assert got == _expected(bucket, "classic/", since, until)
    listed = log.listed()
    day_folders = sorted(p for p in listed if p.count("/") >= 7)
    assert day_folders == sorted(f"classic/AWSLogs/{a}/vpcflowlogs/{r}/2026/03/27/"
                                 for a in ACCOUNTS for r in REGIONS)
    assert not any(p.endswith(("/26/", "/28/")) for p in listed)


def test_hourly_hive_folders_outside_the_window_are_not_listed(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log]) -> None:
    endpoint, log = proxied
    since = DAY0 + timedelta(days=2, hours=14)
    until = since + timedelta(hours=1)
    log.clear()
    got, reader = _read(f"s3://{BUCKET}/hive/AWSLogs/", endpoint, since=since, until=until)
    expected = _expected(bucket, "hive/", since, until)
    # only the records starting 50 minutes before their file's 15:05 name are in the window
    assert got == expected and len(expected) == 4 and all(b % 10 == 1 for b in expected)
    hours = sorted({p.rsplit("hour=", 1)[1].strip("/") for p in log.listed() if "hour=" in p})
    assert hours == ["15"]  # hour=12 (names 12:00-13:00) cannot hold 14:00-15:00
    assert all("day=28/" in p for p in log.listed() if "day=" in p)
    assert reader.stats.listing.pruned_prefixes >= 4 * 7  # other hours of day 28


def test_accounts_and_regions_prune_folders_and_are_never_fetched(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log]) -> None:
    endpoint, log = proxied
    since, until = DAY0 + timedelta(days=1), DAY0 + timedelta(days=1, hours=12)
    for prefix in ("classic/", "hive/"):
        log.clear()
        got, reader = _read(f"s3://{BUCKET}/{prefix}", endpoint, since=since, until=until,
                            accounts=[ACCOUNTS[1]], regions="eu-west-1")
        assert got == _expected(bucket, prefix, since, until, (ACCOUNTS[1],), ("eu-west-1",))
        assert log.fetched() == {k for k in bucket if k.startswith(prefix)
                                 and ACCOUNTS[1] in k and "eu-west-1" in k
                                 and _can_hold(k, since, until)}
        assert not any(ACCOUNTS[0] in p or "us-east-1" in p for p in log.listed())
        # one account and one region folder; with hourly Hive folders also the 8 hours of
        # the 26th (listed for the margin) and 15, 18, 21h of the 27th
        pruned = {"classic/": 2, "hive/": 2 + 8 + 3}[prefix]
        assert reader.stats.listing.pruned_prefixes == pruned


def test_without_a_selection_everything_is_listed_once_and_read(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log]) -> None:
    endpoint, log = proxied
    prefix = f"classic/AWSLogs/{ACCOUNTS[0]}/vpcflowlogs/us-east-1/"
    log.clear()
    got, reader = _read(f"s3://{BUCKET}/{prefix}", endpoint)
    assert got == sorted(r["bytes"] for k, recs in bucket.items() if k.startswith(prefix)
                         for r in recs)
    assert log.listed() == [prefix]
    assert log.fetched() == {k for k in bucket if k.startswith(prefix)}
    assert reader.stats.listing.skipped == 0 and reader.stats.listing.selected == len(STAMPS)


def test_a_window_with_no_delivery_is_an_error_saying_what_was_left_out(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log]) -> None:
    endpoint, log = proxied
    log.clear()
    with pytest.raises(FlowLogError, match=r"no object in .* can hold flow-log records from "
                       r"2027-01-01T00:00Z"):
        read_flow_logs(f"s3://{BUCKET}/classic/", endpoint_override=endpoint,
                       region="us-east-1", since="2027-01-01", until="2027-01-02")
    assert log.fetched() == set()


def test_bad_accounts_and_regions_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="'1234' is not a 12-digit AWS account id"):
        ReaderOptions(accounts=["1234"])
    with pytest.raises(UsageError, match="'useast1' is not a region name"):
        ReaderOptions(regions="us-east-1,useast1")
    assert ReaderOptions(accounts="111111111111, 222222222222").accounts == ACCOUNTS


def test_the_command_line_prunes_with_s3_endpoint_and_filters(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log],
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    endpoint, log = proxied
    out = tmp_path / "rows.jsonl"
    log.clear()
    code = main(["classify", f"s3://{BUCKET}/hive/", "--flow-logs", "--s3-endpoint", endpoint,
                 "--s3-region", "us-east-1", "--since", "2026-03-27T00:00Z", "--until",
                 "2026-03-27T04:00Z", "--account", ACCOUNTS[0], "--flow-log-region",
                 "us-east-1", "-o", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err
    since = datetime(2026, 3, 27, tzinfo=timezone.utc)
    wanted = {k for k in bucket if k.startswith("hive/") and ACCOUNTS[0] in k
              and "us-east-1" in k and _can_hold(k, since, since + timedelta(hours=4))}
    assert log.fetched() == wanted
    assert sorted(k.split("/hour=")[1][:2] for k in wanted) == ["00", "03"]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["bytes"] for r in rows) == _expected(
        bucket, "hive/", since, since + timedelta(hours=4), (ACCOUNTS[0],), ("us-east-1",))
    assert "skipped by date" in err


def test_local_directories_in_the_delivery_layout_are_pruned_by_file_name(
        bucket: dict[str, list[dict[str, Any]]], tmp_path: Any) -> None:
    for key, recs in bucket.items():
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(text(recs)))
    since = DAY0 + timedelta(days=1, hours=2, minutes=30)
    until = since + timedelta(hours=5)
    reader = read_flow_logs(str(tmp_path / "hive"), since=since, until=until,
                            regions=["us-east-1"], progress=False)
    got = sorted(reader.read_all().column("bytes").to_pylist())
    assert got == _expected(bucket, "hive/", since, until, regions=("us-east-1",))
    assert sorted(reader.files) == sorted(
        str(tmp_path / k) for k in bucket if k.startswith("hive/") and "us-east-1" in k
        and _can_hold(k, since, until))
    listing = reader.stats.listing
    assert (listing.listed, listing.selected) == (4 * len(STAMPS), 4)
    assert listing.skipped_by_region == 2 * len(STAMPS)
    assert "skipped by date" in listing.describe()
    # a file named explicitly is read as named, whatever its name says
    far = next(k for k in bucket if k.startswith("hive/") and "T0005Z" in k)
    named = read_flow_logs(str(tmp_path / far), since=since, until=until, progress=False)
    assert named.read_all().num_rows == 0  # its records are outside the window
    assert named.files == [str(tmp_path / far)] and named.stats.listing.listed == 0


def test_the_report_notes_what_listing_left_out(
        bucket: dict[str, list[dict[str, Any]]], proxied: tuple[str, _Log],
        capsys: pytest.CaptureFixture[str]) -> None:
    endpoint, log = proxied
    ranges = Path(__file__).parent / "data" / "ip-ranges-2026-08-22T151705.json.gz"
    log.clear()
    code = main(["report", f"s3://{BUCKET}/classic/", "--s3-endpoint", endpoint,
                 "--s3-region", "us-east-1", "--since", "2026-03-27T00:00Z", "--until",
                 "2026-03-27T04:00Z", "--flow-log-region", "eu-west-1", "--ranges",
                 str(ranges), "--offline", "--json", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    since = datetime(2026, 3, 27, tzinfo=timezone.utc)
    wanted = {k for k in bucket if k.startswith("classic/") and "eu-west-1" in k
              and _can_hold(k, since, since + timedelta(hours=4))}
    assert log.fetched() == wanted and doc["files"] == len(wanted) == 4
    (note,) = [n for n in doc["notes"] if n.startswith("S3:")]
    assert note.endswith(f"{len(wanted)} to read") and "skipped by date" in note
