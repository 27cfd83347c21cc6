"""``awsip info``: which ranges data is in use, how old it is, and where the cache lives."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from ..encoding import dumps, iso_utc
from ..units import duration
from . import EXIT_OK
from .common import (
    add_output_options,
    add_ranges_options,
    check_outputs,
    output_format,
    ranges_from_args,
    write_output,
)


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "info", help="data source, syncToken, createDate, age, prefix counts, cache path",
        description="Show the ip-ranges publication awsip would use now (loading it the same way "
        "`awsip lookup` does) and the state of the cache.")
    add_output_options(parser, ("text", "json"), "text")
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    check_outputs(args.output)
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
    if output_format(args, {".json": "json"}, "text") == "json":
        write_output(dumps(data), args.output)
        return EXIT_OK
    checked = ""
    if ranges.origin.checked_at:
        ago = duration((now - ranges.origin.checked_at).total_seconds())
        checked = (f"checked:     {ranges.origin.checked_at:%Y-%m-%d %H:%M:%S} UTC ({ago} ago; "
                   f"refreshed after {duration(info.max_age.total_seconds())})\n")
    write_output(
        f"source:      {ranges.origin.kind} ({ranges.origin.location})\n"
        f"syncToken:   {ranges.sync_token}\n"
        f"createDate:  {ranges.create_date:%Y-%m-%d %H:%M:%S} UTC "
        f"({duration(ranges.age.total_seconds())} old)\n"
        f"{checked}"
        f"prefixes:    {len(ranges.ipv4):,} IPv4, {len(ranges.ipv6):,} IPv6 "
        f"({len(ranges.services)} services, {len(ranges.regions)} regions)\n"
        f"cache:       {info.directory}\n"
        f"history:     {len(info.history)} publication(s) kept (at most {info.history_keep})\n",
        args.output)
    return EXIT_OK
