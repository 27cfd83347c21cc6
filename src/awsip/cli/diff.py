"""``awsip diff OLD NEW``: prefixes added, removed and retagged between two publications."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ..encoding import dumps
from ..ranges.diff import RangesDiff
from ..ranges.model import Entry, Ranges
from ..ranges.names import printable
from ..units import address_count
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
        write_output("".join(f"{line}\n" for line in _human(diff, args.verbose)), args.output)
    return EXIT_DATA if args.exit_code and diff else EXIT_OK


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _tags(entries: Sequence[Entry]) -> str:
    groups: dict[str, list[str]] = {}
    for e in entries:
        where = e.region if e.network_border_group == e.region else (
            f"{e.region}/{e.network_border_group}")
        groups.setdefault(where, []).append(e.service)
    return printable("; ".join(f"{','.join(s)} {w}" for w, s in groups.items()) or "-")


def _human(diff: RangesDiff, verbose: bool) -> list[str]:
    out: list[str] = []
    for name, pub in (("old", diff.old), ("new", diff.new)):
        out.append(f"{name}: syncToken {pub.sync_token}  "
                   f"createDate {pub.create_date:%Y-%m-%d %H:%M:%S}")
    if not diff:
        out.append("no differences")
        return out
    out.append(f"{len(diff.added_prefixes)} prefixes added, {len(diff.removed_prefixes)} "
               f"removed, {len(diff.changed)} changed")
    titles = {"added": "Added prefixes", "removed": "Removed prefixes",
              "gained": "Changed prefixes: tags gained", "lost": "Changed prefixes: tags lost"}
    summary = diff.summary()
    for kind, title in titles.items():
        rows = [r for r in summary if r.kind == kind]
        if not rows:
            continue
        out += ["", f"{title}:"]
        out += _table([("SERVICE", "REGION", "FAMILY", "PREFIXES", "ADDRESSES")] + [
            (printable(r.service), printable(r.region), f"IPv{r.version}", str(r.prefixes),
             address_count(r.version, r.addresses)) for r in rows], right={3, 4})
    if verbose:
        for title, entries in (("Added", diff.added), ("Removed", diff.removed)):
            by_prefix: dict[str, list[Entry]] = {}
            for e in entries:
                by_prefix.setdefault(e.prefix, []).append(e)
            if by_prefix:
                out += ["", f"{title}:"]
                for prefix, es in by_prefix.items():
                    out.append(f"  {prefix}  {_tags(es)}")
        if diff.changed:
            out += ["", "Changed:"]
            for c in diff.changed:
                out.append(f"  {c.prefix}  {_tags(c.before)}  ->  {_tags(c.after)}")
    return out
