"""Step 1 — vendor stacks (the paper's Fig. 2: NCCL rules out AMD).

A vendor is claimed by its own stack signals (stack.ascend claims Huawei) or by signals
only its silicon gives (arch.sm90 claims NVIDIA). Domestic GPUs that present as cuda
(MetaX, Iluvatar, Hygon, Kunlunxin) take that power away from stack.cuda / stack.nccl
(and, for Hygon, stack.rocm) when their own stack is present: then NVIDIA is claimed
only by NVIDIA-only evidence. Every claimed vendor gets its own candidate set: the
vendor's chips reached through the stacks present.
"""
from __future__ import annotations

from chipwatch.catalog import Catalog
from chipwatch.infer.candidates import Candidates, listing, step
from chipwatch.infer.evidence import Evidence, cite, where
from chipwatch.model import Finding, Step

NAME = "vendor"


def claims(evidence: Evidence, catalog: Catalog) -> dict[str, list[Finding]]:
    """Per claimed vendor, the findings that claim it (stack or confirming signals)."""
    present = evidence.present()
    masked: set[str] = set()
    for v in catalog.vendors:
        if any(s in present for s in v.stacks):
            masked.update(v.presents_as)
    out: dict[str, list[Finding]] = {}
    for v in catalog.vendors:
        own = [s for s in v.stacks if s in present and s not in masked]
        confirming = [s for s in v.confirming if s in present]
        if own or confirming:
            out[v.id] = [f for s in (*own, *confirming) for f in evidence.of(s)]
    return out


def run(evidence: Evidence, catalog: Catalog, candidates: Candidates) -> tuple[Step, Candidates]:
    by_vendor = claims(evidence, catalog)
    present = evidence.present()
    after: Candidates = {}
    for vendor_id in sorted(by_vendor):
        stacks = {f.signal for f in by_vendor[vendor_id] if f.signal.startswith("stack.")}
        chips = catalog.chips_of(vendor_id)
        # claimed only through confirming signals: every chip of the vendor remains
        after[vendor_id] = tuple(c.id for c in chips if not stacks or set(c.stacks) & stacks)
    eliminated = [c.id for c in catalog.chips if c.vendor not in after]
    because = tuple(ref for fs in by_vendor.values() for ref in cite(fs, limit=3))

    sentences = []
    for vendor_id, fs in sorted(by_vendor.items()):
        signals = sorted({f.signal for f in fs})
        sentences.append(f"{catalog.vendor(vendor_id).name} is claimed by {', '.join(signals)} ({where(fs)})")
    for v in catalog.vendors:
        imitated = [s for s in v.presents_as if s in present]
        if v.id in by_vendor and imitated:
            sentences.append(
                f"{v.name} presents itself as {', '.join(imitated)}, so that evidence alone is not read as "
                "another vendor's silicon"
            )
    if not by_vendor:
        sentence = "No accelerator stack evidence at this revision: no vendor is claimed, nothing is ruled out."
        return step(NAME, {}, [], (), sentence), {}
    ruled_out = sorted({catalog.chip(c).vendor for c in eliminated})
    sentence = "; ".join(sentences) + "."
    if ruled_out:
        sentence += f" No evidence of {listing(ruled_out)}: their chips are ruled out."
    return step(NAME, after, eliminated, because, sentence), after
