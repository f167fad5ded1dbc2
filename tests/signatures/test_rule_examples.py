"""Every example of every bundled rule is a test; every signal has a rule."""
from __future__ import annotations

import pytest

from chipwatch.signatures import load_ruleset
from chipwatch.signatures.examples import check_rule
from chipwatch.signatures.vocabulary import load_vocabulary

RULESET = load_ruleset()


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_examples(rule):
    failures = check_rule(RULESET, rule)
    assert not failures, "\n".join(str(f) for f in failures)


def test_every_signal_has_a_rule():
    covered = {r.signal for r in RULESET.rules}
    missing = [s for s in load_vocabulary().signals if s not in covered]
    assert not missing, f"signals without a rule: {missing}"


def test_every_rule_has_references_or_is_documented():
    # A rule is a claim about someone's software: it should say where that is documented.
    without = [r.id for r in RULESET.rules if not r.references]
    assert len(without) <= len(RULESET.rules) // 2, f"too many rules without references: {without[:20]}"


def test_ruleset_hash_is_stable_and_content_based():
    from chipwatch.signatures import build_ruleset

    again = build_ruleset()
    assert again.hash == RULESET.hash
    assert len(RULESET.hash) == 16


def test_hash_without_compiling_equals_the_loaded_hash():
    from chipwatch.signatures import ruleset_hash

    assert ruleset_hash() == RULESET.hash
