"""Each elimination step on hand-built evidence."""
from __future__ import annotations

import pytest

from chipwatch.catalog import load_catalog
from chipwatch.infer.evidence import Evidence
from chipwatch.infer.steps import architecture, datacenter, explicit, memory, vendor
from tests.infer.scans import finding as f, scan


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(module, catalog, *findings, candidates=None):
    ev = Evidence.from_scan(scan(*findings))
    if candidates is None:
        _, candidates = vendor.run(ev, catalog, {})
    return module.run(ev, catalog, candidates)


NVIDIA = (f("stack.nccl", "train.py", 3, "dist.init_process_group(backend='nccl')", kind="code"),)


# --- vendor ---------------------------------------------------------------------------

def test_nccl_claims_nvidia_and_rules_out_amd(catalog):
    step, cands = run(vendor, catalog, *NVIDIA)
    assert list(cands) == ["nvidia"]
    assert "mi300x" in step.eliminated and "h100-sxm" in step.kept
    assert "train.py:3" in step.sentence
    assert step.because[0].signal == "stack.nccl"


def test_two_stacks_give_two_candidate_sets(catalog):
    _, cands = run(vendor, catalog, *NVIDIA, f("stack.ascend", "npu/train.py", 1, "import torch_npu", kind="code"))
    assert set(cands) == {"nvidia", "huawei"}
    assert set(cands["huawei"]) == {"ascend910", "ascend910b", "ascend910c", "ascend310p"}
    assert "h100-sxm" in cands["nvidia"]


@pytest.mark.parametrize("own, vendor_id", [("stack.metax", "metax"), ("stack.iluvatar", "iluvatar"), ("stack.hygon", "hygon")])
def test_domestic_gpus_presenting_as_cuda_are_not_nvidia(catalog, own, vendor_id):
    step, cands = run(
        vendor, catalog,
        f("stack.cuda", "train.py", 2, "model.cuda()", kind="code"),
        f("stack.nccl", "train.py", 3, "backend='nccl'", kind="code"),
        f(own, "README.md", 5, "run mx-smi / ixsmi / hy-smi first", kind="doc"),
    )
    assert list(cands) == [vendor_id]
    assert "presents itself as" in step.sentence


def test_nvidia_only_evidence_still_claims_nvidia_beside_a_domestic_stack(catalog):
    _, cands = run(
        vendor, catalog,
        f("stack.cuda", "train.py", 2, "model.cuda()", kind="code"),
        f("stack.metax", "docs/metax.md", 5, "mx-smi", kind="doc"),
        f("arch.sm90", "setup.py", 9, "-gencode arch=compute_90a,code=sm_90a", kind="code"),
    )
    assert set(cands) == {"metax", "nvidia"}
    assert len(cands["nvidia"]) == len(catalog.chips_of("nvidia"))


def test_nccl_variables_in_a_rocm_repository_are_rccl_not_nvidia(catalog):
    _, cands = run(
        vendor, catalog,
        f("stack.rocm", "Dockerfile", 1, "FROM rocm/pytorch:rocm6.1_ubuntu22.04", kind="script"),
        f("stack.nccl", "run.sh", 3, "export NCCL_SOCKET_IFNAME=eth0", kind="script"),
    )
    assert list(cands) == ["amd"]
    # a CUDA port beside it still claims NVIDIA through its own toolkit evidence
    _, cands = run(
        vendor, catalog,
        f("stack.rocm", "Dockerfile.rocm", 1, "FROM rocm/pytorch:latest", kind="script"),
        f("stack.nccl", "run.sh", 3, "export NCCL_SOCKET_IFNAME=eth0", kind="script"),
        f("stack.cuda", "Dockerfile.cuda", 1, "FROM nvidia/cuda:12.4.1-devel-ubuntu22.04", kind="script"),
    )
    assert set(cands) == {"amd", "nvidia"}


def test_oneapi_claims_intel_without_a_catalog_chip(catalog):
    _, cands = run(vendor, catalog, f("stack.oneapi", "run.py", 1, "import intel_extension_for_pytorch", kind="code"))
    assert cands == {"intel": ()}


def test_negated_and_history_only_evidence_claims_nothing(catalog):
    ev = Evidence.from_scan(scan(f("stack.nccl", "run.sh", 1, "NCCL_IB_DISABLE=1", negated=True), history=("stack.rocm",)))
    step, cands = vendor.run(ev, catalog, {})
    assert cands == {} and step.eliminated == ()
    assert ev.history_only == ("stack.rocm",)


# --- architecture ---------------------------------------------------------------------

