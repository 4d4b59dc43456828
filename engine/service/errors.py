"""The decision service's refusals: an HTTP status, a stable code for programs and a message in
the caller's language (``service.error.*`` texts), always as a JSON body."""

from __future__ import annotations

from typing import Any

from knowledge_base import load_knowledge


class ServiceError(Exception):
    """A refused request: ``key`` is the message's text (``message`` when already worded)."""

    def __init__(
        self, status: int, code: str, key: str, values: dict[str, Any], message: str = ""
    ) -> None:
        super().__init__(message or key)
        self.status, self.code, self.key, self.values, self.message = (
            status,
            code,
            key,
            values,
            message,
        )


def problem_body(exc: ServiceError, lang: str) -> dict[str, Any]:
    message = exc.message or load_knowledge().text(exc.key, lang, **exc.values)
    return {"error": exc.code, "message": message}


__all__ = ["ServiceError", "problem_body"]
