"""Turn a ``source`` argument (paths, directories, globs, ``-``, ``s3://``) into files to read."""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from ..errors import FlowLogError, FlowLogWarning
from .cwlogs import is_cwlogs, log_group_opener
from .s3 import ListingStats, Selection, list_s3, s3_filesystem

if TYPE_CHECKING:
    from .options import ReaderOptions

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


@dataclass(frozen=True)
class SkippedPath:
    """A path found by a directory walk or a glob but not read, and why (``reason``: a short
    phrase such as ``"not a regular file (a FIFO)"``); for warnings and the reader's stats."""

    path: str
    reason: str


_Key: TypeAlias = tuple[int, int] | str  # (st_dev, st_ino), or the real path where st_ino is 0
_SPECIAL = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
_UNREADABLE_DIR = "its files were not read; fix its permissions or name the files explicitly"


def _key(path: str, st: os.stat_result) -> _Key:
    """What identifies a file or directory however it is reached (links, hard links)."""
    return (st.st_dev, st.st_ino) if st.st_ino else os.path.realpath(path)


def _hidden(name: str) -> bool:
    """Names a directory walk leaves out (dot files, ``_SUCCESS``-style markers)."""
    return name.startswith((".", "_"))


def _kind(mode: int) -> str:
    """What a non-regular, non-directory file is, for messages."""
    return next((name for test, name in _SPECIAL if test(mode)), "not a file or a directory")


def _opener(path: str) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")


class _Expansion:
    """The state of one :func:`expand` call: the files kept so far (each once, by identity),
    the directories already walked (so links and loops enter each once), and what was skipped
    (reported once per path, as a warning and in the caller's ``skipped`` list)."""

    def __init__(self, sink: list[SkippedPath] | None, select: Selection | None = None,
                 listing: ListingStats | None = None) -> None:
        self.select = select or Selection()
        self.listing = listing if listing is not None else ListingStats()
        self.files: list[SourceFile] = []
        self.skipped: list[SkippedPath] = []
        self._sink = sink
        self._seen: set[_Key] = set()
        self._walked: set[_Key] = set()
        self._reported: set[str] = set()

    def wanted(self, path: str) -> bool:
        """Whether a file found by a walk or glob can hold what ``select`` asks, by its AWS
        file name (as for S3 objects, :meth:`Selection.verdict`); counted in ``listing``."""
        if not self.select.active:
            return True
        self.listing.selective = True
        self.listing.listed += 1
        reason = self.select.verdict(path.replace(os.sep, "/"))
        if reason is None:
            self.listing.selected += 1
            return True
        name = f"skipped_by_{reason}"
        setattr(self.listing, name, getattr(self.listing, name) + 1)
        return False

    def add_file(self, path: str, st: os.stat_result) -> None:
        """Keep ``path`` unless the same file was already kept (then drop it: nothing is lost)."""
        key = _key(path, st)
        if key not in self._seen:
            self._seen.add(key)
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
            self.files.append(SourceFile(path, size, _opener(path)))

    def add_remote(self, files: Iterable[SourceFile]) -> None:
        """Keep S3 objects not already kept (by URL)."""
        for f in files:
            if f.path not in self._seen:
                self._seen.add(f.path)
                self.files.append(f)

    def first_visit(self, path: str, st: os.stat_result) -> bool:
        """Whether the directory ``path`` is walked now: False when it was already entered."""
        key = _key(path, st)
        if key in self._walked:
            return False
        self._walked.add(key)
        return True

    def skip(self, path: str, reason: str, advice: str) -> None:
        """Report ``path`` as not read: in the list and as a :class:`FlowLogWarning`."""
        if path in self._reported:
            return  # the same directory met again by a later step of a glob
        self._reported.add(path)
        entry = SkippedPath(path, reason)
        self.skipped.append(entry)
        if self._sink is not None:
            self._sink.append(entry)
        warnings.warn(f"skipped {path}: {reason}; {advice}", FlowLogWarning, stacklevel=2)

    def skip_special(self, path: str, st: os.stat_result) -> None:
        kind = _kind(st.st_mode)
        advice = ("a socket cannot be read as a file" if stat.S_ISSOCK(st.st_mode)
                  else "name it explicitly to read it")
        self.skip(path, f"not a regular file ({kind})", advice)

    def summary(self, since: int = 0) -> str:
        """`` (skipped N: path: reason; ...)`` for the skips from index ``since``, or ``""``."""
        recent = self.skipped[since:]
        if not recent:
            return ""
        shown = "; ".join(f"{s.path}: {s.reason}" for s in recent[:3])
        more = f"; and {len(recent) - 3} more" if len(recent) > 3 else ""
        return f" (skipped {len(recent)}: {shown}{more})"


