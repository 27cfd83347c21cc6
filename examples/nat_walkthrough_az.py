"""Generate the second walkthrough's flow logs: a zonal NAT gateway in Singapore, two AZs.

Writes S3-delivered VPC flow logs (gzip, header line, one file per hour) under
``OUT/AWSLogs/123456789012/vpcflowlogs/ap-southeast-1/YYYY/MM/DD/`` for a VPC in
ap-southeast-1 whose whole traffic is logged in a custom version 5 format (``pkt-srcaddr``,
``pkt-dstaddr``, ``az-id``, ``subnet-id``, ``instance-id``, ``flow-direction``,
``traffic-path``), and the VPC's inventory as the AWS CLI prints it under ``OUT/inventory/``
(``enis.json``: ``aws ec2 describe-network-interfaces``; ``nat-gateways.json``: ``aws ec2
describe-nat-gateways``):

- one zonal NAT gateway, ``nat-0f1e2d3c4b5a69788``, interface ``eni-0a9b8c7d6e5f40312``,
  private IP 10.20.0.37, in ``apse1-az1``;
- four instances in private subnets, two in ``apse1-az1`` and two in ``apse1-az2`` (the AZ-b
  ones pull most), talking through the NAT to S3 in ap-southeast-1 (image layers), S3 in
  us-east-1, DynamoDB, an AWS API address (as ``api.ecr``), an EC2 host and GitHub;
- a bastion with its own public IP (no NAT), private traffic between the AZs, a probe the NAT
  rejects, an idle interface.

The generator is ``examples/whole_vpc.py``, the one the tests check: each NAT crossing is
logged on the legs of AWS's NAT gateway example, and the script prints the figures a report
must find, computed from the generator's plan, not from the files.

    python examples/nat_walkthrough_az.py /tmp/nat-az
    python -m awsip report /tmp/nat-az/AWSLogs --offline
"""

from __future__ import annotations

import argparse
from pathlib import Path

import whole_vpc  # next to this script; the tests check its truth (see the module doc)

GIB = 1 << 30


def generate(out: str | Path, *, days: int = 3, scale: float = 4.0, seed: int = 13,
             fmt: str = "v5") -> whole_vpc.Scenario:
    """Write the flow logs and the inventory under ``out``; return the scenario (and truth)."""
    scenario = whole_vpc.zonal(out, fmt=fmt, days=days, windows_per_hour=6, scale=scale,
                               seed=seed)
    whole_vpc.write_inventory(Path(out) / "inventory", scenario.gateway)
    return scenario


def describe(s: whole_vpc.Scenario) -> list[str]:
    """The truth in a few lines (GB = 2^30 bytes)."""
    t = s.truth
    lines = [f"wrote {len(s.paths)} files, {t.records:,} records under {s.logs}",
             f"NAT {s.gateway.nat_gateway_id} ({s.gateway.interface_id}, {s.gateway.private_ip}, "
             f"{s.gateway.az_id}): {t.nat_bytes / GIB:,.1f} GB processed "
             f"({t.nat_in / GIB:,.1f} GB in, {t.nat_out / GIB:,.1f} GB out)",
             f"cross-AZ: {t.cross_az_bytes / GIB:,.1f} GB ({t.cross_az_to_nat / GIB:,.1f} GB "
             f"to the NAT, {t.cross_az_from_nat / GIB:,.1f} GB back)"]
    for address, inside in sorted(t.by_inside.items(), key=lambda kv: -kv[1].bytes):
        lines.append(f"  {address:<12} {inside.instance_id} {inside.az_id}  "
                     f"{inside.bytes / GIB:8,.1f} GB")
    for (service, region), nbytes in sorted(t.by_service.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {service or 'INTERNET':<9} {region or '-':<15} {nbytes / GIB:8,.1f} GB")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="directory to write AWSLogs/... and inventory/ under")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--scale", type=float, default=4.0, help="multiply every byte count")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--format", dest="fmt", choices=sorted(whole_vpc.FORMATS), default="v5",
                        help="flow-log format: v5 (default), v11 (adds interface-type and "
                             "next-hop fields) or v2 (the default format: candidates only)")
    args = parser.parse_args()
    scenario = generate(args.out, days=args.days, scale=args.scale, seed=args.seed,
                        fmt=args.fmt)
    print("\n".join(describe(scenario)))


if __name__ == "__main__":
    main()
