"""Directory walks and globs: each file once, no hang on link loops, FIFOs and broken links
skipped with a warning, unreadable directories reported, explicit FIFOs still read."""

from __future__ import annotations

import errno
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from awsip import read_flow_logs
from awsip.errors import FlowLogError, FlowLogWarning
from awsip.flowlogs.paths import SkippedPath, expand
from flowlog_factory import record, text, write

T = TypeVar("T")
GUARD_SECONDS = 60  # a hang guard, not a timing assertion: a working walk takes milliseconds

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
needs_links = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


def finishes(fn: Callable[[], T]) -> T:
    """``fn()`` run in a daemon thread; the test fails instead of hanging if it never returns."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(GUARD_SECONDS)
    if thread.is_alive():
        pytest.fail(f"still running after {GUARD_SECONDS}s: a loop or a blocking open")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def paths(source: Any, **kw: Any) -> list[str]:
    return finishes(lambda: [f.path for f in expand(source, **kw)])


@pytest.fixture
def caught() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield seen


def flow_warnings(seen: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in seen if issubclass(w.category, FlowLogWarning)]


def log(path: Path, *byte_counts: int) -> Path:
    return write(path, text([record(bytes=b) for b in byte_counts]), gz=False)


# ---------------------------------------------------------------- links and loops


@needs_links
def test_a_double_star_glob_through_two_nested_link_loops_reads_each_file_once(
        tmp_path: Path) -> None:
    d = tmp_path / "d"
    log(d / "top.log", 1)
    log(d / "a" / "b" / "f.log", 2)
    log(d / ".git" / "hidden.log", 3)
    (d / "a" / "to_d").symlink_to("..")  # a/to_d -> d
    (d / "a" / "b" / "to_a").symlink_to("..")  # a/b/to_a -> a, inside the first loop
    found = paths(str(d / "**" / "*.log"))
    assert found == [str(d / "a" / "b" / "f.log"), str(d / "top.log")]
    walked = paths(str(d / "**"))  # '**' alone: its directories, each walked
    assert walked == [str(d / "top.log"), str(d / "a" / "b" / "f.log")]


@needs_links
def test_a_directory_walk_follows_links_to_directories_and_ends_on_loops(
        tmp_path: Path) -> None:
    archive = tmp_path / "archive" / "2026"
    log(archive / "03" / "x.log", 1)
    log(archive / "03" / "_tmp" / "partial.log", 2)
    log(archive / "03" / ".y.log", 3)
    log(archive / "top.log", 4)
    (archive / "03" / "again").symlink_to("../..")  # a loop back to archive/
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "2026").symlink_to(archive)
    found = paths(logs)
    assert found == [str(logs / "2026" / "top.log"), str(logs / "2026" / "03" / "x.log")]


@needs_links
def test_the_same_file_reached_through_links_globs_and_arguments_is_kept_once(
        tmp_path: Path) -> None:
    d = tmp_path / "d"
    a = log(d / "real" / "a.log", 1)
    (d / "l1").symlink_to("real")
    (d / "l2").symlink_to("real")
    (d / "copy.log").symlink_to(a)
    os.link(a, d / "hard.log")
    assert paths(str(d / "*" / "a.log")) == [str(d / "l1" / "a.log")]
    assert paths([d / "real", a, str(d / "l2" / "a.log")]) == [str(a)]
    assert paths(d) == [str(d / "copy.log")]
    assert paths([a, a]) == [str(a)]


@needs_links
def test_the_reader_gives_each_record_once_through_loops_and_links(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    a = write(logs / "a.log.gz", text([record(bytes=1), record(bytes=2)]))
    (logs / "again").symlink_to(".")
    (tmp_path / "alias").symlink_to("logs")
    (tmp_path / "copy.log.gz").symlink_to(a)
    for source in (tmp_path, str(tmp_path / "**" / "*.gz"), [logs, tmp_path]):
        table = finishes(lambda s=source: read_flow_logs(s, progress=False).read_all())
        assert sorted(table.column("bytes").to_pylist()) == [1, 2], source


# ---------------------------------------------------------------- not regular files


@needs_fifo
def test_a_fifo_inside_a_directory_is_skipped_with_a_warning_and_counted(
        tmp_path: Path, caught: list[warnings.WarningMessage]) -> None:
    log(tmp_path / "a.log", 7)
    os.mkfifo(tmp_path / "pipe")
    skipped: list[SkippedPath] = []
    table = finishes(lambda: read_flow_logs(tmp_path, progress=False).read_all())
    assert table.column("bytes").to_pylist() == [7]
    assert paths(tmp_path, skipped=skipped) == [str(tmp_path / "a.log")]
    assert skipped == [SkippedPath(str(tmp_path / "pipe"), "not a regular file (a FIFO)")]
    assert flow_warnings(caught)[-1] == (f"skipped {tmp_path / 'pipe'}: not a regular file "
                                         "(a FIFO); name it explicitly to read it")
    assert paths(str(tmp_path / "*")) == [str(tmp_path / "a.log")]


@needs_fifo
def test_a_directory_or_glob_with_only_a_fifo_is_an_error_naming_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.warns(FlowLogWarning), \
            pytest.raises(FlowLogError, match=r"no readable flow-log file.*pipe: not a regular"):
        paths(tmp_path)
    with pytest.warns(FlowLogWarning), \
            pytest.raises(FlowLogError, match=r"no readable files match .*pipe: not a regular"):
        paths(str(tmp_path / "p*"))


def _feed(fifo: str, data: bytes) -> threading.Thread:
    """A writer for ``fifo`` in a thread, as a shell's process substitution has one."""
    def run() -> None:
        try:
            with open(fifo, "wb") as out:
                out.write(data)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@needs_fifo
