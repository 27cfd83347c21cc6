"""``awsip ranges``: export the entries matching filters as CIDR lines, JSON, CSV or Parquet."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from ..ranges.names import check_names
from . import EXIT_DATA, EXIT_OK
from .common import (
    add_output_options,
    add_ranges_options,
    check_outputs,
    output_format,
    ranges_from_args,
    write_output,
)

_FORMATS = ("cidr", "json", "csv", "parquet")
_SUFFIXES = {".txt": "cidr", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "ranges",
        help="export prefixes matching filters (CIDR list, JSON, CSV, Parquet)",
        description="Export the entries of ip-ranges.json that match the filters. Values of one "
        "filter are OR-ed, different filters AND-ed, case-insensitively; repeat a flag or give a "
        "comma list: `--service S3,EC2 -r us-east-1` is (S3 or EC2) and us-east-1. A name the "
        "publication does not use is a usage error with the closest names suggested. "
        "Formats: cidr (default; each prefix once, IPv4 first, numerically), json "
        "(entry objects), csv and parquet (tags, service_rank, label and integer bounds for SQL "
        "range joins; see docs/recipes.md). --collapse merges overlapping and adjacent prefixes "
        "into the minimal CIDR set per family and drops the tags: cidr/json then list blocks, "
        "csv/parquet hold only prefix, family, prefixlen and bounds. Exit status: 0 when "
        "something matched, 1 when nothing did (nothing is written then; an existing -o file is "
        "kept) or on a data or output error, 2 on usage errors.",
    )
    filters = parser.add_argument_group("filters")
    filters.add_argument("--service", "-s", action="append", metavar="S",
                         help="service name, e.g. S3, EC2, CLOUDFRONT; a comma list or a "
                         "repeated flag means any of them")
    filters.add_argument("--region", "-r", action="append", metavar="R",
                         help="region, e.g. us-east-1, GLOBAL (any of a comma list)")
    filters.add_argument("--nbg", "--network-border-group", action="append", metavar="N",
                         dest="nbg", help="network border group, e.g. us-west-2-lax-1 (any of a "
                         "comma list)")
    family = filters.add_mutually_exclusive_group()
    family.add_argument("-4", dest="version", action="store_const", const=4,
                        help="IPv4 prefixes only")
    family.add_argument("-6", dest="version", action="store_const", const=6,
                        help="IPv6 prefixes only")
    parser.add_argument("--collapse", action="store_true",
                        help="merge into the minimal CIDR set (tags are dropped)")
    add_output_options(parser, _FORMATS, "cidr")
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


def split_values(values: Iterable[str] | None) -> list[str] | None:
    """Repeated flags and comma lists, flattened; None when the flag was not given."""
    if values is None:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def run(args: argparse.Namespace) -> int:
    from ..ranges.export import to_bytes

    """Validate everything (format, output path, names) before anything is written; write only
    when something matched."""
    fmt = output_format(args, _SUFFIXES, "cidr")
    check_outputs(args.output)
    wanted = {"service": split_values(args.service), "region": split_values(args.region),
              "network_border_group": split_values(args.nbg)}
    ranges = ranges_from_args(args)
    check_names(ranges, **wanted)
    selected = ranges.filter(service=wanted["service"], region=wanted["region"],
                             network_border_group=wanted["network_border_group"],
                             version=args.version)
    if not selected.entries:
        print("awsip: no entries match the filters"
              + (f" ({args.output} not written)" if args.output else ""), file=sys.stderr)
        return EXIT_DATA
    write_output(to_bytes(selected, fmt, collapse=args.collapse), args.output)
    return EXIT_OK
