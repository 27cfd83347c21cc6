"""``awsip report PATH...``: traffic by AWS service and region, NAT cost, endpoint advice."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import EXIT_OK
from .common import (
    add_output_options,
    add_ranges_options,
    add_reader_options,
    output_format,
    reader_options,
    write_output,
)

_FORMATS = ("table", "json", "csv", "markdown", "html")
_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".txt": "table",
             ".html": "html", ".htm": "html"}


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or () for v in item.split(",") if v.strip()]


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "report",
        help="summarize VPC flow logs by AWS service and region; NAT gateway cost and advice",
        description="Read VPC flow logs (files, directories, globs, s3://, '-') and report the "
        "traffic by peer AWS service and region. Find the NAT gateways (from the records, or "
        "--nat-eni/--nat-ip/--nat-id), count the bytes they processed once (the public-facing "
        "leg), say which inside address caused them and which crossed AZs, estimate their "
        "cost and recommend "
        "free gateway endpoints for S3/DynamoDB traffic in the VPC's region. Exit status: 0; "
        "1 on unreadable input (named on stderr); 2 on a usage error.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="flow-log files or prefixes")
    parser.add_argument("--by", metavar="FIELD,...", action="append",
                        help="group by these keys (default: service,region); any of service, "
                        "region, network_border_group, prefix, peer, direction, interface_id, "
                        "local, port, local_port, protocol, action, hour, day, or any flow-log "
                        "field as logged (subnet_id, az_id, instance_id, ecs_service_name, ...)")
    parser.add_argument("--top", type=int, metavar="N", default=None,
                        help="show the N biggest groups (default: 20 in the table, all in "
                        "json/csv)")
    _add_nat_options(parser)
    _add_bill_options(parser)
    vpc = parser.add_argument_group("VPC")
    vpc.add_argument("--vpc-region", metavar="REGION",
                     help="the VPC's region (default: from the records or the S3 path)")
    vpc.add_argument("--vpc-cidr", action="append", metavar="CIDR", default=[],
                     help="address block inside the VPC (repeatable; needed for IPv6)")
    parser.add_argument("--strict", action="store_true",
                        help="stop at the first unreadable flow-log line instead of skipping "
                        "and counting it")
    add_output_options(parser, _FORMATS, "table")
    parser.add_argument("--plot", metavar="FILE", help="bytes per hour by peer service, "
                        ".png/.svg (needs awsip[plot])")
    add_reader_options(parser)
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


def _add_nat_options(parser: argparse.ArgumentParser) -> None:
    """Which NAT gateways (else detected from the records) and their prices."""
    nat = parser.add_argument_group("NAT gateway")
    nat.add_argument("--nat-eni", action="append", metavar="ENI", default=[],
                     help="the NAT gateway's network interface id, eni-... (repeatable; "
                     "comma lists too)")
    nat.add_argument("--nat-ip", action="append", metavar="PRIVATE_IP", default=[],
                     help="the NAT gateway's private IP, as flow logs carry it (not its "
                     "Elastic IP; repeatable; comma lists too)")
    nat.add_argument("--nat-id", action="append", metavar="NAT_ID", default=[],
                     help="a NAT gateway's id, nat-... (regional NAT gateways: matched with "
                     "the records' resource-id; repeatable; comma lists too). Without any "
                     "--nat-* option the NAT gateways are detected from the records")
    nat.add_argument("--inventory", action="append", metavar="FILE", default=[],
                     help="the JSON of aws ec2 describe-network-interfaces and/or "
                     "describe-nat-gateways (repeatable): names the NAT gateways, interfaces, "
                     "subnets, AZs and instances exactly")
    nat.add_argument("--price-per-gb", type=float, default=None, metavar="USD",
                     help="NAT data processing price per GB (default: the VPC region's price "
                     "from the bundled table, docs/prices.md; wins over --prices)")
    nat.add_argument("--prices", metavar="FILE",
                     help="price table (JSON, the bundled table's shape, docs/prices.md) whose "
                     "values override the bundled ones per region and field")
    nat.add_argument("--gb-bytes", type=int, default=None, metavar="N",
                     help="bytes per billed GB (default 1073741824 = 2^30; 1000000000 for "
                     "decimal GB)")
    nat.add_argument("--dns-log", action="append", metavar="FILE", default=[],
                     help="Route 53 Resolver query logs (JSON lines, plain or .gz, as "
                     "delivered to S3 or through Firehose; files, directories or s3://; "
                     "repeatable): name what the NAT carried (nat.by_name) and find ECR "
                     "image pulls, which addresses cannot tell from S3")


def _inventory(paths: list[str] | None) -> Any:
    """The ``--inventory`` files read and merged, or None."""
    if not paths:
        return None
    from ..traffic.inventory import Inventory

    return Inventory.load(_split(paths))


def _add_bill_options(parser: argparse.ArgumentParser) -> None:
    """``--cur`` and ``--metrics``: what to reconcile the flow logs' NAT bytes with."""
    bill = parser.add_argument_group("reconcile with the bill")
    bill.add_argument("--cur", metavar="FILE", help="AWS Cost and Usage Report (CUR 2.0 or "
                      "legacy; CSV, .gz, .zip or Parquet): NatGateway-Bytes GB per day vs. the "
                      "GB the flow logs explain")
    bill.add_argument("--metrics", metavar="FILE", help="CloudWatch NAT gateway metrics, the "
                      "JSON of aws cloudwatch get-metric-data (BytesOutToDestination, "
                      "BytesInFromDestination, ...)")


