"""Step 4 — memory size, when the repository states a minimum ("requires at least
80GB", "显存不少于 24G") on a line a signature matched. The smallest stated minimum is
the bound (a repository listing several model sizes can run its smallest); parts whose
largest variant has less memory are ruled out, parts of unknown memory kept. The
statement is not tied to a stack, so it applies to every vendor's candidates."""
from __future__ import annotations

import re

from chipwatch.catalog import Catalog
from chipwatch.infer.candidates import Candidates, listing, narrow, step
from chipwatch.infer.evidence import Evidence, cite, where
from chipwatch.model import Finding, Step

NAME = "memory"


def stated_minimum(evidence: Evidence, catalog: Catalog) -> tuple[float | None, list[Finding]]:
    """The smallest memory minimum stated, in GB, and the findings that state one."""
    patterns = [re.compile(p, re.IGNORECASE) for p in catalog.facts.memory_patterns]
    sizes, stating = [], []
    for f in evidence.lines():
        found = [float(m.group(1)) for rx in patterns for m in rx.finditer(f.text)]
        if found:
            sizes.append(min(found))
            stating.append(f)
    return (min(sizes) if sizes else None), stating


def run(evidence: Evidence, catalog: Catalog, candidates: Candidates) -> tuple[Step, Candidates]:
    bound, stating = stated_minimum(evidence, catalog)
    if bound is None:
        return step(NAME, candidates, [], (), "No memory requirement stated."), candidates
    after, eliminated, contradicted = narrow(
        candidates, catalog, None,
        lambda chip: chip.memory_gb.known and chip.memory_gb.hi < bound,  # type: ignore[operator]
    )
    contradictions = [
        f"a stated minimum of {bound:g} GB would rule out every {catalog.vendor(v).name} candidate; not applied to {v}"
        for v in contradicted
    ]
    text = f"At least {bound:g} GB of accelerator memory is stated at {where(stating)}"
    if eliminated:
        text += f"; rules out {listing(eliminated)}"
    elif not contradictions:
        text += "; nothing left to rule out"
    text = "; ".join([text, *contradictions]) + "."
    return step(NAME, after, eliminated, cite(stating), text, contradictions), after
