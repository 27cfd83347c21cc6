"""How to read flow logs: one typed options object for every function that reads them.

:func:`awsip.read_flow_logs`, :func:`awsip.enrich_flow_logs`, :func:`awsip.summarize` and
:func:`awsip.report` take the same keyword arguments (``log_format``, ``strict``, ``progress``,
``region``, ``endpoint_override``, ``since``, ``until``, ``accounts``, ``regions``,
``use_threads``) or a :class:`ReaderOptions` as ``options=``; the command line's
``--log-format``, ``--strict``, ``--since``/``--until``, ``--account``/``--flow-log-region``,
``--s3-region``/``--s3-endpoint`` and ``--quiet`` fill the same object.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from ..encoding import parse_time
from ..errors import UsageError
from .s3 import Selection

LogFormat = str | Sequence[str]


@dataclass(frozen=True)
class ReaderOptions:
    """Options of the flow-log reader.

    ``log_format``: the flow log's format (``'${version} ${srcaddr} ...'``, plain names, or a
    list), for files without an S3 header line; default the version 2 format. ``strict``: raise
    at the first bad line instead of skipping and counting it. ``progress``: a bar on stderr
    (default: when stderr is a terminal). ``region``/``endpoint_override``: for ``s3://``
    sources. ``since``/``until``: keep records whose ``start`` is in ``[since, until)`` (UTC;
    ISO-8601 text, datetimes or dates); the others are counted in ``stats.outside_window``.
    With a window, ``s3://`` prefixes are listed and read only where AWS's delivery path
    and file name say records of the window can be (see :mod:`awsip.flowlogs.s3`).
    ``accounts``/``regions``: read only the flow logs of these 12-digit account ids / these
    regions, as their S3 delivery paths and file names say (objects whose path and name do not
    say are read); not to be confused with ``region``, the S3 client's region.
    ``use_threads``: parse the next block of a text file in a second thread while this one is
    checked, and let pyarrow's CSV parser use several threads (False: one thread).
    """

    log_format: LogFormat | None = None
    strict: bool = False
    progress: bool | None = None
    region: str | None = None
    endpoint_override: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    accounts: Sequence[str] | None = None
    regions: Sequence[str] | None = None
    use_threads: bool = True
    #: percent-decode the EC2 tag fields (``instance-tag``, ...); False keeps them as written
    decode_tags: bool = True

    def __post_init__(self) -> None:
        since = parse_time(self.since, "since")
        until = parse_time(self.until, "until")
        if since is not None and until is not None and until <= since:
            raise UsageError(f"until ({until:%Y-%m-%dT%H:%M:%SZ}) must be after since "
                             f"({since:%Y-%m-%dT%H:%M:%SZ})")
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "until", until)
        object.__setattr__(self, "accounts", _names(self.accounts, "accounts", _ACCOUNT,
                                                    "a 12-digit AWS account id"))
        object.__setattr__(self, "regions", _names(self.regions, "regions", _REGION,
                                                   "a region name like us-east-1"))

    def selection(self) -> Selection:
        """What a listing may leave out: the window, accounts and regions."""
        return Selection(self.since, self.until,
                         frozenset(self.accounts) if self.accounts is not None else None,
                         frozenset(self.regions) if self.regions is not None else None)

    @property
    def window(self) -> bool:
        """Whether a time window is set."""
        return self.since is not None or self.until is not None


_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")


def _names(value: Sequence[str] | str | None, what: str, pattern: re.Pattern[str],
           expected: str) -> tuple[str, ...] | None:
    """``value`` as a tuple of checked names (a string may list several, comma-separated);
    None stays None. Raises :class:`UsageError` naming the bad value."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise UsageError(f"{what}: {item!r} is not a string; give {expected}")
        for name in (n.strip() for n in item.split(",")):
            if not pattern.fullmatch(name):
                raise UsageError(f"{what}: {name!r} is not {expected}")
            if name not in names:
                names.append(name)
    if not names:
        raise UsageError(f"{what}: empty; give {expected} or leave it out")
    return tuple(names)


_NAMES = frozenset(f.name for f in fields(ReaderOptions))
#: Old keyword spellings, kept for one release with a DeprecationWarning.
_DEPRECATED = {"format": "log_format"}


def reader_options(options: ReaderOptions | None = None, **kwargs: Any) -> ReaderOptions:
    """A :class:`ReaderOptions` from ``options`` and/or keyword arguments (keywords win; None
    values are ignored, so callers can pass their defaults through). ``format=`` is accepted
    as a deprecated spelling of ``log_format=``."""
    given: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in _DEPRECATED:
            warnings.warn(f"{key}= is deprecated; use {_DEPRECATED[key]}=", DeprecationWarning,
                          stacklevel=3)
            key = _DEPRECATED[key]
        if key not in _NAMES:
            raise UsageError(f"unknown flow-log reader option {key!r}; options are "
                             f"{', '.join(sorted(_NAMES))}")
        if value is not None:
            given[key] = value
    base = options if options is not None else ReaderOptions()
    return replace(base, **given) if given else base


def split_reader_options(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``kwargs`` split into reader options and the rest."""
    reader = {k: v for k, v in kwargs.items() if k in _NAMES or k in _DEPRECATED}
    return reader, {k: v for k, v in kwargs.items() if k not in reader}


def as_time(value: str | datetime | date | None, what: str) -> datetime | None:
    """See :func:`awsip.encoding.parse_time`."""
    return parse_time(value, what)


__all__ = ["LogFormat", "ReaderOptions", "reader_options", "split_reader_options"]
