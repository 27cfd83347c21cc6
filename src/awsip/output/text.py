"""Plain-text renderings of results that are not reports: the ``awsip lookup`` table and the
``awsip diff`` summary. Names that came from a server are shown with control characters
escaped (:func:`awsip.ranges.names.printable`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InvalidAddressError
from ..index.scalar import Match
from ..ranges.diff import RangesDiff
from ..ranges.model import Entry
from ..ranges.names import printable
from ..units import address_count


def lookup_table(inputs: Sequence[str],
                 results: Sequence[Match | InvalidAddressError]) -> str:
    """The ``awsip lookup`` table: one row per input, in input order."""
    header = ("IP", "SERVICE", "REGION", "BORDER GROUP", "PREFIX", "ALSO TAGGED")
    rows: list[tuple[str, ...]] = []
    for text, r in zip(inputs, results, strict=True):
        if isinstance(r, InvalidAddressError):
            rows.append((printable(text), "(invalid)", "", "", "", ""))
        elif not r.aws:
            rows.append((r.ip, "not AWS", "", "", "", ""))
        else:
            rows.append(tuple(printable(c) for c in (
                r.ip, r.service or "", r.region or "", r.network_border_group or "",
                r.prefix or "", ",".join(r.services[1:]))))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                   + "\n" for row in (header, *rows))


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


def diff_text(diff: RangesDiff, verbose: bool = False) -> str:
    """The ``awsip diff`` summary: counts per kind, service, region and family; with
    ``verbose`` every prefix."""
    out: list[str] = []
    for name, pub in (("old", diff.old), ("new", diff.new)):
        out.append(f"{name}: syncToken {pub.sync_token}  "
                   f"createDate {pub.create_date:%Y-%m-%d %H:%M:%S}")
    if not diff:
        out.append("no differences")
        return "".join(f"{line}\n" for line in out)
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
    return "".join(f"{line}\n" for line in out)


__all__ = ["diff_text", "lookup_table"]
