"""Step 5 — chips named explicitly (chip.* signals), weighted by the context of the
mention: training > finetuning > inference > benchmark > unknown (weights are data,
``context_weights`` in data/chips/_facts.yaml). A mention never rules a chip in or out —
a README may name the card a model was benchmarked on, or an old card it once ran on —
but it is listed with its export status, and a mention of a chip the evidence has ruled
out is reported as a contradiction. A size next to the name ("A100 80GB") picks the
variant.
"""
from __future__ import annotations

import re

from chipwatch.catalog import Catalog, Chip
from chipwatch.infer.candidates import Candidates, all_ids, step
from chipwatch.infer.evidence import Evidence, cite
from chipwatch.model import ExplicitChip, Finding, Step

NAME = "explicit"


def variants_named(chips: tuple[Chip, ...], text: str, pattern: str) -> tuple[Chip, ...]:
    """The variants a mention picks by a size beside the name; all when none is picked."""
    if len(chips) < 2:
        return chips
    sizes = [float(m.group(1)) for m in re.finditer(pattern, text, re.IGNORECASE)]
    picked = tuple(
        c for c in chips
        if c.memory_gb.known and any(c.memory_gb.lo <= s <= c.memory_gb.hi for s in sizes)  # type: ignore[operator]
    )
    return picked or chips


def chip_status(chips: tuple[Chip, ...], catalog: Catalog) -> dict[str, str]:
    """Per rule, the variants' common status, or ``mixed`` when they differ."""
    out = {}
    for rule in catalog.export_rules:
        statuses = {catalog.export_status(c.id, rule.id).status for c in chips}
        out[rule.id] = statuses.pop() if len(statuses) == 1 else "mixed"
    return out


def explicit_chips(evidence: Evidence, catalog: Catalog, candidates: Candidates) -> list[ExplicitChip]:
    """One entry per (chip, context), at its first mention, strongest context first."""
    kept = set(all_ids(candidates))
    weights = catalog.facts.context_weights
    entries: dict[tuple[str, str], ExplicitChip] = {}
    for signal in sorted(s for s in evidence.present() if s.startswith("chip.")):
        family = catalog.chips_for_signal(signal)
        if not family:
            continue  # a chip signal the catalog does not know: nothing to say about it
        for f in evidence.of(signal):
            chips = variants_named(family, f.text, catalog.facts.variant_pattern)
            name = chips[0].id if len(chips) == 1 else signal.removeprefix("chip.")
            context = f.context if f.context in weights else "unknown"
            vendor = chips[0].vendor
            candidate = None if vendor not in candidates else any(c.id in kept for c in chips)
            entries.setdefault((name, context), _entry(name, signal, chips, context, weights[context], f, candidate, catalog))
    return sorted(entries.values(), key=lambda e: (-e.weight, e.chip, e.path, e.line))


def _entry(name: str, signal: str, chips: tuple[Chip, ...], context: str, weight: float, f: Finding,
           candidate: bool | None, catalog: Catalog) -> ExplicitChip:
    return ExplicitChip(
        chip=name, signal=signal, vendor=chips[0].vendor, variants=tuple(c.id for c in chips),
        context=context, weight=weight, path=f.path, line=f.line, text=f.text, kind=f.kind,
        candidate=candidate, export_status=chip_status(chips, catalog),
    )


def run(evidence: Evidence, catalog: Catalog, candidates: Candidates) -> tuple[Step, Candidates]:
    entries = explicit_chips(evidence, catalog, candidates)
    if not entries:
        return step(NAME, candidates, [], (), "No chip is named explicitly."), candidates
    parts, contradictions = [], []
    for e in entries:
        said = f"{e.chip} named ({e.context}, {e.path}:{e.line})"
        if e.candidate is None:
            parts.append(f"{said}; its vendor is claimed by no stack here, so it is not a candidate")
        elif e.candidate:
            parts.append(f"{said}, consistent with the candidates")
        else:
            msg = f"{said} but ruled out by the evidence above"
            parts.append(msg)
            contradictions.append(msg)
    chip_findings = [f for s in sorted(evidence.present()) if s.startswith("chip.") for f in evidence.of(s)]
    return step(NAME, candidates, [], cite(chip_findings, limit=8), "; ".join(parts) + ".", contradictions), candidates
