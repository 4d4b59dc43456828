"""Rule graphs as Graphviz DOT text, for people to follow how rules chain.

- ``firing_dot``: the firings of one consultation (or only the chain behind one conclusion)
  from the input values through the rules and the facts they concluded, with actual values.
- ``network_dot``: the rule base itself, per module: input sections → rules → topics → rules …,
  or the same with the rules collapsed (``overview``) for a picture that fits on a screen.

The DOT is plain text (no graphviz library needed): the front end renders it in the browser.
Labels are in the requested language; every label is escaped, so any text is safe.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.labels import field_label, topic_value_label, value_label
from engine.trace import TraceStep
from knowledge_base import Knowledge
from knowledge_base.schema import MODULES
from rules import Rule

INPUT_STYLE = 'shape=ellipse, style=filled, fillcolor="#fff3cd"'
RULE_STYLE = 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"'
FACT_STYLE = 'shape=box, style=filled, fillcolor="#e6f4ea"'
FOREIGN_STYLE = 'shape=box, style="filled,dashed", fillcolor="#f1f3f4"'
TARGET_STYLE = 'shape=box, style="filled,bold", fillcolor="#ceead6", penwidth=2'
WRAP = {"en": 30, "zh": 16}
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_TOKENS = re.compile(f"[{_CJK}]|[^{_CJK}]+")


def quote(text: str) -> str:
    """A DOT string literal: quotes and backslashes escaped, line breaks as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def wrap(text: str, lang: str) -> str:
    """Break a long label into lines (by width in English, by characters in Chinese)."""
    width = WRAP.get(lang, WRAP["en"])
    if lang != "zh":
        return "\n".join(textwrap.wrap(text, width)) or text
    lines, line = [], ""
    for token in _TOKENS.findall(text):  # one CJK character, or a run of anything else
        if line and len(line) + len(token) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    return "\n".join([*lines, line.rstrip()]) if line else "\n".join(lines) or text


class Dot:
    """A small DOT builder: nodes by id (first style wins unless forced), edges deduplicated."""

    def __init__(self, rankdir: str = "LR") -> None:
        self.rankdir = rankdir
        self.nodes: dict[str, tuple[str, str]] = {}
        self.edges: dict[tuple[str, str], None] = {}

    def node(self, node_id: str, label: str, style: str, force: bool = False) -> None:
        if force or node_id not in self.nodes:
            self.nodes[node_id] = (label, style)

    def edge(self, tail: str, head: str) -> None:
        self.edges[(tail, head)] = None

    def render(self) -> str:
        lines = [
            "digraph rules {",
            f"  rankdir={self.rankdir};",
            '  node [fontname="sans-serif", fontsize=11];',
            '  edge [color="#5f6368"];',
        ]
        for node, (label, style) in self.nodes.items():
            lines.append(f"  {quote(node)} [label={quote(label)}, {style}];")
        lines += [f"  {quote(a)} -> {quote(b)};" for a, b in self.edges]
        return "\n".join([*lines, "}"])


def _rule_label(rule: Rule | None, rule_id: str, lang: str) -> str:
    title = rule.title.get(lang) if rule else ""
    return f"{rule_id}\n{wrap(title, lang)}" if title else rule_id


def _fact_label(topic: str, value: Any, kb: Knowledge, lang: str) -> str:
    known = kb.topics.get(topic)
    name = known.label.get(lang) if known else topic
    return wrap(f"{name} = {topic_value_label(topic, value, kb, lang)}", lang)


def _fact_id(topic: str, value: Any) -> str:
    return f"fact:{topic}={value}"


def _concluded(step: TraceStep) -> list[tuple[str, Any]]:
    return [(a.topic, a.value) for a in (*step.asserted, *step.confirmed)]


def chain_steps(trace: Sequence[TraceStep], topic: str, value: Any) -> list[TraceStep]:
    """The firings a conclusion rests on: those concluding it and, recursively, the firings
    that concluded each derived fact they matched (earlier in the trace), in firing order."""
    producers: dict[tuple[str, str], list[TraceStep]] = {}
    for step in trace:
        for concluded in _concluded(step):
            producers.setdefault((concluded[0], str(concluded[1])), []).append(step)
    wanted = {s.seq: s for s in producers.get((topic, str(value)), [])}
    pending = list(wanted.values())
    while pending:
        step = pending.pop()
        for matched in step.matched:
            if "value" not in matched.values:
                continue
            key = (matched.fact, str(matched.values["value"]))
            for parent in producers.get(key, []):
                if parent.seq < step.seq and parent.seq not in wanted:
                    wanted[parent.seq] = parent
                    pending.append(parent)
    return [wanted[seq] for seq in sorted(wanted)]


def _input_label(fact: str, field: str, value: Any, kb: Knowledge, lang: str) -> str:
    shown = value_label(fact, field, value, kb, lang)
    return wrap(f"{field_label(fact, field, kb, lang)} = {shown}", lang)


