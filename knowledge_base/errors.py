"""Root of the project's exception tree (extended in ``engine.errors``).

Kept here because every layer raises them and ``knowledge_base`` is the bottom layer.

    SalesExpertError              code: str, a stable machine-readable name
    ├── KnowledgeBaseError        a rule or knowledge file is invalid (where, what)
    ├── InputError                a case is invalid (engine.errors; names each field)
    ├── EngineError               inference failed (engine.errors)
    │   ├── RuleExecutionError    a rule's action raised (names the rule)
    │   ├── RuleConflictError     two rules concluded different values of a one-valued topic
    │   └── FiringBudgetExceeded  the rules looped
    └── AuditError                the audit trail failed (engine.audit.errors)
        ├── AuditRequestError     bad request: unknown record, filter, setting, refused decision
        └── AuditUnavailable      the audit database cannot be opened, read or written
"""

from __future__ import annotations


class SalesExpertError(Exception):
    """Any error the product reports on purpose; ``code`` is stable for machines."""

    code = "error"


class KnowledgeBaseError(SalesExpertError):
    """The rule base or knowledge base is invalid; ``where`` names the file or record."""

    code = "knowledge_base_invalid"

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message
