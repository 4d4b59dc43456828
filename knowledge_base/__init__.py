"""What is known: parameters, topics, formulas, sources and texts, loaded and validated once.

The YAML files under this package are the data; ``schema.py`` is their shape. Nothing here
imports ``rules`` or ``engine``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge_base.errors import KnowledgeBaseError, SalesExpertError
from knowledge_base.schema import (
    LANGUAGES,
    CatalogueEntry,
    ChangeKind,
    Formula,
    Parameter,
    Source,
    Text,
    Topic,
)

ROOT = Path(__file__).resolve().parent
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Knowledge:
    """The validated knowledge base. Immutable: engines and UI sessions share one instance."""

    parameters: Mapping[str, Parameter]
    topics: Mapping[str, Topic]
    formulas: Mapping[str, Formula]
    sources: Mapping[str, Source]
    texts: Mapping[str, Mapping[str, str]]
    catalogues: Mapping[str, Mapping[str, CatalogueEntry]] = dataclasses.field(default_factory=dict)
    """Enumerated catalogues by name (file stem under ``catalogues/``), entries by id."""
    changes: Mapping[str, ChangeKind] = dataclasses.field(default_factory=dict)
    """The kinds of change "what would change it" may propose (``changes.yaml``), by id."""

    def text(self, key: str, lang: str = "en", **values: object) -> str:
        """A UI or explanation string in ``lang``, falling back to English, then to the key."""
        template = self.texts.get(lang, {}).get(key) or self.texts["en"].get(key) or key
        return template.format(**values) if values else template

    def param(self, name: str) -> float:
        return self.parameters[name].value

    @functools.cached_property
    def value_labels(self) -> dict[tuple[str, str], Text]:
        """(topic, value) → label, for the constant-time lookups explanations need."""
        return {(t.id, v.id): v.label for t in self.topics.values() for v in t.values}

    def content(self) -> dict[str, Any]:
        """Canonical content, the knowledge half of the rule-base version hash."""
        return {
            "parameters": {
                k: v.model_dump(mode="json") for k, v in sorted(self.parameters.items())
            },
            "topics": {k: v.model_dump(mode="json") for k, v in sorted(self.topics.items())},
            "formulas": {k: v.model_dump(mode="json") for k, v in sorted(self.formulas.items())},
            "sources": {k: v.model_dump(mode="json") for k, v in sorted(self.sources.items())},
            "texts": {lang: dict(sorted(t.items())) for lang, t in sorted(self.texts.items())},
            "catalogues": {
                name: {k: v.model_dump(mode="json") for k, v in entries.items()}
                for name, entries in sorted(self.catalogues.items())
            },
            "changes": {k: v.model_dump(mode="json") for k, v in sorted(self.changes.items())},
        }

    @classmethod
    def from_content(cls, content: Mapping[str, Any]) -> Knowledge:
        """The inverse of ``content()``: rebuild stored knowledge (an audit snapshot)."""
        return cls(
            parameters={k: _stored_parameter(v) for k, v in content["parameters"].items()},
            topics={k: Topic.model_validate(v) for k, v in content["topics"].items()},
            formulas={k: Formula.model_validate(v) for k, v in content["formulas"].items()},
            sources={k: Source.model_validate(v) for k, v in content["sources"].items()},
            texts={lang: dict(texts) for lang, texts in content["texts"].items()},
            catalogues={
                name: {k: CatalogueEntry.model_validate(v) for k, v in entries.items()}
                for name, entries in content.get("catalogues", {}).items()
            },
            changes={
                k: ChangeKind.model_validate(v) for k, v in content.get("changes", {}).items()
            },
        )


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: the same documents, parsed about ten
times faster (loading the rule base is most of a process's start, and every batch worker and
test process pays it)."""


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning syntax errors into a KnowledgeBaseError naming the file."""
    try:
        return _interned(yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(str(path), f"cannot read: {exc}") from exc


_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def _interned(data: Any) -> Any:
    """The document with every name (ids, topics, values, fields) interned: the engine looks
    them up and compares them at every firing, and equal names that are one object compare
    and hash at once instead of character by character."""
    if isinstance(data, str):
        return sys.intern(data) if _NAME.fullmatch(data) else data
    if isinstance(data, list):
        return [_interned(item) for item in data]
    if isinstance(data, dict):
        return {_interned(key): _interned(value) for key, value in data.items()}
    return data


def validate_records(path: Path, model: type[M], records: Any) -> list[M]:
    """Validate a YAML list of records; the error names the file, the record and the field."""
    if not isinstance(records, list):
        raise KnowledgeBaseError(str(path), "expected a list of records")
    out: list[M] = []
    for index, record in enumerate(records):
        try:
            out.append(model.model_validate(record))
        except ValidationError as exc:
            ident = record.get("id") or record.get("name") if isinstance(record, dict) else None
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise KnowledgeBaseError(
                f"{path.name} record {index + 1} ({ident})", f"{loc}: {first['msg']}"
            ) from exc
    return out


def _keyed(path: Path, records: list[Any], key: str, into: dict[str, Any]) -> None:
    for record in records:
        name = getattr(record, key)
        if name in into:
            raise KnowledgeBaseError(str(path), f"duplicate {key} {name!r}")
        into[name] = record


def _load_dir(root: Path, folder: str, model: type[M], key: str) -> dict[str, M]:
    found: dict[str, M] = {}
    for path in sorted((root / folder).glob("*.yaml")):
        _keyed(path, validate_records(path, model, read_yaml(path) or []), key, found)
    return found


def _load_catalogue(path: Path) -> dict[str, CatalogueEntry]:
    entries: dict[str, CatalogueEntry] = {}
    _keyed(path, validate_records(path, CatalogueEntry, read_yaml(path) or []), "id", entries)
    return entries


def _load_changes(path: Path) -> dict[str, ChangeKind]:
    kinds: dict[str, ChangeKind] = {}
    if path.exists():  # a knowledge base written before the kinds existed has none
        _keyed(path, validate_records(path, ChangeKind, read_yaml(path) or []), "id", kinds)
    return kinds


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = str(node)


def _stored_parameter(stored: Mapping[str, Any]) -> Parameter:
    """A parameter of a stored snapshot: those recorded before parameters had labels show
    their name, so every past consultation can still be rebuilt and replayed."""
    if "label" not in stored:
        stored = {**stored, "label": {"en": stored["name"], "zh": stored["name"]}}
    return Parameter.model_validate(stored)


def _load_texts(root: Path) -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        flat: dict[str, str] = {}
        for path in sorted((root / "texts" / lang).glob("*.yaml")):
            _flatten("", read_yaml(path) or {}, flat)
        texts[lang] = flat
    return texts


def load_knowledge(root: Path | None = None) -> Knowledge:
    """Load and validate the knowledge base under ``root`` (default: this package)."""
    if root is None:
        return _default_knowledge()
    sources_path = root / "sources.yaml"
    sources: dict[str, Source] = {}
    _keyed(
        sources_path,
        validate_records(sources_path, Source, read_yaml(sources_path)),
        "tag",
        sources,
    )
    return Knowledge(
        parameters=_load_dir(root, "parameters", Parameter, "name"),
        topics=_load_dir(root, "topics", Topic, "id"),
        formulas=_load_dir(root, "formulas", Formula, "id"),
        sources=sources,
        texts=_load_texts(root),
        catalogues={
            path.stem: _load_catalogue(path)
            for path in sorted((root / "catalogues").glob("*.yaml"))
        },
        changes=_load_changes(root / "changes.yaml"),
    )


@functools.cache
def _default_knowledge() -> Knowledge:
    return load_knowledge(ROOT)


__all__ = [
    "LANGUAGES",
    "ROOT",
    "CatalogueEntry",
    "ChangeKind",
    "Formula",
    "Knowledge",
    "KnowledgeBaseError",
    "Parameter",
    "SalesExpertError",
    "Source",
    "Text",
    "Topic",
    "load_knowledge",
    "read_yaml",
    "validate_records",
]
