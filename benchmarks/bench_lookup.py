"""Single-address lookups: start-up as a whole process, and lookups per second in-process.

Compares, in one run on the same publication (the bundled newest snapshot):

* ``python -m awsip lookup IP`` from a warm cache, and from an empty cache (bundled snapshot);
* the awsipranges package (its download replaced by reading the same local document, which
  only flatters it: the real package downloads 2.6 MB on every call);
* a plain script: ``json.load`` + a linear ``ipaddress`` scan.

Run: ``python benchmarks/bench_lookup.py [--runs 15]``. Needs awsipranges for its column
(``pip install -e '.[bench]'``); it is skipped with a note when missing.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import importlib.util
import ipaddress
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "src" / "awsip" / "data" / "ip-ranges.json.gz"
IP = "52.216.58.42"

AWSIPRANGES_SCRIPT = """
import json, sys
from awsipranges import data_loading
doc = json.load(open(sys.argv[1]))
data_loading.get_json_data = lambda *a, **k: (doc, None)
import awsipranges
ranges = awsipranges.get_ranges()
print(ranges.get(sys.argv[2]))
"""

SCAN_SCRIPT = """
import ipaddress, json, sys
doc = json.load(open(sys.argv[1]))
ip = ipaddress.ip_address(sys.argv[2])
hits = [p for p in doc["prefixes"] if ip in ipaddress.ip_network(p["ip_prefix"])]
print(max(hits, key=lambda p: int(p["ip_prefix"].split("/")[1])) if hits else None)
"""


def _median_wall(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _serve(directory: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    def handler(*a: object, **k: object) -> _Quiet:
        return _Quiet(*a, directory=directory, **k)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/ip-ranges.json"


def whole_process(runs: int) -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        doc_path = Path(tmp) / "ip-ranges.json"
        doc_path.write_bytes(gzip.decompress(BUNDLED.read_bytes()))
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWSIP_")}
        server, url = _serve(tmp)
        try:
            warm = dict(base, AWSIP_CACHE_DIR=str(Path(tmp) / "warm"), AWSIP_URL=url)
            # Fill the cache once through the normal path (download from the local server).
            subprocess.run([sys.executable, "-m", "awsip", "lookup", IP], env=warm, check=True,
                           capture_output=True)
            results["awsip lookup, warm cache"] = _median_wall(
                [sys.executable, "-m", "awsip", "lookup", IP], warm, runs)
        finally:
            server.shutdown()
        cold = dict(base, AWSIP_CACHE_DIR=str(Path(tmp) / "empty"), AWSIP_OFFLINE="1")
        results["awsip lookup, empty cache (bundled)"] = _median_wall(
            [sys.executable, "-m", "awsip", "lookup", IP], cold, runs)
        results["python -c pass (interpreter floor)"] = _median_wall(
            [sys.executable, "-c", "pass"], base, runs)
        if importlib.util.find_spec("awsipranges"):
            results["awsipranges (local file, no download)"] = _median_wall(
                [sys.executable, "-c", AWSIPRANGES_SCRIPT, str(doc_path), IP], base, runs)
        else:
            print("note: awsipranges not installed; its column is skipped", file=sys.stderr)
        results["json + ipaddress linear scan"] = _median_wall(
            [sys.executable, "-c", SCAN_SCRIPT, str(doc_path), IP], base, runs)
    return results


def _rate(fn: Callable[[str], object], ips: list[str]) -> float:
    start = time.perf_counter()
    for ip in ips:
        fn(ip)
    return len(ips) / (time.perf_counter() - start)


def in_process(n: int) -> dict[str, float]:
    from awsip import Ranges

    doc = json.loads(gzip.decompress(BUNDLED.read_bytes()))
    ranges = Ranges.from_json(doc)
    rng = random.Random(7)
    prefixes = [ipaddress.ip_network(p["ip_prefix"]) for p in doc["prefixes"]]
    ips = []
    for _ in range(n):  # half inside AWS prefixes, half random
        if rng.random() < 0.5:
            net = rng.choice(prefixes)
            ips.append(str(net[rng.randrange(net.num_addresses)]))
        else:
            ips.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
    ranges.lookup(ips[0])  # build the index outside the timing
    rates = {"awsip Ranges.lookup (full Match)": _rate(ranges.lookup, ips)}
    if importlib.util.find_spec("awsipranges"):
        from awsipranges import data_loading

        data_loading.get_json_data = lambda *a, **k: (doc, None)
        import awsipranges

        theirs = awsipranges.get_ranges()
        rates["awsipranges ranges.get"] = _rate(theirs.get, ips[: max(n // 50, 200)])
    nets = [(ipaddress.ip_network(p["ip_prefix"]), p) for p in doc["prefixes"]]

    def scan(ip: str) -> object:
        address = ipaddress.ip_address(ip)
        return [p for net, p in nets if address in net]

    rates["ipaddress linear scan"] = _rate(scan, ips[:100])
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="process runs per variant (median)")
    parser.add_argument("--lookups", type=int, default=100_000, help="in-process lookups")
    args = parser.parse_args()

    print(f"## One lookup as a whole process (median of {args.runs} runs)\n")
    wall = whole_process(args.runs)
    ref = wall["awsip lookup, warm cache"]
    print("| variant | wall (ms) | vs awsip warm |\n| --- | ---: | ---: |")
    for name, seconds in wall.items():
        print(f"| {name} | {seconds * 1000:.0f} | {seconds / ref:.2f}x |")

    print(f"\n## Lookups per second in one process ({args.lookups:,} addresses)\n")
    rates = in_process(args.lookups)
    ours = rates["awsip Ranges.lookup (full Match)"]
    print("| variant | lookups/s | awsip is |\n| --- | ---: | ---: |")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {ours / rate:,.1f}x faster |")


if __name__ == "__main__":
    main()
