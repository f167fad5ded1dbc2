"""Applying the catalog's requirements (data/chips/_facts.yaml) to candidate sets.

A requirement's findings narrow a vendor only when they can be attributed to it: the
requirement names that vendor alone (arch.* targets are NVIDIA's), or only one vendor is
claimed, or the finding's file holds stack evidence of that vendor and no other. In a
repository with CUDA and Ascend ports side by side, ``--bf16`` in the Ascend launch
script does not narrow the NVIDIA candidates. A chip is ruled out only when the catalog
knows it lacks what is required (unknown keeps it).
"""
from __future__ import annotations

from dataclasses import dataclass

from chipwatch.catalog import Catalog, Chip, Requirement
from chipwatch.catalog.model import parse_cc
from chipwatch.infer.candidates import Candidates, listing, narrow, step
from chipwatch.infer.evidence import Evidence, cite, where
from chipwatch.infer.steps.vendor import claims
from chipwatch.model import Finding, Step


@dataclass(frozen=True)
class Applied:
    """What one requirement did: its findings, the chips it ruled out, and the vendors
    it could not narrow without emptying them (contradictions) or could not attribute."""

    requirement: Requirement
    findings: tuple[Finding, ...]
    eliminated: tuple[str, ...]
    contradicted: tuple[str, ...]
    unattributed: bool = False
    out_of_scope: bool = False  # it concerns only vendors no stack claims


def fails(chip: Chip, req: Requirement) -> bool:
    if req.min_cc is not None and chip.cc is not None and chip.cc < parse_cc(req.min_cc):
        return True
    return any(chip.field_value(name) is (not wanted) for name, wanted in req.chip_fields)


def attribute(findings: tuple[Finding, ...], req: Requirement, evidence: Evidence, catalog: Catalog,
              vendors: list[str]) -> dict[str, tuple[Finding, ...]]:
    """Per vendor among ``vendors``, the findings of ``req`` that concern it."""
    scope = [v for v in vendors if not req.vendors or v in req.vendors]
    if len(req.vendors) == 1 or len(vendors) == 1:
        return {v: findings for v in scope}
    by_vendor = claims(evidence, catalog)
    paths = {v: {f.path for f in by_vendor.get(v, ())} for v in vendors}
    out: dict[str, tuple[Finding, ...]] = {}
    for v in scope:
        mine = tuple(
            f for f in findings
            if f.path in paths[v] and not any(f.path in paths[o] for o in vendors if o != v)
        )
        if mine:
            out[v] = mine
    return out


def active(step: str, evidence: Evidence, catalog: Catalog) -> list[tuple[Requirement, tuple[Finding, ...]]]:
    """The requirements of ``step`` with usable findings; of a group, only the least
    demanding present member (code built for sm_80 and sm_90 runs on sm_80)."""
    found = []
    for req in catalog.requirements(step):
        fs = evidence.of(req.signal, strength=req.strength, pattern=req.text_pattern)
        if req.kinds:
            fs = tuple(f for f in fs if f.kind in req.kinds)
        if fs:
            found.append((req, fs))
    grouped: dict[str, tuple[Requirement, tuple[Finding, ...]]] = {}
    out = []
    for req, fs in found:
        if req.group is None:
            out.append((req, fs))
            continue
        best = grouped.get(req.group)
        if best is None or _demand(req) < _demand(best[0]):
            grouped[req.group] = (req, fs)
    return out + list(grouped.values())


def _demand(req: Requirement) -> tuple[int, int]:
    return parse_cc(req.min_cc) if req.min_cc else (0, 0)


def apply(step: str, evidence: Evidence, catalog: Catalog, candidates: Candidates) -> tuple[list[Applied], Candidates]:
    applied = []
    for req, fs in active(step, evidence, catalog):
        if not any(not req.vendors or v in req.vendors for v in candidates):
            applied.append(Applied(req, fs, (), (), out_of_scope=True))
            continue
        per_vendor = attribute(fs, req, evidence, catalog, list(candidates))
        if not per_vendor:
            applied.append(Applied(req, fs, (), (), unattributed=True))
            continue
        candidates, eliminated, contradicted = narrow(
            candidates, catalog, set(per_vendor), lambda chip, r=req: fails(chip, r)
        )
        used = tuple(f for v in per_vendor for f in per_vendor[v])
        applied.append(Applied(req, tuple(dict.fromkeys(used)), tuple(eliminated), tuple(contradicted)))
    return applied, candidates


def sentence(applied: list[Applied], catalog: Catalog, *, nothing: str) -> tuple[str, list[str]]:
    """One clause per requirement applied, and the contradictions found."""
    parts, contradictions = [], []
    for a in applied:
        what = f"{a.requirement.signal} at {where(a.findings)}"
        if a.out_of_scope:
            whom = ", ".join(a.requirement.vendors) or "any vendor"
            parts.append(f"{what}: {a.requirement.label}, but no stack here claims {whom}, so it narrows nothing")
            continue
        if a.unattributed:
            parts.append(f"{what}: {a.requirement.label}, but the evidence cannot be tied to one stack, so it narrows nothing")
            continue
        if a.eliminated:
            parts.append(f"{what}: {a.requirement.label}; rules out {listing(a.eliminated)}")
        elif not a.contradicted:
            parts.append(f"{what}: {a.requirement.label}; nothing left to rule out")
        else:
            parts.append(f"{what}: {a.requirement.label}")
        for v in a.contradicted:
            msg = f"{a.requirement.signal} would rule out every {catalog.vendor(v).name} candidate; not applied to {v}"
            contradictions.append(msg)
            parts.append(msg)
    return ("; ".join(parts) + ".") if parts else nothing, contradictions


def run_step(name: str, evidence: Evidence, catalog: Catalog, candidates: Candidates,
             *, nothing: str) -> tuple[Step, Candidates]:
    """A requirement-driven step: apply ``name``'s requirements, cite, and say what happened."""
    applied, after = apply(name, evidence, catalog, candidates)
    text, contradictions = sentence(applied, catalog, nothing=nothing)
    because = tuple(ref for a in applied for ref in cite(a.findings, limit=3))
    eliminated = [c for a in applied for c in a.eliminated]
    return step(name, after, eliminated, because, text, contradictions), after
