"""Every parameter has a short display name in each language (``Parameter.label``): what
user-facing texts call it, its id being shown only on hover or in the detail. Labels are
distinct, short, and read as clean text in their language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.lint_language import problems
from knowledge_base import ROOT, load_knowledge, read_yaml
from knowledge_base.schema import Parameter

PARAMETERS: dict[str, Parameter] = dict(load_knowledge().parameters)
NAMES = sorted(PARAMETERS)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ASCII_PUNCTUATION = re.compile(r"[,:;()?]")


def test_every_parameter_is_labelled_in_both_languages() -> None:
    assert PARAMETERS
    for name, param in PARAMETERS.items():
        assert param.label.en.strip(), name
        assert param.label.zh.strip(), name


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_labels_are_unique_per_language(lang: str) -> None:
    seen: dict[str, str] = {}
    for name in NAMES:
        label = PARAMETERS[name].label.get(lang).strip().casefold()
        assert label not in seen, f"{name} and {seen[label]} share the {lang} label {label!r}"
        seen[label] = name


@pytest.mark.parametrize("name", NAMES)
def test_chinese_label_is_chinese_without_ascii_punctuation(name: str) -> None:
    label = PARAMETERS[name].label.zh
    assert CJK.search(label), f"{name}: {label!r} has no Chinese character"
    assert not ASCII_PUNCTUATION.search(label), f"{name}: {label!r} has ASCII punctuation"
    assert label == label.strip() and not label.endswith("。"), name


@pytest.mark.parametrize("name", NAMES)
def test_english_label_is_a_short_noun_phrase(name: str) -> None:
    label = PARAMETERS[name].label.en
    assert label == label.strip(), name
    assert not label.endswith("."), f"{name}: {label!r} ends with a period"
    assert len(label) <= 60, f"{name}: {label!r} is longer than 60 characters"
    assert 2 <= len(label.split()) <= 8, f"{name}: {label!r} is not 2-8 words"
    assert label[0] == label[0].lower(), f"{name}: {label!r} is not lower case"


@pytest.mark.parametrize("name", NAMES)
def test_label_is_not_the_id(name: str) -> None:
    param = PARAMETERS[name]
    for label in (param.label.en, param.label.zh):
        assert name not in label and name.split(".", 1)[1] not in label, (name, label)


@pytest.mark.parametrize("name", NAMES)
def test_labels_pass_the_language_lint(name: str) -> None:
    """The checks ``sales-expert lint`` runs on descriptions apply to the labels too."""
    label = PARAMETERS[name].label
    for lang in ("en", "zh"):
        assert problems(label.get(lang), lang) == [], (name, lang, label.get(lang))


@pytest.mark.parametrize("path", sorted((ROOT / "parameters").glob("*.yaml")), ids=str)
def test_label_comes_right_after_the_name_in_the_yaml(path: Path) -> None:
    for record in read_yaml(path):
        assert list(record)[:2] == ["name", "label"], f"{path.name}: {record['name']}"
