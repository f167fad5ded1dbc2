"""The signature engine: load and validate rules, compile them, match text.

``load_ruleset()`` returns the bundled rule set (cached per process); its ``hash`` is
stored with every result so a table row always says which rules made it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import re2

from chipwatch.errors import RuleError
from chipwatch.signatures.contexts import ContextClassifier, contexts_text, load_contexts
from chipwatch.signatures.engine import Matcher, compile_re2
from chipwatch.signatures.match import RawFinding, find
from chipwatch.signatures.rules import Rule, content_hash, load_rule_files
from chipwatch.signatures.vocabulary import load_vocabulary, vocabulary_text

# Bump when the engine's semantics change (what a rule file means), so cached results
# made by an older engine are not reused.
ENGINE_VERSION = "2"

__all__ = ["RuleSet", "Rule", "RawFinding", "load_ruleset", "ruleset_hash", "default_rules_dir", "find"]


class _Qualifier:
    """The line-level RE2 tests of one rule."""

    __slots__ = ("_excl", "_neg", "_stored")

    def __init__(self, rule: Rule):
        def comp(pats: tuple[str, ...]):
            out = []
            for p in pats:
                try:
                    out.append(compile_re2(p, rule.case_sensitive, multiline=False))
                except re2.error as exc:
                    raise RuleError(f"line pattern {p!r} does not compile under RE2: {exc}", subject=f"{rule.source}: rule {rule.id}") from None
            return tuple(out)

        self._excl = comp(rule.exclude_lines)
        self._neg = comp(rule.negated)
        self._stored = comp(rule.stored_lines)

    # Most rules have no qualifier of a kind: skip the generator then (hot path).
    def excluded(self, line: bytes) -> bool:
        return bool(self._excl) and any(p.search(line) for p in self._excl)

    def is_negated(self, line: bytes) -> bool:
        return bool(self._neg) and any(p.search(line) for p in self._neg)

    def is_stored(self, line: bytes) -> bool:
        return bool(self._stored) and any(p.search(line) for p in self._stored)


@dataclass
class RuleSet:
    rules: list[Rule]
    hash: str
    matcher: Matcher
    qualifiers: list[_Qualifier]
    contexts: ContextClassifier
    root: Path | None = None

    def __post_init__(self) -> None:
        self.by_id: dict[str, Rule] = {r.id: r for r in self.rules}

    @property
    def engine(self) -> str:
        return self.matcher.engine

    def find(self, data: bytes, linemap=None, settings_from: int | None = None) -> list[RawFinding]:
        return find(self, data, linemap, settings_from)


def default_rules_dir() -> Path:
    return Path(str(resources.files("chipwatch.data").joinpath("signatures")))


def build_ruleset(root: Path | None = None, *, engine: str | None = None) -> RuleSet:
    """Load, validate and compile every rule file under ``root`` (default: bundled)."""
    root = Path(root) if root else default_rules_dir()
    if not root.is_dir():
        raise RuleError("rule folder not found", subject=str(root))
    rules, texts = load_rule_files(root, load_vocabulary())
    if not rules:
        raise RuleError("no rules found", subject=str(root))
    ctx_text = contexts_text()
    digest = _hash_texts(texts, ctx_text)
    active = [r for r in rules if not r.deprecated]
    return RuleSet(
        rules=active,
        hash=digest,
        matcher=Matcher(active, engine=engine),
        qualifiers=[_Qualifier(r) for r in active],
        contexts=load_contexts(ctx_text),
        root=root,
    )


def _hash_texts(texts: dict[str, str], ctx_text: str) -> str:
    parts = {f"signatures/{k}": v for k, v in texts.items()}
    parts["signals.yaml"] = vocabulary_text()
    parts["contexts.yaml"] = ctx_text
    return content_hash(parts, f"chipwatch-engine-{ENGINE_VERSION}")


def ruleset_hash(root: Path | str | None = None) -> str:
    """The rule-set hash without loading or compiling the rules (same value as
    ``load_ruleset().hash``): what a planner needs to decide what is already done."""
    root = Path(root) if root else default_rules_dir()
    texts = {
        p.relative_to(root).as_posix(): p.read_text("utf-8")
        for p in sorted(root.rglob("*"))
        if p.suffix in (".yaml", ".yml") and p.is_file()
    }
    return _hash_texts(texts, contexts_text())


@lru_cache(maxsize=4)
def _cached(root: str | None, engine: str | None) -> RuleSet:
    return build_ruleset(Path(root) if root else None, engine=engine)


def load_ruleset(root: Path | str | None = None, *, engine: str | None = None) -> RuleSet:
    """The rule set, compiled once per process (per root and engine)."""
    return _cached(str(root) if root else None, engine)
