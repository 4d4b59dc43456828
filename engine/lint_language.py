"""Language checks of ``sales-expert lint``: how the user-facing texts read, in both languages.

Every text a user may see is scanned: rule titles and rationales, the texts of
``knowledge_base/texts/<lang>``, the names and descriptions of parameters, topics, topic values,
formulas, catalogue items, sources and case fields. Placeholders (``{value}``) are left out: what
fills them is checked where it comes from. Checks, by finding kind:

* ``punctuation`` (Chinese): an ASCII comma, colon, semicolon, parenthesis or question mark next
  to a Chinese character (``高频次, 中频次``, ``比例(%)``) — Chinese takes ，：；（）？ and the list
  separator 、. Numbers, formulas between Latin words and codes keep theirs (``3,000``, ``≤ 30``).
* ``phrasing`` (Chinese): the machine-made "X为是" / "X为否" (a flag read as a value), where a
  natural sentence is wanted ("本案例含授信申请"); "被认为是" and "为是否…" are Chinese.
* ``leftover`` (both): ``None``, ``True`` or ``False`` in a sentence, a program value shown as it
  is. In English the word opening a sentence ("None: nothing stands out", "None of them") or
  qualifying a noun ("False scarcity") is English; Chinese never has it.
* ``raw-id`` (both): an identifier inside a sentence: a snake_case name (``credit_decision``), a
  parameter or ``fact.field`` name (``credit.floor``) or, in Chinese, a value id (“good”). File
  names, paths, command-line options and ``code`` in backquotes are code, not ids; so are the
  codes a case field's description lists, and its English form help, which repeats it (they
  document the case format, where values are written as codes). A value of an enumerated
  field with no label (``enum.<field>.<value>``) in a language is one too: every sentence
  showing it would show its id.
* ``credit-term`` (Chinese): credit granted is 授信, its limit 授信额度 — not 信用额度, 赊销额度,
  信用决策… (``CREDIT_TERMS``). 信用 stays for creditworthiness (信用风险, 信用记录, 信用经理).
* ``doubled-label`` (Chinese; both for detail texts): a word written twice in a row (客户客户;
  a colloquial 商量商量 counts too: write it once), a label repeated after its colon
  (风险等级：风险等级), or a detail text opening with a label that repeats the detail label it
  is shown under (``cli.detail.<key>``), which reads "仅为迹象: 仅为迹象：…".

``problems(text, lang)`` is the check of one string, also used on consultation results (the
tests scan every visible string of the examples' results with it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from engine.intake import case_flag_names, literal_ids
from engine.references import Finding
from knowledge_base import Knowledge
from knowledge_base.facts import SECTIONS
from knowledge_base.schema import Text
from rules import RuleBase

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WIDE = "\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u201c\u201d\u2018\u2019"
"""Chinese punctuation: an ASCII mark next to one is in a Chinese sentence too."""
_CJK = f"[{_HAN}{_WIDE}]"
_ASCII_MARK = r"[,:;?()]"
_PUNCTUATION = re.compile(rf"(?<={_CJK})[ \t]*{_ASCII_MARK}|{_ASCII_MARK}(?=[ \t]*{_CJK})")
_WANTED = {",": "，or 、", ":": "：", ";": "；", "?": "？", "(": "（", ")": "）"}

_YES_NO = re.compile(r"(?<![认以])为[是否](?=$|[\s，。；：、！？）)」”』,.;:!?且或而但时])")

_LEFTOVER = re.compile(r"(?<![A-Za-z0-9_])(None|True|False)(?![A-Za-z0-9_])")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)\s*[\"'“‘(]?$")
"""Where an English word is capitalised by the sentence, not by Python."""
_ENGLISH_WORD_AFTER = re.compile(r" (?!(?:and|or|but|nor|is|are|was|then|else)\b)[a-z]{2,}")
"""A lower-case word after it, other than a conjunction or verb: the adjective of a label
("False scarcity"), not a program value ("is None and …")."""

_PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")
_BACKQUOTED = re.compile(r"`[^`]*`")
_CITATION = re.compile(r"\b[A-Z][A-Z-]*\s+§[^\n（）()，。；、：]*")
"""A citation of a seed section (``MKT-CM §Credit/debtor types``): its words are not ids."""
_SNAKE = re.compile(r"(?<![\w./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\.[a-z0-9_]+)*(?![\w/\\-])")
_DOTTED = re.compile(r"(?<![\w./\\-])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?![\w/\\-])")
_WORD = re.compile(r"(?<![A-Za-z0-9_.\-§/])[a-z][a-z0-9]{2,}(?![A-Za-z0-9_\-/])")
_FILE = re.compile(r"\.(?:ya?ml|md|json|csv|txt|py|toml|html|sqlite|db)$")

CREDIT_TERMS: dict[str, str] = {
    "信用额度": "授信额度",
    "赊销额度": "授信额度",
    "信贷额度": "授信额度",
    "信用限额": "授信额度",
    "信用决策": "授信决策",
    "信用决定": "授信决策",
    "信用结论": "授信结论",
    "信用能力": "可授信额度",
    "信用条件": "授信条件",
    "信用态度": "授信态度",
    "信用申请": "授信申请",
}
"""Chinese for credit granted, decided by the glossary: 授信 (the limit 授信额度). 信用 is kept
for creditworthiness and its management (信用风险, 信用记录, 信用管理, 信用经理)."""
_CREDIT_TERM = re.compile("|".join(CREDIT_TERMS))
_GRANTED = "批准|获批|拒绝|冻结|保留|给予|提供|转交"
_CREDIT_GRANTED = re.compile(
    rf"(?:{_GRANTED})(?:了|新的|任何|其|该客户的|对债务人的)*信用(?![风经管记资调状评审信模部敞期])"
    rf"|(?<!商业)信用(?=(?:已|被|仍|有条件地?|仅|未|待|已有条件地)?(?:{_GRANTED}|审核))"
)
"""信用 as the credit granted (冻结信用, 信用已批准): 授信."""

_DOUBLED = re.compile(rf"([{_HAN}]{{2,}})\1")
_LABEL_TWICE = re.compile(rf"(?<![{_HAN}])([{_HAN}]{{2,}})[ \t]*[：:][ \t]*\1")
_LEAD_LABEL = re.compile(r"^\s*([^：:，,。.\s][^：:，,。.]{0,11})[：:]\s")
_LEAD_LABEL_ZH = re.compile(rf"^\s*([{_HAN}]{{2,8}})：")


@dataclass(frozen=True)
class Problem:
    """One language problem in one string: its kind and what is wrong, with an excerpt."""

    kind: str
    message: str


def excerpt(text: str, start: int, end: int, around: int = 10) -> str:
    """The match with a little context either side, as quoted in a finding."""
    left = "…" if start > around else ""
    right = "…" if end + around < len(text) else ""
    return f"{left}{text[max(0, start - around) : end + around]}{right}"


def _masked(text: str, *patterns: re.Pattern[str]) -> str:
    """``text`` with each match blanked to spaces: positions stay, what was there is gone."""
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return text


def known_ids(kb: Knowledge) -> frozenset[str]:
    """Names of parameters, topics, values, formulas, catalogue items and case fields, bare
    and qualified (``credit.floor``, ``customer.annual_purchases``, ``value_tier.high``)."""
    ids: set[str] = set(kb.parameters) | set(kb.formulas) | set(case_flag_names())
    for topic in kb.topics.values():
        ids.add(topic.id)
        ids |= {f"{topic.id}.{v}" for v in topic.value_ids()}
        ids |= set(topic.value_ids())
    for name, entries in kb.catalogues.items():
        ids.add(name)
        ids |= set(entries) | {f"{name}.{e}" for e in entries}
    for section, model in SECTIONS.items():
        ids |= set(model.model_fields) | {f"{section}.{f}" for f in model.model_fields}
    return frozenset(ids)


@functools.cache
def _shipped_ids() -> frozenset[str]:
    from knowledge_base import load_knowledge

    return known_ids(load_knowledge())


def _code_like(text: str, start: int, end: int) -> bool:
    """A token that is part of a file name, a path or an option: code the user types."""
    token = text[start:end]
    before, after = text[max(0, start - 2) : start], text[end : end + 6]
    return bool(_FILE.search(token) or before.endswith("--") or _FILE.match(after))


def _ids(text: str, lang: str, ids: frozenset[str]) -> Iterator[tuple[int, int]]:
    masked = _masked(text, _PLACEHOLDER, _BACKQUOTED, _CITATION)
    found: set[tuple[int, int]] = set()
    for match in _SNAKE.finditer(masked):
        found.add(match.span())
    for match in _DOTTED.finditer(masked):
        if match.group().rstrip(".") in ids:
            found.add(match.span())
    if lang == "zh":  # no English word belongs in a Chinese sentence, least of all a value id
        for match in _WORD.finditer(masked):
            if match.group() in ids and not any(s <= match.start() < e for s, e in found):
                found.add(match.span())
    for start, end in sorted(found):
        if not _code_like(masked, start, end):
            yield start, end


def problems(
    text: str, lang: str, ids: frozenset[str] | None = None, *, codes: bool = False
) -> list[Problem]:
    """Every language problem of one user-facing string in ``lang`` ("en" or "zh"); ``ids``
    are the names a sentence must not show (``known_ids``; by default the shipped base's).
    ``codes``: the text documents the case format, whose values are written as codes
    (``not_done``), so ids are what it must name."""
    ids = frozenset() if codes else _shipped_ids() if ids is None else ids
    found: list[Problem] = []
    plain = _masked(text, _PLACEHOLDER)
    for match in _LEFTOVER.finditer(plain):
        word = match.group()
        if lang == "en" and (
            _SENTENCE_START.search(plain[: match.start()])
            or _ENGLISH_WORD_AFTER.match(plain, match.end())
        ):
            continue  # English: "None: nothing stands out", "avoid = False scarcity"
        found.append(Problem("leftover", f"{word} in {excerpt(text, *match.span())!r}"))
    for start, end in () if codes else _ids(text, lang, ids):
        found.append(Problem("raw-id", f"id {text[start:end]!r} in {excerpt(text, start, end)!r}"))
    if lang != "zh":
        return found
    for match in _PUNCTUATION.finditer(plain):
        mark = match.group().strip()
        found.append(
            Problem(
                "punctuation",
                f"ASCII {mark!r} next to Chinese, use {_WANTED[mark]}: "
                f"{excerpt(text, *match.span())!r}",
            )
        )
    for match in _YES_NO.finditer(plain):
        found.append(
            Problem(
                "phrasing",
                f"'X{match.group()}' reads as a form, say it as a sentence: "
                f"{excerpt(text, *match.span())!r}",
            )
        )
    for match in _CREDIT_TERM.finditer(plain):
        term = match.group()
        found.append(
            Problem(
                "credit-term",
                f"{term} for credit granted, the glossary term is {CREDIT_TERMS[term]}: "
                f"{excerpt(text, *match.span())!r}",
            )
        )
    for match in _CREDIT_GRANTED.finditer(plain):
        found.append(
            Problem(
                "credit-term",
                f"信用 for credit granted, the glossary term is 授信: "
                f"{excerpt(text, *match.span())!r}",
            )
        )
    for pattern, what in ((_LABEL_TWICE, "label repeated"), (_DOUBLED, "word doubled")):
        for match in pattern.finditer(plain):
            found.append(
                Problem(
                    "doubled-label",
                    f"{what} ({match.group(1)}): {excerpt(text, *match.span())!r}",
                )
            )
    return found


def _share_a_word(lead: str, label: str, lang: str) -> bool:
    """Whether two labels say the same thing: a common word (Chinese: two characters)."""
    if lang == "zh":
        pairs = {label[i : i + 2] for i in range(len(label) - 1)}
        return any(lead[i : i + 2] in pairs for i in range(len(lead) - 1))
    words = {w for w in re.findall(r"[a-z]{4,}", label.lower())}
    return bool(words & set(re.findall(r"[a-z]{4,}", lead.lower())))


def lead_label_problem(text: str, label: str, lang: str) -> Problem | None:
    """A detail text shown under ``label`` that opens with the same label again ("仅为迹象:
    仅为迹象：…", "类型混杂: 表现混杂：…"); a text opening with a label of its own that says
    something else (the script step "认同：…" under "话术要点") is fine."""
    lead = (_LEAD_LABEL_ZH if lang == "zh" else _LEAD_LABEL).match(text)
    if lead is None or not _share_a_word(lead.group(1), label, lang):
        return None
    return Problem(
        "doubled-label",
        f"shown under the label {label!r}, it opens with the label {lead.group(1)!r}: "
        f"{excerpt(text, 0, lead.end())!r}",
    )


def visible_texts(rulebase: RuleBase, kb: Knowledge) -> Iterator[tuple[str, str, str]]:
    """(where, language, text) for every user-facing string of the rule base and knowledge."""

    def both(where: str, text: Text) -> Iterator[tuple[str, str, str]]:
        yield where, "en", text.en
        yield where, "zh", text.zh

    for rule in rulebase.rules:
        yield from both(f"{rule.id} title", rule.title)
        yield from both(f"{rule.id} rationale", rule.rationale)
    for lang, texts in sorted(kb.texts.items()):
        for key, value in texts.items():
            yield f"text {lang}/{key}", lang, value
    for param in kb.parameters.values():
        yield from both(f"parameter {param.name} label", param.label)
        yield from both(f"parameter {param.name} description", param.description)
        yield from both(f"parameter {param.name} rationale", param.rationale)
    for topic in kb.topics.values():
        yield from both(f"topic {topic.id} label", topic.label)
        yield from both(f"topic {topic.id} description", topic.description)
        for topic_value in topic.values:
            where = f"topic {topic.id}.{topic_value.id}"
            yield from both(f"{where} label", topic_value.label)
            yield from both(f"{where} description", topic_value.description)
            for key, detail in topic_value.details.items():
                items = detail if isinstance(detail, list) else [detail]
                for index, item in enumerate(items):
                    yield from both(f"{where} details.{key}[{index}]", item)
    for formula in kb.formulas.values():
        yield from both(f"formula {formula.id} text", formula.text)
        yield from both(f"formula {formula.id} description", formula.description)
    for name, entries in kb.catalogues.items():
        for entry in entries.values():
            yield from both(f"catalogue {name}.{entry.id} label", entry.label)
            yield from both(f"catalogue {name}.{entry.id} description", entry.description)
    for source in kb.sources.values():
        yield from both(f"source {source.tag} title", source.title)
    for section, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            where = f"field {section}.{field}"
            if info.description:  # the case format's documentation (``sales-expert batch``)
                yield f"{where} description", "en", info.description
            for lang in ("en", "zh"):
                if isinstance(extra.get(lang), str):
                    yield f"{where} label", lang, str(extra[lang])


def _detail_labels(kb: Knowledge) -> Iterator[tuple[str, str, str, str]]:
    """(where, language, text, label) for texts shown under a detail label of their own: a
    text ``<module>.<key>`` that the advice puts in ``details[<key>]``, labelled by
    ``cli.detail.<key>``."""
    for lang, texts in sorted(kb.texts.items()):
        labels = {
            key.removeprefix("cli.detail."): label
            for key, label in texts.items()
            if key.startswith("cli.detail.")
        }
        for key, value in texts.items():
            module, _, name = key.partition(".")
            if module in ("grading", "credit", "collection", "closing") and name in labels:
                yield f"text {lang}/{key}", lang, value, labels[name]


def enum_label_findings(kb: Knowledge) -> Iterator[Finding]:
    """Every value of an enumerated case field has a label (``enum.<field>.<value>``) in both
    languages: without one, explanations show the value's id (``超期天数趋势属于improving``)."""
    for section, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if extra.get("catalogue"):
                continue  # catalogue items carry their own labels (checked by lint)
            for value in sorted(literal_ids(info.annotation)):
                for lang in sorted(kb.texts):
                    if f"enum.{field}.{value}" not in kb.texts[lang]:
                        yield Finding(
                            "raw-id",
                            f"field {section}.{field}",
                            f"value {value!r} has no {lang} label (text enum.{field}.{value}): "
                            "sentences would show its id",
                        )


def _case_format_doc(where: str) -> bool:
    """A case field's description, and the English form help that repeats it word for word
    (``ui.help.<section>.<field>``): documentation of the case format, naming its codes."""
    return (where.startswith("field ") and where.endswith(" description")) or where.startswith(
        "text en/ui.help."
    )


def language_findings(rulebase: RuleBase, kb: Knowledge) -> Iterator[Finding]:
    """Every language problem of the shipped texts, as lint findings."""
    yield from enum_label_findings(kb)
    ids = known_ids(kb)
    for where, lang, text in visible_texts(rulebase, kb):
        for problem in problems(text, lang, ids, codes=_case_format_doc(where)):
            yield Finding(problem.kind, where, problem.message)
    for where, lang, text, label in _detail_labels(kb):
        lead = lead_label_problem(text, label, lang)
        if lead is not None:
            yield Finding(lead.kind, where, lead.message)
