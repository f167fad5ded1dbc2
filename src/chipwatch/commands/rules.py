"""``chipwatch rules``: check, list and hash the signature rules."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "rules"
HELP = "check the signature rules (schema, patterns, every example), list them, print the rule-set hash"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("check", "list", "hash", "coverage"), help="check: validate and run every example; list: one line per rule; hash: the rule-set hash; coverage: rules per signal")
    p.add_argument("--rules-dir", type=Path, default=None, help="a folder of rule files (default: the bundled rules)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def uncovered_signals(ruleset) -> list[str]:
    from chipwatch.signatures.vocabulary import load_vocabulary

    covered = {r.signal for r in ruleset.rules}
    return [s for s in load_vocabulary().signals if s not in covered]


def run(args: argparse.Namespace) -> int:
    from chipwatch.signatures import build_ruleset

    ruleset = build_ruleset(args.rules_dir)
    if args.action == "hash":
        print(ruleset.hash)
        return 0
    if args.action == "list":
        for r in ruleset.rules:
            if args.format == "json":
                print(json.dumps({"id": r.id, "signal": r.signal, "message": r.message, "source": r.source}))
            else:
                print(f"{r.id:55} {r.message}")
        return 0
    if args.action == "coverage":
        counts: dict[str, int] = {}
        for r in ruleset.rules:
            counts[r.signal] = counts.get(r.signal, 0) + 1
        missing = uncovered_signals(ruleset)
        for s in sorted(counts):
            print(f"{s:32} {counts[s]}")
        for s in missing:
            print(f"{s:32} 0  (no rule)")
        return 1 if missing else 0
    from chipwatch.signatures.examples import check_all

    failures = check_all(ruleset)
    missing = uncovered_signals(ruleset)
    n_examples = sum(len(r.examples_match) + len(r.examples_no_match) + len(r.examples_negated) for r in ruleset.rules)
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    for s in missing:
        print(f"MISSING no rule detects signal {s}", file=sys.stderr)
    print(f"{len(ruleset.rules)} rules, {n_examples} examples, {len(failures)} failing; {len(missing)} signals without a rule; engine {ruleset.engine}; rule-set hash {ruleset.hash}")
    return 1 if failures or missing else 0
