"""Colours and labels shared by every chart and table, so a stack, a technique, an
export status or a context has one colour and one name throughout the report."""
from __future__ import annotations

from typing import Iterable

from matplotlib import colormaps
from matplotlib.colors import to_hex

from chipwatch.report.frames import DOMESTIC_ANY, TECHNIQUES

EXPORT_STATUSES: tuple[str, ...] = ("all_controlled", "mixed", "none_controlled", "unknown")
STATUS_COLORS = {"all_controlled": "#c0392b", "mixed": "#e69f00", "none_controlled": "#2e8b57", "unknown": "#b8b8b8"}
STATUS_LABELS = {"all_controlled": "all controlled", "mixed": "mixed", "none_controlled": "none controlled",
                 "unknown": "unknown"}
CONTEXTS: tuple[str, ...] = ("training", "finetuning", "inference", "benchmark", "unknown")
CONTEXT_COLORS = {"training": "#1f4e79", "finetuning": "#2e86c1", "inference": "#48c9b0", "benchmark": "#f5b041",
                  "unknown": "#c8c8c8"}

_LABELS = {
    DOMESTIC_ANY: "any domestic stack",
    "technique.moe": "MoE", "precision.bf16": "bf16", "precision.fp8": "FP8", "precision.fp4": "FP4",
    "parallel.zero1": "ZeRO-1", "parallel.zero2": "ZeRO-2", "parallel.zero3": "ZeRO-3", "parallel.fsdp": "FSDP",
    "technique.quantization": "quantization", "technique.lora": "LoRA",
}
_STACK_NAMES = {"ascend": "Ascend (Huawei)", "cambricon": "Cambricon", "kunlun": "Kunlunxin", "hygon": "Hygon DCU",
                "moorethreads": "Moore Threads", "metax": "MetaX", "iluvatar": "Iluvatar CoreX",
                "enflame": "Enflame", "biren": "Biren"}


def label(signal_id: str) -> str:
    """A reader's name for a signal id or derived class (the id itself when unknown)."""
    if signal_id in _LABELS:
        return _LABELS[signal_id]
    family, _, rest = signal_id.partition(".")
    if family == "stack":
        return _STACK_NAMES.get(rest, rest)
    if family == "candidate":
        return rest
    return signal_id


def palette(keys: Iterable[str], cmap: str = "tab10") -> dict[str, str]:
    """Colours for ``keys`` in a fixed order: the same key always gets the same colour,
    whatever subset of keys a chart shows."""
    colors = colormaps[cmap].colors  # type: ignore[attr-defined]
    return {k: to_hex(colors[i % len(colors)]) for i, k in enumerate(keys)}


def stack_colors(domestic_stacks: Iterable[str]) -> dict[str, str]:
    out = palette([f"stack.{s}" for s in sorted(domestic_stacks)])
    out[DOMESTIC_ANY] = "#222222"
    return out


def technique_colors() -> dict[str, str]:
    return palette(TECHNIQUES)


def vendor_colors(vendors: Iterable[str]) -> dict[str, str]:
    return palette([f"candidate.{v}" for v in sorted(vendors)], "tab20")
