"""What the benchmarks that time fresh processes share: awsip's modules compiled to bytecode.

``pip install`` compiles a package's modules when it installs them, so an installed awsip
starts from ``.pyc`` files. A source checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (as on the
benchmark machines) would instead compile its ~80 modules again in every fresh process, about
0.12-0.15 s each time (cProfile: ``builtins.compile``, 77 calls). :func:`compile_awsip`
writes the ``.pyc`` files once (``__pycache__`` is git-ignored), so a timed child process
imports awsip as an installed one would.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_awsip() -> Path:
    """Compile the awsip package the benchmark imports; its directory."""
    import awsip

    root = Path(awsip.__file__).resolve().parent
    if not compileall.compile_dir(str(root), quiet=1):
        raise SystemExit(f"could not compile {root} to bytecode")
    return root
