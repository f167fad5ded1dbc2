"""The issue's case studies through real git repositories, the scanner and the
signature rules: what ``chipwatch explain`` would conclude."""
from __future__ import annotations

import json

import pytest

from chipwatch.catalog import load_catalog
from chipwatch.cli import main
from chipwatch.infer import infer_hardware
from chipwatch.scanner import scan_repository
from tests.helpers.gitbuild import GitRepoBuilder

HUNYUAN_FILES = {
    "scripts/train.sh": (
        "#!/bin/bash\n"
        "export NCCL_IB_HCA=mlx5_0,mlx5_1,mlx5_2,mlx5_3\n"
        "export NCCL_NET_GDR_LEVEL=2\n"
        "export NCCL_IB_GID_INDEX=3\n"
        "export NCCL_SOCKET_IFNAME=bond0\n"
        "deepspeed --num_gpus 8 train.py --deepspeed configs/ds_zero3.json --bf16 \\\n"
        "    --num_experts 16 --moe_topk 1\n"
    ),
    "configs/ds_zero3.json": (
        '{\n  "bf16": {"enabled": true},\n  "zero_optimization": {"stage": 3}\n}\n'
    ),
    "train.py": (
        "import torch\nimport torch.distributed as dist\n\n"
        "dist.init_process_group(backend='nccl')\nmodel = model.cuda()\n"
    ),
    "README.md": "# Hunyuan-Large-like\n\nA mixture-of-experts model.\n",
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def explain(path, cache, catalog, rev=None):
    return infer_hardware(scan_repository(path, rev, cache_dir=cache), catalog)


def explain_files(tmp_path, name, files, catalog, date="2024-06-01"):
    """Build a one-commit repository of ``files`` and explain it."""
    repo = GitRepoBuilder(tmp_path / name)
    repo.commit(files, date=date)
    return explain(repo.path, tmp_path / "cache", catalog)


@pytest.fixture(scope="module")
def hunyuan(tmp_path_factory):
    root = tmp_path_factory.mktemp("hunyuan")
    repo = GitRepoBuilder(root / "repo")
    first = repo.commit(HUNYUAN_FILES, date="2024-11-05")
    second = repo.commit(
        {"README.md": "# Hunyuan-Large-like\n\nA mixture-of-experts model.\nFinetuning was tested on H20.\n"},
        date="2024-12-01",
    )
    return repo.path, root / "cache", first, second


def test_hunyuan_large_like(hunyuan, catalog):
    path, cache, first, _ = hunyuan
    inf = explain(path, cache, catalog, rev=first)
    assert inf.commit == first
    assert inf.vendors == ("nvidia",)
    assert inf.min_nvidia_arch == "ampere"
    assert inf.datacenter is True
    nv = set(inf.candidates["nvidia"])
    assert {"a100-40gb", "a100-80gb", "a800", "h100-sxm", "h800", "h20"} <= nv
    assert not nv & {"v100", "t4", "rtx3090", "rtx4090", "rtx4090d", "rtx5090"}
    arch = next(s for s in inf.steps if s.step == "architecture")
    assert any(b.path == "scripts/train.sh" and b.line == 6 for b in arch.because)
    dc = next(s for s in inf.steps if s.step == "datacenter")
    assert any(b.path == "scripts/train.sh" and b.line == 3 for b in dc.because)
    assert inf.explicit_chips == ()


def test_hunyuan_with_h20_in_the_readme(hunyuan, catalog):
    path, cache, _, second = hunyuan
    inf = explain(path, cache, catalog)
    assert inf.commit == second
    (h20,) = [e for e in inf.explicit_chips if e.chip == "h20"]
    assert (h20.context, h20.path, h20.line, h20.candidate) == ("finetuning", "README.md", 4, True)
    assert h20.export_status["us-2023-10"] == "not_controlled"
    assert inf.export_status["us-2023-10"] == "mixed"


def test_hunyuan_dit_like(tmp_path, catalog):
    inf = explain_files(tmp_path, "dit", {
        "train.py": "import torch\nimport torch.distributed as dist\ndist.init_process_group('nccl')\n"
                    "model = model.to(dtype=torch.bfloat16)\n",
        "README.md": "# DiT\n\nWe train on NVIDIA A100 GPUs. Inference also runs on a V100 (32GB).\n",
    }, catalog, date="2024-05-14")
    assert inf.vendors == ("nvidia",) and inf.min_nvidia_arch == "ampere"
    named = {e.chip: e for e in inf.explicit_chips}
    assert "v100" in named and named["v100"].candidate is False
    assert any(n in named for n in ("a100", "a100-40gb", "a100-80gb"))
    assert any("v100" in c for s in inf.steps for c in s.contradictions)


def test_fp8_used_narrows_but_stored_does_not(tmp_path, catalog):
    inf = explain_files(tmp_path, "used", {"train.py": (
        "import torch\nimport transformer_engine.pytorch as te\n\nmodel = model.cuda()\n"
        "with te.fp8_autocast(enabled=True, fp8_recipe=recipe):\n    out = model(x)\n"
    )}, catalog, date="2024-03-01")
    assert inf.min_nvidia_arch == "ada"
    assert not {"a100-40gb", "a800", "v100"} & set(inf.candidates["nvidia"])

    inf = explain_files(tmp_path, "stored", {"load.py": (
        "import torch\nmodel = model.cuda()\n"
        "w = w_fp8.to(torch.float8_e4m3fn).to(torch.bfloat16)\n"
    )}, catalog, date="2024-03-01")
    fp8_step = next(s for s in inf.steps if s.step == "architecture")
    assert not any(b.signal == "precision.fp8" for b in fp8_step.because)
    assert "a100-40gb" in inf.candidates["nvidia"]


def test_ascend_port(tmp_path, catalog):
    inf = explain_files(tmp_path, "ascend", {
        "train_npu.py": "import torch\nimport torch_npu\nimport torch.distributed as dist\n"
                        "dist.init_process_group(backend='hccl')\nmodel = model.npu()\n",
        "run.sh": "export ASCEND_RT_VISIBLE_DEVICES=0,1,2,3,4,5,6,7\npython train_npu.py\n",
        "README.md": "# Port\n\nTrained on Atlas 800T A2 servers, 8 cards each.\n",
    }, catalog, date="2025-02-01")
    assert inf.vendors == ("huawei",) and inf.domestic == ("ascend",)
    assert set(inf.candidates["huawei"]) == {"ascend910", "ascend910b", "ascend910c", "ascend310p"}
    assert "nvidia" not in inf.candidates
    assert [e.chip for e in inf.explicit_chips] == ["ascend910b"]


def test_metax_with_cuda_device_strings_is_not_nvidia(tmp_path, catalog):
    inf = explain_files(tmp_path, "metax", {
        "infer.py": "import torch\nmodel = model.to('cuda')\ntorch.cuda.synchronize()\n",
        "env.sh": "export MACA_PATH=/opt/maca\nexport MACA_VISIBLE_DEVICES=0,1\nmx-smi\n",
    }, catalog, date="2025-01-10")
    assert inf.vendors == ("metax",) and inf.domestic == ("metax",)
    assert "nvidia" not in inf.candidates


def test_empty_repository_claims_nothing(tmp_path, catalog):
    inf = explain_files(tmp_path, "empty", {"README.md": "# Notes\n\nNothing about hardware here.\n"}, catalog, date="2024-01-01")
    assert inf.vendors == () and set(inf.export_status.values()) == {"unknown"}


def test_explain_command_text_and_json(hunyuan, capsys):
    path, cache, first, second = hunyuan
    assert main(["explain", str(path), "--rev", first, "--cache-dir", str(cache), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["commit"] == first and doc["explicit_chips"] == []

    assert main(["explain", str(path), "--cache-dir", str(cache), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["commit"] == second and doc["vendors"] == ["nvidia"]
    assert doc["min_nvidia_arch"] == "ampere" and doc["datacenter"] is True
    assert doc["explicit_chips"][0]["chip"] == "h20"
    assert [s["step"] for s in doc["steps"]][:3] == ["vendor", "architecture", "datacenter"]

    assert main(["explain", str(path), "--cache-dir", str(cache)]) == 0
    text = capsys.readouterr().out
    assert "scripts/train.sh:6" in text and "ruled out" in text and "v100" in text
    assert "export us-2023-10" in text and "mixed" in text


def test_explain_bad_path_is_one_clear_error(tmp_path, capsys):
    assert main(["explain", str(tmp_path / "nope"), "--cache-dir", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chipwatch explain: error:") and err.count("\n") == 1
