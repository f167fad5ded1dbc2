"""Hugging Face metadata as extra documents for the scanner.

The hf source stores in ``RepoRef.metadata`` what the Hub said of a model: its config,
its safetensors parameter counts per dtype, its card metadata. ``documents(repo)`` turns
them into pretty-printed files with virtual paths, so ordinary rules scoped to
``hf-api/*`` find ``"torch_dtype": "bfloat16"``, ``"F8_E4M3": 6710000000``,
``"num_local_experts": 8`` or ``quant_method`` with a line number as provenance:

- ``hf-api/config.json``       the config dict as the Hub (or config.json) gave it
- ``hf-api/safetensors.json``  ``{"parameters": {"BF16": N, ...}, "total": N}``
- ``hf-api/card.yaml``         the model card metadata

Keys are sorted and output is deterministic, so a blob id (and the scan cache) is
stable for unchanged metadata. Anything missing or malformed is left out, never raised.
"""
from __future__ import annotations

import json
from typing import Any

import yaml

from chipwatch.model import RepoRef
from chipwatch.sources.hf_card import json_safe

PREFIX = "hf-api/"
MAX_DOCUMENT_BYTES = 1 << 20


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _safetensors(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not isinstance(value.get("parameters"), dict):
        return None
    params = {str(k): v for k, v in value["parameters"].items() if isinstance(v, int) and not isinstance(v, bool)}
    if not params:
        return None
    total = value.get("total")
    return {"parameters": params, "total": total if isinstance(total, int) else sum(params.values())}


def documents(repo: RepoRef) -> list[tuple[str, bytes]]:
    """The virtual documents of an hf repository (empty for other platforms)."""
    if repo.platform != "hf":
        return []
    meta = repo.metadata or {}
    docs: list[tuple[str, bytes]] = []
    config = meta.get("config")
    if isinstance(config, dict) and config:
        docs.append((PREFIX + "config.json", _json(json_safe(config))))
    st = _safetensors(meta.get("safetensors"))
    if st:
        docs.append((PREFIX + "safetensors.json", _json(st)))
    card = meta.get("card")
    if isinstance(card, dict) and card:
        text = yaml.safe_dump(json_safe(card), sort_keys=True, allow_unicode=True, default_flow_style=False)
        docs.append((PREFIX + "card.yaml", text.encode("utf-8")))
    return [(path, data) for path, data in docs if len(data) <= MAX_DOCUMENT_BYTES]
