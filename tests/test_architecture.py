"""The shape of the code: no import cycle in awsip, and the command line stays a thin shell.

The layer contracts themselves are import-linter's (``lint-imports``, run by ``.ci/run``, from
``[tool.importlinter]`` in pyproject.toml); these tests check what a layers contract cannot.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grimp

SRC = Path(__file__).resolve().parent.parent / "src" / "awsip"


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("awsip", exclude_type_checking_imports=True)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.find_modules_directly_imported_by(v)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b"]]


def _code_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines()
               if line.strip() and not line.strip().startswith("#"))


def test_the_command_line_is_a_thin_shell_over_the_library() -> None:
    everything = sum(_code_lines(p) for p in SRC.rglob("*.py"))
    cli = sum(_code_lines(p) for p in (SRC / "cli").rglob("*.py"))
    assert cli / everything <= 0.12, f"cli/ is {cli / everything:.1%} of src/awsip"


def test_no_function_is_long_unless_its_docstring_says_why() -> None:
    """Over 60 lines a function should be split into named steps, or say why it is not."""
    long: list[str] = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                if length > 60 and "one piece because" not in doc:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({length})")
    assert long == []


def _radon_functions(blocks: list[Any]) -> Iterator[Any]:
    """Every function and method in radon's blocks, nested ones included (a class's methods are
    also listed on their own, so some come twice)."""
    from radon.visitors import Class  # type: ignore[import-untyped]

    for block in blocks:
        if isinstance(block, Class):
            yield from _radon_functions(block.methods + block.inner_classes)
        else:
            yield block
            yield from _radon_functions(block.closures)


def test_no_function_is_complex_unless_its_docstring_says_why() -> None:
    """Radon grade D (cyclomatic complexity over 20) and worse should be split, or say why not."""
    from radon.complexity import cc_visit  # type: ignore[import-untyped]

    complex_: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        docs = {node.lineno: ast.get_docstring(node) or "" for node in ast.walk(ast.parse(text))
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for block in _radon_functions(cc_visit(text)):
            if block.complexity > 20 and "one piece because" not in docs[block.lineno]:
                complex_.add(f"{path.relative_to(SRC)}:{block.lineno} {block.fullname} "
                             f"({block.complexity})")
    assert sorted(complex_) == []


def test_the_complexity_check_sees_methods_and_nested_functions() -> None:
    from radon.complexity import cc_visit

    branches = "".join(f"    if x == {i}:\n        pass\n" for i in range(20))
    code = (f"def top(x):\n{branches}"
            "class C:\n    def method(self):\n        def inner():\n            pass\n"
            "    class D:\n        def deep(self):\n            pass\n")
    found = {b.fullname: b.complexity for b in _radon_functions(cc_visit(code))}
    assert found == {"top": 21, "C.method": 1, "inner": 1, "D.deep": 1}
