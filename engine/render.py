"""Plain-text rendering of results and the rule list for the command line."""

from __future__ import annotations

from typing import Any

from engine.labels import number
from engine.result import Conclusion, Result
from knowledge_base import Knowledge
from rules import RuleBase


def _detail_lines(conclusion: Conclusion, kb: Knowledge, lang: str) -> list[str]:
    lines: list[str] = []
    c = kb.text("summary.colon", lang)  # "：" in Chinese
    for key, value in conclusion.details.items():
        label = kb.text(f"cli.detail.{key}", lang)
        if key == "formula" and isinstance(value, dict):
            lines.append(f"    {label}{c}{formula_line(value, kb, lang)}")
        elif isinstance(value, list) and not value:
            lines.append(f"    {label}{c}{kb.text('explain.nothing', lang)}")
        elif isinstance(value, list):
            lines.append(f"    {label}{c.rstrip()}")
            lines.extend(f"      {_item(item, kb, lang)}" for item in value)
        else:
            lines.append(f"    {label}{c}{_short(value)}")
    return lines


def formula_line(formula: dict[str, Any], kb: Knowledge, lang: str) -> str:
    """ "contribution = …: annual purchases 2,000,000, gross margin 14 = 180,000", the inputs
    by name (``shown``), the result grouped like every number."""
    separator = kb.text("explain.list_separator", lang)
    inputs = separator.join(formula.get("shown", []))
    result = formula.get("result")
    shown = number(result) if isinstance(result, int | float) else str(result)
    return kb.text("explain.formula", lang, text=formula.get("text"), inputs=inputs, result=shown)


def _short(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _item(item: Any, kb: Knowledge, lang: str) -> str:
    """A list entry: plain text, or a record with ``text`` (and ``rank``/``score`` if ranked),
    such as the credit decision's reasons and what would change it."""
    if not (isinstance(item, dict) and "text" in item):
        return f"- {_short(item)}"
    prefix = f"{item['rank']}." if "rank" in item else "-"
    if isinstance(item.get("score"), int | float):
        prefix += f" [{kb.text('cli.weight', lang)} {item['score']:g}]"
    return f"{prefix} {item['text']}"


def render_conclusion(conclusion: Conclusion, kb: Knowledge, lang: str) -> list[str]:
    rules = ", ".join(conclusion.rules)
    score = ""
    if conclusion.score:
        label = kb.text("cli.score", lang)
        score = kb.text("cli.score_note", lang, label=label, score=f"{conclusion.score:g}")
    colon = kb.text("summary.colon", lang)  # "：" in Chinese
    lines = [
        f"■ {conclusion.topic_label}{colon}{conclusion.label}{score}  "
        f"[{kb.text('cli.rules', lang)} {rules}]"
    ]
    lines += _detail_lines(conclusion, kb, lang)
    lines.append(f"    {kb.text('cli.how', lang)}{colon.rstrip()}")
    lines += [f"      {i}. {step.text}" for i, step in enumerate(conclusion.how, 1)]
    if conclusion.why_not:
        lines.append(f"    {kb.text('cli.why_not', lang)}{colon.rstrip()}")
        lines += [f"      - {w.label}{colon}{w.rule} {w.failed}" for w in conclusion.why_not]
    return lines


def render_result(result: Result, customer: str, kb: Knowledge) -> str:
    lang = result.lang
    lines = [kb.text("cli.header", lang, customer=customer, version=result.ruleset_version), ""]
    final = [c for c in result.conclusions if not c.intermediate]
    derived = [c for c in result.conclusions if c.intermediate]
    if not result.conclusions:
        lines.append(kb.text("cli.no_conclusions", lang))
    for conclusion in final:
        lines += [*render_conclusion(conclusion, kb, lang), ""]
    if derived:
        lines.append(kb.text("cli.intermediate", lang) + ":")
        colon = kb.text("summary.colon", lang)
        lines += [f"  {c.topic_label}{colon}{c.label} [{', '.join(c.rules)}]" for c in derived]
    return "\n".join(lines)


def render_summary(result: Result, customer: str, kb: Knowledge) -> str:
    """What to read first: per module the answer, why, the path to better, the next step."""
    lang = result.lang
    lines = [kb.text("cli.header", lang, customer=customer, version=result.ruleset_version)]
    if not result.summary:
        lines += ["", kb.text("cli.no_conclusions", lang)]
    colon = kb.text("summary.colon", lang)  # "：" in Chinese
    for part in result.summary:
        lines += ["", f"■ {part.title}{colon}{part.headline}"]
        for key, items in (("reasons", part.reasons), ("path", part.path)):
            if items:
                lines.append(f"  {kb.text(f'summary.{key}', lang)}{colon.rstrip()}")
                lines += [f"    - {item}" for item in items]
        if part.next_step:
            lines.append(f"  {kb.text('summary.next', lang)}{colon}{part.next_step}")
    return "\n".join(lines)


def render_rules(rulebase: RuleBase, lang: str) -> str:
    rows = [(r.id, r.module, r.title.get(lang), "; ".join(r.sources)) for r in rulebase.rules]
    width = max((len(r[2]) for r in rows), default=10)
    return "\n".join(f"{i:<7} {m:<10} {t:<{width}}  {s}" for i, m, t, s in rows)
