"""Rule files: strict loading and validation (see docs/rules.md for the format).

A load error names the file, the rule and the fix, so a typo'd key or a pattern that
is not linear-time never silently disables a detector.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from chipwatch.errors import RuleError
from chipwatch.model import CONTEXTS
from chipwatch.signatures.vocabulary import Vocabulary, load_vocabulary

TEXT_KINDS: tuple[str, ...] = ("code", "config", "script", "doc", "notebook")
STRENGTHS = ("used", "stored")

_RULE_KEYS = {
    "id", "signal", "message", "patterns", "keywords", "case_sensitive", "kinds", "paths",
    "exclude_paths", "exclude_lines", "negated", "stored_lines", "context", "deprecated", "settings",
    "references", "examples",
}
# libyaml when present: the pure-Python parser costs a second on the bundled rules.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REQUIRED = ("id", "signal", "message", "patterns", "examples")
_EXAMPLE_KEYS = {"match", "no_match", "negated"}
_EXAMPLE_ITEM_KEYS = {"text", "path", "context"}
_ID_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Example:
    text: str
    path: str | None = None
    context: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    signal: str
    message: str
    patterns: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    case_sensitive: bool = False
    kinds: tuple[str, ...] = TEXT_KINDS
    paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    exclude_lines: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()
    stored_lines: tuple[str, ...] = ()
    context: bool = False
    settings: bool = False
    deprecated: bool = False
    references: tuple[str, ...] = ()
    examples_match: tuple[Example, ...] = ()
    examples_no_match: tuple[Example, ...] = ()
    examples_negated: tuple[Example, ...] = ()
    source: str = field(default="", compare=False)

    def applies_to(self, path: str, kind: str) -> bool:
        """Whether this rule's file scope covers ``path`` of ``kind``."""
        if kind not in self.kinds:
            return False
        if self.paths and not _glob_any(path, self.paths):
            return False
        if self.exclude_paths and _glob_any(path, self.exclude_paths):
            return False
        return True


def _glob_any(path: str, globs: tuple[str, ...]) -> bool:
    """Globs with '/' match the whole path ('**' spans folders); others the file name."""
    name = path.rsplit("/", 1)[-1]
    for g in globs:
        target = path if "/" in g else name
        if _glob_regex(g).match(target):
            return True
    return False


@lru_cache(maxsize=4096)
def _glob_regex(glob: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE)


def _fail(source: str, rule_id: str | None, message: str) -> RuleError:
    where = f"{source}: rule {rule_id}" if rule_id else source
    return RuleError(message, subject=where)


