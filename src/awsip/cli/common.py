"""Options and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import UsageError
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
    group.add_argument(
        "--at",
        metavar="TIME",
        type=_utc_time,
        help="use the publication that was in force at TIME (e.g. 2026-03-27T12:00, UTC unless "
        "an offset is given), from the cache's history",
    )


def _utc_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time like 2026-03-27T12:00 or 2026-03-27") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def ranges_from_args(args: argparse.Namespace) -> Ranges:
    """Load the ranges the user asked for with the options of :func:`add_ranges_options`."""
    from ..source import load_ranges

    at = getattr(args, "at", None)
    if at is not None and getattr(args, "ranges", None):
        raise UsageError("--at picks from the cache's history; it cannot be combined with --ranges")
    return load_ranges(getattr(args, "ranges", None), offline=getattr(args, "offline", None),
                       at=at)


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON to stdout."""
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def output_format(args: argparse.Namespace, suffixes: dict[str, str], default: str) -> str:
    """``--format`` if given, else from the ``-o`` file's suffix, else ``default``.

    Raises :class:`UsageError` for Parquet on a terminal: binary output needs ``-o`` or a pipe.
    """
    fmt: str = args.format or (
        suffixes.get(Path(args.output).suffix.lower(), default) if args.output else default)
    if fmt == "parquet" and not args.output and sys.stdout.isatty():
        raise UsageError("parquet is binary: give -o FILE or redirect stdout")
    return fmt
