"""A bounded cache for explanation texts shared between consultations."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

CACHE_SIZE = 20_000
"""Cached texts per language and rule base before the cache starts afresh (bounded memory)."""


class TextCache:
    """Texts that depend only on the values they show: many consultations share them.

    ``get`` then ``put`` rather than one call taking a factory: the lookup runs for most
    conclusions of every consultation, and a closure per lookup costs more than the lookup.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._found: dict[Hashable, Any] = {}
        self.get: Callable[[Hashable], Any] = self._found.get
        """The cached value or None: the dict's own lookup, called ~100 times a consultation
        (``put`` empties the same dict, never replaces it)."""

    def __len__(self) -> int:
        return len(self._found)

    def put(self, key: Hashable, value: Any) -> Any:
        if len(self._found) >= self.size:
            self._found.clear()
        self._found[key] = value
        return value
