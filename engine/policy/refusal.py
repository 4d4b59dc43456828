"""Refusals of the policy workbench, in the request's language.

``PolicyError`` is an ``AuditRequestError``: drafts live in the audit database, and the CLI
already exits 2 with the message for every ``AuditRequestError`` (``engine.cli.main``). Each
message names what was wrong and what is allowed; the texts are ``policy.error.<key>`` of
``knowledge_base/texts/<lang>/policy.yaml``.
"""

from __future__ import annotations

from engine.audit.errors import AuditRequestError
from knowledge_base import Knowledge, load_knowledge


class PolicyError(AuditRequestError):
    """A draft or a change the workbench refuses (nothing was stored)."""

    code = "policy_request_refused"


def refuse(key: str, lang: str, kb: Knowledge | None = None, **values: object) -> PolicyError:
    """The error of text ``policy.error.<key>`` filled with ``values``."""
    knowledge = kb or load_knowledge()
    return PolicyError(knowledge.text(f"policy.error.{key}", lang, **values))


__all__ = ["PolicyError", "refuse"]
