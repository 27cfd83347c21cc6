"""``awsip history``: the publications the cache has kept, oldest first."""

from __future__ import annotations

import argparse
from typing import Any

from . import EXIT_OK
from .common import print_json


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "history", help="list the ip-ranges publications kept in the cache",
        description="List the publications the cache has seen (the last AWSIP_HISTORY, default "
        "30). Use a syncToken or date from here with `awsip diff` or `--at`.")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..loading import list_history

    items = list_history()
    if args.json:
        print_json([i.to_dict() for i in items])
        return EXIT_OK
    if not items:
        print("the history is empty: `awsip update` (online) or `awsip update --ranges FILE` "
              "adds publications")
        return EXIT_OK
    rows = [("SYNCTOKEN", "CREATEDATE (UTC)", "IPV4", "IPV6", "SOURCE")]
    rows += [(i.sync_token, f"{i.create_date:%Y-%m-%d %H:%M:%S}", f"{i.ipv4:,}", f"{i.ipv6:,}",
              f"{i.kind} {i.source}") for i in items]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths, strict=True)), r[4])
    return EXIT_OK
