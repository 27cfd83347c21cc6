"""Start-up and loading: what a warm cache saves, in-process and as a whole process.

Compares, in one run on the same publication (the bundled newest snapshot):

In-process (median of ``--runs``), each followed by the first lookup (which builds the index):

* ``Ranges.from_json`` on the JSON bytes (parse + validate every prefix): a cold cache or a file;
* ``Ranges.from_compact(marshal.loads(...))``: what a warm cache does;
* ``pickle.loads`` of the validated ``Ranges`` state (the obvious alternative to marshal).

Whole process (``python -c`` running ``load_ranges(...).lookup(IP)``; median of ``--runs``):

* warm cache (compact form present), the same document as an explicit file (parse + validate),
  the bundled snapshot with and without its compact form, ``import awsip`` and ``pass``.

Run: ``python benchmarks/bench_load.py [--runs 15]``. No network: the cache is filled from a
server on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import marshal
import os
import pickle
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


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(runs: int) -> dict[str, float]:
    from awsip.ranges import Ranges

    raw = gzip.decompress(BUNDLED.read_bytes())
    ranges = Ranges.from_json(raw)
    compact = marshal.dumps(ranges.to_compact())
    pickled = pickle.dumps(ranges.to_compact(), protocol=pickle.HIGHEST_PROTOCOL)
    pickled_entries = pickle.dumps(ranges.entries, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"sizes: json {len(raw):,} B, marshal {len(compact):,} B, pickle {len(pickled):,} B",
          file=sys.stderr)
    return {
        "from_json (parse + validate) + first lookup":
            _median(lambda: Ranges.from_json(raw).lookup(IP), runs),
        "from_compact(marshal) + first lookup":
            _median(lambda: Ranges.from_compact(marshal.loads(compact)).lookup(IP), runs),
        "from_compact(pickle) + first lookup":
            _median(lambda: Ranges.from_compact(pickle.loads(pickled)).lookup(IP), runs),
        "pickle of Entry objects, no precomputed tables + first lookup":
            _median(lambda: Ranges(ranges.sync_token, ranges.create_date,
                                   pickle.loads(pickled_entries)).lookup(IP), runs),
    }


SCRIPT = """
import sys
from awsip import loading as source
r = source.load_ranges(sys.argv[1] if len(sys.argv) > 1 else None)
print(r.lookup(sys.argv[2] if len(sys.argv) > 2 else "52.216.58.42").service, r.origin.kind)
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _wall(cmd: list[str], env: dict[str, str], runs: int,
          before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def whole_process(runs: int) -> dict[str, float]:
    results: dict[str, float] = {}
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "ip-ranges.json"
        doc.write_bytes(gzip.decompress(BUNDLED.read_bytes()))
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWSIP_")}

        def handler(*a: object, **k: object) -> _Quiet:
            return _Quiet(*a, directory=tmp, **k)  # type: ignore[arg-type]

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/ip-ranges.json"
        try:
            warm = dict(base, AWSIP_CACHE_DIR=str(Path(tmp) / "warm"), AWSIP_URL=url)
            subprocess.run([py, "-c", SCRIPT], env=warm, check=True, capture_output=True)
            results["warm cache (compact form)"] = _wall([py, "-c", SCRIPT], warm, runs)
        finally:
            server.shutdown()
        plain = dict(base, AWSIP_CACHE_DIR=str(Path(tmp) / "unused"))
        results["explicit file (parse + validate JSON)"] = _wall(
            [py, "-c", SCRIPT, str(doc)], plain, runs)
        bundled_dir = Path(tmp) / "bundled"
        offline = dict(base, AWSIP_CACHE_DIR=str(bundled_dir), AWSIP_OFFLINE="1")
        compact = bundled_dir / "bundled.marshal"
        results["bundled snapshot, first use (decompress + validate + write compact)"] = _wall(
            [py, "-W", "ignore", "-c", SCRIPT], offline, runs,
            before=lambda: compact.unlink(missing_ok=True))
        results["bundled snapshot, compact form present"] = _wall(
            [py, "-W", "ignore", "-c", SCRIPT], offline, runs)
        results["python -c 'import awsip'"] = _wall([py, "-c", "import awsip"], base, runs)
        results["python -c pass (interpreter floor)"] = _wall([py, "-c", "pass"], base, runs)
    return results


def _table(title: str, results: dict[str, float], ref: str) -> None:
    print(f"\n| {title} | ms | vs {ref.split(' (')[0]} |\n|---|---:|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds * 1000:.0f} | {seconds / results[ref]:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    inproc = in_process(args.runs)
    _table("in-process load + first lookup", inproc, "from_compact(marshal) + first lookup")
    whole = whole_process(args.runs)
    _table("whole process: load_ranges + lookup", whole, "warm cache (compact form)")


if __name__ == "__main__":
    main()
