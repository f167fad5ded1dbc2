"""``infer_hardware`` on hand-built scans: the issue's cases and the JSON contract."""
from __future__ import annotations

import json

import pytest

from chipwatch.catalog import load_catalog
from chipwatch.infer import infer_hardware
from tests.infer.scans import finding as f, scan

CONTRACT_KEYS = {"commit", "vendors", "domestic", "min_nvidia_arch", "max_nvidia_arch", "datacenter",
                 "candidates", "explicit_chips", "export_status", "confidence", "steps"}
STEP_KEYS = {"step", "because", "kept", "eliminated", "sentence"}

HUNYUAN = (
    f("stack.nccl", "train.sh", 2, "export NCCL_IB_HCA=mlx5_0,mlx5_1"),
    f("interconnect.infiniband", "train.sh", 2, "export NCCL_IB_HCA=mlx5_0,mlx5_1"),
    f("interconnect.gpudirect_rdma", "train.sh", 3, "export NCCL_NET_GDR_LEVEL=2"),
    f("stack.nccl", "train.sh", 3, "export NCCL_NET_GDR_LEVEL=2"),
    f("precision.bf16", "train.sh", 6, "deepspeed train.py --bf16"),
    f("parallel.zero3", "ds_zero3.json", 1, '"stage": 3', kind="config"),
    f("technique.moe", "train.sh", 6, "--num_experts 16"),
)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_hunyuan_large_like(catalog):
    inf = infer_hardware(scan(*HUNYUAN), catalog)
    assert inf.vendors == ("nvidia",) and inf.domestic == ()
    assert inf.min_nvidia_arch == "ampere" and inf.max_nvidia_arch is None
    assert inf.datacenter is True
    nv = set(inf.candidates["nvidia"])
    assert {"a100-40gb", "a100-80gb", "a800", "h100-sxm", "h800", "h20"} <= nv
    assert not nv & {"v100", "t4", "rtx3090", "rtx4090", "rtx4090d", "rtx5090"}
    assert inf.export_status["us-2023-10"] == "mixed"
    assert [s.step for s in inf.steps] == ["vendor", "architecture", "datacenter", "memory", "explicit"]


def test_hunyuan_with_h20_named(catalog):
    readme = f("chip.h20", "README.md", 3, "tested on H20", kind="doc", context="finetuning")
    without = infer_hardware(scan(*HUNYUAN), catalog)
    inf = infer_hardware(scan(*HUNYUAN, readme), catalog)
    (h20,) = inf.explicit_chips
    assert (h20.chip, h20.context, h20.path, h20.line, h20.candidate) == ("h20", "finetuning", "README.md", 3, True)
    assert h20.export_status["us-2023-10"] == "not_controlled"
    assert inf.export_status["us-2023-10"] == "mixed"
    assert inf.export_detail["us-2023-10"]["h20"]["status"] == "not_controlled"
    assert inf.export_detail["us-2023-10"]["a100-40gb"]["clause"] == "a.1"
    assert inf.candidates == without.candidates  # a mention never narrows
    assert inf.confidence > without.confidence


def test_hunyuan_dit_like_names_a100_and_v100(catalog):
    inf = infer_hardware(scan(
        f("stack.nccl", "train.py", 4, "dist.init_process_group('nccl')", kind="code"),
        f("precision.bf16", "train.py", 9, "dtype=torch.bfloat16", kind="code"),
        f("chip.a100", "README.md", 12, "trained on A100", kind="doc", context="training"),
        f("chip.v100", "README.md", 14, "inference works on V100 32GB", kind="doc", context="inference"),
    ), catalog)
    named = {e.chip: e for e in inf.explicit_chips}
    assert set(named) == {"a100", "v100"}
    assert named["a100"].candidate is True and named["v100"].candidate is False
    assert inf.min_nvidia_arch == "ampere"
    explicit = inf.steps[-1]
    assert any("v100" in c for c in explicit.contradictions)
    assert inf.confidence_terms["contradictions"] < 0


def test_fp8_in_compute_vs_stored(catalog):
    used = infer_hardware(scan(
        f("stack.cuda", "train.py", 1, "import torch", kind="code"),
        f("precision.fp8", "train.py", 20, "with te.fp8_autocast(enabled=True, fp8_recipe=recipe):", kind="code"),
    ), catalog)
    assert used.min_nvidia_arch == "ada"
    assert not {"a100-40gb", "a800"} & set(used.candidates["nvidia"])
    stored = infer_hardware(scan(
        f("stack.cuda", "train.py", 1, "import torch", kind="code"),
        f("precision.fp8", "load.py", 7, "weight.to(torch.float8_e4m3fn)", kind="code", strength="stored"),
    ), catalog)
    assert stored.min_nvidia_arch is None and "v100" in stored.candidates["nvidia"]


