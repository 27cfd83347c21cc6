"""JSON-wrapped flow logs vs the plain text path: the same records, one run, ratios.

    python benchmarks/bench_wrapped.py [--records 1000000] [--per-payload 1000] [--repeat 3]

Generates (once, cached in --dir) the same default-format records (gen_flowlogs.py) three
ways: an S3-style gzip text file (header line); what a CloudWatch Logs subscription delivers
through Firehose to S3 (one gzip member per DATA_MESSAGE payload of ``--per-payload`` log
events, concatenated, a CONTROL_MESSAGE first); and gzip'd JSON Lines
(``{"timestamp", "message", "logGroup", "logStream"}`` per line). Times, in interleaved
rounds (best of ``--repeat``), awsip.read_flow_logs to Arrow batches on each, and, to show
what bounds the wrapped paths, the decompression plus JSON decoding alone (awsip's
WrappedDecoder, no flow-log parsing). Prints each path's ratio to the plain text path against
issue 12's target (within 3x).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_flowlogs  # noqa: E402

TARGET = 3.0  # issue 12, item 7: the JSON-wrapped paths within 3x of the plain text path
GROUP, STREAM = "/vpc/flowlogs", "eni-0123456789abcdef0-all"
T0_MS = 1_774_573_200_000


def _write_gz(path: Path, pieces: list[bytes], members: bool) -> None:
    """``pieces`` gzip'd at level 6 (as CloudWatch Logs compresses payloads): one member
    each when ``members``, else one stream."""
    from isal import igzip

    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        if members:
            for p in pieces:
                f.write(igzip.compress(p, compresslevel=3))
        else:
            f.write(igzip.compress(b"".join(pieces), compresslevel=3))
    tmp.rename(path)


def ensure_files(d: Path, records: int, per_payload: int) -> dict[str, Path]:
    """The three files of the same records (written once)."""
    d.mkdir(parents=True, exist_ok=True)
    plain = gen_flowlogs.ensure(d / f"flow-{records}.log.gz", records)
    subs = d / f"flow-{records}-firehose-{per_payload}.gz"
    lines_path = d / f"flow-{records}.jsonl.gz"
    if subs.exists() and lines_path.exists():
        return {"text": plain, "subscription": subs, "json lines": lines_path}
    lines = gen_flowlogs.generate_lines(records)
    control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "",
               "logStream": "", "subscriptionFilters": [], "logEvents": [
                   {"id": "", "timestamp": T0_MS, "message": "CWL CONTROL MESSAGE: Checking "
                    "health of destination Firehose."}]}
    payloads = [json.dumps(control, separators=(",", ":")).encode()]
    for k in range(0, records, per_payload):
        events = [{"id": f"{37000000000000000000000000000000000000000000000000000 + k + i}",
                   "timestamp": T0_MS + k + i, "message": m}
                  for i, m in enumerate(lines[k:k + per_payload])]
        payloads.append(json.dumps(
            {"messageType": "DATA_MESSAGE", "owner": gen_flowlogs.ACCOUNT, "logGroup": GROUP,
             "logStream": STREAM, "subscriptionFilters": ["to-firehose"], "logEvents": events},
            separators=(",", ":")).encode())
    _write_gz(subs, payloads, members=True)
    rows = [json.dumps({"timestamp": T0_MS + i, "message": m, "logGroup": GROUP,
                        "logStream": STREAM}).encode() + b"\n" for i, m in enumerate(lines)]
    _write_gz(lines_path, rows, members=False)
    return {"text": plain, "subscription": subs, "json lines": lines_path}


def awsip_read(path: Path) -> int:
    import awsip

    return sum(b.num_rows for b in awsip.read_flow_logs(path, progress=False))


def decode_only(path: Path, kind: str) -> int:
    """Decompression plus JSON decoding into text blocks, no flow-log parsing."""
    from awsip.flowlogs.decompress import open_gzip
    from awsip.flowlogs.wrapped import WrappedDecoder

    decoder = WrappedDecoder(str(path), kind)
    n = 0
    with open(path, "rb") as raw:
        stream = open_gzip(raw)
        pending = b""
        while chunk := stream.read(8 << 20):
            if kind == "json-lines":  # whole lines, as the reader gives them
                chunk, cut = pending + chunk, (pending + chunk).rfind(b"\n") + 1
                chunk, pending = chunk[:cut], chunk[cut:]
            n += sum(getattr(i, "count", 1) for i in decoder.feed(chunk))
        n += sum(getattr(i, "count", 1) for i in decoder.feed(pending, final=True))
        stream.close()
    return n


def best_of(contenders: dict[str, Callable[[], int]], repeat: int) -> dict[str, float]:
    """Best wall time of each over ``repeat`` interleaved rounds (load hits all alike)."""
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {k: min(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--per-payload", type=int, default=1000,
                    help="log events per subscription payload")
    ap.add_argument("--dir", default="/tmp/awsip-bench")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    files = ensure_files(Path(args.dir), args.records, args.per_payload)
    for name, path in files.items():  # the same records every way (and a warm-up)
        n = awsip_read(path)
        assert n == args.records, (name, n)
        print(f"{name}: {path} ({path.stat().st_size / 2**20:.1f} MiB gzip)", file=sys.stderr)
    contenders: dict[str, Callable[[], int]] = {
        f"awsip, {name}": (lambda p=path: awsip_read(p)) for name, path in files.items()}
    contenders["decompress + JSON decode only, subscription"] = \
        lambda: decode_only(files["subscription"], "cwl-subscription")
    contenders["decompress + JSON decode only, json lines"] = \
        lambda: decode_only(files["json lines"], "json-lines")
    results = best_of(contenders, args.repeat)
    base = results["awsip, text"]
    print(f"\n| reader ({args.records:,} records) | seconds | vs text path | records/s |")
    print("|---|---:|---:|---:|")
    for name, secs in results.items():
        print(f"| {name} | {secs:.2f} | {secs / base:.2f}x | "
              f"{args.records / secs / 1e6:.2f} M |")
    print()
    for name in ("subscription", "json lines"):
        ratio = results[f"awsip, {name}"] / base
        print(f"awsip, {name}: {ratio:.2f}x the text path (target <= {TARGET}x): "
              f"{'met' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
