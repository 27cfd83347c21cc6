"""S3 with a time window: what listing only the window's folders saves, one run, ratios.

    python benchmarks/bench_s3_pruning.py [--days 7] [--window-hours 2] [--repeat 3]

Starts moto's S3 server on 127.0.0.1 (needs ``moto[server]`` and boto3, as the tests do),
writes ``--days`` days of AWS-named text flow-log files for one account and region, one every
5 minutes (the classic ``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/`` layout, 20
records each), then times, in interleaved rounds (best of ``--repeat``): reading the whole
prefix without a window and keeping the ``--window-hours`` window's records afterwards (what
awsip did before: every object listed in one recursive listing and fetched) against reading
the prefix with ``since``/``until`` (only the window's day folders listed, only objects whose name
can hold it fetched). Prints objects read, prefixes listed, seconds and the ratio. A local
server has no network latency: against real S3 each request costs more, so the ratio grows.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

BUCKET = "bench-flow-logs"
ACCOUNT, REGION = "123456789012", "us-east-1"
START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _fill(endpoint: str, days: int) -> list[str]:
    """Upload the files; return their keys."""
    import boto3

    from flowlog_factory import record, text

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    keys = []
    for i in range(days * 288):
        when = START + timedelta(minutes=5 * (i + 1))
        t = int(when.timestamp())
        name = (f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0a1b2c3d4e5f60718_{when:%Y%m%dT%H%MZ}_"
                "a1b2c3d4.log.gz")
        key = f"AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/{when:%Y/%m/%d}/{name}"
        rows = [record(start=t - 240 + j, end=t - 180 + j, bytes=j) for j in range(20)]
        s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(text(rows)))
        keys.append(key)
    return keys


def _time(read: object) -> float:
    t0 = time.perf_counter()
    read()  # type: ignore[operator]
    return time.perf_counter() - t0


def main() -> None:
    """Run the comparison and print it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--window-hours", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_EC2_METADATA_DISABLED": "true"}.items():
        os.environ[k] = v
    import logging

    from moto.server import ThreadedMotoServer

    from awsip.flowlogs import read_flow_logs

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        keys = _fill(endpoint, args.days)
        since = START + timedelta(days=args.days // 2, hours=11)
        until = since + timedelta(hours=args.window_hours)
        common = {"endpoint_override": endpoint, "region": REGION, "progress": False,
                  "since": since, "until": until}
        results: dict[str, list[float]] = {"whole": [], "pruned": []}
        counts: dict[str, tuple[int, int, int]] = {}

        def whole() -> None:
            import pyarrow as pa
            import pyarrow.compute as pc

            r = read_flow_logs(f"s3://{BUCKET}/AWSLogs/", endpoint_override=endpoint,
                               region=REGION, progress=False)
            t = r.read_all()
            start = t.column("start")
            lo = pa.scalar(since, start.type)
            hi = pa.scalar(until, start.type)
            kept = t.filter(pc.and_(pc.greater_equal(start, lo), pc.less(start, hi)))
            counts["whole"] = (kept.num_rows, r.stats.files, r.stats.listing.listings or 1)

        def pruned() -> None:
            r = read_flow_logs(f"s3://{BUCKET}/AWSLogs/", **common)
            counts["pruned"] = (r.read_all().num_rows, r.stats.listing.selected,
                                r.stats.listing.listings)

        for _ in range(args.repeat):
            results["whole"].append(_time(whole))
            results["pruned"].append(_time(pruned))
    finally:
        server.stop()
    assert counts["whole"][0] == counts["pruned"][0], counts
    print(f"{len(keys):,} objects over {args.days} days; window {args.window_hours:g} h "
          f"({counts['pruned'][0]:,} records in it); best of {args.repeat}")
    for name in ("whole", "pruned"):
        _rows, objects, listings = counts[name]
        print(f"  {name:7s} {min(results[name]):7.2f} s  {objects:6,} objects read  "
              f"{listings:3} LISTs")
    print(f"  whole / pruned: {min(results['whole']) / min(results['pruned']):.1f}x")


if __name__ == "__main__":
    main()
