"""NAT detection and attribution in ``awsip report``, against the bare read, in one run.

    python benchmarks/bench_nat_detect.py [--days 2] [--windows-per-hour 60] [--repeat 3]

Writes whole-VPC flow logs with examples/whole_vpc.py (a zonal NAT gateway in ap-southeast-1,
instances in two AZs; custom version 5 format with ``pkt-*``, ``az-id``, ``subnet-id``,
``instance-id``; 60 windows per hour for 2 days is ~550,000 records) and times, as whole
processes, interleaved so background load hits all alike:

- ``read``: ``awsip.read_flow_logs`` over the files, nothing else;
- ``detect``: ``awsip report --json`` with no NAT option (finds the NAT, attributes the bytes
  to the inside sources, counts the cross-AZ part);
- ``named``: the same with ``--nat-eni`` (the streaming NAT mask, no detection);
- ``v2``: the same traffic in the default version 2 format, no option (evidence per interface
  only; the report names candidates).

It checks that detection found the NAT and the plan's NAT bytes before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))
PY = sys.executable


def measure(cmd: list[str]) -> float:
    """Wall seconds of one process run (numpy's OpenBLAS on one thread, as awsip runs it)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--windows-per-hour", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import whole_vpc

    work = Path(tempfile.mkdtemp(prefix="awsip-bench-nat-"))
    v5 = whole_vpc.zonal(work / "v5", fmt="v5", days=args.days,
                         windows_per_hour=args.windows_per_hour)
    v2 = whole_vpc.zonal(work / "v2", fmt="v2", days=args.days,
                         windows_per_hour=args.windows_per_hour)
    t = v5.truth
    report = [PY, "-m", "awsip", "report", "--json", "--offline", "--quiet"]
    cmds = {
        "read": [PY, "-c", "import awsip, sys\nfor b in awsip.read_flow_logs(sys.argv[1], "
                 "progress=False): pass", str(v5.logs)],
        "detect": [*report, str(v5.logs)],
        "named": [*report, str(v5.logs), "--nat-eni", t.nat_interface_ids[0]],
        "v2": [*report, str(v2.logs)],
    }
    doc = json.loads(subprocess.run(cmds["detect"], capture_output=True, text=True,
                                    check=True).stdout)
    assert doc["nat"]["bytes"] == t.nat_bytes, (doc["nat"]["bytes"], t.nat_bytes)
    assert doc["nat"]["cross_az"]["bytes"] == t.cross_az_bytes
    print(f"{t.records:,} records in {len(v5.paths)} files; NAT found: "
          f"{doc['nat']['gateways'][0]['interface_id']}, {len(doc['nat']['by_inside'])} inside "
          "sources", file=sys.stderr)
    wall: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(args.repeat):
        for k, cmd in cmds.items():
            wall[k].append(measure(cmd))
    best = {k: min(v) for k, v in wall.items()}
    for k in cmds:
        print(f"{k:<7} best {best[k]:.2f} s   runs {', '.join(f'{x:.2f}' for x in wall[k])}")
    print(f"detect / read: {best['detect'] / best['read']:.2f}x")
    print(f"detect / named: {best['detect'] / best['named']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
