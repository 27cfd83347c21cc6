"""Live CloudWatch Logs: a ``cwlogs://LOG_GROUP`` source read with FilterLogEvents.

The URL rule: ``cwlogs://`` then the log group name exactly as CloudWatch Logs spells it (so
``cwlogs:///vpc/flowlogs`` is the group ``/vpc/flowlogs``), then optional query parameters:
``stream_prefix=`` (only log streams whose name starts with it; flow logs write one stream per
network interface, named after it), ``filter=`` (a CloudWatch Logs filter pattern, evaluated
by the service) and ``region=`` (overrides ``region``/``--region``). Values are
percent-encoded as in any URL query (``filter=%22REJECT%22`` is the pattern ``"REJECT"``).

The events become one stream of JSON Lines, the form the reader already takes from content
(:mod:`awsip.flowlogs.wrapped`): first a header line naming the fields (the S3 header form) as
the first message, then one ``{"logGroup", "logStream", "timestamp", "message"}`` object per
event. Each message is a line for the one text parser, so its line rule and counts apply
unchanged (the header counts as line 1; a bad message is skipped and counted with its line
number, its text quoted), and each record gets the columns ``log_group``, ``log_stream`` and
``event_time`` (timestamp[ms, UTC]) of its event. The fields are
``log_format`` if given; else the ``LogFormat`` of the flow log that delivers to the group
(EC2 DescribeFlowLogs, filter ``log-group-name``); else, with a :class:`FlowLogWarning`, the
version 2 default format.

AWS API pages used: FilterLogEvents
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html:
pages of up to 10,000 events or 1 MB, possibly empty while ``nextToken`` is present; startTime
and endTime in milliseconds since the epoch, inclusive; ``logStreamNamePrefix``;
``filterPattern``), DescribeFlowLogs
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html: filter
``log-group-name``; ``FlowLog.LogFormat``) and CreateFlowLogs
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html: "each network
interface has a unique log stream in the log group").

boto3 is an optional extra (``pip install 'awsip[aws]'``), imported only when such a source is
opened; credentials come from its standard chain.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import parse_qs

from ..errors import FlowLogError, FlowLogWarning
from ..pipeline import prefetch
from .fields import DEFAULT_FIELDS
from .formats import parse_format

if TYPE_CHECKING:
    from collections.abc import Callable

    from .options import ReaderOptions

SCHEME = "cwlogs://"
#: events asked for per FilterLogEvents call (the API's largest page)
PAGE_LIMIT = 10_000
#: the event window asked of the service around ``since``/``until``: a flow-log event's
#: timestamp is not the record's ``start`` (records are aggregated for up to 10 minutes and
#: published minutes later), so events a little outside the window are fetched and the
#: reader keeps exactly the records whose ``start`` is in ``[since, until)``
BEFORE_SINCE = timedelta(minutes=10)
AFTER_UNTIL = timedelta(hours=1)
MAX_ATTEMPTS = 8  # calls in all (botocore's "standard" retry mode, throttling included)
_PARAMETERS = ("stream_prefix", "filter", "region")
# Log group names: 1-512 characters of a-z, A-Z, 0-9, '_', '-', '/', '.', '#' (CreateLogGroup,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html;
# its older text lists the same without '#': accepting it refuses nothing AWS allows)
_GROUP = re.compile(r"^[\w\-/.#]{1,512}$", re.ASCII)
_TOKEN = re.compile(r"\$\{([^}]*)\}")
_INSTALL = "pip install 'awsip[aws]'"


def is_cwlogs(item: str) -> bool:
    """Whether a ``source`` argument names a CloudWatch Logs log group."""
    return item.startswith(SCHEME)


@dataclass(frozen=True)
class LogGroupURL:
    """A parsed ``cwlogs://`` URL: the group and the optional narrowing of its events."""

    url: str
    group: str
    stream_prefix: str | None = None
    filter_pattern: str | None = None
    region: str | None = None


