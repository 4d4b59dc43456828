"""Plain-text reports of the audit trail's integrity, in English or Chinese
(``knowledge_base/texts/<lang>/audit.yaml``): the verdict of ``verify``, the protection the
records have (so a reader sees when only hashes could be checked), the anchor, file warnings,
and the keyring's keys (ids and dates, never the keys)."""

from __future__ import annotations

from pathlib import Path

from engine.audit.findings import CHECKED, AnchorStatus, Protection, Report
from engine.audit.keys import Keyring
from knowledge_base import Knowledge

ANCHOR_KINDS = ("truncated", "anchor_mismatch", "anchor_forged", "anchor_unknown_key")


def _verdict(report: Report, kb: Knowledge, lang: str) -> str:
    problem = report.problem
    if problem is None:
        if not report.checked:
            return kb.text("audit.verify.empty", lang)
        clean = kb.text(
            "audit.verify.clean", lang, count=report.checked, snapshots=report.snapshots
        )
        head = kb.text("audit.verify.head", lang, id=report.head_id, hash=report.head_hash)
        return f"{clean}\n{head}"
    kind = kb.text(f"audit.verify.problem.{problem.kind}", lang)
    if problem.record_id is None:
        line = kb.text("audit.verify.broken_snapshot", lang, version=problem.version, problem=kind)
    elif problem.kind in ANCHOR_KINDS:
        line = kb.text("audit.verify.broken_anchor", lang, id=problem.record_id, problem=kind)
    else:
        line = kb.text(
            "audit.verify.broken", lang, count=report.checked, id=problem.record_id, problem=kind
        )
    return f"{line}\n  {problem.detail}"


def _protection(protection: Protection, kb: Knowledge, lang: str) -> str:
    if protection.key_status != CHECKED:
        return kb.text(
            "audit.verify.no_key",
            lang,
            file=protection.key_file,
            unchecked=protection.unchecked,
            hash_only=protection.hash_only,
        )
    keys = kb.text("audit.verify.key_separator", lang).join(
        kb.text("audit.verify.key_count", lang, id=key_id, count=n)
        for key_id, n in protection.by_key.items()
    )
    return kb.text(
        "audit.verify.protection",
        lang,
        hmac=protection.hmac,
        keys=kb.text("audit.verify.by_key", lang, keys=keys) if keys else "",
        hash_only=protection.hash_only,
    )


def _anchor(anchor: AnchorStatus, kb: Knowledge, lang: str) -> list[str]:
    lines = []
    if anchor.appended is not None:
        lines.append(
            kb.text(
                "audit.verify.anchor_held",
                lang,
                created=anchor.created_at,
                id=anchor.last_id,
                count=anchor.count,
                key_id=anchor.key_id,
                appended=anchor.appended,
            )
        )
    if anchor.signature != CHECKED:
        lines.append(kb.text("audit.verify.anchor_unchecked", lang))
    return lines


def render_verify(report: Report, kb: Knowledge, lang: str) -> str:
    """The verdict, then how the records are protected, the anchor and any file warning."""
    lines = [_verdict(report, kb, lang)]
    if report.checked:
        lines.append(_protection(report.protection, kb, lang))
    if report.anchor is not None:
        lines += _anchor(report.anchor, kb, lang)
    lines += [
        kb.text("audit.verify.loose_file", lang, file=w.path, mode=w.mode) for w in report.warnings
    ]
    return "\n".join(lines)


def render_keys(path: Path, keyring: Keyring | None, kb: Knowledge, lang: str) -> str:
    if keyring is None:
        return kb.text("audit.key.none", lang, file=path)
    lines = [kb.text("audit.key.listed", lang, file=path)]
    for i, key in enumerate(keyring.keys):
        status = kb.text("audit.key.active" if i == 0 else "audit.key.retired", lang)
        dates = kb.text("audit.key.created_at", lang, time=key.created or "—")
        if key.retired:
            dates += kb.text("audit.key.retired_at", lang, time=key.retired)
        lines.append(f"  {key.id}  {status}  {dates}")
    return "\n".join(lines)


__all__ = ["render_keys", "render_verify"]
