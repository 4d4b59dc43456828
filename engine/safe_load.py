"""Bounded reading of the case files users give us (JSON or YAML): refuse before building.

A case is small: a few sections of a few dozen fields, three levels deep. A file that is
far bigger, deeper or more repetitive than that is a mistake or an attack, and the cost of
finding out must stay bounded by the limits below, not by the document. PyYAML's safe loader
builds an alias bomb (650 bytes that expand to billions of values) as shared lists in an
instant, and every later pass over it (validation, an error message quoting it) runs for
minutes and gigabytes; ``json`` raises ``RecursionError`` on deep nesting and ``ValueError``
on integers longer than Python converts. Each of these, and every syntax error, becomes an
``InputError`` naming the file and what is allowed (the CLI exits 2 on it).

YAML is read in two passes: the parser's events first (libyaml parses without recursion),
refusing deep nesting and many aliases before any node exists; then the nodes, whose
expanded size is counted (shared nodes once per use) before any Python value is built.
Duplicate keys are refused in both formats, naming the key (and its line in YAML): a silently
kept second value is a wrong case nobody notices.

Messages are the knowledge base's texts ``input.*`` (``texts/<lang>/input.yaml``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from engine.errors import FieldProblem, InputError, excerpt
from knowledge_base import load_knowledge

MAX_CASE_BYTES = 1_000_000
"""Largest case file read (1 MB); a real case is a few kilobytes."""
MAX_DEPTH = 20
"""Deepest nesting of mappings and lists; a case nests three levels (case, section, list)."""
MAX_ALIASES = 20
"""Most YAML aliases (``*name``) in one document; a hand-written case needs a few at most."""
MAX_VALUES = 100_000
"""Most values (scalars, lists, mappings) a YAML document may expand to, aliases expanded."""
MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
"""Longest integer Python converts from text (4,300 digits unless the interpreter says)."""
PROBLEM_CHARS = 160
"""Longest excerpt of a parser's own message (it may quote the input: an alias, a tag)."""

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it (parses without recursion, about ten times faster)."""
_MERGE = "tag:yaml.org,2002:merge"


def refuse(source: str, text: str, lang: str = "en", /, **values: object) -> InputError:
    """An input error about the whole file ``source``: the knowledge base's ``input.<text>``."""
    message = load_knowledge().text(f"input.{text}", lang, **values)
    return InputError([FieldProblem(source, None, message)])


def _line(mark: Any) -> int | str:
    """The 1-based line of a parser's mark, "?" without one."""
    return mark.line + 1 if mark is not None else "?"


def read_bounded(path: Path, limit: int = MAX_CASE_BYTES, lang: str = "en") -> bytes:
    """The file's bytes, refusing it, before reading it all, when it is over ``limit``."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise refuse(str(path), "cannot_read", lang, reason=exc.strerror or exc) from exc
    if len(data) > limit:
        raise refuse(str(path), "too_large", lang, limit=f"{limit:,}")
    return data


def decode_utf8(data: bytes, source: str, lang: str = "en") -> str:
    """The text of UTF-8 ``data`` (a leading byte-order mark dropped); else where it fails."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        byte = f"0x{data[exc.start]:02x}"
        raise refuse(source, "not_utf8", lang, byte=byte, offset=exc.start) from exc


def read_data_file(path: Path, lang: str = "en", limit: int = MAX_CASE_BYTES) -> Any:
    """Parse a JSON (``.json``) or YAML file within the limits of this module."""
    text = decode_utf8(read_bounded(path, limit, lang), str(path), lang)
    if path.suffix.lower() == ".json":
        return load_json(text, str(path), lang)
    return load_yaml(text, str(path), lang)


# ------------------------------------------------------------------ JSON


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class _BadConstant(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise _BadConstant(name)


def load_json(text: str, source: str, lang: str = "en") -> Any:
    """``json.loads`` refusing duplicate keys, NaN/Infinity, deep nesting and huge integers."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        raise refuse(source, "duplicate_key_json", lang, duplicate=excerpt(exc.key)) from None
    except _BadConstant as exc:
        raise refuse(source, "not_a_number", lang, name=exc.name) from None
    except RecursionError:
        raise refuse(source, "too_deep", lang, limit=MAX_DEPTH) from None
    except json.JSONDecodeError as exc:
        problem = excerpt(exc.msg, PROBLEM_CHARS, quoted=False)
        raise refuse(
            source, "not_json", lang, problem=problem, line=exc.lineno, column=exc.colno
        ) from None
    except ValueError:  # int(): more digits than Python converts
        raise refuse(source, "number_too_long", lang, limit=MAX_INT_DIGITS) from None
    if _deeper_than(data, MAX_DEPTH):
        raise refuse(source, "too_deep", lang, limit=MAX_DEPTH)
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and dicts nest more than ``limit`` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


# ------------------------------------------------------------------ YAML


class _BoundedLoader(_LOADER):  # type: ignore[valid-type,misc]
    """The safe loader, refusing a mapping that names a key twice (merge keys aside)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise _DuplicateYamlKey(key, _line(key_node.start_mark))
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class _DuplicateYamlKey(Exception):
    def __init__(self, key: object, line: int | str) -> None:
        self.key, self.line = key, line


def load_yaml(text: str, source: str, lang: str = "en") -> Any:
    """``yaml.safe_load`` within the limits: events checked, nodes counted, then built."""
    loader = _BoundedLoader(text)
    try:
        _check_events(text, source, lang)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source, lang)
        return loader.construct_document(node)
    except _DuplicateYamlKey as exc:
        key = excerpt(exc.key)
        raise refuse(source, "duplicate_key_yaml", lang, duplicate=key, line=exc.line) from None
    except yaml.YAMLError as exc:
        raise refuse(source, "not_yaml", lang, **_yaml_problem(exc)) from None
    except ValueError:  # int(): more digits than Python converts
        raise refuse(source, "number_too_long", lang, limit=MAX_INT_DIGITS) from None
    finally:
        loader.dispose()


def _check_events(text: str, source: str, lang: str) -> None:
    """Refuse deep nesting and many aliases from the parser's events, before any node."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = _line(event.start_mark)
                raise refuse(source, "too_deep_at", lang, limit=MAX_DEPTH, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                line = _line(event.start_mark)
                raise refuse(source, "too_many_aliases", lang, limit=MAX_ALIASES, line=line)


def _check_expansion(root: yaml.Node, source: str, lang: str) -> None:
    """Refuse a document expanding to more than ``MAX_VALUES`` values, or containing itself.

    Each node's expanded size is computed once (memoised), so the count costs the size of the
    document, not of its expansion; depth is already bounded, so recursion is safe."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            if known < 0:
                line = _line(node.start_mark)
                raise refuse(source, "alias_cycle", lang, line=line)
            return known
        sizes[id(node)] = -1  # being counted: meeting it again is a cycle
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        if total > MAX_VALUES:
            raise refuse(source, "too_many_values", lang, limit=f"{MAX_VALUES:,}")
        sizes[id(node)] = total
        return total

    size(root)


def _yaml_problem(exc: yaml.YAMLError) -> dict[str, object]:
    """The problem and where, of a syntax error (its text excerpted: it may quote the input)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return {
        "problem": excerpt(str(problem), PROBLEM_CHARS, quoted=False),
        "line": _line(mark),
        "column": mark.column + 1 if mark is not None else "?",
    }
