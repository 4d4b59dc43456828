"""Credit authority: who may take a final credit decision alone, and when a second approver
with a higher authority must confirm it (``authority.yaml``, the product's own policy).

Typed and validated at load time like the rest of the knowledge base, so a typo stops the
program with the file and field named rather than letting a decision through unchecked.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field, ValidationError

from knowledge_base import read_yaml
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.schema import Strict, Text

AUTHORITY_FILE = Path(__file__).with_name("authority.yaml")


class Level(Strict):
    """One level of authority: a role and the largest limit it grants alone (None: any)."""

    role: str
    own_limit: float | None = Field(default=None, ge=0)
    description: Text


class SecondApproval(Strict):
    """When a decision needs a second approver: credit the rules declined, a limit above a
    multiple of the recommended one (or above the decider's own limit, always)."""

    limit_multiple: float = Field(ge=1)
    decline_override: bool
    description: Text


class Authority(Strict):
    levels: tuple[Level, ...] = Field(min_length=1)
    second_approval: SecondApproval

    def rank(self, role: str) -> int | None:
        """The level of ``role`` from 0 (lowest), None if it takes no credit decision."""
        for index, level in enumerate(self.levels):
            if level.role == role:
                return index
        return None

    def roles(self) -> tuple[str, ...]:
        return tuple(level.role for level in self.levels)


@functools.cache
def load_authority(path: Path = AUTHORITY_FILE) -> Authority:
    try:
        return Authority.model_validate(read_yaml(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(str(path), f"{where}: {first['msg']}") from exc


__all__ = ["Authority", "Level", "SecondApproval", "load_authority"]
