"""``awsip update``: refresh the cached ip-ranges.json now and say what changed."""

from __future__ import annotations

import argparse
from typing import Any

from ..encoding import dumps
from . import EXIT_OK
from .common import add_output_options, add_quiet_option, check_outputs, output_format, write_output


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "update", help="refresh the cached ip-ranges.json now and say what changed",
        description="Ask the server for a newer ip-ranges.json (a conditional request), validate "
        "it and replace the cached copy. A local file given with --ranges is added to the "
        "history. Exit status 1 when the refresh failed (the cached copy is then unchanged).")
    parser.add_argument("--ranges", metavar="PATH_OR_URL",
                        help="refresh this URL's copy (or import this file) instead of AWS's; "
                        "also AWSIP_URL")
    add_output_options(parser, ("text", "json"), "text")
    add_quiet_option(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    check_outputs(args.output)
    from ..loading import update

    result = update(args.ranges)
    if output_format(args, {".json": "json"}, "text") == "json":
        write_output(dumps(result.to_dict()), args.output)
        return EXIT_OK
    write_output(_text(result), args.output)
    return EXIT_OK


def _text(result: Any) -> str:
    new = result.new
    counts = f"{new.ipv4:,} IPv4 and {new.ipv6:,} IPv6 prefixes"
    if not result.changed:
        return (f"nothing changed: syncToken {new.sync_token} "
                f"({new.create_date:%Y-%m-%d %H:%M:%S} UTC) is current, {counts}\n")
    if result.old is None:
        return (f"cached syncToken {new.sync_token} ({new.create_date:%Y-%m-%d %H:%M:%S} UTC), "
                f"{counts}\n")
    old = result.old
    return (f"updated: syncToken {old.sync_token} -> {new.sync_token} "
            f"({old.create_date:%Y-%m-%d %H:%M} -> {new.create_date:%Y-%m-%d %H:%M} UTC)\n"
            f"prefixes: IPv4 {old.ipv4:,} -> {new.ipv4:,} ({new.ipv4 - old.ipv4:+,}), "
            f"IPv6 {old.ipv6:,} -> {new.ipv6:,} ({new.ipv6 - old.ipv6:+,})\n"
            "run `awsip diff` with the two syncTokens to see which prefixes changed\n")
