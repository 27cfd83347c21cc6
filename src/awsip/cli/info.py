"""``awsip info``: which ranges data is in use, how old it is, and where the cache lives."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from ..encoding import iso_utc
from ..units import duration
from . import EXIT_OK
from .common import add_ranges_options, print_json, ranges_from_args


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "info", help="data source, syncToken, createDate, age, prefix counts, cache path",
        description="Show the ip-ranges publication awsip would use now (loading it the same way "
        "`awsip lookup` does) and the state of the cache.")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..loading import cache_info

    ranges = ranges_from_args(args)
    info = cache_info()
    now = datetime.now(timezone.utc)
    data: dict[str, Any] = {
        "source": ranges.origin.kind,
        "location": ranges.origin.location,
        "sync_token": ranges.sync_token,
        "create_date": iso_utc(ranges.create_date),
        "age_seconds": round(ranges.age.total_seconds()),
        "checked_at": ranges.origin.checked_at,
        "ipv4_prefixes": len(ranges.ipv4),
        "ipv6_prefixes": len(ranges.ipv6),
        "services": len(ranges.services),
        "regions": len(ranges.regions),
        "cache": info.to_dict(),
    }
    if args.json:
        print_json(data)
        return EXIT_OK
    print(f"source:      {ranges.origin.kind} ({ranges.origin.location})")
    print(f"syncToken:   {ranges.sync_token}")
    print(f"createDate:  {ranges.create_date:%Y-%m-%d %H:%M:%S} UTC "
          f"({duration(ranges.age.total_seconds())} old)")
    if ranges.origin.checked_at:
        checked = (now - ranges.origin.checked_at).total_seconds()
        print(f"checked:     {ranges.origin.checked_at:%Y-%m-%d %H:%M:%S} UTC "
              f"({duration(checked)} ago; refreshed after "
              f"{duration(info.max_age.total_seconds())})")
    print(f"prefixes:    {len(ranges.ipv4):,} IPv4, {len(ranges.ipv6):,} IPv6 "
          f"({len(ranges.services)} services, {len(ranges.regions)} regions)")
    print(f"cache:       {info.directory}")
    print(f"history:     {len(info.history)} publication(s) kept (at most {info.history_keep})")
    return EXIT_OK
