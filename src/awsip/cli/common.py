"""Options and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..ranges import Ranges


def add_ranges_options(parser: argparse.ArgumentParser) -> None:
    """``--ranges PATH_OR_URL`` and ``--offline``, on every command that uses ranges."""
    group = parser.add_argument_group("ranges data")
    group.add_argument(
        "--ranges",
        metavar="PATH_OR_URL",
        help="use this ip-ranges.json (a file or URL) instead of the cached/default one; "
        "also AWSIP_URL",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never touch the network: use the cache, else the bundled snapshot; "
        "also AWSIP_OFFLINE=1",
    )


def ranges_from_args(args: argparse.Namespace) -> Ranges:
    """Load the ranges the user asked for with the options of :func:`add_ranges_options`."""
    from ..source import load_ranges

    return load_ranges(getattr(args, "ranges", None), offline=getattr(args, "offline", None))


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON to stdout."""
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