def _str_list(value: Any, source: str, rid: str | None, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(source, rid, f"'{key}' must be a list of non-empty strings")
    return tuple(value)


def _examples(raw: Any, source: str, rid: str, key: str) -> tuple[Example, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(source, rid, f"examples.{key} must be a list")
    out = []
    for item in raw:
        if isinstance(item, str):
            out.append(Example(item))
        elif isinstance(item, dict):
            unknown = set(item) - _EXAMPLE_ITEM_KEYS
            if unknown:
                raise _fail(source, rid, f"examples.{key}: unknown key(s) {sorted(unknown)}; allowed: text, path, context")
            if not isinstance(item.get("text"), str):
                raise _fail(source, rid, f"examples.{key}: an example mapping needs a 'text' string")
            ctx = item.get("context")
            if ctx is not None and ctx not in CONTEXTS:
                raise _fail(source, rid, f"examples.{key}: context {ctx!r} is not one of {CONTEXTS}")
            out.append(Example(item["text"], item.get("path"), ctx))
        else:
            raise _fail(source, rid, f"examples.{key}: each example is a string or a mapping")
    return tuple(out)


def parse_rule(raw: Any, source: str, vocab: Vocabulary) -> Rule:
    if not isinstance(raw, dict):
        raise _fail(source, None, "each item of 'rules' must be a mapping")
    rid = raw.get("id") if isinstance(raw.get("id"), str) else None
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        close = {k: _closest(k, _RULE_KEYS) for k in unknown}
        hint = "; ".join(f"'{k}' (did you mean '{v}'?)" if v else f"'{k}'" for k, v in close.items())
        raise _fail(source, rid, f"unknown key {hint}")
    for key in _REQUIRED:
        if key not in raw:
            raise _fail(source, rid, f"missing required key '{key}'")
    if not rid or not _ID_RE.match(rid):
        raise _fail(source, rid, "'id' must look like '<family>.<signal>.<slug>' (lower case)")
    signal = raw["signal"]
    if signal not in vocab:
        raise _fail(source, rid, f"signal {signal!r} is not in the vocabulary (data/signals.yaml); add it there first")
    if not rid.startswith(signal + "."):
        raise _fail(source, rid, f"'id' must start with its signal: '{signal}.<slug>'")
    patterns = _str_list(raw["patterns"], source, rid, "patterns")
    if not patterns:
        raise _fail(source, rid, "'patterns' needs at least one pattern")
    keywords = _str_list(raw.get("keywords"), source, rid, "keywords")
    if keywords:
        for p in patterns:
            if not any(k.lower() in p.lower() for k in keywords):
                raise _fail(source, rid, f"pattern {p!r} contains none of its keywords {list(keywords)}; add the literal it needs")
    kinds = _str_list(raw.get("kinds"), source, rid, "kinds") or TEXT_KINDS
    for k in kinds:
        if k not in TEXT_KINDS:
            raise _fail(source, rid, f"kind {k!r} is not one of {TEXT_KINDS}")
    examples = raw["examples"]
    if not isinstance(examples, dict) or set(examples) - _EXAMPLE_KEYS:
        raise _fail(source, rid, "'examples' must be a mapping with keys match, no_match and optionally negated")
    for flag in ("case_sensitive", "context", "deprecated", "settings"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise _fail(source, rid, f"'{flag}' must be true or false")
    message = raw["message"]
    if not isinstance(message, str) or not message.strip():
        raise _fail(source, rid, "'message' must be a non-empty string")
    rule = Rule(
        id=rid,
        signal=signal,
        message=message.strip(),
        patterns=patterns,
        keywords=keywords,
        case_sensitive=bool(raw.get("case_sensitive", False)),
        kinds=kinds,
        paths=_str_list(raw.get("paths"), source, rid, "paths"),
        exclude_paths=_str_list(raw.get("exclude_paths"), source, rid, "exclude_paths"),
        exclude_lines=_str_list(raw.get("exclude_lines"), source, rid, "exclude_lines"),
        negated=_str_list(raw.get("negated"), source, rid, "negated"),
        stored_lines=_str_list(raw.get("stored_lines"), source, rid, "stored_lines"),
        context=bool(raw.get("context", False)),
        settings=bool(raw.get("settings", False)),
        deprecated=bool(raw.get("deprecated", False)),
        references=_str_list(raw.get("references"), source, rid, "references"),
        examples_match=_examples(examples.get("match"), source, rid, "match"),
        examples_no_match=_examples(examples.get("no_match"), source, rid, "no_match"),
        examples_negated=_examples(examples.get("negated"), source, rid, "negated"),
        source=source,
    )
    if not rule.deprecated and (len(rule.examples_match) < 2 or len(rule.examples_no_match) < 2):
        raise _fail(source, rid, "a rule needs at least two 'match' and two 'no_match' examples")
    return rule


def _closest(word: str, choices: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def load_rule_files(root: Path, vocab: Vocabulary | None = None) -> tuple[list[Rule], dict[str, str]]:
    """Load every ``*.yaml`` under ``root``; returns the rules and {relative path: text}."""
    vocab = vocab or load_vocabulary()
    rules: list[Rule] = []
    texts: dict[str, str] = {}
    seen: dict[str, str] = {}
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        rel = path.relative_to(root).as_posix()
        source = f"signatures/{rel}"
        text = path.read_text("utf-8")
        texts[rel] = text
        try:
            doc = yaml.load(text, Loader=_LOADER)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise _fail(source, None, f"not valid YAML{where}: {problem}") from None
        if not isinstance(doc, dict) or set(doc) - {"rules"} or not isinstance(doc.get("rules"), list):
            raise _fail(source, None, "a rule file is a mapping with one key, 'rules', holding a list")
        for raw in doc["rules"]:
            rule = parse_rule(raw, source, vocab)
            if rule.id in seen:
                raise _fail(source, rule.id, f"duplicate rule id (also in {seen[rule.id]}); ids are unique and never reused")
            seen[rule.id] = source
            rules.append(rule)
    return rules, texts


def content_hash(parts: dict[str, str], salt: str) -> str:
    """A short, stable hash of named texts (rule files, vocabulary, engine version)."""
    h = hashlib.sha256(salt.encode())
    h.update(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:16]