def _stat(path: str, ctx: _Expansion) -> os.stat_result | None:
    """``os.stat(path)`` (following links), or None with the failure reported as a skip: a
    broken link, a link loop, a file removed since its directory was listed."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            ctx.skip(path, "symbolic link loop",
                     "its chain of links leads back to itself; fix or remove it")
        elif exc.errno in (errno.ENOENT, errno.ENOTDIR) and os.path.islink(path):
            ctx.skip(path, f"broken symbolic link (to {_readlink(path)!r})",
                     "its target does not exist; fix or remove the link")
        elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
            ctx.skip(path, "vanished before it could be read",
                     "it was removed while its directory was being read")
        else:
            ctx.skip(path, f"could not be read ({exc.strerror or exc})",
                     "fix its permissions or name it explicitly")
        return None


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _scan(directory: str, ctx: _Expansion, *, quiet_missing: bool) -> list[os.DirEntry[str]]:
    """The entries of ``directory`` sorted by name; [] when it cannot be listed, reported as a
    skip (so an unreadable subdirectory is never passed over in silence). A path that is
    missing or not a directory is reported only when ``quiet_missing`` is false."""
    try:
        with os.scandir(directory or os.curdir) as it:
            return sorted(it, key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        if not quiet_missing:
            ctx.skip(directory, "directory vanished before it could be read", _UNREADABLE_DIR)
    except OSError as exc:
        ctx.skip(directory, f"directory could not be read ({exc.strerror or exc})",
                 _UNREADABLE_DIR)
    return []


def _walk(top: str, top_stat: os.stat_result, ctx: _Expansion) -> None:
    """Keep every regular file below ``top`` in sorted order, a directory's files before its
    subdirectories' (as ``os.walk`` top-down), names starting with ``.`` or ``_`` left out.
    Links to directories are followed, but a directory already entered is not entered again,
    so a link loop ends; FIFOs, devices, broken links and unreadable directories are skipped."""
    if not ctx.first_visit(top, top_stat):
        return
    stack = [top]
    while stack:
        directory = stack.pop()
        subdirs: list[str] = []
        for entry in _scan(directory, ctx, quiet_missing=False):
            if _hidden(entry.name):
                continue
            path = os.path.join(directory, entry.name)
            st = _stat(path, ctx)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                if ctx.first_visit(path, st):
                    subdirs.append(path)
            elif stat.S_ISREG(st.st_mode):
                if ctx.wanted(path):
                    ctx.add_file(path, st)
            else:
                ctx.skip_special(path, st)
        stack.extend(reversed(subdirs))


def _split_pattern(pattern: str) -> tuple[str, list[str]]:
    """A glob's literal leading directory and its remaining parts (empty parts dropped)."""
    drive, rest = os.path.splitdrive(pattern)
    seps = os.sep + (os.altsep or "")
    root = drive + (os.sep if rest and rest[0] in seps else "")
    parts = [p for p in re.split(f"[{re.escape(seps)}]", rest) if p]
    n = next((i for i, p in enumerate(parts) if _GLOB_CHARS.search(p)), len(parts))
    return os.path.join(root, *parts[:n]), parts[n:]


