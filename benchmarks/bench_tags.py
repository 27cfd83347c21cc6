"""Percent-decoding tag values (flow-log version 11 tag fields): awsip vs unquote, one run.

    python benchmarks/bench_tags.py [--values 1000000] [--escaped 0.4] [--repeat 3]

Builds a column of tag values like AWS writes them (``Name=web%20server``, ``team=caf%C3%A9``),
a share ``--escaped`` of them holding escapes, and times in interleaved rounds (best of
``--repeat``): awsip's vectorised ``awsip.flowlogs.tags.percent_decode`` on the Arrow column,
and ``urllib.parse.unquote`` value by value (what a per-record reader would do), checking that
both give the same values. Prints the ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote


def values(n: int, escaped: float, seed: int = 7) -> list[str]:
    """``n`` tag values, a share ``escaped`` of them with percent escapes (spaces, UTF-8)."""
    rnd = random.Random(seed)
    plain = ["Name=web", "team=payments", "env=prod", "asg=warm-pool-b", "owner=ops"]
    quoted = ["Name=web%20server", "team=caf%C3%A9", "note=50%25%20off", "path=a%2Fb%2Fc"]
    return [rnd.choice(quoted if rnd.random() < escaped else plain) + str(i % 97)
            for i in range(n)]


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``fn`` and its last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--values", type=int, default=1_000_000)
    ap.add_argument("--escaped", type=float, default=0.4)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import pyarrow as pa

    from awsip.flowlogs.tags import percent_decode

    texts = values(args.values, args.escaped)
    column = pa.array(texts, pa.string())
    t_awsip, got = best(lambda: percent_decode(column), args.repeat)
    t_unquote, want = best(lambda: [unquote(v, errors="strict") for v in texts], args.repeat)
    same = got.to_pylist() == want
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"CPython {platform.python_version()}, pyarrow {pa.__version__}")
    print(f"{args.values:,} tag values, {args.escaped:.0%} escaped; same values: {same}")
    print("| decoder | seconds | vs awsip |\n|---|---:|---:|")
    print(f"| awsip percent_decode (Arrow column) | {t_awsip:.3f} | 1.00x |")
    print(f"| urllib.parse.unquote per value | {t_unquote:.3f} | {t_unquote / t_awsip:.2f}x |")
    if not same:
        raise SystemExit("the two decoders disagree")


if __name__ == "__main__":
    main()
