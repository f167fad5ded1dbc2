from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

MINI_RULES = """
rules:
  - id: stack.nccl.env-var
    signal: stack.nccl
    message: NCCL environment variable set
    patterns: ['\\bNCCL_[A-Z_]+[ \\t]*=']
    keywords: [NCCL_]
    kinds: [code, script, config, doc, notebook]
    examples:
      match: ['export NCCL_DEBUG=INFO', 'os.environ["NCCL_IB_HCA"] = "mlx5"']
      no_match: ['nccl is nice', 'print("hello")']
  - id: interconnect.gpudirect_rdma.gdr-level
    signal: interconnect.gpudirect_rdma
    message: GPUDirect RDMA level set
    patterns: ['NCCL_NET_GDR_LEVEL']
    keywords: [NCCL_NET_GDR_LEVEL]
    examples:
      match: ['export NCCL_NET_GDR_LEVEL=2', 'NCCL_NET_GDR_LEVEL: 2']
      no_match: ['NCCL_DEBUG=INFO', 'gdr']
  - id: interconnect.infiniband.nccl-ib
    signal: interconnect.infiniband
    message: NCCL InfiniBand setting
    patterns: ['NCCL_IB_[A-Z_]+']
    keywords: [NCCL_IB_]
    negated: ['NCCL_IB_DISABLE[ \\t]*=[ \\t]*1']
    examples:
      match: ['export NCCL_IB_HCA=mlx5_0', 'NCCL_IB_GID_INDEX=3']
      no_match: ['NCCL_DEBUG=INFO', 'IB is fast']
      negated: ['export NCCL_IB_DISABLE=1']
  - id: precision.fp8.te
    signal: precision.fp8
    message: FP8
    patterns: ['float8_e4m3fn']
    keywords: [float8]
    stored_lines: ['\\.to\\([^)]*bfloat16']
    examples:
      match: ['x = torch.float8_e4m3fn', 'w.to(torch.float8_e4m3fn)']
      no_match: ['float16', 'fp32']
  - id: chip.h20.name
    signal: chip.h20
    message: NVIDIA H20 named
    context: true
    patterns: ['(^|[^a-z0-9_/+=.-])h20([^a-z0-9_/+=-]|$)']
    keywords: [h20]
    kinds: [doc, code, script, config, notebook]
    examples:
      match: [{text: 'We trained on 512 H20 GPUs.', path: README.md, context: training}, 'gpu = "H20"']
      no_match: ['sha = "a3h20f9"', 'H200 is bigger']
  - id: stack.ascend.torch-npu
    signal: stack.ascend
    message: torch_npu imported
    patterns: ['import torch_npu']
    keywords: [torch_npu]
    paths: ['*.py']
    examples:
      match: ['import torch_npu', 'import torch_npu  # ascend']
      no_match: [{text: 'import torch_npu', path: README.md}, 'import torch']
"""


@pytest.fixture(scope="session")
def mini_rules_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("rules")
    (d / "mini.yaml").write_text(textwrap.dedent(MINI_RULES))
    return d


@pytest.fixture(scope="session")
def mini_ruleset(mini_rules_dir):
    from chipwatch.signatures import build_ruleset

    return build_ruleset(mini_rules_dir)