def _dirs_below(tops: list[str], ctx: _Expansion) -> list[str]:
    """What ``**`` matches: each of ``tops`` and every directory below it (names starting with
    ``.`` left out, as in :mod:`glob`), following links but entering each directory once, so
    a link loop neither repeats matches nor runs on (``glob.glob`` follows loops until ELOOP:
    one loop repeats every file 41 times, two nested loops take exponential time)."""
    seen: set[_Key] = set()
    out: list[str] = []
    for top in tops:
        stack = [top]
        while stack:
            directory = stack.pop()
            try:
                st = os.stat(directory or os.curdir)
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode) or _key(directory, st) in seen:
                continue
            seen.add(_key(directory, st))
            out.append(directory)
            entries = _scan(directory, ctx, quiet_missing=True)
            stack.extend(os.path.join(directory, e.name) for e in reversed(entries)
                         if not e.name.startswith(".") and _is_dir(e))
    return out


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _glob(pattern: str, ctx: _Expansion) -> list[str]:
    """The paths matching ``pattern``, sorted and distinct: ``glob.glob(recursive=True)``'s
    rules (``**`` as a whole part matches any depth of directories; a name starting with
    ``.`` only by a part starting with ``.``), matched one part at a time with
    :func:`fnmatch.filter`, with ``**`` as :func:`_dirs_below`. A directory that cannot be
    listed on the way is reported."""
    base, parts = _split_pattern(pattern)
    paths = [base]
    for part in parts:
        if part == "**":
            paths = _dirs_below(paths, ctx)
        elif _GLOB_CHARS.search(part):
            paths = [os.path.join(d, name) for d in paths
                     for name in _matching(d, part, ctx)]
        else:
            paths = [p for p in (os.path.join(d, part) for d in paths) if os.path.lexists(p)]
    return sorted({p or os.curdir for p in paths})


def _matching(directory: str, part: str, ctx: _Expansion) -> list[str]:
    """The names in ``directory`` matching one wildcard part of a glob."""
    names = [e.name for e in _scan(directory, ctx, quiet_missing=True)
             if part.startswith(".") or not e.name.startswith(".")]
    return fnmatch.filter(names, part)


def _expand_glob(pattern: str, ctx: _Expansion) -> None:
    """Keep what ``pattern`` matches: files, and directories walked. A glob that matches
    nothing, or only things skipped, is an error that says what was skipped."""
    since = len(ctx.skipped)
    matches = _glob(pattern, ctx)
    if not matches:
        raise FlowLogError(f"no files match {pattern!r}{ctx.summary(since)}")
    readable = False
    for path in matches:
        st = _stat(path, ctx)
        if st is None:
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk(path, st, ctx)
        elif stat.S_ISREG(st.st_mode):
            if ctx.wanted(path):
                ctx.add_file(path, st)
        else:
            ctx.skip_special(path, st)
            continue
        readable = True
    if not readable:
        raise FlowLogError(f"no readable files match {pattern!r}{ctx.summary(since)}")


def _expand_local(item: str, ctx: _Expansion) -> None:
    """A local argument: a directory is walked; any other existing path is read as named,
    FIFOs included (``awsip report <(zcat x.gz)`` passes ``/dev/fd/63``); else a glob."""
    try:
        st = os.stat(item)
    except OSError as exc:
        if _GLOB_CHARS.search(item):
            _expand_glob(item, ctx)
            return
        raise FlowLogError(_missing(item, exc)) from None
    if stat.S_ISDIR(st.st_mode):
        _walk(item, st, ctx)
    elif stat.S_ISSOCK(st.st_mode):
        raise FlowLogError(f"cannot read {item!r}: it is a socket, not a file")
    else:
        ctx.add_file(item, st)


