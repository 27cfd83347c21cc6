"""``awsip lookup IP...``: which AWS service and region owns each address."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from ..encoding import dumps
from ..errors import InvalidAddressError
from ..index.scalar import Match
from ..ranges.names import printable
from . import EXIT_DATA, EXIT_OK
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
        "lookup",
        help="which AWS service and region owns each address",
        description="Look up IPv4/IPv6 addresses in AWS's published ranges. The service shown is "
        "the primary one: the most specific covering prefix decides, and among its services the "
        "narrowest (fewest addresses) wins. Exit status: 0 when every input is an address "
        "(AWS or not), 1 when any is not (an -o file is then not written), 2 on usage errors.",
    )
    parser.add_argument("ips", nargs="+", metavar="IP",
                        help="addresses to look up; '-' reads one per line from stdin")
    add_output_options(parser, ("table", "json"), "table")
    add_ranges_options(parser)
    parser.set_defaults(func=run)
    return parser


def _inputs(args: list[str]) -> Iterator[str]:
    for arg in args:
        if arg == "-":
            for line in sys.stdin:
                line = line.strip()
                if line and not line.startswith("#"):
                    yield line
        else:
            yield arg


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args, {".json": "json"}, "table")
    check_outputs(args.output)
    ranges = ranges_from_args(args)
    results: list[Match | InvalidAddressError] = []
    inputs = list(_inputs(args.ips))
    for text in inputs:
        try:
            results.append(ranges.lookup(text))
        except InvalidAddressError as exc:
            results.append(exc)
            print(f"awsip: {printable(exc)}", file=sys.stderr)
    if fmt == "json":
        text = dumps([_json_row(text, r) for text, r in zip(inputs, results, strict=True)])
    else:
        from ..output.text import lookup_table

        text = lookup_table(inputs, results)
    bad = any(isinstance(r, InvalidAddressError) for r in results)
    if bad and args.output:  # exit 1: an existing -o file is left as it was
        print(f"awsip: {args.output} not written (not every input is an address)",
              file=sys.stderr)
    else:
        write_output(text, args.output)
    return EXIT_DATA if bad else EXIT_OK


def _json_row(text: str, result: Match | InvalidAddressError) -> dict[str, Any]:
    if isinstance(result, Match):
        return result.to_dict()
    row = Match(ip=text, aws=False).to_dict()
    row["error"] = str(result)
    return row
