"""Bulk classification: awsip.classify() against per-address alternatives, in one run.

Cases (same inputs for every contender, fixed seed):

  a. 1M distinct random IPv4 strings (uniform over the whole space)
  b. 10M IPv4 strings drawn from 50k distinct addresses (half inside AWS prefixes, half random)
     with a Zipf-like skew (s = 1.1), like the destinations of a flow log
  c. 1M mixed strings: 70% IPv4, 30% IPv6 (half of those inside AWS IPv6 prefixes), all distinct
  d. 10M pre-parsed IPv4 addresses as uint32 (uniform)

Contenders: classify(); a per-address pytricia loop (the scalar index's trees + Ranges.label,
the same rule); the awsipranges package and a brute-force ipaddress scan (both far too slow for
the full inputs: timed on a sample and extrapolated). Peak memory of (b) is measured in a fresh
subprocess (ru_maxrss). Run:

    .venv/bin/python benchmarks/bench_classify.py            # full size
    .venv/bin/python benchmarks/bench_classify.py --scale 0.1  # quick
"""

from __future__ import annotations

import argparse
import gzip
import ipaddress
import json
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import awsip
from awsip import Ranges
from awsip.addr.columns import format_ipv4
from awsip.classification.engine import classify
from awsip.index.bulk import bulk_index

DATA = Path(__file__).resolve().parent.parent / "src" / "awsip" / "data" / "ip-ranges.json.gz"
SEED = 20261129


def load() -> tuple[Ranges, dict[str, Any]]:
    doc = json.loads(gzip.decompress(DATA.read_bytes()))
    return Ranges.from_json(doc), doc


# ---------------------------------------------------------------------- inputs
def inside_aws(rng: np.random.Generator, ranges: Ranges, version: int, count: int) -> list[int]:
    """Random addresses inside random prefixes of one family."""
    prefixes = [ranges.parsed(p) for p in ranges.prefixes if ranges.parsed(p).version == version]
    bits = 32 if version == 4 else 128
    picks = rng.integers(0, len(prefixes), count)
    out = []
    for i in picks.tolist():
        p = prefixes[i]
        size = 1 << (bits - p.prefixlen)
        offset = int(rng.integers(0, min(size, 2**62))) if size > 1 else 0
        out.append(p.network + offset % size)
    return out


def v4_text(values: np.ndarray) -> pa.Array:
    return format_ipv4(values.astype(np.uint32))


def case_a(rng: np.random.Generator, n: int) -> pa.Array:
    values = np.unique(rng.integers(0, 2**32, int(n * 1.01), dtype=np.uint32))[:n]
    rng.shuffle(values)
    return v4_text(values)


def case_b(rng: np.random.Generator, ranges: Ranges, n: int, distinct: int
           ) -> tuple[pa.Array, pa.Array, np.ndarray]:
    half = distinct // 2
    pool = np.concatenate([np.array(inside_aws(rng, ranges, 4, half), dtype=np.uint32),
                           rng.integers(0, 2**32, distinct - half, dtype=np.uint32)])
    rng.shuffle(pool)
    ranks = rng.zipf(1.1, n) - 1
    idx = (ranks % distinct).astype(np.int32)
    pool_text = v4_text(pool)
    return pool_text.take(pa.array(idx)), pool_text, idx


