"""One generic registry for datasets, models and suites.

Entries may be registered eagerly (``register`` as a decorator) or lazily by import path
(``register_lazy``) so that listing never imports heavy libraries such as torch or scikit-learn.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .errors import UserError


@dataclass
class Entry:
    """One registered object: its canonical name, aliases, metadata and the object (or its path)."""

    name: str
    target: Any  # the object itself, or "package.module:attribute" to import on first use
    aliases: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def load(self) -> Any:
        if isinstance(self.target, str):
            module, _, attr = self.target.partition(":")
            self.target = getattr(importlib.import_module(module), attr)
        return self.target


class Registry:
    """Name -> Entry, with aliases and "did you mean" on a miss."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}

    def _add(self, entry: Entry) -> Entry:
        for key in (entry.name, *entry.aliases):
            if key in self._aliases:
                raise ValueError(f"{self.kind} name {key!r} is registered twice")
            self._aliases[key] = entry.name
        self._entries[entry.name] = entry
        return entry

    def register(self, name: str, *aliases: str, **meta: Any) -> Callable[[Any], Any]:
        """Decorator: ``@REG.register("name", "alias", family="torch")``."""

        def deco(obj: Any) -> Any:
            self._add(Entry(name, obj, tuple(aliases), dict(meta)))
            return obj

        return deco

    def register_lazy(self, name: str, target: str, *aliases: str, **meta: Any) -> Entry:
        """Register ``"module:attr"`` without importing it."""
        return self._add(Entry(name, target, tuple(aliases), dict(meta)))

    def __contains__(self, name: str) -> bool:
        return name in self._aliases

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entry(self, name: str) -> Entry:
        """The entry for ``name`` (or an alias); UserError naming close matches otherwise."""
        key = self._aliases.get(name)
        if key is None:
            close = difflib.get_close_matches(name, list(self._aliases), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UserError(
                f"Unknown {self.kind} {name!r}.{hint} Known {self.kind}s: {', '.join(self.names())}. "
                f"Run `classbench list {self.kind}s` to see them all."
            )
        return self._entries[key]

    def get(self, name: str) -> Any:
        return self.entry(name).load()
