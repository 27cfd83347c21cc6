"""What verifying the cache costs: the compact form and the bulk index, in process and as whole
processes (``awsip lookup`` and ``awsip classify`` from a warm cache).

In process (median of ``--runs``), on the bundled newest publication:

* the compact form: reading it unverified (``marshal.loads`` + ``Ranges.from_compact`` with the
  cyclic GC paused, what format 1 did) against :func:`awsip.loading.cache.read_compact` (read,
  size and sha256 checked, then the same), and the sha256 alone;
* the bulk index: building it (``BulkIndex(ranges)``) against :meth:`BulkIndex.load` (read the
  ~1.2 MB file, verify, expand the 32 MiB /24 table), and the expansion alone.

Whole process (median wall and CPU time of ``--runs``, the variants interleaved run by run):
``python -m awsip lookup IP`` and ``python -m awsip classify`` of 1,000 addresses from a warm
cache (filled from a server on 127.0.0.1). With ``--before SRC`` (a ``src`` directory of an
older awsip, e.g. made by ``git archive <commit> src | tar -x -C /tmp/before``) the same
commands also run on that code, each with its own cache directory.

Run: ``python benchmarks/bench_cache_integrity.py [--runs 15] [--before /tmp/before/src]``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import marshal
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_load import BUNDLED, IP, ROOT, _median  # the same start-up measurements


def in_process(runs: int) -> dict[str, float]:
    import numpy as np

    from awsip.index import bulk
    from awsip.loading.cache import read_compact, sha256, write_compact
    from awsip.ranges import Ranges
    from awsip.ranges.model import Origin

    raw = gzip.decompress(BUNDLED.read_bytes())
    ranges = Ranges.from_json(raw)
    key = sha256(raw)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compact.marshal"
        write_compact(path, key, ranges)
        bare = Path(tmp) / "bare.marshal"
        bare.write_bytes(marshal.dumps(ranges.to_compact()))
        index_path = Path(tmp) / "compact.index"
        built = bulk.BulkIndex(ranges)
        built.save(index_path, key)
        print(f"sizes: compact {path.stat().st_size:,} B, index {index_path.stat().st_size:,} B",
              file=sys.stderr)
        origin = Origin("cache")
        return {
            "compact: read + marshal.loads + from_compact (unverified, format 1)":
                _median(lambda: _unverified(bare), runs),
            "compact: read_compact (read, verify, marshal.loads, from_compact)":
                _median(lambda: read_compact(path, key, origin), runs),
            "compact: sha256 of the file alone":
                _median(lambda: hashlib.sha256(path.read_bytes()).digest(), runs),
            "index: BulkIndex(ranges) (build)": _median(lambda: bulk.BulkIndex(ranges), runs),
            "index: BulkIndex.load (read, verify, expand the /24 table)":
                _median(lambda: bulk.BulkIndex.load(index_path, key), runs),
            "index: expanding the /24 table alone":
                _median(lambda: bulk._dir24_table(built.starts4, built.codes4,
                                                  np.dtype(np.uint16), built._flag), runs),
        }


def _unverified(path: Path) -> object:
    """What format 1's read_compact did: read, marshal.loads, from_compact (GC paused)."""
    import gc

    from awsip.ranges import Ranges

    gc.disable()
    try:
        return Ranges.from_compact(marshal.loads(path.read_bytes()))
    finally:
        gc.enable()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def whole_process(runs: int, before: Path | None) -> dict[str, tuple[float, float]]:
    """Warm ``awsip lookup`` and ``awsip classify``: this code, and ``before``'s if given."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "ip-ranges.json").write_bytes(gzip.decompress(BUNDLED.read_bytes()))
        rng = random.Random(1)
        addresses = Path(tmp) / "addresses.txt"
        addresses.write_text("\n".join(
            f"{rng.choice((3, 13, 18, 52, 54, 8, 100))}.{rng.randrange(256)}."
            f"{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(1000)))

        def handler(*a: object, **k: object) -> _Quiet:
            return _Quiet(*a, directory=tmp, **k)  # type: ignore[arg-type]

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/ip-ranges.json"
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWSIP_")}
        trees = {"this": ROOT / "src"} | ({"before": before} if before else {})
        commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        for name, src in trees.items():
            env = dict(base, PYTHONPATH=str(src), AWSIP_URL=url,
                       AWSIP_CACHE_DIR=str(Path(tmp) / f"cache-{name}"))
            commands[f"awsip lookup, warm ({name})"] = (
                [sys.executable, "-m", "awsip", "lookup", IP], env)
            commands[f"awsip classify 1,000 addresses, warm ({name})"] = (
                [sys.executable, "-m", "awsip", "classify", str(addresses), "-o",
                 str(Path(tmp) / f"out-{name}.csv")], env)
        try:
            for cmd, env in commands.values():  # fill the caches (compact form, index)
                subprocess.run(cmd, env=env, check=True, capture_output=True)
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
            for _ in range(runs):
                for name, (cmd, env) in commands.items():
                    times[name].append(_run(cmd, env))
        finally:
            server.shutdown()
    return {name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
            for name, t in times.items()}


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``cmd``."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _table(title: str, results: dict[str, float]) -> None:
    print(f"\n| {title} | ms |\n|---|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds * 1000:.1f} |")


def _process_table(results: dict[str, tuple[float, float]]) -> None:
    print("\n| whole process (median) | wall ms | CPU ms |\n|---|---:|---:|")
    for name, (wall, cpu) in results.items():
        print(f"| {name} | {wall * 1000:.0f} | {cpu * 1000:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, default=None,
                        help="src directory of an older awsip to compare with")
    args = parser.parse_args()
    _table("in process", in_process(args.runs))
    _process_table(whole_process(args.runs, args.before))


if __name__ == "__main__":
    main()
