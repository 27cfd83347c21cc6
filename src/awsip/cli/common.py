"""Options shared by the sub-commands, so one flag means one thing everywhere.

The vocabulary: ``--ranges``/``--offline``/``--at`` choose the ranges data; ``-o FILE`` writes
the result to a file (atomically; format from its suffix) and ``--output-format`` names the
format; ``--json`` is ``--output-format json`` (``jsonl`` for tables); ``--log-format`` is the
flow log's field list; ``--since``/``--until``, ``--strict``, ``--region``/``--endpoint-url``
(also spelt ``--s3-region``/``--s3-endpoint``), ``--raw-tags`` and ``--quiet`` are the flow-log
reader's options (``--quiet``, on every command that loads ranges, also silences the
bundled-snapshot and staleness warnings, as ``AWSIP_QUIET=1`` does). Outputs named by ``-o``
(and ``--plot``) are checked by :func:`check_outputs` before any input is read; they are
written only when the command succeeds. Old spellings (``--format``, ``--format-string``) still
work for one release and print a warning.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..encoding import parse_time
from ..errors import UsageError
from ..fileio import atomic_file, check_writable
from ..ranges.model import Ranges


class _Deprecated(argparse.Action):
    """An old spelling of an option: stores into the new one's ``dest`` and warns."""

    def __init__(self, option_strings: Sequence[str], dest: str, new: str = "",
                 **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"awsip: warning: {option_string} is deprecated; use {self.new}",
              file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_ranges_options(parser: argparse.ArgumentParser) -> None:
    """``--ranges PATH_OR_URL``, ``--offline`` and ``--at``, on every command that uses ranges."""
    group = parser.add_argument_group("ranges data")
    group.add_argument(
        "--ranges", metavar="PATH_OR_URL",
        help="use this ip-ranges.json (a file or URL) instead of the cached/default one; "
        "also AWSIP_URL")
    group.add_argument(
        "--offline", action="store_true", default=None,
        help="never touch the network: use the cache, else the bundled snapshot; "
        "also AWSIP_OFFLINE=1")
    group.add_argument(
        "--at", metavar="TIME", type=_utc_time,
        help="use the publication that was in force at TIME (e.g. 2026-03-27T12:00, UTC unless "
        "an offset is given), from the cache's history")
    add_quiet_option(parser)


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """``-q``/``--quiet``: no bundled-snapshot or staleness warnings (also ``AWSIP_QUIET=1``);
    on the flow-log commands the same flag also hides the progress bar."""
    if "--quiet" in parser._option_string_actions:  # the reader's options already have it
        return
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no warnings about the ranges data's age or the bundled snapshot "
                        "(errors still print); also AWSIP_QUIET=1")


def add_output_options(parser: argparse.ArgumentParser, formats: Sequence[str],
                       default: str, json_format: str = "json", *, to_file: bool = True
                       ) -> None:
    """``-o FILE``, ``--output-format`` (``--format`` deprecated) and ``--json``."""
    group = parser.add_argument_group("output")
    group.add_argument("--output-format", dest="output_format", choices=formats, default=None,
                       help=f"output format (default: from the -o suffix, else {default})")
    group.add_argument("--format", "-f", dest="output_format", choices=formats,
                       action=_Deprecated, new="--output-format", help=argparse.SUPPRESS)
    group.add_argument("--json", dest="output_format", action="store_const",
                       const=json_format, help=f"same as --output-format {json_format}")
    if to_file:
        group.add_argument("-o", "--output", metavar="FILE",
                           help="write to FILE (atomically: a temporary file, then rename; an "
                           "existing FILE is kept if the command fails) instead of stdout")