def test_a_fifo_named_explicitly_is_read_like_process_substitution(tmp_path: Path) -> None:
    fifo = str(tmp_path / "pipe")
    os.mkfifo(fifo)
    writer = _feed(fifo, text([record(bytes=5), record(bytes=6)]))
    try:
        (source,) = finishes(lambda: expand(fifo))
        assert source.size is None
        table = finishes(lambda: read_flow_logs(fifo, progress=False).read_all())
        assert table.column("bytes").to_pylist() == [5, 6]
    finally:
        if writer.is_alive():  # the reader never opened it: let the writer's open return
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(GUARD_SECONDS)


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="no /dev/fd on this platform")
def test_a_dev_fd_pipe_is_read_as_named() -> None:
    r, w = os.pipe()
    try:
        os.write(w, text([record(bytes=8)]))
        os.close(w)
        w = -1
        table = finishes(lambda: read_flow_logs(f"/dev/fd/{r}", progress=False).read_all())
        assert table.column("bytes").to_pylist() == [8]
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


@needs_links
def test_broken_links_and_link_loops_in_a_directory_are_skipped_with_a_warning(
        tmp_path: Path, caught: list[warnings.WarningMessage]) -> None:
    d = tmp_path / "d"
    a = log(d / "a.log", 1)
    (d / "dead.log").symlink_to(tmp_path / "nowhere.log")
    (d / "self.log").symlink_to("self.log")
    skipped: list[SkippedPath] = []
    assert paths(d, skipped=skipped) == [str(a)]
    assert skipped == [
        SkippedPath(str(d / "dead.log"),
                    f"broken symbolic link (to {str(tmp_path / 'nowhere.log')!r})"),
        SkippedPath(str(d / "self.log"), "symbolic link loop"),
    ]
    messages = flow_warnings(caught)
    assert messages[0].startswith(f"skipped {d / 'dead.log'}: broken symbolic link")
    assert messages[0].endswith("fix or remove the link")
    assert paths(str(d / "*.log")) == [str(a)]
    with pytest.raises(FlowLogError, match=r"no such file or directory.*broken symbolic link"):
        paths(d / "dead.log")


def test_a_file_gone_between_listing_and_stat_is_skipped_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caught: list[warnings.WarningMessage]) -> None:
    a = log(tmp_path / "a.log", 1)
    gone = str(log(tmp_path / "b.log", 2))
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kw: Any) -> os.stat_result:
        if os.fspath(path) == gone:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", gone)
        return real_stat(path, *args, **kw)

    monkeypatch.setattr(os, "stat", stat)
    skipped: list[SkippedPath] = []
    assert paths(tmp_path, skipped=skipped) == [str(a)]
    assert skipped == [SkippedPath(gone, "vanished before it could be read")]
    assert flow_warnings(caught) == [f"skipped {gone}: vanished before it could be read; it "
                                     "was removed while its directory was being read"]


# ---------------------------------------------------------------- unreadable directories


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """``os.scandir`` of ``denied`` fails as a mode-000 directory does (for root too)."""
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == str(denied):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_subdirectory_is_reported_by_walks_and_globs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caught: list[warnings.WarningMessage]) -> None:
    x = log(tmp_path / "a" / "x.log", 1)
    log(tmp_path / "b" / "y.log", 2)
    _deny(monkeypatch, tmp_path / "b")
    denied = SkippedPath(str(tmp_path / "b"), "directory could not be read (Permission denied)")
    for source in (tmp_path, str(tmp_path / "**" / "*.log"), str(tmp_path / "*" / "*.log")):
        skipped: list[SkippedPath] = []
        assert paths(source, skipped=skipped) == [str(x)], source
        assert skipped == [denied], source
    assert flow_warnings(caught)[0] == (
        f"skipped {tmp_path / 'b'}: directory could not be read (Permission denied); its "
        "files were not read; fix its permissions or name the files explicitly")
    with pytest.raises(FlowLogError, match=r"no files match .*\(skipped 1: .*b: directory"):
        paths(str(tmp_path / "b" / "*.log"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_mode_000_subdirectory_is_reported(tmp_path: Path) -> None:
    x = log(tmp_path / "a" / "x.log", 1)
    log(tmp_path / "b" / "y.log", 2)
    (tmp_path / "b").chmod(0)
    try:
        try:
            os.listdir(tmp_path / "b")
        except PermissionError:
            pass
        else:  # root (CAP_DAC_READ_SEARCH): the monkeypatched test above covers the report
            pytest.skip("this user can read mode-000 directories (root)")
        skipped: list[SkippedPath] = []
        with pytest.warns(FlowLogWarning, match="directory could not be read"):
            assert paths(tmp_path, skipped=skipped) == [str(x)]
        assert [s.path for s in skipped] == [str(tmp_path / "b")]
    finally:
        (tmp_path / "b").chmod(0o755)