def parse_url(url: str) -> LogGroupURL:
    """``cwlogs://GROUP[?stream_prefix=P&filter=F&region=R]`` as a :class:`LogGroupURL`;
    :class:`FlowLogError` naming the URL and what is wrong."""
    rest = url[len(SCHEME):]
    group, _, query = rest.partition("?")
    if not _GROUP.match(group):
        raise FlowLogError(
            f"{url!r}: {group!r} is not a CloudWatch Logs log group name (1-512 characters of "
            "letters, digits, '_', '-', '/', '.', '#'); write cwlogs://GROUP, e.g. "
            "cwlogs:///vpc/flowlogs for the group /vpc/flowlogs")
    values = parse_qs(query, keep_blank_values=True) if query else {}
    unknown = sorted(set(values) - set(_PARAMETERS))
    repeated = sorted(k for k, v in values.items() if len(v) > 1)
    if unknown or repeated:
        what = f"unknown parameter(s) {', '.join(unknown)}" if unknown else \
            f"repeated parameter(s) {', '.join(repeated)}"
        raise FlowLogError(f"{url!r}: {what}; the parameters are {', '.join(_PARAMETERS)}")
    one = {k: v[0] for k, v in values.items() if v and v[0]}
    return LogGroupURL(url, group, one.get("stream_prefix"), one.get("filter"),
                       one.get("region"))


def open_log_group(url: str, *, region: str | None = None, endpoint_url: str | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   log_format: str | Sequence[str] | None = None,
                   progress: bool = False) -> EventStream:
    """The events of the log group ``url`` names as a binary stream of JSON lines, a header
    first (see the module doc): what :func:`awsip.flowlogs.paths.expand` opens for a
    ``cwlogs://`` source. Nothing is fetched until the first read."""
    spec = parse_url(url)
    fields = parse_format(log_format) if log_format is not None else None
    return EventStream(spec, region=spec.region or region, endpoint_url=endpoint_url,
                       since=since, until=until, fields=fields, progress=progress)


def log_group_opener(url: str, *, region: str | None, endpoint_url: str | None,
                     options: ReaderOptions | None) -> Callable[[], BinaryIO]:
    """How to open ``url`` with the reader's ``options`` (time window, ``log_format``,
    progress): the URL and the format are checked now, the service asked when opened."""
    parse_url(url)
    since = options.since if options is not None else None
    until = options.until if options is not None else None
    log_format = options.log_format if options is not None else None
    if log_format is not None:
        parse_format(log_format)
    wanted = options.progress if options is not None else None
    progress = sys.stderr.isatty() if wanted is None else wanted

    def opener() -> BinaryIO:
        return cast("BinaryIO", open_log_group(
            url, region=region, endpoint_url=endpoint_url, since=since, until=until,
            log_format=log_format, progress=progress))

    return opener


def _millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


