"""Is a publication plausible enough to replace the one in use? Pure functions over a new
:class:`~awsip.ranges.Ranges` and the reference publication (the cached copy, else the bundled
snapshot); :func:`problems` lists what is wrong, :func:`check` raises on the first.

The rules (each rejection a :class:`~awsip.errors.RangesError` naming the reason; the loader
turns it into a one-line :class:`~awsip.errors.RangesWarning` and keeps its valid copy):

* **syncToken**: ASCII digits, at most :data:`MAX_SYNC_TOKEN_DIGITS` (``Ranges.from_json``
  already refuses others; checked again here for any ``Ranges``).
* **createDate**: not later than now plus :data:`FUTURE_SKEW` (one day).
* **No huge prefixes**: none shorter than /:data:`MIN_PREFIXLEN` [4] (IPv4) or
  /:data:`MIN_PREFIXLEN` [6] (IPv6) unless the reference already lists that very prefix, so
  ``0.0.0.0/0`` or ``::/0`` never slip in.
* **Counts**: the number of IPv4 and of IPv6 prefixes each within a factor of
  :data:`COUNT_FACTOR` (1/4 .. 4x) of the reference's (a family the reference lacks is not
  compared).
* **Not older**: a syncToken below the newest one the cache or its history has seen is not
  adopted as current (:func:`older_than`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import RangesError
from ..ranges.model import Ranges

#: Longest syncToken accepted (AWS's are 10 digits: seconds since 1970).
MAX_SYNC_TOKEN_DIGITS = 20
#: How far in the future a createDate may lie (clock skew).
FUTURE_SKEW = timedelta(days=1)
#: Shortest prefix accepted per IP version unless the reference has it.
MIN_PREFIXLEN = {4: 8, 6: 10}
#: Allowed ratio between the new and the reference prefix count, either way.
COUNT_FACTOR = 4


def sync_token_problem(token: object) -> str | None:
    """Why ``token`` is not a sane syncToken, or None."""
    if not isinstance(token, str) or not (token.isascii() and token.isdigit()):
        return f"syncToken {str(token)[:40]!r} is not a string of ASCII digits"
    if len(token) > MAX_SYNC_TOKEN_DIGITS:
        return (f"syncToken has {len(token):,} digits, more than {MAX_SYNC_TOKEN_DIGITS}")
    return None


def date_problem(new: Ranges, now: datetime) -> str | None:
    """Why ``new``'s createDate is implausible (in the future beyond the skew), or None."""
    if new.create_date > now + FUTURE_SKEW:
        return (f"createDate {new.create_date:%Y-%m-%d %H:%M:%S} UTC lies in the future "
                f"(now {now:%Y-%m-%d %H:%M} UTC)")
    return None


def prefix_problem(new: Ranges, reference: Ranges | None) -> str | None:
    """Why ``new`` lists a prefix too large to be believable, or None."""
    known = {e.prefix for e in reference.entries} if reference is not None else set()
    for entry in new.entries:
        length = int(entry.prefix.rsplit("/", 1)[1])  # validated by Ranges.from_json
        shortest = MIN_PREFIXLEN[entry.version]
        if length < shortest and entry.prefix not in known:
            return (f"prefix {entry.prefix} ({entry.service}) is shorter than /{shortest} "
                    "and not in the current publication")
    return None


def count_problem(new: Ranges, reference: Ranges | None) -> str | None:
    """Why ``new``'s prefix counts are far from the reference's, or None."""
    if reference is None:
        return None
    for version, have, had in ((4, len(new.ipv4), len(reference.ipv4)),
                               (6, len(new.ipv6), len(reference.ipv6))):
        if had and not had / COUNT_FACTOR <= have <= had * COUNT_FACTOR:
            return (f"{have:,} IPv{version} prefixes where the current publication "
                    f"(syncToken {reference.sync_token}) has {had:,}")
    return None


def older_than(new: Ranges, newest_seen: str | None) -> str | None:
    """Why ``new`` must not become current: its syncToken is below ``newest_seen``; or None."""
    if newest_seen is not None and int(new.sync_token) < int(newest_seen):
        return (f"syncToken {new.sync_token} (created {new.create_date:%Y-%m-%d %H:%M} UTC) is "
                f"older than {newest_seen}, the newest already seen")
    return None


def problems(new: Ranges, reference: Ranges | None, *, now: datetime) -> list[str]:
    """Every reason ``new`` is implausible next to ``reference`` (empty when it is fine)."""
    found = [sync_token_problem(new.sync_token), date_problem(new, now),
             prefix_problem(new, reference), count_problem(new, reference)]
    return [p for p in found if p is not None]


def check(new: Ranges, reference: Ranges | None, *, now: datetime, where: str) -> None:
    """Raise :class:`RangesError` ``"<where>: rejected: <reason>"`` when ``new`` is
    implausible (see the module doc)."""
    found = problems(new, reference, now=now)
    if found:
        raise RangesError(f"{where}: rejected: {found[0]}")


__all__ = ["COUNT_FACTOR", "FUTURE_SKEW", "MAX_SYNC_TOKEN_DIGITS", "MIN_PREFIXLEN", "check",
           "count_problem", "date_problem", "older_than", "prefix_problem", "problems",
           "sync_token_problem"]
