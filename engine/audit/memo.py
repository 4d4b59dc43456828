"""The credit memo: what a credit committee files for one recorded credit consultation.

A print-ready HTML document in English or Chinese (``knowledge_base/texts/<lang>/memo.yaml``).
It is built from the audit record alone, so it can be printed years later and still says what
was decided then: the customer, the request, the recommendation (decision, limit, term,
conditions, risk) with its principal reasons and what would change it, the rule-base and
product versions, who asked when, and the manager's final decision or blank lines to sign.

Why the choices:

- *Self-contained and escaped* (``engine.audit.memo_html``): inline CSS, no scripts, fonts,
  images or links, so a filed copy opens the same offline and cannot call anywhere; every text
  goes through ``html.escape``, since ids, names, reasons and actors are typed by people.
- *Values from the record, labels from its rule base*: the decision, limit and terms are the
  recorded conclusions, labelled by the recorded rule base's topics; the memo's own texts and
  the case fields' labels come from today's knowledge base (an old snapshot has no memo texts).
- *Reasons worked out again*: the audit keeps conclusions and the trace but not the derived
  reasons and "what would change it" (``records.compact_result``); they are regenerated from
  the recorded case under the recorded rule base, in the memo's language, and shown only when
  that run gives the recorded decision again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.audit.authority import FINAL, open_proposal, standing, status
from engine.audit.decisions import DECISION_TOPIC, LIMIT_TOPIC, TERM_TOPIC, recommendation
from engine.audit.errors import AuditRequestError
from engine.audit.memo_html import document, e, items, para, section, table
from engine.audit.records import AuditRecord
from engine.audit.snapshots import load_snapshot, snapshot_engine
from engine.audit.store import AuditStore
from engine.labels import field_label, field_unit, number, topic_value_label, value_label
from knowledge_base import Knowledge, load_knowledge
from knowledge_base.errors import SalesExpertError
from knowledge_base.facts import SECTIONS

LANGS = ("en", "zh")
CONDITION_TOPIC = "credit_condition"
RISK_LEVEL_TOPIC = "risk_level"
RISK_SCORE_TOPIC = "risk_score"
PRICING_TOPICS = (
    "expected_days_outstanding",
    "financing_cost",
    "collection_referral",
    "amount_to_collect",
)
"""Further credit conclusions a committee prices in or acts on, shown when concluded."""
CUSTOMER_FIELDS = ("id", "name", "nature")
FREE_TEXT = ("id", "name")
"""Customer fields shown as typed (never looked up as labels)."""
REQUEST_FIRST = ("requested_amount", "requested_term_days")


@dataclass(frozen=True)
class Memo:
    """Everything one memo shows, gathered once; ``details`` are the ``credit_decision``
    details worked out again (None when they could not be)."""

    record: AuditRecord
    case: dict[str, Any]
    values: dict[str, list[Any]]
    details: dict[str, Any] | None
    decisions: list[AuditRecord]
    kb: Knowledge
    recorded: Knowledge
    lang: str

    def text(self, key: str, **values: object) -> str:
        return self.kb.text(f"memo.{key}", self.lang, **values)

    def known(self, key: str, fallback: str) -> str:
        """The memo text ``key``, or ``fallback`` (a recorded value) when there is none."""
        found = self.kb.text(f"memo.{key}", self.lang)
        return fallback if found == f"memo.{key}" else found

    def one(self, topic: str) -> Any:
        found = self.values.get(topic)
        return found[0] if found else None


def credit_memo_html(store: AuditStore, record_id: int, lang: str = "en") -> str:
    """The credit memo of consultation ``record_id`` as one HTML document.

    Raises ``AuditRequestError`` (in ``lang``) when the record does not exist, is a final
    decision, or concluded no credit decision; ``AuditUnavailable`` when the database fails."""
    kb = load_knowledge()
    if lang not in LANGS:
        raise AuditRequestError(kb.text("memo.error.language", "en", language=lang))
    record = credit_consultation(store, record_id, kb, lang)
    payload = record.payload or {}
    version = record.ruleset_version
    snapshot = store.snapshot(version)
    _, recorded, _ = load_snapshot(version, snapshot)
    values: dict[str, list[Any]] = {}
    for conclusion in payload["result"]["conclusions"]:
        values.setdefault(conclusion["topic"], []).append(conclusion["value"])
    memo = Memo(
        record=record,
        case=payload["case"],
        values=values,
        details=_worked_out_again(record, snapshot, lang),
        decisions=store.decisions_for(record.id),
        kb=kb,
        recorded=recorded,
        lang=lang,
    )
    return render(memo)


def credit_consultation(store: AuditStore, record_id: int, kb: Knowledge, lang: str) -> AuditRecord:
    """The record, if it is a consultation that concluded a credit decision."""
    try:
        record = store.get(record_id)
    except AuditRequestError as exc:
        raise AuditRequestError(kb.text("memo.error.no_record", lang, id=record_id)) from exc
    if record.kind != "consultation":
        key = "memo.error.decision_record" if record.kind == "decision" else "outcomes.memo_record"
        raise AuditRequestError(kb.text(key, lang, id=record.id, ref=record.ref_id))
    if recommendation((record.payload or {}).get("result", {})) is None:
        raise AuditRequestError(kb.text("memo.error.not_credit", lang, id=record.id))
    return record


def _worked_out_again(record: AuditRecord, snapshot: str, lang: str) -> dict[str, Any] | None:
    """The credit decision's details from re-running the recorded case under its rule base
    (``snapshot``), or None if that no longer runs or no longer gives the recorded decision."""
    try:
        engine = snapshot_engine(record.ruleset_version, snapshot)
        rerun = engine.consult((record.payload or {})["case"], lang=lang)
    except SalesExpertError:  # e.g. the input schema changed and the case no longer validates
        return None
    found = rerun.conclusion(DECISION_TOPIC)
    if found is None or str(found.value) != record.decision:
        return None
    return found.details


# -- values as people read them -----------------------------------------------------------


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _with_unit(memo: Memo, value: float | int, unit: str | None) -> str:
    shown = number(value)
    if not unit or unit == "%":  # a sign, read the same in both languages, written close up
        return shown + (unit or "")
    label = memo.known(f"unit.{unit}", "")
    return memo.text("with_unit", value=shown, unit=label) if label else shown


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _field_value(memo: Memo, section: str, field: str, value: Any) -> str:
    if _is_number(value):
        return _with_unit(memo, value, field_unit(section, field))
    return value_label(section, field, value, memo.kb, memo.lang)


def _topic_value(memo: Memo, topic_id: str, value: Any) -> str:
    if value is None:
        return memo.text("none")
    if _is_number(value):
        topic = memo.recorded.topics.get(topic_id)
        return _with_unit(memo, value, topic.unit if topic else None)
    return topic_value_label(topic_id, value, memo.recorded, memo.lang)


def _topic_label(memo: Memo, topic_id: str) -> str:
    topic = memo.recorded.topics.get(topic_id) or memo.kb.topics.get(topic_id)
    return topic.label.get(memo.lang) if topic else topic_id


def _time(memo: Memo, stamp: str) -> str:
    return memo.text("time", time=stamp[:19].replace("T", " "))


def _who(memo: Memo, record: AuditRecord) -> str:
    return memo.text(
        "asker", actor=record.actor, role=memo.known(f"role.{record.role}", record.role)
    )


# -- the sections -------------------------------------------------------------------------


def _customer(memo: Memo) -> str:
    customer = memo.case.get("customer") or {}
    rows = [
        (
            _cap(field_label("customer", f, memo.kb, memo.lang)),
            str(v) if f in FREE_TEXT else _field_value(memo, "customer", f, v),
        )
        for f in CUSTOMER_FIELDS
        if (v := customer.get(f)) is not None
    ]
    return section(memo.text("section.customer"), table(rows))


def _request(memo: Memo) -> str:
    """The request first, then every other credit input that was given, in the form's order
    (the stored case's keys are sorted), two to a row to keep the memo short."""
    credit = memo.case.get("credit") or {}
    model = SECTIONS.get("credit")
    fields = [*(model.model_fields if model else ()), *sorted(credit)]
    order = list(dict.fromkeys([*REQUEST_FIRST, *fields]))
    rows = [
        (_cap(field_label("credit", f, memo.kb, memo.lang)), _field_value(memo, "credit", f, v))
        for f in order
        if (v := credit.get(f)) is not None
    ]
    shown = table(rows, "facts pairs", per_row=2) if rows else para(memo.text("none"))
    return section(memo.text("section.request"), shown)


def _decision(memo: Memo) -> str:
    """The recommended decision with its meaning, limit and terms, conditions and risk."""
    decision = memo.one(DECISION_TOPIC)
    topic = memo.recorded.topics.get(DECISION_TOPIC)
    meaning = topic.value(str(decision)) if topic else None
    verdict = memo.text(
        "labelled",
        label=memo.text("field.decision"),
        value=_topic_value(memo, DECISION_TOPIC, decision),
    )
    parts = [para(verdict, "verdict")]
    if meaning is not None:
        parts.append(para(meaning.description.get(memo.lang)))
    score = memo.one(RISK_SCORE_TOPIC)
    rows = [
        (memo.text("field.limit"), _topic_value(memo, LIMIT_TOPIC, memo.one(LIMIT_TOPIC))),
        (memo.text("field.term"), _topic_value(memo, TERM_TOPIC, memo.one(TERM_TOPIC))),
        (
            memo.text("field.risk_level"),
            _topic_value(memo, RISK_LEVEL_TOPIC, memo.one(RISK_LEVEL_TOPIC)),
        ),
        (memo.text("field.risk_score"), _topic_value(memo, RISK_SCORE_TOPIC, score)),
    ]
    rows += [
        (_topic_label(memo, t), _topic_value(memo, t, memo.one(t)))
        for t in PRICING_TOPICS
        if memo.one(t) is not None
    ]
    parts += [table(rows), f"<h3>{e(memo.text('field.conditions'))}</h3>", _conditions(memo)]
    return section(memo.text("section.decision"), *parts)


def _conditions(memo: Memo) -> str:
    found = memo.values.get(CONDITION_TOPIC) or []
    if not found:
        return para(memo.text("no_conditions"))
    topic = memo.recorded.topics.get(CONDITION_TOPIC)
    lines = []
    for value in found:
        label = _topic_value(memo, CONDITION_TOPIC, value)
        meaning = topic.value(str(value)) if topic else None
        description = meaning.description.get(memo.lang) if meaning else ""
        lines.append(memo.text("labelled", label=label, value=description) if meaning else label)
    return items(lines)


def _reasons(memo: Memo) -> str:
    title = memo.text("section.reasons")
    version = memo.record.ruleset_version
    if memo.details is None:
        return section(title, para(memo.text("not_regenerated", version=version)))
    found = memo.details.get("reasons") or []
    body = items([str(r["text"]) for r in found], ordered=True) if found else ""
    return section(
        title,
        body or para(memo.text("no_reasons")),
        para(memo.text("regenerated", version=version), "note"),
    )


def _changes(memo: Memo) -> str:
    """``path_to_better``: the cheapest sets of changes to a better decision, or the plain
    statement that none is within reach; absent for the best decision (the memo's re-run
    always searches, so absent never means "not searched" here)."""
    title = memo.text("section.changes")
    if memo.details is None:
        return section(title, para(memo.text("not_searched")))
    path = memo.details.get("path_to_better")
    if path is None:
        return section(title, para(memo.text("best_already")))
    if not path["proposals"]:
        return section(title, para(str(path["text"])))
    return section(title, items([str(p["text"]) for p in path["proposals"]]))


def _record(memo: Memo) -> str:
    record = memo.record
    rows = [
        (memo.text("field.record_id"), str(record.id)),
        (memo.text("field.asked_by"), _who(memo, record)),
        (memo.text("field.channel"), memo.known(f"channel.{record.channel}", record.channel)),
        (memo.text("field.asked_at"), _time(memo, record.created_at)),
        (memo.text("field.ruleset_version"), record.ruleset_version),
        (memo.text("field.product_version"), record.product_version),
        (memo.text("field.hash"), record.hash),
    ]
    return section(memo.text("section.record"), table(rows))


def _final(memo: Memo) -> str:
    """The last final decision (the one that stands), or blank lines to sign."""
    title = memo.text("section.final")
    last = standing(memo.decisions)
    if last is None:
        return section(title, para(memo.text("final_none")), *_waiting(memo), _signatures(memo))
    payload = last.payload or {}
    term = payload.get("term_days")
    rows = [
        (
            memo.text("field.final_decision"),
            _topic_value(memo, DECISION_TOPIC, payload.get("decision")),
        ),
        (memo.text("field.final_limit"), _topic_value(memo, LIMIT_TOPIC, payload.get("limit"))),
        (
            memo.text("field.final_term"),
            memo.text("none") if term is None else _with_unit(memo, term, "days"),
        ),
        (
            memo.text("field.override"),
            memo.kb.text(f"explain.bool.{str(bool(payload.get('override'))).lower()}", memo.lang),
        ),
    ]
    if payload.get("reason"):
        rows.append((memo.text("field.reason"), str(payload["reason"])))
    rows += _deciders(memo, last)
    rows.append((memo.text("field.decision_record"), str(last.id)))
    count = len([d for d in memo.decisions if status(d) == FINAL])
    extra = para(memo.text("final_count", count=count), "note") if count > 1 else ""
    return section(title, table(rows), extra)


def _deciders(memo: Memo, last: AuditRecord) -> list[tuple[str, str]]:
    """Who decided and when; for a decision a second approver confirmed, who proposed it."""
    payload = last.payload or {}
    if "confirms" not in payload:
        return [
            (memo.text("field.decided_by"), _who(memo, last)),
            (memo.text("field.decided_at"), _time(memo, last.created_at)),
        ]
    return [
        (memo.text("field.decided_by"), str(payload.get("proposed_by"))),
        (memo.text("field.confirmed_by"), _who(memo, last)),
        (memo.text("field.confirmed_at"), _time(memo, last.created_at)),
        (memo.text("field.second_reason"), str(payload.get("second_reason"))),
    ]


def _waiting(memo: Memo) -> list[str]:
    """A proposal waiting for a second approver, as a note above the lines to sign."""
    proposal = open_proposal(memo.decisions)
    if proposal is None:
        return []
    second = (proposal.payload or {})["second"]
    role = memo.known(f"role.{second['role']}", second["role"])
    note = memo.text("final_waiting", id=proposal.id, actor=proposal.actor, role=role)
    return [para(note, "note")]


def _signatures(memo: Memo) -> str:
    keys = ("decision", "limit", "term", "manager", "date", "committee", "date")
    rows = [(memo.text(f"sign.{key}"), "") for key in keys]
    return para(memo.text("sign.intro")) + table(rows, "sign")


def render(memo: Memo) -> str:
    """The whole document: header, the sections in reading order, footer."""
    customer_id = (memo.case.get("customer") or {}).get("id", "")
    stamp = _time(memo, memo.record.created_at)
    subtitle = memo.text("subtitle", id=memo.record.id, time=stamp)
    body = "\n".join(
        [
            f"<header><h1>{e(memo.text('title'))}</h1>{para(subtitle, 'subtitle')}</header>",
            _customer(memo),
            _request(memo),
            _decision(memo),
            _reasons(memo),
            _changes(memo),
            _record(memo),
            _final(memo),
            f"<footer>{e(memo.text('footer'))}</footer>",
        ]
    )
    title = f"{memo.text('title')} {customer_id} #{memo.record.id}"
    return document(memo.lang, title, body)


__all__ = ["Memo", "credit_consultation", "credit_memo_html", "render"]
