"""Render a ``Report`` to Markdown: the same sections, plots as PNG files in a folder next to report.md."""

from __future__ import annotations

from typing import Any

from .blocks import Card, Figure, Gallery, Heading, Html, Note, Report, Table
from .images import montage_png


class _Files:
    """Collects the PNGs the Markdown links to, with unique file names."""

    def __init__(self, folder: str):
        self.folder = folder
        self.files: dict[str, bytes] = {}

    def add(self, name: str, png: bytes) -> str:
        base, n = name, 2
        while f"{name}.png" in self.files:
            name, n = f"{base}-{n}", n + 1
        self.files[f"{name}.png"] = png
        return f"{self.folder}/{name}.png"


def render(report: Report, folder: str) -> tuple[str, dict[str, bytes]]:
    """(markdown text, {file name: PNG bytes}); links point into ``folder`` (relative to report.md)."""
    files = _Files(folder)
    out = [f"# {report.title}\n", f"{report.subtitle}\n"]
    if report.partial:
        out.append(f"> **{_esc(report.partial)}**\n")
    out.append("Contents: " + " · ".join(f"[{s.title}](#{s.key})" for s in report.sections) + "\n")
    for s in report.sections:
        out.append(f'<a id="{s.key}"></a>\n\n## {s.title}\n')
        out.extend(_blocks(s.blocks, files))
    return "\n".join(out), files.files


def _blocks(blocks: list[Any], files: _Files) -> list[str]:
    out = []
    for b in blocks:
        if isinstance(b, Card):
            out.append(f"### {b.title}\n")
            out.extend(_blocks(b.blocks, files))
        elif isinstance(b, Figure):
            out.append(f"![{_esc(b.alt)}]({files.add(b.name, b.png)})\n")
        elif isinstance(b, Heading):
            out.append(f"### {b.text}\n")
        elif isinstance(b, Note):
            out.append(("> **Note:** " if b.kind != "info" else "") + _esc(b.text) + "\n")
        elif isinstance(b, Html):
            if b.markdown:
                out.append(b.markdown)
        elif isinstance(b, Table):
            out.append(table(b))
        elif isinstance(b, Gallery):
            out.append(gallery(b, files))
        else:
            raise TypeError(f"unknown report block {type(b).__name__}")
    return out


def table(t: Table) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(_esc(c).replace("|", "\\|") for c in cells) + " |"

    align = ["---:" if i in t.numeric else "---" for i in range(len(t.header))]
    lines = [row(t.header), "|" + "|".join(align) + "|"] + [row([c.text for c in r]) for r in t.rows]
    return "\n".join(lines) + "\n"


def gallery(g: Gallery, files: _Files) -> str:
    images = [i for i in g.items if i.image is not None]
    out = []
    if images:
        path = files.add(g.name, montage_png([i.image for i in images], cols=8))
        out.append(f"![{g.name}]({path})\n")
        out.append("Left to right, top to bottom: " + "; ".join(f"{k + 1}. {_esc(i.caption)}"
                                                                 for k, i in enumerate(images)) + "\n")
    for i in g.items:
        if i.image is None:
            out.append(f"- **{_esc(i.caption)}**: {_esc((i.text or '').replace(chr(10), ' '))}")
    return "\n".join(out) + "\n"


def _esc(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")
