"""Run a rule's examples through the whole engine: each is scanned as a file at a path,
so kinds, file scopes and line qualifiers are exercised exactly as in a real scan."""
from __future__ import annotations

from dataclasses import dataclass

from chipwatch.extractors import extractor_for
from chipwatch.extractors.kinds import classify
from chipwatch.model import Finding
from chipwatch.scanner.blobs import scan_bytes
from chipwatch.scanner.tree import FileEntry
from chipwatch.signatures import RuleSet
from chipwatch.signatures.rules import Example, Rule

DEFAULT_PATHS = {"code": "example.py", "script": "run.sh", "config": "config.yaml", "doc": "README.md", "notebook": "example.ipynb"}


@dataclass(frozen=True)
class ExampleFailure:
    rule: str
    expectation: str
    example: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.expectation} example {self.example!r}: {self.detail}"


def example_path(rule: Rule, ex: Example) -> str:
    if ex.path:
        return ex.path
    if rule.paths:
        g = rule.paths[0].replace("**/", "").replace("**", "x").replace("*", "example").replace("?", "x")
        return g
    kind = "code" if "code" in rule.kinds else rule.kinds[0]
    return DEFAULT_PATHS[kind]


def findings_for(ruleset: RuleSet, rule: Rule, ex: Example) -> list[Finding]:
    from chipwatch.scanner import findings_at

    path = example_path(rule, ex)
    kind, _reason = classify(path)
    ex_name = extractor_for(kind, path)
    data = ex.text.encode("utf-8")
    result = scan_bytes(ruleset, ex_name, data)
    entry = FileEntry(path, "example", kind, ex_name)
    return [f for f in findings_at(ruleset, entry, result, None) if f.rule == rule.id]


def check_rule(ruleset: RuleSet, rule: Rule) -> list[ExampleFailure]:
    failures = []

    def fail(expect: str, ex: Example, detail: str) -> None:
        failures.append(ExampleFailure(rule.id, expect, ex.text[:120], detail))

    for ex in rule.examples_match:
        got = findings_for(ruleset, rule, ex)
        positive = [f for f in got if not f.negated]
        if not positive:
            fail("match", ex, "no finding" if not got else "only negated findings")
        elif ex.context and not any(f.context == ex.context for f in positive):
            fail("match", ex, f"context {[f.context for f in positive]} instead of {ex.context}")
    for ex in rule.examples_no_match:
        got = findings_for(ruleset, rule, ex)
        if got:
            fail("no_match", ex, f"matched: {got[0].text!r}")
    for ex in rule.examples_negated:
        got = findings_for(ruleset, rule, ex)
        if not got:
            fail("negated", ex, "no finding")
        elif any(not f.negated for f in got):
            fail("negated", ex, "a finding is not negated")
    return failures


def check_all(ruleset: RuleSet) -> list[ExampleFailure]:
    out: list[ExampleFailure] = []
    for rule in ruleset.rules:
        out.extend(check_rule(ruleset, rule))
    return out