def add_reader_options(parser: argparse.ArgumentParser) -> None:
    """The flow-log reader's options (:class:`awsip.ReaderOptions`)."""
    group = parser.add_argument_group("flow logs")
    group.add_argument("--log-format", metavar="FORMAT", default=None,
                       help="the flow log's format as AWS shows it, e.g. '${version} ${srcaddr} "
                       "${dstaddr} ...', for files without a header line (default: the version "
                       "2 default format)")
    group.add_argument("--format-string", dest="log_format", action=_Deprecated,
                       new="--log-format", help=argparse.SUPPRESS)
    group.add_argument("--since", metavar="T", help="only records starting at or after T "
                       "(UTC unless an offset is given), e.g. 2026-03-21T06:00Z, or a duration "
                       "before now such as 6d, 12h or 30m")
    group.add_argument("--until", metavar="T", help="only records starting before T (a time or "
                       "a duration before now)")
    group.add_argument("--region", "--s3-region", dest="region", metavar="REGION",
                       help="AWS region of s3:// and cwlogs:// sources (default: the AWS "
                       "configuration, e.g. AWS_REGION); --s3-region is the same option")
    group.add_argument("--endpoint-url", "--s3-endpoint", dest="endpoint_url", metavar="URL",
                       help="endpoint of s3:// and cwlogs:// sources (an S3- or CloudWatch "
                       "Logs-compatible server); --s3-endpoint is the same option")
    group.add_argument("--account", dest="accounts", action="append", metavar="ID",
                       help="only flow logs of this 12-digit account, as the S3 delivery path "
                       "or file name says (repeat or comma-separate for several)")
    group.add_argument("--flow-log-region", dest="flow_log_regions", action="append",
                       metavar="REGION", help="only flow logs of this region, as the S3 "
                       "delivery path or file name says (repeat or comma-separate)")
    group.add_argument("--raw-tags", action="store_true",
                       help="keep the EC2 tag fields (instance-tag, interface-tag, ...) "
                       "percent-encoded as AWS writes them (default: decoded)")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar (shown by default when stderr is a terminal) and no "
                       "warnings about the ranges data's age; also AWSIP_QUIET=1")


def reader_options(args: argparse.Namespace) -> Any:
    """The :class:`awsip.ReaderOptions` the reader options of :func:`add_reader_options` say."""
    from ..flowlogs.options import ReaderOptions

    return ReaderOptions(
        log_format=args.log_format, strict=bool(getattr(args, "strict", False)),
        progress=False if args.quiet else None, region=args.region,
        endpoint_override=args.endpoint_url, since=args.since, until=args.until,
        accounts=args.accounts, regions=args.flow_log_regions,
        decode_tags=not getattr(args, "raw_tags", False))


def _utc_time(text: str) -> datetime:
    try:
        when = parse_time(text, "--at")
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert when is not None
    return when


def ranges_from_args(args: argparse.Namespace) -> Ranges:
    """Load the ranges the user asked for with the options of :func:`add_ranges_options`."""
    from ..loading import load_ranges

    at = getattr(args, "at", None)
    if at is not None and getattr(args, "ranges", None):
        raise UsageError("--at picks from the cache's history; it cannot be combined with --ranges")
    return load_ranges(getattr(args, "ranges", None), offline=getattr(args, "offline", None),
                       at=at)


def output_format(args: argparse.Namespace, suffixes: Mapping[str, str], default: str) -> str:
    """``--output-format``/``--json`` if given, else the ``-o`` file's suffix, else ``default``.

    Raises :class:`UsageError` for Parquet on a terminal: binary output needs ``-o`` or a pipe.
    """
    from ..output.tables import format_for

    output = getattr(args, "output", None)
    fmt = format_for(output, suffixes, default, args.output_format)
    if fmt == "parquet" and not output and sys.stdout.isatty():
        raise UsageError("parquet is binary: give -o FILE or redirect stdout")
    return fmt


def check_outputs(*paths: str | None) -> None:
    """Raise :class:`~awsip.fileio.OutputError` for an output that certainly cannot be
    written (missing or unwritable directory, a directory in the way): called before any input
    is read, so a typo costs nothing and nothing is left behind."""
    for path in paths:
        if path:
            check_writable(path)


def write_output(data: bytes | str, output: str | None) -> None:
    """``data`` to the ``-o`` file (atomically) or to stdout."""
    if output:
        with atomic_file(output) as fh:
            fh.write(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)
        return
    with stdout_errors():
        if isinstance(data, str):
            sys.stdout.write(data)
            sys.stdout.flush()
            return
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


@contextlib.contextmanager
def stdout_errors() -> Iterator[None]:
    """A failed write to stdout (a full disk, a closed terminal) as one :class:`OutputError`
    line; a broken pipe is left to :func:`awsip.cli.main`."""
    from ..fileio import OutputError

    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError.of("<stdout>", exc) from None
