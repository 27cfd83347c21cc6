"""Generate the walkthrough's flow logs: a NAT gateway pulling container images from S3.

Writes S3-delivered VPC flow logs (gzip, header line, one file per hour) under
``OUT/AWSLogs/123456789012/vpcflowlogs/us-east-1/YYYY/MM/DD/`` for a VPC in us-east-1 whose
whole traffic is logged:

- a NAT gateway, ENI ``eni-0a7c0e5f1d2b3c401`` with private IP 10.0.0.144;
- two container hosts (``10.0.1.23``, ``10.0.2.57``) of a warm pool that pull image layers
  from seven S3 us-east-1 addresses around the clock (a burst on the first day, then steady,
  with an hourly pattern), through the NAT;
- a little other traffic through the NAT: GitHub and PyPI (not AWS), an EC2 host in us-east-1,
  S3 in us-west-2 (cross-region); an unsolicited inbound probe the NAT rejects;
- an idle interface that only logs NODATA.

Every NAT-processed byte is written on all the legs AWS logs (see the AWS "Flow log record
examples" for a NAT gateway): instance -> NAT IP and NAT IP -> peer on the NAT's ENI, the replies
peer -> NAT IP and NAT IP -> instance, and instance <-> peer again on the instance's ENI. So the
sum of all records is about three times what the NAT processed.

    python examples/nat_walkthrough.py /tmp/nat-demo            # 6 days, ~659 GB through NAT
    awsip report /tmp/nat-demo/AWSLogs --nat-ip 10.0.0.144
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

ACCOUNT = "123456789012"
REGION = "us-east-1"
FLOW_LOG_ID = "fl-0b1e5d7c9a3f24680"
HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
          "bytes start end action log-status")
NAT_ENI, NAT_IP = "eni-0a7c0e5f1d2b3c401", "10.0.0.144"
HOSTS = [("eni-0c11d2e3f4a5b6c71", "10.0.1.23"), ("eni-0c22d3e4f5a6b7c82", "10.0.2.57")]
IDLE_ENI = "eni-0d33e4f5a6b7c8d93"
S3_US_EAST_1 = ["52.216.58.42", "16.15.207.229", "16.15.191.63", "52.216.12.24", "3.5.16.209",
                "16.15.199.52", "54.231.160.154"]
S3_WEIGHTS = [0.24, 0.19, 0.16, 0.14, 0.11, 0.09, 0.07]
#: (address, what, share of NAT bytes, port)
EXTRA = [("140.82.114.4", "GitHub (not AWS)", 0.004, 443),
         ("151.101.0.223", "PyPI/Fastly (not AWS)", 0.002, 443),
         ("3.80.10.20", "EC2 us-east-1", 0.0015, 443),
         ("52.218.128.10", "S3 us-west-2", 0.001, 443)]
PROBE = "45.155.205.99"
GIB = 1 << 30
#: NAT-processed GiB per day for the 6-day story (659 in total; the first day is the burst).
DAY_GIB = [240.0, 86.0, 84.0, 83.0, 82.0, 84.0]
WINDOW = 600  # aggregation interval, seconds
START = datetime(2026, 3, 21, tzinfo=timezone.utc)


def _day_gib(day: int) -> float:
    return DAY_GIB[day] if day < len(DAY_GIB) else 84.0


def _hour_weight(hour: int) -> float:
    """Warm pool: constant base load plus a daytime peak (UTC 13-21)."""
    return 1.0 + 0.6 * max(0.0, math.sin((hour - 11) / 12 * math.pi))


def _legs(host_eni: str, host_ip: str, peer: str, port: int, eph: int, nat_port: int,
          up: int, down: int, t0: int, t1: int, rng: random.Random) -> list[str]:
    """The six records one NAT-translated connection produces (bytes up/down)."""
    pu = max(1, up // 60)
    pd = max(1, down // 1400)
    rec = []

    def line(eni: str, src: str, dst: str, sp: int, dp: int, pk: int, by: int) -> None:
        rec.append(f"2 {ACCOUNT} {eni} {src} {dst} {sp} {dp} 6 {pk} {by} {t0} {t1} ACCEPT OK")

    line(NAT_ENI, host_ip, NAT_IP, eph, port, pu, up)          # instance -> NAT
    line(NAT_ENI, NAT_IP, peer, nat_port, port, pu, up)        # NAT -> peer (public leg)
    line(NAT_ENI, peer, NAT_IP, port, nat_port, pd, down)      # peer -> NAT (public leg)
    line(NAT_ENI, NAT_IP, host_ip, port, eph, pd, down)        # NAT -> instance
    line(host_eni, host_ip, peer, eph, port, pu, up)           # instance's own ENI
    line(host_eni, peer, host_ip, port, eph, pd, down)
    rng.shuffle(rec)
    return rec


def generate(out: str | Path, *, days: int = 6, scale: float = 1.0, seed: int = 7,
             start: datetime = START) -> list[Path]:
    """Write the files; return their paths. ``scale`` multiplies every byte count."""
    rng = random.Random(seed)
    out = Path(out)
    paths: list[Path] = []
    for day in range(days):
        weights = [_hour_weight(h) for h in range(24)]
        day_bytes = _day_gib(day) * GIB * scale
        for hour in range(24):
            hour_start = start + timedelta(days=day, hours=hour)
            hour_bytes = day_bytes * weights[hour] / sum(weights)
            lines: list[str] = []
            for w in range(3600 // WINDOW):
                t0 = int(hour_start.timestamp()) + w * WINDOW + rng.randrange(0, 20)
                t1 = t0 + WINDOW - rng.randrange(1, 30)
                window_bytes = hour_bytes / (3600 // WINDOW)
                s3_bytes = window_bytes * (1 - sum(e[2] for e in EXTRA))
                for addr, weight in zip(S3_US_EAST_1, S3_WEIGHTS, strict=True):
                    for host_eni, host_ip in HOSTS:
                        share = weight / len(HOSTS) * rng.uniform(0.8, 1.2)
                        total = int(s3_bytes * share)
                        up = max(200, total // 60)
                        lines += _legs(host_eni, host_ip, addr, 443, rng.randrange(32768, 61000),
                                       rng.randrange(1024, 65535), up, total - up, t0, t1, rng)
                for addr, _, frac, port in EXTRA:
                    host_eni, host_ip = HOSTS[rng.randrange(len(HOSTS))]
                    total = int(window_bytes * frac * rng.uniform(0.8, 1.2))
                    up = max(120, total // 20)
                    lines += _legs(host_eni, host_ip, addr, port, rng.randrange(32768, 61000),
                                   rng.randrange(1024, 65535), up, total - up, t0, t1, rng)
            t0 = int(hour_start.timestamp())
            # An unsolicited probe, dropped: not processed by the NAT.
            lines.append(f"2 {ACCOUNT} {NAT_ENI} {PROBE} {NAT_IP} {rng.randrange(1024, 65535)} 22 "
                         f"6 1 44 {t0 + 5} {t0 + 60} REJECT OK")
            lines.append(f"2 {ACCOUNT} {IDLE_ENI} - - - - - - - {t0} {t0 + 3600} - NODATA")
            stamp = hour_start.strftime("%Y%m%dT%H%MZ")
            digest = hashlib.sha1(f"{seed}{stamp}".encode()).hexdigest()[:8]
            folder = out / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / hour_start.strftime(
                "%Y/%m/%d")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{ACCOUNT}_vpcflowlogs_{REGION}_{FLOW_LOG_ID}_{stamp}_{digest}.log.gz"
            with gzip.open(path, "wt", encoding="ascii", compresslevel=6) as fh:
                fh.write(HEADER + "\n")
                fh.write("\n".join(lines) + "\n")
            paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="directory to write AWSLogs/... under")
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every byte count")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    paths = generate(args.out, days=args.days, scale=args.scale, seed=args.seed)
    print(f"wrote {len(paths)} files under {Path(args.out) / 'AWSLogs'}")


if __name__ == "__main__":
    main()
