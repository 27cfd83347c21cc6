"""The driver shared by the harnesses: libFuzzer through atheris, or a plain-Python replay.

A harness imports awsip inside :func:`instrumented` and ends with ``main(TestOneInput)``.
With atheris installed, ``python fuzz/fuzz_X.py [libFuzzer flags] [corpus dirs]`` fuzzes
(``-runs=0`` replays the corpus once, instrumented). Without atheris, with ``--replay`` or
with ``AWSIP_FUZZ_PLAIN=1``, the same command replays every file named (directories
recursively) through ``TestOneInput`` in plain Python, prints a traceback per failing input
and exits 1 if any failed; libFuzzer flags (``-x=y``) are ignored then.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import os
import pkgutil
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

TestOneInput = Callable[[bytes], None]


def _plain() -> bool:
    if os.environ.get("AWSIP_FUZZ_PLAIN") == "1" or "--replay" in sys.argv[1:]:
        return True
    return importlib.util.find_spec("atheris") is None


PLAIN = _plain()


#: Modules left uninstrumented: atheris 3.0 keeps the result of every comparison it traces
#: when that is not a bool, so instrumented numpy code leaks each array a comparison makes.
#: The bulk index compares arrays of 16M entries (the DIR-24-8 table) each time it is built:
#: instrumented, the ranges harness grew by ~50 MB a second (2.2 GB in 40 s; 220 MB steady
#: with it left out); the bulk parser and the engine leaked ~40 KB per address input (180 MB
#: to 640 MB in four minutes). Their code is numpy kernels, where line coverage tells
#: libFuzzer little; the scalar parser and index, which the bulk side is compared with, stay
#: instrumented.
UNTRACED = ["awsip.index.bulk", "awsip.addr.columns", "awsip.classification.engine",
            "awsip.arrowutil"]


@contextlib.contextmanager
def instrumented() -> Iterator[None]:
    """Instrument the awsip modules (and the checks) imported inside the block, and every
    other awsip module too: awsip imports many of its modules lazily, inside functions, and
    a module first imported outside this block would give libFuzzer no coverage."""
    if PLAIN:
        yield
        return
    import atheris

    with atheris.instrument_imports(include=["awsip", "checks", "oracle"], exclude=UNTRACED):
        yield
        import awsip

        for module in pkgutil.walk_packages(awsip.__path__, "awsip."):
            importlib.import_module(module.name)


def inputs(paths: list[str]) -> Iterator[Path]:
    """The files named, directories expanded recursively in sorted order."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


def replay(test_one_input: TestOneInput, paths: list[str]) -> int:
    """Run ``test_one_input`` on every input file; the number that failed."""
    failed = total = 0
    for path in inputs(paths):
        total += 1
        try:
            test_one_input(path.read_bytes())
        except Exception:
            failed += 1
            print(f"FAIL {path}", file=sys.stderr)
            traceback.print_exc()
    print(f"replayed {total} inputs, {failed} failed", file=sys.stderr)
    return failed


def main(test_one_input: TestOneInput) -> None:
    """Fuzz with atheris, or replay (see the module doc)."""
    warnings.simplefilter("ignore")  # awsip's warnings are outcomes, not failures
    # Never the network nor the user's cache (awsip.default_ranges: the bundled snapshot). One
    # directory for every run and fork-mode job: libFuzzer ends processes without Python's
    # exit handlers, so anything made per process would pile up.
    os.environ["AWSIP_OFFLINE"] = "1"
    os.environ["AWSIP_CACHE_DIR"] = os.path.join(tempfile.gettempdir(),
                                                 f"awsip-fuzz-cache-{os.getuid()}")
    if not PLAIN:
        warm_up(test_one_input)
    run = collecting(test_one_input)
    if PLAIN:
        paths = [a for a in sys.argv[1:] if not a.startswith("-")]
        if not paths:
            sys.exit(f"usage: {sys.argv[0]} --replay FILE_OR_DIR...")
        sys.exit(1 if replay(run, paths) else 0)
    import atheris

    atheris.Setup([_relauncher(), *sys.argv[1:]], run)
    atheris.Fuzz()


def warm_up(test_one_input: TestOneInput) -> None:
    """Run the harness's seed corpus (``corpus/<name>`` for ``fuzz_<name>.py``) once, failures
    ignored, so that what awsip imports lazily (pyarrow's CSV and Parquet readers, gzip...) is
    loaded before :func:`collecting` freezes it out of the collections: unfrozen, those
    modules' objects made each collection cost ~10 ms, twice the work of an input."""
    seeds = Path(__file__).resolve().parent / "corpus" / Path(sys.argv[0]).stem.removeprefix(
        "fuzz_")
    for path in inputs([str(seeds)] if seeds.is_dir() else []):
        with contextlib.suppress(Exception):
            test_one_input(path.read_bytes())


def collecting(test_one_input: TestOneInput) -> TestOneInput:
    """``test_one_input`` followed by a garbage collection.

    A ``Ranges`` and its views form reference cycles (the scalar index points back at its
    Ranges), so each publication parsed, with its bulk index, stays in memory until the cycle
    collector runs, which counts objects, not bytes (measured: 584 MB after 21 runs of one
    small publication, 135 MB after a collection). What exists before fuzzing starts (the
    fixed publications, the modules :func:`warm_up` loaded) is frozen out of the
    collections, so each is quick."""
    gc.freeze()

    def run(data: bytes) -> None:
        try:
            test_one_input(data)
        finally:
            gc.collect()

    return run


def _relauncher() -> str:
    """An executable that runs this harness with this interpreter: libFuzzer starts
    ``argv[0]`` again for ``-minimize_crash=1``, ``-merge=1`` and ``-fork=N``, which needs no
    activated virtual environment then. Its name depends only on the interpreter and the
    script, so every run and job shares one (rewritten atomically, never removed: a running
    fork-mode parent starts each new job with it)."""
    import hashlib
    import shlex

    script = Path(sys.argv[0]).resolve()
    text = f"#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(script))} \"$@\"\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    name = os.path.join(tempfile.gettempdir(), f"awsip-{script.stem}-{os.getuid()}-{digest}.sh")
    if not os.path.exists(name):
        fd, part = tempfile.mkstemp(prefix=".awsip-relaunch-", dir=os.path.dirname(name))
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(part, 0o755)
        os.replace(part, name)
    return name
