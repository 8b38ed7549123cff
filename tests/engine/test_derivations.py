"""docs/derivations.md points at real code and tests: every `file: function` `[eq:tag]` reference names a
function that contains the tagged line, every referenced test exists, and every tag in the engine is
documented."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "derivations.md"
SRC = ROOT / "src" / "classbench"


def _functions(path: pathlib.Path) -> dict[str, tuple[int, int]]:
    tree = ast.parse(path.read_text())
    return {n.name: (n.lineno, n.end_lineno) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _code_refs(text: str):
    """(file, function, [tags]) for every `engine/...py: function` followed by one or more `[eq:tag]`."""
    pattern = re.compile(r"`(engine/[\w/]+\.py): (\w+)`((?:,? `\[eq:[\w-]+\]`)*)")
    for m in pattern.finditer(text):
        yield m.group(1), m.group(2), re.findall(r"\[eq:([\w-]+)\]", m.group(3))


def test_code_references_resolve():
    text = DOC.read_text()
    refs = list(_code_refs(text))
    assert len(refs) >= 20, "the derivations should point at the code for every equation"
    documented = set()
    for file, func, tags in refs:
        path = SRC / file
        assert path.exists(), f"{file} does not exist"
        funcs = _functions(path)
        assert func in funcs, f"{file} has no function {func}"
        lines = path.read_text().splitlines()
        lo, hi = funcs[func]
        for tag in tags:
            hits = [i + 1 for i, line in enumerate(lines) if f"[eq:{tag}]" in line]
            assert hits, f"tag [eq:{tag}] not found in {file}"
            assert any(lo <= h <= hi for h in hits), f"[eq:{tag}] is in {file} but not inside {func}"
            documented.add(tag)
    in_code = {t for p in (SRC / "engine").rglob("*.py") for t in re.findall(r"\[eq:([\w-]+)\]", p.read_text())}
    assert in_code <= documented, f"tagged lines missing from the derivations: {sorted(in_code - documented)}"


def test_test_references_resolve():
    refs = re.findall(r"`(tests/engine/\w+\.py)::(\w+)`", DOC.read_text())
    assert len(refs) >= 15
    for file, name in refs:
        path = ROOT / file
        assert path.exists(), f"{file} does not exist"
        if name not in _functions(path):
            pytest.fail(f"{file} has no test {name}")
