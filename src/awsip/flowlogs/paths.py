"""Turn a ``source`` argument (paths, directories, globs, ``-``, ``s3://``) into files to read."""

from __future__ import annotations

import glob
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..errors import FlowLogError

_GLOB_CHARS = re.compile(r"[*?\[]")
_REGION_PATTERNS = (
    re.compile(r"/vpcflowlogs/([a-z]{2}(?:-[a-z]+)+-\d+)/"),
    re.compile(r"aws-region=([a-z]{2}(?:-[a-z]+)+-\d+)"),
    re.compile(r"_vpcflowlogs_([a-z]{2}(?:-[a-z]+)+-\d+)_"),
    re.compile(r"/transitgatewayflowlogs/([a-z]{2}(?:-[a-z]+)+-\d+)/"),
)


def region_from_path(path: str) -> str | None:
    """The AWS region a flow-log file belongs to, read from its S3 delivery path
    (``AWSLogs/<acct>/vpcflowlogs/<region>/...``, Hive ``aws-region=<region>`` or the file
    name ``<acct>_vpcflowlogs_<region>_...``); None when the path does not say."""
    p = path.replace("\\", "/")
    for pattern in _REGION_PATTERNS:
        m = pattern.search(p)
        if m:
            return m.group(1)
    return None


@dataclass(frozen=True)
class SourceFile:
    """One file to read: its display path, size when known, and how to open it."""

    path: str
    size: int | None
    opener: Callable[[], BinaryIO]
    seekable_opener: Callable[[], Any] | None = None  # for Parquet on S3


def _skip(name: str) -> bool:
    return name.startswith((".", "_"))


def _local(path: str) -> SourceFile:
    return SourceFile(path, os.path.getsize(path), lambda: open(path, "rb"))


def _expand_local(item: str) -> list[SourceFile]:
    if os.path.isdir(item):
        out: list[SourceFile] = []
        for root, dirs, files in os.walk(item):
            dirs[:] = sorted(d for d in dirs if not _skip(d))
            out.extend(_local(os.path.join(root, f)) for f in sorted(files) if not _skip(f))
        return out
    if os.path.isfile(item):
        return [_local(item)]
    if _GLOB_CHARS.search(item):
        matches = sorted(glob.glob(item, recursive=True))
        if not matches:
            raise FlowLogError(f"no files match {item!r}")
        out = []
        for m in matches:
            out.extend(_expand_local(m))
        return out
    raise FlowLogError(f"no such file or directory: {item!r}")


def _stdin() -> SourceFile:
    return SourceFile("-", None, lambda: sys.stdin.buffer)


def _expand_s3(url: str, region: str | None, endpoint_override: str | None) -> list[SourceFile]:
    from pyarrow import fs as pafs

    kwargs: dict[str, Any] = {}
    if region:
        kwargs["region"] = region
    if endpoint_override:
        m = re.match(r"^(https?)://(.*)$", endpoint_override)
        if m:
            kwargs["scheme"] = m.group(1)
            kwargs["endpoint_override"] = m.group(2).rstrip("/")
        else:
            kwargs["endpoint_override"] = endpoint_override
    try:
        s3 = pafs.S3FileSystem(**kwargs)
        base = url[len("s3://"):].rstrip("/")
        info = s3.get_file_info(base)
        if info.type == pafs.FileType.File:
            infos = [info]
        else:
            sel = pafs.FileSelector(base, recursive=True, allow_not_found=True)
            infos = sorted(
                (i for i in s3.get_file_info(sel) if i.type == pafs.FileType.File
                 and not any(_skip(part) for part in i.path[len(base):].split("/"))),
                key=lambda i: i.path,
            )
    except OSError as exc:
        raise FlowLogError(f"cannot list {url}: {exc}") from exc
    if not infos:
        raise FlowLogError(f"no objects under {url}")

    def make(path: str, size: int | None) -> SourceFile:
        return SourceFile(
            "s3://" + path, size,
            lambda: s3.open_input_stream(path, compression=None),
            lambda: s3.open_input_file(path),
        )

    return [make(i.path, i.size) for i in infos]


def expand(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    region: str | None = None,
    endpoint_override: str | None = None,
) -> list[SourceFile]:
    """Every file named by ``source``, in order: directories recursively (sorted, hidden and
    ``_``-prefixed names skipped), globs sorted, ``-`` for stdin, ``s3://bucket/prefix``."""
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not items:
        raise FlowLogError("no flow-log source given")
    out: list[SourceFile] = []
    for raw in items:
        item = os.fspath(raw)
        if item == "-":
            out.append(_stdin())
        elif item.startswith("s3://"):
            out.extend(_expand_s3(item, region, endpoint_override))
        else:
            out.extend(_expand_local(item))
    return out
