"""The engine's parts the front end stands on: users and passwords, `sales-expert demo`, rule
graphs, the rule catalogue, batch progress, and the UI texts in both languages."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from engine import consult, default_engine
from engine.audit.store import AuditStore
from engine.batch import BatchOptions, run_batch
from engine.catalog import parameter_rows, rule_rows, source_rows
from engine.cli_demo import EXAMPLES
from engine.graph import (
    chain_steps,
    concluded_topics,
    firing_dot,
    network_dot,
    quote,
    topic_dot,
    wrap,
)
from engine.users import (
    DEMO_USERS,
    User,
    UsersFileError,
    authenticate,
    hash_password,
    load_users,
    users_path,
    write_users,
)
from knowledge_base import load_knowledge
from knowledge_base.facts import SECTIONS
from rules import load_rules
from tests.conftest import REPO, customer, run_cli
from ui.navigation import PAGES

KB = load_knowledge()
EXAMPLE = yaml.safe_load((REPO / "examples" / "grading-key-account.yaml").read_text("utf-8"))

# -- users ------------------------------------------------------------------------------------


def test_users_round_trip_and_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "u" / "users.yaml"
    write_users(path, [(User("mia", "Mia M", "manager"), "s3cret-pw")], rounds=4)
    text = path.read_text("utf-8")
    assert "s3cret-pw" not in text and "$2b$04$" in text
    users = load_users(path)
    assert authenticate(users, "mia", "s3cret-pw") == User("mia", "Mia M", "manager")
    assert authenticate(users, " mia ", "s3cret-pw") is not None
    assert authenticate(users, "mia", "wrong") is None
    assert authenticate(users, "nobody", "s3cret-pw") is None
    assert authenticate(users, "mia", "x" * 100) is None  # over bcrypt's 72 bytes


def test_missing_users_file_means_no_users(tmp_path: Path) -> None:
    assert load_users(tmp_path / "none.yaml") == {}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("users: [a, b]", "top-level 'users' mapping"),
        ("users: {bob: {role: boss, password: $2b$04$x}}", "role 'boss'"),
        ("users: {bob: {role: rep, password: plain}}", "bcrypt hash"),
        ("users: {bob: text}", "expected a mapping"),
        ("users: [", "cannot read"),
    ],
)
def test_bad_users_files_are_named(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsersFileError, match=problem):
        load_users(path)


def test_users_path_from_the_environment(tmp_path: Path) -> None:
    assert users_path(env={"SALES_EXPERT_USERS": "/x/u.yaml"}) == Path("/x/u.yaml")
    found = users_path(env={"SALES_EXPERT_DATA_DIR": str(tmp_path)})
    assert found == tmp_path / "users.yaml"


def test_passwords_are_checked() -> None:
    with pytest.raises(ValueError):
        hash_password("")
    with pytest.raises(ValueError):
        hash_password("é" * 40)


# -- sales-expert demo ------------------------------------------------------------------------


def test_demo_creates_users_seeds_the_trail_and_is_idempotent(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SALES_EXPERT_DATA_DIR": str(tmp_path / "data"),
        "SALES_EXPERT_RECORD": "off",
    }

    def demo() -> str:
        done = run_cli("demo", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    examples = len(list(EXAMPLES.glob("*.yaml")))
    first = demo()
    for user in DEMO_USERS:
        assert f"{user.username:<6} password {user.password}" in first
    assert f"Recorded {examples} example consultation(s)" in first
    users = load_users(tmp_path / "data" / "users.yaml")
    assert {u.user.role for u in users.values()} == {"rep", "manager", "auditor", "admin"}
    assert authenticate(users, "mia", "manager-demo") is not None
    with AuditStore(f"sqlite:///{tmp_path / 'data' / 'audit.db'}") as store:
        found = store.list_records()
        assert len(found) == examples and {r.channel for r in found} == {"demo"}
        by_manager = [r for r in found if (r.actor, r.role) == ("mia", "manager")]
        assert len(by_manager) == len(list(EXAMPLES.glob("credit*.yaml")))
        assert all(r.decision is not None for r in by_manager)
        assert {(r.actor, r.role) for r in found} == {("mia", "manager"), ("rita", "rep")}
        assert store.verify().ok
    second = demo()
    assert "exists: kept" in second and "nothing seeded" in second
    with AuditStore(f"sqlite:///{tmp_path / 'data' / 'audit.db'}") as store:
        assert store.count() == examples


# -- graphs -----------------------------------------------------------------------------------


def test_chain_of_a_conclusion_is_its_premises_only() -> None:
    result = consult(EXAMPLE, record=False)
    steps = chain_steps(result.trace, "service_tier", "vip")
    fired = [s.rule for s in steps]
    assert fired[-1] == "GR-044"
    assert {"GR-007", "GR-019"} <= set(fired)
    assert len(fired) < len(result.trace)
    assert [s.seq for s in steps] == sorted(s.seq for s in steps)
    how = [h.rule for h in result.conclusion("service_tier").how]  # type: ignore[union-attr]
    assert set(how) <= set(fired)


def test_firing_dot_shows_inputs_rules_and_the_target_in_either_language() -> None:
    compiled = default_engine().compiled
    for lang, value in (("en", "1,800,000"), ("zh", "1,800,000")):
        result = consult(EXAMPLE, lang=lang, record=False)
        text = firing_dot(
            result.trace, compiled.rules, compiled.knowledge, lang, ("value_tier", "high")
        )
        assert text.startswith("digraph rules {") and text.endswith("}")
        assert '"input:customer.annual_purchases=1800000"' in text and value in text
        assert '"rule:GR-007" -> "fact:monetary_band=high"' in text
        assert '"fact:value_tier=high" [label=' in text and "penwidth=2" in text
    everything = firing_dot(result.trace, compiled.rules, compiled.knowledge, "en")
    assert everything.count('"rule:') > text.count('"rule:')


def test_network_dot_per_module_and_overview() -> None:
    rules = load_rules().rules
    credit = network_dot(rules, KB, "en", "credit")
    assert '"rule:CR-104"' in credit and '"rule:GR-001"' not in credit
    assert '"input:credit"' in credit and "dashed" in credit  # grading topics read by credit
    overview = network_dot(rules, KB, "zh", None, overview=True)
    assert '"rule:' not in overview and '"topic:credit_decision"' in overview
    assert '"input:customer" -> "topic:recency"' in overview


def test_topic_dot_draws_the_rules_behind_one_conclusion() -> None:
    rules = load_rules().rules
    concluding = {r.id for r in rules if any(c.topic == "escalation_level" for c in r.then)}
    one = topic_dot(rules, KB, "en", "escalation_level", depth=1)
    drawn = set(re.findall(r'"rule:([A-Z]+-\d+)" \[', one))
    assert drawn == concluding  # exactly the rules that conclude it
    assert (
        '"topic:escalation_level" [label="Escalation level", shape=box, style="filled,bold"' in one
    )
    two = topic_dot(rules, KB, "zh", "escalation_level", depth=2)
    behind = set(re.findall(r'"rule:([A-Z]+-\d+)" \[', two))
    read = {p.fact for r in rules if r.id in concluding for p in r.when}
    producers = {r.id for r in rules if any(c.topic in read for c in r.then)}
    assert behind == concluding | producers and len(behind) > len(drawn)


def test_the_topics_a_graph_can_start_from_are_those_rules_conclude_by_module() -> None:
    rules = load_rules().rules
    topics = concluded_topics(rules, KB)
    assert set(topics) == {c.topic for r in rules for c in r.then}
    modules = [KB.topics[topic].module for topic in topics]
    assert modules == sorted(modules, key=["grading", "credit", "collection", "closing"].index)


def test_dot_text_is_escaped_and_wrapped() -> None:
    assert quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'
    assert max(len(line) for line in wrap("word " * 30, "en").split("\n")) <= 30
    assert "\n" in wrap("客户价值等级由采购金额和购买频次共同决定", "zh")
    assert "1,800,000" in wrap("近12个月采购额 = 1,800,000", "zh").replace("\n", "|")


# -- catalogue --------------------------------------------------------------------------------


def test_rule_rows_read_as_text_with_parameters_and_sources() -> None:
    rows = {r.id: r for r in rule_rows(load_rules(), KB, "en")}
    assert len(rows) == len(load_rules().rules)
    gr = rows["GR-007"]
    assert gr.conditions == ("annual purchases ≥ 1,000,000",)
    assert gr.conclusions == ("Purchase amount = High amount",)
    assert "grading.monetary_high_min_purchases" in gr.parameters and gr.sources
    assert all(r.conditions and r.conclusions for r in rows.values())
    zh = rule_rows(load_rules(), KB, "zh", module="closing")
    assert zh and all(r.module == "closing" for r in zh)


def test_every_parameter_is_used_and_sources_are_listed() -> None:
    rows = parameter_rows(load_rules(), KB, "en")
    assert len(rows) == len(KB.parameters)
    assert all(r.used_by for r in rows)  # lint guarantees no unused parameter
    assert {s.tag for s in source_rows(KB, "zh")} == set(KB.sources)


# -- batch progress ---------------------------------------------------------------------------


def test_batch_reports_progress(tmp_path: Path) -> None:
    columns = list(customer())
    lines = [",".join(f"customer.{c}" for c in columns)]
    lines += [",".join(str(customer(id=f"B-{i}")[c]) for c in columns) for i in range(7)]
    source = tmp_path / "in.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    options = BatchOptions(input=source, out=tmp_path / "out.csv", workers=1, chunk_rows=2)
    summary = run_batch(options, on_progress=lambda done, total: seen.append((done, total)))
    assert summary.ok == 7
    assert seen[-1] == (7, 7) and [d for d, _ in seen] == sorted(d for d, _ in seen)


# -- texts ------------------------------------------------------------------------------------


def form_sections() -> dict[str, type[BaseModel]]:
    """The case sections the pages' forms show (a page script's ``SECTIONS``)."""
    found: dict[str, type[BaseModel]] = {}
    for page in PAGES:
        module = importlib.import_module(page.script.removesuffix(".py").replace("/", "."))
        found.update(getattr(module, "SECTIONS", {}))
    return found


def test_the_forms_show_the_case_sections() -> None:
    assert {"customer", "credit", "deal"} <= set(form_sections())
    assert all(SECTIONS[name] is model for name, model in form_sections().items())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_form_field_has_help_in_both_languages(lang: str) -> None:
    for section, model in form_sections().items():
        for field in model.model_fields:
            key = f"ui.help.{section}.{field}"
            assert KB.texts[lang].get(key), f"{lang}: no help text {key} (ui.yaml)"


def test_english_help_is_the_field_description() -> None:
    """One source of truth: the English help repeats the model's description (and this test
    says when a description changes, so that the Chinese help is updated with it)."""
    for section, model in form_sections().items():
        for field, info in model.model_fields.items():
            assert KB.texts["en"][f"ui.help.{section}.{field}"] == info.description, field


def test_ui_texts_exist_in_both_languages() -> None:
    en = {k for k in KB.texts["en"] if k.startswith(("ui.", "graph.", "demo."))}
    zh = {k for k in KB.texts["zh"] if k.startswith(("ui.", "graph.", "demo."))}
    assert en == zh
