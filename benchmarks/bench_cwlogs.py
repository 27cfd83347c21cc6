"""Live CloudWatch Logs (``cwlogs://``) vs the plain text path: the same records, one run, ratios.

    python benchmarks/bench_cwlogs.py [--records 200000] [--repeat 1]

Starts moto's server (``python -m moto.server``) as a separate process on 127.0.0.1, puts
``--records`` generated default-format records (gen_flowlogs.py; event timestamp = the record's
start) into one log group, one stream per interface as flow logs write them, and writes the same
records with a header line to a plain text file. After one untimed read of the file (imports,
first use of pyarrow) and one untimed boto3 client (its service model loaded), times, best of
``--repeat``:

- ``text``: ``awsip.read_flow_logs(<file>)`` to Arrow tables (the plain text path);
- ``cwlogs``: ``awsip.read_flow_logs("cwlogs://...")`` to Arrow tables (FilterLogEvents pages
  of 10,000 events, boto3, then the same text parser);
- ``paging``: boto3's FilterLogEvents paging alone (the messages collected, nothing parsed):
  what the server and boto3 cost before awsip sees a byte;
- ``http``: the same calls as plain HTTP (no boto3): the server's part;
- ``memory``: awsip's cwlogs:// path given the same pages from memory (no server, no boto3):
  awsip's own part.

Prints cwlogs / text against issue 12's target (within 3x) and how much of cwlogs is paging.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_flowlogs  # noqa: E402

TARGET = 3.0  # issue 12, item 7: the CloudWatch path within 3x of the plain text path
GROUP = "/vpc/flowlogs"
REGION = "us-east-1"
BATCH = 5_000  # events per PutLogEvents call (under its 1 MiB and 10,000-event limits)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """moto's server in its own process (so it does not share this one's interpreter lock)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto's server did not start")


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.client("logs", endpoint_url=endpoint, region_name=REGION)


def load(endpoint: str, lines: list[str]) -> None:
    """The records as log events: one stream per interface, each in time order."""
    logs = _client(endpoint)
    logs.create_log_group(logGroupName=GROUP)
    streams: dict[str, list[tuple[int, str]]] = {}
    for line in lines:
        parts = line.split(" ", 11)
        streams.setdefault(f"{parts[2]}-all", []).append((int(parts[10]) * 1000, line))
    for name, events in streams.items():
        logs.create_log_stream(logGroupName=GROUP, logStreamName=name)
        events.sort()
        for i in range(0, len(events), BATCH):
            batch = [{"timestamp": t, "message": m} for t, m in events[i:i + BATCH]]
            result = logs.put_log_events(logGroupName=GROUP, logStreamName=name,
                                         logEvents=batch)
            if result.get("rejectedLogEventsInfo"):
                raise SystemExit(f"events rejected: {result['rejectedLogEventsInfo']}")


def read_rows(source: str, **kw: Any) -> int:
    import awsip

    reader = awsip.read_flow_logs(source, progress=False, **kw)
    return sum(t.num_rows for t in reader.tables())


def paging(endpoint: str) -> int:
    """FilterLogEvents pages to the end, as awsip asks for them, messages kept, not parsed."""
    logs = _client(endpoint)
    request: dict[str, Any] = {"logGroupName": GROUP, "limit": 10_000}
    n = 0
    while True:
        page = logs.filter_log_events(**request)
        n += len([e["message"] for e in page.get("events", [])])
        if not page.get("nextToken"):
            return n
        request["nextToken"] = page["nextToken"]


def http_paging(endpoint: str) -> int:
    """The same FilterLogEvents calls as plain HTTP (urllib, JSON body; moto checks no
    signature): the server's own time, without boto3's request signing and response parsing."""
    import json
    import urllib.request

    headers = {"Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": "Logs_20140328.FilterLogEvents",
               # unsigned; moto reads the service from the credential scope
               "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/logs/"
                                "aws4_request, SignedHeaders=host, Signature=0"}
    request: dict[str, Any] = {"logGroupName": GROUP, "limit": 10_000}
    n = 0
    while True:
        req = urllib.request.Request(endpoint, json.dumps(request).encode(), headers)
        with urllib.request.urlopen(req) as resp:  # a local test server
            page = json.loads(resp.read())
        n += len(page.get("events", []))
        if not page.get("nextToken"):
            return n
        request["nextToken"] = page["nextToken"]


class _Pages:
    """A logs client that answers FilterLogEvents from pages held in memory."""

    def __init__(self, lines: list[str]) -> None:
        self.pages = [[{"message": m, "logStreamName": "s", "timestamp": 0}
                       for m in lines[i:i + 10_000]] for i in range(0, len(lines), 10_000)]

    def filter_log_events(self, **request: Any) -> dict[str, Any]:
        i = int(request.get("nextToken", 0))
        page: dict[str, Any] = {"events": self.pages[i] if i < len(self.pages) else []}
        if i + 1 < len(self.pages):
            page["nextToken"] = str(i + 1)
        return page


def in_memory(lines: list[str]) -> int:
    """awsip's cwlogs:// path with the service and boto3 taken away: pages from memory."""
    from awsip.flowlogs import cwlogs

    pages = _Pages(lines)
    real = cwlogs._clients
    cwlogs._clients = lambda *a: (pages, None)  # type: ignore[assignment]
    try:
        return read_rows(f"cwlogs://{GROUP}", log_format=gen_flowlogs.HEADER)
    finally:
        cwlogs._clients = real  # type: ignore[assignment]


def best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t)
    return min(times), rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    start = (int(time.time()) // 3600 - 3) * 3600  # the service refuses events over 14 days old
    lines = gen_flowlogs.generate_lines(args.records, start=start)
    proc, endpoint = start_moto()
    try:
        t = time.perf_counter()
        load(endpoint, lines)
        print(f"put {len(lines):,} events into moto in {time.perf_counter() - t:.1f}s",
              file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "flow.log"
            path.write_text(gen_flowlogs.HEADER + "\n" + "\n".join(lines) + "\n")
            read_rows(str(path))  # warm-up, not timed: imports, pyarrow's first use
            from awsip.flowlogs import cwlogs  # and botocore's service model of CloudWatch Logs

            cwlogs._clients(cwlogs.parse_url(f"cwlogs://{GROUP}"), REGION, endpoint)
            results = {
                "text": best(lambda: read_rows(str(path)), args.repeat),
                "cwlogs": best(lambda: read_rows(f"cwlogs://{GROUP}", region=REGION,
                                                 endpoint_override=endpoint,
                                                 log_format=gen_flowlogs.HEADER), args.repeat),
                "paging": best(lambda: paging(endpoint), args.repeat),
                "http": best(lambda: http_paging(endpoint), args.repeat),
                "memory": best(lambda: in_memory(lines), args.repeat),
            }
    finally:
        proc.terminate()
        proc.wait(10)
    text = results["text"][0]
    print(f"{args.records:,} records (best of {args.repeat})")
    for name, (secs, rows) in results.items():
        print(f"  {name:<7} {secs:8.2f} s  {rows:>9,} rows  {rows / secs:>11,.0f} rows/s  "
              f"{secs / text:6.1f}x text")
    cw, page = results["cwlogs"][0], results["paging"][0]
    verdict = "met" if cw / text <= TARGET else "missed"
    mem = results["memory"][0]
    print(f"cwlogs / text = {cw / text:.1f}x (target {TARGET:.0f}x: {verdict}); paging alone is "
          f"{page / cw:.0%} of cwlogs; awsip's own part (pages from memory) "
          f"{mem / text:.1f}x text")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
