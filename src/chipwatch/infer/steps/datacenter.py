"""Step 3 — data-center parts (the paper's Fig. 4: GPUDirect RDMA rules out consumer
cards). GPUDirect RDMA (also what InfiniBand with NCCL_NET_GDR_LEVEL configures) is
documented for Tesla / Quadro class GPUs only; NVLink SHARP runs in NVSwitch systems;
an NVLink configuration rules out parts without NVLink. InfiniBand alone does not
narrow: consumer cards can sit in an InfiniBand cluster without GPUDirect.
The requirements are data: ``data/chips/_facts.yaml`` (step: datacenter).
"""
from __future__ import annotations

from chipwatch.catalog import Catalog
from chipwatch.infer.candidates import Candidates
from chipwatch.infer.evidence import Evidence
from chipwatch.infer.requirements import run_step
from chipwatch.model import Step

NAME = "datacenter"


def run(evidence: Evidence, catalog: Catalog, candidates: Candidates) -> tuple[Step, Candidates]:
    return run_step(
        NAME, evidence, catalog, candidates,
        nothing="No GPUDirect RDMA, NVLink or NVSwitch evidence: consumer parts are not ruled out.",
    )