def test_ascend_port(catalog):
    inf = infer_hardware(scan(
        f("stack.ascend", "train_npu.py", 1, "import torch_npu", kind="code"),
        f("stack.ascend", "train_npu.py", 8, "dist.init_process_group(backend='hccl')", kind="code"),
        f("stack.ascend", "run.sh", 2, "export ASCEND_RT_VISIBLE_DEVICES=0,1,2,3,4,5,6,7"),
        f("chip.ascend910b", "README.md", 4, "Atlas 800T A2", kind="doc", context="training"),
    ), catalog)
    assert inf.vendors == ("huawei",) and inf.domestic == ("ascend",)
    assert set(inf.candidates["huawei"]) == {"ascend910", "ascend910b", "ascend910c", "ascend310p"}
    assert inf.min_nvidia_arch is None and inf.datacenter is True
    assert inf.explicit_chips[0].chip == "ascend910b" and inf.explicit_chips[0].candidate is True


@pytest.mark.parametrize("own, vendor_id", [("stack.metax", "metax"), ("stack.iluvatar", "iluvatar")])
def test_metax_or_iluvatar_with_cuda_device_strings_is_not_nvidia(catalog, own, vendor_id):
    inf = infer_hardware(scan(
        f("stack.cuda", "infer.py", 3, "model.to('cuda')", kind="code"),
        f("stack.nccl", "infer.py", 5, "backend='nccl'", kind="code"),
        f("precision.bf16", "infer.py", 6, "torch_dtype=torch.bfloat16", kind="code"),
        f(own, "scripts/env.sh", 1, "export MACA_PATH=/opt/maca  # or ixsmi"),
    ), catalog)
    assert inf.vendors == (vendor_id,) and "nvidia" not in inf.candidates
    assert inf.domestic == (vendor_id,)
    assert inf.min_nvidia_arch is None


def test_empty_evidence(catalog):
    inf = infer_hardware(scan(), catalog)
    assert inf.vendors == () and inf.candidates == {}
    assert set(inf.export_status.values()) == {"unknown"}
    assert inf.datacenter is None and inf.confidence == 0.0
    assert json.loads(json.dumps(inf.to_json()))["vendors"] == []


def test_only_turned_off_features(catalog):
    inf = infer_hardware(scan(
        f("stack.nccl", "run.sh", 1, "export NCCL_IB_DISABLE=1", negated=True),
        f("interconnect.nvls", "run.sh", 2, "export NCCL_NVLS_ENABLE=0", negated=True),
    ), catalog)
    assert inf.vendors == () and inf.confidence == 0.0


def test_contradictory_evidence_does_not_crash_or_empty(catalog):
    inf = infer_hardware(scan(
        f("stack.nccl", "train.py", 1, "backend='nccl'", kind="code"),
        f("arch.sm70", "setup.py", 2, "TORCH_CUDA_ARCH_LIST=7.0", kind="code"),
        f("precision.fp4", "train.py", 9, "nvfp4 matmul", kind="code"),
        f("technique.flash_attention", "train.py", 3, "import flash_attn_interface", kind="code"),
        f("interconnect.gpudirect_rdma", "run.sh", 1, "NCCL_NET_GDR_LEVEL=5"),
        f("stack.cuda", "README.md", 2, "requires at least 200GB per GPU", kind="doc"),
    ), catalog)
    assert inf.candidates["nvidia"]  # never intersected into nothing
    assert any(s.contradictions for s in inf.steps)
    assert set(inf.export_status.values()) <= {"all_controlled", "none_controlled", "mixed", "unknown"}


def test_history_only_signals_are_reported_not_used(catalog):
    inf = infer_hardware(scan(*HUNYUAN[:1], history=("precision.fp8",)), catalog)
    assert inf.history_only == ("precision.fp8",)
    assert inf.min_nvidia_arch is None


def test_json_contract(catalog):
    inf = infer_hardware(scan(*HUNYUAN, f("chip.h20", "README.md", 3, "tested on H20", kind="doc", context="finetuning")), catalog)
    doc = json.loads(json.dumps(inf.to_json()))
    assert CONTRACT_KEYS <= set(doc)
    assert doc["commit"] == "c" * 40 and doc["catalog_hash"] == catalog.hash
    assert set(doc["export_status"]) == {r.id for r in catalog.export_rules}
    assert {"chip", "context", "path", "line"} <= set(doc["explicit_chips"][0])
    for s in doc["steps"]:
        assert STEP_KEYS <= set(s)
        assert all({"signal", "path", "line"} <= set(b) for b in s["because"])
    assert 0.0 <= doc["confidence"] <= 1.0


def test_confidence_derivation(catalog):
    p = catalog.facts.confidence
    inf = infer_hardware(scan(*HUNYUAN), catalog)
    expected = p["vendor_from_code"] + 2 * p["per_narrowing_step"]  # architecture + datacenter
    assert inf.confidence == round(expected, 2)
    docs_only = infer_hardware(scan(f("stack.nccl", "README.md", 1, "uses NCCL", kind="doc")), catalog)
    assert docs_only.confidence == p["vendor_from_docs_only"]


def test_pure_and_repeatable(catalog):
    s = scan(*HUNYUAN)
    assert infer_hardware(s, catalog).to_json() == infer_hardware(s, catalog).to_json()
