"""The ``awsip`` command line: a thin shell over the public API.

Each sub-command lives in its own module of this package and exposes
``register(subparsers) -> argparse.ArgumentParser``; the parser's ``func`` default is called with
the parsed arguments and returns the exit status. Modules are imported when the parser is built,
so they must not import numpy or pyarrow at module level (``awsip lookup`` stays light).

Exit status (the one table, docs/errors.md; the README repeats it): 0 success; 1 an input,
data or output problem (named on stderr); 2 a usage error; 130 interrupted; 143 terminated
(SIGTERM). Errors are printed
here, once, as ``awsip: error: ...``; commands raise instead of printing them. A command that
fails or is interrupted leaves every existing output file as it was.

``--quiet`` (or ``AWSIP_QUIET=1``) silences :class:`~awsip.errors.RangesWarning` (the bundled
snapshot, stale data) for the run; errors still print.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import TextIO

from ..errors import AwsipError, RangesWarning, UsageError

#: Sub-command modules, in the order ``awsip --help`` lists them.
COMMANDS = ("lookup", "classify", "report", "ranges", "sql", "diff", "history", "info",
            "update")

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


def build_parser() -> argparse.ArgumentParser:
    from ..version import __version__

    parser = argparse.ArgumentParser(
        prog="awsip",
        description="Which AWS service and region owns an IP address; classify and report on "
        "VPC flow logs.",
    )
    parser.add_argument("--version", action="version", version=f"awsip {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(sub)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Print awsip's warnings as one readable line instead of Python's file:line form."""
    print(f"awsip: warning: {message}", file=file or sys.stderr)


#: Sub-commands that use numpy and pyarrow.
_BULK_COMMANDS = ("classify", "report")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is so that files being written are discarded."""


@contextlib.contextmanager
def _terminate_as_interrupt(whole_process: bool) -> Iterator[None]:
    """While a command runs as the whole process, SIGTERM unwinds like Ctrl-C: the atomic writer
    removes its temporary file and every pre-existing output stays as it was (the default
    action would end the process on the spot, leaving the temporary file behind)."""
    import signal
    import threading

    if not whole_process or threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _whole_process_settings(command: str | None) -> contextlib.AbstractContextManager[None]:
    """Choices a command may make only when it is the whole process, for the commands that
    use numpy and pyarrow:

    - numpy's OpenBLAS starts one thread per core that spins for a while at start-up, though
      awsip does no linear algebra (~0.1 s of CPU taken from the reader's and the workers'
      threads); one thread, unless the user set ``OPENBLAS_NUM_THREADS``;
    - pandas stays unimported (see :func:`awsip.arrowutil.pandas_refused`);
    - glibc's allocator keeps freed memory for the next block (:func:`keep_freed_memory`).
    """
    if command not in _BULK_COMMANDS:
        return contextlib.nullcontext()
    if "numpy" not in sys.modules:  # read when numpy is imported
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    keep_freed_memory()
    from ..arrowutil import pandas_refused

    return pandas_refused()


#: glibc mallopt parameters (malloc.h): M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> None:
    """Ask glibc's malloc (numpy's and Python's big buffers) to serve blocks of up to 64 MiB
    from the heap and to keep up to 1 GiB freed there, rather than map fresh pages for each
    block and give them back after it: reading a 1M-record file then touches ~17,000 new pages
    instead of ~115,000 (see docs/performance.md, "Reading flow logs"). Only when the command
    is the whole process; not glibc (macOS, musl) or a refusal: nothing changes."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        mallopt(_M_MMAP_THRESHOLD, 64 << 20)
        mallopt(_M_TRIM_THRESHOLD, 1 << 30)
        mallopt(_M_TOP_PAD, 64 << 20)


def quiet(args: argparse.Namespace) -> bool:
    """``--quiet`` given, or ``AWSIP_QUIET`` set to something other than empty/0/false/no."""
    if getattr(args, "quiet", False):
        return True
    value = os.environ.get("AWSIP_QUIET", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def _broken_pipe() -> int:
    """stdout was closed early (e.g. piped into ``head``): one line, exit 1, no traceback
    (and none at exit, when Python flushes stdout again)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    with contextlib.suppress(OSError, ValueError):
        print("awsip: error: cannot write to stdout: Broken pipe", file=sys.stderr)
    return EXIT_DATA


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``awsip`` console script and ``python -m awsip``.

    ``argv`` None (the default) means the process is the ``awsip`` command and its arguments
    are ``sys.argv``; code calling ``main([...])`` in its own process keeps pyarrow's usual
    behaviour."""
    warnings.showwarning = _show_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _terminate_as_interrupt(argv is None), \
                _whole_process_settings(args.command if argv is None else None), \
                warnings.catch_warnings():
            warnings.showwarning = _show_warning
            if quiet(args):
                warnings.simplefilter("ignore", RangesWarning)
            status: int = args.func(args)
    except UsageError as exc:
        print(f"awsip: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AwsipError as exc:
        print(f"awsip: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except Terminated:
        print("awsip: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("awsip: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _broken_pipe()
    except OSError as exc:
        if exc.errno is None:  # not from the system: a bug, shown in full
            raise
        # the system refused something awsip did not name itself: still one line
        print(f"awsip: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    return status