def case_c(rng: np.random.Generator, ranges: Ranges, n: int) -> pa.Array:
    n6 = int(n * 0.3)
    v4 = case_a(rng, n - n6).to_pylist()
    six = inside_aws(rng, ranges, 6, n6 // 2)
    six += [int(rng.integers(0, 2**62)) << 66 | int(rng.integers(0, 2**62)) for _ in
            range(n6 - n6 // 2)]
    v6 = [str(ipaddress.IPv6Address(x)) for x in six]
    mixed = v4 + v6
    order = rng.permutation(len(mixed))
    return pa.array([mixed[i] for i in order.tolist()], type=pa.string())


# ---------------------------------------------------------------------- contenders
def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pytricia_loop(ranges: Ranges, texts: list[str] | None = None,
                  pool: list[str] | None = None, idx: np.ndarray | None = None,
                  ints: np.ndarray | None = None) -> float:
    """Per-address loop: pytricia longest match, then the rule's label (what lookup does)."""
    trees = ranges.index()._trees
    t4, t6 = trees[4], trees[6]
    label = ranges.label
    out: list[Any] = []
    append = out.append
    start = time.perf_counter()
    if texts is not None:
        for ip in texts:
            try:
                key = (t6 if ":" in ip else t4).get_key(ip)
            except ValueError:
                key = None
            append(None if key is None else label(key))
    elif pool is not None and idx is not None:
        for lo in range(0, len(idx), 1_000_000):
            for i in idx[lo:lo + 1_000_000].tolist():
                try:
                    key = t4.get_key(pool[i])
                except ValueError:
                    key = None
                append(None if key is None else label(key))
                if len(out) > 100_000:
                    out.clear()
    elif ints is not None:
        for lo in range(0, len(ints), 1_000_000):
            for value in ints[lo:lo + 1_000_000].tolist():
                key = t4.get_key(value)
                append(None if key is None else label(key))
                if len(out) > 100_000:
                    out.clear()
    return time.perf_counter() - start


def awsipranges_rate(doc: dict[str, Any], sample: list[str]) -> float | None:
    """Addresses/s of awsipranges' get(), built offline from the same document."""
    try:
        from awsipranges import AWSIPPrefixes
        from awsipranges.data_loading import aws_ip_prefix  # type: ignore[attr-defined]
    except ImportError:
        return None
    aws = AWSIPPrefixes(sync_token=doc["syncToken"], create_date=None,
                        ipv4_prefixes=(aws_ip_prefix(r) for r in doc["prefixes"]),
                        ipv6_prefixes=(aws_ip_prefix(r) for r in doc["ipv6_prefixes"]))
    aws.get(sample[0])
    seconds = timed(lambda: [aws.get(ip) for ip in sample])
    return len(sample) / seconds


def brute_force_rate(ranges: Ranges, sample: list[str]) -> float:
    """Addresses/s of a linear ipaddress scan over every prefix (longest match)."""
    nets = [ipaddress.ip_network(p) for p in ranges.prefixes]

    def scan(ip: str) -> str | None:
        addr = ipaddress.ip_address(ip)
        best = None
        for net in nets:
            if net.version == addr.version and addr in net and (
                    best is None or net.prefixlen > best.prefixlen):
                best = net
        return None if best is None else ranges.label(str(best)).service

    return len(sample) / timed(lambda: [scan(ip) for ip in sample])


# ---------------------------------------------------------------------- memory probe
def memory_probe(scale: float) -> None:
    """Child process: build input (b), classify it, print RSS before/after as JSON."""
    ranges, _ = load()
    rng = np.random.default_rng(SEED + 2)
    arr, _, _ = case_b(rng, ranges, int(10_000_000 * scale), max(1000, int(50_000 * scale)))
    bulk_index(ranges)
    build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status = Path("/proc/self/status")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM: peak of classify alone
    before = _status_kib(status, "VmRSS")
    table = classify(arr, ranges)
    print(json.dumps({"rss_before_kib": before, "rss_peak_kib": _status_kib(status, "VmHWM"),
                      "build_peak_kib": build_peak, "rows": len(table),
                      "table_bytes": table.nbytes}))


def _status_kib(status: Path, key: str) -> int:
    for line in status.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


# ---------------------------------------------------------------------- main
def rate(n: int, seconds: float) -> str:
    return f"{n / seconds / 1e6:,.2f} M/s"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import pytricia  # noqa: F401

    return (f"{model}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM, Python "
            f"{platform.python_version()}, numpy {np.__version__}, pyarrow {pa.__version__}, "
            f"awsip {awsip.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every input (0.1 = 10%%)")
    parser.add_argument("--sample", type=int, default=300,
                        help="addresses timed for awsipranges (brute force uses a tenth)")
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args.scale)
        return
    print(f"# machine: {machine()}")
    print(f"# command: {' '.join(sys.argv)}")
    ranges, doc = load()
    build = timed(lambda: bulk_index(ranges))
    ranges.index()
    idx = bulk_index(ranges)
    print(f"index build (once per Ranges): {build * 1e3:.0f} ms; IPv4 segments "
          f"{len(idx.starts4):,}, split /24 blocks {idx.split_blocks:,}, IPv6 segments "
          f"{len(idx.hi6):,}")
    rng = np.random.default_rng(SEED)
    s = args.scale
    rows: list[tuple[str, int, float, float, float | None, float]] = []

    def compare(name: str, inputs: Any, loop_seconds: float, sample: list[str], n: int) -> None:
        classify(inputs[:1000], ranges)  # warm-up
        best = min(timed(lambda: classify(inputs, ranges)) for _ in range(3))
        aws_rate = awsipranges_rate(doc, sample[:args.sample])
        brute = brute_force_rate(ranges, sample[:max(10, args.sample // 10)])
        rows.append((name, n, best, loop_seconds, aws_rate, brute))
        ratio_aws = f"{n / best / aws_rate:,.0f}x" if aws_rate else "n/a (not installed)"
        print(f"{name}: classify {rate(n, best)} ({best:.3f} s); pytricia loop "
              f"{rate(n, loop_seconds)} -> {loop_seconds / best:.1f}x; awsipranges "
              f"{(aws_rate or 0) / 1e3:,.1f} k/s -> {ratio_aws}; brute force "
              f"{brute / 1e3:,.2f} k/s -> {n / best / brute:,.0f}x", flush=True)

    # (a)
    a = case_a(rng, int(1_000_000 * s))
    a_list = a.to_pylist()
    compare("a. 1M distinct IPv4 strings", a, pytricia_loop(ranges, texts=a_list), a_list, len(a))
    del a_list
    # (b)
    b, pool, b_idx = case_b(rng, ranges, int(10_000_000 * s), max(1000, int(50_000 * s)))
    pool_list = pool.to_pylist()
    loop_b = pytricia_loop(ranges, pool=pool_list, idx=b_idx)
    sample_b = [pool_list[i] for i in b_idx[:args.sample].tolist()]
    compare("b. 10M IPv4 strings, 50k distinct, Zipf", b, loop_b, sample_b, len(b))
    del b, pool, pool_list
    # (c)
    c = case_c(rng, ranges, int(1_000_000 * s))
    c_list = c.to_pylist()
    compare("c. 1M mixed IPv4/IPv6 strings", c, pytricia_loop(ranges, texts=c_list), c_list,
            len(c))
    del c_list
    # (d)
    d = rng.integers(0, 2**32, int(10_000_000 * s), dtype=np.uint32)
    d_sample = [str(ipaddress.IPv4Address(int(x))) for x in d[:args.sample]]
    compare("d. 10M uint32", d, pytricia_loop(ranges, ints=d), d_sample, len(d))
    # the two IPv4 index designs on (d)
    dir24 = min(timed(lambda: idx.lookup4(d)) for _ in range(3))
    binary = min(timed(lambda: idx.lookup4_searchsorted(d)) for _ in range(3))
    print(f"IPv4 locate on (d): DIR-24-8 {rate(len(d), dir24)}, np.searchsorted "
          f"{rate(len(d), binary)} ({binary / dir24:.0f}x slower)")
    fmt = min(timed(lambda: format_ipv4(d)) for _ in range(3))
    print(f"dotted text for (d), not part of classify(): {rate(len(d), fmt)}")
    # memory of (b), fresh process
    probe = subprocess.run([sys.executable, __file__, "--memory-probe", "--scale", str(s)],
                           capture_output=True, text=True, check=True)
    mem = json.loads(probe.stdout)
    print(f"b. memory, fresh process: RSS {mem['rss_before_kib'] / 1024:,.0f} MiB with the "
          f"inputs built, peak {mem['rss_peak_kib'] / 1024:,.0f} MiB during classify() (+"
          f"{(mem['rss_peak_kib'] - mem['rss_before_kib']) / 1024:,.0f} MiB; result table "
          f"{mem['table_bytes'] / 2**20:,.0f} MiB); building the inputs peaked at "
          f"{mem['build_peak_kib'] / 1024:,.0f} MiB")
    print()
    print("| case | rows | classify | pytricia loop | ratio | awsipranges | ratio | "
          "brute force | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, best, loop, aws_rate, brute in rows:
        aws_cell = f"{aws_rate / 1e3:,.1f} k/s | {n / best / aws_rate:,.0f}x" if aws_rate \
            else "not installed | -"
        print(f"| {name} | {n:,} | {rate(n, best)} | {rate(n, loop)} | {loop / best:.1f}x | "
              f"{aws_cell} | {brute / 1e3:,.2f} k/s | {n / best / brute:,.0f}x |")


if __name__ == "__main__":
    main()
