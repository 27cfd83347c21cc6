"""``awsip history``: the publications the cache has kept, oldest first."""

from __future__ import annotations

import argparse
from typing import Any

from ..encoding import dumps
from . import EXIT_OK
from .common import add_output_options, check_outputs, output_format, write_output


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "history", help="list the ip-ranges publications kept in the cache",
        description="List the publications the cache has seen (the last AWSIP_HISTORY, default "
        "30). Use a syncToken or date from here with `awsip diff` or `--at`.")
    add_output_options(parser, ("text", "json"), "text")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    check_outputs(args.output)
    from ..loading import list_history

    items = list_history()
    if output_format(args, {".json": "json"}, "text") == "json":
        write_output(dumps([i.to_dict() for i in items]), args.output)
        return EXIT_OK
    if not items:
        write_output("the history is empty: `awsip update` (online) or `awsip update --ranges "
                     "FILE` adds publications\n", args.output)
        return EXIT_OK
    rows = [("SYNCTOKEN", "CREATEDATE (UTC)", "IPV4", "IPV6", "SOURCE")]
    rows += [(i.sync_token, f"{i.create_date:%Y-%m-%d %H:%M:%S}", f"{i.ipv4:,}", f"{i.ipv6:,}",
              f"{i.kind} {i.source}") for i in items]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    write_output("".join("  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths, strict=True))
                         + f" {r[4]}\n" for r in rows), args.output)
    return EXIT_OK
