"""Exception types raised by awsip.

Every error awsip raises on purpose derives from :class:`AwsipError`, so callers can catch one
type. Messages quote the offending input and say where it was found.
"""

from __future__ import annotations


class AwsipError(Exception):
    """Base class for every error raised by awsip."""


class RangesError(AwsipError, ValueError):
    """An ip-ranges.json document is malformed: the message names the field and the value."""


class InvalidAddressError(AwsipError, ValueError):
    """A value given as an IP address is not one."""

    def __init__(self, value: object, reason: str | None = None) -> None:
        self.value = value
        text = f"{value!r} is not an IPv4 or IPv6 address"
        if reason:
            text += f" ({reason})"
        super().__init__(text)


class FetchError(AwsipError):
    """ip-ranges.json could not be obtained from the network, the cache or the bundled snapshot."""


class HistoryError(AwsipError, LookupError):
    """The cache's publication history does not hold the publication asked for."""


class RangesWarning(UserWarning):
    """awsip used older data than asked for: a refresh failed or was rejected, the cached copy
    (or the bundled snapshot) answers instead. The message names the problem and what to do."""


class BundledRangesWarning(RangesWarning):
    """The snapshot shipped inside the package answers (no cache, offline or no network)."""


class FlowLogError(AwsipError):
    """A flow-log source could not be read (missing file, corrupt data, unknown field)."""


class UsageError(AwsipError, ValueError):
    """An argument to a public function has an unusable value."""


class FlowLogWarning(UserWarning):
    """Something named as a flow-log source was not read (a FIFO, a device, a broken link, an
    unreadable directory): the message names it and why. Counted in the reader's stats too."""
