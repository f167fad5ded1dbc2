"""The confidence of an inference, from terms that are data (``confidence`` in
data/chips/_facts.yaml); docs/inference.md explains the derivation:

    0                                          when no vendor is claimed, else
    vendor term   (stack evidence in code/config/scripts, or in docs only)
  + per_narrowing_step × steps that ruled something out (at most max_narrowing_steps)
  + explicit_candidate × the best context weight of a named chip still a candidate
  − per_contradiction × contradictions found (a named chip the evidence ruled out
                                             counts as its context weight)
clamped to [0, 1] and rounded to two places.
"""
from __future__ import annotations

from chipwatch.catalog import Catalog
from chipwatch.infer.evidence import CODE_KINDS
from chipwatch.model import ExplicitChip, Finding, Step

NARROWING_STEPS = ("architecture", "datacenter", "memory")


def confidence(
    claim_findings: dict[str, list[Finding]],
    steps: list[Step],
    explicit: list[ExplicitChip],
    catalog: Catalog,
) -> tuple[float, dict[str, float]]:
    p = catalog.facts.confidence
    if not claim_findings:
        return 0.0, {"vendor": 0.0}
    in_code = any(f.kind in CODE_KINDS for fs in claim_findings.values() for f in fs)
    terms = {"vendor": p["vendor_from_code"] if in_code else p["vendor_from_docs_only"]}
    narrowing = sum(1 for s in steps if s.step in NARROWING_STEPS and s.eliminated)
    terms["narrowing"] = p["per_narrowing_step"] * min(narrowing, int(p["max_narrowing_steps"]))
    weights = [e.weight for e in explicit if e.candidate]
    terms["explicit"] = p["explicit_candidate"] * max(weights, default=0.0)
    contradictions = sum(len(s.contradictions) for s in steps if s.step != "explicit")
    contradictions += sum(e.weight for e in explicit if e.candidate is False)
    terms["contradictions"] = -p["per_contradiction"] * contradictions
    terms = {k: round(v, 4) for k, v in terms.items()}
    return round(min(1.0, max(0.0, sum(terms.values()))), 2), terms