def test_bf16_rules_out_pre_ampere(catalog):
    step, cands = run(architecture, catalog, *NVIDIA, f("precision.bf16", "train.sh", 5, "--bf16"))
    assert set(step.eliminated) == {"v100", "t4"}
    assert "a100-40gb" in cands["nvidia"]
    assert "train.sh:5" in step.sentence


def test_fp8_used_narrows_to_ada_or_later_but_stored_does_not(catalog):
    used = f("precision.fp8", "train.py", 9, "with te.fp8_autocast(enabled=True):", kind="code")
    stored = f("precision.fp8", "convert.py", 4, "w.to(torch.float8_e4m3fn)  # upcast to bf16 before matmul",
               kind="code", strength="stored")
    step, cands = run(architecture, catalog, *NVIDIA, used)
    archs = {catalog.chip(c).architecture for c in cands["nvidia"]}
    assert archs == {"ada", "hopper", "blackwell"}
    assert {"a100-40gb", "a800", "rtx3090"} <= set(step.eliminated)
    step, cands = run(architecture, catalog, *NVIDIA, stored)
    assert step.eliminated == () and "v100" in cands["nvidia"]


def test_fp4_narrows_to_blackwell(catalog):
    _, cands = run(architecture, catalog, *NVIDIA, f("precision.fp4", "q.py", 1, "nvfp4", kind="code"))
    assert set(cands["nvidia"]) == {"b200", "gb200", "rtx5090"}


def test_compile_targets_bound_by_the_oldest_target(catalog):
    _, cands = run(architecture, catalog, *NVIDIA, f("arch.sm80", "setup.py", 3, "8.0"), f("arch.sm90", "setup.py", 3, "9.0"))
    assert "a100-40gb" in cands["nvidia"] and "t4" not in cands["nvidia"]
    _, cands = run(architecture, catalog, *NVIDIA, f("arch.sm90", "setup.py", 3, "compute_90a"))
    assert {catalog.chip(c).architecture for c in cands["nvidia"]} == {"hopper", "blackwell"}


def test_flash_attention_3_means_hopper_but_fa2_does_not(catalog):
    fa3 = f("technique.flash_attention", "model.py", 2, "from flash_attn_interface import flash_attn_func", kind="code")
    fa2 = f("technique.flash_attention", "model.py", 2, "from flash_attn import flash_attn_func", kind="code")
    _, cands = run(architecture, catalog, *NVIDIA, fa3)
    assert "a100-40gb" not in cands["nvidia"] and "h20" in cands["nvidia"]
    step, _ = run(architecture, catalog, *NVIDIA, fa2)
    assert step.eliminated == ()


def test_nvls_means_hopper_or_later(catalog):
    _, cands = run(architecture, catalog, *NVIDIA, f("interconnect.nvls", "run.sh", 1, "NCCL_NVLS_ENABLE=1"))
    assert {catalog.chip(c).architecture for c in cands["nvidia"]} == {"hopper", "blackwell"}


def test_negated_precision_never_narrows(catalog):
    step, _ = run(architecture, catalog, *NVIDIA, f("precision.bf16", "cfg.json", 2, '"bf16": {"enabled": false}', negated=True))
    assert step.eliminated == ()


def test_format_evidence_is_attributed_per_stack(catalog):
    """bf16 in the Ascend launch script narrows the Ascend parts, not the NVIDIA ones."""
    step, cands = run(
        architecture, catalog, *NVIDIA,
        f("stack.ascend", "npu/run.sh", 1, "export ASCEND_RT_VISIBLE_DEVICES=0"),
        f("precision.bf16", "npu/run.sh", 4, "--bf16"),
    )
    assert step.eliminated == ("ascend910",)
    assert "v100" in cands["nvidia"]


def test_unattributable_evidence_narrows_nothing(catalog):
    step, _ = run(
        architecture, catalog, *NVIDIA,
        f("stack.ascend", "npu/run.sh", 1, "export ASCEND_RT_VISIBLE_DEVICES=0"),
        f("precision.bf16", "configs/common.yaml", 4, "dtype: bfloat16", kind="config"),
    )
    assert step.eliminated == ()
    assert "cannot be tied to one stack" in step.sentence


def test_contradictory_evidence_keeps_the_set_and_says_so(catalog):
    start = {"nvidia": ("v100", "t4")}
    step, cands = run(architecture, catalog, *NVIDIA, f("precision.bf16", "train.sh", 5, "--bf16"), candidates=start)
    assert cands == start
    assert step.contradictions and "every NVIDIA candidate" in step.contradictions[0]