class EventStream:
    """FilterLogEvents pages as a readable binary stream (``read``/``readinto``) of JSON
    lines: first the header, then each page's events, one per line. ``events`` counts the
    events read;
    ``fields_from`` says where the field list came from (``log_format``, the flow log's ID,
    or ``default``)."""

    def __init__(self, spec: LogGroupURL, *, region: str | None, endpoint_url: str | None,
                 since: datetime | None, until: datetime | None,
                 fields: tuple[str, ...] | None, progress: bool) -> None:
        self.spec = spec
        self.region = region
        self.endpoint_url = endpoint_url
        self.since = since
        self.until = until
        self.fields: Sequence[str] | None = fields
        self.fields_from = "log_format" if fields is not None else ""
        self.progress = progress
        self.events = 0
        self.pages = 0
        self._chunks: Iterator[bytes] | None = None
        self._chunk = b""
        self._pos = 0
        self._bar: Any = None

    # ------------------------------------------------------------------ the stream

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all that is left when ``n`` < 0); ``b""`` at the end."""
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(1 << 24), b""))
        while self._pos >= len(self._chunk):
            nxt = next(self._started(), None)
            if nxt is None:
                self._finish()
                return b""
            self._chunk, self._pos = nxt, 0
        data = self._chunk[self._pos:self._pos + n]
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Stop: the page-fetching thread too, when reading stops before the end."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        self._finish()

    def _started(self) -> Iterator[bytes]:
        if self._chunks is None:
            self._chunks = self._text()
        return self._chunks

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.refresh()  # the final count, even when the last update was too soon
            self._bar.close()
            self._bar = None

    def _text(self) -> Iterator[bytes]:
        """The header line, then one chunk of JSON lines per non-empty page. Pages are fetched
        in a thread: the first while the format is looked up, the next ones while a page's
        lines are parsed. A missing group or refused credentials fail at the first page,
        before any warning about the format."""
        logs, ec2 = _clients(self.spec, self.region, self.endpoint_url)
        pages = prefetch(_pages(logs, self.spec, self.since, self.until, self.describe()),
                         depth=2)
        try:
            why = None
            if self.fields is None:
                self.fields, self.fields_from, why = _described_fields(ec2(), self.spec,
                                                                       self.region)
            first = next(pages, None)
            if why is not None:
                _warn_default(self.spec, why)
            group = _json_text(self.spec.group)
            yield (f'{{"logGroup":{group},"logStream":null,"timestamp":null,"message":'
                   f'{_json_text(" ".join(self.fields))}}}\n').encode("ascii")
            if self.progress:
                from tqdm import tqdm

                self._bar = tqdm(desc=f"{self.spec.url} events", unit=" events",
                                 file=sys.stderr, leave=False, position=1)
            for events in chain([] if first is None else [first], pages):
                self.pages += 1
                if events:
                    self.events += len(events)
                    if self._bar is not None:
                        self._bar.update(len(events))
                    yield _json_lines(events, group)
        finally:
            close = getattr(pages, "close", None)  # a generator: stops the fetching thread
            if close is not None:                   # when reading stops early
                close()

    def describe(self) -> str:
        """The group (and its region) for error messages."""
        where = f" in {self.region}" if self.region else ""
        return f"log group {self.spec.group!r}{where} ({self.spec.url})"


_json_text = json.encoder.encode_basestring_ascii  # a str as JSON text (C, ASCII-only)


def _json_lines(events: list[dict[str, Any]], group: str) -> bytes:
    """FilterLogEvents events as JSON lines, one per event (``group``: the log group's name
    as JSON text). A line break inside a message is escaped by JSON: the event stays one
    line."""
    lines = []
    for e in events:
        ts = e.get("timestamp")
        lines.append(f'{{"logGroup":{group},"logStream":{_json_text(e.get("logStreamName") or "")},'
                     f'"timestamp":{ts if isinstance(ts, int) else "null"},'
                     f'"message":{_json_text(e.get("message") or "")}}}')
    lines.append("")
    return "\n".join(lines).encode("ascii")


_LOADER: list[Any] = []  # botocore's loader of service models, shared by every read


def _botocore_session() -> Any:
    """A new botocore session (credentials and configuration resolved afresh) whose service
    models come from one shared loader: parsing them again costs ~0.1-0.2 s per read."""
    import botocore.session
    from botocore.loaders import create_loader

    if not _LOADER:
        _LOADER.append(create_loader())
    session = botocore.session.Session()
    session.register_component("data_loader", _LOADER[0])
    return session


def _clients(spec: LogGroupURL, region: str | None, endpoint_url: str | None
             ) -> tuple[Any, Callable[[], Any]]:
    """A boto3 client for CloudWatch Logs, and how to make one for EC2 (only when the format is
    looked up: loading EC2's service model takes most of a second). The standard credential
    chain; retries in botocore's standard mode, throttling included."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise FlowLogError(f"reading {spec.url} needs boto3: {_INSTALL}") from None
    config = Config(retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"})
    session = boto3.session.Session(botocore_session=_botocore_session())

    def client(name: str) -> Any:
        from botocore.exceptions import BotoCoreError

        try:
            return session.client(name, region_name=region, endpoint_url=endpoint_url,
                                  config=config)
        except BotoCoreError as exc:
            raise aws_error(exc, f"log group {spec.group!r} ({spec.url})") from None

    return client("logs"), lambda: client("ec2")


def _described_fields(ec2: Any, spec: LogGroupURL, region: str | None
                      ) -> tuple[Sequence[str], str, str | None]:
    """The fields of the flow log delivering to the group (DescribeFlowLogs ``LogFormat``),
    which flow log said so, and None; or the default format, ``"default"`` and why it is used
    (for a warning) when that cannot be known. Several flow logs with different formats:
    :class:`FlowLogError`."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    try:
        pages = ec2.get_paginator("describe_flow_logs").paginate(
            Filters=[{"Name": "log-group-name", "Values": [spec.group]}])
        flow_logs = [f for page in pages for f in page.get("FlowLogs", [])]
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise aws_error(exc, f"log group {spec.group!r} ({spec.url})") from None
    except (BotoCoreError, ClientError) as exc:
        reason = _reason(exc)
        return DEFAULT_FIELDS, "default", (f"its flow log could not be looked up ({reason}; "
                                           "this needs ec2:DescribeFlowLogs)")
    formats = {f.get("FlowLogId", "?"): f.get("LogFormat") for f in flow_logs
               if f.get("LogFormat")}
    if not formats:
        where = f" in {region}" if region else ""
        return DEFAULT_FIELDS, "default", f"no flow log{where} names it as its log group"
    if len(set(formats.values())) > 1:
        shown = "; ".join(f"{k}: {v}" for k, v in sorted(formats.items()))
        raise FlowLogError(
            f"{spec.url}: flow logs with different formats deliver to log group "
            f"{spec.group!r} ({shown}); give the format with --log-format (log_format=), and "
            "stream_prefix= to read the interfaces of one of them")
    flow_log_id, log_format = sorted(formats.items())[0]
    return _format_fields(log_format, spec), flow_log_id, None


def _format_fields(log_format: str, spec: LogGroupURL) -> tuple[str, ...]:
    """The field names of a ``LogFormat`` (``${version} ${srcaddr} ...``) as AWS wrote them
    (names this catalogue does not know are read as text, as from a file's header)."""
    names = tuple(t.strip().lower() for t in _TOKEN.findall(log_format))
    if len(names) < 2 or len(set(names)) != len(names):
        raise FlowLogError(f"{spec.url}: the flow log's LogFormat {log_format!r} cannot be "
                           "read; give the format with --log-format (log_format=)")
    return names


def _warn_default(spec: LogGroupURL, why: str) -> None:
    """Say that the default format is used, and why."""
    warnings.warn(
        f"{spec.url}: reading with the default version 2 format: {why}; give the flow log's "
        "format with --log-format (log_format=) if it has other fields", FlowLogWarning,
        stacklevel=2)


def _pages(logs: Any, spec: LogGroupURL, since: datetime | None, until: datetime | None,
           what: str) -> Iterator[list[dict[str, Any]]]:
    """The events of each FilterLogEvents page, following ``nextToken`` to the end (pages
    can be empty before it). Events of streams outside ``stream_prefix`` are left out here
    too, for servers that ignore the parameter."""
    from botocore.exceptions import BotoCoreError, ClientError

    request: dict[str, Any] = {"logGroupName": spec.group, "limit": PAGE_LIMIT}
    if since is not None:
        request["startTime"] = max(0, _millis(since - BEFORE_SINCE))
    if until is not None:
        request["endTime"] = _millis(until + AFTER_UNTIL)
    if spec.stream_prefix:
        request["logStreamNamePrefix"] = spec.stream_prefix
    if spec.filter_pattern:
        request["filterPattern"] = spec.filter_pattern
    prefix = spec.stream_prefix or ""
    while True:
        try:
            page = logs.filter_log_events(**request)
        except (BotoCoreError, ClientError) as exc:
            raise aws_error(exc, what) from None
        events = page.get("events") or []
        yield [e for e in events
               if not prefix or str(e.get("logStreamName", "")).startswith(prefix)]
        token = page.get("nextToken")
        if not token or token == request.get("nextToken"):
            return
        request["nextToken"] = token


def _reason(exc: Exception) -> str:
    """A botocore error in a few words: the AWS error code and message, or the text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


_ADVICE = {
    "ResourceNotFoundException": "check the group's name (aws logs describe-log-groups) "
                                 "and the region (--region, region= or AWS_REGION)",
    "AccessDeniedException": "the credentials in use need logs:FilterLogEvents on the group",
    "UnrecognizedClientException": "the credentials are not valid for this account/region",
    "ExpiredTokenException": "the session token expired: renew the credentials",
    "ThrottlingException": "still throttled after {attempts} attempts: try again later "
                           "or read less (--since/--until, stream_prefix=, filter=)",
    "InvalidParameterException": "check the URL's parameters (stream_prefix=, filter=)",
}


def aws_error(exc: Exception, what: str) -> FlowLogError:
    """A boto3/botocore failure while reading ``what`` as a :class:`FlowLogError` that says
    what to do: no credentials, no region, a missing group, throttling after the retries,
    a server that cannot be reached."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        advice = ("no AWS credentials found: configure the standard chain (AWS_PROFILE, "
                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, SSO, or an "
                  "instance/task role)")
    elif isinstance(exc, NoRegionError):
        advice = "no AWS region: give --region (region=), region= in the URL, or AWS_REGION"
    elif isinstance(exc, EndpointConnectionError):
        advice = f"cannot reach the endpoint ({exc}): check --endpoint-url and the network"
    elif isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        advice = f"{_reason(exc)}; " + _ADVICE.get(
            code, "see the AWS error code; retried where botocore retries").format(
            attempts=MAX_ATTEMPTS)
    else:
        advice = f"{type(exc).__name__}: {exc}"
    return FlowLogError(f"cannot read {what}: {advice}")


__all__ = ["SCHEME", "EventStream", "LogGroupURL", "aws_error", "is_cwlogs", "log_group_opener",
           "open_log_group", "parse_url"]