def _missing(item: str, exc: OSError) -> str:
    """Why an explicit argument cannot be read."""
    if exc.errno == errno.ELOOP:
        return f"cannot read {item!r}: symbolic link loop"
    if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
        return f"cannot read {item!r}: {exc.strerror or exc}"
    if os.path.islink(item):
        return (f"no such file or directory: {item!r} (a broken symbolic link to "
                f"{_readlink(item)!r})")
    return f"no such file or directory: {item!r}"


def _stdin() -> SourceFile:
    return SourceFile("-", None, lambda: sys.stdin.buffer)


def _expand_s3(url: str, fs_of: Callable[[], Any], sel: Selection,
               listing: ListingStats) -> list[SourceFile]:
    """The objects under ``url`` that can hold what ``sel`` asks (see :mod:`.s3`)."""
    s3 = fs_of()

    def make(path: str, size: int | None) -> SourceFile:
        return SourceFile(
            "s3://" + path, size,
            lambda: s3.open_input_stream(path, compression=None),
            lambda: s3.open_input_file(path),
        )

    return [make(i.path, i.size) for i in list_s3(url, s3, sel, listing)]


def _filesystem(region: str | None, endpoint_override: str | None) -> Callable[[], Any]:
    """One S3 filesystem for every ``s3://`` argument of a call, made when first needed."""
    made: list[Any] = []

    def get() -> Any:
        if not made:
            made.append(s3_filesystem(region, endpoint_override))
        return made[0]

    return get


def expand(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    region: str | None = None,
    endpoint_override: str | None = None,
    skipped: list[SkippedPath] | None = None,
    select: Selection | None = None,
    listing: ListingStats | None = None,
    options: ReaderOptions | None = None,
) -> list[SourceFile]:
    """Every file named by ``source``, in order: directories recursively (sorted, hidden and
    ``_``-prefixed names skipped, links to directories followed), globs sorted, ``-`` for stdin,
    ``s3://bucket/prefix``, ``cwlogs://LOG_GROUP`` (:mod:`.cwlogs`: one stream of the group's
    events; ``options`` gives its time window, format and progress). Each file is kept once, at
    the first path that reaches it (through links, overlapping arguments or globs); later paths
    to it are dropped silently. What a walk or glob finds but cannot read (FIFOs, devices,
    sockets, broken links, link loops, unreadable directories, files gone since listed) is
    appended to ``skipped`` and warned about (:class:`FlowLogWarning`); an explicit argument is
    read as named, a FIFO too. ``select``: for ``s3://`` prefixes, list and keep only objects
    whose delivery path and name can hold its records, accounts and regions (:mod:`.s3`);
    files found by walks and globs are kept by their AWS file name the same way; counted in
    ``listing``. Raises :class:`FlowLogError` when nothing readable is left but
    something was skipped or left out by ``select``, the message saying what."""
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not items:
        raise FlowLogError("no flow-log source given")
    sel = select or Selection()
    listing = listing if listing is not None else ListingStats()
    ctx = _Expansion(skipped, sel, listing)
    fs_of = _filesystem(region, endpoint_override)
    for raw in items:
        item = os.fspath(raw)
        if item == "-":
            ctx.files.append(_stdin())
        elif item.startswith("s3://"):
            ctx.add_remote(_expand_s3(item, fs_of, sel, listing))
        elif is_cwlogs(item):
            ctx.add_remote([SourceFile(item, None, log_group_opener(
                item, region=region, endpoint_url=endpoint_override, options=options))])
        else:
            _expand_local(item, ctx)
    if not ctx.files and ctx.skipped:
        names = ", ".join(repr(os.fspath(i)) for i in items)
        raise FlowLogError(f"no readable flow-log file in {names}{ctx.summary()}")
    if not ctx.files and sel.active and (listing.listings or listing.skipped):
        names = ", ".join(repr(os.fspath(i)) for i in items)
        raise FlowLogError(
            f"no object in {names} can hold flow-log records {sel.describe()} "
            f"({listing.describe()}); widen --since/--until or check --account and "
            "--flow-log-region")
    return ctx.files