# --- datacenter -----------------------------------------------------------------------

def test_gpudirect_rdma_rules_out_consumer_cards(catalog):
    step, cands = run(datacenter, catalog, *NVIDIA, f("interconnect.gpudirect_rdma", "train.sh", 3, "NCCL_NET_GDR_LEVEL=2"))
    assert set(step.eliminated) == {"rtx3090", "rtx4090", "rtx4090d", "rtx5090"}
    assert all(catalog.chip(c).datacenter for c in cands["nvidia"])


def test_infiniband_alone_does_not_narrow(catalog):
    step, _ = run(datacenter, catalog, *NVIDIA, f("interconnect.infiniband", "train.sh", 2, "NCCL_IB_HCA=mlx5_0"))
    assert step.eliminated == ()


def test_nvlink_rules_out_parts_without_it(catalog):
    step, cands = run(datacenter, catalog, *NVIDIA, f("interconnect.nvlink", "train.sh", 2, "NCCL_P2P_LEVEL=NVL"))
    assert {"t4", "l40s", "rtx4090"} <= set(step.eliminated)
    assert "rtx3090" in cands["nvidia"]  # 2-way NVLink bridge


# --- memory ---------------------------------------------------------------------------

def test_stated_memory_minimum_rules_out_smaller_parts(catalog):
    line = f("stack.cuda", "README.md", 7, "Training requires at least 80GB of GPU memory per CUDA device.", kind="doc")
    step, cands = run(memory, catalog, *NVIDIA, line)
    assert "a100-40gb" in step.eliminated and "a100-80gb" in cands["nvidia"]
    assert "a800" in cands["nvidia"]  # its 80 GB variant qualifies
    assert "README.md:7" in step.sentence


def test_no_memory_statement_no_change(catalog):
    step, _ = run(memory, catalog, *NVIDIA, f("chip.a100", "README.md", 3, "8x A100 80GB", kind="doc"))
    assert step.eliminated == () and step.sentence == "No memory requirement stated."


# --- explicit -------------------------------------------------------------------------

def test_explicit_chips_ordered_by_context_and_variant_picked(catalog):
    ev = Evidence.from_scan(scan(
        *NVIDIA,
        f("chip.a100", "README.md", 3, "benchmarked on A100 80GB", kind="doc", context="benchmark"),
        f("chip.h800", "README.md", 9, "pretrained on 2048 H800", kind="doc", context="training"),
    ))
    _, cands = vendor.run(ev, catalog, {})
    chips = explicit.explicit_chips(ev, catalog, cands)
    assert [e.chip for e in chips] == ["h800", "a100-80gb"]
    assert chips[0].weight > chips[1].weight
    assert chips[0].export_status["us-2023-10"] == "controlled"


def test_explicit_variants_without_size_keep_the_model_name(catalog):
    ev = Evidence.from_scan(scan(*NVIDIA, f("chip.h100", "README.md", 3, "runs on H100", kind="doc")))
    _, cands = vendor.run(ev, catalog, {})
    (e,) = explicit.explicit_chips(ev, catalog, cands)
    assert e.chip == "h100" and set(e.variants) == {"h100-sxm", "h100-pcie"}
    assert e.chip in catalog.chip_names() and "h100-sxm" in catalog.chip_names()
    assert e.export_status["us-2023-10"] == "controlled"


def test_explicit_chip_of_an_unclaimed_vendor_is_not_a_candidate(catalog):
    step, cands = run(explicit, catalog, *NVIDIA, f("chip.mi300x", "README.md", 3, "vs MI300X", kind="doc", context="benchmark"))
    assert step.eliminated == () and "claimed by no stack" in step.sentence
    assert "mi300x" not in cands["nvidia"]


def test_nvidia_only_evidence_without_nvidia_claimed_narrows_nothing(catalog):
    step, cands = run(
        datacenter, catalog,
        f("stack.ascend", "run.sh", 1, "export ASCEND_RT_VISIBLE_DEVICES=0"),
        f("interconnect.gpudirect_rdma", "run.sh", 3, "NCCL_NET_GDR_LEVEL=2"),
    )
    assert step.eliminated == () and "no stack here claims nvidia" in step.sentence
    assert len(cands["huawei"]) == 4


def test_no_vendor_claimed_nothing_to_narrow(catalog):
    step, cands = run(architecture, catalog, f("precision.bf16", "train.sh", 5, "--bf16"))
    assert cands == {} and step.eliminated == () and step.kept == ()
    assert "no stack here claims any vendor" in step.sentence
