"""Generate realistic default-format VPC flow-log files, S3 delivery style (gzip, header line).

The mix: S3 (52.216.0.0/15 us-east-1, 3.5.0.0/19, 16.15.192.0/18), EC2 (3.80.0.0/12),
public non-AWS peers (8.8.8.8, 1.1.1.1, ...), private 10.0.x.x peers, a few IPv6 records, and
NODATA records; realistic ports, protocols, packet and byte counts; fixed seed.

    python benchmarks/gen_flowlogs.py --records 1000000 -o /tmp/flow.log.gz
    python benchmarks/gen_flowlogs.py --records 100000 --layout /tmp/bucket   # S3 key layout
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import time
from pathlib import Path

import numpy as np

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
          "bytes start end action log-status")
ACCOUNT = "123456789012"
PEERS = [  # (prefix, weight)
    ("52.216.0.0/15", 0.22),   # S3 us-east-1
    ("3.5.0.0/19", 0.06),      # S3
    ("16.15.192.0/18", 0.06),  # S3
    ("3.80.0.0/12", 0.16),     # EC2 us-east-1
    ("8.8.8.8/32", 0.03),
    ("1.1.1.1/32", 0.03),
    ("140.82.112.0/20", 0.04),  # public, not AWS
    ("10.0.0.0/16", 0.36),     # private peers
    ("2600:1f18::/36", 0.04),  # IPv6 (AWS us-east-1)
]
LOCAL_V4 = "10.0.0.0/20"
LOCAL_V6 = "2600:1f18:aaaa:bb00::/56"


def _addresses(rng: np.random.Generator, cidr: str, n: int) -> np.ndarray:
    net = ipaddress.ip_network(cidr)
    offs = rng.integers(0, min(net.num_addresses, 1 << 62), size=n, dtype=np.int64)
    base = int(net.network_address)
    if net.version == 4:
        vals = base + offs
        return np.array([f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}" for v in vals],
                        dtype=object)
    return np.array([str(ipaddress.IPv6Address(base + int(o))) for o in offs], dtype=object)


def _endpoints(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (peer, local) address pairs drawn from the peer mix."""
    weights = np.array([w for _, w in PEERS])
    kind = rng.choice(len(PEERS), size=n, p=weights / weights.sum())
    peer = np.empty(n, dtype=object)
    local = np.empty(n, dtype=object)
    for k, (cidr, _) in enumerate(PEERS):
        idx = np.nonzero(kind == k)[0]
        if len(idx):
            peer[idx] = _addresses(rng, cidr, len(idx))
            local[idx] = _addresses(rng, LOCAL_V6 if ":" in cidr else LOCAL_V4, len(idx))
    return peer, local


def generate_lines(n: int, seed: int = 7, start: int = 1_774_573_200,
                   peers: int | None = None) -> list[str]:
    """``n`` record lines (no header), deterministic for a seed.

    With ``peers``, every record's endpoints come from one fixed pool of that many address pairs
    (the same pool for every seed), drawn with a Zipf-like skew, as in real flow logs where a
    few thousand peers repeat millions of times. Without it every record gets fresh random
    addresses: the worst case for classifying each distinct address once.
    """
    rng = np.random.default_rng(seed)
    if peers:
        pool_peer, pool_local = _endpoints(np.random.default_rng(12345), peers)
        pick = (rng.zipf(1.3, size=n) - 1) % peers
        peer, local = pool_peer[pick], pool_local[pick]
    else:
        peer, local = _endpoints(rng, n)
    outbound = rng.random(n) < 0.55
    proto = rng.choice([6, 17, 1], size=n, p=[0.86, 0.12, 0.02])
    service_port = rng.choice([443, 80, 53, 5432, 6379, 22, 123], size=n,
                              p=[0.7, 0.08, 0.08, 0.05, 0.04, 0.03, 0.02])
    eph = rng.integers(32768, 61000, size=n)
    packets = rng.lognormal(3.0, 2.0, size=n).astype(np.int64) + 1
    size = rng.integers(40, 1500, size=n)
    nbytes = packets * size
    t0 = start + rng.integers(0, 3600, size=n)
    t1 = t0 + rng.integers(0, 60, size=n)
    action = np.where(rng.random(n) < 0.03, "REJECT", "ACCEPT")
    eni = np.array([f"eni-0{i:016x}" for i in range(40)], dtype=object)[rng.integers(0, 40, n)]
    nodata = rng.random(n) < 0.01
    lines = []
    for i in range(n):
        if nodata[i]:
            lines.append(f"2 {ACCOUNT} {eni[i]} - - - - - - - {t0[i]} {t1[i]} - NODATA")
            continue
        if proto[i] == 1:
            sp = dp = 0
        elif outbound[i]:
            sp, dp = eph[i], service_port[i]
        else:
            sp, dp = service_port[i], eph[i]
        src, dst = (local[i], peer[i]) if outbound[i] else (peer[i], local[i])
        lines.append(f"2 {ACCOUNT} {eni[i]} {src} {dst} {sp} {dp} {proto[i]} {packets[i]} "
                     f"{nbytes[i]} {t0[i]} {t1[i]} {action[i]} OK")
    return lines


def write(path: str, records: int, seed: int = 7, chunk: int = 200_000,
          peers: int | None = None) -> None:
    """Write a gzip file with a header line and ``records`` records (see generate_lines)."""
    try:
        from isal import igzip as gz
    except ImportError:  # pragma: no cover
        import gzip as gz  # type: ignore[no-redef]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with gz.open(path, "wt", compresslevel=3) as f:  # type: ignore[call-overload]
        f.write(HEADER + "\n")
        done = 0
        while done < records:
            n = min(chunk, records - done)
            f.write("\n".join(generate_lines(n, seed + done, peers=peers)) + "\n")
            done += n


def ensure(path: Path | str, records: int) -> Path:
    """``path`` holding ``records`` generated records, written once (benchmarks reuse it)."""
    path = Path(path)
    if not path.exists():
        t = time.perf_counter()
        write(str(path), records)
        print(f"generated {path} ({records:,} records) in {time.perf_counter() - t:.1f}s",
              file=sys.stderr)
    return path


def s3_key(root: str, region: str = "us-east-1", stamp: str = "20260327T0135Z") -> str:
    """A path in the S3 delivery layout under ``root``."""
    y, m, d = stamp[:4], stamp[4:6], stamp[6:8]
    name = f"{ACCOUNT}_vpcflowlogs_{region}_fl-0a1b2c3d4e5f60718_{stamp}_a1b2c3d4.log.gz"
    return os.path.join(root, "AWSLogs", ACCOUNT, "vpcflowlogs", region, y, m, d, name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--output", help="output .log.gz file")
    ap.add_argument("--layout", help="write into this directory in the S3 delivery layout")
    ap.add_argument("--peers", type=int,
                    help="draw endpoints from a fixed pool of this many address pairs (skewed)")
    args = ap.parse_args(argv)
    if not args.output and not args.layout:
        ap.error("give -o FILE or --layout DIR")
    path = args.output or s3_key(args.layout)
    write(path, args.records, args.seed, peers=args.peers)
    print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
