"""Texts one per line: a file per class (``pos.txt``, ``neg.txt``), or fastText's ``__label__X text`` lines.

Both readers return ``Line`` records (label, text, file, line number) and the problems they met, so the
sources can name the file and line of each, or skip them with ``skip_bad=true``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Line:
    label: str
    text: str
    file: Path
    line: int


def read_lines(path: Path, encoding: str, max_bytes: int) -> tuple[list[tuple[int, str]], int, str | None]:
    """((line number, stripped text) of each non-blank line, replaced bytes, why the file is unusable or None)."""
    from ..byo import decode_text

    if path.stat().st_size > max_bytes:
        return [], 0, f"is larger than {max_bytes >> 20} MB"
    raw = path.read_bytes()
    if b"\x00" in raw:
        return [], 0, "is binary (it contains NUL bytes), not a text file"
    text, replaced = decode_text(raw, encoding)
    lines = [(i, t.strip()) for i, t in enumerate(text.splitlines(), 1) if t.strip()]
    return lines, replaced, None if lines else "holds no text (every line is blank)"


def class_files(path: Path, label: str, encoding: str, max_bytes: int) -> tuple[list[Line], int, str | None]:
    """Every non-blank line of ``path`` as one text of class ``label``."""
    lines, replaced, why = read_lines(path, encoding, max_bytes)
    return [Line(label, t, path, i) for i, t in lines], replaced, why


def fasttext_lines(path: Path, encoding: str, prefix: str, max_bytes: int
                   ) -> tuple[list[Line], int, list[tuple[int, str]], str | None]:
    """fastText lines: leading words starting with ``prefix`` are labels, the rest is the text.

    Returns (lines with exactly one label and a text, replaced bytes, (line number, problem) of the others,
    why the whole file is unusable or None).
    """
    lines, replaced, why = read_lines(path, encoding, max_bytes)
    out: list[Line] = []
    bad: list[tuple[int, str]] = []
    for number, text in lines:
        words = text.split()
        k = 0
        while k < len(words) and words[k].startswith(prefix):
            k += 1
        labels = [w[len(prefix):] for w in words[:k]]
        body = " ".join(words[k:])
        if not labels or not all(labels):
            bad.append((number, f"has no label (a leading word {prefix}X)"))
        elif len(labels) > 1:
            bad.append((number, f"has {len(labels)} labels ({', '.join(labels)}); a classifier takes one per text"))
        elif not body:
            bad.append((number, "has a label but no text"))
        else:
            out.append(Line(labels[0], body, path, number))
    return out, replaced, bad, why