def run(args: argparse.Namespace) -> int:
    from ..advice.prices import load_prices
    from ..advice.reconcile import load_bill, reconcile
    from ..api import report
    from ..errors import UsageError
    from ..output.chart import chart_bytes, check_chart_path, write_chart
    from ..output.report import render
    from ..traffic.nat import NatSpec
    from ..traffic.peers import normalize_keys
    from . import common

    fmt = output_format(args, _SUFFIXES, "table")
    if args.top is not None and args.top < 0:
        raise UsageError("--top must be >= 0")
    # What can be known before reading: the keys, the NAT names, matplotlib, the outputs.
    by = normalize_keys(_split(args.by) if args.by else ["service", "region"])
    nat = NatSpec.of(_split(args.nat_eni), _split(args.nat_ip), _split(args.nat_id))
    prices = load_prices(args.prices) if args.prices else None
    inventory = _inventory(args.inventory)
    if args.plot:
        check_chart_path(args.plot)
    common.check_outputs(args.output, args.plot)
    bill = load_bill(args.cur, args.metrics, nat_ids=_split(getattr(args, "nat_id", None)))
    top = args.top if args.top is not None else (20 if fmt in ("table", "markdown") else None)
    result = report(
        args.paths if len(args.paths) > 1 else args.paths[0],
        by=by, top=top,
        ranges=common.ranges_from_args(args), vpc_cidrs=_split(args.vpc_cidr),
        vpc_region=args.vpc_region, nat_enis=nat.enis, nat_ips=nat.ips, nat_ids=nat.ids,
        price_per_gb=args.price_per_gb, gb_bytes=args.gb_bytes, prices=prices,
        inventory=inventory, dns_logs=args.dns_log or None,
        hourly=bool(args.plot) or fmt == "html",
        options=reader_options(args))
    if bill is not None:
        result.reconciliation = reconcile(
            result.nat.by_day if result.nat else None, cur=bill[0], metrics=bill[1],
            gb_bytes=result.nat.gb_bytes if result.nat else (args.gb_bytes or 1 << 30))
    text = render(result, fmt)
    if args.plot:  # drawn before -o is written: a failed chart leaves both files as they were
        image = chart_bytes(result, args.plot)
    write_output(text, args.output)
    if args.plot:
        write_chart(image, args.plot)
        if not args.quiet:
            print(f"awsip: wrote {args.plot}", file=sys.stderr)
    return EXIT_OK