def firing_dot(
    trace: Sequence[TraceStep],
    rules: Mapping[str, Rule],
    kb: Knowledge,
    lang: str,
    target: tuple[str, Any] | None = None,
) -> str:
    """The firings as a graph: input values → rules → concluded facts → rules …

    With ``target`` (topic, value) only the chain behind that conclusion, which is marked.
    """
    steps = chain_steps(trace, *target) if target else list(trace)
    dot = Dot()
    for step in steps:
        rule_node = f"rule:{step.rule}"
        dot.node(rule_node, _rule_label(rules.get(step.rule), step.rule, lang), RULE_STYLE)
        for matched in step.matched:
            if matched.fact in kb.topics:
                value = matched.values.get("value")
                node = _fact_id(matched.fact, value)
                dot.node(node, _fact_label(matched.fact, value, kb, lang), FACT_STYLE)
                dot.edge(node, rule_node)
                continue
            for field, value in matched.values.items():
                node = f"input:{matched.fact}.{field}={value}"
                dot.node(node, _input_label(matched.fact, field, value, kb, lang), INPUT_STYLE)
                dot.edge(node, rule_node)
        for topic, value in _concluded(step):
            node = _fact_id(topic, value)
            dot.node(node, _fact_label(topic, value, kb, lang), FACT_STYLE)
            dot.edge(rule_node, node)
    if target is not None and steps:
        node = _fact_id(*target)
        dot.node(node, _fact_label(*target, kb, lang), TARGET_STYLE, force=True)
    return dot.render()


def _section_label(fact: str, kb: Knowledge, lang: str) -> str:
    key = f"graph.section.{fact}"
    text = kb.text(key, lang)
    return fact if text == key else text


def _topic_node(dot: Dot, topic: str, kb: Knowledge, lang: str, module: str | None) -> str:
    known = kb.topics.get(topic)
    node = f"topic:{topic}"
    label = wrap(known.label.get(lang) if known else topic, lang)
    foreign = known is None or (module is not None and known.module != module)
    dot.node(node, label, FOREIGN_STYLE if foreign else FACT_STYLE)
    return node


def _read_node(dot: Dot, fact: str, kb: Knowledge, lang: str, module: str | None) -> str:
    if fact in kb.topics:
        return _topic_node(dot, fact, kb, lang, module)
    node = f"input:{fact}"
    dot.node(node, _section_label(fact, kb, lang), INPUT_STYLE)
    return node


def network_dot(
    rules: Iterable[Rule],
    kb: Knowledge,
    lang: str,
    module: str | None = None,
    overview: bool = False,
) -> str:
    """How the rules of ``module`` (all if None) chain: what each reads and concludes.

    Input sections are ellipses, topics boxes (dashed when another module concludes them),
    rules rounded boxes. ``overview`` leaves the rules out: an edge then means "some rule
    reading this concludes that".
    """
    dot = Dot()
    for rule in rules:
        if module is not None and rule.module != module:
            continue
        reads = [_read_node(dot, p.fact, kb, lang, module) for p in rule.when]
        concludes = [_topic_node(dot, c.topic, kb, lang, module) for c in rule.then]
        if overview:
            for tail in reads:
                for head in concludes:
                    if tail != head:
                        dot.edge(tail, head)
            continue
        rule_node = f"rule:{rule.id}"
        dot.node(rule_node, _rule_label(rule, rule.id, lang), RULE_STYLE)
        for tail in reads:
            dot.edge(tail, rule_node)
        for head in concludes:
            dot.edge(rule_node, head)
    return dot.render()


def _upstream(rules: Sequence[Rule], topic: str, depth: int) -> list[Rule]:
    """The rules that conclude ``topic`` and, up to ``depth`` levels back, those concluding a
    topic one of them reads; in rule-base order."""
    producers: dict[str, list[Rule]] = {}
    for rule in rules:
        for conclude in rule.then:
            producers.setdefault(conclude.topic, []).append(rule)
    chosen: dict[str, Rule] = {}
    wanted, seen = [topic], {topic}
    for _ in range(max(1, depth)):
        found = [r for t in wanted for r in producers.get(t, []) if r.id not in chosen]
        chosen |= {r.id: r for r in found}
        wanted = [p.fact for r in found for p in r.when if p.fact not in seen]
        seen |= set(wanted)
    return [r for r in rules if r.id in chosen]


def concluded_topics(rules: Iterable[Rule], kb: Knowledge) -> list[str]:
    """The topics some rule concludes, by module then in the knowledge base's order: what a
    graph of the rules behind one conclusion can be drawn for."""
    concluded = {c.topic for rule in rules for c in rule.then}
    topics = [topic for topic in kb.topics.values() if topic.id in concluded]
    order = {m: i for i, m in enumerate(MODULES)}
    return [tp.id for tp in sorted(topics, key=lambda tp: order.get(tp.module, len(order)))]


def topic_dot(rules: Iterable[Rule], kb: Knowledge, lang: str, topic: str, depth: int = 1) -> str:
    """The rules around one conclusion: those that conclude ``topic`` (marked), what they read,
    and — ``depth`` levels back — the rules behind what they read: a picture small enough to
    read, where a module's whole network is not."""
    listed = list(rules)
    dot = Dot()
    for rule in _upstream(listed, topic, depth):
        rule_node = f"rule:{rule.id}"
        dot.node(rule_node, _rule_label(rule, rule.id, lang), RULE_STYLE)
        for pattern in rule.when:
            dot.edge(_read_node(dot, pattern.fact, kb, lang, None), rule_node)
        for conclude in rule.then:
            dot.edge(rule_node, _topic_node(dot, conclude.topic, kb, lang, None))
    if f"topic:{topic}" in dot.nodes:
        label, _ = dot.nodes[f"topic:{topic}"]
        dot.node(f"topic:{topic}", label, TARGET_STYLE, force=True)
    return dot.render()


__all__ = ["Dot", "chain_steps", "firing_dot", "network_dot", "quote", "topic_dot", "wrap"]
