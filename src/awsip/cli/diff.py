"""``awsip diff OLD NEW``: prefixes added, removed and retagged between two publications."""

from __future__ import annotations

import argparse
from typing import Any

from ..encoding import dumps
from ..ranges.model import Ranges
from . import EXIT_DATA, EXIT_OK
from .common import add_output_options, add_quiet_option, check_outputs, output_format, write_output


def register(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "diff",
        help="what changed between two publications of ip-ranges.json",
        description="Compare two publications: prefixes added, removed, and changed (same "
        "prefix, different set of service/region/border-group tags), summarised by service, "
        "region and family with address counts. OLD and NEW are files (plain or .gz), URLs, "
        "or a syncToken or date of a publication kept in the cache's history (see awsip "
        "update; a bare date means that day's last publication). Exit status: 0, even "
        "when they differ; with --exit-code, 0 when identical and 1 when they differ (like "
        "git diff --exit-code); errors also exit 1 with a message on stderr.",
    )
    parser.add_argument("old", metavar="OLD", help="the older publication")
    parser.add_argument("new", metavar="NEW", help="the newer publication")
    add_output_options(parser, ("text", "json"), "text")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also list every added, removed and changed prefix")
    parser.add_argument("--exit-code", action="store_true",
                        help="exit 1 when the publications differ, 0 when they do not")
    parser.add_argument("--offline", action="store_true", default=None,
                        help="never touch the network (URLs then fail)")
    add_quiet_option(parser)
    parser.set_defaults(func=run)
    return parser


def load_publication(source: str, offline: bool | None = None) -> Ranges:
    """A publication named by path or URL, or by syncToken/date from the cache's history.

    A syncToken (digits) or a date (``2026-08-22``: that day's last publication;
    ``2026-08-22T15:17``: the one in force then) that is not an existing file goes to
    :func:`awsip.loading.load_history_entry`; anything else to :func:`awsip.loading.load_ranges`.
    """
    from ..loading import load_history_entry, load_ranges

    if _looks_like_history_key(source):
        return load_history_entry(source)
    return load_ranges(source, offline=offline)


def _looks_like_history_key(text: str) -> bool:
    """A syncToken (digits) or a date such as 2026-08-22, not an existing file or a URL."""
    import os

    if "://" in text or os.path.exists(text):
        return False
    return text.isdigit() or (len(text) >= 10 and text[:4].isdigit() and text[4] == "-")


def run(args: argparse.Namespace) -> int:
    check_outputs(args.output)
    old = load_publication(args.old, args.offline)
    new = load_publication(args.new, args.offline)
    diff = old.diff(new)
    if output_format(args, {".json": "json"}, "text") == "json":
        write_output(dumps(diff.to_dict()), args.output)
    else:
        from ..output.text import diff_text

        write_output(diff_text(diff, args.verbose), args.output)
    return EXIT_DATA if args.exit_code and diff else EXIT_OK
