"""Step 2 — NVIDIA architecture lower bound (the paper's Fig. 3: bf16 rules out
everything before Ampere), and further: TF32 → Ampere, FP8 used in compute → Ada or
Hopper, FP4 → Blackwell, the oldest arch.* compile target, FlashAttention-3 and NVLink
SHARP → Hopper. Format demands also narrow other vendors' parts whose catalog entry
says the format is missing (Ascend 910's cube has no BF16) when the evidence is
theirs. The requirements are data: ``data/chips/_facts.yaml`` (step: architecture).
"""
from __future__ import annotations

from chipwatch.catalog import Catalog
from chipwatch.infer.candidates import Candidates
from chipwatch.infer.evidence import Evidence
from chipwatch.infer.requirements import run_step
from chipwatch.model import Step

NAME = "architecture"


def run(evidence: Evidence, catalog: Catalog, candidates: Candidates) -> tuple[Step, Candidates]:
    return run_step(
        NAME, evidence, catalog, candidates,
        nothing="No precision, compile-target or kernel evidence that bounds the architecture.",
    )
