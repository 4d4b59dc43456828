"""Errors of the audit trail (part of the tree documented in ``knowledge_base.errors``).

AuditError             the audit trail could not do what was asked
├── AuditRequestError  the request is wrong: unknown record, bad filter, refused decision,
│                      bad setting (the CLI exits 2)
└── AuditUnavailable   the audit database cannot be opened, read or written (exit 1)
"""

from __future__ import annotations

from knowledge_base.errors import SalesExpertError


class AuditError(SalesExpertError):
    code = "audit_error"


class AuditRequestError(AuditError):
    """What was asked cannot be done as asked; the message names the field and the problem."""

    code = "audit_bad_request"


class AuditUnavailable(AuditError):
    """The database failed (not reachable, locked too long, newer schema…)."""

    code = "audit_unavailable"


__all__ = ["AuditError", "AuditRequestError", "AuditUnavailable"]
