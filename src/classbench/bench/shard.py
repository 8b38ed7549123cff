"""``--shard i/n``: one machine's deterministic share of a suite's planned trials (merge them with ``merge.py``)."""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import UserError


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/3"`` -> ``(2, 3)``: the second of three shares (1-based)."""
    if text is None:
        return None
    i, sep, n = str(text).partition("/")
    if not sep or not i.strip().isdigit() or not n.strip().isdigit() or not 1 <= int(i) <= int(n):
        raise UserError(f"--shard {text!r}: write it as I/N with 1 <= I <= N, e.g. --shard 1/3 on the first of "
                        f"three machines, 2/3 on the second and 3/3 on the third; `classbench merge` combines "
                        f"their results databases afterwards.")
    return int(i), int(n)


def shard_label(shard: tuple[int, int] | None) -> str | None:
    return None if shard is None else f"{shard[0]}/{shard[1]}"


def take_shard(trials: Sequence[Any], shard: tuple[int, int] | None) -> list[Any]:
    """Every n-th planned trial starting at the i-th (plan order is fixed by the suite, so every machine
    that plans the same suite agrees on the split; round-robin keeps each share's mix of models alike)."""
    if shard is None:
        return list(trials)
    i, n = shard
    return [t for pos, t in enumerate(trials) if pos % n == i - 1]
