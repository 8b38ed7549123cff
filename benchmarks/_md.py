"""Shared by the benchmark scripts: replace one named section of BENCHMARKS.md, keeping the others."""

from __future__ import annotations

import os
import platform
import re
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
HEADER = """# Benchmarks

Every table below is written by a script in `benchmarks/`; the command that produced it and the
machine it ran on are given with it. Re-run a script to refresh its section; other sections stay.
"""


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")


def relative(value: str) -> str:
    """An absolute path (or a ``:``-separated list of them) as seen from the repository root, so that
    BENCHMARKS.md never names one machine's folders (``../shared/datasets``, not ``/home/me/shared/datasets``)."""
    if os.sep not in value:
        return value
    parts = value.split(os.pathsep)
    return os.pathsep.join(os.path.relpath(p, ROOT) if os.path.isabs(p) else p for p in parts)


def command() -> str:
    env = " ".join(f"{k}={shlex.quote(relative(os.environ[k]))}" for k in ("CLASSBENCH_DATA",) if k in os.environ)
    rel = os.path.relpath(sys.argv[0], ROOT)
    args = [shlex.quote(relative(a)) for a in sys.argv[1:]]
    return " ".join(filter(None, [env, ".venv/bin/python", rel, *args]))


def update_section(name: str, title: str, body: str) -> None:
    """Write ``body`` as section ``name`` (between HTML comment markers) of BENCHMARKS.md."""
    block = (f"<!-- section:{name} -->\n## {title}\n\nCommand: `{command()}`  \nMachine: {machine()}\n\n"
             f"{body.strip()}\n<!-- /section:{name} -->")
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    tmp = BENCHMARKS.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, BENCHMARKS)
    print(block)
